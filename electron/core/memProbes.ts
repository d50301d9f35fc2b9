/**
 * Memory probes: the first 48 bytes of a few anonymous mappings, read
 * through /proc/PID/mem (a plain read that never stops the target; root or
 * the process's own user, with `sudo -n` when the host is set up for it), so
 * the analysis can tell glibc's malloc heaps and mmapped blocks from Go heap
 * arenas. The candidates come from the process's maps; where glibc's chunk
 * headers show blocks the kernel merged into one mapping, the next header is
 * read in a further round. Capped in probes, rounds, bytes and time; stored
 * as proc/mem-probes.json with each failed read's error.
 */
import { memProbeCandidates, nextChunkProbes } from '../../shared/analysis/memoryLayout';
import { MEM_PROBE_BYTES, MEM_PROBES_FORMAT, wordsOfHex, type MemProbe, type MemProbesDocument } from '../../shared/parsers/memProbes';
import { parseSmaps } from '../../shared/parsers/smaps';
import { collect } from './frameCollector';
import { memProbeScript, newNonce } from './remoteScripts';
import type { SshConnection } from './sshConnection';

/** At most this many reads in all, in at most this many rounds, each round within this time. */
export const MEM_PROBE_CAP = 128;
const ROUNDS = 8;
const ROUND_TIMEOUT_MS = 30_000;

export interface MemProbeOutcome {
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly reason: string | null;
  /** The JSON document; empty when skipped before any read. */
  readonly body: Buffer;
}

export async function captureMemProbes(conn: SshConnection, pid: number, mapsText: string | null, opts: { sudo?: boolean; signal?: AbortSignal } = {}): Promise<MemProbeOutcome> {
  if (mapsText === null) return { status: 'skipped', reason: 'proc/maps was not read whole, so there are no candidate addresses', body: Buffer.alloc(0) };
  const maps = parseSmaps(mapsText);
  if (!maps.ok) return { status: 'skipped', reason: `proc/maps could not be parsed: ${maps.error.message}`, body: Buffer.alloc(0) };
  const { addresses, candidates } = memProbeCandidates(maps.value, MEM_PROBE_CAP);
  if (addresses.length === 0)
    return { status: 'skipped', reason: 'no anonymous mapping is a candidate (none starts on a 64 MiB boundary, none is a read-write block of 128 KiB or more)', body: Buffer.alloc(0) };
  const reader = opts.sudo ? 'sudo -n tail' : 'tail';
  const probes: MemProbe[] = [];
  const stored: { address: string; hex?: string; error?: string }[] = [];
  let pending = [...addresses];
  let stopped: string | null = null;
  for (let round = 0; round < ROUNDS && pending.length > 0 && stored.length < MEM_PROBE_CAP; round++) {
    if (opts.signal?.aborted) {
      stopped = 'cancelled by the user';
      break;
    }
    const batch = pending.slice(0, MEM_PROBE_CAP - stored.length);
    const nonce = newNonce();
    const r = await collect(conn, memProbeScript(nonce, pid, batch, MEM_PROBE_BYTES, { sudo: opts.sudo === true }), {
      nonce,
      timeoutMs: ROUND_TIMEOUT_MS,
      maxTotalBytes: 1024 * 1024,
      capFor: () => MEM_PROBE_BYTES,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (r.gone) {
      stopped = 'the process exited while its memory was being probed';
      break;
    }
    for (const a of batch) {
      const f = r.files.get(`mem/${a.toString(16)}`);
      const address = a.toString(16);
      if (f && f.rc === 0 && f.bytes.length > 0) {
        const hex = f.bytes.toString('hex');
        stored.push({ address, hex });
        probes.push({ address: a, words: wordsOfHex(hex), error: null });
      } else {
        const error = f
          ? f.stderr.trim().replace(/^.*?(tail|sh|sudo): /, '') || `the read returned ${f.bytes.length} bytes, status ${f.rc}`
          : r.timedOut
            ? `no answer within ${ROUND_TIMEOUT_MS / 1000} s`
            : 'no answer';
        stored.push({ address, error: error.slice(0, 300) });
        probes.push({ address: a, words: null, error });
      }
    }
    if (r.timedOut || r.cancelled || !r.complete) {
      stopped = r.cancelled ? 'cancelled by the user' : r.timedOut ? `a round of reads took more than ${ROUND_TIMEOUT_MS / 1000} s` : 'the reads stopped early';
      break;
    }
    pending = nextChunkProbes(maps.value, probes);
  }
  const doc: MemProbesDocument = { format: MEM_PROBES_FORMAT, version: 1, reader, candidates, cap: MEM_PROBE_CAP, skipped: null, probes: stored };
  const body = Buffer.from(JSON.stringify(doc, null, 1));
  const read = stored.filter((p) => p.hex).length;
  if (read === 0) {
    const why = stored.find((p) => p.error)?.error ?? 'no read succeeded';
    const hint = /permission denied|not permitted|password/i.test(why) ? ' (reading another process\'s memory needs root or its user with ptrace access: enable "use sudo -n" for this host)' : '';
    return { status: 'failed', reason: `none of the ${stored.length} reads of /proc/${pid}/mem succeeded: ${why}${hint}${stopped ? `; ${stopped}` : ''}`, body };
  }
  return { status: 'ok', reason: stopped, body };
}

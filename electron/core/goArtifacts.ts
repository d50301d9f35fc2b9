/**
 * Go's own evidence, read from the process's net/http/pprof endpoint through
 * an SSH direct-tcpip tunnel: goroutine dump, heap with MemStats, allocs,
 * threadcreate, mutex and block profiles, and optionally a CPU profile and an
 * execution trace. Bodies stream straight into blob files with a byte cap, so
 * a trace of hundreds of MB is never held in memory, and a cap stops the
 * download cleanly and marks the artifact truncated. We never send the target
 * a signal (SIGQUIT would kill a Go process).
 */
import { request } from 'node:http';
import type { ArtifactStatus } from '../../shared/contract/api';
import { listeningPortsOf } from '../../shared/parsers/procNet';
import type { BlobStore } from './blobs';
import { httpGetViaTunnel, openTunnel } from './forward';
import type { SshConnection } from './sshConnection';

const MiB = 1024 * 1024;
export const DEFAULT_TRACE_CAP = 256 * MiB;

export interface GoCaptureOptions {
  readonly cpuProfileSeconds?: number;
  readonly traceSeconds?: number;
  readonly traceCapBytes?: number;
  /** A port the user says serves pprof on the host's loopback; skips discovery. */
  readonly pprofPort?: number;
  /** Per-request timeout on top of any profile duration. */
  readonly requestTimeoutMs?: number;
}

export interface GoArtifactResult {
  readonly name: string;
  readonly status: ArtifactStatus;
  readonly reason: string | null;
  readonly sha256: string | null;
  readonly sizeBytes: number;
  readonly durationMs: number;
}

interface Fetch {
  readonly name: string;
  readonly path: string;
  readonly cap: number;
  readonly seconds?: number;
}

export function goFetches(opts: GoCaptureOptions): Fetch[] {
  const list: Fetch[] = [
    { name: 'go/goroutine-debug2.txt', path: '/debug/pprof/goroutine?debug=2', cap: 64 * MiB },
    { name: 'go/heap-debug1.txt', path: '/debug/pprof/heap?debug=1', cap: 64 * MiB },
    { name: 'go/allocs.pb.gz', path: '/debug/pprof/allocs', cap: 64 * MiB },
    { name: 'go/threadcreate.pb.gz', path: '/debug/pprof/threadcreate', cap: 16 * MiB },
    { name: 'go/mutex.pb.gz', path: '/debug/pprof/mutex', cap: 16 * MiB },
    { name: 'go/block.pb.gz', path: '/debug/pprof/block', cap: 16 * MiB },
  ];
  if (opts.cpuProfileSeconds) list.push({ name: 'go/cpu.pb.gz', path: `/debug/pprof/profile?seconds=${opts.cpuProfileSeconds}`, cap: 64 * MiB, seconds: opts.cpuProfileSeconds });
  if (opts.traceSeconds) list.push({ name: 'go/trace', path: `/debug/pprof/trace?seconds=${opts.traceSeconds}`, cap: opts.traceCapBytes ?? DEFAULT_TRACE_CAP, seconds: opts.traceSeconds });
  return list;
}

/** Tries each port the process listens on for a pprof index page. */
export async function findPprofPort(conn: SshConnection, netTexts: readonly string[], fdListing: string): Promise<{ port: number | null; tried: number[] }> {
  const ports = listeningPortsOf(netTexts, fdListing);
  for (const port of ports.slice(0, 16)) {
    try {
      const r = await httpGetViaTunnel(conn, port, '/debug/pprof/', { timeoutMs: 3000, maxBytes: 64 * 1024 });
      if (r.status === 200 && /goroutine/.test(r.body.toString('utf8'))) return { port, tried: ports };
    } catch {
      // not HTTP, or not answering: try the next one
    }
  }
  return { port: null, tried: ports };
}

/** Streams one endpoint into a blob with a cap and a timeout. */
export async function fetchToBlob(conn: SshConnection, blobs: BlobStore, port: number, f: Fetch, timeoutMs: number, signal?: AbortSignal): Promise<GoArtifactResult> {
  const started = Date.now();
  const result = (status: ArtifactStatus, reason: string | null, sha256: string | null = null, sizeBytes = 0): GoArtifactResult => ({ name: f.name, status, reason, sha256, sizeBytes, durationMs: Date.now() - started });
  let tunnel;
  try {
    tunnel = await openTunnel(conn, port);
  } catch (err) {
    return result('failed', (err as Error).message);
  }
  const writer = await blobs.begin().catch((err: unknown) => {
    tunnel.destroy();
    throw err;
  });
  // A failure to store (a full disk) rejects: it is the library's failure, not the endpoint's.
  return new Promise<GoArtifactResult>((resolve, reject) => {
    let settled = false;
    let truncated = false;
    // Writes are chained so the blob is committed only after the last one landed.
    let chain = Promise.resolve();
    const finish = async (status: ArtifactStatus, reason: string | null, keep: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      tunnel.destroy();
      try {
        await chain;
        if (!keep || writer.bytesWritten === 0) {
          await writer.abort();
          resolve(result(status, reason));
          return;
        }
        const blob = await writer.commit();
        resolve(result(status, reason, blob.sha256, blob.size));
      } catch (err) {
        await writer.abort();
        reject(err);
      }
    };
    const afterWrites = (then: () => void) => void chain.then(then, () => void finish('failed', null, false));
    const timer = setTimeout(() => void finish(writer.bytesWritten > 0 ? 'truncated' : 'failed', `no complete answer within ${Math.round(timeoutMs / 1000)} s (the endpoint stalled)`, true), timeoutMs);
    const onAbort = () => void finish(writer.bytesWritten > 0 ? 'truncated' : 'failed', 'cancelled', true);
    signal?.addEventListener('abort', onAbort, { once: true });
    const req = request({ createConnection: () => tunnel as never, host: '127.0.0.1', port, path: f.path, headers: { Host: `127.0.0.1:${port}`, Connection: 'close' } }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8').slice(0, 500)));
        res.on('end', () => void finish('failed', `HTTP ${res.statusCode} from ${f.path}: ${text.trim().slice(0, 200)}`, false));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        if (truncated || settled) return;
        const room = f.cap - writer.bytesWritten;
        const keep = chunk.length > room ? chunk.subarray(0, room) : chunk;
        if (keep.length < chunk.length) truncated = true;
        res.pause();
        chain = chain.then(() => writer.write(keep));
        afterWrites(() => {
          if (truncated) {
            res.destroy();
            void finish('truncated', `stopped at the ${f.cap >= MiB ? `${Math.round(f.cap / MiB)} MiB` : `${Math.round(f.cap / 1024)} KiB`} cap`, true);
          } else res.resume();
        });
      });
      res.on('end', () => afterWrites(() => void finish('ok', null, true)));
      res.on('error', () => afterWrites(() => void finish(writer.bytesWritten > 0 ? 'truncated' : 'failed', 'the connection broke during the download', true)));
    });
    req.on('error', (err) => void finish('failed', `HTTP over the tunnel failed: ${err.message}`, false));
    req.end();
  });
}

/**
 * Go's own evidence, read from the process's net/http/pprof endpoint through
 * a tunnel (forward.ts: SSH direct-tcpip, or nsenter and a forwarder into the
 * process's own network namespace): goroutine dump, heap with MemStats, allocs,
 * threadcreate, mutex and block profiles, and optionally a CPU profile and an
 * execution trace. Bodies stream straight into blob files with a byte cap, so
 * a trace of hundreds of MB is never held in memory, and a cap stops the
 * download cleanly and marks the artifact truncated. We never send the target
 * a signal (SIGQUIT would kill a Go process).
 */
import { request } from 'node:http';
import { ARTIFACTS, type ArtifactSpec } from '../../shared/artifacts/registry';
import type { Forwarder } from '../../shared/capture/plan';
import type { ArtifactStatus } from '../../shared/contract/api';
import { listeningPortsOf } from '../../shared/parsers/procNet';
import type { BlobStore } from './blobs';
import { CappedStream } from './cappedStream';
import { httpGetViaTunnel, openTunnel, tunnelFailure, type Reach } from './forward';

const MiB = 1024 * 1024;
export const DEFAULT_TRACE_CAP = 256 * MiB;

export interface GoCaptureOptions {
  readonly cpuProfileSeconds?: number;
  readonly traceSeconds?: number;
  readonly traceCapBytes?: number;
  /** A port the user says serves pprof on the process's loopback; skips discovery. */
  readonly pprofPort?: number;
  /** Forwarders allowed into another network namespace, in order (default FORWARDERS). */
  readonly forwarders?: readonly Forwarder[];
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
  // The registry's pprof endpoints, in its order; the CPU profile and the trace only when asked for.
  const list: Fetch[] = Object.values(ARTIFACTS as Record<string, ArtifactSpec>).flatMap((a) =>
    'name' in a && a.expected === 'pprof' && a.source.from === 'endpoint' ? [{ name: a.name, path: a.source.path, cap: a.cap! }] : [],
  );
  if (opts.cpuProfileSeconds) list.push({ name: ARTIFACTS.cpu.name, path: `/debug/pprof/profile?seconds=${opts.cpuProfileSeconds}`, cap: ARTIFACTS.cpu.cap, seconds: opts.cpuProfileSeconds });
  if (opts.traceSeconds) list.push({ name: ARTIFACTS.trace.name, path: `/debug/pprof/trace?seconds=${opts.traceSeconds}`, cap: opts.traceCapBytes ?? DEFAULT_TRACE_CAP, seconds: opts.traceSeconds });
  return list;
}

/** Tries each port the process listens on for a pprof index page. */
export async function findPprofPort(reach: Reach, netTexts: readonly string[], fdListing: string, signal?: AbortSignal): Promise<{ port: number | null; tried: number[] }> {
  const ports = listeningPortsOf(netTexts, fdListing);
  for (const port of ports.slice(0, 16)) {
    if (signal?.aborted) break;
    try {
      const r = await httpGetViaTunnel(reach, port, '/debug/pprof/', { timeoutMs: 3000, maxBytes: 64 * 1024, ...(signal ? { signal } : {}) });
      if (r.status === 200 && /goroutine/.test(r.body.toString('utf8'))) return { port, tried: ports };
    } catch {
      // not HTTP, or not answering: try the next one
    }
  }
  return { port: null, tried: ports };
}

/** Streams one endpoint into a blob with a cap; `timeoutMs` and `signal` cover opening the tunnel and the download. */
export async function fetchToBlob(reach: Reach, blobs: BlobStore, port: number, f: Fetch, timeoutMs: number, signal?: AbortSignal): Promise<GoArtifactResult> {
  const started = Date.now();
  const result = (status: ArtifactStatus, reason: string | null, sha256: string | null = null, sizeBytes = 0): GoArtifactResult => ({
    name: f.name,
    status,
    reason,
    sha256,
    sizeBytes,
    durationMs: Date.now() - started,
  });
  let tunnel;
  try {
    tunnel = await openTunnel(reach, port, { deadline: started + timeoutMs, signal });
  } catch (err) {
    return result('failed', (err as Error).message);
  }
  const writer = await blobs.begin().catch((err: unknown) => {
    tunnel.destroy();
    throw err;
  });
  // A failure to store (a full disk) rejects: it is the library's failure, not the endpoint's.
  return new Promise<GoArtifactResult>((resolve, reject) => {
    const body = new CappedStream({ maxBytes: f.cap, deadline: started + timeoutMs, signal });
    // Writes are chained so the blob is committed only after the last one landed.
    let chain = Promise.resolve();
    const finish = async (status: ArtifactStatus, reason: string | null, keep: boolean) => {
      if (!body.settle()) return;
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
    body.arm({
      onTimeout: () => void finish(writer.bytesWritten > 0 ? 'truncated' : 'failed', `no complete answer within ${Math.round(timeoutMs / 1000)} s (the endpoint stalled)`, true),
      onAbort: () => void finish(writer.bytesWritten > 0 ? 'truncated' : 'failed', 'cancelled', true),
    });
    const req = request({ createConnection: () => tunnel as never, host: '127.0.0.1', port, path: f.path, headers: { Host: `127.0.0.1:${port}`, Connection: 'close' } }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8').slice(0, 500)));
        res.on('end', () => void finish('failed', `HTTP ${res.statusCode} from ${f.path}: ${text.trim().slice(0, 200)}`, false));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        if (body.truncated || body.settled) return;
        const keep = body.take(chunk);
        res.pause();
        chain = chain.then(() => writer.write(keep));
        afterWrites(() => {
          if (body.truncated) {
            res.destroy();
            void finish('truncated', `stopped at the ${f.cap >= MiB ? `${Math.round(f.cap / MiB)} MiB` : `${Math.round(f.cap / 1024)} KiB`} cap`, true);
          } else res.resume();
        });
      });
      res.on('end', () => afterWrites(() => void finish('ok', null, true)));
      res.on('error', () => afterWrites(() => void finish(writer.bytesWritten > 0 ? 'truncated' : 'failed', 'the connection broke during the download', true)));
    });
    req.on('error', (err) => void finish('failed', tunnelFailure(tunnel, err), false));
    req.end();
  });
}

/** The runtime's own view of its settings and memory, beside pprof: a Prometheus /metrics and expvar. */
export const METRICS_FETCH: Fetch = { name: ARTIFACTS.metrics.name, path: ARTIFACTS.metrics.source.path, cap: ARTIFACTS.metrics.cap };
export const EXPVAR_FETCH: Fetch = { name: ARTIFACTS.expvar.name, path: ARTIFACTS.expvar.source.path, cap: ARTIFACTS.expvar.cap };
/** A probe reads this much of an answer, for this long, to recognise the format. */
const PROBE = { maxBytes: 16 * 1024, timeoutMs: 3000, partial: true } as const;

/** The first bytes of a Prometheus text exposition: comment lines, or a sample line. */
export function looksLikePrometheusText(head: string): boolean {
  const t = head.trimStart();
  if (t.startsWith('<') || t.startsWith('{')) return false;
  return /^# (HELP|TYPE) [A-Za-z_:][A-Za-z0-9_:]* /m.test(t) || /^[A-Za-z_:][A-Za-z0-9_:]*(\{[^}\n]*\})?[ \t]+[-+0-9.eEaINnf]+([ \t]+-?\d+)?[ \t]*$/m.test(t);
}

/** The first bytes of expvar's /debug/vars: a JSON object with its standard members. */
export function looksLikeExpvar(head: string): boolean {
  return head.trimStart().startsWith('{') && /"(cmdline|memstats)"\s*:/.test(head);
}

export interface MetricsEndpoints {
  /** Port serving a Prometheus text /metrics, and what was seen on the others. */
  readonly metrics: number | null;
  readonly expvar: number | null;
  readonly tried: readonly number[];
}

/**
 * Tries each candidate port (a pprof port the user gave first, then the listening ports,
 * loopback first: net/http/pprof and expvar share http.DefaultServeMux, and Caddy serves all of
 * them on its admin API) for /metrics and /debug/vars, a short capped read each.
 */
export async function findMetricsEndpoints(reach: Reach, ports: readonly number[]): Promise<MetricsEndpoints> {
  let metrics: number | null = null;
  let expvar: number | null = null;
  const probe = async (port: number, path: string, looks: (head: string) => boolean) => {
    try {
      const r = await httpGetViaTunnel(reach, port, path, PROBE);
      return r.status === 200 && looks(r.body.toString('utf8'));
    } catch {
      return false;
    }
  };
  for (const port of ports.slice(0, 16)) {
    const [m, e] = await Promise.all([metrics === null ? probe(port, METRICS_FETCH.path, looksLikePrometheusText) : false, expvar === null ? probe(port, EXPVAR_FETCH.path, looksLikeExpvar) : false]);
    if (m) metrics = port;
    if (e) expvar = port;
    if (metrics !== null && expvar !== null) break;
  }
  return { metrics, expvar, tried: ports.slice(0, 16) };
}

/**
 * expvar whole, within the cap and the timeout: a cut JSON cannot be redacted, so an answer over
 * the cap or one that stalls is not kept, and says so.
 */
export async function fetchExpvar(reach: Reach, port: number, timeoutMs: number): Promise<{ status: ArtifactStatus; reason: string | null; body: Buffer | null; durationMs: number }> {
  const started = Date.now();
  try {
    const r = await httpGetViaTunnel(reach, port, EXPVAR_FETCH.path, { timeoutMs, maxBytes: EXPVAR_FETCH.cap, partial: true });
    const durationMs = Date.now() - started;
    if (r.status !== 200) return { status: 'failed', reason: `HTTP ${r.status} from ${EXPVAR_FETCH.path}`, body: null, durationMs };
    if (r.truncated) return { status: 'failed', reason: `${EXPVAR_FETCH.path} is larger than the ${EXPVAR_FETCH.cap / MiB} MiB cap; not kept (a cut JSON cannot be redacted)`, body: null, durationMs };
    if (r.timedOut)
      return { status: 'failed', reason: `${EXPVAR_FETCH.path} stalled after ${r.body.length} bytes: no complete answer within ${Math.round(timeoutMs / 1000)} s; not kept`, body: null, durationMs };
    return { status: 'ok', reason: null, body: r.body, durationMs };
  } catch (err) {
    return { status: 'failed', reason: (err as Error).message, body: null, durationMs: Date.now() - started };
  }
}

/**
 * The minimal capture: one SSH round trip reads the process's files through
 * the framed collector. Each artifact's blob is fsynced before its row is
 * written, and the session is finalised in one transaction, so a crash or a
 * dropped connection leaves a partial session whose saved artifacts are
 * intact and whose missing ones say why. A failure to store (a full disk, a
 * name the host sent twice) stops the capture and ends the session partial
 * with that reason; frames the parser refused make it partial too.
 */
import { randomUUID } from 'node:crypto';
import { ARTIFACTS, capOf, expectedArtifacts } from '../../shared/artifacts/registry';
import type { ArtifactStatus, EventName, EventPayload, GoMark, Host } from '../../shared/contract/api';
import type { Handlers } from '../../shared/contract/dispatch';
import { ApiError, messageOf } from '../../shared/contract/errors';
import { parseProcStatus } from '../../shared/parsers/procStatus';
import { isKernelThread } from '../../shared/analysis/processList';
import { redactCmdline, redactEnviron, type Redaction } from '../../shared/redact/secrets';
import { collect, type CollectedFile } from './frameCollector';
import { EXPVAR_FETCH, fetchExpvar, fetchToBlob, findMetricsEndpoints, findPprofPort, goFetches, METRICS_FETCH, type GoCaptureOptions } from './goArtifacts';
import { listeningPortsOf } from '../../shared/parsers/procNet';
import { redactExpvar } from '../../shared/redact/secrets';
import { describeRoute, resolveRoute, type NetRoute, type RouteDecision, type TargetNet } from './forward';
import { captureStacks, type StackTool } from './stacks';
import { BINARY_ARTIFACTS, captureGoBinary } from './captureBinary';
import { captureMemProbes } from './memProbes';
import { containerOf, goEnvOf } from '../../shared/parsers/container';
import { cgroupPathOf } from '../../shared/parsers/cgroupPath';
import { detectGo } from './processes';
import { bundleScript, captureScript, newNonce } from './remoteScripts';
import type { SshConnection } from './sshConnection';
import { isStorageError, type NewArtifact, type Store } from './store';

const MiB = 1024 * 1024;
/** The bundle stream's cap (base64 text): the largest smaps (256 MiB) and everything else, with room to spare. */
const BUNDLE_STREAM_CAP = 512 * MiB;

/** Caps per artifact name, for the frame parser (the script reads one byte more). */
function capFor(name: string): number {
  return capOf(name, MiB);
}

export interface CaptureTimer {
  readonly name: string;
  readonly remainingMs: number;
}

export interface CaptureCallbacks {
  /** `done` of `total` counts the planned artifacts only, so the total stays what it was at the start; `timers` are the timed fetches running now. */
  progress(step: string, done: number, total: number, timers: readonly CaptureTimer[]): void;
}

export interface CaptureOutcome {
  readonly status: 'complete' | 'partial' | 'failed';
  readonly reason: string | null;
  /** False when the session row was removed because nothing of it existed (process gone). */
  readonly kept: boolean;
}

const REDACTORS: Record<string, (raw: string) => { text: string; redactions: Redaction[] }> = {
  [ARTIFACTS.environ.name]: redactEnviron,
  [ARTIFACTS.cmdline.name]: redactCmdline,
};
/** Small files discovery needs later: the sockets and fd table (the pprof port), the cgroup, the mappings (memory probes). */
const KEPT_FOR_DISCOVERY: readonly string[] = [ARTIFACTS.netTcp.name, ARTIFACTS.netTcp6.name, ARTIFACTS.fd.name, ARTIFACTS.cgroup.name, ARTIFACTS.maps.name];

function statusOf(file: CollectedFile): { status: ArtifactStatus; reason: string | null } {
  if (file.skipped !== undefined) return { status: 'skipped', reason: file.skipped };
  if (file.rc !== 0) {
    const why = file.stderr.replace(/^.*?:\s*/, '') || `read failed with exit status ${file.rc}`;
    const hint = /permission denied|password is required|not allowed/i.test(file.stderr)
      ? ' (needs the same user as the process, or root: enable "use sudo -n" for this host and run the sudo probe)'
      : '';
    return { status: 'failed', reason: `${why}${hint}` };
  }
  if (file.truncated) return { status: 'truncated', reason: 'output cap reached; the rest was not read' };
  return { status: 'ok', reason: null };
}

/** What one capture reads and how; the session row exists already. */
export interface RunCaptureOptions {
  readonly conn: SshConnection;
  readonly store: Store;
  readonly sessionId: string;
  readonly pid: number;
  readonly signal: AbortSignal;
  readonly callbacks: CaptureCallbacks;
  /** Reads under `sudo -n` (the host's setting). */
  readonly sudo?: boolean;
  /** The Go half: pprof, /metrics and expvar, the binary's build info and runtime variables; null for none. */
  readonly go?: (GoCaptureOptions & { isGo: boolean; processMemory?: boolean }) | null;
  readonly stacks?: { enabled: boolean; tools?: readonly StackTool[] };
  /** The memory probes (on unless false). */
  readonly memProbes?: boolean;
}

export async function runCapture(o: RunCaptureOptions): Promise<CaptureOutcome> {
  const { conn, store, sessionId, pid, signal, callbacks: cb } = o;
  const script = { sudo: o.sudo === true };
  const go = o.go ?? null;
  const stacks = o.stacks ?? { enabled: false };
  // A pprof port the user gave is fetched even when the binary was not recognised as Go.
  const goList = go?.isGo || go?.pprofPort ? goFetches(go) : [];
  const binary = go?.isGo ? BINARY_ARTIFACTS : [];
  const memProbes = o.memProbes ?? true;
  const expected = expectedArtifacts({ pprof: goList.map((f) => f.name), goBinary: binary.length > 0, stacks: stacks.enabled });
  // Small files discovery needs later: the sockets and fd table, for finding the pprof port.
  const kept = new Map<string, string>();
  const discovery: { goEnv?: Record<string, string>; pprofPort?: number | null; network?: NetworkMeta } = {};
  const saved = new Set<string>();
  const nonce = newNonce();
  // Per-thread and per-cgroup files come beside the planned ones in numbers only the host knows:
  // they name the step but do not move the count, which keeps the total fixed.
  const planned = new Set(expected);
  const countedNames = new Set<string>();
  let done = 0;
  const total = expected.length;
  const running = new Map<string, number>();
  const report = (step: string) =>
    cb.progress(
      step,
      done,
      total,
      [...running].map(([name, endsAt]) => ({ name, remainingMs: Math.max(0, endsAt - Date.now()) })),
    );
  const count = (name: string) => {
    if (planned.has(name) && !countedNames.has(name)) {
      countedNames.add(name);
      done++;
    }
  };
  report('starting');

  const save = async (file: CollectedFile) => {
    if (KEPT_FOR_DISCOVERY.includes(file.name) && file.rc === 0 && !file.truncated) kept.set(file.name, file.bytes.toString('utf8'));
    // Only the Go runtime settings are taken from the raw environ; it is redacted before storage below.
    if (file.name === ARTIFACTS.environ.name && file.rc === 0) discovery.goEnv = goEnvOf(file.bytes.toString('utf8'));
    const { status, reason } = statusOf(file);
    let body: Buffer = file.bytes;
    let redactions: Redaction[] = [];
    const redactor = REDACTORS[file.name];
    if (redactor && body.length > 0) {
      const r = redactor(body.toString('utf8'));
      body = Buffer.from(r.text, 'utf8');
      redactions = r.redactions;
    }
    let sha256: string | null = null;
    if (status !== 'skipped' && (body.length > 0 || status === 'ok')) {
      const blob = await store.blobs.put(body);
      sha256 = blob.sha256;
    }
    const artifact: NewArtifact = { name: file.name, status, reason, sizeBytes: body.length, durationMs: file.durationMs, sha256 };
    await store.addArtifact(sessionId, artifact, redactions);
    saved.add(file.name);
    count(file.name);
    report(file.name);
  };

  const failed = async (err: unknown): Promise<CaptureOutcome> => {
    const reason = err instanceof ApiError ? err.message : isStorageError(err) ? store.storageError(err).message : `capture failed: ${(err as Error).message}`;
    const status = saved.size > 0 ? 'partial' : 'failed';
    await finish(store, sessionId, expected, saved, status, reason);
    return { status, reason, kept: true };
  };

  let result;
  try {
    result = await collect(conn, bundleScript(nonce, pid, script), {
      nonce,
      timeoutMs: 180_000,
      maxTotalBytes: BUNDLE_STREAM_CAP,
      capFor,
      signal,
      onBegin: (name) => report(name),
      onFile: save,
    });
  } catch (err) {
    return failed(err);
  }

  if (result.gone) {
    await store.deleteSession(sessionId);
    return { status: 'failed', reason: `Process ${pid} no longer exists on the host.`, kept: false };
  }
  let status: CaptureOutcome['status'] = 'complete';
  let reason: string | null = null;
  if (result.cancelled) {
    status = 'partial';
    reason = 'cancelled by the user';
  } else if (result.timedOut) {
    status = 'partial';
    reason = 'the capture timed out';
  } else if (result.truncatedStream) {
    status = 'partial';
    reason = `the collector's output passed the ${BUNDLE_STREAM_CAP / MiB} MiB limit; the rest was not read`;
  } else if (!result.complete) {
    status = 'partial';
    reason = conn.isOpen ? `the collector stopped early${result.stderr ? `: ${result.stderr.trim().slice(0, 300)}` : ''}` : 'the SSH connection dropped during capture';
  } else if (result.refusedCount > 0) {
    status = 'partial';
    reason = `refused ${result.refusedCount} artifact frame${result.refusedCount === 1 ? '' : 's'} from the host: ${result.refused.slice(0, 3).join('; ')}`;
  }
  if (status === 'complete') {
    // A failure to store stops the other slow items, and they settle before the session is finished.
    const slow = new AbortController();
    const onAbort = () => slow.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let slowFailure: unknown;
    const guard = (p: Promise<unknown>) =>
      p.catch((err: unknown) => {
        slowFailure ??= err;
        slow.abort();
      });
    const saveSlow = async (a: NewArtifact, redactions: readonly Redaction[] = []) => {
      if (slowFailure !== undefined) return;
      await store.addArtifact(sessionId, a, redactions);
      saved.add(a.name);
      running.delete(a.name);
      count(a.name);
      report(a.name);
    };
    // The way into the process's network namespace is found once, for pprof and the metrics alike.
    const routing = goList.length > 0 ? resolveRoute(conn, pid, { sudo: script.sudo === true, ...(go?.forwarders ? { forwarders: go.forwarders } : {}), signal: slow.signal }) : null;
    // The slow items run side by side, each on its own channel (the channel queue keeps MaxSessions).
    await Promise.all(
      [
        goList.length > 0
          ? captureGo(conn, routing!, store, sessionId, goList, go!, kept, slow.signal, saveSlow, (name, seconds) => {
              running.set(name, Date.now() + seconds * 1000);
              report(name);
            }).then((r) => {
              discovery.pprofPort = r.port;
              discovery.network = r.network;
            })
          : Promise.resolve(),
        goList.length > 0 ? captureMetrics(conn, routing!, store, go!, kept, slow.signal, saveSlow) : Promise.resolve(),
        binary.length > 0
          ? captureGoBinary(conn, store, pid, { ...script, processMemory: go?.processMemory ?? true, signal: slow.signal, progress: (step) => report(step) }, saveSlow).catch(async (err: unknown) => {
              for (const name of binary.filter((n) => !saved.has(n))) await saveSlow({ name, status: 'failed', reason: (err as Error).message, sizeBytes: 0, durationMs: null, sha256: null });
            })
          : Promise.resolve(),
        stacks.enabled && !signal.aborted
          ? captureStacks(conn, pid, { ...script, signal, ...(stacks.tools ? { tools: stacks.tools } : {}) }).then(
              async (st) => {
                const blob = st.body.length > 0 ? await store.blobs.put(st.body) : null;
                await saveSlow({ name: st.name, status: st.status, reason: st.reason, sizeBytes: st.body.length, durationMs: st.pausedAtMostMs, sha256: blob?.sha256 ?? null });
              },
              async (err: unknown) => saveSlow({ name: ARTIFACTS.nativeStacks.name, status: 'failed', reason: (err as Error).message, sizeBytes: 0, durationMs: null, sha256: null }),
            )
          : Promise.resolve(),
        saveMemProbes(conn, store, pid, memProbes ? (kept.get(ARTIFACTS.maps.name) ?? null) : undefined, { ...script, signal: slow.signal }, saveSlow),
      ].map(guard),
    );
    signal.removeEventListener('abort', onAbort);
    if (slowFailure !== undefined) return failed(slowFailure);
    if (signal.aborted) {
      status = 'partial';
      reason = 'cancelled by the user';
    } else if (!conn.isOpen) {
      status = 'partial';
      reason = 'the SSH connection dropped during capture';
    }
  }
  if (status === 'complete') {
    const cgroupText = kept.get(ARTIFACTS.cgroup.name) ?? '';
    const meta = Buffer.from(
      JSON.stringify(
        {
          isGo: go?.isGo ?? false,
          goEnv: discovery.goEnv ?? null,
          cgroupPath: cgroupPathOf(cgroupText),
          container: containerOf(cgroupText),
          pprofPort: discovery.pprofPort ?? null,
          network: discovery.network ?? null,
        },
        null,
        2,
      ),
    );
    try {
      const blob = await store.blobs.put(meta);
      await store.addArtifact(sessionId, { name: ARTIFACTS.discovery.name, status: 'ok', reason: null, sizeBytes: meta.length, durationMs: 0, sha256: blob.sha256 });
    } catch (err) {
      return failed(err);
    }
    saved.add(ARTIFACTS.discovery.name);
    count(ARTIFACTS.discovery.name);
    report(ARTIFACTS.discovery.name);
  }
  await finish(store, sessionId, expected, saved, status, reason);
  return { status, reason, kept: true };
}

async function finish(store: Store, sessionId: string, expected: readonly string[], saved: ReadonlySet<string>, status: 'complete' | 'partial' | 'failed', reason: string | null): Promise<void> {
  const missing: NewArtifact[] = expected
    .filter((name) => !saved.has(name))
    .map((name) => ({ name, status: 'failed' as const, reason: `not captured: ${reason ?? 'no data received'}`, sizeBytes: 0, durationMs: null, sha256: null }));
  await store.finishSession(sessionId, status, reason, missing);
}

/** The memory probes (memProbes.ts), or a skipped artifact when switched off (`maps` undefined). */
async function saveMemProbes(
  conn: SshConnection,
  store: Store,
  pid: number,
  maps: string | null | undefined,
  opts: { sudo?: boolean; signal: AbortSignal },
  save: (a: NewArtifact) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const r =
    maps === undefined
      ? { status: 'skipped' as const, reason: 'memory probes were switched off for this capture', body: Buffer.alloc(0) }
      : await captureMemProbes(conn, pid, maps, opts).catch((err: unknown) => ({ status: 'failed' as const, reason: `memory probes failed: ${(err as Error).message}`, body: Buffer.alloc(0) }));
  const blob = r.body.length > 0 ? await store.blobs.put(r.body) : null;
  await save({ name: ARTIFACTS.memProbes.name, status: r.status, reason: r.reason, sizeBytes: r.body.length, durationMs: Date.now() - started, sha256: blob?.sha256 ?? null });
}

export function newCaptureId(): string {
  return randomUUID();
}

/** `capture.start`: what the caller asked for (defaults applied), on which host and connection. */
export interface StartCaptureOptions {
  readonly conn: SshConnection;
  readonly store: Store;
  readonly host: Host;
  readonly request: Parameters<Handlers['capture.start']>[0];
  /** The process list's Go detection for this PID, when it was listed; else detected here. */
  readonly knownGo?: GoMark;
  /** The process list marked this PID a kernel thread (used when its stat cannot be read now). */
  readonly knownKernelThread?: boolean;
  readonly emit: <E extends 'capture.progress' | 'capture.finished'>(event: E & EventName, payload: EventPayload<E>) => void;
}

export interface StartedCapture {
  readonly captureId: string;
  readonly sessionId: string;
  readonly controller: AbortController;
  /** Settles when the capture has finished and `capture.finished` was emitted; never rejects. */
  readonly done: Promise<void>;
}

/**
 * Checks the process exists before any row is written (a vanished PID is a `process-gone` error
 * and leaves nothing behind), inserts the session as capturing, and runs the capture in the
 * background, emitting progress and, at the end, `capture.finished`.
 */
export async function startCapture(o: StartCaptureOptions): Promise<StartedCapture> {
  const { conn, store, host, request: r } = o;
  const pid = r.pid;
  const nonce = newNonce();
  const cap = 64 * 1024;
  const probe = await collect(
    conn,
    captureScript(nonce, pid, [
      { name: ARTIFACTS.status.name, path: `/proc/${pid}/status`, cap },
      { name: ARTIFACTS.stat.name, path: `/proc/${pid}/stat`, cap: 4096 },
    ]),
    { nonce, timeoutMs: 15_000, maxTotalBytes: MiB, capFor: () => cap },
  );
  const status = probe.files.get(ARTIFACTS.status.name);
  if (probe.gone || !status || status.rc !== 0) {
    throw new ApiError('process-gone', `Process ${pid} does not exist on ${host.label}.`, 'Refresh the process list and pick a running process.');
  }
  const parsed = parseProcStatus(status.bytes.toString('utf8'));
  const stat = probe.files.get(ARTIFACTS.stat.name);
  const statText = stat && stat.rc === 0 ? stat.bytes.toString('utf8') : null;
  if (isKernelThread({ pid, ppid: parsed.ok ? (parsed.value.ppid ?? 0) : 0, statText, exeMissing: false }) || (statText === null && o.knownKernelThread)) {
    throw new ApiError(
      'invalid-input',
      `PID ${pid} on ${host.label} is a kernel thread: it has no user memory, executable or Go runtime to capture.`,
      'Pick a user process; the process list shows kernel threads last, without a Capture button.',
    );
  }
  const goMark = o.knownGo ?? (await detectGo(conn, [pid], new Map(), undefined, { sudo: host.useSudo })).get(pid);
  const sessionId = await store.beginSession({ hostId: host.id, hostLabel: host.label, pid, processName: parsed.ok ? parsed.value.name : `pid ${pid}`, goVersion: goMark?.goVersion ?? null });
  const captureId = newCaptureId();
  const controller = new AbortController();
  const done = (async () => {
    try {
      const outcome = await runCapture({
        conn,
        store,
        sessionId,
        pid,
        signal: controller.signal,
        callbacks: { progress: (step, n, total, timers) => o.emit('capture.progress', { captureId, sessionId, step, done: n, total, timers: [...timers] }) },
        sudo: host.useSudo,
        go: {
          isGo: goMark?.kind === 'go',
          processMemory: r.processMemory,
          ...(r.cpuProfileSeconds ? { cpuProfileSeconds: r.cpuProfileSeconds } : {}),
          ...(r.traceSeconds ? { traceSeconds: r.traceSeconds } : {}),
          ...(r.traceCapBytes ? { traceCapBytes: r.traceCapBytes } : {}),
          ...(r.pprofPort ? { pprofPort: r.pprofPort } : {}),
          ...(r.forwarders ? { forwarders: r.forwarders } : {}),
        },
        stacks: { enabled: r.stacks, ...(r.stackTools ? { tools: r.stackTools } : {}) },
        memProbes: r.memProbes,
      });
      o.emit('capture.finished', { captureId, sessionId, status: outcome.status, reason: outcome.reason });
    } catch (err) {
      const reason = messageOf(err);
      await store.finishSession(sessionId, 'failed', reason, []).catch(() => undefined);
      o.emit('capture.finished', { captureId, sessionId, status: 'failed', reason });
    }
  })();
  return { captureId, sessionId, controller, done };
}

const NO_PPROF =
  'no net/http/pprof endpoint found among the process’s listening sockets. To get goroutine, heap and profile data, import _ "net/http/pprof" and serve http.DefaultServeMux on 127.0.0.1 (or give its port). Gopherscope never signals the target: SIGQUIT would kill a Go process.';

/** How the process's loopback was reached, for meta/discovery.json and the Overview. */
export type NetworkMeta =
  | { readonly route: 'direct'; readonly note: string | null; readonly description: string }
  | { readonly route: 'netns'; readonly netns: string; readonly forwarder: string; readonly sudo: boolean; readonly description: string }
  | { readonly route: 'refused'; readonly reason: string };

function networkMeta(route: NetRoute): Exclude<NetworkMeta, { route: 'refused' }> {
  return route.kind === 'direct'
    ? { route: 'direct', note: route.note, description: describeRoute(route) }
    : { route: 'netns', netns: route.netns, forwarder: route.forwarder, sudo: route.sudo, description: describeRoute(route) };
}

/**
 * The pprof half: find the process's network namespace and the way into it, find the endpoint,
 * then fetch everything over tunnels, three at a time.
 */
async function captureGo(
  conn: SshConnection,
  routing: Promise<RouteDecision>,
  store: Store,
  sessionId: string,
  list: ReturnType<typeof goFetches>,
  opts: GoCaptureOptions,
  kept: ReadonlyMap<string, string>,
  signal: AbortSignal,
  saveOne: (a: NewArtifact) => Promise<void>,
  onTimed: (name: string, seconds: number) => void,
): Promise<{ port: number | null; network: NetworkMeta }> {
  const decision = await routing;
  if (decision.kind === 'refused') {
    for (const f of list) await saveOne({ name: f.name, status: 'skipped', reason: decision.reason, sizeBytes: 0, durationMs: null, sha256: null });
    return { port: null, network: { route: 'refused', reason: decision.reason } };
  }
  const reach: TargetNet = { conn, route: decision.route };
  const network = networkMeta(decision.route);
  let port = opts.pprofPort ?? null;
  let why = '';
  if (port === null) {
    const found = await findPprofPort(reach, [kept.get(ARTIFACTS.netTcp.name) ?? '', kept.get(ARTIFACTS.netTcp6.name) ?? ''], kept.get(ARTIFACTS.fd.name) ?? '', signal);
    port = found.port;
    why = found.tried.length > 0 ? ` (listening ports tried: ${found.tried.join(', ')}, through ${network.description})` : ' (it listens on no TCP port we could see)';
  }
  if (port === null) {
    for (const f of list) await saveOne({ name: f.name, status: 'skipped', reason: `${NO_PPROF}${why}`, sizeBytes: 0, durationMs: null, sha256: null });
    return { port: null, network };
  }
  const queue = [...list];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      if (signal.aborted) return;
      const timeout = (opts.requestTimeoutMs ?? 30_000) + (f.seconds ?? 0) * 1000;
      if (f.seconds) onTimed(f.name, f.seconds);
      const r = await fetchToBlob(reach, store.blobs, port!, f, timeout, signal);
      await saveOne({ name: r.name, status: r.status, reason: r.reason, sizeBytes: r.sizeBytes, durationMs: r.durationMs, sha256: r.sha256 });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return { port, network };
}

const NO_METRICS = (path: string, ports: readonly number[]) =>
  `no ${path === METRICS_FETCH.path ? 'Prometheus text /metrics (client_golang promhttp)' : 'expvar /debug/vars'} endpoint among the process's listening sockets${ports.length ? ` (ports tried: ${ports.join(', ')})` : ' (it listens on no TCP port we could see)'}; the runtime settings then come from weaker sources`;

/**
 * The runtime's own account of its settings: client_golang's /metrics (GOMAXPROCS, the memory
 * limit and GOGC as runtime/metrics reports them) and expvar's /debug/vars (MemStats), through
 * the same tunnels as pprof. /metrics streams to its blob under a cap and a timeout; expvar is
 * redacted whole before it is stored.
 */
async function captureMetrics(
  conn: SshConnection,
  routing: Promise<RouteDecision>,
  store: Store,
  opts: GoCaptureOptions,
  kept: ReadonlyMap<string, string>,
  signal: AbortSignal,
  saveOne: (a: NewArtifact, redactions?: readonly Redaction[]) => Promise<void>,
): Promise<void> {
  const decision = await routing;
  if (decision.kind === 'refused') {
    for (const name of [METRICS_FETCH.name, EXPVAR_FETCH.name]) await saveOne({ name, status: 'skipped', reason: decision.reason, sizeBytes: 0, durationMs: null, sha256: null });
    return;
  }
  const reach: TargetNet = { conn, route: decision.route };
  const listening = listeningPortsOf([kept.get(ARTIFACTS.netTcp.name) ?? '', kept.get(ARTIFACTS.netTcp6.name) ?? ''], kept.get(ARTIFACTS.fd.name) ?? '');
  const ports = [...new Set([...(opts.pprofPort ? [opts.pprofPort] : []), ...listening])];
  const found = await findMetricsEndpoints(reach, ports);
  const timeoutMs = Math.min(opts.requestTimeoutMs ?? 10_000, 10_000);
  const skipped = (name: string, reason: string): NewArtifact => ({ name, status: 'skipped', reason, sizeBytes: 0, durationMs: null, sha256: null });
  if (signal.aborted) return;
  if (found.metrics === null) await saveOne(skipped(METRICS_FETCH.name, NO_METRICS(METRICS_FETCH.path, found.tried)));
  else {
    const r = await fetchToBlob(reach, store.blobs, found.metrics, METRICS_FETCH, timeoutMs, signal);
    await saveOne({ name: r.name, status: r.status, reason: r.reason, sizeBytes: r.sizeBytes, durationMs: r.durationMs, sha256: r.sha256 });
  }
  if (found.expvar === null) await saveOne(skipped(EXPVAR_FETCH.name, NO_METRICS(EXPVAR_FETCH.path, found.tried)));
  else {
    const r = await fetchExpvar(reach, found.expvar, timeoutMs);
    const redacted = r.body ? redactExpvar(r.body.toString('utf8')) : null;
    if (r.body && !redacted)
      await saveOne({
        name: EXPVAR_FETCH.name,
        status: 'failed',
        reason: `${EXPVAR_FETCH.path} on port ${found.expvar} is not a JSON object; not kept`,
        sizeBytes: 0,
        durationMs: r.durationMs,
        sha256: null,
      });
    else if (!redacted) await saveOne({ name: EXPVAR_FETCH.name, status: r.status, reason: r.reason, sizeBytes: 0, durationMs: r.durationMs, sha256: null });
    else {
      const body = Buffer.from(redacted.text, 'utf8');
      const blob = await store.blobs.put(body);
      await saveOne({ name: EXPVAR_FETCH.name, status: 'ok', reason: null, sizeBytes: body.length, durationMs: r.durationMs, sha256: blob.sha256 }, redacted.redactions);
    }
  }
}

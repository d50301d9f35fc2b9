/**
 * Reaching a service on the target's loopback (a Go process's pprof or metrics endpoint) without
 * exposing it on the network and without curl on the host. Two routes:
 * - direct: an SSH direct-tcpip channel to 127.0.0.1:PORT in the host's (the SSH session's)
 *   network namespace;
 * - netns: for a process in another network namespace (a container with its own loopback), an exec
 *   channel running `nsenter -t PID -n` with a forwarder the host already has (socat, busybox nc,
 *   bash's /dev/tcp), whose stdin and stdout are the TCP stream. Nothing is installed.
 * Every HTTP fetch goes through `openTunnel`, so it works the same on either route.
 */
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { FORWARDERS, type Forwarder } from '../../shared/capture/plan';
import { ApiError } from '../../shared/contract/errors';
import { CappedStream } from './cappedStream';
import { forwarderCommand, netnsProbeScript } from './remoteScripts';
import type { ClientChannel } from 'ssh2';
import type { Bounds, SshConnection } from './sshConnection';

export type NetRoute =
  | {
      readonly kind: 'direct';
      /** Why the direct route was taken when the namespace could not be compared, else null. */
      readonly note: string | null;
    }
  | {
      readonly kind: 'netns';
      readonly pid: number;
      /** The process's network namespace, as readlink /proc/PID/ns/net shows it. */
      readonly netns: string;
      readonly forwarder: Forwarder;
      /** nsenter runs under sudo -n (the SSH user is not root). */
      readonly sudo: boolean;
    };

/** A connection and the route to the target's network namespace. */
export interface TargetNet {
  readonly conn: SshConnection;
  readonly route: NetRoute;
}

/** A bare connection means the direct route. */
export type Reach = SshConnection | TargetNet;

const DIRECT: NetRoute = { kind: 'direct', note: null };

function split(reach: Reach): TargetNet {
  return 'route' in reach && 'conn' in reach ? reach : { conn: reach as SshConnection, route: DIRECT };
}

/** The route in words, for artifact reasons and discovery metadata. */
export function describeRoute(route: NetRoute): string {
  if (route.kind === 'direct') return `an SSH direct-tcpip tunnel to the host's loopback${route.note ? ` (${route.note})` : ''}`;
  return `${route.sudo ? 'sudo -n ' : ''}nsenter -t ${route.pid} -n with ${route.forwarder === 'busybox-nc' ? 'busybox nc' : route.forwarder === 'bash' ? "bash's /dev/tcp" : 'socat'} into the process's network namespace ${route.netns}`;
}

export interface NetnsProbe {
  readonly self: string | null;
  readonly target: string | null;
  readonly targetError: string | null;
  readonly uid: number | null;
  readonly nsenter: string | null;
  /** Whether sudo -n allows nsenter: null when it was not asked (root, or sudo not enabled). */
  readonly sudoNsenter: 'ok' | 'denied' | 'nosudo' | null;
  readonly forwarders: readonly Forwarder[];
}

export function parseNetnsProbe(text: string): NetnsProbe {
  const kv = new Map<string, string>();
  const forwarders: Forwarder[] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1).trim();
    if (k === 'fw') {
      if ((FORWARDERS as readonly string[]).includes(v)) forwarders.push(v as Forwarder);
    } else if (!kv.has(k)) kv.set(k, v);
  }
  const ns = (v: string | undefined) => (v && /^net:\[\d+\]$/.test(v) ? v : null);
  const sudo = kv.get('sudo-nsenter');
  const uid = kv.get('uid');
  return {
    self: ns(kv.get('self')),
    target: ns(kv.get('target')),
    targetError: kv.get('target-error') || null,
    uid: uid && /^\d+$/.test(uid) ? Number(uid) : null,
    nsenter: kv.get('nsenter') || null,
    sudoNsenter: sudo === 'ok' || sudo === 'denied' || sudo === 'nosudo' ? sudo : null,
    forwarders,
  };
}

export type RouteDecision = { readonly kind: 'route'; readonly route: NetRoute } | { readonly kind: 'refused'; readonly reason: string };

/**
 * Decides how to reach the process's loopback from the probe: direct when it shares the session's
 * network namespace (or that cannot be told), else nsenter with the first allowed forwarder, or a
 * refusal that says what is missing.
 */
export function decideRoute(pid: number, p: NetnsProbe, opts: { sudo?: boolean; forwarders?: readonly Forwarder[] } = {}): RouteDecision {
  if (!p.self || !p.target) {
    const why = p.target
      ? 'this session’s own namespace could not be read'
      : `readlink /proc/${pid}/ns/net failed${p.targetError ? `: ${p.targetError}` : ''}${opts.sudo ? '' : ' (enable sudo -n for this host to read it)'}`;
    return { kind: 'route', route: { kind: 'direct', note: `cannot tell whether the process has its own network namespace: ${why}` } };
  }
  if (p.self === p.target) return { kind: 'route', route: DIRECT };
  const where = `Process ${pid} is in another network namespace (${p.target}; this SSH session is in ${p.self}), such as a container with its own loopback`;
  if (!p.nsenter)
    return { kind: 'refused', reason: `${where}. Reaching it needs nsenter (util-linux), which is not on the host's PATH. Gopherscope installs nothing; give a port the host can reach instead.` };
  let sudo = false;
  if (p.uid !== 0) {
    if (!opts.sudo) return { kind: 'refused', reason: `${where}. Entering it needs root: enable "use sudo -n" for this host, with a sudoers rule allowing ${p.nsenter}.` };
    if (p.sudoNsenter !== 'ok') {
      const why = p.sudoNsenter === 'nosudo' ? 'sudo is not installed' : `sudo -n does not allow ${p.nsenter} for this user`;
      return { kind: 'refused', reason: `${where}. Entering it needs root and ${why}: add a sudoers rule such as USER ALL=(root) NOPASSWD: ${p.nsenter}.` };
    }
    sudo = true;
  }
  const allowed = opts.forwarders ?? FORWARDERS;
  const forwarder = allowed.find((f) => p.forwarders.includes(f));
  if (!forwarder) {
    return {
      kind: 'refused',
      reason: `${where}. No forwarder to carry the connection is on the host: tried ${allowed.map((f) => (f === 'busybox-nc' ? 'busybox nc' : f === 'bash' ? "bash's /dev/tcp" : f)).join(', ')}${p.forwarders.length > 0 ? ` (the host has ${p.forwarders.join(', ')}, not allowed here)` : ''}. Gopherscope installs nothing on the host.`,
    };
  }
  return { kind: 'route', route: { kind: 'netns', pid, netns: p.target, forwarder, sudo } };
}

/** Probes the process's network namespace and decides the route to its loopback. */
export async function resolveRoute(conn: SshConnection, pid: number, opts: { sudo?: boolean; forwarders?: readonly Forwarder[]; signal?: AbortSignal } = {}): Promise<RouteDecision> {
  const r = await conn.exec(netnsProbeScript(pid, { sudo: opts.sudo === true }), { timeoutMs: 15_000, maxBytes: 16 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (r.timedOut) return { kind: 'route', route: { kind: 'direct', note: 'the network namespace probe timed out' } };
  return decideRoute(pid, parseNetnsProbe(r.stdout.toString('utf8')), opts);
}

const forwarderStderr = new WeakMap<Duplex, () => string>();

/** What the forwarder said on stderr, for an error message (empty for direct tunnels). */
export function tunnelStderr(tunnel: Duplex): string {
  return (forwarderStderr.get(tunnel)?.() ?? '').trim().slice(0, 300);
}

/**
 * One TCP stream to host:PORT on the target's loopback (127.0.0.1 unless given). `bounds` covers
 * opening it: the direct-tcpip channel, or the forwarder's exec channel, whose life on the host is
 * also capped by `timeout` at the same deadline.
 */
export async function openTunnel(reach: Reach, port: number, bounds: Bounds, host = '127.0.0.1'): Promise<Duplex> {
  const { conn, route } = split(reach);
  if (route.kind === 'netns') {
    const timeoutS = Math.ceil(Math.max(0, bounds.deadline - Date.now()) / 1000) + 5;
    const s = await conn.execStream(forwarderCommand(route, port, timeoutS), bounds);
    forwarderStderr.set(s.stream, s.stderr);
    return s.stream;
  }
  return conn
    .open<ClientChannel>(`a tunnel to ${host}:${port} on the host`, (cb) => conn.raw.forwardOut('127.0.0.1', 0, host, port, cb), bounds)
    .catch((err: Error) => {
      throw err instanceof ApiError
        ? err
        : new ApiError(
            'remote-failed',
            `Could not open a tunnel to ${host}:${port} on the host: ${err.message}`,
            'Is something listening there, and does sshd allow TCP forwarding (AllowTcpForwarding)?',
          );
    });
}

/** Why an HTTP exchange over a tunnel failed, with the forwarder's own words when it has any. */
export function tunnelFailure(tunnel: Duplex, err: Error): string {
  const said = tunnelStderr(tunnel);
  return `HTTP over the tunnel failed: ${err.message}${said ? ` (the forwarder said: ${said})` : ''}`;
}

export interface TunnelResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly truncated: boolean;
  /** The answer stalled and `partial` was asked for: the body is what came before the timeout. */
  readonly timedOut?: boolean;
}

/**
 * GET over a tunnel with a body cap; `timeoutMs` and `signal` cover opening the tunnel and the whole
 * exchange. With `partial`, an answer that started but stalls resolves with what came (timedOut),
 * instead of failing: enough to recognise an endpoint.
 */
export async function httpGetViaTunnel(reach: Reach, port: number, path: string, opts: { timeoutMs: number; maxBytes: number; partial?: boolean; signal?: AbortSignal }): Promise<TunnelResponse> {
  let started: (() => void) | null = null;
  const bounds: Bounds = { deadline: Date.now() + opts.timeoutMs, signal: opts.signal };
  const tunnel = await openTunnel(reach, port, bounds);
  return new Promise((resolve, reject) => {
    const body = new CappedStream({ maxBytes: opts.maxBytes, deadline: bounds.deadline, signal: opts.signal });
    const fail = (err: ApiError) => {
      if (!body.settle()) return;
      req.destroy();
      tunnel.destroy();
      reject(err);
    };
    const req = request({ createConnection: () => tunnel as never, host: '127.0.0.1', port, path, method: 'GET', headers: { Host: `127.0.0.1:${port}`, Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (body.truncated) return;
        chunks.push(body.take(c));
        if (body.truncated) {
          res.destroy();
          done();
        }
      });
      const done = (timedOut = false) => {
        if (!body.settle()) return;
        if (timedOut) req.destroy();
        tunnel.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated: body.truncated, ...(timedOut ? { timedOut } : {}) });
      };
      if (opts.partial) started = () => done(true);
      res.on('end', () => done());
      res.on('error', () => done());
    });
    body.arm({
      onTimeout: () => (started ? started() : fail(new ApiError('remote-failed', `No answer from 127.0.0.1:${port}${path} within ${opts.timeoutMs} ms.`))),
      onAbort: () => fail(new ApiError('cancelled', `Cancelled during GET 127.0.0.1:${port}${path}.`)),
    });
    req.on('error', (err) => fail(new ApiError('remote-failed', tunnelFailure(tunnel, err))));
    req.end();
  });
}

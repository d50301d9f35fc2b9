/**
 * One ssh2 connection per host, verified against known_hosts before any
 * authentication happens. Every exec has a timeout and an output cap, and
 * channels are queued so a server's MaxSessions is never exceeded. The
 * timeout and the cancel signal cover every wait on the server: the queue,
 * the channel open, the request on it, and the run. Authentication is in
 * sshAuth.ts, errors in words in sshErrors.ts, the queue in channelPool.ts.
 */
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { ApiError } from '../../shared/contract/errors';
import { CappedStream } from './cappedStream';
import { ChannelPool, type Bounds } from './channelPool';
import { hostKeyAlgorithmsFor, presentedKey, type HostKeyVerdict, type KnownHosts, type PresentedKey } from './knownHosts';
import { HopAuth, type Prompter } from './sshAuth';
import { cancelledWhile, describeConnectError, execOpenError, seconds } from './sshErrors';

export type { Bounds } from './channelPool';
export type { PromptRequest, Prompter } from './sshAuth';

export interface SshTarget {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile?: string | undefined;
}

export type HostKeyProblem = Exclude<HostKeyVerdict, { kind: 'trusted' }>;

export type ConnectOutcome =
  | { readonly kind: 'connected'; readonly connection: SshConnection; readonly key: PresentedKey }
  | { readonly kind: 'host-key'; readonly key: PresentedKey; readonly verdict: HostKeyProblem; readonly hop: string; readonly canTrust: boolean };

export interface ConnectOptions {
  readonly knownHosts: KnownHosts;
  readonly strictHostKeyChecking?: 'ask' | 'yes' | 'accept-new';
  /** ProxyJump hops, first first. Each is verified and authenticated like the target. */
  readonly jumps?: readonly SshTarget[];
  readonly prompt?: Prompter;
  readonly agentSocket?: string | undefined;
  readonly identitiesOnly?: boolean;
  /** Identity files to try when a target names none (OpenSSH's defaults). */
  readonly defaultIdentities?: readonly string[];
  readonly timeoutMs?: number;
}

export interface ExecOptions {
  /** For the whole exec, from the call: queue, channel open, exec request and run. */
  readonly timeoutMs: number;
  /** Bytes of stdout kept; beyond it the channel is closed and the result marked truncated. */
  readonly maxBytes: number;
  readonly onStdout?: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
  /** Flow control for onStdout: while paused, SSH's window stops the remote writer. */
  readonly onFlow?: (flow: { pause(): void; resume(): void }) => void;
}

export interface ExecResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly truncated: boolean;
  readonly cancelled: boolean;
}

export interface ExecStream {
  /** stdin and stdout of the remote command. */
  readonly stream: Duplex;
  /** What the command wrote on stderr so far (capped). */
  stderr(): string;
  /** Its exit status once the channel has reported it. */
  exitCode(): number | null;
}

const CONNECT_TIMEOUT_MS = 15_000;
const MAX_STDERR = 64 * 1024;

const hopName = (t: SshTarget) => `${t.hostname}:${t.port}`;

/** The part of ssh2's private channel table we touch; see openChannel. */
interface ChannelTable {
  readonly _channels: Record<string, unknown>;
  get(id: number): unknown;
  update(id: number, value: unknown): void;
}

function channelTable(client: Client): ChannelTable | undefined {
  const t = (client as unknown as { _chanMgr?: Partial<ChannelTable> })._chanMgr;
  return t && typeof t._channels === 'object' && typeof t.get === 'function' && typeof t.update === 'function' ? (t as ChannelTable) : undefined;
}

/**
 * Opens an ssh2 channel — `start` calls exec, shell, forwardOut, ... with the
 * callback — under a deadline and a cancel signal covering the CHANNEL_OPEN
 * and the request sent on it (exec, pty, shell), for which ssh2 has neither.
 * ssh2 hands the channel over only once everything is answered, so when we
 * give up first, the half-open channel is found in ssh2's channel table (the
 * one entry `start` added) and closed: at once if the server has confirmed the
 * open, else the moment its late confirmation arrives (instead of delivering
 * it). A channel delivered after we gave up is closed too. Errors ssh2
 * reports are passed on as they are, for the caller to describe.
 */
export function openChannel<T extends { close(): unknown }>(
  client: Client,
  what: string,
  start: (callback: (err: Error | undefined, channel: T) => void) => void,
  bounds: Bounds,
  timeoutCode: 'remote-failed' | 'connect-timeout' = 'remote-failed',
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (bounds.signal?.aborted) return reject(cancelledWhile(what));
    const waitMs = bounds.deadline - Date.now();
    if (waitMs <= 0) return reject(new ApiError(timeoutCode, `No time was left to open ${what}.`));
    const table = channelTable(client);
    const before = table ? new Set(Object.keys(table._channels)) : null;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      bounds.signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (err: ApiError) => {
      if (settled) return;
      settle();
      abandon();
      reject(err);
    };
    const onAbort = () => giveUp(cancelledWhile(what));
    try {
      start((err, channel) => {
        if (settled) {
          if (!err) channel.close();
          return;
        }
        settle();
        if (err) reject(err);
        else resolve(channel);
      });
    } catch (err) {
      settle();
      return reject(err as Error);
    }
    if (settled) return;
    const id = before ? Object.keys(table!._channels).find((k) => !before.has(k)) : undefined;
    const abandon = () => {
      if (!table || id === undefined) return;
      const entry = table.get(Number(id));
      if (typeof entry === 'function') {
        // Still unanswered: ssh2 calls this entry with the channel on CHANNEL_OPEN_CONFIRMATION.
        const closeOnArrival = Object.assign((err: Error | undefined, channel?: { close(): unknown }) => void (err ? undefined : channel?.close()), { type: (entry as { type?: string }).type });
        table.update(Number(id), closeOnArrival);
      } else if (entry && typeof (entry as { close?: unknown }).close === 'function') {
        // Open, its request unanswered: ssh2 fails the request's callback when the close completes.
        (entry as { close(): unknown }).close();
      }
    };
    timer = setTimeout(
      () =>
        giveUp(
          new ApiError(
            timeoutCode,
            `The server did not answer the request for ${what} within ${seconds(waitMs)}.`,
            'The host or its sshd may be overloaded or stuck. Try again, or disconnect and reconnect.',
          ),
        ),
      waitMs,
    );
    bounds.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Connects through every jump hop to the target; closes what it opened on any failure. */
export async function connectSsh(target: SshTarget, opts: ConnectOptions): Promise<ConnectOutcome> {
  const chain = [...(opts.jumps ?? []), target];
  const opened: Client[] = [];
  let sock: Duplex | undefined;
  try {
    for (let i = 0; i < chain.length; i++) {
      const hop = chain[i]!;
      const r = await connectHop(hop, sock, opts);
      if (r.kind === 'host-key') {
        for (const c of opened) c.end();
        return r;
      }
      opened.push(r.client);
      if (i === chain.length - 1) {
        return { kind: 'connected', connection: new SshConnection(r.client, target, 8, opened.slice(0, -1)), key: r.key };
      }
      const next = chain[i + 1]!;
      sock = await openChannel<ClientChannel>(
        r.client,
        `a tunnel from jump host ${hopName(hop)} to ${hopName(next)}`,
        (cb) => r.client.forwardOut('127.0.0.1', 0, next.hostname, next.port, cb),
        { deadline: Date.now() + (opts.timeoutMs ?? CONNECT_TIMEOUT_MS) },
        'connect-timeout',
      ).catch((err: Error) => {
        throw err instanceof ApiError
          ? err
          : new ApiError('connect-refused', `Jump host ${hopName(hop)} could not reach ${hopName(next)}: ${err.message}`, 'Check the next hop address and that the jump host allows TCP forwarding.');
      });
    }
    throw new Error('empty chain');
  } catch (err) {
    for (const c of opened) c.end();
    throw err;
  }
}

async function connectHop(
  target: SshTarget,
  sock: Duplex | undefined,
  opts: ConnectOptions,
): Promise<{ kind: 'ok'; client: Client; key: PresentedKey } | Extract<ConnectOutcome, { kind: 'host-key' }>> {
  const hop = hopName(target);
  const strict = opts.strictHostKeyChecking ?? 'ask';
  const client = new Client();
  let refused: Extract<ConnectOutcome, { kind: 'host-key' }> | undefined;
  let accepted: PresentedKey | undefined;
  const auth = new HopAuth(target, hop, opts);

  // Offer the host-key algorithms of the key types on record first (OpenSSH's order_hostkeyalgs),
  // so the server presents the key we can check; any other type is then refused as a change.
  const serverHostKey = hostKeyAlgorithmsFor(await opts.knownHosts.knownKeyTypes(target.hostname, target.port));
  const config: ConnectConfig = {
    ...(serverHostKey ? { algorithms: { serverHostKey } as ConnectConfig['algorithms'] } : {}),
    host: target.hostname,
    port: target.port,
    username: target.user,
    ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
    readyTimeout: opts.timeoutMs ?? CONNECT_TIMEOUT_MS,
    // ssh2 leaves keepalive off by default and then never notices a dead peer.
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    tryKeyboard: true,
    authHandler: auth.handler(),
    hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
      const presented = presentedKey(key);
      opts.knownHosts.verify(target.hostname, target.port, presented).then(
        async (verdict) => {
          if (verdict.kind === 'trusted') {
            accepted = presented;
            return verify(true);
          }
          if (verdict.kind === 'unknown' && strict === 'accept-new') {
            // accept-new: record a first-seen key, as OpenSSH does; a changed key is still refused.
            await opts.knownHosts.trust(target.hostname, target.port, presented.keyType, presented.keyBase64);
            accepted = presented;
            return verify(true);
          }
          refused = { kind: 'host-key', key: presented, verdict, hop, canTrust: strict === 'ask' };
          verify(false);
        },
        () => verify(false),
      );
    }) as unknown as ConnectConfig['hostVerifier'],
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    client.once('ready', () => {
      settled = true;
      resolve({ kind: 'ok', client, key: accepted! });
    });
    client.once('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      if (refused) return resolve(refused);
      if (auth.problem && auth.tried.length === 0) return reject(auth.problem);
      reject(describeConnectError(err, target, auth.tried, auth.serverMethods, auth.problem));
    });
    try {
      client.connect(config);
    } catch (err) {
      settled = true;
      reject(describeConnectError(err as Error, target, auth.tried, auth.serverMethods, auth.problem));
    }
  });
}

export class SshConnection {
  private readonly channels: ChannelPool<ClientChannel>;
  private readonly closeListeners = new Set<(reason: string) => void>();

  constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    /** Channels open at once; sshd's default MaxSessions is 10. */
    maxChannels = 8,
    /** Jump-host connections this one tunnels through, closed with it. */
    private readonly via: readonly Client[] = [],
  ) {
    this.channels = new ChannelPool<ClientChannel>(
      { openExec: (command, bounds) => this.open<ClientChannel>('an exec channel', (cb) => this.client.exec(command, cb), bounds).catch((err: Error) => Promise.reject(execOpenError(err))) },
      target.hostname,
      maxChannels,
    );
    const onGone = (why: string) => {
      if (!this.channels.isOpen) return;
      this.channels.close(why);
      for (const l of this.closeListeners) l(why);
    };
    client.on('close', () => onGone('the connection closed'));
    client.on('end', () => onGone('the server ended the connection'));
    client.on('error', (err: Error) => onGone(`connection error: ${err.message}`));
  }

  get isOpen(): boolean {
    return this.channels.isOpen;
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** A channel slot for a long-lived channel (a shell); call the result to give it back. */
  acquireChannel(bounds: Bounds): Promise<() => void> {
    return this.channels.acquire(bounds);
  }

  /** Channel slots in use; exposed for tests. */
  get channelsInUse(): number {
    return this.channels.inUse;
  }

  /** Channels this connection may open at once; lowered when the server refuses one (its MaxSessions). */
  get channelLimit(): number {
    return this.channels.limit;
  }

  /** Opens a channel on this connection under `bounds` (see openChannel); the caller holds a slot when it is a session. */
  open<T extends { close(): unknown }>(what: string, start: (callback: (err: Error | undefined, channel: T) => void) => void, bounds: Bounds): Promise<T> {
    if (!this.channels.isOpen) return Promise.reject(this.channels.notConnected());
    return openChannel(this.client, what, start, bounds).catch((err: Error) => {
      if (err instanceof ApiError) throw err;
      if (!this.channels.isOpen) throw new ApiError('not-connected', `The connection to ${this.target.hostname} was lost: ${this.channels.reason ?? 'closed'}.`, 'Connect again.');
      throw err;
    });
  }

  /**
   * Runs a command. Waiting for a slot, opening the channel and the exec
   * request count against `timeoutMs` and stop on `signal` with an ApiError
   * (nothing ran); once the command runs, a timeout, an abort or the cap
   * end it and the result says which.
   */
  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    const bounds: Bounds = { deadline: Date.now() + opts.timeoutMs, signal: opts.signal };
    const { channel, release } = await this.channels.openExec(command, bounds);
    try {
      return await this.run(channel, opts, bounds);
    } finally {
      release();
    }
  }

  private run(channel: ClientChannel, opts: ExecOptions, bounds: Bounds): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve) => {
      const out: Buffer[] = [];
      let stderr = '';
      let timedOut = false;
      let cancelled = false;
      let code: number | null = null;
      const stdout = new CappedStream({ maxBytes: opts.maxBytes, deadline: bounds.deadline, signal: bounds.signal });
      const finish = () => {
        if (!stdout.settle()) return;
        unsubscribe();
        resolve({ stdout: Buffer.concat(out), stderr, code, timedOut, truncated: stdout.truncated, cancelled });
      };
      const stop = () => {
        channel.close();
        // A channel whose peer is gone may never emit close.
        setTimeout(finish, 2000).unref?.();
      };
      const unsubscribe = this.onClose(() => finish());
      stdout.arm({
        onTimeout: () => {
          timedOut = true;
          stop();
        },
        onAbort: () => {
          cancelled = true;
          stop();
        },
      });
      opts.onFlow?.({ pause: () => channel.pause(), resume: () => channel.resume() });
      channel.on('data', (chunk: Buffer) => {
        if (stdout.truncated || stdout.settled) return;
        const keep = stdout.take(chunk);
        if (opts.onStdout) opts.onStdout(keep);
        else out.push(keep);
        if (stdout.truncated) stop();
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
      });
      channel.on('exit', (c: number | null) => {
        code = c;
      });
      channel.on('close', finish);
    });
  }

  /**
   * A remote command whose stdin and stdout are one byte stream (a forwarder into another network
   * namespace). The channel holds a slot until it closes; the command must bound its own run time
   * (`timeout`), and the caller caps what it reads.
   */
  async execStream(command: string, bounds: Bounds): Promise<ExecStream> {
    const { channel, release } = await this.channels.openExec(command, bounds);
    let stderr = '';
    let code: number | null = null;
    channel.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
    });
    channel.on('exit', (c: number | null) => {
      code = c;
    });
    const unsubscribe = this.onClose(() => channel.destroy());
    channel.once('close', () => {
      unsubscribe();
      release();
    });
    return { stream: channel, stderr: () => stderr, exitCode: () => code };
  }

  /** The ssh2 client, for features that need it directly (shells, forwarding). */
  get raw(): Client {
    return this.client;
  }

  end(): void {
    this.channels.close(null);
    this.client.end();
    for (const c of this.via) c.end();
  }
}

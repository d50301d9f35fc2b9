/**
 * One ssh2 connection per host, verified against known_hosts before any
 * authentication happens. Every exec has a timeout and an output cap, and
 * channels are queued so a server's MaxSessions is never exceeded.
 */
import { readFile } from 'node:fs/promises';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { ApiError } from '../../shared/contract/errors';
import { presentedKey, type HostKeyVerdict, type KnownHosts, type PresentedKey } from './knownHosts';

export interface SshTarget {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile?: string | undefined;
}

export type ConnectOutcome =
  | { readonly kind: 'connected'; readonly connection: SshConnection; readonly key: PresentedKey }
  | { readonly kind: 'host-key'; readonly key: PresentedKey; readonly verdict: Exclude<HostKeyVerdict, { kind: 'trusted' }> };

export interface ExecOptions {
  readonly timeoutMs: number;
  /** Bytes of stdout kept; beyond it the channel is closed and the result marked truncated. */
  readonly maxBytes: number;
  readonly onStdout?: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly truncated: boolean;
  readonly cancelled: boolean;
}

const CONNECT_TIMEOUT_MS = 15_000;
const MAX_STDERR = 64 * 1024;

export async function connectSsh(target: SshTarget, knownHosts: KnownHosts, opts: { timeoutMs?: number } = {}): Promise<ConnectOutcome> {
  let privateKey: Buffer | undefined;
  if (target.identityFile) {
    try {
      privateKey = await readFile(target.identityFile);
    } catch (err) {
      throw new ApiError('auth-failed', `Cannot read identity file ${target.identityFile}: ${(err as Error).message}`, 'Check the path and its permissions.');
    }
  }
  const client = new Client();
  let refused: { key: PresentedKey; verdict: Exclude<HostKeyVerdict, { kind: 'trusted' }> } | undefined;
  let accepted: PresentedKey | undefined;

  const config: ConnectConfig = {
    host: target.hostname,
    port: target.port,
    username: target.user,
    readyTimeout: opts.timeoutMs ?? CONNECT_TIMEOUT_MS,
    // ssh2 leaves keepalive off by default and then never notices a dead peer.
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    ...(privateKey ? { privateKey } : {}),
    ...(process.env.SSH_AUTH_SOCK && !privateKey ? { agent: process.env.SSH_AUTH_SOCK } : {}),
    hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
      const presented = presentedKey(key);
      knownHosts.verify(target.hostname, target.port, presented).then(
        (verdict) => {
          if (verdict.kind === 'trusted') {
            accepted = presented;
            verify(true);
          } else {
            refused = { key: presented, verdict };
            verify(false);
          }
        },
        () => verify(false),
      );
    }) as unknown as ConnectConfig['hostVerifier'],
  };

  return new Promise<ConnectOutcome>((resolve, reject) => {
    let settled = false;
    client.once('ready', () => {
      settled = true;
      resolve({ kind: 'connected', connection: new SshConnection(client, target), key: accepted! });
    });
    client.once('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      if (refused) return resolve({ kind: 'host-key', ...refused });
      reject(describeConnectError(err, target));
    });
    try {
      client.connect(config);
    } catch (err) {
      settled = true;
      reject(describeConnectError(err as Error, target));
    }
  });
}

function describeConnectError(err: Error & { level?: string; code?: string }, t: SshTarget): ApiError {
  const where = `${t.user}@${t.hostname}:${t.port}`;
  const msg = err.message ?? String(err);
  if (err.code === 'ECONNREFUSED') return new ApiError('connect-refused', `Connection to ${where} was refused.`, 'Check the host and port, and that sshd is running there.');
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new ApiError('dns', `Cannot resolve host name ${t.hostname}.`, 'Check the spelling or use an IP address.');
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return new ApiError('connect-refused', `${where} is unreachable (${err.code}).`, 'Check the network path to the host.');
  if (/timed out/i.test(msg) || err.code === 'ETIMEDOUT') return new ApiError('connect-timeout', `Timed out connecting to ${where}.`, 'Check the host is reachable and the port is right.');
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return new ApiError('auth-failed', `Authentication as ${t.user} on ${where} failed (tried: ${t.identityFile ? `key ${t.identityFile}` : 'ssh-agent'}).`, 'Check the user name and that the key is in the remote authorized_keys.');
  }
  if (/private key|passphrase|Cannot parse privateKey/i.test(msg)) return new ApiError('auth-failed', `The identity file could not be used: ${msg}`, 'Use an unencrypted OpenSSH or PEM key (encrypted keys come with the SSH issue).');
  return new ApiError('remote-failed', `SSH connection to ${where} failed: ${msg}`);
}

export class SshConnection {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  private closeReason: string | null = null;
  private readonly closeListeners = new Set<(reason: string) => void>();

  constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    /** Channels open at once; sshd's default MaxSessions is 10. */
    private maxChannels = 8,
  ) {
    const onGone = (why: string) => {
      if (this.closed) return;
      this.closed = true;
      this.closeReason = why;
      for (const l of this.closeListeners) l(why);
    };
    client.on('close', () => onGone('the connection closed'));
    client.on('end', () => onGone('the server ended the connection'));
    client.on('error', (err: Error) => onGone(`connection error: ${err.message}`));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  private async acquire(): Promise<() => void> {
    while (this.active >= this.maxChannels) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /** Channels this connection may open at once; lowered when the server refuses one (its MaxSessions). */
  get channelLimit(): number {
    return this.maxChannels;
  }

  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    for (;;) {
      if (this.closed) throw new ApiError('not-connected', `Not connected to ${this.target.hostname}: ${this.closeReason ?? 'closed'}.`, 'Connect again.');
      const release = await this.acquire();
      try {
        return await this.execOnce(command, opts);
      } catch (err) {
        // sshd refuses a session channel beyond MaxSessions with "open failed". When other
        // channels are open, that is the limit speaking: remember it and wait for a free slot.
        if (err instanceof ChannelRefused && this.active > 1) {
          this.maxChannels = Math.max(1, this.active - 1);
          continue;
        }
        throw err instanceof ChannelRefused ? new ApiError('remote-failed', `The server refused an exec channel: ${err.message}`) : err;
      } finally {
        release();
      }
    }
  }

  private execOnce(command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
        if (err) return reject(/open failed/i.test(err.message) ? new ChannelRefused(err.message) : new ApiError('remote-failed', `Could not open an exec channel: ${err.message}`));
        const out: Buffer[] = [];
        let outBytes = 0;
        let stderr = '';
        let truncated = false;
        let timedOut = false;
        let cancelled = false;
        let code: number | null = null;
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          unsubscribe();
          resolve({ stdout: Buffer.concat(out), stderr, code, timedOut, truncated, cancelled });
        };
        const stop = () => {
          channel.close();
          // A channel whose peer is gone may never emit close.
          setTimeout(finish, 2000).unref?.();
        };
        const timer = setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs);
        const onAbort = () => {
          cancelled = true;
          stop();
        };
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        const unsubscribe = this.onClose(() => finish());
        channel.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = opts.maxBytes - outBytes;
          const keep = chunk.length > room ? chunk.subarray(0, room) : chunk;
          outBytes += keep.length;
          if (opts.onStdout) opts.onStdout(keep);
          else out.push(keep);
          if (keep.length < chunk.length) {
            truncated = true;
            stop();
          }
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
        });
        channel.on('exit', (c: number | null) => {
          code = c;
        });
        channel.on('close', finish);
      });
    });
  }

  end(): void {
    this.closed = true;
    this.client.end();
  }
}

class ChannelRefused extends Error {}

/**
 * One ssh2 connection per host, verified against known_hosts before any
 * authentication happens. Every exec has a timeout and an output cap, and
 * channels are queued so a server's MaxSessions is never exceeded.
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import ssh2, { Client, type ClientChannel, type ConnectConfig, type ParsedKey } from 'ssh2';

// ssh2 is CommonJS; Node's ESM loader does not see `utils` as a named export.
const { utils } = ssh2;
import { ApiError } from '../../shared/contract/errors';
import { presentedKey, type HostKeyVerdict, type KnownHosts, type PresentedKey } from './knownHosts';

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

export interface PromptRequest {
  readonly hop: string;
  readonly kind: 'passphrase' | 'password' | 'keyboard-interactive';
  readonly title: string;
  readonly instructions: string;
  readonly prompts: ReadonlyArray<{ readonly prompt: string; readonly echo: boolean }>;
  /** Key under which a remembered answer is kept, when the answer is a single secret. */
  readonly secretKey?: string;
}

/** Answers, or null when the user cancelled. */
export type Prompter = (req: PromptRequest) => Promise<string[] | null>;

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

const CONNECT_TIMEOUT_MS = 15_000;
const MAX_STDERR = 64 * 1024;

const hopName = (t: SshTarget) => `${t.hostname}:${t.port}`;

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
      sock = await new Promise<Duplex>((resolve, reject) =>
        r.client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) =>
          err ? reject(new ApiError('connect-refused', `Jump host ${hopName(hop)} could not reach ${hopName(next)}: ${err.message}`, 'Check the next hop address and that the jump host allows TCP forwarding.')) : resolve(stream),
        ),
      );
    }
    throw new Error('empty chain');
  } catch (err) {
    for (const c of opened) c.end();
    throw err;
  }
}

type AuthStep =
  | { readonly kind: 'agent' }
  | { readonly kind: 'key'; readonly file: string }
  | { readonly kind: 'keyboard-interactive' }
  | { readonly kind: 'password' };

function describeStep(step: AuthStep): string {
  switch (step.kind) {
    case 'agent':
      return 'publickey (ssh-agent)';
    case 'key':
      return `publickey (${step.file})`;
    default:
      return step.kind;
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
  const tried: string[] = [];
  let serverMethods: string[] | null = null;
  let authProblem: ApiError | undefined;

  // OpenSSH's order: agent keys, then identity files, then keyboard-interactive, then password.
  const steps: AuthStep[] = [];
  if (opts.agentSocket && !opts.identitiesOnly) steps.push({ kind: 'agent' });
  const files = target.identityFile ? [target.identityFile] : (opts.defaultIdentities ?? []);
  for (const file of files) steps.push({ kind: 'key', file });
  if (opts.prompt) steps.push({ kind: 'keyboard-interactive' }, { kind: 'password' });

  const nextAuth = async (methodsLeft: string[] | null): Promise<AuthHandlerResult | false> => {
    if (methodsLeft) serverMethods = methodsLeft;
    for (;;) {
      const step = steps.shift();
      if (!step) return false;
      const method = step.kind === 'agent' || step.kind === 'key' ? 'publickey' : step.kind;
      if (methodsLeft && !methodsLeft.includes(method)) continue;
      if (step.kind === 'agent') {
        tried.push(describeStep(step));
        return { type: 'agent', username: target.user, agent: opts.agentSocket! };
      }
      if (step.kind === 'key') {
        const key = await loadKey(step.file, hop, opts.prompt);
        if (key.kind === 'skip') {
          if (key.problem) authProblem = key.problem;
          continue;
        }
        tried.push(describeStep(step));
        return { type: 'publickey', username: target.user, key: key.parsed };
      }
      if (step.kind === 'password') {
        const answer = await opts.prompt!({ hop, kind: 'password', title: `Password for ${target.user}@${hop}`, instructions: '', prompts: [{ prompt: 'Password:', echo: false }], secretKey: `password:${target.user}@${hop}` });
        if (!answer) continue;
        tried.push('password');
        return { type: 'password', username: target.user, password: answer[0] ?? '' };
      }
      tried.push('keyboard-interactive');
      return {
        type: 'keyboard-interactive',
        username: target.user,
        prompt: (name: string, instructions: string, _lang: string, prompts: Array<{ prompt: string; echo?: boolean }>, finish: (answers: string[]) => void) => {
          if (prompts.length === 0) return finish([]);
          void opts.prompt!({
            hop,
            kind: 'keyboard-interactive',
            title: name || `${target.user}@${hop}`,
            instructions,
            prompts: prompts.map((p) => ({ prompt: p.prompt, echo: p.echo === true })),
            ...(prompts.length === 1 && /password/i.test(prompts[0]!.prompt) ? { secretKey: `password:${target.user}@${hop}` } : {}),
          }).then((answers) => finish(answers ?? prompts.map(() => '')));
        },
      } as AuthHandlerResult;
    }
  };

  const config: ConnectConfig = {
    host: target.hostname,
    port: target.port,
    username: target.user,
    ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
    readyTimeout: opts.timeoutMs ?? CONNECT_TIMEOUT_MS,
    // ssh2 leaves keepalive off by default and then never notices a dead peer.
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    tryKeyboard: true,
    authHandler: ((methodsLeft: string[] | null, _partial: boolean | null, callback: (next: AuthHandlerResult | false) => void) => {
      nextAuth(methodsLeft).then(callback, () => callback(false));
    }) as unknown as ConnectConfig['authHandler'],
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
      if (authProblem && tried.length === 0) return reject(authProblem);
      reject(describeConnectError(err, target, tried, serverMethods, authProblem));
    });
    try {
      client.connect(config);
    } catch (err) {
      settled = true;
      reject(describeConnectError(err as Error, target, tried, serverMethods, authProblem));
    }
  });
}

type AuthHandlerResult = Record<string, unknown> & { type: string };

async function loadKey(file: string, hop: string, prompt: Prompter | undefined): Promise<{ kind: 'ok'; parsed: ParsedKey } | { kind: 'skip'; problem?: ApiError }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    return { kind: 'skip', problem: new ApiError('auth-failed', `Cannot read identity file ${file}: ${(err as Error).message}`, 'Check the path and its permissions.') };
  }
  let parsed = utils.parseKey(data);
  if (!(parsed instanceof Error)) return { kind: 'ok', parsed: Array.isArray(parsed) ? parsed[0]! : parsed };
  if (!/encrypted|passphrase/i.test(parsed.message)) {
    return { kind: 'skip', problem: new ApiError('auth-failed', `${file} is not a private key ssh2 can use: ${parsed.message}`) };
  }
  if (!prompt) return { kind: 'skip', problem: new ApiError('auth-failed', `${file} is encrypted and there is no way to ask for its passphrase here.`, 'Add it to ssh-agent (ssh-add) or run interactively.') };
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await prompt({
      hop,
      kind: 'passphrase',
      title: `Passphrase for ${file}`,
      instructions: attempt > 0 ? 'That passphrase did not decrypt the key. Try again.' : '',
      prompts: [{ prompt: 'Passphrase:', echo: false }],
      secretKey: `passphrase:${file}`,
    });
    if (!answer) return { kind: 'skip' };
    parsed = utils.parseKey(data, answer[0] ?? '');
    if (!(parsed instanceof Error)) return { kind: 'ok', parsed: Array.isArray(parsed) ? parsed[0]! : parsed };
  }
  return { kind: 'skip', problem: new ApiError('auth-failed', `Wrong passphrase for ${file} (3 tries).`) };
}

function describeConnectError(err: Error & { level?: string; code?: string }, t: SshTarget, tried: string[], serverMethods: string[] | null, authProblem?: ApiError): ApiError {
  const where = `${t.user}@${t.hostname}:${t.port}`;
  const msg = err.message ?? String(err);
  if (err.code === 'ECONNREFUSED') return new ApiError('connect-refused', `Connection to ${where} was refused.`, 'Check the host and port, and that sshd is running there.');
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new ApiError('dns', `Cannot resolve host name ${t.hostname}.`, 'Check the spelling or use an IP address.');
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return new ApiError('connect-refused', `${where} is unreachable (${err.code}).`, 'Check the network path to the host.');
  if (/timed out/i.test(msg) || err.code === 'ETIMEDOUT') return new ApiError('connect-timeout', `Timed out connecting to ${where}.`, 'Check the host is reachable and the port is right.');
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    const triedText = tried.length > 0 ? tried.join(', ') : 'nothing (no agent, no usable key, no way to prompt)';
    return new ApiError(
      'auth-failed',
      `Authentication as ${t.user} on ${where} failed. Tried, in order: ${triedText}.${serverMethods ? ` The server accepts: ${serverMethods.join(', ')}.` : ''}${authProblem ? ` ${authProblem.message}` : ''}`,
      'Check the user name, that the key is in the remote authorized_keys, or load it into ssh-agent.',
    );
  }
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
    /** Jump-host connections this one tunnels through, closed with it. */
    private readonly via: readonly Client[] = [],
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

  /** A channel slot for a long-lived channel (a shell); call the result to give it back. */
  acquireChannel(): Promise<() => void> {
    return this.acquire();
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
        if (err) {
          if (this.closed) return reject(new ApiError('not-connected', `The connection to ${this.target.hostname} was lost: ${this.closeReason ?? 'closed'}.`, 'Connect again.'));
          return reject(/open failed/i.test(err.message) ? new ChannelRefused(err.message) : new ApiError('remote-failed', `Could not open an exec channel: ${err.message}`));
        }
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
        opts.onFlow?.({ pause: () => channel.pause(), resume: () => channel.resume() });
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

  /** The ssh2 client, for features that need it directly (shells, forwarding). */
  get raw(): Client {
    return this.client;
  }

  end(): void {
    this.closed = true;
    this.client.end();
    for (const c of this.via) c.end();
  }
}

class ChannelRefused extends Error {}

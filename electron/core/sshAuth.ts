/**
 * Authentication for one hop, in OpenSSH's order: agent keys, then identity files, then
 * keyboard-interactive, then password; secrets come only from prompts (answered through
 * `auth.respond`) and are never kept here. What was tried is recorded for the error message.
 */
import { readFile } from 'node:fs/promises';
import ssh2, { type ConnectConfig, type ParsedKey } from 'ssh2';
import { ApiError } from '../../shared/contract/errors';
import type { SshTarget } from './sshConnection';

// ssh2 is CommonJS; Node's ESM loader does not see `utils` as a named export.
const { utils } = ssh2;

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

export interface AuthOptions {
  readonly prompt?: Prompter | undefined;
  readonly agentSocket?: string | undefined;
  readonly identitiesOnly?: boolean | undefined;
  /** Identity files to try when a target names none (OpenSSH's defaults). */
  readonly defaultIdentities?: readonly string[] | undefined;
}

type AuthStep = { readonly kind: 'agent' } | { readonly kind: 'key'; readonly file: string } | { readonly kind: 'keyboard-interactive' } | { readonly kind: 'password' };

type AuthHandlerResult = Record<string, unknown> & { type: string };

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

/** The methods of one hop's authentication, tried one per call of ssh2's authHandler. */
export class HopAuth {
  /** What was offered, in order, for the error message. */
  readonly tried: string[] = [];
  /** The methods the server said it accepts, once it said. */
  serverMethods: string[] | null = null;
  /** Why a key could not be offered (unreadable, not a key, wrong passphrase). */
  problem: ApiError | undefined;
  private readonly steps: AuthStep[] = [];

  constructor(
    private readonly target: SshTarget,
    private readonly hop: string,
    private readonly opts: AuthOptions,
  ) {
    if (opts.agentSocket && !opts.identitiesOnly) this.steps.push({ kind: 'agent' });
    const files = target.identityFile ? [target.identityFile] : (opts.defaultIdentities ?? []);
    for (const file of files) this.steps.push({ kind: 'key', file });
    if (opts.prompt) this.steps.push({ kind: 'keyboard-interactive' }, { kind: 'password' });
  }

  /** ssh2's authHandler. */
  handler(): ConnectConfig['authHandler'] {
    return ((methodsLeft: string[] | null, _partial: boolean | null, callback: (next: AuthHandlerResult | false) => void) => {
      this.next(methodsLeft).then(callback, () => callback(false));
    }) as unknown as ConnectConfig['authHandler'];
  }

  private async next(methodsLeft: string[] | null): Promise<AuthHandlerResult | false> {
    const { target, hop, opts } = this;
    if (methodsLeft) this.serverMethods = methodsLeft;
    for (;;) {
      const step = this.steps.shift();
      if (!step) return false;
      const method = step.kind === 'agent' || step.kind === 'key' ? 'publickey' : step.kind;
      if (methodsLeft && !methodsLeft.includes(method)) continue;
      if (step.kind === 'agent') {
        this.tried.push(describeStep(step));
        return { type: 'agent', username: target.user, agent: opts.agentSocket! };
      }
      if (step.kind === 'key') {
        const key = await loadKey(step.file, hop, opts.prompt);
        if (key.kind === 'skip') {
          if (key.problem) this.problem = key.problem;
          continue;
        }
        this.tried.push(describeStep(step));
        return { type: 'publickey', username: target.user, key: key.parsed };
      }
      if (step.kind === 'password') {
        const answer = await opts.prompt!({
          hop,
          kind: 'password',
          title: `Password for ${target.user}@${hop}`,
          instructions: '',
          prompts: [{ prompt: 'Password:', echo: false }],
          secretKey: `password:${target.user}@${hop}`,
        });
        if (!answer) continue;
        this.tried.push('password');
        return { type: 'password', username: target.user, password: answer[0] ?? '' };
      }
      this.tried.push('keyboard-interactive');
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
  }
}

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
  if (!prompt)
    return { kind: 'skip', problem: new ApiError('auth-failed', `${file} is encrypted and there is no way to ask for its passphrase here.`, 'Add it to ssh-agent (ssh-add) or run interactively.') };
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

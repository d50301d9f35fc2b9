/**
 * Secrets asked of the user while authenticating travel as events
 * (auth.prompt) and come back through auth.respond. A prompt nobody answers
 * in time counts as cancelled, so a connect never hangs on a closed window.
 */
import { randomUUID } from 'node:crypto';
import type { EventPayload } from '../../shared/contract/api';
import type { PromptRequest } from './sshAuth';
import type { SecretStore } from './secrets';

const PROMPT_TIMEOUT_MS = 120_000;

export class PromptBroker {
  private readonly pending = new Map<string, { resolve: (a: { answers: string[] | null; remember: boolean }) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly emit: (payload: EventPayload<'auth.prompt'>) => void,
    private readonly secrets: SecretStore,
  ) {}

  /** A Prompter for one host: tries a remembered secret first, once, then asks. */
  forHost(hostId: string): (req: PromptRequest) => Promise<string[] | null> {
    const usedRemembered = new Set<string>();
    return async (req) => {
      if (req.secretKey && this.secrets.available && !usedRemembered.has(req.secretKey)) {
        usedRemembered.add(req.secretKey);
        const saved = await this.secrets.get(req.secretKey).catch(() => undefined);
        if (saved !== undefined) return [saved];
      }
      const { answers, remember } = await this.ask(hostId, req);
      if (answers && remember && req.secretKey && this.secrets.available && answers.length === 1) {
        await this.secrets.set(req.secretKey, answers[0]!).catch(() => undefined);
      }
      return answers;
    };
  }

  private ask(hostId: string, req: PromptRequest): Promise<{ answers: string[] | null; remember: boolean }> {
    const promptId = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(promptId);
        resolve({ answers: null, remember: false });
      }, PROMPT_TIMEOUT_MS);
      this.pending.set(promptId, { resolve, timer });
      this.emit({
        promptId,
        hostId,
        hop: req.hop,
        kind: req.kind,
        title: req.title,
        instructions: req.instructions,
        prompts: req.prompts.map((p) => ({ prompt: p.prompt, echo: p.echo })),
        canRemember: this.secrets.available && req.secretKey !== undefined,
        rememberNote: this.secrets.available ? 'Kept encrypted by the operating system keychain.' : this.secrets.reason,
      });
    });
  }

  respond(promptId: string, answers: string[] | null, remember: boolean): boolean {
    const p = this.pending.get(promptId);
    if (!p) return false;
    clearTimeout(p.timer);
    this.pending.delete(promptId);
    p.resolve({ answers, remember });
    return true;
  }

  cancelAll(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ answers: null, remember: false });
      this.pending.delete(id);
    }
  }
}

import { useEffect, useState, type FormEvent } from 'react';
import type { EventPayload } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';

type Prompt = EventPayload<'auth.prompt'>;

/** Passphrases, passwords and keyboard-interactive questions the backend needs while connecting. */
export function AuthPromptDialog({ api, report }: { api: Api; report: ErrorReporter }) {
  const [queue, setQueue] = useState<Prompt[]>([]);
  const [answers, setAnswers] = useState<string[]>([]);
  const [remember, setRemember] = useState(false);
  useEffect(() => api.on('auth.prompt', (p) => setQueue((q) => [...q, p])), [api]);
  const current = queue[0];
  useEffect(() => {
    setAnswers(current ? current.prompts.map(() => '') : []);
    setRemember(false);
  }, [current]);
  if (!current) return null;
  const respond = async (values: string[] | null) => {
    setQueue((q) => q.slice(1));
    try {
      await api.call('auth.respond', { promptId: current.promptId, answers: values, remember: values !== null && remember });
    } catch (err) {
      report(err);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void respond(answers);
  };
  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" data-testid="auth-prompt" onSubmit={submit}>
        <h2>{current.title}</h2>
        <p className="muted">
          {current.kind === 'passphrase' ? 'The identity file is encrypted.' : `Authentication on ${current.hop}.`} {current.instructions}
        </p>
        {current.prompts.map((p, i) => (
          <label key={i} className="prompt">
            {p.prompt}
            <input
              autoFocus={i === 0}
              type={p.echo ? 'text' : 'password'}
              autoComplete="off"
              data-testid="auth-answer"
              value={answers[i] ?? ''}
              onChange={(e) => setAnswers((a) => a.map((v, j) => (j === i ? e.target.value : v)))}
            />
          </label>
        ))}
        <label className="check" title={current.rememberNote}>
          <input type="checkbox" disabled={!current.canRemember} checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember
          {!current.canRemember && <span className="muted small"> — {current.rememberNote}</span>}
        </label>
        <div className="buttons">
          <button type="button" onClick={() => void respond(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="auth-submit">
            Continue
          </button>
        </div>
      </form>
    </div>
  );
}

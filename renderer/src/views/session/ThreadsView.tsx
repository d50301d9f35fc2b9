import { artifactsUsedBy } from '../../../../shared/artifacts/registry';
import { useState } from 'react';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import { useView, ViewStatus } from './useView';

const wantThreads = artifactsUsedBy('threads');

export function ThreadsView({ api, session }: { api: Api; session: SessionDetail }) {
  const state = useView(api, session, 'threads', wantThreads, {});
  const [open, setOpen] = useState<number | null>(0);
  if (state.status !== 'ready') return <ViewStatus state={state} />;
  const m = state.model;
  return (
    <div data-testid="threads-view">
      {m.error ? (
        <p className="muted" data-testid="threads-no-stacks">
          {m.error}
        </p>
      ) : (
        <>
          <p>
            {m.groups.reduce((a, g) => a + g.count, 0)} threads in {m.groups.length} stack groups, from {m.tool}.
          </p>
          {m.groups.map((g, i) => (
            <div key={i} className="group card" data-testid="thread-group">
              <div className="group-head clickable" onClick={() => setOpen(open === i ? null : i)}>
                <span className="count">{g.count}×</span> <span className="state">{g.state}</span>{' '}
                <span className="muted small">
                  threads {g.tids.slice(0, 12).join(', ')}
                  {g.tids.length > 12 ? ', …' : ''}
                </span>
              </div>
              {open === i && (
                <div className="frames">
                  {g.frames.map((f, k) => (
                    <div key={k} className={`frame mono small ${f.goRuntime ? 'muted' : ''}`}>
                      #{k} {f.func}
                      {f.file && (
                        <span className="muted">
                          {' '}
                          {f.file}:{f.line}
                        </span>
                      )}
                    </div>
                  ))}
                </div>
              )}
            </div>
          ))}
        </>
      )}
      <div className="card">
        <h2>Threads</h2>
        <table className="table compact" data-testid="thread-table">
          <thead>
            <tr>
              <th>TID</th>
              <th>Name</th>
              <th>State</th>
              <th>CPU</th>
              <th>user / sys (ticks)</th>
              <th>voluntary / involuntary switches</th>
              <th>Stack group</th>
            </tr>
          </thead>
          <tbody>
            {m.threads.map((t) => (
              <tr key={t.tid} data-testid="thread-row">
                <td>{t.tid}</td>
                <td className="mono">{t.comm}</td>
                <td>{t.state}</td>
                <td>{t.processor ?? '—'}</td>
                <td>
                  {t.utimeTicks ?? '—'} / {t.stimeTicks ?? '—'}
                </td>
                <td>
                  {t.voluntarySwitches ?? '—'} / {t.involuntarySwitches ?? '—'}
                </td>
                <td>
                  {t.groupIndex !== null ? (
                    <button className="link" onClick={() => setOpen(t.groupIndex)}>
                      #{t.groupIndex + 1} {m.groups[t.groupIndex]?.state}
                    </button>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

import { artifactsUsedBy } from '../../../../shared/artifacts/registry';
import { useMemo, useState } from 'react';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import { useView, ViewStatus } from './useView';

const MAX_SHOWN = 300;

export function GoroutinesView({ api, session }: { api: Api; session: SessionDetail }) {
  const state = useView(api, session, 'goroutines', artifactsUsedBy('goroutines'), {});
  const [query, setQuery] = useState('');
  const [stateFilter, setStateFilter] = useState<string | null>(null);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const model = state.status === 'ready' ? state.model : null;
  const groups = useMemo(() => {
    if (!model) return [];
    const q = query.trim().toLowerCase();
    return model.groups.filter((g) => (!stateFilter || g.state === stateFilter) && (!q || g.search.includes(q)));
  }, [model, query, stateFilter]);
  if (state.status !== 'ready') return <ViewStatus state={state} />;
  const m = state.model;
  if (m.error)
    return (
      <div className="error-inline" data-testid="view-error">
        {m.error}
      </div>
    );
  const shownCount = groups.reduce((a, g) => a + g.count, 0);
  return (
    <div data-testid="goroutines-view">
      <p>
        <strong data-testid="goroutine-total">{m.total}</strong> goroutines in <strong>{m.groups.length}</strong> groups (same state, same stack, same creator).
      </p>
      <div className="chips">
        <button className={`chip ${stateFilter === null ? 'on' : ''}`} onClick={() => setStateFilter(null)}>
          all {m.total}
        </button>
        {m.states.map((s) => (
          <button key={s.state} className={`chip ${stateFilter === s.state ? 'on' : ''}`} onClick={() => setStateFilter(stateFilter === s.state ? null : s.state)} data-testid="goroutine-state">
            {s.state} {s.count}
          </button>
        ))}
      </div>
      <input className="filter" placeholder="search functions, files, states" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="goroutine-search" />
      <div className="muted small">
        {groups.length} groups, {shownCount} goroutines shown
      </div>
      {groups.slice(0, MAX_SHOWN).map((g, i) => (
        <div key={i} className="group card" data-testid="goroutine-group">
          <div
            className="group-head clickable"
            onClick={() => {
              const n = new Set(open);
              if (n.has(i)) n.delete(i);
              else n.add(i);
              setOpen(n);
            }}
          >
            <span className="count">{g.count}×</span> <span className="state">{g.state}</span>
            {g.maxWaitMinutes > 0 && <span className="muted"> waiting up to {g.maxWaitMinutes} min</span>}
            {g.lockedCount > 0 && <span className="muted"> · {g.lockedCount} locked to thread</span>}
            <span className="mono small"> {g.frames[0]?.func ?? '(no frames)'}</span>
          </div>
          {open.has(i) && (
            <div className="frames">
              {g.frames.map((f, k) => (
                <div key={k} className="frame mono small">
                  {f.func}
                  <span className="muted">
                    {' '}
                    {f.file}:{f.line}
                  </span>
                </div>
              ))}
              {g.createdBy && (
                <div className="frame mono small muted">
                  created by {g.createdBy.func}
                  {g.createdBy.parent !== null ? ` in goroutine ${g.createdBy.parent}` : ''} at {g.createdBy.file}:{g.createdBy.line}
                </div>
              )}
              <div className="muted small">
                goroutines {g.ids.slice(0, 30).join(', ')}
                {g.count > 30 ? ', …' : ''}
              </div>
            </div>
          )}
        </div>
      ))}
      {groups.length > MAX_SHOWN && <div className="muted">{groups.length - MAX_SHOWN} more groups: narrow the search.</div>}
    </div>
  );
}

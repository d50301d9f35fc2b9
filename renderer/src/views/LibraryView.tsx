import { useEffect, useMemo, useState } from 'react';
import type { SessionSummary } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';
import { formatTime } from '../format';
import { navigate } from '../route';
import { ExportButton, ImportButton } from './Bundles';

/** The local session library. It reads only the local store, so it works with no network at all. */
export function LibraryView({ api, report, importBundle }: { api: Api; report: ErrorReporter; importBundle: (source: 'dialog' | File) => Promise<void> }) {
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [filter, setFilter] = useState('');
  // Two sessions picked for Compare: the older one is "before".
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const compare = () => {
    const [x, y] = picked.map((id) => sessions!.find((s) => s.id === id)!).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    navigate({ view: 'compare', before: x!.id, after: y!.id });
  };
  const [openingDemo, setOpeningDemo] = useState(false);
  const openDemo = () => {
    setOpeningDemo(true);
    api.call('demo.open', {}).then(
      ({ sessionId }) => navigate({ view: 'session', sessionId }),
      (err) => {
        setOpeningDemo(false);
        report(err);
      },
    );
  };
  useEffect(() => {
    api.call('sessions.list', {}).then(setSessions, report);
    return api.on('capture.finished', () => void api.call('sessions.list', {}).then(setSessions, report));
  }, [api, report]);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (sessions ?? []).filter((s) => !f || `${s.hostLabel} ${s.processName} ${s.pid} ${s.goVersion ?? ''} ${s.status} ${s.tags.join(' ')} ${s.notes}`.toLowerCase().includes(f));
  }, [sessions, filter]);
  return (
    <section>
      <h1>Session library</h1>
      <div className="toolbar">
        <input placeholder="Filter by host, process, Go version, status, tag or notes" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <span className="muted">{sessions ? `${shown.length} of ${sessions.length}` : 'Loading…'}</span>
        <button disabled={picked.length !== 2} onClick={compare} data-testid="compare-sessions" title="Tick two sessions: before and after a change">
          Compare {picked.length}/2
        </button>
        <ImportButton api={api} start={importBundle} />
        <ExportButton api={api} sessionId={picked.length === 1 ? picked[0]! : ''} disabled={picked.length !== 1} report={report} />
      </div>
      <table className="table">
        <thead>
          <tr>
            <th />
            <th>Started</th>
            <th>Host</th>
            <th>Process</th>
            <th>Go</th>
            <th>Status</th>
            <th>Tags</th>
            <th className="num">Artifacts</th>
          </tr>
        </thead>
        <tbody>
          {sessions?.length === 0 && (
            <tr>
              <td colSpan={8} className="muted" data-testid="library-empty">
                No sessions yet. Connect to a host and capture a process, or{' '}
                <button onClick={openDemo} disabled={openingDemo} data-testid="open-demo" title="Imports the sample incident that ships with Gopherscope into this library and opens it">
                  {openingDemo ? 'Opening the sample incident…' : 'Open the sample incident'}
                </button>{' '}
                to see every view first: a Go service captured from our test lab with GOMAXPROCS above its CPU quota and goroutines piling up.
              </td>
            </tr>
          )}
          {shown.map((s) => (
            <tr key={s.id} data-testid="session-row" className="clickable" onClick={() => navigate({ view: 'session', sessionId: s.id })}>
              <td onClick={(e) => e.stopPropagation()}>
                <input type="checkbox" checked={picked.includes(s.id)} onChange={() => toggle(s.id)} data-testid="session-pick" aria-label="pick for compare" />
              </td>
              <td>{formatTime(s.startedAt)}</td>
              <td>{s.hostLabel}</td>
              <td className="mono">
                {s.processName} ({s.pid})
              </td>
              <td>{s.goVersion ?? '—'}</td>
              <td>
                <span className={`status status-${s.status}`} data-testid="session-status" title={s.statusReason ?? ''}>
                  {s.status}
                </span>
              </td>
              <td>
                {s.tags.map((t) => (
                  <span key={t} className="badge env">
                    {t}
                  </span>
                ))}
              </td>
              <td className="num">{s.artifactCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

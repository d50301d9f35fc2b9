import { useEffect, useRef, useState, type ReactNode } from 'react';
import { SESSION_TABS, type SessionTab } from '../../../shared/analysis/views';
import { NAMES } from '../../../shared/artifacts/registry';
import type { ArtifactMeta, SessionDetail } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';
import { formatBytes, formatKiB, formatTime } from '../format';
import { ExportButton } from './Bundles';
import { memorySummary, type MemorySummary } from './memorySummary';
import { GoroutinesView } from './session/GoroutinesView';
import { MemoryView } from './session/MemoryView';
import { OverviewView } from './session/OverviewView';
import { ProfilesView } from './session/ProfilesView';
import { ThreadsView } from './session/ThreadsView';
import { TraceView } from './session/TraceView';

/** The component that draws each session tab of the views table (a tab without one fails the type check). */
const TAB_VIEWS = {
  overview: OverviewView,
  memory: MemoryView,
  threads: ThreadsView,
  goroutines: GoroutinesView,
  profiles: ProfilesView,
  trace: TraceView,
} satisfies Record<SessionTab, (props: { api: Api; session: SessionDetail; show: (tab: SessionTab) => void }) => ReactNode>;

export function SessionView({ api, sessionId, report }: { api: Api; sessionId: string; report: ErrorReporter }) {
  const [session, setSession] = useState<SessionDetail | null>(null);
  const [memory, setMemory] = useState<MemorySummary | null>(null);
  const [raw, setRaw] = useState<{ artifact: ArtifactMeta; text: string; truncated: boolean } | null>(null);
  const [tab, setTab] = useState<SessionTab>(SESSION_TABS[0]![0]);
  const TabView = TAB_VIEWS[tab];
  const rawPane = useRef<HTMLDivElement>(null);

  // Beside the artifact table on a wide window, below it on a narrow one: either way, show what was opened.
  useEffect(() => {
    if (raw) rawPane.current?.scrollIntoView({ block: 'nearest', behavior: 'instant' });
  }, [raw]);

  // go tool trace viewers of this session stop when the session closes (another route, or another session).
  useEffect(
    () => () => {
      const traces = session?.artifacts.filter((a) => a.name === NAMES.trace && a.sha256).map((a) => a.id) ?? [];
      if (traces.length > 0) void api.call('tools.goTrace.close', { artifactIds: traces }).catch(() => undefined);
    },
    [api, session?.id, session?.artifacts],
  );

  useEffect(() => {
    let live = true;
    (async () => {
      const s = await api.call('sessions.open', { sessionId });
      if (!live) return;
      setSession(s);
      const read = async (name: string) => {
        const a = s.artifacts.find((x) => x.name === name && x.sha256);
        return a ? (await api.call('artifacts.read', { artifactId: a.id, maxBytes: 1 << 20 })).text : null;
      };
      const [rollup, cgroup] = await Promise.all([read(NAMES.smapsRollup), read(NAMES.cgroup)]);
      if (live) setMemory(memorySummary(rollup, cgroup));
    })().catch(report);
    return () => {
      live = false;
    };
  }, [api, sessionId, report]);

  const show = async (artifact: ArtifactMeta) => {
    try {
      const r = await api.call('artifacts.read', { artifactId: artifact.id, maxBytes: 4 << 20 });
      setRaw({ artifact, text: r.text, truncated: r.truncated });
    } catch (err) {
      report(err);
    }
  };

  if (!session) return <section className="muted">Loading session…</section>;
  return (
    <section>
      <h1>
        {session.processName} <span className="muted">pid {session.pid}</span>
      </h1>
      <div className="meta">
        <span>{session.hostLabel}</span>
        <span>{session.goVersion ?? 'Go version unknown'}</span>
        <span>{formatTime(session.startedAt)}</span>
        <span className={`status status-${session.status}`} data-testid="session-status" title={session.statusReason ?? ''}>
          {session.status}
        </span>
        {session.statusReason && <span className="muted">{session.statusReason}</span>}
        {session.status !== 'capturing' && <ExportButton api={api} sessionId={session.id} report={report} />}
      </div>
      <NotesEditor api={api} session={session} onSaved={(u) => setSession({ ...session, notes: u.notes, tags: u.tags })} report={report} />
      <nav className="tabs" role="tablist">
        {SESSION_TABS.map(([id, text]) => (
          <button key={id} role="tab" aria-selected={tab === id} className={`tab ${tab === id ? 'on' : ''}`} onClick={() => setTab(id)} data-testid={`tab-${id}`}>
            {text}
          </button>
        ))}
      </nav>
      <TabView api={api} session={session} show={setTab} />
      {tab === 'overview' && memory && (
        <div className="card memory">
          <h2>Memory</h2>
          <div className="figures">
            <Figure label="RSS" kib={memory.rssKiB} testId="memory-rss" />
            <Figure label="PSS" kib={memory.pssKiB} testId="memory-pss" />
            <Figure label="Swap" kib={memory.swapKiB} testId="memory-swap" />
            <div className="figure">
              <div className="label">cgroup</div>
              <div className="value mono small" data-testid="cgroup-path">
                {memory.cgroupPath ?? '—'}
              </div>
            </div>
          </div>
          {memory.problems.length > 0 && <div className="muted">{memory.problems.join('; ')}</div>}
        </div>
      )}
      {tab === 'overview' && (
        <div className="split">
          <div className="card">
            <h2>Artifacts</h2>
            <table className="table artifacts" data-testid="artifact-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th className="num">Size</th>
                  <th className="num">Time</th>
                </tr>
              </thead>
              <tbody>
                {session.artifacts.map((a) => (
                  <tr key={a.id} data-testid="artifact-row" className={`clickable ${raw?.artifact.id === a.id ? 'selected' : ''}`} onClick={() => void show(a)}>
                    <td className="mono">{a.name}</td>
                    <td>
                      <span className={`status status-${a.status}`} title={a.reason ?? ''}>
                        {a.status}
                      </span>
                      {a.reason && <div className="muted small">{a.reason}</div>}
                    </td>
                    <td className="num">{formatBytes(a.sizeBytes)}</td>
                    <td className="num">{a.durationMs === null ? '—' : `${a.durationMs} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {session.redactions.length > 0 && (
              <>
                <h2>Redacted before storage</h2>
                <table className="table small" data-testid="redactions">
                  <thead>
                    <tr>
                      <th>Artifact</th>
                      <th>Key</th>
                      <th>Rule</th>
                    </tr>
                  </thead>
                  <tbody>
                    {session.redactions.map((r, i) => (
                      <tr key={i}>
                        <td className="mono">{r.artifact}</td>
                        <td className="mono">{r.key}</td>
                        <td>{r.rule}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
          <div className="card raw" ref={rawPane} data-testid="artifact-raw-pane">
            <h2>{raw ? raw.artifact.name : 'Raw artifact'}</h2>
            {raw ? (
              <>
                {raw.truncated && <div className="muted">Showing the first 4 MiB.</div>}
                <pre data-testid="artifact-raw">{raw.text}</pre>
              </>
            ) : (
              <div className="muted">Select an artifact to see its raw text.</div>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function Figure({ label, kib, testId }: { label: string; kib: number | null; testId: string }) {
  return (
    <div className="figure">
      <div className="label">{label}</div>
      <div className="value" data-testid={testId} data-kib={kib ?? ''}>
        {formatKiB(kib)}
      </div>
    </div>
  );
}

function NotesEditor({ api, session, onSaved, report }: { api: Api; session: SessionDetail; onSaved: (s: { notes: string; tags: string[] }) => void; report: ErrorReporter }) {
  const [notes, setNotes] = useState(session.notes);
  const [tags, setTags] = useState(session.tags.join(', '));
  const [saved, setSaved] = useState<string | null>(null);
  const dirty = notes !== session.notes || tags !== session.tags.join(', ');
  const save = async () => {
    try {
      const u = await api.call('sessions.update', {
        sessionId: session.id,
        notes,
        tags: tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      });
      onSaved(u);
      setTags(u.tags.join(', '));
      setSaved(new Date().toLocaleTimeString());
    } catch (err) {
      report(err);
    }
  };
  return (
    <div className="card notes">
      <label>
        Tags <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="e.g. incident-42, oom" data-testid="session-tags" />
      </label>
      <label>
        Notes <textarea value={notes} rows={2} onChange={(e) => setNotes(e.target.value)} placeholder="e.g. what happened, what changed" data-testid="session-notes" />
      </label>
      <button disabled={!dirty} onClick={() => void save()} data-testid="session-save-notes">
        Save
      </button>
      <span className="saved small" role="status" data-testid="session-saved">
        {saved && !dirty ? `Saved at ${saved}` : dirty ? 'Unsaved changes' : ''}
      </span>
    </div>
  );
}

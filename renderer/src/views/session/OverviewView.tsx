import { artifactsUsedBy, NAMES } from '../../../../shared/artifacts/registry';
import { useState } from 'react';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import type { EvidenceItem, Recommendation } from '../../../../shared/analysis/recommendations';
import type { CpuReconciliation, MemoryReconciliation } from '../../../../shared/analysis/reconcile';
import { containerLabel, type ContainerSummary } from '../../../../shared/analysis/containerView';
import type { SessionTab } from '../../../../shared/analysis/views';
import { OVERVIEW_TRACE_MAX } from '../../../../shared/analysis/views/overview';
import { SOURCE_LABEL } from '../../../../shared/analysis/settings';
import { artifactStatusOf } from '../../analysis/viewsClient';
import { formatBytes } from '../../format';
import { SettingsTable } from './SettingsTable';
import { useView, ViewStatus } from './useView';

/** What the registry says the Overview reads (everything but profiles), the trace only when it is small enough to summarize here. */
const wantFor = (session: SessionDetail) => {
  const trace = session.artifacts.find((a) => a.name === NAMES.trace);
  const overview = artifactsUsedBy('overview');
  return (name: string) => overview(name) && (name !== NAMES.trace || (trace !== undefined && trace.sizeBytes <= OVERVIEW_TRACE_MAX));
};

export function OverviewView({ api, session, show }: { api: Api; session: SessionDetail; show: (tab: SessionTab) => void }) {
  const state = useView(api, session, 'overview', wantFor(session), { goVersion: session.goVersion, artifactStatus: artifactStatusOf(session) });
  if (state.status !== 'ready') return <ViewStatus state={state} />;
  const m = state.model;
  const trace = session.artifacts.find((a) => a.name === NAMES.trace && a.sha256);
  return (
    <div data-testid="overview-view">
      <div className={`card health health-${m.health}`} data-testid="health">
        <h2>
          Health: <span data-testid="health-value">{m.health === 'ok' ? 'no findings' : m.health}</span>
        </h2>
        <div className="muted small">
          {m.recommendations.length === 0
            ? 'No rule fired on the evidence in this session.'
            : `${m.recommendations.length} recommendation${m.recommendations.length === 1 ? '' : 's'}, most severe first. Each names its evidence and the exact change.`}
          {trace && trace.sizeBytes > OVERVIEW_TRACE_MAX && ` The ${formatBytes(trace.sizeBytes)} trace is not part of this advice; \`gopherscope report\` includes it.`}
          {m.traceNote && ` ${m.traceNote}.`}
        </div>
        {m.notes.length > 0 && <div className="muted small">{m.notes.join('; ')}</div>}
      </div>
      {m.container && <ContainerCard summary={m.container} />}
      {m.recommendations.map((r) => (
        <RecommendationCard key={r.id} rec={r} show={show} />
      ))}
      <SettingsTable settings={m.settings} />
      <div className="split">
        <Waterfall memory={m.memory} />
        <CpuPicture cpu={m.cpu} />
      </div>
    </div>
  );
}

function ContainerCard({ summary }: { summary: ContainerSummary }) {
  const n = summary.network;
  return (
    <div className="card" data-testid="container">
      <div>
        <span className="label">Container</span> <span data-testid="container-value">{summary.container ? containerLabel(summary.container) : 'none recognised in the cgroup path'}</span>{' '}
        <span className="muted small mono">{summary.container?.cgroupPath ?? summary.cgroupPath ?? ''}</span>
      </div>
      {n && (
        <div data-testid="container-network">
          <span className="label">pprof and metrics reached through</span> {n.route === 'refused' ? <strong data-testid="container-network-refused">not reached: {n.reason}</strong> : n.description}
        </div>
      )}
      <div className="muted small">source: {summary.source}</div>
    </div>
  );
}

function RecommendationCard({ rec, show }: { rec: Recommendation; show: (tab: SessionTab) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className={`card rec rec-${rec.severity}`} data-testid="recommendation" data-rule={rec.id}>
      <div className="rec-head clickable" onClick={() => setOpen(!open)}>
        <span className={`severity severity-${rec.severity}`}>{rec.severity}</span> <strong>{rec.title}</strong> <span className="muted small">{rec.id}</span>
      </div>
      {open && (
        <div className="rec-body" data-testid="recommendation-body">
          <table className="table compact">
            <tbody>
              {rec.evidence.map((e, i) => (
                <EvidenceRow key={i} e={e} show={show} />
              ))}
            </tbody>
          </table>
          <div className="label">Change ({rec.change.kind})</div>
          <pre className="diff" data-testid="recommendation-change">
            {rec.change.diff}
          </pre>
          <div>
            <span className="label">Trade-off</span> {rec.tradeoff}
          </div>
          <div className="muted small">
            Applies to {rec.goVersions}. See{' '}
            {rec.references.map((u, i) => (
              <span key={u}>
                {i > 0 && ', '}
                <a href={u} target="_blank" rel="noreferrer">
                  {u.replace(/^https:\/\//, '')}
                </a>
              </span>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

function EvidenceRow({ e, show }: { e: EvidenceItem; show: (tab: SessionTab) => void }) {
  return (
    <tr data-testid="evidence">
      <td>{e.label}</td>
      <td className="mono">{e.value}</td>
      <td className="muted small">{e.source ? `${e.source.artifact}: ${e.source.detail}` : ''}</td>
      <td>
        {e.view && e.view !== 'overview' && (
          <button className="link" onClick={() => show(e.view!)} data-testid="evidence-view">
            show in {e.view}
          </button>
        )}
      </td>
    </tr>
  );
}

function Waterfall({ memory }: { memory: MemoryReconciliation }) {
  // Aside rows (reserved address space, differences against MemStats) are figures beside the picture, not on its scale.
  const scale = Math.max(1, ...memory.rows.map((r) => (r.kind === 'aside' ? 0 : (r.bytes ?? 0))));
  return (
    <div className="card" data-testid="waterfall">
      <h2>Memory: container limit to RSS</h2>
      <div className="waterfall">
        {memory.rows.map((r) => (
          <div
            key={r.key}
            className={`wf-row wf-${r.kind}`}
            data-testid="waterfall-row"
            data-key={r.key}
            data-bytes={r.bytes ?? ''}
            title={r.source ? `${r.source.artifact}: ${r.source.detail}` : 'computed'}
          >
            <div className="wf-label" style={{ paddingLeft: r.level * 14 }}>
              {r.label}
            </div>
            <div className="wf-bar">
              {r.bytes === null ? (
                <span className="muted small">unknown</span>
              ) : r.kind === 'aside' ? null : r.kind === 'limit' || r.kind === 'line' ? (
                <div className="wf-marker" style={{ left: `${(Math.max(0, r.bytes) / scale) * 100}%` }} />
              ) : (
                <div className="wf-fill" style={{ width: `${(Math.abs(r.bytes) / scale) * 100}%` }} />
              )}
            </div>
            <div className="wf-value num">{r.bytes === null ? '—' : `${r.bytes < 0 ? '−' : r.kind === 'aside' && r.key.startsWith('attribution-') ? '+' : ''}${formatBytes(Math.abs(r.bytes))}`}</div>
          </div>
        ))}
      </div>
    </div>
  );
}

function CpuPicture({ cpu }: { cpu: CpuReconciliation }) {
  const rows: [string, string][] = [
    ['CPU quota', cpu.quotaCpus === null ? 'none or unknown' : `${cpu.quotaCpus.toFixed(2)} CPUs`],
    ['CPUs available', cpu.hostCpus === null ? 'unknown' : String(cpu.hostCpus)],
    ['GOMAXPROCS', cpu.gomaxprocs === null ? 'unknown' : `${cpu.gomaxprocs} (${SOURCE_LABEL[cpu.gomaxprocsSource!]})`],
    ['how we know', cpu.gomaxprocsHow],
    ['follows quota changes', `${cpu.followsQuota === null ? 'unknown' : cpu.followsQuota ? 'yes' : 'no'}: ${cpu.followsQuotaWhy}`],
    ['OS threads', cpu.threads === null ? 'unknown' : String(cpu.threads)],
    ['threads by state', cpu.threadStates ? cpu.threadStates.map((t) => `${t.count} ${t.state}`).join(', ') : 'no native stacks'],
    ['throttled', cpu.throttledRatio === null ? 'unknown' : `${(cpu.throttledRatio * 100).toFixed(1)}% of periods${cpu.throttledSeconds !== null ? `, ${cpu.throttledSeconds.toFixed(2)} s` : ''}`],
    ['runqueue depth', cpu.runqueueMax === null ? 'unknown' : `max ${cpu.runqueueMax}, mean ${cpu.runqueueMean!.toFixed(2)} per CPU`],
    ['most migrations', cpu.maxMigrations ? `${cpu.maxMigrations.value} (thread ${cpu.maxMigrations.tid})` : 'unknown'],
    ['most involuntary switches', cpu.maxInvoluntary ? `${cpu.maxInvoluntary.value} (thread ${cpu.maxInvoluntary.tid})` : 'unknown'],
    ['P utilization (trace)', cpu.procUtilization ? cpu.procUtilization.map((p) => `P${p.p} ${(p.utilization * 100).toFixed(0)}%`).join(', ') : 'no trace'],
  ];
  return (
    <div className="card" data-testid="cpu-picture">
      <h2>CPU: quota against GOMAXPROCS</h2>
      <table className="table compact">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td data-testid={`cpu-${k.replace(/\W+/g, '-')}`}>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

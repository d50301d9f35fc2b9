import { NAMES } from '../../../shared/artifacts/registry';
import { useEffect, useRef, useState } from 'react';
import type { SessionDetail } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { DiffNode, GroupDelta, MetricDelta, ProfileDiff, SettingDelta } from '../../../shared/analysis/compare';
import { SOURCE_LABEL } from '../../../shared/analysis/settings';
import type { ErrorReporter } from '../App';
import { artifactStatusOf, loadArtifacts, requestView, type ViewModels } from '../analysis/viewsClient';
import { formatBytes, formatSampleValue, formatTime } from '../format';
import { drawIcicle, icicleAt, type IcicleBox } from './icicle';
import { href } from '../route';

type State = { status: 'loading'; step: string } | { status: 'ready'; model: ViewModels['compare']; before: SessionDetail; after: SessionDetail } | { status: 'error'; message: string };

/** Everything but the trace (the Trace tab reads that one). */
const want = (name: string) => name !== NAMES.trace;

export function CompareView({ api, before, after, report }: { api: Api; before: string; after: string; report: ErrorReporter }) {
  const [state, setState] = useState<State>({ status: 'loading', step: 'opening both sessions' });
  useEffect(() => {
    let live = true;
    (async () => {
      const [b, a] = await Promise.all([api.call('sessions.open', { sessionId: before }), api.call('sessions.open', { sessionId: after })]);
      if (!live) return;
      setState({ status: 'loading', step: 'reading artifacts' });
      const [fb, fa] = await Promise.all([loadArtifacts(api, b, want), loadArtifacts(api, a, want)]);
      if (!live) return;
      setState({ status: 'loading', step: 'comparing in the background' });
      const model = await requestView('compare', fb, { goVersion: b.goVersion, artifactStatus: artifactStatusOf(b), goVersionAfter: a.goVersion, artifactStatusAfter: artifactStatusOf(a) }, fa);
      if (live) setState({ status: 'ready', model, before: b, after: a });
    })().catch((err: unknown) => {
      if (live) setState({ status: 'error', message: (err as Error).message });
      report(err);
    });
    return () => {
      live = false;
    };
  }, [api, before, after, report]);
  if (state.status === 'loading')
    return (
      <section className="muted" data-testid="view-loading">
        Loading: {state.step}…
      </section>
    );
  if (state.status === 'error')
    return (
      <section className="error-inline" data-testid="view-error">
        {state.message}
      </section>
    );
  const { model: m, before: b, after: a } = state;
  const label = (s: SessionDetail) => `${s.processName} pid ${s.pid} on ${s.hostLabel}, ${s.goVersion ?? 'Go ?'}, ${formatTime(s.startedAt)}`;
  return (
    <section data-testid="compare-view">
      <h1>Compare</h1>
      <div className="meta">
        <span>
          before: <a href={href({ view: 'session', sessionId: b.id })}>{label(b)}</a>
        </span>
        <span>
          after: <a href={href({ view: 'session', sessionId: a.id })}>{label(a)}</a>
        </span>
      </div>
      <div className="split">
        <div className="card">
          <h2>Metrics</h2>
          <MetricsTable metrics={m.metrics} />
          <h2>Runtime settings</h2>
          <SettingsDeltaTable settings={m.settings} />
        </div>
        <div className="card" data-testid="compare-recommendations">
          <h2>Recommendations</h2>
          {m.resolved.map((r) => (
            <div key={r.id} className="rec-delta resolved" data-testid="rec-resolved" data-rule={r.id}>
              resolved · <span className={`severity severity-${r.severity}`}>{r.severity}</span> {r.title}
            </div>
          ))}
          {m.added.map((r) => (
            <div key={r.id} className="rec-delta added" data-testid="rec-added" data-rule={r.id}>
              new · <span className={`severity severity-${r.severity}`}>{r.severity}</span> {r.title}
            </div>
          ))}
          {m.kept.map((r) => (
            <div key={r.id} className="rec-delta kept" data-testid="rec-kept" data-rule={r.id}>
              still · {r.before === r.after ? r.after : `${r.before} → ${r.after}`} {r.title}
            </div>
          ))}
          {m.resolved.length + m.added.length + m.kept.length === 0 && <div className="muted">No recommendations in either session.</div>}
        </div>
      </div>
      <div className="split">
        <GroupTable title="Goroutine groups that changed" groups={m.goroutines} testId="goroutine-deltas" missing="a goroutine dump is missing from one of the sessions" />
        <GroupTable title="Native stack groups that changed" groups={m.threads} testId="thread-deltas" missing="native stacks are missing from one of the sessions" />
      </div>
      {m.profiles.map((p) => (
        <DiffFlame key={`${p.artifact}:${p.sampleType}`} diff={p} />
      ))}
      {m.profiles.length === 0 && <div className="muted">No profile was captured in both sessions, so there is no differential flame graph.</div>}
    </section>
  );
}

function value(v: number | null, unit: MetricDelta['unit']): string {
  if (v === null) return 'unknown';
  if (unit === 'bytes') return `${v < 0 ? '−' : ''}${formatBytes(Math.abs(v))}`;
  if (unit === 'ratio') return `${(v * 100).toFixed(1)}%`;
  return String(v);
}

function SettingsDeltaTable({ settings }: { settings: readonly SettingDelta[] }) {
  const side = (x: SettingDelta['before']) => (x ? `${x.value} (${SOURCE_LABEL[x.source]})` : 'unknown');
  return (
    <table className="table compact" data-testid="compare-settings">
      <thead>
        <tr>
          <th>setting</th>
          <th>before</th>
          <th>after</th>
        </tr>
      </thead>
      <tbody>
        {settings.map((x) => (
          <tr
            key={x.name}
            data-testid="compare-setting"
            data-name={x.name}
            data-before={x.before?.value ?? ''}
            data-after={x.after?.value ?? ''}
            className={x.before?.value !== x.after?.value ? 'delta-row' : ''}
          >
            <td className="mono">{x.name}</td>
            <td className="small">{side(x.before)}</td>
            <td className="small">{side(x.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MetricsTable({ metrics }: { metrics: readonly MetricDelta[] }) {
  return (
    <table className="table compact" data-testid="compare-metrics">
      <thead>
        <tr>
          <th>metric</th>
          <th className="num">before</th>
          <th className="num">after</th>
          <th className="num">change</th>
        </tr>
      </thead>
      <tbody>
        {metrics.map((x) => {
          const d = x.before !== null && x.after !== null ? x.after - x.before : null;
          return (
            <tr key={x.name} data-testid="compare-metric" data-name={x.name} data-before={x.before ?? ''} data-after={x.after ?? ''}>
              <td>{x.name}</td>
              <td className="num">{value(x.before, x.unit)}</td>
              <td className="num">{value(x.after, x.unit)}</td>
              <td className={`num ${d === null || d === 0 ? '' : d > 0 ? 'delta-up' : 'delta-down'}`}>{d === null ? '—' : `${d > 0 ? '+' : ''}${value(d, x.unit)}`}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function GroupTable({ title, groups, testId, missing }: { title: string; groups: readonly GroupDelta[] | null; testId: string; missing: string }) {
  return (
    <div className="card" data-testid={testId}>
      <h2>{title}</h2>
      {groups === null ? (
        <div className="muted">Not compared: {missing}.</div>
      ) : groups.length === 0 ? (
        <div className="muted">No group changed.</div>
      ) : (
        <table className="table compact">
          <thead>
            <tr>
              <th>state</th>
              <th>where</th>
              <th className="num">before</th>
              <th className="num">after</th>
            </tr>
          </thead>
          <tbody>
            {groups.slice(0, 30).map((g) => (
              <tr key={g.key} data-testid="group-delta" title={g.key.split('|').pop()?.split(';').join('\n')}>
                <td>{g.state}</td>
                <td className="mono">{g.where}</td>
                <td className="num">{g.before}</td>
                <td className={`num ${g.after > g.before ? 'delta-up' : 'delta-down'}`}>{g.after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * A differential flame graph: widths are the "after" profile, colour is the change in each frame's
 * share of its profile (red grew, blue shrank), so profiles of different lengths compare fairly.
 */
function DiffFlame({ diff }: { diff: ProfileDiff }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const boxes = useRef<IcicleBox<DiffNode>[]>([]);
  const [hover, setHover] = useState('');
  const share = (n: DiffNode) => ({ b: diff.beforeTotal ? n.before / diff.beforeTotal : 0, a: diff.afterTotal ? n.after / diff.afterTotal : 0 });
  const norm = diff.normalization;
  const fmt = (v: number) => `${formatSampleValue(v, diff.unit)}${norm.kind === 'per-second' ? '/s' : ''}`;
  useEffect(() => {
    if (!canvas.current) return;
    boxes.current = drawIcicle(canvas.current, diff.root, {
      maxDepth: 60,
      value: (n) => n.after,
      fill: (n) => {
        const s = share(n);
        const t = Math.max(-1, Math.min(1, (s.a - s.b) * 10));
        return t >= 0 ? `rgb(255, ${Math.round(235 - 150 * t)}, ${Math.round(220 - 170 * t)})` : `rgb(${Math.round(225 + 150 * t)}, ${Math.round(235 + 80 * t)}, 255)`;
      },
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [diff]);
  return (
    <div className="card" data-testid="diff-flame-card">
      <h2>
        {diff.artifact.replace(/^go\//, '').replace(/\.pb\.gz$/, '')} ({diff.sampleType}
        {norm.kind === 'per-second' ? ', per second of process uptime' : ''}): {fmt(diff.beforeTotal)} → {fmt(diff.afterTotal)}
      </h2>
      {norm.kind === 'per-second' && (
        <div className="muted small" data-testid="diff-flame-normalization">
          Counted since each process started, so divided by its uptime: {norm.beforeUptimeSeconds.toFixed(0)} s before, {norm.afterUptimeSeconds.toFixed(0)} s after ({norm.source}).
        </div>
      )}
      {norm.kind === 'as-captured' && norm.reason && (
        <div className="muted small" data-testid="diff-flame-normalization">
          {norm.reason}.
        </div>
      )}
      <div className="muted small" data-testid="diff-flame-hover">
        {hover || 'Width: the after profile. Red: a larger share than before; blue: smaller.'}
      </div>
      <canvas
        ref={canvas}
        className="flame"
        data-testid="diff-flame"
        onMouseMove={(e) => {
          const n = icicleAt(boxes.current, e);
          if (!n) return setHover('');
          const s = share(n);
          setHover(`${n.name}: ${fmt(n.before)} (${(s.b * 100).toFixed(1)}%) → ${fmt(n.after)} (${(s.a * 100).toFixed(1)}%)`);
        }}
      />
    </div>
  );
}

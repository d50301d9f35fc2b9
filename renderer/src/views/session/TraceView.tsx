import { NAMES } from '../../../../shared/artifacts/registry';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ArtifactMeta, SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import { SETTINGS_ARTIFACTS } from '../../../../shared/analysis/views/settings';
import { SOURCE_LABEL } from '../../../../shared/analysis/settings';
import { artifactStatusOf } from '../../analysis/viewsClient';
import { useView } from './useView';
import { formatDuration } from '../../../../shared/trace/report';
import { generationsFor, type TimelineDetail, type TimelineOverview } from '../../../../shared/trace/timeline';
import { MAX_DETAIL_BYTES, TraceTimelineClient } from '../../analysis/traceClient';
import { formatBytes } from '../../format';
import { messageOf } from '../../../../shared/contract/errors';
import { detailCovers, drawTimeline, GUTTER, hitTest, layoutRows, type DrawInput, type Hit, type Window } from './timelineDraw';

type Load = { status: 'loading'; bytes: number; total: number } | { status: 'ready'; overview: TimelineOverview } | { status: 'error'; message: string };
/** The narrowest window: a microsecond across the canvas. */
const MIN_WINDOW_NS = 1000;

export function TraceView({ api, session }: { api: Api; session: SessionDetail }) {
  const artifact = session.artifacts.find((a) => a.name === NAMES.trace && a.sha256);
  if (!artifact)
    return (
      <div className="muted" data-testid="view-error">
        No execution trace in this session. Capture again with an execution trace (the capture form's "Execution trace … s", or <code>gopherscope capture … --trace-seconds 5</code>); the target needs
        a pprof endpoint.
      </div>
    );
  return <TraceTimeline key={artifact.id} api={api} session={session} artifact={artifact} />;
}

function TraceTimeline({ api, session, artifact }: { api: Api; session: SessionDetail; artifact: ArtifactMeta }) {
  const [load, setLoad] = useState<Load>({ status: 'loading', bytes: 0, total: artifact.sizeBytes });
  const client = useRef<TraceTimelineClient | null>(null);

  useEffect(() => {
    const c = new TraceTimelineClient(api, artifact.id, artifact.sizeBytes);
    client.current = c;
    let live = true;
    performance.mark('gs-trace-open');
    c.load(
      (bytes, total) => live && setLoad({ status: 'loading', bytes, total }),
      () => !live,
    )
      .then((overview) => {
        if (!live) return;
        performance.measure('gs-trace-read-and-summarize', 'gs-trace-open');
        setLoad({ status: 'ready', overview });
      })
      .catch((err: unknown) => live && setLoad({ status: 'error', message: (err as Error).message }));
    return () => {
      live = false;
      c.dispose();
      client.current = null;
    };
  }, [api, artifact.id, artifact.sizeBytes]);

  if (load.status === 'loading')
    return (
      <div className="muted" data-testid="view-loading">
        Reading the trace in the background: {formatBytes(load.bytes)} of {formatBytes(load.total)} ({load.total ? Math.floor((load.bytes / load.total) * 100) : 0}%)
        <progress max={load.total} value={load.bytes} />
      </div>
    );
  if (load.status === 'error')
    return (
      <div className="error-inline" data-testid="view-error">
        {load.message}
      </div>
    );
  return (
    <div data-testid="trace-view">
      <TraceFacts overview={load.overview} api={api} session={session} />
      <GoToolTrace api={api} artifact={artifact} />
      <Timeline overview={load.overview} client={client} />
    </div>
  );
}

function TraceFacts({ overview: o, api, session }: { overview: TimelineOverview; api: Api; session: SessionDetail }) {
  const s = o.summary;
  // The session's GOMAXPROCS as every view has it (a stronger source than the trace may set it), with the trace's own beside it.
  const settings = useView(
    api,
    session,
    'settings',
    (name) => SETTINGS_ARTIFACTS.test(name),
    { goVersion: session.goVersion, artifactStatus: artifactStatusOf(session), trace: { gomaxprocs: s.gomaxprocs, durationNs: s.durationNs } },
    [s],
  );
  const traceProcs =
    s.gomaxprocs.initial === null
      ? 'none in the trace'
      : `trace: ${s.gomaxprocs.changes.at(-1)?.value ?? s.gomaxprocs.initial} at its end${s.gomaxprocs.changes.length ? `, ${s.gomaxprocs.changes.length} changes from ${s.gomaxprocs.initial}` : ''}`;
  const eff = settings.status === 'ready' ? settings.model.GOMAXPROCS.effective : null;
  const procs =
    settings.status === 'ready'
      ? `${eff ? `${eff.value} (${SOURCE_LABEL[eff.source]})` : 'unknown'}; ${traceProcs}`
      : settings.status === 'error'
        ? `settings not read (${settings.message}); ${traceProcs}`
        : traceProcs;
  const stw = s.stwByReason.slice(0, 3).map((r) => `${r.reason} ×${r.count} (max ${formatDuration(r.maxNs)})`);
  const partialCycles = s.gc.cycles.filter((c) => c.partial !== null).length;
  return (
    <div className="card">
      {o.error && (
        <div className="error-inline" data-testid="trace-error">
          The trace is damaged at byte {o.error.offset.toLocaleString()}: {o.error.message}. Shown: everything before it.
        </div>
      )}
      <div className="figures small-figures" data-testid="trace-facts">
        <Fact label="Duration" value={formatDuration(s.durationNs)} />
        <Fact label="Events" value={s.events.toLocaleString()} testId="trace-events" />
        <Fact label="GC cycles" value={String(s.gc.cycles.length)} testId="trace-gc-count" />
        <Fact
          label="GC pauses p50 / p99 / max"
          value={s.gc.pauses.count ? `${formatDuration(s.gc.pauses.p50Ns)} / ${formatDuration(s.gc.pauses.p99Ns)} / ${formatDuration(s.gc.pauses.maxNs)}` : '—'}
        />
        <Fact label="GC CPU (of GOMAXPROCS × duration)" value={s.gc.cpuFraction === null ? '—' : `${(s.gc.cpuFraction * 100).toFixed(1)}%`} />
        <Fact label="Sched latency p99 / max" value={s.schedLatency.count ? `${formatDuration(s.schedLatency.p99Ns)} / ${formatDuration(s.schedLatency.maxNs)}` : '—'} />
        <Fact label="GOMAXPROCS" value={procs} testId="trace-gomaxprocs" />
      </div>
      {stw.length > 0 && <div className="muted small">Stop-the-world: {stw.join('; ')}</div>}
      {partialCycles > 0 && (
        <div className="muted small">
          {partialCycles} GC cycle{partialCycles === 1 ? ' was' : 's were'} already running at the trace's start or still running at its end: counted, with the part the trace saw.
        </div>
      )}
    </div>
  );
}

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="figure">
      <div className="label">{label}</div>
      <div className="value small" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

type GoToolState =
  { state: 'idle' } | { state: 'compiling' } | { state: 'reading'; compiledMs: number } | { state: 'open'; url: string; opened: boolean; compiledMs: number } | { state: 'error'; message: string };

/** Go's viewer in two steps the user sees: the tool's compile (Go 1.25+ builds it on first use), then its read of the trace. */
function GoToolTrace({ api, artifact }: { api: Api; artifact: ArtifactMeta }) {
  const [status, setStatus] = useState<{ available: boolean; goVersion: string | null; reason: string | null } | null>(null);
  const [opened, setOpened] = useState<GoToolState>({ state: 'idle' });
  useEffect(() => {
    let live = true;
    api.call('tools.goTrace.status', {}).then(
      (s) => live && setStatus(s),
      () => live && setStatus({ available: false, goVersion: null, reason: 'could not check for Go' }),
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (!status) return null;
  if (!status.available)
    return (
      <div className="muted small" data-testid="go-tool-trace-unavailable">
        go tool trace: {status.reason}
      </div>
    );
  const open = async () => {
    setOpened({ state: 'compiling' });
    try {
      const built = await api.call('tools.goTrace.build', {});
      setOpened({ state: 'reading', compiledMs: built.durationMs });
      const r = await api.call('tools.goTrace.open', { artifactId: artifact.id });
      setOpened({ state: 'open', url: r.url, opened: r.opened, compiledMs: built.durationMs });
    } catch (err) {
      setOpened({ state: 'error', message: messageOf(err) });
    }
  };
  const busy = opened.state === 'compiling' || opened.state === 'reading';
  const compiled = (ms: number) => `1. go tool trace compiled (${ms < 1000 ? 'already built' : `${(ms / 1000).toFixed(1)} s`}).`;
  return (
    <div className="go-tool">
      <button onClick={() => void open()} disabled={busy} data-testid="go-tool-trace">
        Open with go tool trace ({status.goVersion})
      </button>{' '}
      <span data-testid="go-tool-trace-step" data-state={opened.state}>
        {opened.state === 'compiling' && <span className="muted">1. Compiling go tool trace with {status.goVersion} (Go 1.25 and later build it on its first use, then keep it)…</span>}
        {opened.state === 'reading' && (
          <span className="muted">
            {compiled(opened.compiledMs)} 2. go tool trace is reading the trace ({formatBytes(artifact.sizeBytes)})…
          </span>
        )}
        {opened.state === 'open' && (
          <span data-testid="go-tool-trace-url">
            <span className="muted">{compiled(opened.compiledMs)}</span> Go&apos;s viewer is at{' '}
            {opened.opened ? (
              // The desktop app opened it already; the window itself never leaves the app for http.
              <code>{opened.url}</code>
            ) : (
              <a href={opened.url} target="_blank" rel="noopener noreferrer" data-testid="go-tool-trace-link">
                {opened.url}
              </a>
            )}
            {opened.opened ? ', opened in your browser.' : '.'} It stops when this session closes.
          </span>
        )}
        {opened.state === 'error' && <span className="error-inline">{opened.message}</span>}
      </span>
    </div>
  );
}

function Timeline({ overview, client }: { overview: TimelineOverview; client: React.RefObject<TraceTimelineClient | null> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const full = useMemo<Window>(() => ({ fromNs: overview.firstNs, toNs: Math.max(overview.lastNs, overview.firstNs + MIN_WINDOW_NS) }), [overview]);
  const [win, setWin] = useState<Window>(full);
  const [width, setWidth] = useState(1000);
  const [detail, setDetail] = useState<TimelineDetail | null>(null);
  const [detailNote, setDetailNote] = useState('');
  const [hover, setHover] = useState('');
  const [selected, setSelected] = useState<Extract<Hit, { kind: 'interval' }> | null>(null);
  const selectionPanel = useRef<HTMLDivElement>(null);
  // The stack opens below the timeline, often past the window's bottom edge: bring it into view.
  useEffect(() => {
    if (selected) selectionPanel.current?.scrollIntoView({ block: 'nearest', behavior: 'instant' });
  }, [selected]);
  const { rows, height } = useMemo(() => layoutRows(overview), [overview]);
  const drag = useRef<{ x: number; from: Window; moved: boolean } | null>(null);

  const input: DrawInput = useMemo(
    () => ({ overview, detail, rows, window: win, width, height, selected: selected && !selected.syscall ? { lane: selected.lane, index: selected.index } : null }),
    [overview, detail, rows, win, width, height, selected],
  );

  // Size the canvas to its box.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(GUTTER + 100, Math.floor(c.clientWidth))));
    ro.observe(c);
    return () => ro.disconnect();
  }, []);

  // Draw, once per animation frame at most.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const id = requestAnimationFrame(() => {
      const t0 = performance.now();
      const dpr = window.devicePixelRatio || 1;
      if (c.width !== width * dpr || c.height !== height * dpr) {
        c.width = width * dpr;
        c.height = height * dpr;
        c.style.height = `${height}px`;
      }
      const g = c.getContext('2d');
      if (!g) return;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawTimeline(g, input);
      performance.measure('gs-trace-draw', { start: t0 });
      c.dataset.drawn = String(Number(c.dataset.drawn ?? 0) + 1);
    });
    return () => cancelAnimationFrame(id);
  }, [input, width, height]);

  // The detail of the window, when its generations are small enough to read.
  useEffect(() => {
    if (detailCovers(detail, win)) return;
    const range = generationsFor(overview, win.fromNs, win.toNs);
    if (!range) return;
    if (range.bytes > MAX_DETAIL_BYTES) {
      setDetailNote(`Drawn from levels of detail; zoom in to under ${formatBytes(MAX_DETAIL_BYTES)} of trace (now ${formatBytes(range.bytes)}) for goroutines and stacks.`);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      setDetailNote(`Reading ${formatBytes(range.bytes)} of trace for the detail of this window…`);
      client.current
        ?.detail(overview, win.fromNs, win.toNs)
        .then((d) => {
          if (!live || !d) return;
          // The detail spans its generations, usually more than the window asked for.
          setDetail(d);
          setDetailNote(d.error ? `The detail stops at byte ${d.error.offset}: ${d.error.message}` : '');
        })
        .catch((err: unknown) => live && setDetailNote(`Could not read the detail: ${(err as Error).message}`));
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [overview, win, detail, client]);

  const zoom = useCallback(
    (factor: number, atPx: number) => {
      setWin((w) => {
        const span = w.toNs - w.fromNs;
        const plot = width - GUTTER;
        const anchor = w.fromNs + (Math.max(0, atPx - GUTTER) / plot) * span;
        const next = Math.min(full.toNs - full.fromNs, Math.max(MIN_WINDOW_NS, span * factor));
        let from = anchor - ((anchor - w.fromNs) / span) * next;
        from = Math.max(full.fromNs, Math.min(from, full.toNs - next));
        return { fromNs: from, toNs: from + next };
      });
    },
    [full, width],
  );
  const pan = useCallback(
    (deltaNs: number, from?: Window) => {
      setWin((w) => {
        const base = from ?? w;
        const span = base.toNs - base.fromNs;
        const f = Math.max(full.fromNs, Math.min(base.fromNs + deltaNs, full.toNs - span));
        return { fromNs: f, toNs: f + span };
      });
    },
    [full],
  );

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan(((e.deltaX || e.deltaY) / (width - GUTTER)) * (win.toNs - win.fromNs));
      else zoom(Math.exp(e.deltaY * 0.002), e.clientX - r.left);
    };
    c.addEventListener('wheel', onWheel, { passive: false });
    return () => c.removeEventListener('wheel', onWheel);
  }, [zoom, pan, width, win]);

  const pos = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const stop = selected ? detail?.stops[selected.track.stop[selected.index]!] : undefined;
  const span = win.toNs - win.fromNs;

  return (
    <div className="card">
      <div className="toolbar">
        <button onClick={() => zoom(0.5, GUTTER + (width - GUTTER) / 2)} data-testid="trace-zoom-in" title="Zoom in (W)">
          +
        </button>
        <button onClick={() => zoom(2, GUTTER + (width - GUTTER) / 2)} data-testid="trace-zoom-out" title="Zoom out (S)">
          −
        </button>
        <button onClick={() => setWin(full)} data-testid="trace-zoom-reset">
          Whole trace
        </button>
        <span className="muted small" data-testid="trace-window">
          {formatDuration(win.fromNs - overview.firstNs)} – {formatDuration(win.toNs - overview.firstNs)} ({formatDuration(span)} shown)
        </span>
        <span className="muted small" data-testid="trace-detail-note">
          {detailNote || (detailCovers(detail, win) ? 'Exact intervals; click one for its stack.' : '')}
        </span>
      </div>
      <div className="muted small trace-hover" data-testid="trace-hover">
        {hover || 'Wheel to zoom, drag or shift+wheel to pan, W/S/A/D on the keyboard; hover for details.'}
      </div>
      <canvas
        ref={canvas}
        className="timeline"
        tabIndex={0}
        data-testid="trace-timeline"
        onMouseDown={(e) => {
          drag.current = { x: pos(e).x, from: win, moved: false };
        }}
        onMouseMove={(e) => {
          const p = pos(e);
          const d = drag.current;
          if (d && e.buttons === 1) {
            const dx = p.x - d.x;
            if (Math.abs(dx) > 2) d.moved = true;
            if (d.moved) pan((-dx / (width - GUTTER)) * (d.from.toNs - d.from.fromNs), d.from);
            return;
          }
          setHover(hitTest(input, p.x, p.y)?.text ?? '');
        }}
        onMouseUp={(e) => {
          const d = drag.current;
          drag.current = null;
          if (d?.moved) return;
          const p = pos(e);
          const h = hitTest(input, p.x, p.y);
          setSelected(h?.kind === 'interval' ? h : null);
          if (h?.kind === 'gc') setWin({ fromNs: h.cycle.startNs - h.cycle.durationNs * 0.1, toNs: h.cycle.startNs + h.cycle.durationNs * 1.1 });
        }}
        onMouseLeave={() => {
          drag.current = null;
          setHover('');
        }}
        onKeyDown={(e) => {
          const mid = GUTTER + (width - GUTTER) / 2;
          if (e.key === 'w') zoom(0.7, mid);
          else if (e.key === 's') zoom(1 / 0.7, mid);
          else if (e.key === 'a') pan(-span * 0.2);
          else if (e.key === 'd') pan(span * 0.2);
        }}
      />
      <div className="legend muted small">
        <span className="swatch" style={{ background: '#9b7ed9' }} /> GC <span className="swatch" style={{ background: '#d64545' }} /> stop-the-world{' '}
        <span className="swatch" style={{ background: '#3a9d5d' }} /> running <span className="swatch" style={{ background: '#e0a030' }} /> runnable{' '}
        <span className="swatch" style={{ background: '#4a7fd6' }} /> syscall <span className="swatch" style={{ background: '#c9cdd3' }} /> waiting{' '}
        <span className="swatch" style={{ background: '#7fb3e6' }} /> heap live <span className="swatch" style={{ background: '#c0392b' }} /> heap goal
        {overview.hiddenThreads > 0 && <> · {overview.hiddenThreads} idle or least busy threads not shown</>}
      </div>
      {selected && (
        <div className="card" data-testid="trace-selection" ref={selectionPanel}>
          <h3>
            G{selected.track.g[selected.index]} on {selected.lane.kind === 'proc' ? `P${selected.lane.id}` : `thread M${selected.lane.id}`}: {selected.syscall ? 'system call' : 'ran'}{' '}
            {formatDuration(selected.track.end[selected.index]! - selected.track.start[selected.index]!)} from {formatDuration(selected.track.start[selected.index]! - overview.firstNs)}
            {!selected.syscall && stop ? `, then ${stop.why}` : ''}
          </h3>
          {stop && stop.frames.length > 0 ? (
            <pre className="stack" data-testid="trace-stack">
              {stop.frames.map((f) => `${f.func}\n    ${f.file}:${f.line}`).join('\n')}
            </pre>
          ) : (
            <div className="muted">The trace has no stack for this {selected.syscall ? 'system call' : 'stop'} (a preemption or exit records none).</div>
          )}
        </div>
      )}
    </div>
  );
}

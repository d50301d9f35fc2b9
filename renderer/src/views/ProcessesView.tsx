import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ProcessInfo, SudoProbe } from '../../../shared/contract/api';
import { CAPTURE_COSTS } from '../../../shared/capture/plan';
import { containerLabel } from '../../../shared/analysis/containerView';
import { orderProcesses } from '../../../shared/analysis/processList';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';
import { formatKiB } from '../format';
import { href } from '../route';

interface CaptureState {
  captureId: string;
  sessionId: string;
  pid: number;
  step: string;
  done: number;
  total: number;
  /** Timed fetches running, with when (on this clock) each sampling window ends. */
  timers: readonly { name: string; endsAt: number }[];
  finished: null | { status: string; reason: string | null };
}

type Progress = Pick<CaptureState, 'step' | 'done' | 'total' | 'timers'>;

export function ProcessesView({ api, hostId, report }: { api: Api; hostId: string; report: ErrorReporter }) {
  const [list, setList] = useState<ProcessInfo[] | null>(null);
  const [partial, setPartial] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [goOnly, setGoOnly] = useState(false);
  const [loading, setLoading] = useState(false);
  const [capture, setCapture] = useState<CaptureState | null>(null);
  const [probe, setProbe] = useState<SudoProbe | null>(null);
  const [hostLabel, setHostLabel] = useState<string | null>(null);
  // Progress that arrives before capture.start answers (the first event usually does) waits here.
  const early = useRef(new Map<string, Progress>());
  const [, tick] = useState(0);

  useEffect(() => {
    api.call('hosts.list', {}).then((hosts) => setHostLabel(hosts.find((h) => h.id === hostId)?.label ?? null), report);
  }, [api, hostId, report]);

  const refresh = useCallback(async () => {
    setLoading(true);
    try {
      const r = await api.call('processes.list', { hostId });
      setList(r.processes);
      setPartial(r.partial);
    } catch (err) {
      report(err);
    } finally {
      setLoading(false);
    }
  }, [api, hostId, report]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    const offProgress = api.on('capture.progress', (p) => {
      const now = Date.now();
      const progress: Progress = { step: p.step, done: p.done, total: p.total, timers: (p.timers ?? []).map((t) => ({ name: t.name, endsAt: now + t.remainingMs })) };
      early.current.set(p.captureId, progress);
      setCapture((c) => (c && c.captureId === p.captureId ? { ...c, ...progress } : c));
    });
    const offDone = api.on('capture.finished', (p) => setCapture((c) => (c && c.captureId === p.captureId ? { ...c, finished: { status: p.status, reason: p.reason } } : c)));
    return () => {
      offProgress();
      offDone();
    };
  }, [api]);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return orderProcesses((list ?? []).filter((p) => (!goOnly || p.go.kind === 'go') && (!f || `${p.pid} ${p.user} ${p.command}`.toLowerCase().includes(f))));
  }, [list, filter, goOnly]);

  const [planFor, setPlanFor] = useState<ProcessInfo | null>(null);

  const start = async (pid: number, options: CaptureOptions) => {
    setPlanFor(null);
    try {
      const { captureId, sessionId } = await api.call('capture.start', { hostId, pid, ...options });
      const seen = early.current.get(captureId) ?? { step: 'starting', done: 0, total: 0, timers: [] };
      setCapture((c) => (c && c.captureId === captureId ? c : { captureId, sessionId, pid, ...seen, finished: null }));
    } catch (err) {
      report(err);
    }
  };

  const cancel = async () => {
    if (!capture) return;
    try {
      await api.call('capture.cancel', { captureId: capture.captureId });
    } catch (err) {
      report(err);
    }
  };

  const running = capture !== null && capture.finished === null;
  const timers = running ? capture.timers : [];
  const counting = timers.length > 0;
  // A countdown redraws each second while a timed fetch samples.
  useEffect(() => {
    if (!counting) return;
    const id = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(id);
  }, [counting]);
  return (
    <section>
      <h1 data-testid="processes-title">Processes on {hostLabel ?? 'this host'}</h1>
      <div className="hostbar">
        <a href={href({ view: 'terminal', hostId })} data-testid="open-terminal">
          Terminal
        </a>
        <button onClick={() => void api.call('sudo.probe', { hostId }).then(setProbe, report)} data-testid="sudo-probe">
          Check sudo -n
        </button>
      </div>
      {probe && (
        <div className={`card probe ${probe.ok ? '' : 'warn'}`} data-testid="sudo-result">
          <strong>{probe.ok ? 'sudo -n works' : 'sudo -n is not enough'}</strong> — {probe.summary}
          <ul>
            {probe.checks.map((c) => (
              <li key={c.command}>
                <span className="mono">{c.command}</span>: {c.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="toolbar">
        <input placeholder="Filter by pid, user or command" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="process-filter" />
        <label className="check">
          <input type="checkbox" checked={goOnly} onChange={(e) => setGoOnly(e.target.checked)} data-testid="go-only" /> Go only
        </label>
        <button onClick={() => void refresh()} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
        <span className="muted">{list ? `${shown.length} of ${list.length}` : ''}</span>
      </div>
      {partial && (
        <div className="card warn" role="status" data-testid="process-list-partial">
          <strong>Partial list</strong> — {partial}
        </div>
      )}
      {capture && (
        <div className="card capture" data-testid="capture-progress">
          <div>
            Capturing PID <span className="mono">{capture.pid}</span>: {capture.finished ? capture.finished.status : capture.step}
          </div>
          <progress max={capture.total || 1} value={capture.finished ? capture.total || 1 : capture.done} />
          <span className="muted" data-testid="capture-count">
            {capture.done} of {capture.total || '…'} artifacts
          </span>
          {timers.map((t) => {
            const left = Math.ceil((t.endsAt - Date.now()) / 1000);
            return (
              <span key={t.name} className="badge timer" data-testid="capture-countdown" data-name={t.name}>
                <span className="mono">{t.name}</span>: {left > 0 ? `sampling, ${left} s left` : 'downloading'}
              </span>
            );
          })}
          {running && <button onClick={() => void cancel()}>Cancel</button>}
          {capture.finished && (
            <div data-testid="capture-done" className={`status status-${capture.finished.status}`}>
              {capture.finished.status === 'failed'
                ? `Capture failed: ${capture.finished.reason ?? ''}`
                : `Session ${capture.finished.status}${capture.finished.reason ? ` (${capture.finished.reason})` : ''}. `}
              {capture.finished.status !== 'failed' && (
                <a href={href({ view: 'session', sessionId: capture.sessionId })} data-testid="open-session">
                  Open session
                </a>
              )}
            </div>
          )}
        </div>
      )}
      {planFor && <CaptureDialog process={planFor} onStart={(o) => void start(planFor.pid, o)} onCancel={() => setPlanFor(null)} />}
      <table className="table processes">
        <thead>
          <tr>
            <th className="num">PID</th>
            <th>User</th>
            <th>Command</th>
            <th>Container</th>
            <th className="num">RSS</th>
            <th className="num">Threads</th>
            <th>Go</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((p) => (
            <tr
              key={p.pid}
              data-testid="process-row"
              data-pid={p.pid}
              data-go={p.go.kind === 'go' ? 'true' : 'false'}
              data-kernel={p.kernelThread ? 'true' : 'false'}
              className={p.go.kind === 'go' ? 'go' : p.kernelThread ? 'kernel' : ''}
            >
              <td className="num mono">{p.pid}</td>
              <td>{p.user}</td>
              <td className="mono command" title={p.command}>
                {p.command}
              </td>
              <td className="small" title={p.cgroupPath ?? ''}>
                {p.container ? containerLabel(p.container) : ''}
              </td>
              <td className="num">{formatKiB(p.rssKiB)}</td>
              <td className="num">{p.threads ?? '—'}</td>
              <td title={p.go.reason} className="go-cell">
                {p.go.kind === 'go' ? (
                  <>
                    <span className="badge go" data-testid="go-badge">
                      Go {p.go.goVersion}
                    </span>
                    {p.go.mainModule && (
                      <span className="badge module" data-testid="module-badge" title={`main module ${p.go.mainModule} ${p.go.mainVersion ?? ''} (build info)`}>
                        {p.go.mainModule.split('/').at(-1)} {p.go.mainVersion ?? ''}
                      </span>
                    )}
                    {Object.entries(p.goEnv ?? {}).map(([k, v]) => (
                      <span key={k} className="badge env" title={`${k}=${v}`}>
                        {k}={v.length > 160 ? `${v.slice(0, 160)}…` : v}
                      </span>
                    ))}
                  </>
                ) : p.kernelThread ? (
                  <span className="muted small">kernel thread</span>
                ) : p.go.kind === 'unknown' ? (
                  <span className="muted">?</span>
                ) : null}
              </td>
              <td className="actions">
                <button
                  data-testid="capture-button"
                  disabled={running || p.kernelThread === true}
                  title={p.kernelThread ? 'A kernel thread has no user memory, executable or Go runtime to capture.' : undefined}
                  onClick={() => setPlanFor(p)}
                >
                  Capture
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface CaptureOptions {
  stacks: boolean;
  processMemory: boolean;
  memProbes: boolean;
  cpuProfileSeconds?: number;
  traceSeconds?: number;
  pprofPort?: number;
}

/** A part of the capture that can be switched off, with its cost (marked when it pauses the target). */
function OptionRow({ label, checked, set, testId, cost, pauses = false }: { label: string; checked: boolean; set: (on: boolean) => void; testId: string; cost: string; pauses?: boolean }) {
  return (
    <tr>
      <td>
        <label className="check">
          <input type="checkbox" checked={checked} onChange={(e) => set(e.target.checked)} data-testid={testId} /> {label}
        </label>
      </td>
      <td className={!checked ? 'muted' : pauses ? 'cost' : ''}>{cost}</td>
    </tr>
  );
}

/** What the capture will collect and what each part costs the target, before anything runs. */
function CaptureDialog({ process: p, onStart, onCancel }: { process: ProcessInfo; onStart: (o: CaptureOptions) => void; onCancel: () => void }) {
  const [stacks, setStacks] = useState(true);
  const [processMemory, setProcessMemory] = useState(true);
  const [memProbes, setMemProbes] = useState(true);
  const [cpu, setCpu] = useState('0');
  const [trace, setTrace] = useState('0');
  const [port, setPort] = useState('');
  const isGo = p.go.kind === 'go';
  const submit = () => {
    const cpuS = Math.round(Number(cpu));
    const traceS = Number(trace);
    const portN = Number(port);
    onStart({
      stacks,
      processMemory,
      memProbes,
      ...(cpuS > 0 ? { cpuProfileSeconds: Math.min(cpuS, 300) } : {}),
      ...(traceS > 0 ? { traceSeconds: Math.min(traceS, 120) } : {}),
      ...(Number.isInteger(portN) && portN > 0 && portN < 65536 ? { pprofPort: portN } : {}),
    });
  };
  return (
    <div className="modal-backdrop">
      <div className="modal wide" role="dialog" aria-modal="true" data-testid="capture-dialog">
        <h2>
          Capture <span className="mono">{p.comm}</span> (pid {p.pid}){isGo ? ` — ${p.go.goVersion}` : ''}
        </h2>
        <table className="table small plan">
          <tbody>
            <tr>
              <td>System, scheduler, process, threads, cgroups</td>
              <td>{CAPTURE_COSTS.fast}</td>
            </tr>
            <OptionRow label="Native stacks" checked={stacks} set={setStacks} testId="capture-stacks" cost={CAPTURE_COSTS.stacks} pauses />
            <OptionRow label="Memory probes" checked={memProbes} set={setMemProbes} testId="capture-mem-probes" cost={CAPTURE_COSTS.memProbes} />
            {isGo && (
              <>
                <tr>
                  <td>
                    <label className="check">
                      <input type="checkbox" checked={processMemory} onChange={(e) => setProcessMemory(e.target.checked)} data-testid="capture-process-memory" /> Runtime settings from process memory
                    </label>
                  </td>
                  <td className={processMemory ? '' : 'muted'}>{CAPTURE_COSTS.processMemory}</td>
                </tr>
                <tr>
                  <td>Goroutines, heap and MemStats, allocs, threadcreate, mutex, block (via pprof)</td>
                  <td>
                    {CAPTURE_COSTS.goroutines} {CAPTURE_COSTS.heap}
                  </td>
                </tr>
                <tr>
                  <td>
                    CPU profile <input className="num" value={cpu} onChange={(e) => setCpu(e.target.value)} data-testid="capture-cpu-seconds" /> s (0 = off)
                  </td>
                  <td>{CAPTURE_COSTS.cpuProfile}</td>
                </tr>
                <tr>
                  <td>
                    Execution trace <input className="num" value={trace} onChange={(e) => setTrace(e.target.value)} data-testid="capture-trace-seconds" /> s (0 = off)
                  </td>
                  <td>{CAPTURE_COSTS.trace} Capped at 256 MiB.</td>
                </tr>
                <tr>
                  <td>
                    pprof port <input className="num" value={port} placeholder="auto" onChange={(e) => setPort(e.target.value)} />
                  </td>
                  <td className="muted">Found from the process's own listening sockets unless given; reached through an SSH tunnel, never exposed. {CAPTURE_COSTS.netns}</td>
                </tr>
              </>
            )}
          </tbody>
        </table>
        <div className="buttons">
          <button onClick={onCancel}>Cancel</button>
          <button className="primary" onClick={submit} data-testid="capture-start">
            Start capture
          </button>
        </div>
      </div>
    </div>
  );
}

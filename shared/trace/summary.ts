/**
 * What an execution trace says about a Go service, computed in one pass
 * over the reader's event stream: GC cycles and their stop-the-world
 * pauses, other pauses by reason, GC CPU (workers and mark assist), heap
 * and goal over time, goroutines per state over time, scheduling latency
 * (runnable to running) with the worst cases and their stacks, blocking and
 * syscall time by reason and stack, P utilization, GOMAXPROCS and its
 * changes, and CPU samples as a profile. Memory is bounded: series are
 * decimated, per-stack tables keep their heaviest entries.
 */
import { createTraceReader, type TraceFrame, type TraceGeneration, type TraceReadResult, type TraceSink } from './reader';
import { Ev, GoStatus, KIND_OF, ProcStatus, eventName } from './spec';

export interface TraceRange {
  readonly startNs: number;
  readonly durationNs: number;
}
export interface StwPause extends TraceRange {
  /** The runtime's reason, e.g. "GC mark termination", "GOMAXPROCS", "read mem stats". */
  readonly reason: string;
}
export interface GcCycle extends TraceRange {
  readonly seq: number;
  /** The sweep-termination and mark-termination pauses inside this cycle. */
  readonly sweepTerminationNs: number | null;
  readonly markTerminationNs: number | null;
}
export interface PauseStats {
  readonly count: number;
  readonly totalNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly maxNs: number;
}
export interface LatencyStats extends PauseStats {
  /** Counts per power-of-two bucket: bucket i holds [2^i, 2^(i+1)) ns. */
  readonly histogram: readonly number[];
}
export interface StackTotal {
  readonly key: string;
  readonly count: number;
  readonly totalNs: number;
  readonly frames: readonly TraceFrame[];
}
export interface SeriesPoint {
  readonly tNs: number;
  readonly value: number;
}
export interface GoroutineCountPoint {
  readonly tNs: number;
  readonly running: number;
  readonly runnable: number;
  readonly waiting: number;
  readonly syscall: number;
}
export interface ProcUtilization {
  readonly p: number;
  /** Time a goroutine ran on this P. */
  readonly busyNs: number;
  readonly utilization: number;
}
export interface CpuProfileEntry {
  readonly func: string;
  readonly self: number;
  readonly total: number;
}

export interface TraceSummary {
  readonly version: number | null;
  readonly bytes: number;
  readonly generations: number;
  readonly firstNs: number;
  readonly lastNs: number;
  readonly durationNs: number;
  /** Every event Go's reader would return, and per kind (its EventKind names). */
  readonly events: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Per wire event type, by name. */
  readonly byType: Readonly<Record<string, number>>;
  readonly gc: {
    readonly cycles: readonly GcCycle[];
    readonly pauses: PauseStats;
    /** GC CPU estimate: worker and mark-assist time over available CPU time (duration × GOMAXPROCS). */
    readonly workerNs: number;
    readonly assistNs: number;
    readonly cpuFraction: number | null;
  };
  /** Every stop-the-world pause, in time order. */
  readonly stw: readonly StwPause[];
  readonly stwByReason: readonly ({ readonly reason: string } & PauseStats)[];
  readonly metrics: Readonly<Record<string, { readonly count: number; readonly last: number; readonly min: number; readonly max: number }>>;
  readonly heap: { readonly live: readonly SeriesPoint[]; readonly goal: readonly SeriesPoint[] };
  readonly gomaxprocs: { readonly initial: number | null; readonly changes: readonly SeriesPoint[] };
  readonly goroutines: { readonly max: number; readonly series: readonly GoroutineCountPoint[] };
  readonly schedLatency: LatencyStats & { readonly worst: readonly { readonly g: number; readonly atNs: number; readonly latencyNs: number; readonly frames: readonly TraceFrame[] }[] };
  readonly blocking: { readonly byReason: readonly { readonly reason: string; readonly count: number; readonly totalNs: number }[]; readonly byStack: readonly StackTotal[] };
  readonly syscalls: { readonly count: number; readonly totalNs: number; readonly byStack: readonly StackTotal[] };
  readonly procs: readonly ProcUtilization[];
  readonly cpuSamples: { readonly count: number; readonly top: readonly CpuProfileEntry[] };
}

export type TraceSummaryResult = { readonly ok: true; readonly summary: TraceSummary } | { readonly ok: false; readonly error: { readonly message: string; readonly offset: number }; readonly summary: TraceSummary };

const MAX_SERIES = 4000;
const MAX_STACK_ROWS = 50;
const MAX_WORST = 20;
const GC_WORKER_LABELS = new Set(['GC (dedicated)', 'GC (fractional)', 'GC (idle)']);
const METRIC_NAMES: Readonly<Record<number, string>> = {
  [Ev.ProcsChange]: '/sched/gomaxprocs:threads',
  [Ev.HeapAlloc]: '/memory/classes/heap/objects:bytes',
  [Ev.HeapGoal]: '/gc/heap/goal:bytes',
};

/** Keeps a series at most MAX_SERIES points by dropping every other point when full. */
class Series {
  points: SeriesPoint[] = [];
  private stride = 1;
  private n = 0;
  add(tNs: number, value: number) {
    if (this.n++ % this.stride !== 0) return;
    this.points.push({ tNs, value });
    if (this.points.length >= MAX_SERIES) {
      this.points = this.points.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }
}

function pauseStats(ds: number[]): PauseStats {
  if (ds.length === 0) return { count: 0, totalNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 };
  const s = Float64Array.from(ds).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  let total = 0;
  for (const d of s) total += d;
  return { count: s.length, totalNs: total, p50Ns: q(0.5), p99Ns: q(0.99), maxNs: s[s.length - 1]! };
}

/** Aggregates durations per stack, keyed by the frames' text (stack IDs differ per generation). */
class StackTable {
  private readonly rows = new Map<string, { count: number; totalNs: number; frames: readonly TraceFrame[] }>();
  add(frames: readonly TraceFrame[] | undefined, ns: number): void {
    const f = frames ?? [];
    const key = f.map((x) => `${x.func} ${x.file}:${x.line}`).join('\n');
    let r = this.rows.get(key);
    if (!r) {
      // Bounded: past a limit, new stacks are folded into one row.
      if (this.rows.size >= 10_000) return this.add([{ pc: 0, func: '(other stacks)', file: '', line: 0 }], ns);
      this.rows.set(key, (r = { count: 0, totalNs: 0, frames: f }));
    }
    r.count++;
    r.totalNs += ns;
  }
  top(): StackTotal[] {
    return [...this.rows.entries()]
      .map(([key, r]) => ({ key, ...r }))
      .sort((a, b) => b.totalNs - a.totalNs || b.count - a.count)
      .slice(0, MAX_STACK_ROWS);
  }
}

/** The accumulator behind summarizeTrace, usable as a sink for a reader fed elsewhere (a worker, the CLI). */
export class TraceSummarizer implements TraceSink {
  private gen: TraceGeneration | null = null;
  private firstNs = -1;
  private lastNs = 0;
  private events = 0;
  private readonly byKind: Record<string, number> = {};
  private readonly byTypeN = new Float64Array(256);

  private gcOpen: { startNs: number; seq: number } | null = null;
  private readonly cycles: { startNs: number; durationNs: number; seq: number; sweepTerminationNs: number | null; markTerminationNs: number | null }[] = [];
  private pendingStw: { sweep: number | null; mark: number | null } = { sweep: null, mark: null };
  private readonly stwOpen = new Map<number, { startNs: number; reason: string }>();
  private readonly stw: StwPause[] = [];
  private readonly metrics: Record<string, { count: number; last: number; min: number; max: number }> = {};
  private readonly live = new Series();
  private readonly goal = new Series();
  private gomaxprocs: number | null = null;
  private readonly procChanges: SeriesPoint[] = [];

  // Goroutines: state per goroutine and per-state counts.
  private readonly gState = new Map<number, number>();
  private readonly counts = [0, 0, 0, 0, 0];
  private maxGoroutines = 0;
  private readonly gSeries: GoroutineCountPoint[] = [];
  private gSeriesStep = 1e6;
  private gSeriesNext = 0;
  private readonly curG = new Map<number, number>();
  private readonly runnableSince = new Map<number, { t: number; stack: number }>();
  private readonly blockedSince = new Map<number, { t: number; reason: string; frames: readonly TraceFrame[] | undefined }>();
  private readonly syscallSince = new Map<number, { t: number; frames: readonly TraceFrame[] | undefined }>();
  private readonly latencies: number[] = [];
  private readonly latencyHistogram = new Array<number>(48).fill(0);
  private worst: { g: number; atNs: number; latencyNs: number; frames: readonly TraceFrame[] }[] = [];
  private readonly blockByReason = new Map<string, { count: number; totalNs: number }>();
  private readonly blockByStack = new StackTable();
  private readonly syscallByStack = new StackTable();
  private syscallCount = 0;
  private syscallNs = 0;

  // Ps and execution.
  private readonly mP = new Map<number, number>();
  private readonly runningSince = new Map<number, number>();
  private readonly pBusy = new Map<number, number>();
  private readonly label = new Map<number, string>();
  private readonly assistSince = new Map<number, number>();
  private workerNs = 0;
  private assistNs = 0;
  private procTimeNs = 0;
  private procTimeAt = -1;

  private readonly samples = new Map<string, { count: number; frames: readonly TraceFrame[] }>();
  private sampleCount = 0;

  generation(g: TraceGeneration): void {
    this.gen = g;
  }

  sync(t: number): void {
    this.touch(t);
    this.kind('Sync');
  }

  cpuSample(t: number, _m: number, _p: number, _g: number, stack: number): void {
    this.touch(t);
    this.kind('StackSample');
    this.byTypeN[Ev.CPUSample]!++;
    this.sampleCount++;
    const frames = this.gen?.stacks.get(stack) ?? [];
    const key = frames.map((f) => f.func).join(';');
    const r = this.samples.get(key);
    if (r) r.count++;
    else if (this.samples.size < 50_000) this.samples.set(key, { count: 1, frames });
  }

  private touch(t: number) {
    if (this.firstNs < 0) {
      this.firstNs = t;
      this.gSeriesNext = t;
    }
    this.lastNs = t;
    this.events++;
  }

  private kind(k: string, n = 1) {
    this.byKind[k] = (this.byKind[k] ?? 0) + n;
  }

  private str(id: number): string {
    return id === 0 ? '' : (this.gen?.strings.get(id) ?? '');
  }

  private frames(stack: number): readonly TraceFrame[] | undefined {
    return stack === 0 ? undefined : this.gen?.stacks.get(stack);
  }

  /** GOMAXPROCS × time, integrated as GOMAXPROCS changes: the CPU time available to Go code. */
  private accountProcs(t: number) {
    if (this.gomaxprocs !== null && this.procTimeAt >= 0) this.procTimeNs += (t - this.procTimeAt) * this.gomaxprocs;
    this.procTimeAt = t;
  }

  private setState(g: number, to: number, t: number) {
    const from = this.gState.get(g);
    if (from !== undefined) this.counts[from]!--;
    if (to < 0) this.gState.delete(g);
    else {
      this.gState.set(g, to);
      this.counts[to]!++;
    }
    const total = this.counts[1]! + this.counts[2]! + this.counts[3]! + this.counts[4]!;
    if (total > this.maxGoroutines) this.maxGoroutines = total;
    if (t >= this.gSeriesNext) {
      this.gSeries.push({ tNs: t, running: this.counts[GoStatus.Running]!, runnable: this.counts[GoStatus.Runnable]!, waiting: this.counts[GoStatus.Waiting]!, syscall: this.counts[GoStatus.Syscall]! });
      this.gSeriesNext = t + this.gSeriesStep;
      if (this.gSeries.length >= MAX_SERIES) {
        const kept = this.gSeries.filter((_, i) => i % 2 === 0);
        this.gSeries.length = 0;
        this.gSeries.push(...kept);
        this.gSeriesStep *= 2;
      }
    }
  }

  private becameRunnable(g: number, t: number, stack: number) {
    this.runnableSince.set(g, { t, stack });
  }

  private startRunning(g: number, m: number, t: number) {
    const r = this.runnableSince.get(g);
    if (r) {
      this.runnableSince.delete(g);
      const d = t - r.t;
      this.latencies.push(d);
      this.latencyHistogram[Math.min(47, d <= 1 ? 0 : Math.floor(Math.log2(d)))]!++;
      if (this.worst.length < MAX_WORST || d > this.worst[this.worst.length - 1]!.latencyNs) {
        this.worst.push({ g, atNs: t, latencyNs: d, frames: this.frames(r.stack) ?? [] });
        this.worst.sort((a, b) => b.latencyNs - a.latencyNs);
        if (this.worst.length > MAX_WORST) this.worst.length = MAX_WORST;
      }
    }
    const b = this.blockedSince.get(g);
    if (b) this.endBlock(g, t);
    this.curG.set(m, g);
    this.runningSince.set(m, t);
  }

  /** The goroutine on m stops executing (block, stop, syscall, exit): its run time goes to its P. */
  private stopRunning(m: number, t: number) {
    const since = this.runningSince.get(m);
    const g = this.curG.get(m);
    if (since !== undefined) {
      const p = this.mP.get(m);
      if (p !== undefined) this.pBusy.set(p, (this.pBusy.get(p) ?? 0) + (t - since));
      if (g !== undefined && GC_WORKER_LABELS.has(this.label.get(g) ?? '')) this.workerNs += t - since;
      this.runningSince.delete(m);
    }
    this.curG.delete(m);
    return g;
  }

  private endBlock(g: number, t: number) {
    const b = this.blockedSince.get(g);
    if (!b) return;
    this.blockedSince.delete(g);
    const d = t - b.t;
    const r = this.blockByReason.get(b.reason);
    if (r) {
      r.count++;
      r.totalNs += d;
    } else this.blockByReason.set(b.reason, { count: 1, totalNs: d });
    this.blockByStack.add(b.frames, d);
  }

  private endSyscall(g: number, t: number) {
    const s = this.syscallSince.get(g);
    if (!s) return;
    this.syscallSince.delete(g);
    this.syscallCount++;
    this.syscallNs += t - s.t;
    this.syscallByStack.add(s.frames, t - s.t);
  }

  event(type: number, t: number, m: number, a: Float64Array): void {
    this.touch(t);
    this.byTypeN[type]!++;
    const k = KIND_OF[type];
    if (k) this.kind(k);
    switch (type) {
      case Ev.ProcsChange: {
        this.metric(type, a[0]!);
        this.accountProcs(t);
        if (this.gomaxprocs !== a[0]) {
          this.procChanges.push({ tNs: t, value: a[0]! });
          this.gomaxprocs = a[0]!;
        }
        break;
      }
      case Ev.HeapAlloc:
        this.metric(type, a[0]!);
        this.live.add(t, a[0]!);
        break;
      case Ev.HeapGoal:
        this.metric(type, a[0]!);
        this.goal.add(t, a[0]!);
        break;
      case Ev.GCBegin:
        this.gcOpen = { startNs: t, seq: a[0]! };
        break;
      case Ev.GCActive:
        break;
      case Ev.GCEnd:
        if (this.gcOpen) {
          this.cycles.push({ startNs: this.gcOpen.startNs, durationNs: t - this.gcOpen.startNs, seq: this.gcOpen.seq, sweepTerminationNs: this.pendingStw.sweep, markTerminationNs: this.pendingStw.mark });
        }
        this.gcOpen = null;
        this.pendingStw = { sweep: null, mark: null };
        break;
      case Ev.STWBegin:
        this.stwOpen.set(m, { startNs: t, reason: this.str(a[0]!) });
        break;
      case Ev.STWEnd: {
        const o = this.stwOpen.get(m);
        if (!o) break;
        this.stwOpen.delete(m);
        const d = t - o.startNs;
        this.stw.push({ startNs: o.startNs, durationNs: d, reason: o.reason });
        // Sweep termination opens a cycle (its STW precedes GCBegin); mark termination ends it.
        if (o.reason === 'GC sweep termination') this.pendingStw.sweep = d;
        else if (o.reason === 'GC mark termination') this.pendingStw.mark = d;
        break;
      }
      case Ev.GCMarkAssistBegin: {
        const g = this.curG.get(m);
        if (g !== undefined) this.assistSince.set(g, t);
        break;
      }
      case Ev.GCMarkAssistEnd: {
        const g = this.curG.get(m);
        const since = g === undefined ? undefined : this.assistSince.get(g);
        if (since !== undefined) {
          this.assistNs += t - since;
          this.assistSince.delete(g!);
        }
        break;
      }
      case Ev.GoLabel: {
        const g = this.curG.get(m);
        if (g !== undefined) this.label.set(g, this.str(a[0]!));
        break;
      }
      case Ev.ProcStart:
        this.mP.set(m, a[0]!);
        break;
      case Ev.ProcStop:
        this.mP.delete(m);
        break;
      case Ev.ProcSteal:
        // The P leaves the thread it was stolen from (args: p, p_seq, m).
        if (this.mP.get(a[2]!) === a[0]) this.mP.delete(a[2]!);
        break;
      case Ev.ProcStatus:
        if (a[1] === ProcStatus.Running || a[1] === ProcStatus.Syscall) this.mP.set(m, a[0]!);
        break;
      case Ev.GoCreate:
        this.setState(a[0]!, GoStatus.Runnable, t);
        this.becameRunnable(a[0]!, t, a[2]!);
        break;
      case Ev.GoCreateBlocked:
        this.setState(a[0]!, GoStatus.Waiting, t);
        break;
      case Ev.GoCreateSyscall:
        this.setState(a[0]!, GoStatus.Syscall, t);
        this.curG.set(m, a[0]!);
        break;
      case Ev.GoStart:
        this.setState(a[0]!, GoStatus.Running, t);
        this.startRunning(a[0]!, m, t);
        break;
      case Ev.GoStop: {
        const g = this.stopRunning(m, t);
        if (g !== undefined) {
          this.setState(g, GoStatus.Runnable, t);
          this.becameRunnable(g, t, a[1]!);
        }
        break;
      }
      case Ev.GoBlock: {
        const g = this.stopRunning(m, t);
        if (g !== undefined) {
          this.setState(g, GoStatus.Waiting, t);
          this.blockedSince.set(g, { t, reason: this.str(a[0]!) || 'unspecified', frames: this.frames(a[1]!) });
        }
        break;
      }
      case Ev.GoUnblock: {
        const g = a[0]!;
        this.endBlock(g, t);
        this.setState(g, GoStatus.Runnable, t);
        this.becameRunnable(g, t, a[2]!);
        break;
      }
      case Ev.GoDestroy:
      case Ev.GoDestroySyscall: {
        const g = this.stopRunning(m, t);
        if (g !== undefined) {
          this.setState(g, -1, t);
          this.label.delete(g);
        }
        if (type === Ev.GoDestroySyscall && this.mP.has(m)) {
          // Go's reader adds a ProcSteal: the thread gives up the P it held.
          this.kind('StateTransition');
          this.events++;
          this.mP.delete(m);
        }
        break;
      }
      case Ev.GoSyscallBegin: {
        const g = this.curG.get(m);
        if (g !== undefined) {
          this.setState(g, GoStatus.Syscall, t);
          this.syscallSince.set(g, { t, frames: this.frames(a[1]!) });
        }
        break;
      }
      case Ev.GoSyscallEnd: {
        const g = this.curG.get(m);
        if (g !== undefined) {
          this.endSyscall(g, t);
          this.setState(g, GoStatus.Running, t);
        }
        break;
      }
      case Ev.GoSyscallEndBlocked: {
        const g = this.stopRunning(m, t);
        if (g !== undefined) {
          this.endSyscall(g, t);
          this.setState(g, GoStatus.Runnable, t);
          this.becameRunnable(g, t, 0);
        }
        break;
      }
      case Ev.GoStatus:
      case Ev.GoStatusStack: {
        const g = a[0]!;
        const status = a[2]!;
        this.setState(g, status === GoStatus.Bad ? -1 : status, t);
        if (status === GoStatus.Running) {
          this.curG.set(m, g);
          this.runningSince.set(m, t);
        } else if (status === GoStatus.Syscall && a[1] === m) this.curG.set(m, g);
        break;
      }
      case Ev.GoSwitch:
      case Ev.GoSwitchDestroy: {
        // Go's reader expands a switch into three events: unblock of the next goroutine (this
        // one), block or exit of the current one, and start of the next.
        this.kind('StateTransition', 2);
        this.events += 2;
        const cur = this.stopRunning(m, t);
        if (cur !== undefined) {
          if (type === Ev.GoSwitch) {
            this.setState(cur, GoStatus.Waiting, t);
            this.blockedSince.set(cur, { t, reason: 'unspecified', frames: undefined });
          } else this.setState(cur, -1, t);
        }
        this.endBlock(a[0]!, t);
        this.setState(a[0]!, GoStatus.Running, t);
        this.startRunning(a[0]!, m, t);
        break;
      }
    }
  }

  private metric(type: number, v: number) {
    const name = METRIC_NAMES[type]!;
    const o = this.metrics[name];
    if (!o) this.metrics[name] = { count: 1, last: v, min: v, max: v };
    else {
      o.count++;
      o.last = v;
      if (v < o.min) o.min = v;
      if (v > o.max) o.max = v;
    }
  }

  summary(read: TraceReadResult): TraceSummary {
    this.accountProcs(this.lastNs);
    const durationNs = this.firstNs < 0 ? 0 : this.lastNs - this.firstNs;
    const byType: Record<string, number> = {};
    this.byTypeN.forEach((n, t) => {
      if (n > 0) byType[eventName(t)] = n;
    });
    const reasons = new Map<string, number[]>();
    for (const s of this.stw) {
      let l = reasons.get(s.reason);
      if (!l) reasons.set(s.reason, (l = []));
      l.push(s.durationNs);
    }
    const gcStw = this.stw.filter((s) => s.reason === 'GC sweep termination' || s.reason === 'GC mark termination').map((s) => s.durationNs);
    const profile = new Map<string, { self: number; total: number }>();
    for (const { count, frames } of this.samples.values()) {
      frames.forEach((f, i) => {
        let e = profile.get(f.func);
        if (!e) profile.set(f.func, (e = { self: 0, total: 0 }));
        if (i === 0) e.self += count;
        // A recursive function counts once per sample in total.
        if (frames.findIndex((x) => x.func === f.func) === i) e.total += count;
      });
    }
    const lat = pauseStats(this.latencies);
    return {
      version: read.version,
      bytes: read.bytes,
      generations: read.generations,
      firstNs: Math.max(0, this.firstNs),
      lastNs: this.lastNs,
      durationNs,
      events: this.events,
      byKind: { ...this.byKind },
      byType,
      gc: {
        cycles: this.cycles,
        pauses: pauseStats(gcStw),
        workerNs: this.workerNs,
        assistNs: this.assistNs,
        cpuFraction: this.procTimeNs > 0 ? (this.workerNs + this.assistNs) / this.procTimeNs : null,
      },
      stw: this.stw,
      stwByReason: [...reasons.entries()].map(([reason, ds]) => ({ reason, ...pauseStats(ds) })).sort((a, b) => b.totalNs - a.totalNs),
      metrics: this.metrics,
      heap: { live: this.live.points, goal: this.goal.points },
      gomaxprocs: { initial: this.procChanges[0]?.value ?? null, changes: this.procChanges.slice(1) },
      goroutines: { max: this.maxGoroutines, series: this.gSeries },
      schedLatency: { ...lat, histogram: this.latencyHistogram, worst: this.worst },
      blocking: { byReason: [...this.blockByReason.entries()].map(([reason, r]) => ({ reason, ...r })).sort((a, b) => b.totalNs - a.totalNs), byStack: this.blockByStack.top() },
      syscalls: { count: this.syscallCount, totalNs: this.syscallNs, byStack: this.syscallByStack.top() },
      procs: [...this.pBusy.entries()].sort((a, b) => a[0] - b[0]).map(([p, busyNs]) => ({ p, busyNs, utilization: durationNs > 0 ? busyNs / durationNs : 0 })),
      cpuSamples: { count: this.sampleCount, top: [...profile.entries()].map(([func, e]) => ({ func, ...e })).sort((a, b) => b.self - a.self || b.total - a.total).slice(0, MAX_STACK_ROWS) },
    };
  }
}

/** Reads and summarizes a whole trace given as chunks (an array, or bytes read a piece at a time). */
export function summarizeTrace(chunks: Iterable<Uint8Array>): TraceSummaryResult {
  const s = new TraceSummarizer();
  const r = createTraceReader(s);
  for (const c of chunks) r.push(c);
  const done = r.finish();
  const summary = s.summary(done);
  return done.ok ? { ok: true, summary } : { ok: false, error: done.error, summary };
}

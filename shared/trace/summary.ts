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
import { U64_MAX, createTraceReader, type TraceFrame, type TraceGeneration, type TraceReadResult, type TraceSink } from './reader';
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
  /**
   * A cycle already running when the trace started ('start': it begins at the first generation's
   * GCActive, as golang.org/x/exp/trace reports it), still running at the last event ('end': it
   * ends there), or both; null for a cycle seen whole.
   */
  readonly partial: 'start' | 'end' | 'both' | null;
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
    /** Time goroutines ran as dedicated or fractional mark workers. */
    readonly workerNs: number;
    /** Time goroutines ran as idle mark workers (on Ps that had nothing else to run; not GC CPU, as in the runtime's GCCPUFraction). */
    readonly idleWorkerNs: number;
    /** Time goroutines ran inside a mark assist (not the time an assist waited for work or credit). */
    readonly assistNs: number;
    /** Mark assists: those running at the start or still running at the end are counted and `partial`; wallNs includes their waits. */
    readonly assists: { readonly count: number; readonly partial: number; readonly wallNs: number };
    /**
     * GC CPU time as the runtime accounts it for MemStats.GCCPUFraction: at each instant, all of
     * GOMAXPROCS during a GC stop-the-world pause, else the goroutines running as dedicated or
     * fractional mark workers or inside a mark assist (at most GOMAXPROCS).
     */
    readonly cpuNs: number;
    /** Duration × GOMAXPROCS, integrated as GOMAXPROCS changes, from the first GOMAXPROCS metric on. */
    readonly availableNs: number;
    /** cpuNs / availableNs, in [0, 1]; null when the trace has no GOMAXPROCS metric (or no time). */
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
  /** Syscalls; those already under way at the start or still under way at the end are counted up to the trace's edge and `partial`. */
  readonly syscalls: { readonly count: number; readonly partial: number; readonly totalNs: number; readonly byStack: readonly StackTotal[] };
  readonly procs: readonly ProcUtilization[];
  readonly cpuSamples: { readonly count: number; readonly top: readonly CpuProfileEntry[] };
}

export type TraceSummaryResult =
  { readonly ok: true; readonly summary: TraceSummary } | { readonly ok: false; readonly error: { readonly message: string; readonly offset: number }; readonly summary: TraceSummary };

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
  /** The same frames array (one per stack per generation) finds its row without building text. */
  private readonly byFrames = new Map<readonly TraceFrame[], { count: number; totalNs: number; frames: readonly TraceFrame[] }>();
  add(frames: readonly TraceFrame[], ns: number): void {
    let r = this.byFrames.get(frames);
    if (!r) {
      const key = frames.map((x) => `${x.func} ${x.file}:${x.line}`).join('\n');
      r = this.rows.get(key);
      if (!r) {
        // Bounded: past a limit, new stacks are folded into one row.
        if (this.rows.size >= 10_000) return this.add(OTHER_STACKS, ns);
        this.rows.set(key, (r = { count: 0, totalNs: 0, frames }));
      }
      this.byFrames.set(frames, r);
    }
    r.count++;
    r.totalNs += ns;
  }
  /** Frames arrays belong to one generation; forget them when it ends so memory stays bounded. */
  newGeneration(): void {
    this.byFrames.clear();
  }
  top(): StackTotal[] {
    return [...this.rows.entries()]
      .map(([key, r]) => ({ key, ...r }))
      .sort((a, b) => b.totalNs - a.totalNs || b.count - a.count)
      .slice(0, MAX_STACK_ROWS);
  }
}
const NO_FRAMES: readonly TraceFrame[] = Object.freeze([]);
const OTHER_STACKS: readonly TraceFrame[] = Object.freeze([{ pc: 0, func: '(other stacks)', file: '', line: 0 }]);

/**
 * Latency distribution in log-linear buckets (64 per power of two, about 1.1% wide): percentiles
 * of millions of runnable-to-running waits without keeping or sorting them.
 */
class Histogram {
  readonly buckets = new Float64Array(64 * 64);
  count = 0;
  total = 0;
  max = 0;
  add(d: number) {
    this.count++;
    this.total += d;
    if (d > this.max) this.max = d;
    this.buckets[Histogram.index(d)]!++;
  }
  static index(d: number): number {
    if (d < 64) return d < 0 ? 0 : Math.floor(d);
    const e = Math.floor(Math.log2(d));
    return Math.min(64 * 64 - 1, (e - 5) * 64 + Math.floor(d / 2 ** (e - 6)) - 64);
  }
  static lower(i: number): number {
    if (i < 64) return i;
    const e = Math.floor(i / 64) + 5;
    return (64 + (i % 64)) * 2 ** (e - 6);
  }
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= want) return Math.min(this.max, Histogram.lower(i));
    }
    return this.max;
  }
  /** Counts per power of two, for drawing. */
  powersOfTwo(): number[] {
    const out = new Array<number>(48).fill(0);
    this.buckets.forEach((n, i) => {
      if (n === 0) return;
      const lo = Histogram.lower(i);
      out[Math.min(47, lo <= 1 ? 0 : Math.floor(Math.log2(lo)))]! += n;
    });
    return out;
  }
}

/** What we track per goroutine: one object per goroutine, updated in place by its events. */
interface GRec {
  readonly id: number;
  state: number;
  runnableAt: number;
  runnableStack: number;
  blockedAt: number;
  blockReason: string;
  blockFrames: readonly TraceFrame[];
  syscallAt: number;
  syscallPartial: boolean;
  syscallFrames: readonly TraceFrame[];
  assistAt: number;
  assistPartial: boolean;
  /** Running on a thread (from its start to its stop): what GC CPU counts. */
  onCpu: boolean;
  /** The mark worker label of its current run (the runtime labels each start of a worker). */
  worker: number;
  /** Whether (and as what) it counts towards GC CPU now, and since when. */
  busy: number;
  busyAt: number;
}
const NOT_WORKER = 0;
const MARK_WORKER = 1;
const IDLE_WORKER = 2;
/** Per OS thread: the goroutine it runs, since when, and its P. */
interface MRec {
  readonly id: number;
  g: GRec | null;
  runningSince: number;
  p: number;
  stwAt: number;
  stwReason: string;
  stwGc: boolean;
}
const GONE = -1;

/**
 * Told each interval the summary accounts for, as it closes: what a timeline draws. The frames
 * belong to the current generation's tables.
 */
export interface TraceIntervalObserver {
  /** Goroutine g ran on P p (on thread m; p is -1 when it held none) until it stopped for `why`, at `frames`. */
  run(p: number, m: number, g: number, startNs: number, endNs: number, why: string, frames: readonly TraceFrame[]): void;
  syscall(m: number, g: number, startNs: number, endNs: number, frames: readonly TraceFrame[]): void;
}

/** The accumulator behind summarizeTrace, usable as a sink for a reader fed elsewhere (a worker, the CLI). */
export class TraceSummarizer implements TraceSink {
  constructor(private readonly observer: TraceIntervalObserver | null = null) {}
  private gen: TraceGeneration | null = null;
  private firstNs = -1;
  private lastNs = 0;
  private events = 0;
  private syncs = 0;
  /** Events Go's reader adds (a GoSwitch is three state transitions), counted apart from wire events. */
  private extraTransitions = 0;
  private readonly byTypeN = new Float64Array(256);

  /** Generations seen: GoStatus, ProcStatus and *Active events of the first describe what was under way before the trace. */
  private genCount = 0;
  private gcOpen: { startNs: number; seq: number; partial: boolean } | null = null;
  private readonly cycles: GcCycle[] = [];
  private pendingSweep: number | null = null;
  private pendingMark: number | null = null;
  private readonly stw: StwPause[] = [];
  private readonly metrics: Record<string, { count: number; last: number; min: number; max: number }> = {};
  private readonly live = new Series();
  private readonly goal = new Series();
  private gomaxprocs: number | null = null;
  private readonly procChanges: SeriesPoint[] = [];

  private readonly gs = new Map<number, GRec>();
  private readonly ms = new Map<number, MRec>();
  private lastMId = NaN;
  private lastM: MRec | null = null;
  private readonly counts = [0, 0, 0, 0, 0];
  private maxGoroutines = 0;
  private alive = 0;
  private readonly gSeries: GoroutineCountPoint[] = [];
  private gSeriesStep = 1e6;
  private gSeriesNext = 0;
  private readonly latency = new Histogram();
  private worst: { g: number; atNs: number; latencyNs: number; frames: readonly TraceFrame[] }[] = [];
  private worstFloor = -1;
  private readonly blockByReason = new Map<string, { count: number; totalNs: number }>();
  private readonly blockByStack = new StackTable();
  private readonly syscallByStack = new StackTable();
  private syscallCount = 0;
  private syscallPartial = 0;
  private syscallNs = 0;
  private readonly pBusy: number[] = [];
  private workerNs = 0;
  private idleWorkerNs = 0;
  private assistNs = 0;
  private assistCount = 0;
  private assistPartial = 0;
  private assistWallNs = 0;
  /** Goroutines running as GC (MARK_WORKER or in an assist) and GC stop-the-world pauses in progress. */
  private gcBusy = 0;
  private gcStw = 0;
  private gcCpuNs = 0;
  private procTimeNs = 0;
  private closed = false;

  private readonly samples = new Map<string, { count: number; frames: readonly TraceFrame[] }>();
  private sampleCount = 0;

  generation(g: TraceGeneration): void {
    this.gen = g;
    this.genCount++;
    this.blockByStack.newGeneration();
    this.syscallByStack.newGeneration();
  }

  sync(t: number): void {
    this.touch(t);
    this.syncs++;
  }

  cpuSample(t: number, _m: number, _p: number, _g: number, stack: number): void {
    this.touch(t);
    this.byTypeN[Ev.CPUSample]!++;
    this.sampleCount++;
    const frames = this.gen?.stacks.get(stack) ?? NO_FRAMES;
    const key = frames.map((f) => f.func).join(';');
    const r = this.samples.get(key);
    if (r) r.count++;
    else if (this.samples.size < 50_000) this.samples.set(key, { count: 1, frames });
  }

  /** The time of the last event so far. */
  get lastEventNs(): number {
    return this.lastNs;
  }

  private touch(t: number) {
    if (this.firstNs < 0) {
      this.firstNs = t;
      this.gSeriesNext = t;
    }
    const procs = this.gomaxprocs;
    if (procs !== null) {
      // GOMAXPROCS × time is the CPU time available to Go code; GC CPU is integrated beside it.
      const dt = t - this.lastNs;
      this.procTimeNs += dt * procs;
      if (this.gcStw > 0 || this.gcBusy > 0) this.gcCpuNs += dt * (this.gcStw > 0 || this.gcBusy > procs ? procs : this.gcBusy);
    }
    this.lastNs = t;
    this.events++;
  }

  private str(id: number): string {
    return id === 0 ? '' : (this.gen?.strings.get(id) ?? '');
  }

  private frames(stack: number): readonly TraceFrame[] {
    return stack === 0 ? NO_FRAMES : (this.gen?.stacks.get(stack) ?? NO_FRAMES);
  }

  private m(id: number): MRec {
    if (id === this.lastMId) return this.lastM!;
    let r = this.ms.get(id);
    if (!r) this.ms.set(id, (r = { id, g: null, runningSince: -1, p: -1, stwAt: -1, stwReason: '', stwGc: false }));
    this.lastMId = id;
    this.lastM = r;
    return r;
  }

  private g(id: number): GRec {
    let r = this.gs.get(id);
    if (!r)
      this.gs.set(
        id,
        (r = {
          id,
          state: GONE,
          runnableAt: -1,
          runnableStack: 0,
          blockedAt: -1,
          blockReason: '',
          blockFrames: NO_FRAMES,
          syscallAt: -1,
          syscallPartial: false,
          syscallFrames: NO_FRAMES,
          assistAt: -1,
          assistPartial: false,
          onCpu: false,
          worker: NOT_WORKER,
          busy: NOT_WORKER,
          busyAt: -1,
        }),
      );
    return r;
  }

  /** Whether g counts towards GC CPU (or idle mark work) from t on; closes the time it counted until now. */
  private updateBusy(g: GRec, t: number) {
    const want = !g.onCpu ? NOT_WORKER : g.worker === MARK_WORKER || g.assistAt >= 0 ? MARK_WORKER : g.worker;
    if (want === g.busy) return;
    if (g.busy !== NOT_WORKER) {
      const d = t - g.busyAt;
      if (g.busy === IDLE_WORKER) this.idleWorkerNs += d;
      else if (g.worker === MARK_WORKER) this.workerNs += d;
      else this.assistNs += d;
      if (g.busy === MARK_WORKER) this.gcBusy--;
    }
    g.busy = want;
    g.busyAt = t;
    if (want === MARK_WORKER) this.gcBusy++;
  }

  /** A run starts (or, at the trace's start, is found under way): a mark worker's label follows its start. */
  private onCpu(g: GRec, t: number) {
    if (!g.onCpu) {
      g.onCpu = true;
      g.worker = NOT_WORKER;
    }
    this.updateBusy(g, t);
  }

  private setState(g: GRec, to: number, t: number) {
    if (g.state !== GONE) this.counts[g.state]!--;
    else if (to !== GONE && ++this.alive > this.maxGoroutines) this.maxGoroutines = this.alive;
    if (to === GONE && g.state !== GONE) this.alive--;
    g.state = to;
    if (to === GONE) this.gs.delete(g.id);
    else this.counts[to]!++;
    if (t >= this.gSeriesNext) this.sampleCounts(t);
  }

  private sampleCounts(t: number) {
    const c = this.counts;
    this.gSeries.push({ tNs: t, running: c[GoStatus.Running]!, runnable: c[GoStatus.Runnable]!, waiting: c[GoStatus.Waiting]!, syscall: c[GoStatus.Syscall]! });
    this.gSeriesNext = t + this.gSeriesStep;
    if (this.gSeries.length >= MAX_SERIES) {
      const kept = this.gSeries.filter((_, i) => i % 2 === 0);
      this.gSeries.length = 0;
      this.gSeries.push(...kept);
      this.gSeriesStep *= 2;
    }
  }

  private becameRunnable(g: GRec, t: number, stack: number) {
    this.setState(g, GoStatus.Runnable, t);
    g.runnableAt = t;
    g.runnableStack = stack;
  }

  private startRunning(g: GRec, m: MRec, t: number) {
    if (g.runnableAt >= 0) {
      const d = t - g.runnableAt;
      g.runnableAt = -1;
      this.latency.add(d);
      if (d > this.worstFloor) {
        this.worst.push({ g: g.id, atNs: t, latencyNs: d, frames: this.frames(g.runnableStack) });
        this.worst.sort((a, b) => b.latencyNs - a.latencyNs);
        if (this.worst.length > MAX_WORST) this.worst.length = MAX_WORST;
        if (this.worst.length === MAX_WORST) this.worstFloor = this.worst[MAX_WORST - 1]!.latencyNs;
      }
    }
    if (g.blockedAt >= 0) this.endBlock(g, t);
    this.setState(g, GoStatus.Running, t);
    m.g = g;
    m.runningSince = t;
    this.onCpu(g, t);
  }

  /** The goroutine on m stops executing (block, stop, syscall end, exit): its run time goes to its P. */
  private stopRunning(m: MRec, t: number, why: string, stack: number): GRec | null {
    const g = m.g;
    if (m.runningSince >= 0) {
      const d = t - m.runningSince;
      if (m.p >= 0) this.pBusy[m.p] = (this.pBusy[m.p] ?? 0) + d;
      if (this.observer && g) this.observer.run(m.p, m.id, g.id, m.runningSince, t, why, this.frames(stack));
      m.runningSince = -1;
    }
    if (g?.onCpu) {
      g.onCpu = false;
      this.updateBusy(g, t);
    }
    m.g = null;
    return g;
  }

  private endBlock(g: GRec, t: number) {
    const d = t - g.blockedAt;
    g.blockedAt = -1;
    let r = this.blockByReason.get(g.blockReason);
    if (!r) this.blockByReason.set(g.blockReason, (r = { count: 0, totalNs: 0 }));
    r.count++;
    r.totalNs += d;
    this.blockByStack.add(g.blockFrames, d);
  }

  private beginSyscall(g: GRec, t: number, frames: readonly TraceFrame[], partial: boolean) {
    g.syscallAt = t;
    g.syscallPartial = partial;
    g.syscallFrames = frames;
  }

  private endSyscall(g: GRec, t: number, m: number) {
    if (g.syscallAt < 0) return;
    const d = t - g.syscallAt;
    this.observer?.syscall(m, g.id, g.syscallAt, t, g.syscallFrames);
    g.syscallAt = -1;
    this.syscallCount++;
    if (g.syscallPartial) this.syscallPartial++;
    this.syscallNs += d;
    this.syscallByStack.add(g.syscallFrames, d);
  }

  event(type: number, t: number, mid: number, a: Float64Array): void {
    this.touch(t);
    this.byTypeN[type]!++;
    switch (type) {
      case Ev.GoStart: {
        this.startRunning(this.g(a[0]!), this.m(mid), t);
        break;
      }
      case Ev.GoBlock: {
        const reason = this.str(a[0]!) || 'unspecified';
        const g = this.stopRunning(this.m(mid), t, reason, a[1]!);
        if (g) {
          this.setState(g, GoStatus.Waiting, t);
          g.blockedAt = t;
          g.blockReason = reason;
          g.blockFrames = this.frames(a[1]!);
        }
        break;
      }
      case Ev.GoUnblock: {
        const g = this.g(a[0]!);
        if (g.blockedAt >= 0) this.endBlock(g, t);
        this.becameRunnable(g, t, a[2]!);
        break;
      }
      case Ev.GoStop: {
        const g = this.stopRunning(this.m(mid), t, this.str(a[0]!) || 'stopped', a[1]!);
        if (g) this.becameRunnable(g, t, a[1]!);
        break;
      }
      case Ev.GoSyscallBegin: {
        const g = this.m(mid).g;
        if (g) {
          this.setState(g, GoStatus.Syscall, t);
          this.beginSyscall(g, t, this.frames(a[1]!), false);
        }
        break;
      }
      case Ev.GoSyscallEnd: {
        const g = this.m(mid).g;
        if (g) {
          this.endSyscall(g, t, mid);
          this.setState(g, GoStatus.Running, t);
        }
        break;
      }
      case Ev.GoSyscallEndBlocked: {
        const g = this.stopRunning(this.m(mid), t, 'syscall returned without its P', 0);
        if (g) {
          this.endSyscall(g, t, mid);
          this.becameRunnable(g, t, 0);
        }
        break;
      }
      case Ev.GoCreate:
        this.becameRunnable(this.g(a[0]!), t, a[2]!);
        break;
      case Ev.GoCreateBlocked:
        this.setState(this.g(a[0]!), GoStatus.Waiting, t);
        break;
      case Ev.GoCreateSyscall: {
        // A thread entering Go from C (a cgo callback): the goroutine is born in a syscall.
        const g = this.g(a[0]!);
        this.setState(g, GoStatus.Syscall, t);
        this.beginSyscall(g, t, NO_FRAMES, false);
        this.m(mid).g = g;
        break;
      }
      case Ev.GoDestroy:
      case Ev.GoDestroySyscall: {
        const m = this.m(mid);
        const g = this.stopRunning(m, t, 'exited', 0);
        if (g && type === Ev.GoDestroySyscall) this.endSyscall(g, t, mid);
        if (g) this.setState(g, GONE, t);
        if (type === Ev.GoDestroySyscall && m.p >= 0) {
          // Go's reader adds a ProcSteal: the thread gives up the P it held.
          this.extraTransitions++;
          this.events++;
          m.p = -1;
        }
        break;
      }
      case Ev.GoStatus:
      case Ev.GoStatusStack: {
        const g = this.g(a[0]!);
        const status = a[2]!;
        this.setState(g, status === GoStatus.Bad || status > GoStatus.Waiting ? GONE : status, t);
        if (status === GoStatus.Running) {
          // A new generation restates what runs: the interval continues, it does not restart.
          const m = this.m(mid);
          if (m.g !== g || m.runningSince < 0) {
            m.g = g;
            m.runningSince = t;
          }
          this.onCpu(g, t);
        } else if (status === GoStatus.Syscall) {
          // The thread it is in the syscall on (a thread blocked all along is named by another).
          if (a[1]! < U64_MAX) this.m(a[1]!).g = g;
          // In the first generation, a syscall already under way when the trace started.
          if (this.genCount === 1 && g.syscallAt < 0) this.beginSyscall(g, t, type === Ev.GoStatusStack ? this.frames(a[3]!) : NO_FRAMES, true);
        }
        break;
      }
      case Ev.GoSwitch:
      case Ev.GoSwitchDestroy: {
        // Go's reader expands a switch into three events: unblock of the next goroutine (this
        // one), block or exit of the current one, and start of the next.
        this.extraTransitions += 2;
        this.events += 2;
        const m = this.m(mid);
        const cur = this.stopRunning(m, t, type === Ev.GoSwitch ? 'switched to another goroutine' : 'exited', 0);
        if (cur) {
          if (type === Ev.GoSwitch) {
            this.setState(cur, GoStatus.Waiting, t);
            cur.blockedAt = t;
            cur.blockReason = 'unspecified';
            cur.blockFrames = NO_FRAMES;
          } else this.setState(cur, GONE, t);
        }
        this.startRunning(this.g(a[0]!), m, t);
        break;
      }
      case Ev.ProcStart:
        this.m(mid).p = a[0]!;
        break;
      case Ev.ProcStop:
        this.m(mid).p = -1;
        break;
      case Ev.ProcSteal: {
        // The P leaves the thread it was stolen from (args: p, p_seq, m).
        const from = this.ms.get(a[2]!);
        if (from && from.p === a[0]) from.p = -1;
        if (a[2] === this.lastMId) this.lastM = from ?? null;
        break;
      }
      case Ev.ProcStatus:
        if (a[1] === ProcStatus.Running || a[1] === ProcStatus.Syscall) this.m(mid).p = a[0]!;
        break;
      case Ev.ProcsChange:
        this.metric(type, a[0]!);
        if (this.gomaxprocs !== a[0]) {
          this.procChanges.push({ tNs: t, value: a[0]! });
          this.gomaxprocs = a[0]!;
        }
        break;
      case Ev.HeapAlloc:
        this.metric(type, a[0]!);
        this.live.add(t, a[0]!);
        break;
      case Ev.HeapGoal:
        this.metric(type, a[0]!);
        this.goal.add(t, a[0]!);
        break;
      case Ev.GCBegin:
        this.gcOpen = { startNs: t, seq: a[0]!, partial: false };
        break;
      case Ev.GCActive:
        // Restated every generation while a cycle runs; only the first generation's is news.
        if (this.genCount === 1 && !this.gcOpen) this.gcOpen = { startNs: t, seq: a[0]!, partial: true };
        break;
      case Ev.GCEnd:
        if (this.gcOpen)
          this.cycles.push({
            startNs: this.gcOpen.startNs,
            durationNs: t - this.gcOpen.startNs,
            seq: this.gcOpen.seq,
            partial: this.gcOpen.partial ? 'start' : null,
            sweepTerminationNs: this.pendingSweep,
            markTerminationNs: this.pendingMark,
          });
        this.gcOpen = null;
        this.pendingSweep = null;
        this.pendingMark = null;
        break;
      case Ev.STWBegin: {
        const m = this.m(mid);
        m.stwAt = t;
        m.stwReason = this.str(a[0]!);
        // GC's own pauses stop every P for the collector ("GC sweep termination", "GC mark termination").
        m.stwGc = m.stwReason.includes('GC');
        if (m.stwGc) this.gcStw++;
        break;
      }
      case Ev.STWEnd: {
        const m = this.m(mid);
        if (m.stwAt < 0) break;
        const d = t - m.stwAt;
        this.stw.push({ startNs: m.stwAt, durationNs: d, reason: m.stwReason });
        m.stwAt = -1;
        if (m.stwGc) this.gcStw--;
        m.stwGc = false;
        // Sweep termination opens a cycle (its STW precedes GCBegin); mark termination ends it.
        if (m.stwReason === 'GC sweep termination') this.pendingSweep = d;
        else if (m.stwReason === 'GC mark termination') this.pendingMark = d;
        break;
      }
      case Ev.GCMarkAssistBegin: {
        const g = this.m(mid).g;
        if (g && g.assistAt < 0) this.beginAssist(g, t, false);
        break;
      }
      case Ev.GCMarkAssistActive: {
        // Restated every generation for goroutines in an assist; the first generation's began before the trace.
        const g = this.g(a[0]!);
        if (this.genCount === 1 && g.assistAt < 0) this.beginAssist(g, t, true);
        break;
      }
      case Ev.GCMarkAssistEnd: {
        const g = this.m(mid).g;
        if (g && g.assistAt >= 0) {
          this.countAssist(g, t);
          g.assistAt = -1;
          this.updateBusy(g, t);
        }
        break;
      }
      case Ev.GoLabel: {
        const g = this.m(mid).g;
        const label = this.str(a[0]!);
        if (g && GC_WORKER_LABELS.has(label)) {
          g.worker = label === 'GC (idle)' ? IDLE_WORKER : MARK_WORKER;
          this.updateBusy(g, t);
        }
        break;
      }
    }
  }

  private beginAssist(g: GRec, t: number, partial: boolean) {
    g.assistAt = t;
    g.assistPartial = partial;
    this.updateBusy(g, t);
  }

  private countAssist(g: GRec, t: number) {
    this.assistCount++;
    if (g.assistPartial) this.assistPartial++;
    this.assistWallNs += t - g.assistAt;
  }

  /**
   * What is still under way at the last event (a GC cycle, assists, syscalls, GC work) is counted
   * up to it and marked partial, as Go's reader leaves such ranges open. Once: the summary may be asked again.
   */
  private closeAtEnd() {
    if (this.closed) return;
    this.closed = true;
    const t = this.lastNs;
    const o = this.gcOpen;
    if (o) this.cycles.push({ startNs: o.startNs, durationNs: t - o.startNs, seq: o.seq, partial: o.partial ? 'both' : 'end', sweepTerminationNs: this.pendingSweep, markTerminationNs: null });
    this.gcOpen = null;
    for (const g of this.gs.values()) {
      if (g.assistAt >= 0) {
        g.assistPartial = true;
        this.countAssist(g, t);
      }
      if (g.syscallAt >= 0) {
        this.syscallCount++;
        this.syscallPartial++;
        this.syscallNs += t - g.syscallAt;
        this.syscallByStack.add(g.syscallFrames, t - g.syscallAt);
      }
      if (g.onCpu) {
        g.onCpu = false;
        this.updateBusy(g, t);
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
    this.closeAtEnd();
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
    const h = this.latency;
    const lat = { count: h.count, totalNs: h.total, p50Ns: h.quantile(0.5), p99Ns: h.quantile(0.99), maxNs: h.max };
    const byKind: Record<string, number> = {};
    this.byTypeN.forEach((n, t) => {
      const k = KIND_OF[t];
      if (n > 0 && k) byKind[k] = (byKind[k] ?? 0) + n;
    });
    if (this.syncs > 0) byKind.Sync = this.syncs;
    if (this.extraTransitions > 0) byKind.StateTransition = (byKind.StateTransition ?? 0) + this.extraTransitions;
    return {
      version: read.version,
      bytes: read.bytes,
      generations: read.generations,
      firstNs: Math.max(0, this.firstNs),
      lastNs: this.lastNs,
      durationNs,
      events: this.events,
      byKind,
      byType,
      gc: {
        cycles: this.cycles,
        pauses: pauseStats(gcStw),
        workerNs: this.workerNs,
        idleWorkerNs: this.idleWorkerNs,
        assistNs: this.assistNs,
        assists: { count: this.assistCount, partial: this.assistPartial, wallNs: this.assistWallNs },
        cpuNs: this.gcCpuNs,
        availableNs: this.procTimeNs,
        // Bounded by construction (at most GOMAXPROCS at each instant); the clamp only absorbs rounding.
        cpuFraction: this.procTimeNs > 0 ? Math.min(1, Math.max(0, this.gcCpuNs / this.procTimeNs)) : null,
      },
      stw: this.stw,
      stwByReason: [...reasons.entries()].map(([reason, ds]) => ({ reason, ...pauseStats(ds) })).sort((a, b) => b.totalNs - a.totalNs),
      metrics: this.metrics,
      heap: { live: this.live.points, goal: this.goal.points },
      gomaxprocs: { initial: this.procChanges[0]?.value ?? null, changes: this.procChanges.slice(1) },
      goroutines: { max: this.maxGoroutines, series: this.gSeries },
      schedLatency: { ...lat, histogram: h.powersOfTwo(), worst: this.worst },
      blocking: { byReason: [...this.blockByReason.entries()].map(([reason, r]) => ({ reason, ...r })).sort((a, b) => b.totalNs - a.totalNs), byStack: this.blockByStack.top() },
      syscalls: { count: this.syscallCount, partial: this.syscallPartial, totalNs: this.syscallNs, byStack: this.syscallByStack.top() },
      procs: this.pBusy.flatMap((busyNs, p) => (busyNs === undefined ? [] : [{ p, busyNs, utilization: durationNs > 0 ? busyNs / durationNs : 0 }])),
      cpuSamples: {
        count: this.sampleCount,
        top: [...profile.entries()]
          .map(([func, e]) => ({ func, ...e }))
          .sort((a, b) => b.self - a.self || b.total - a.total)
          .slice(0, MAX_STACK_ROWS),
      },
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

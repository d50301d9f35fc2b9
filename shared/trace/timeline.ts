/**
 * The execution-trace timeline, in two parts so a 200 MB trace stays
 * cheap to draw and to hold:
 *
 * - The overview, built in the one streaming pass that also makes the
 *   summary: for every P and every thread, how busy it was, as levels of
 *   detail (a pyramid of coverage buckets, each level half the resolution of
 *   the one below), plus each generation's byte range and time range. Its
 *   size depends on the number of lanes, not on the trace.
 * - The detail of a time window: the exact run and syscall intervals, with
 *   goroutine IDs and the stacks where they stopped. Generations are
 *   self-contained, so the detail is built by reading only the generations
 *   that overlap the window (the header plus one contiguous byte range of
 *   the file), when the user zooms in far enough to see them.
 *
 * Everything here is plain data with typed arrays, so a worker can transfer
 * it to the UI thread without copying.
 */
import { createTraceReader, type TraceFrame, type TraceGeneration, type TraceSink } from './reader';
import { TraceSummarizer, type GoroutineCountPoint, type SeriesPoint, type TraceIntervalObserver, type TraceSummary } from './summary';

/** The trace header ("go 1.N trace" padded to 16 bytes) that must precede any generation read alone. */
export const TRACE_HEADER_BYTES = 16;
/** Finest-level buckets per lane at most; past it every bucket doubles in width. */
const MAX_BUCKETS = 16384;
/** The finest bucket to start with: 1 µs, doubled as the trace grows. */
const FIRST_BUCKET_NS = 1000;
/** Thread lanes shown at most (the busiest); a Go process can have hundreds of idle threads. */
const MAX_THREAD_LANES = 128;

export interface TimelineLane {
  readonly kind: 'proc' | 'thread';
  readonly id: number;
  /** Time a goroutine ran on this P or thread. */
  readonly busyNs: number;
  /**
   * Levels of detail: level k has buckets of bucketNs × 2^k from firstNs; each value is the
   * busy fraction of its bucket × 255.
   */
  readonly busy: readonly Uint8Array[];
  /** Threads only: the fraction of each bucket spent in system calls, same levels. */
  readonly syscall: readonly Uint8Array[] | null;
}

export interface TimelineGeneration {
  readonly gen: number;
  /** The generation's bytes in the file: [offset, endOffset). */
  readonly offset: number;
  readonly endOffset: number;
  readonly firstNs: number;
  readonly lastNs: number;
}

export interface TimelineOverview {
  readonly error: { readonly message: string; readonly offset: number } | null;
  readonly firstNs: number;
  readonly lastNs: number;
  readonly bucketNs: number;
  readonly lanes: readonly TimelineLane[];
  /** Thread lanes left out (idle or least busy ones) to keep the view readable. */
  readonly hiddenThreads: number;
  readonly generations: readonly TimelineGeneration[];
  readonly summary: TraceSummary;
}

/** One row's intervals in time order, not overlapping: start, end, goroutine and the stop index. */
export interface TimelineTrack {
  readonly length: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly g: Float64Array;
  /** Index into TimelineDetail.stops: why the interval ended and the stack where it did. */
  readonly stop: Int32Array;
}

export interface TimelineStop {
  readonly why: string;
  readonly frames: readonly TraceFrame[];
}

export interface TimelineDetail {
  readonly error: { readonly message: string; readonly offset: number } | null;
  readonly fromNs: number;
  readonly toNs: number;
  readonly procs: ReadonlyMap<number, TimelineTrack>;
  readonly threadRuns: ReadonlyMap<number, TimelineTrack>;
  readonly threadSyscalls: ReadonlyMap<number, TimelineTrack>;
  readonly stops: readonly TimelineStop[];
  /** The window's own series, finer than the whole trace's decimated ones. */
  readonly heap: readonly SeriesPoint[];
  readonly goroutines: readonly GoroutineCountPoint[];
}

/** Busy time per bucket for one lane; all lanes share the builder's origin and bucket width. */
class Coverage {
  v = new Float64Array(256);
  n = 0;
  total = 0;
  add(origin: number, width: number, s: number, e: number) {
    this.total += e - s;
    let i = Math.floor((s - origin) / width);
    const last = Math.floor((e - origin) / width);
    if (last >= this.v.length) {
      const grown = new Float64Array(Math.min(MAX_BUCKETS, Math.max(last + 1, this.v.length * 2)));
      grown.set(this.v);
      this.v = grown;
    }
    if (last + 1 > this.n) this.n = last + 1;
    if (i === last) {
      this.v[i]! += e - s;
      return;
    }
    this.v[i]! += origin + (i + 1) * width - s;
    for (i++; i < last; i++) this.v[i]! += width;
    this.v[last]! += e - (origin + last * width);
  }
  /** Halves the resolution: bucket i becomes buckets 2i and 2i+1. */
  coarsen() {
    const h = Math.ceil(this.n / 2);
    for (let i = 0; i < h; i++) this.v[i] = this.v[2 * i]! + (2 * i + 1 < this.n ? this.v[2 * i + 1]! : 0);
    this.v.fill(0, h, this.n);
    this.n = h;
  }
  levels(width: number, buckets: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let cur = new Float64Array(buckets);
    cur.set(this.v.subarray(0, Math.min(this.n, buckets)));
    let w = width;
    for (;;) {
      const level = new Uint8Array(cur.length);
      for (let i = 0; i < cur.length; i++) level[i] = Math.min(255, Math.round((cur[i]! / w) * 255));
      out.push(level);
      if (cur.length <= 1) return out;
      const next = new Float64Array(Math.ceil(cur.length / 2));
      for (let i = 0; i < cur.length; i++) next[i >> 1]! += cur[i]!;
      cur = next;
      w *= 2;
    }
  }
}

/** Builds the overview while a TraceSummarizer reads the stream. */
class OverviewBuilder implements TraceIntervalObserver {
  origin = NaN;
  width = FIRST_BUCKET_NS;
  readonly procs = new Map<number, Coverage>();
  readonly threadRuns = new Map<number, Coverage>();
  readonly threadSyscalls = new Map<number, Coverage>();
  private readonly all: Coverage[] = [];

  private lane(map: Map<number, Coverage>, id: number): Coverage {
    let c = map.get(id);
    if (!c) {
      map.set(id, (c = new Coverage()));
      this.all.push(c);
    }
    return c;
  }

  private add(c: Coverage, s: number, e: number) {
    if (Number.isNaN(this.origin)) this.origin = s;
    if (s < this.origin) s = this.origin;
    if (e <= s) return;
    this.reach(e);
    c.add(this.origin, this.width, s, e);
  }

  /** Widens the buckets until time t falls inside MAX_BUCKETS of them. */
  reach(t: number) {
    while (Math.floor((t - this.origin) / this.width) >= MAX_BUCKETS) {
      for (const x of this.all) x.coarsen();
      this.width *= 2;
    }
  }

  run(p: number, m: number, _g: number, s: number, e: number): void {
    if (p >= 0) this.add(this.lane(this.procs, p), s, e);
    if (m >= 0) this.add(this.lane(this.threadRuns, m), s, e);
  }

  syscall(m: number, _g: number, s: number, e: number): void {
    if (m >= 0) this.add(this.lane(this.threadSyscalls, m), s, e);
  }
}

interface Reading {
  push(chunk: Uint8Array): void;
}

/**
 * A streaming read that yields the summary and the timeline overview: push the file's chunks in
 * order, then finish. Memory is bounded by the largest generation plus the lanes' buckets.
 */
export function createTimelineReader(): Reading & { finish(): TimelineOverview } {
  const overview = new OverviewBuilder();
  const summarizer = new TraceSummarizer(overview);
  const gens: { gen: number; offset: number; firstNs: number; lastNs: number }[] = [];
  const sink: TraceSink = {
    generation: (g: TraceGeneration) => {
      // Generations can overlap in time (threads flush at different moments): each one's range is
      // from its earliest batch to its own last event.
      const prev = gens.at(-1);
      if (prev) prev.lastNs = summarizer.lastEventNs;
      gens.push({ gen: g.gen, offset: g.offset, firstNs: g.startNs, lastNs: g.startNs });
      summarizer.generation(g);
    },
    event: summarizer.event.bind(summarizer),
    cpuSample: summarizer.cpuSample.bind(summarizer),
    sync: summarizer.sync.bind(summarizer),
  };
  const reader = createTraceReader(sink);
  return {
    push: (c) => reader.push(c),
    finish() {
      const done = reader.finish();
      const summary = summarizer.summary(done);
      if (gens.length > 0) gens.at(-1)!.lastNs = summary.lastNs;
      const firstNs = Number.isNaN(overview.origin) ? summary.firstNs : Math.min(overview.origin, summary.firstNs);
      // Buckets count from the builder's origin; the view draws from firstNs, so shift to it.
      const origin = Number.isNaN(overview.origin) ? firstNs : overview.origin;
      // Events without intervals (a damaged trace's stray time, say) can end later than any lane.
      if (!Number.isNaN(overview.origin)) overview.reach(summary.lastNs);
      const buckets = Math.max(1, Math.min(MAX_BUCKETS, Math.floor((summary.lastNs - origin) / overview.width) + 1));
      const lane = (kind: TimelineLane['kind'], id: number, runs: Coverage, sys: Coverage | null): TimelineLane => ({
        kind,
        id,
        busyNs: runs.total,
        busy: runs.levels(overview.width, buckets),
        syscall: sys ? sys.levels(overview.width, buckets) : null,
      });
      const procs = [...overview.procs.entries()].sort((a, b) => a[0] - b[0]).map(([id, c]) => lane('proc', id, c, null));
      const threadIds = new Set([...overview.threadRuns.keys(), ...overview.threadSyscalls.keys()]);
      const busiest = [...threadIds]
        .map((id) => ({ id, ns: (overview.threadRuns.get(id)?.total ?? 0) + (overview.threadSyscalls.get(id)?.total ?? 0) }))
        .sort((a, b) => b.ns - a.ns)
        .slice(0, MAX_THREAD_LANES)
        .sort((a, b) => a.id - b.id);
      const threads = busiest.map(({ id }) => lane('thread', id, overview.threadRuns.get(id) ?? new Coverage(), overview.threadSyscalls.get(id) ?? new Coverage()));
      const generations: TimelineGeneration[] = gens.map((g, i) => ({
        gen: g.gen,
        offset: g.offset,
        endOffset: gens[i + 1]?.offset ?? done.bytes,
        firstNs: g.firstNs,
        lastNs: g.lastNs,
      }));
      return {
        error: done.ok ? null : done.error,
        firstNs: origin,
        lastNs: summary.lastNs,
        bucketNs: overview.width,
        lanes: [...procs, ...threads],
        hiddenThreads: threadIds.size - threads.length,
        generations,
        summary,
      };
    },
  };
}

/**
 * The generations to read for the detail of [fromNs, toNs]: their bytes, and the times they cover
 * (from the trace's start when they begin with its first generation).
 */
export function generationsFor(
  overview: Pick<TimelineOverview, 'generations' | 'firstNs'>,
  fromNs: number,
  toNs: number,
): { readonly offset: number; readonly endOffset: number; readonly bytes: number; readonly firstNs: number; readonly lastNs: number } | null {
  const hit = overview.generations.filter((g) => g.lastNs >= fromNs && g.firstNs <= toNs);
  if (hit.length === 0) return null;
  const offset = hit[0]!.offset;
  const endOffset = hit[hit.length - 1]!.endOffset;
  const firstNs = hit[0] === overview.generations[0] ? Math.min(overview.firstNs, hit[0]!.firstNs) : Math.min(...hit.map((g) => g.firstNs));
  return { offset, endOffset, bytes: endOffset - offset, firstNs, lastNs: Math.max(...hit.map((g) => g.lastNs)) };
}

class TrackBuilder {
  n = 0;
  start = new Float64Array(1024);
  end = new Float64Array(1024);
  g = new Float64Array(1024);
  stop = new Int32Array(1024);
  push(s: number, e: number, g: number, stop: number) {
    if (this.n === this.start.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.g = grow(this.g);
      this.stop = grow(this.stop);
    }
    const i = this.n++;
    this.start[i] = s;
    this.end[i] = e;
    this.g[i] = g;
    this.stop[i] = stop;
  }
  seal(): TimelineTrack {
    const n = this.n;
    return { length: n, start: this.start.slice(0, n), end: this.end.slice(0, n), g: this.g.slice(0, n), stop: this.stop.slice(0, n) };
  }
}

class DetailBuilder implements TraceIntervalObserver {
  readonly procs = new Map<number, TrackBuilder>();
  readonly threadRuns = new Map<number, TrackBuilder>();
  readonly threadSyscalls = new Map<number, TrackBuilder>();
  readonly stops: TimelineStop[] = [];
  /** Frames arrays are per generation; the index is by why, then by frames identity. */
  private readonly stopIndex = new Map<string, Map<readonly TraceFrame[], number>>();

  private stopOf(why: string, frames: readonly TraceFrame[]): number {
    let byFrames = this.stopIndex.get(why);
    if (!byFrames) this.stopIndex.set(why, (byFrames = new Map()));
    let i = byFrames.get(frames);
    if (i === undefined) {
      i = this.stops.length;
      this.stops.push({ why, frames });
      byFrames.set(frames, i);
    }
    return i;
  }

  private track(map: Map<number, TrackBuilder>, id: number): TrackBuilder {
    let t = map.get(id);
    if (!t) map.set(id, (t = new TrackBuilder()));
    return t;
  }

  run(p: number, m: number, g: number, s: number, e: number, why: string, frames: readonly TraceFrame[]): void {
    const stop = this.stopOf(why, frames);
    if (p >= 0) this.track(this.procs, p).push(s, e, g, stop);
    if (m >= 0) this.track(this.threadRuns, m).push(s, e, g, stop);
  }

  syscall(m: number, g: number, s: number, e: number, frames: readonly TraceFrame[]): void {
    if (m >= 0) this.track(this.threadSyscalls, m).push(s, e, g, this.stopOf('syscall', frames));
  }
}

/**
 * The exact intervals of the generations in `chunks`: the trace header, then one contiguous range
 * of generations (see generationsFor), whose times fromNs and toNs are.
 */
export function buildTimelineDetail(chunks: Iterable<Uint8Array>, fromNs: number, toNs: number): TimelineDetail {
  const detail = new DetailBuilder();
  const summarizer = new TraceSummarizer(detail);
  const reader = createTraceReader(summarizer);
  for (const c of chunks) reader.push(c);
  const done = reader.finish();
  const summary = summarizer.summary(done);
  const seal = (m: Map<number, TrackBuilder>) => new Map([...m.entries()].map(([k, t]) => [k, t.seal()] as const));
  return {
    error: done.ok ? null : done.error,
    fromNs,
    toNs,
    procs: seal(detail.procs),
    threadRuns: seal(detail.threadRuns),
    threadSyscalls: seal(detail.threadSyscalls),
    stops: detail.stops,
    heap: summary.heap.live,
    goroutines: summary.goroutines.series,
  };
}

/** The typed arrays in an overview or detail, for a worker's transfer list. */
export function timelineBuffers(x: TimelineOverview | TimelineDetail): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  if ('lanes' in x) for (const l of x.lanes) for (const a of [...l.busy, ...(l.syscall ?? [])]) out.push(a.buffer as ArrayBuffer);
  else
    for (const m of [x.procs, x.threadRuns, x.threadSyscalls])
      for (const t of m.values()) out.push(t.start.buffer as ArrayBuffer, t.end.buffer as ArrayBuffer, t.g.buffer as ArrayBuffer, t.stop.buffer as ArrayBuffer);
  return out;
}

/** Index of the first interval whose end is after t (intervals are in time order and disjoint). */
export function firstEndingAfter(track: TimelineTrack, t: number): number {
  let lo = 0;
  let hi = track.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (track.end[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The interval containing t, or the nearest within `slackNs`; -1 when none. */
export function intervalAt(track: TimelineTrack, t: number, slackNs: number): number {
  const i = firstEndingAfter(track, t - slackNs);
  if (i >= track.length) return -1;
  return track.start[i]! <= t + slackNs ? i : -1;
}

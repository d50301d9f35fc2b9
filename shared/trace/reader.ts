/**
 * A streaming reader for Go 1.22+ execution traces. Bytes arrive in chunks
 * of any size; batches are collected per generation (memory is bounded by
 * the largest generation, not by the file), and when a generation is
 * complete its per-thread batches are merged into one time-ordered event
 * stream handed to a sink. No event objects are made: the sink gets the
 * type, time, thread and a reused argument array.
 *
 * Semantics follow golang.org/x/exp/trace (batch.go, batchcursor.go,
 * generation.go, reader.go): non-minimal varints, strings/stacks/CPU
 * sample/sync batches, EndOfGeneration (1.26) or a batch of the next
 * generation (before 1.26) ending a generation, times as
 * trunc(ticks × 1e9/freq) per delta, forced strictly increasing.
 * Events are ordered by time; Go's reader additionally holds back events
 * whose causes (sequence numbers) it has not seen yet, which only moves
 * times by nanoseconds on real traces.
 */
import { decodeUtf8 } from '../util/utf8';
import { ARG_COUNT, Ev, MAX_BATCH_SIZE, MAX_FRAMES_PER_STACK, MAX_STRING_SIZE, OLD_VERSIONS, WIRE_VERSIONS } from './spec';

export interface TraceFrame {
  readonly pc: number;
  readonly func: string;
  readonly file: string;
  readonly line: number;
}

/** The tables of one generation, for resolving string and stack IDs in its events. */
export interface TraceGeneration {
  readonly gen: number;
  /** Trace clock ticks per second. */
  readonly freq: number;
  readonly startNs: number;
  /**
   * File offset of the generation's first batch. Generations are contiguous in the file, so the
   * header plus the bytes from one generation's offset to a later one's read on their own.
   */
  readonly offset: number;
  readonly strings: ReadonlyMap<number, string>;
  /** Stack ID → frames, innermost first. */
  readonly stacks: ReadonlyMap<number, readonly TraceFrame[]>;
  /** Go 1.25+: the wall clock at a trace time, so trace times can be shown as dates. */
  readonly clock: { readonly traceNs: number; readonly wallSec: number; readonly wallNsec: number } | null;
}

export interface TraceSink {
  generation(g: TraceGeneration): void;
  /**
   * One event. `args` holds the arguments after the timestamp delta (ARG_COUNT[type] - 1 of
   * them) in an array reused for the next event. `m` is the OS thread ID, -1 for none.
   */
  event(type: number, timeNs: number, m: number, args: Float64Array): void;
  cpuSample(timeNs: number, m: number, p: number, g: number, stack: number): void;
  /** The Sync events Go's reader emits: one per generation and one at the end. */
  sync(timeNs: number): void;
}

export interface TraceReadStats {
  /** Trace format version: 22, 23, 25 or 26 (Go 1.24 writes 23). */
  readonly version: number | null;
  readonly generations: number;
  readonly bytes: number;
  readonly events: number;
  /** Largest generation held at once, in bytes: the reader's memory bound. */
  readonly maxGenerationBytes: number;
}

export type TraceReadResult = ({ readonly ok: true } | { readonly ok: false; readonly error: { readonly message: string; readonly offset: number } }) & TraceReadStats;

export interface TraceReader {
  push(chunk: Uint8Array): void;
  finish(): TraceReadResult;
}

interface Batch {
  readonly m: number;
  readonly time: number;
  readonly data: Uint8Array;
  /** File offset of the body's first byte, for positioned errors. */
  readonly offset: number;
}

class TraceError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NO_THREAD = -1;
/** 2^64 - 1 as the double a varint decodes to: the runtime's "no M". */
export const U64_MAX = 2 ** 64;

/** Decodes an unsigned LEB128 varint (up to 10 bytes, non-minimal allowed); sets `varintEnd`, -1 when incomplete. */
let varintEnd = 0;
function uvarint(b: Uint8Array, pos: number, end: number): number {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) {
      varintEnd = -1;
      return 0;
    }
    const c = b[pos + i]!;
    if (c < 0x80) {
      if (i === 9 && c > 1) throw new TraceError('varint overflows 64 bits', pos);
      varintEnd = pos + i + 1;
      return x + c * mul;
    }
    x += (c & 0x7f) * mul;
    mul *= 128;
  }
  throw new TraceError('varint longer than 10 bytes', pos);
}

export function createTraceReader(sink: TraceSink): TraceReader {
  let version: number | null = null;
  let pending = new Uint8Array(0);
  let pendingLen = 0;
  /** File offset of pending[0]. */
  let base = 0;
  let total = 0;
  let generations = 0;
  let events = 0;
  let maxGenerationBytes = 0;
  let failure: TraceError | null = null;
  let lastNs = 0;

  // The generation being collected.
  let gen = 0;
  let genOffset = 0;
  let genBytes = 0;
  let batches: Batch[] = [];

  const emitSync = (t: number) => {
    if (t <= lastNs) t = lastNs + 1;
    lastNs = t;
    sink.sync(t);
    events++;
  };

  const header = (): boolean => {
    if (pendingLen < 16) return false;
    let text = '';
    for (let i = 0; i < 16 && pending[i] !== 0; i++) text += String.fromCharCode(pending[i]!);
    const m = /^go 1\.(\d+) trace$/.exec(text);
    if (!m) throw new TraceError(`not a Go execution trace: the file starts with ${JSON.stringify(text.slice(0, 16))}, not "go 1.N trace"`, 0);
    const v = Number(m[1]);
    if (OLD_VERSIONS.includes(v) || (v >= 5 && v < 22))
      throw new TraceError(`a Go 1.${v} trace: the format before Go 1.22 (the old tracer) is recognised but not supported; record the trace with Go 1.22 or newer`, 0);
    if (!(v in WIRE_VERSIONS)) throw new TraceError(`trace format version 1.${v} is not one Go ships (1.22, 1.23, 1.25, 1.26)`, 0);
    version = v;
    return true;
  };

  /** Parses whole batches from pending; returns the index of the first unconsumed byte. */
  const batchesFrom = (start: number): number => {
    let pos = start;
    for (;;) {
      if (pos >= pendingLen) return pos;
      const at = base + pos;
      const typ = pending[pos]!;
      if (typ === Ev.EndOfGeneration) {
        if (version! < 26) throw new TraceError('EndOfGeneration in a trace older than Go 1.26', at);
        endGeneration(at);
        pos++;
        continue;
      }
      if (typ !== Ev.EventBatch && typ !== Ev.ExperimentalBatch) throw new TraceError(`expected a batch (type 1 or 49), found byte ${typ}`, at);
      let p = pos + 1;
      let exp = 0;
      if (typ === Ev.ExperimentalBatch) {
        if (p >= pendingLen) return pos;
        exp = pending[p]!;
        p++;
      }
      const g = uvarint(pending, p, pendingLen);
      if (varintEnd < 0) return pos;
      const m = uvarint(pending, varintEnd, pendingLen);
      if (varintEnd < 0) return pos;
      const time = uvarint(pending, varintEnd, pendingLen);
      if (varintEnd < 0) return pos;
      const size = uvarint(pending, varintEnd, pendingLen);
      if (varintEnd < 0) return pos;
      if (size > MAX_BATCH_SIZE) throw new TraceError(`batch size ${size} exceeds the maximum ${MAX_BATCH_SIZE}`, at);
      const bodyAt = varintEnd;
      if (bodyAt + size > pendingLen) return pos;
      if (g === 0) throw new TraceError('batch of generation 0 (invalid)', at);
      if (gen === 0) {
        gen = g;
        genOffset = at;
      } else if (g !== gen) {
        if (version! >= 26) throw new TraceError(`batch of generation ${g} inside generation ${gen}: missing EndOfGeneration, or generations interleaved`, at);
        if (g !== gen + 1) throw new TraceError(`generations out of order: ${g} after ${gen}`, at);
        endGeneration(at);
        gen = g;
        genOffset = at;
      }
      // Experimental batches are raw data for experiments we do not interpret.
      if (exp === 0) {
        batches.push({ m: m >= U64_MAX ? NO_THREAD : m, time, data: pending.slice(bodyAt, bodyAt + size), offset: base + bodyAt });
        genBytes += size;
        if (genBytes > maxGenerationBytes) maxGenerationBytes = genBytes;
      }
      pos = bodyAt + size;
    }
  };

  const endGeneration = (at: number) => {
    if (batches.length === 0 && gen === 0) return;
    processGeneration(gen, genOffset, batches, at);
    generations++;
    batches = [];
    genBytes = 0;
    gen = 0;
  };

  const processGeneration = (g: number, offset: number, list: Batch[], at: number) => {
    const strings = new Map<number, string>();
    const stackPcs = new Map<number, number[]>();
    const frames = new Map<number, { func: number; file: number; line: number }>();
    const samples: { t: number; m: number; p: number; g: number; stack: number }[] = [];
    const byM = new Map<number, Batch[]>();
    let freq = 0;
    let clock: { ticks: number; wallSec: number; wallNsec: number } | null = null;
    let minTicks = Infinity;
    for (const b of list) {
      if (b.time < minTicks) minTicks = b.time;
      const d = b.data;
      const first = d.length > 0 ? d[0]! : -1;
      if (first === Ev.Strings) readStrings(b, strings);
      else if (first === Ev.Stacks) readStacks(b, stackPcs, frames);
      else if (first === Ev.CPUSamples) readSamples(b, samples);
      else if ((first === Ev.Frequency && version! < 25) || (first === Ev.Sync && version! >= 25)) {
        const s = readSync(b);
        if (s.freq) {
          if (freq) throw new TraceError('two frequency events in one generation', b.offset);
          freq = s.freq;
        }
        if (s.clock) clock = s.clock;
      } else {
        let ms = byM.get(b.m);
        if (!ms) byM.set(b.m, (ms = []));
        ms.push(b);
      }
    }
    if (!freq) throw new TraceError(`generation ${g} has no frequency event`, at);
    if (version! >= 25 && !clock) throw new TraceError(`generation ${g} has no clock snapshot event`, at);
    const f = 1 / (freq / 1e9);
    const mul = (t: number) => Math.trunc(t * f);
    const str = (id: number) => (id === 0 ? '' : (strings.get(id) ?? ''));
    const stacks = new Map<number, readonly TraceFrame[]>();
    for (const [id, pcs] of stackPcs) {
      stacks.set(
        id,
        pcs.map((pc) => {
          const fr = frames.get(pc)!;
          return { pc, func: str(fr.func), file: str(fr.file), line: fr.line };
        }),
      );
    }
    sink.generation({ gen: g, freq, startNs: mul(minTicks), offset, strings, stacks, clock: clock && { traceNs: mul(clock.ticks), wallSec: clock.wallSec, wallNsec: clock.wallNsec } });
    emitSync(mul(minTicks));
    for (const s of samples) s.t = mul(s.t);
    samples.sort((a, b) => a.t - b.t);

    // Merge the threads' event streams by time (a binary heap of cursors).
    const cursors: Cursor[] = [];
    for (const [m, bs] of byM) {
      const c = new Cursor(m, bs);
      if (c.next(mul)) cursors.push(c);
    }
    const heap = cursors;
    const less = (a: Cursor, b: Cursor) => a.time < b.time;
    const down = (i: number) => {
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) return;
        const r = l + 1;
        const s = r < n && less(heap[r]!, heap[l]!) ? r : l;
        if (!less(heap[s]!, heap[i]!)) return;
        [heap[s], heap[i]] = [heap[i]!, heap[s]!];
        i = s;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    let si = 0;
    const sample = () => {
      const s = samples[si++]!;
      let t = s.t;
      if (t <= lastNs) t = lastNs + 1;
      lastNs = t;
      sink.cpuSample(t, s.m, s.p, s.g, s.stack);
      events++;
    };
    while (heap.length > 0) {
      const c = heap[0]!;
      while (si < samples.length && samples[si]!.t < c.time) sample();
      let t = c.time;
      if (t <= lastNs) t = lastNs + 1;
      lastNs = t;
      sink.event(c.type, t, c.m, c.args);
      events++;
      if (c.next(mul)) down(0);
      else {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          down(0);
        }
      }
    }
    while (si < samples.length) sample();
  };

  return {
    push(chunk) {
      if (failure) return;
      total += chunk.length;
      if (pending.length < pendingLen + chunk.length) {
        const grown = new Uint8Array(Math.max(pendingLen + chunk.length, 1 << 16));
        grown.set(pending.subarray(0, pendingLen));
        pending = grown;
      }
      pending.set(chunk, pendingLen);
      pendingLen += chunk.length;
      try {
        let pos = 0;
        if (version === null) {
          if (!header()) return;
          pos = 16;
        }
        pos = batchesFrom(pos);
        // Keep only the incomplete tail (less than one batch) for the next chunk.
        pending.copyWithin(0, pos, pendingLen);
        pendingLen -= pos;
        base += pos;
        if (pending.length > 4 * (MAX_BATCH_SIZE + 64) && pendingLen < MAX_BATCH_SIZE + 64) pending = pending.slice(0, Math.max(pendingLen, 1 << 16));
      } catch (err) {
        failure = err instanceof TraceError ? err : new TraceError(`internal error: ${(err as Error).message}`, base);
      }
    },
    finish() {
      const stats = () => ({ version, generations, bytes: total, events, maxGenerationBytes });
      if (!failure) {
        try {
          if (version === null) throw new TraceError(total === 0 ? 'the trace is empty' : `the trace ends inside its 16-byte header (${total} bytes)`, 0);
          if (pendingLen > 0) throw new TraceError(`the trace ends inside a batch (${pendingLen} bytes of it): truncated`, base);
          if (version >= 26 && batches.length > 0) throw new TraceError('the trace ends inside a generation (no EndOfGeneration): truncated', base);
          if (batches.length > 0) endGeneration(base);
          emitSync(lastNs);
        } catch (err) {
          failure = err instanceof TraceError ? err : new TraceError(`internal error: ${(err as Error).message}`, base);
        }
      }
      if (failure) return { ok: false, error: { message: failure.message, offset: failure.offset }, ...stats() };
      return { ok: true, ...stats() };
    },
  };
}

/** One thread's batches of a generation, decoded an event at a time. */
class Cursor {
  type = 0;
  time = 0;
  readonly args = new Float64Array(5);
  private bi = 0;
  private off = 0;
  private lastTs = 0;
  constructor(
    readonly m: number,
    private readonly batches: readonly Batch[],
  ) {}

  next(mul: (t: number) => number): boolean {
    let b = this.batches[this.bi];
    while (b && this.off === b.data.length) {
      this.bi++;
      this.off = 0;
      this.lastTs = 0;
      b = this.batches[this.bi];
    }
    if (!b) return false;
    if (this.lastTs === 0) this.lastTs = mul(b.time);
    const d = b.data;
    const end = d.length;
    let p = this.off;
    const type = d[p]!;
    const argc = ARG_COUNT[type]!;
    if (argc === 0) throw new TraceError(`event type ${type} is not a timed event (thread ${this.m})`, b.offset + p);
    p++;
    const dt = uvarint(d, p, end);
    if (varintEnd < 0) throw new TraceError(`event cut off at the end of its batch (thread ${this.m})`, b.offset + p);
    p = varintEnd;
    for (let i = 0; i < argc - 1; i++) {
      this.args[i] = uvarint(d, p, end);
      if (varintEnd < 0) throw new TraceError(`event cut off at the end of its batch (thread ${this.m})`, b.offset + p);
      p = varintEnd;
    }
    this.type = type;
    this.time = mul(dt) + this.lastTs;
    this.lastTs = this.time;
    this.off = p;
    return true;
  }
}

function expectFirst(b: Batch, type: number, what: string): number {
  if (b.data[0] !== type) throw new TraceError(`missing ${what} batch header`, b.offset);
  return 1;
}

function readStrings(b: Batch, out: Map<number, string>): void {
  const d = b.data;
  let p = expectFirst(b, Ev.Strings, 'strings');
  while (p < d.length) {
    if (d[p] !== Ev.String) throw new TraceError(`expected a string event, found type ${d[p]}`, b.offset + p);
    const id = uvarint(d, p + 1, d.length);
    if (varintEnd < 0) throw new TraceError('string event cut off', b.offset + p);
    const len = uvarint(d, varintEnd, d.length);
    if (varintEnd < 0) throw new TraceError('string event cut off', b.offset + p);
    if (len > MAX_STRING_SIZE) throw new TraceError(`string of ${len} bytes exceeds the maximum ${MAX_STRING_SIZE}`, b.offset + p);
    if (varintEnd + len > d.length) throw new TraceError('string data cut off', b.offset + p);
    if (out.has(id)) throw new TraceError(`string ID ${id} defined twice`, b.offset + p);
    out.set(id, decodeUtf8(d.subarray(varintEnd, varintEnd + len)));
    p = varintEnd + len;
  }
}

function readStacks(b: Batch, out: Map<number, number[]>, frames: Map<number, { func: number; file: number; line: number }>): void {
  const d = b.data;
  let p = expectFirst(b, Ev.Stacks, 'stacks');
  while (p < d.length) {
    if (d[p] !== Ev.Stack) throw new TraceError(`expected a stack event, found type ${d[p]}`, b.offset + p);
    const at = p;
    const id = uvarint(d, p + 1, d.length);
    if (varintEnd < 0) throw new TraceError('stack event cut off', b.offset + at);
    const n = uvarint(d, varintEnd, d.length);
    if (varintEnd < 0) throw new TraceError('stack event cut off', b.offset + at);
    if (n > MAX_FRAMES_PER_STACK) throw new TraceError(`stack of ${n} frames exceeds the maximum ${MAX_FRAMES_PER_STACK}`, b.offset + at);
    p = varintEnd;
    const pcs: number[] = [];
    for (let i = 0; i < n; i++) {
      const pc = uvarint(d, p, d.length);
      if (varintEnd < 0) throw new TraceError('stack frame cut off', b.offset + at);
      const func = uvarint(d, varintEnd, d.length);
      if (varintEnd < 0) throw new TraceError('stack frame cut off', b.offset + at);
      const file = uvarint(d, varintEnd, d.length);
      if (varintEnd < 0) throw new TraceError('stack frame cut off', b.offset + at);
      const line = uvarint(d, varintEnd, d.length);
      if (varintEnd < 0) throw new TraceError('stack frame cut off', b.offset + at);
      p = varintEnd;
      pcs.push(pc);
      if (!frames.has(pc)) frames.set(pc, { func, file, line });
    }
    if (out.has(id)) throw new TraceError(`stack ID ${id} defined twice`, b.offset + at);
    out.set(id, pcs);
  }
}

function readSamples(b: Batch, out: { t: number; m: number; p: number; g: number; stack: number }[]): void {
  const d = b.data;
  let p = expectFirst(b, Ev.CPUSamples, 'CPU samples');
  while (p < d.length) {
    if (d[p] !== Ev.CPUSample) throw new TraceError(`expected a CPU sample event, found type ${d[p]}`, b.offset + p);
    const at = p;
    const v: number[] = [];
    p++;
    for (let i = 0; i < 5; i++) {
      v.push(uvarint(d, p, d.length));
      if (varintEnd < 0) throw new TraceError('CPU sample cut off', b.offset + at);
      p = varintEnd;
    }
    out.push({ t: v[0]!, m: v[1]! >= U64_MAX ? NO_THREAD : v[1]!, p: v[2]!, g: v[3] === 0 ? -1 : v[3]!, stack: v[4]! });
  }
}

function readSync(b: Batch): { freq: number; clock: { ticks: number; wallSec: number; wallNsec: number } | null } {
  const d = b.data;
  let p = d[0] === Ev.Sync ? 1 : 0;
  let freq = 0;
  let clock: { ticks: number; wallSec: number; wallNsec: number } | null = null;
  let last = b.time;
  while (p < d.length) {
    const t = d[p]!;
    if (t === Ev.Frequency) {
      if (freq) throw new TraceError('two frequency events in one sync batch', b.offset + p);
      freq = uvarint(d, p + 1, d.length);
      if (varintEnd < 0 || freq === 0) throw new TraceError('bad frequency event', b.offset + p);
      p = varintEnd;
    } else if (t === Ev.ClockSnapshot) {
      const v: number[] = [];
      let q = p + 1;
      for (let i = 0; i < 4; i++) {
        v.push(uvarint(d, q, d.length));
        if (varintEnd < 0) throw new TraceError('clock snapshot cut off', b.offset + p);
        q = varintEnd;
      }
      last += v[0]!;
      clock = { ticks: last, wallSec: v[2]!, wallNsec: v[3]! };
      p = q;
    } else throw new TraceError(`expected a frequency or clock snapshot event in the sync batch, found type ${t}`, b.offset + p);
  }
  return { freq, clock };
}

/** One pass, several consumers (a summary and an export, say). */
export function teeSinks(...sinks: TraceSink[]): TraceSink {
  return {
    generation: (g) => sinks.forEach((s) => s.generation(g)),
    event: (type, t, m, args) => {
      for (const s of sinks) s.event(type, t, m, args);
    },
    cpuSample: (t, m, p, g, stack) => sinks.forEach((s) => s.cpuSample(t, m, p, g, stack)),
    sync: (t) => sinks.forEach((s) => s.sync(t)),
  };
}

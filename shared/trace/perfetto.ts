/**
 * Export to the Chrome trace-event JSON format, which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open: goroutine execution as
 * slices on one track per P (or per thread when it runs without a P),
 * syscalls on the thread's track, GC cycles and stop-the-world pauses on
 * their own tracks, and counters for heap, heap goal, goroutines and
 * GOMAXPROCS. Written as a stream of text pieces, so a trace of any size
 * is exported without holding the JSON.
 */
import type { TraceGeneration, TraceSink } from './reader';
import { Ev, GoStatus, ProcStatus } from './spec';

const PID = 1;
const TID_GC = 1_000_000;
const TID_STW = 1_000_001;
const TID_THREAD_BASE = 2_000_000;

interface MState {
  g: number;
  since: number;
  p: number;
  syscallAt: number;
  stwAt: number;
  stwReason: string;
  tid: number;
}

export class PerfettoExporter implements TraceSink {
  private gen: TraceGeneration | null = null;
  private first = true;
  private t0 = -1;
  private readonly ms = new Map<number, MState>();
  private readonly named = new Set<number>();
  private gcAt = -1;
  private gcPartial = false;
  private generations = 0;
  private lastNs = 0;
  private goroutines = 0;
  private readonly alive = new Set<number>();
  private lastCounterNs = -Infinity;

  constructor(private readonly write: (text: string) => void) {
    write('{"displayTimeUnit":"ns","traceEvents":[\n');
    this.emit({ ph: 'M', pid: PID, name: 'process_name', args: { name: 'Go execution trace' } });
    this.name(TID_GC, 'GC');
    this.name(TID_STW, 'stop-the-world');
  }

  /** Microseconds from the first event: the trace-event format's unit. */
  private us(t: number): number {
    if (this.t0 < 0) this.t0 = t;
    return (t - this.t0) / 1000;
  }

  private emit(e: Record<string, unknown>) {
    this.write(`${this.first ? '' : ',\n'}${JSON.stringify(e)}`);
    this.first = false;
  }

  private name(tid: number, name: string) {
    if (this.named.has(tid)) return;
    this.named.add(tid);
    this.emit({ ph: 'M', pid: PID, tid, name: 'thread_name', args: { name } });
    this.emit({ ph: 'M', pid: PID, tid, name: 'thread_sort_index', args: { sort_index: tid } });
  }

  private m(id: number): MState {
    let r = this.ms.get(id);
    if (!r) this.ms.set(id, (r = { g: -1, since: -1, p: -1, syscallAt: -1, stwAt: -1, stwReason: '', tid: TID_THREAD_BASE + this.ms.size }));
    return r;
  }

  private slice(tid: number, name: string, start: number, end: number, args?: Record<string, unknown>) {
    this.emit({ ph: 'X', pid: PID, tid, name, ts: this.us(start), dur: (end - start) / 1000, ...(args ? { args } : {}) });
  }

  private stopRunning(m: MState, mid: number, t: number) {
    if (m.g >= 0 && m.since >= 0) {
      const tid = m.p >= 0 ? m.p : m.tid;
      this.name(tid, m.p >= 0 ? `P${m.p}` : `thread ${mid}`);
      this.slice(tid, `G${m.g}`, m.since, t, { goroutine: m.g, thread: mid });
    }
    m.g = -1;
    m.since = -1;
  }

  private counter(name: string, t: number, value: number) {
    this.emit({ ph: 'C', pid: PID, name, ts: this.us(t), args: { value } });
  }

  private setAlive(g: number, alive: boolean, t: number) {
    const had = this.alive.has(g);
    if (alive && !had) this.alive.add(g);
    else if (!alive && had) this.alive.delete(g);
    else return;
    this.goroutines = this.alive.size;
    // At most one goroutine-count point per 10 µs keeps the file proportionate.
    if (t - this.lastCounterNs >= 10_000) {
      this.counter('goroutines', t, this.goroutines);
      this.lastCounterNs = t;
    }
  }

  generation(g: TraceGeneration): void {
    this.gen = g;
    this.generations++;
  }
  sync(): void {}
  cpuSample(t: number, mid: number, _p: number, g: number, stack: number): void {
    const frames = this.gen?.stacks.get(stack);
    this.emit({ ph: 'i', s: 't', pid: PID, tid: this.m(mid).tid, name: 'CPU sample', ts: this.us(t), args: { goroutine: g, top: frames?.[0]?.func ?? '' } });
  }

  event(type: number, t: number, mid: number, a: Float64Array): void {
    this.lastNs = t;
    switch (type) {
      case Ev.GoStart: {
        const m = this.m(mid);
        this.stopRunning(m, mid, t);
        m.g = a[0]!;
        m.since = t;
        this.setAlive(a[0]!, true, t);
        break;
      }
      case Ev.GoSwitch:
      case Ev.GoSwitchDestroy: {
        const m = this.m(mid);
        const cur = m.g;
        this.stopRunning(m, mid, t);
        if (type === Ev.GoSwitchDestroy && cur >= 0) this.setAlive(cur, false, t);
        m.g = a[0]!;
        m.since = t;
        break;
      }
      case Ev.GoStop:
      case Ev.GoBlock:
      case Ev.GoSyscallEndBlocked:
        this.stopRunning(this.m(mid), mid, t);
        if (type === Ev.GoSyscallEndBlocked) this.endSyscall(mid, t);
        break;
      case Ev.GoDestroy:
      case Ev.GoDestroySyscall: {
        const m = this.m(mid);
        const g = m.g;
        this.stopRunning(m, mid, t);
        if (g >= 0) this.setAlive(g, false, t);
        break;
      }
      case Ev.GoCreate:
      case Ev.GoCreateBlocked:
      case Ev.GoCreateSyscall:
        this.setAlive(a[0]!, true, t);
        break;
      case Ev.GoStatus:
      case Ev.GoStatusStack:
        this.setAlive(a[0]!, a[2] !== GoStatus.Bad, t);
        if (a[2] === GoStatus.Running) {
          const m = this.m(mid);
          m.g = a[0]!;
          m.since = t;
        }
        break;
      case Ev.GoSyscallBegin:
        this.m(mid).syscallAt = t;
        break;
      case Ev.GoSyscallEnd:
        this.endSyscall(mid, t);
        break;
      case Ev.ProcStart:
        this.m(mid).p = a[0]!;
        break;
      case Ev.ProcStop: {
        const m = this.m(mid);
        this.stopRunning(m, mid, t);
        m.p = -1;
        break;
      }
      case Ev.ProcStatus:
        if (a[1] === ProcStatus.Running || a[1] === ProcStatus.Syscall) this.m(mid).p = a[0]!;
        break;
      case Ev.GCBegin:
        this.gcAt = t;
        this.gcPartial = false;
        break;
      case Ev.GCActive:
        // A cycle already running when the trace started, as the summary counts it.
        if (this.generations === 1 && this.gcAt < 0) {
          this.gcAt = t;
          this.gcPartial = true;
        }
        break;
      case Ev.GCEnd:
        if (this.gcAt >= 0) this.slice(TID_GC, 'GC', this.gcAt, t, { seq: a[0], ...(this.gcPartial ? { partial: 'began before the trace' } : {}) });
        this.gcAt = -1;
        break;
      case Ev.STWBegin: {
        const m = this.m(mid);
        m.stwAt = t;
        m.stwReason = a[0] === 0 ? '' : (this.gen?.strings.get(a[0]!) ?? '');
        break;
      }
      case Ev.STWEnd: {
        const m = this.m(mid);
        if (m.stwAt >= 0) this.slice(TID_STW, `STW: ${m.stwReason}`, m.stwAt, t);
        m.stwAt = -1;
        break;
      }
      case Ev.HeapAlloc:
        this.counter('heap live (bytes)', t, a[0]!);
        break;
      case Ev.HeapGoal:
        this.counter('heap goal (bytes)', t, a[0]!);
        break;
      case Ev.ProcsChange:
        this.counter('GOMAXPROCS', t, a[0]!);
        break;
    }
  }

  private endSyscall(mid: number, t: number) {
    const m = this.m(mid);
    if (m.syscallAt < 0) return;
    this.name(m.tid, `thread ${mid}`);
    this.slice(m.tid, 'syscall', m.syscallAt, t);
    m.syscallAt = -1;
  }

  /** Closes the JSON; call once after the reader finished. */
  end(): void {
    if (this.gcAt >= 0) this.slice(TID_GC, 'GC', this.gcAt, this.lastNs, { partial: this.gcPartial ? 'began before the trace and ended after it' : 'ended after the trace' });
    this.gcAt = -1;
    this.write('\n]}\n');
  }
}

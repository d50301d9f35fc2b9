/**
 * Runtime lines a user pastes from a service's stderr: GODEBUG=gctrace=1
 * ("gc N @Ts P%: wall ms clock, cpu ms cpu, a->b->c MB, G MB goal, …, N P")
 * and GODEBUG=schedtrace=X[,scheddetail=1] ("SCHED Tms: gomaxprocs=… …",
 * then P/M/G detail lines). Other log lines are skipped and counted.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface GcTraceLine {
  readonly gc: number;
  readonly atSeconds: number;
  readonly cpuPercent: number;
  /** Wall-clock phases: sweep termination (STW), concurrent mark, mark termination (STW). */
  readonly sweepTermMs: number;
  readonly markMs: number;
  readonly markTermMs: number;
  /** CPU phases: sweep term, assist, background, idle, mark term. */
  readonly cpuMs: { readonly sweepTerm: number; readonly assist: number; readonly background: number; readonly idle: number; readonly markTerm: number };
  readonly heapStartMB: number;
  readonly heapEndMB: number;
  readonly liveMB: number;
  readonly goalMB: number;
  readonly stacksMB: number | null;
  readonly globalsMB: number | null;
  readonly procs: number;
  readonly forced: boolean;
  readonly line: number;
}

export interface SchedTraceLine {
  readonly atMs: number;
  readonly fields: Readonly<Record<string, number>>;
  /** Per-P local run queue lengths. */
  readonly runqueues: readonly number[];
  /** scheddetail lines that followed (P, M and G states), verbatim. */
  readonly detail: readonly string[];
  readonly line: number;
}

export interface RuntimeLog {
  readonly gc: readonly GcTraceLine[];
  readonly sched: readonly SchedTraceLine[];
  readonly otherLines: number;
}

const GC =
  /gc (\d+) @([\d.]+)s (\d+)%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, ([\d.]+)\+([\d.]+)\/([\d.]+)\/([\d.]+)\+([\d.]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (?:(\d+) MB stacks, (\d+) MB globals, )?(\d+) P( \(forced\))?/;
const SCHED = /SCHED (\d+)ms: (.*)$/;
const MAX_ENTRIES = 1_000_000;

export function parseRuntimeLog(text: string): ParseResult<RuntimeLog> {
  const gc: GcTraceLine[] = [];
  const sched: SchedTraceLine[] = [];
  const warnings: ParseWarning[] = [];
  let other = 0;
  let lastSched: { detail: string[] } | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && gc.length + sched.length < MAX_ENTRIES; i++) {
    const line = lines[i]!;
    const g = GC.exec(line);
    if (g) {
      const n = g.slice(1).map((x) => (x === undefined ? NaN : Number(x)));
      gc.push({
        gc: n[0]!,
        atSeconds: n[1]!,
        cpuPercent: n[2]!,
        sweepTermMs: n[3]!,
        markMs: n[4]!,
        markTermMs: n[5]!,
        cpuMs: { sweepTerm: n[6]!, assist: n[7]!, background: n[8]!, idle: n[9]!, markTerm: n[10]! },
        heapStartMB: n[11]!,
        heapEndMB: n[12]!,
        liveMB: n[13]!,
        goalMB: n[14]!,
        stacksMB: g[16] === undefined ? null : n[15]!,
        globalsMB: g[17] === undefined ? null : n[16]!,
        procs: n[17]!,
        forced: g[19] !== undefined,
        line: i + 1,
      });
      lastSched = null;
      continue;
    }
    const s = SCHED.exec(line);
    if (s) {
      const fields: Record<string, number> = {};
      let runqueues: number[] = [];
      const rest = s[2]!;
      for (const m of rest.matchAll(/(\w+)=(-?\d+)/g)) fields[m[1]!] = Number(m[2]);
      const rq = /\[([\d ]*)\]\s*$/.exec(rest);
      if (rq) runqueues = rq[1]!.trim().split(/\s+/).filter(Boolean).map(Number);
      const entry = { atMs: Number(s[1]), fields, runqueues, detail: [] as string[], line: i + 1 };
      sched.push(entry);
      lastSched = entry;
      continue;
    }
    if (lastSched && /^\s+[PMG]\d+: /.test(line)) {
      if (lastSched.detail.length < 100_000) lastSched.detail.push(line.trim());
      continue;
    }
    if (line.trim() !== '') other++;
    if (/^gc \d+ @/.test(line) && warnings.length < 100) warnings.push({ message: 'a gctrace line in an unknown layout', line: i + 1 });
  }
  if (gc.length === 0 && sched.length === 0) return failed({ message: `no gctrace ("gc N @…") or schedtrace ("SCHED Nms: …") lines among ${other} lines`, line: 1 }, warnings);
  return parsed({ gc, sched, otherLines: other }, warnings);
}

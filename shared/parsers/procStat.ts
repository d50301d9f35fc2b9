/**
 * /proc/PID/stat and /proc/PID/task/TID/stat: one line, "pid (comm) state
 * f4 f5 …". comm may hold spaces and parentheses, so it runs to the *last*
 * ") " on the line; everything after it is space-separated numbers whose
 * count grew across kernels (52 fields on current ones).
 */
import { failed, parsed, type ParseResult } from './result';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly minorFaults: number;
  readonly majorFaults: number;
  /** Clock ticks (USER_HZ, 100 on every mainstream kernel). */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  readonly priority: number;
  readonly nice: number;
  readonly numThreads: number;
  /** Clock ticks after boot. */
  readonly startTimeTicks: number;
  readonly vsizeBytes: number;
  readonly rssPages: number;
  /** CPU the task last ran on; null on kernels too old to report it. */
  readonly processor: number | null;
  readonly rtPriority: number | null;
  readonly policy: number | null;
  /** Aggregated block I/O delay (ticks); null when absent. */
  readonly delayacctBlkioTicks: number | null;
  /** Every numeric field after the state, in kernel order starting at field 4 (ppid). */
  readonly rest: readonly number[];
}

export function parseProcStat(text: string): ParseResult<ProcStat> {
  const line = text.length > 8192 ? text.slice(0, 8192) : text;
  const open = line.indexOf(' (');
  const close = line.lastIndexOf(') ');
  if (open <= 0 || close < open) return failed({ message: 'expected "pid (comm) state …"; is this /proc/PID/stat?', line: 1 });
  const pid = Number(line.slice(0, open));
  if (!Number.isInteger(pid)) return failed({ message: `pid ${JSON.stringify(line.slice(0, open))} is not a number`, line: 1 });
  const comm = line.slice(open + 2, close);
  const fields = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const state = fields[0] ?? '';
  if (!/^[A-Za-z]$/.test(state)) return failed({ message: `state ${JSON.stringify(state)} is not a single letter`, line: 1 });
  const rest = fields.slice(1).map(Number);
  const bad = rest.findIndex((n) => !Number.isFinite(n));
  if (bad >= 0) return failed({ message: `field ${bad + 4} (${JSON.stringify(fields[bad + 1])}) is not a number`, line: 1 });
  if (rest.length < 21) return failed({ message: `only ${rest.length + 3} fields; at least 24 are expected`, line: 1 });
  // Field n (1-based, as in proc(5)) is rest[n - 4].
  const f = (n: number): number => rest[n - 4]!;
  const opt = (n: number): number | null => (rest.length > n - 4 ? rest[n - 4]! : null);
  return parsed({
    pid,
    comm,
    state,
    ppid: f(4),
    minorFaults: f(10),
    majorFaults: f(12),
    utimeTicks: f(14),
    stimeTicks: f(15),
    priority: f(18),
    nice: f(19),
    numThreads: f(20),
    startTimeTicks: f(22),
    vsizeBytes: f(23),
    rssPages: f(24),
    processor: opt(39),
    rtPriority: opt(40),
    policy: opt(41),
    delayacctBlkioTicks: opt(42),
    rest,
  });
}

/** /proc/PID/statm: seven page counts. */
export interface ProcStatm {
  readonly sizePages: number;
  readonly residentPages: number;
  readonly sharedPages: number;
  readonly textPages: number;
  readonly dataPages: number;
}

export function parseProcStatm(text: string): ParseResult<ProcStatm> {
  const parts = text.slice(0, 1024).trim().split(/\s+/);
  if (parts.length < 7) return failed({ message: `expected 7 numbers, got ${parts.length}; is this /proc/PID/statm?`, line: 1 });
  const n = parts.map(Number);
  const bad = n.findIndex((x) => !Number.isInteger(x) || x < 0);
  if (bad >= 0) return failed({ message: `value ${bad + 1} (${JSON.stringify(parts[bad])}) is not a page count`, line: 1 });
  return parsed({ sizePages: n[0]!, residentPages: n[1]!, sharedPages: n[2]!, textPages: n[3]!, dataPages: n[5]! });
}

/** /proc/PID/schedstat and task/TID/schedstat: on-CPU ns, runqueue wait ns, timeslices. */
export interface ProcSchedstat {
  readonly runNs: number;
  readonly waitNs: number;
  readonly timeslices: number;
}

export function parseProcSchedstat(text: string): ParseResult<ProcSchedstat> {
  const parts = text.slice(0, 1024).trim().split(/\s+/);
  if (parts.length !== 3) return failed({ message: `expected 3 numbers, got ${parts.length}; is this /proc/PID/schedstat?`, line: 1 });
  const n = parts.map(Number);
  if (n.some((x) => !Number.isFinite(x) || x < 0)) return failed({ message: 'schedstat values must be non-negative numbers', line: 1 });
  return parsed({ runNs: n[0]!, waitNs: n[1]!, timeslices: n[2]! });
}

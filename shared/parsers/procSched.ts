/**
 * /proc/PID/sched and /proc/PID/task/TID/sched: "comm (pid, #threads: N)",
 * a rule, then "key : value" lines (se.sum_exec_runtime, nr_switches,
 * nr_voluntary_switches, nr_involuntary_switches, se.statistics.wait_sum on
 * schedstats kernels, policy, prio, …). Keys vary by kernel; all are kept.
 */
import { failed, parsed, type ParseResult } from './result';

export interface ProcSched {
  readonly comm: string;
  readonly pid: number;
  readonly threads: number | null;
  readonly fields: Readonly<Record<string, number>>;
  readonly voluntarySwitches: number | null;
  readonly involuntarySwitches: number | null;
  /** Milliseconds on CPU. */
  readonly sumExecRuntimeMs: number | null;
  /** Milliseconds waiting on a runqueue; only with schedstats enabled. */
  readonly waitSumMs: number | null;
}

export function parseProcSched(text: string): ParseResult<ProcSched> {
  const lines = text.split('\n', 1000);
  const h = /^(.*) \((\d+), #threads: (\d+)\)\s*$/.exec(lines[0] ?? '') ?? /^(.*) \((\d+)\)\s*$/.exec(lines[0] ?? '');
  if (!h) return failed({ message: 'expected "comm (pid, #threads: N)"; is this /proc/PID/sched?', line: 1 });
  const fields: Record<string, number> = {};
  for (const line of lines.slice(1)) {
    const m = /^([\w.>-]+)\s+:\s+(-?[\d.]+)\s*$/.exec(line);
    if (m) fields[m[1]!] = Number(m[2]);
  }
  const f = (...keys: string[]) => {
    for (const k of keys) if (fields[k] !== undefined) return fields[k]!;
    return null;
  };
  return parsed({
    comm: h[1]!,
    pid: Number(h[2]),
    threads: h[3] !== undefined ? Number(h[3]) : null,
    fields,
    voluntarySwitches: f('nr_voluntary_switches'),
    involuntarySwitches: f('nr_involuntary_switches'),
    sumExecRuntimeMs: f('se.sum_exec_runtime'),
    waitSumMs: f('se.statistics.wait_sum', 'stats.wait_sum'),
  });
}

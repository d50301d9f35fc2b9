/**
 * The kernel scheduler's debug dump: /proc/sched_debug (before 5.13) and
 * /sys/kernel/debug/sched/debug (5.13+), "Sched Debug Version" v0.09 to
 * v0.11. Sections: global clocks, "sysctl_sched" settings, then per CPU
 * "cpu#N, X MHz" with its fields, "cfs_rq[N]:/group" and "rt_rq[N]:/group"
 * blocks of ".key : value" lines, and a "runnable tasks:" table whose
 * columns changed across versions (v0.11 added the S state column, EEVDF
 * added eligible/deadline/slice), so columns are read from its header.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface RunQueue {
  readonly kind: 'cfs' | 'rt' | 'dl';
  /** cgroup path of the group this runqueue belongs to ('/' for the root). */
  readonly group: string;
  readonly fields: Readonly<Record<string, number>>;
}

export interface SchedTask {
  /** Task state (v0.11) or 'R' for the running task in older tables, '' otherwise. */
  readonly state: string;
  readonly comm: string;
  readonly pid: number;
  /** Remaining columns by their header name (vruntime, switches, prio, wait-time, sum-exec, group-path, …). */
  readonly columns: Readonly<Record<string, string>>;
}

export interface SchedCpu {
  readonly cpu: number;
  readonly mhz: number | null;
  readonly fields: Readonly<Record<string, number>>;
  readonly runQueues: readonly RunQueue[];
  readonly tasks: readonly SchedTask[];
}

export interface SchedDebug {
  readonly version: string | null;
  readonly kernel: string | null;
  readonly clocks: Readonly<Record<string, number>>;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly cpus: readonly SchedCpu[];
}

const MAX_LINES = 2_000_000;

function num(v: string): number | null {
  const n = Number(v.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

export function parseSchedDebug(text: string): ParseResult<SchedDebug> {
  const lines = text.split('\n', MAX_LINES);
  const warnings: ParseWarning[] = [];
  const head = /^Sched Debug Version: (v[\d.]+), (\S+)/.exec(lines[0] ?? '');
  if (!head && !/^cpu#\d+/m.test(text.slice(0, 65536))) return failed({ message: 'no "Sched Debug Version" line and no "cpu#N" section; is this sched_debug?', line: 1 });
  const clocks: Record<string, number> = {};
  const sysctls: Record<string, string> = {};
  const cpus: { cpu: number; mhz: number | null; fields: Record<string, number>; runQueues: RunQueue[]; tasks: SchedTask[] }[] = [];
  type Section =
    { kind: 'top' } | { kind: 'sysctl' } | { kind: 'cpu' } | { kind: 'rq'; fields: Record<string, number> } | { kind: 'tasks'; columns: string[] | null; hasState: boolean } | { kind: 'other' };
  let section: Section = { kind: 'top' };
  const cur = () => cpus[cpus.length - 1];
  for (let i = head ? 1 : 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^cpu#(\d+)(?:, ([\d.]+) MHz)?/.exec(line))) {
      cpus.push({ cpu: Number(m[1]), mhz: m[2] ? Number(m[2]) : null, fields: {}, runQueues: [], tasks: [] });
      section = { kind: 'cpu' };
      continue;
    }
    if ((m = /^(cfs|rt|dl)_rq\[(\d+)\]:(.*)$/.exec(line))) {
      const fields: Record<string, number> = {};
      const c = cur();
      if (c) c.runQueues.push({ kind: m[1] as RunQueue['kind'], group: m[3]!.trim() || '/', fields });
      else warnings.push({ message: 'runqueue before any cpu# section', line: i + 1 });
      section = { kind: 'rq', fields };
      continue;
    }
    if (/^runnable tasks:/.test(line)) {
      section = { kind: 'tasks', columns: null, hasState: false };
      continue;
    }
    if (line.startsWith('sysctl_sched')) {
      section = { kind: 'sysctl' };
      continue;
    }
    if (section.kind === 'tasks') {
      if (/^-+$/.test(line.trim())) continue;
      const tokens = line.trim().split(/\s+/);
      if (!section.columns) {
        section.columns = tokens;
        section.hasState = tokens[0] === 'S';
        continue;
      }
      const cols = section.columns;
      // Columns after the name: everything in the header from PID on.
      const pidAt = cols.indexOf('PID');
      let state = '';
      let rest = tokens;
      if (section.hasState || (tokens[0] === 'R' && tokens.length > cols.length)) {
        state = tokens[0]!;
        rest = tokens.slice(1);
      }
      // The PID is the first integer after the name that is followed by a vruntime/tree-key
      // ("123.456789"): names may hold spaces and digits, and rows may carry trailing columns
      // (numa node, group path) that older headers do not list.
      const p = rest.findIndex((t, k) => k >= 1 && /^\d+$/.test(t) && /^-?\d+\.\d+$/.test(rest[k + 1] ?? ''));
      if (p < 1) {
        if (warnings.length < 100) warnings.push({ message: `unrecognised task row ${JSON.stringify(line.slice(0, 60))}`, line: i + 1 });
        continue;
      }
      const columns: Record<string, string> = {};
      for (let k = pidAt + 1, t = p + 1; k < cols.length && t < rest.length; k++, t++) columns[cols[k]!] = rest[t]!;
      cur()?.tasks.push({ state, comm: rest.slice(0, p).join(' '), pid: Number(rest[p]), columns });
      continue;
    }
    const kv = /^\s*\.?([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (!kv) {
      if (warnings.length < 100) warnings.push({ message: `unrecognised line ${JSON.stringify(line.slice(0, 60))}`, line: i + 1 });
      continue;
    }
    const key = kv[1]!.replace(/^\./, '');
    const value = kv[2]!;
    if (section.kind === 'sysctl') sysctls[key.replace(/^sysctl_sched_/, '')] = value.trim();
    else if (section.kind === 'rq') {
      const n = num(value);
      if (n !== null) section.fields[key] = n;
    } else if (section.kind === 'cpu') {
      const n = num(value);
      const c = cur();
      if (n !== null && c) c.fields[key] = n;
    } else if (section.kind === 'top') {
      const n = num(value);
      if (n !== null) clocks[key] = n;
    }
  }
  if (cpus.length === 0) return failed({ message: 'no "cpu#N" section', line: lines.length }, warnings);
  return parsed({ version: head?.[1] ?? null, kernel: head?.[2] ?? null, clocks, sysctls, cpus }, warnings);
}

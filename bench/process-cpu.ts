/**
 * CPU time of process trees from /proc, for benches that count what the user pays: a process's
 * own time plus that of the children it has reaped (so short-lived children still count).
 */
import { readFileSync } from 'node:fs';
import { descendants } from '../test/lab/sshd';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime, stime, cutime, cstime of a process in ms, or zeros if it is gone. */
function times(pid: number): [number, number, number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14-17 of stat are 11-14 once pid and comm are cut off
    return [Number(f[11]) * TICK_MS, Number(f[12]) * TICK_MS, Number(f[13]) * TICK_MS, Number(f[14]) * TICK_MS];
  } catch {
    return [0, 0, 0, 0];
  }
}

/** CPU ms of the children `pid` has reaped (e.g. a spawnSync'd command, once it has exited). */
export function reapedChildrenCpuMs(pid: number): number {
  const [, , cu, cs] = times(pid);
  return cu + cs;
}

/** A short name for a process: Chromium's --type= (its argv is rewritten into one string), else its comm. */
function label(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    const type = /--type=(\S+)/.exec(cmdline)?.[1];
    const utility = /--utility-sub-type=(\S+)/.exec(cmdline)?.[1];
    if (type) return `${type}${utility ? ` (${utility.split('.').pop()})` : ''}`;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * CPU ms of each named tree (root and descendants, with what they reaped). With `split`, a tree's
 * processes are counted apart under `name: label` (e.g. `chromium: gpu-process`).
 */
export function treeCpu(roots: ReadonlyMap<string, number>, split = false): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, root] of roots) {
    for (const pid of [root, ...descendants(root)]) {
      const [u, s, cu, cs] = times(pid);
      const key = split && pid !== root ? `${name}: ${label(pid)}` : name;
      out.set(key, (out.get(key) ?? 0) + u + s + cu + cs);
    }
  }
  return out;
}

/** `after - before` per key, largest first, with the total. */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): { total: number; parts: [string, number][] } {
  const parts: [string, number][] = [];
  for (const [k, v] of after) parts.push([k, v - (before.get(k) ?? 0)]);
  parts.sort((a, b) => b[1] - a[1]);
  return { total: parts.reduce((s, [, v]) => s + v, 0), parts: parts.filter(([, v]) => v > 0) };
}

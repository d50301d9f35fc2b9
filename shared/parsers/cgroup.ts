/**
 * cgroup v1 and v2 files, as the capture stores them
 * ("cgroup/<v2|v1-memory|v1-cpu|…>/<depth>/<file>", depth 0 being the
 * process's own cgroup and each step up one ancestor), normalised into one
 * model. The limit that binds is the minimum along the path, so every limit
 * is reported with the cgroup that sets it.
 */
import { parsePsi, type Psi } from './psi';
import { parsed, type ParseResult, type ParseWarning } from './result';

export type CgroupVersion = 'v1' | 'v2';

/** A value and the cgroup path that imposes it. */
export interface Bound {
  readonly value: number;
  readonly path: string;
}

export interface CgroupMemory {
  readonly version: CgroupVersion;
  /** Effective hard limit: the minimum of memory.max / memory.limit_in_bytes over the path; null = unlimited. */
  readonly limit: Bound | null;
  /** v2 memory.high (throttling threshold), minimum over the path. */
  readonly high: Bound | null;
  readonly swapLimit: Bound | null;
  readonly usageBytes: number | null;
  readonly anonBytes: number | null;
  readonly fileBytes: number | null;
  readonly kernelBytes: number | null;
  readonly oomKills: number | null;
  /** v1 memory.failcnt: times usage hit the limit. */
  readonly failCount: number | null;
  readonly pressure: Psi | null;
  readonly stat: Readonly<Record<string, number>>;
}

export interface CgroupCpu {
  readonly version: CgroupVersion;
  /** Effective CPU bandwidth in CPUs (quota / period), minimum over the path; null = unlimited. */
  readonly limitCpus: Bound | null;
  readonly quotaUs: number | null;
  readonly periodUs: number | null;
  /** v2 cpu.weight (1–10000, default 100) or v1 cpu.shares (default 1024). */
  readonly weight: number | null;
  readonly shares: number | null;
  readonly nrPeriods: number | null;
  readonly nrThrottled: number | null;
  readonly throttledUs: number | null;
  readonly usageUs: number | null;
  readonly pressure: Psi | null;
}

export interface CgroupModel {
  /** Versions seen: ['v2'], ['v1'] or both on hybrid hosts. */
  readonly versions: readonly CgroupVersion[];
  /** The process's own cgroup path per hierarchy tag. */
  readonly paths: Readonly<Record<string, string>>;
  readonly memory: CgroupMemory | null;
  readonly cpu: CgroupCpu | null;
  readonly cpuset: { readonly cpus: string; readonly count: number; readonly path: string } | null;
  readonly pids: { readonly max: Bound | null; readonly current: number | null } | null;
  /**
   * The cgroup whose *.pressure files gave memory.pressure and cpu.pressure: the process's own v2
   * cgroup, also on a hybrid host where the controllers are on v1; null when none was read.
   */
  readonly pressurePath: string | null;
  /** What could not be known and why, for the UI to say. */
  readonly missing: readonly string[];
}

interface Level {
  readonly depth: number;
  readonly path: string;
  readonly files: ReadonlyMap<string, string>;
}

const V1_UNLIMITED = 2n ** 62n; // v1 reports "unlimited" as PAGE_COUNTER_MAX * page size, just under 2^63

/** Parses "N" or "max"; v1's huge sentinel means unlimited. undefined = not a number. */
function limitValue(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max' || t === '-1') return null;
  if (!/^\d+$/.test(t)) return undefined;
  if (BigInt(t) >= V1_UNLIMITED) return null;
  return Number(t);
}

function int(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : null;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (text === undefined) return out;
  for (const line of text.split('\n', 10_000)) {
    const m = /^(\S+)\s+(-?\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Number of CPUs in a list such as "0-3,8,10-11". */
export function cpuListCount(list: string): number | null {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return null;
    n += b - a + 1;
  }
  return n;
}

function minBound(levels: readonly Level[], read: (l: Level) => number | null | undefined): Bound | null {
  let best: Bound | null = null;
  for (const l of levels) {
    const v = read(l);
    if (v === null || v === undefined) continue;
    if (!best || v < best.value) best = { value: v, path: l.path || '/' };
  }
  return best;
}

function psi(text: string | undefined, warnings: ParseWarning[], what: string): Psi | null {
  if (text === undefined) return null;
  const r = parsePsi(text);
  if (!r.ok) {
    warnings.push({ message: `${what}: ${r.error.message}` });
    return null;
  }
  return r.value;
}

/** Accepts the session's artifact names → text; other names are ignored. */
export function parseCgroupFiles(files: ReadonlyMap<string, string> | Readonly<Record<string, string>>): ParseResult<CgroupModel> {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const byTag = new Map<string, Map<number, Map<string, string>>>();
  for (const [name, text] of entries) {
    const m = /^cgroup\/(v2|v1-[a-z_]+)\/(\d+)\/(.+)$/.exec(name);
    if (!m) continue;
    const depth = Number(m[2]);
    if (depth > 64) continue;
    let tag = byTag.get(m[1]!);
    if (!tag) byTag.set(m[1]!, (tag = new Map()));
    let level = tag.get(depth);
    if (!level) tag.set(depth, (level = new Map()));
    level.set(m[3]!, text);
  }
  const levelsOf = (tag: string): Level[] =>
    [...(byTag.get(tag) ?? new Map<number, Map<string, string>>()).entries()].sort((a, b) => a[0] - b[0]).map(([depth, files]) => ({ depth, path: (files.get('path') ?? '').trim(), files }));

  const warnings: ParseWarning[] = [];
  const missing: string[] = [];
  const paths: Record<string, string> = {};
  for (const tag of byTag.keys()) {
    const own = levelsOf(tag)[0];
    if (own) paths[tag] = own.path || '/';
  }
  const versions: CgroupVersion[] = [];
  if (byTag.has('v2')) versions.push('v2');
  if ([...byTag.keys()].some((t) => t.startsWith('v1-'))) versions.push('v1');
  if (versions.length === 0) missing.push('no cgroup files were captured (no /proc/PID/cgroup, or no readable hierarchy)');

  const v2 = levelsOf('v2');
  const v2Has = (file: string) => v2.some((l) => l.files.has(file));
  // PSI is kept per cgroup by the v2 hierarchy whatever holds the controllers, so on a hybrid host
  // the v1 memory and cpu models take it from the process's v2 cgroup. Not from the v2 root: its
  // pressure is the host's, which the session reads from /proc/pressure already.
  const v2Own = v2[0];
  const hybridPsi = versions.includes('v1') && v2Own && v2Own.path !== '' && v2Own.path !== '/' ? v2Own : undefined;
  let pressurePath: string | null = null;
  const pressureOf = (level: Level | undefined, file: string): Psi | null => {
    const text = level?.files.get(file);
    const parsedPsi = psi(text, warnings, file);
    if (parsedPsi) pressurePath = level!.path || '/';
    return parsedPsi;
  };
  const v1mem = levelsOf('v1-memory');
  const v1cpu = levelsOf('v1-cpu');

  // --- memory: v1 when the memory controller is on v1, else v2 ---
  let memory: CgroupMemory | null = null;
  if (v1mem.length > 0) {
    const own = v1mem[0]!.files;
    const stat = parseKeyValues(own.get('memory.stat'));
    const oom = parseKeyValues(own.get('memory.oom_control'));
    memory = {
      version: 'v1',
      limit: minBound(v1mem, (l) => limitValue(l.files.get('memory.limit_in_bytes'))),
      high: minBound(v1mem, (l) => limitValue(l.files.get('memory.soft_limit_in_bytes'))),
      swapLimit: minBound(v1mem, (l) => limitValue(l.files.get('memory.memsw.limit_in_bytes'))),
      usageBytes: int(own.get('memory.usage_in_bytes')),
      anonBytes: stat.total_rss ?? stat.rss ?? null,
      fileBytes: stat.total_cache ?? stat.cache ?? null,
      kernelBytes: null,
      oomKills: oom.oom_kill ?? null,
      failCount: int(own.get('memory.failcnt')),
      pressure: pressureOf(hybridPsi, 'memory.pressure'),
      stat,
    };
    missing.push(`memory.high does not exist on cgroup v1 (soft_limit_in_bytes is shown instead), and v1 reports no kernel memory split${memory.pressure ? '' : ' or memory pressure'}`);
  } else if (v2Has('memory.max') || v2Has('memory.current')) {
    const own = v2[0]!.files;
    const stat = parseKeyValues(own.get('memory.stat'));
    const events = parseKeyValues(own.get('memory.events'));
    const kernel = stat.kernel ?? (stat.kernel_stack !== undefined ? (stat.kernel_stack ?? 0) + (stat.slab ?? 0) + (stat.sock ?? 0) + (stat.percpu ?? 0) + (stat.pagetables ?? 0) : undefined);
    memory = {
      version: 'v2',
      limit: minBound(v2, (l) => limitValue(l.files.get('memory.max'))),
      high: minBound(v2, (l) => limitValue(l.files.get('memory.high'))),
      swapLimit: minBound(v2, (l) => limitValue(l.files.get('memory.swap.max'))),
      usageBytes: int(own.get('memory.current')),
      anonBytes: stat.anon ?? null,
      fileBytes: stat.file ?? null,
      kernelBytes: kernel ?? null,
      oomKills: events.oom_kill ?? null,
      failCount: events.max ?? null,
      pressure: pressureOf(v2Own, 'memory.pressure'),
      stat,
    };
    if (v2.length > 0 && !v2[v2.length - 1]!.files.has('memory.max')) {
      // The root cgroup has no memory.max; that is expected, not missing.
    }
  } else if (versions.length > 0) {
    missing.push('the memory controller is not enabled for this cgroup: no memory limit applies through cgroups');
  }

  // --- cpu ---
  let cpu: CgroupCpu | null = null;
  if (v1cpu.length > 0) {
    const own = v1cpu[0]!.files;
    const stat = parseKeyValues(own.get('cpu.stat'));
    const quota = int(own.get('cpu.cfs_quota_us'));
    const period = int(own.get('cpu.cfs_period_us'));
    const usageNs = int(own.get('cpuacct.usage'));
    cpu = {
      version: 'v1',
      limitCpus: minBound(v1cpu, (l) => {
        const q = int(l.files.get('cpu.cfs_quota_us'));
        const p = int(l.files.get('cpu.cfs_period_us'));
        return q !== null && q > 0 && p ? q / p : null;
      }),
      quotaUs: quota !== null && quota > 0 ? quota : null,
      periodUs: period,
      weight: null,
      shares: int(own.get('cpu.shares')),
      nrPeriods: stat.nr_periods ?? null,
      nrThrottled: stat.nr_throttled ?? null,
      throttledUs: stat.throttled_time !== undefined ? stat.throttled_time / 1000 : null,
      usageUs: usageNs !== null ? usageNs / 1000 : null,
      pressure: pressureOf(hybridPsi, 'cpu.pressure'),
    };
  } else if (v2Has('cpu.max') || v2Has('cpu.stat')) {
    const own = v2[0]!.files;
    const stat = parseKeyValues(own.get('cpu.stat'));
    const max = (l: Level): [number | null, number | null] => {
      const m = /^(max|\d+)\s+(\d+)$/.exec((l.files.get('cpu.max') ?? '').trim());
      return m ? [m[1] === 'max' ? null : Number(m[1]), Number(m[2])] : [null, null];
    };
    const [quota, period] = max(v2[0]!);
    cpu = {
      version: 'v2',
      limitCpus: minBound(v2, (l) => {
        const [q, p] = max(l);
        return q !== null && p ? q / p : null;
      }),
      quotaUs: quota,
      periodUs: period,
      weight: int(own.get('cpu.weight')),
      shares: null,
      nrPeriods: stat.nr_periods ?? null,
      nrThrottled: stat.nr_throttled ?? null,
      throttledUs: stat.throttled_usec ?? null,
      usageUs: stat.usage_usec ?? null,
      pressure: pressureOf(v2Own, 'cpu.pressure'),
    };
  } else if (versions.length > 0) {
    missing.push('the cpu controller is not enabled for this cgroup: no CPU quota applies through cgroups');
  }

  // --- cpuset, pids ---
  let cpuset: CgroupModel['cpuset'] = null;
  for (const l of [...v2, ...levelsOf('v1-cpuset')]) {
    const list = (l.files.get('cpuset.cpus.effective') ?? l.files.get('cpuset.effective_cpus') ?? '').trim();
    if (!list) continue;
    const count = cpuListCount(list);
    if (count === null) warnings.push({ message: `cpuset list ${JSON.stringify(list.slice(0, 40))} is not a CPU list` });
    else cpuset = { cpus: list, count, path: l.path || '/' };
    break;
  }
  let pids: CgroupModel['pids'] = null;
  const pidLevels = v2Has('pids.max') || v2Has('pids.current') ? v2 : levelsOf('v1-pids');
  if (pidLevels.length > 0) pids = { max: minBound(pidLevels, (l) => limitValue(l.files.get('pids.max'))), current: int(pidLevels[0]!.files.get('pids.current')) };

  return parsed({ versions, paths, memory, cpu, cpuset, pids, pressurePath, missing }, warnings);
}

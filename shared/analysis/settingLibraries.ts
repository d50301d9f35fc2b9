/**
 * Libraries that set GOMAXPROCS or GOMEMLIMIT from inside the process, as the
 * build info lists them, and what each sets when it runs. Modelled on their
 * source, read at the versions cited:
 *
 * - go.uber.org/automaxprocs (maxprocs/maxprocs.go `Set`,
 *   internal/runtime/cpu_quota_linux.go `CPUQuotaToGOMAXPROCS`, v1.4.0,
 *   v1.5.3, v1.6.0): when GOMAXPROCS is in the environment it only logs
 *   "Honoring GOMAXPROCS"; without a CPU quota it leaves GOMAXPROCS alone;
 *   otherwise it calls runtime.GOMAXPROCS(max(1, floor(quota/period))) (the
 *   default RoundQuotaFunc is math.Floor, the default Min is 1). It reads the
 *   process's own cgroup only (cpu.cfs_quota_us / cpu.cfs_period_us on v1,
 *   cpu.max on v2), and v2 only from v1.5.0 on, only when cgroup2 is mounted
 *   at /sys/fs/cgroup. Importing the root package runs Set at init; the
 *   maxprocs package lets a program call it (Caddy does).
 * - github.com/KimMachineGun/automemlimit (memlimit/memlimit.go `Set`,
 *   provider.go `ApplyRatio`, cgroups.go, v1.0.2; `SetGoMemLimitWithOpts` in
 *   v0.7.5): skips when GOMEMLIMIT is in the environment (v1: a non-empty
 *   value; v0.7: any value), skips when AUTOMEMLIMIT=off, otherwise takes
 *   AUTOMEMLIMIT as the ratio (default 0.9) and calls
 *   debug.SetMemoryLimit(uint64(float64(limit) × ratio)), where limit is the
 *   lowest memory limit on the cgroup path (v1's memory.limit_in_bytes and
 *   hierarchical_memory_limit, preferred when v1 has the memory controller;
 *   v2's memory.max walked up to the root). No limit: it sets math.MaxInt64
 *   (none). A program can pass other options (WithRatio, WithProvider), which
 *   the build info does not show; the evidence says so.
 */
import type { GoModule } from '../parsers/buildinfo';

export const AUTOMAXPROCS = 'go.uber.org/automaxprocs';
export const AUTOMEMLIMIT = 'github.com/KimMachineGun/automemlimit';

/** "v1.6.0" → [1, 6, 0]; pseudo-versions compare by their base. */
export function moduleVersion(v: string): readonly [number, number, number] | null {
  const m = /^v(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function atLeastModule(v: string, major: number, minor: number, patch: number): boolean {
  const p = moduleVersion(v);
  if (!p) return false;
  return p[0] !== major ? p[0] > major : p[1] !== minor ? p[1] > minor : p[2] >= patch;
}

/** The dependency as linked (a replacement's version when there is one). */
export function linkedModule(deps: readonly GoModule[], path: string): { readonly path: string; readonly version: string } | null {
  const d = deps.find((x) => x.path === path);
  if (!d) return null;
  return d.replacedBy ? { path: d.path, version: d.replacedBy.version || d.version } : { path: d.path, version: d.version };
}

export type LibraryOutcome<T> =
  /** The library sets this value when it runs. */
  | { readonly kind: 'sets'; readonly value: T; readonly why: string }
  /** It runs but leaves the setting as it is. */
  | { readonly kind: 'leaves'; readonly why: string }
  /** Its behaviour here cannot be told from the session. */
  | { readonly kind: 'unknown'; readonly why: string };

export interface CpuQuotaFacts {
  /** The process's own cgroup's quota/period in CPUs (not an ancestor's); null = no quota there. */
  readonly ownQuotaCpus: number | null;
  readonly version: 'v1' | 'v2';
}

/** What go.uber.org/automaxprocs's Set does, given the environment and the process's own cgroup. */
export function automaxprocsOutcome(version: string, envGomaxprocs: string | undefined | null, cpu: CpuQuotaFacts | null): LibraryOutcome<number> {
  const at = `${AUTOMAXPROCS} ${version}`;
  if (!moduleVersion(version) || moduleVersion(version)![0] !== 1) return { kind: 'unknown', why: `${at}: only v1 is modelled` };
  if (envGomaxprocs === null) return { kind: 'unknown', why: `${at} leaves GOMAXPROCS alone when it is in the environment, and the environment was not read` };
  if (envGomaxprocs !== undefined) return { kind: 'leaves', why: `${at} honors GOMAXPROCS=${envGomaxprocs} from the environment and changes nothing` };
  if (!cpu) return { kind: 'unknown', why: `${at} reads the cgroup CPU quota, and no cgroup files were captured` };
  if (cpu.version === 'v2' && !atLeastModule(version, 1, 5, 0)) return { kind: 'leaves', why: `${at} reads only cgroup v1 (v2 support came in v1.5.0): it finds no quota and leaves GOMAXPROCS alone` };
  if (cpu.ownQuotaCpus === null) return { kind: 'leaves', why: `${at} finds no CPU quota on the process's own cgroup and leaves GOMAXPROCS alone` };
  const value = Math.max(1, Math.floor(cpu.ownQuotaCpus));
  return { kind: 'sets', value, why: `${at} calls runtime.GOMAXPROCS(max(1, floor(quota ${cpu.ownQuotaCpus.toFixed(2)}))) = ${value}` };
}

export interface MemoryLimitFacts {
  /** The lowest memory limit on the cgroup path, bytes; null = none. */
  readonly limitBytes: number | null;
  readonly path: string | null;
}

/** What github.com/KimMachineGun/automemlimit's Set does with its defaults, given the environment and the cgroup. */
export function automemlimitOutcome(version: string, env: { readonly GOMEMLIMIT?: string; readonly AUTOMEMLIMIT?: string } | null, memory: MemoryLimitFacts | null): LibraryOutcome<number | null> {
  const at = `${AUTOMEMLIMIT} ${version}`;
  const v1 = atLeastModule(version, 1, 0, 0);
  if (!v1 && !atLeastModule(version, 0, 7, 5)) return { kind: 'unknown', why: `${at}: versions before v0.7.5 are not modelled` };
  if (env === null) return { kind: 'unknown', why: `${at} leaves GOMEMLIMIT alone when it is in the environment, and the environment was not read` };
  if (env.GOMEMLIMIT !== undefined && (env.GOMEMLIMIT !== '' || !v1)) return { kind: 'leaves', why: `${at} sees GOMEMLIMIT=${env.GOMEMLIMIT} in the environment and skips` };
  let ratio = 0.9;
  if (env.AUTOMEMLIMIT !== undefined) {
    if (env.AUTOMEMLIMIT === 'off') return { kind: 'leaves', why: `${at}: AUTOMEMLIMIT=off in the environment turns it off` };
    // strconv.ParseFloat: no surrounding spaces, no hex integers.
    const r = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(env.AUTOMEMLIMIT) ? Number(env.AUTOMEMLIMIT) : NaN;
    if (!Number.isFinite(r) || r <= 0 || r > 1) return { kind: 'leaves', why: `${at} refuses AUTOMEMLIMIT=${env.AUTOMEMLIMIT} (a ratio in (0, 1] is needed) and leaves GOMEMLIMIT as it was` };
    ratio = r;
  }
  if (!memory) return { kind: 'unknown', why: `${at} reads the cgroup memory limit, and no cgroup files were captured` };
  const how = `${env.AUTOMEMLIMIT !== undefined ? `AUTOMEMLIMIT=${env.AUTOMEMLIMIT}` : 'its default ratio 0.9'}, unless the program passes other options`;
  if (memory.limitBytes === null) return { kind: 'sets', value: null, why: `${at} finds no cgroup memory limit and sets none (math.MaxInt64), with ${how}` };
  const value = Math.floor(memory.limitBytes * ratio);
  return { kind: 'sets', value, why: `${at} calls debug.SetMemoryLimit(${memory.limitBytes} × ${ratio}) = ${value} bytes (the cgroup limit set by ${memory.path ?? 'the cgroup'}, with ${how})` };
}

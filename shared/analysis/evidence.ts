/**
 * The evidence of one session, gathered from its artifacts into typed facts,
 * each with the artifact it came from. A fact that could not be read is null,
 * never zero: the rules must be able to tell "unknown" from "none".
 */
import { CGROUP_PREFIX, NAMES, threadOf } from '../artifacts/registry';
import { parseCgroupFiles, type CgroupModel } from '../parsers/cgroup';
import { parseGoroutineDump, type GoroutineGroup } from '../parsers/goroutines';
import { parseHeapDebug1, type MemStats } from '../parsers/memstats';
import { parseProcSched } from '../parsers/procSched';
import { parseProcStatus, type ProcStatus } from '../parsers/procStatus';
import { parsePsi, type Psi } from '../parsers/psi';
import { parseSchedDebug } from '../parsers/schedDebug';
import { describeError } from '../parsers/result';
import { parseSmaps } from '../parsers/smaps';
import { parseSmapsRollup, type SmapsRollup } from '../parsers/smapsRollup';
import { parseNativeStacks } from '../parsers/stacks';
import type { TraceSummary } from '../trace/summary';
import { artifactText, type ArtifactFiles } from './artifactContent';
import { attributeMemory, type MemoryAttribution } from './memoryAttribution';
import type { MemoryClass, Totals } from './memoryLayout';
import { parseGoVersion, parseGodebug, type GoVersion } from './goKnowledge';
import { settingsFromArtifacts, type EffectiveSettings, type TraceSettingsFacts } from './settings';

export type Files = ArtifactFiles;

/** Where a value came from: the artifact, and what in it. */
export interface Source {
  readonly artifact: string;
  readonly detail: string;
}

export interface GoEnv {
  /** The variables as set in the process environment; absent means not in it (the environ was read). */
  readonly GOMAXPROCS?: string;
  readonly GOMEMLIMIT?: string;
  readonly GOGC?: string;
  readonly GODEBUG?: string;
  readonly AUTOMEMLIMIT?: string;
}

export interface ThreadSched {
  readonly tid: number;
  readonly migrations: number | null;
  readonly involuntarySwitches: number | null;
}

export interface SessionEvidence {
  readonly goVersion: GoVersion | null;
  readonly isGo: boolean;
  /** null: the environ could not be read. What the environment says is one source of the settings, not the settings. */
  readonly env: GoEnv | null;
  /** GODEBUG as the environment has it (the settings hold the value in effect of each key). */
  readonly godebug: ReadonlyMap<string, string>;
  /** GOMAXPROCS, GOMEMLIMIT, GOGC and GODEBUG in effect, each with its source (settings.ts). */
  readonly settings: EffectiveSettings;
  readonly cgroup: CgroupModel | null;
  readonly status: ProcStatus | null;
  readonly rollup: SmapsRollup | null;
  /** Per memory class, from the classified smaps. */
  readonly classes: ReadonlyMap<MemoryClass, Totals> | null;
  /** The classes as report rows, and the Go classes against the runtime's totals. */
  readonly memory: MemoryAttribution | null;
  readonly memStats: MemStats | null;
  readonly goroutineGroups: readonly GoroutineGroup[] | null;
  readonly goroutineCount: number | null;
  /** Logical CPUs online on the host. */
  readonly hostCpus: number | null;
  readonly thp: { readonly enabled: string | null; readonly defrag: string | null; readonly maxPtesNone: number | null } | null;
  readonly systemPsi: { readonly cpu: Psi | null; readonly memory: Psi | null; readonly io: Psi | null };
  /** Whether a pprof endpoint answered (null: not known, e.g. an old capture). */
  readonly pprof: boolean | null;
  readonly threads: readonly ThreadSched[];
  /** OS threads by what their native stack shows them doing (pt-pmp style), from the stack tool. */
  readonly threadStates: readonly { readonly state: string; readonly count: number }[] | null;
  /** Runnable tasks per CPU from the scheduler debug output. */
  readonly runqueue: { readonly perCpu: readonly number[]; readonly source: string } | null;
  readonly trace: TraceSummary | null;
  /** The artifact each fact came from, by fact name. */
  readonly sources: Readonly<Record<string, Source>>;
  readonly notes: readonly string[];
}

/** "0-3,6" → 5 */
export function countCpuList(list: string): number | null {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n > 0 ? n : null;
}

/**
 * Gathers what the rules and the reconciliation need. `goVersion` is the session's (read from the
 * binary's build info at capture); `trace` is the summary of the session's trace when the caller
 * read it (it is large, so reading it is the caller's choice).
 */
export function gatherEvidence(files: Files, opts: { goVersion?: string | null; trace?: TraceSummary | null; artifactStatus?: Readonly<Record<string, string>> } = {}): SessionEvidence {
  const ctx = settingsContext(files, opts.goVersion ?? null);
  const { discovery, goVersion, env, cgroup, status, hostCpus } = ctx;
  const notes: string[] = [...ctx.notes];
  const sources: Record<string, Source> = { ...ctx.sources };
  const src = (fact: string, artifact: string, detail: string) => (sources[fact] = { artifact, detail });
  const godebug = new Map(parseGodebug(env?.GODEBUG ?? '').map((p) => [p.key, p.value]));
  const settings = settingsFromArtifacts(files, { goVersion, env: env as Record<string, string | undefined> | null, trace: opts.trace ?? null, cgroup, cpus: ctx.cpus }, opts.artifactStatus);

  const rollupText = artifactText(files[NAMES.smapsRollup]);
  const ru = rollupText ? parseSmapsRollup(rollupText) : null;
  const rollup = ru?.ok ? ru.value : null;
  if (rollup) src('rollup', NAMES.smapsRollup, 'Rss, Pss, LazyFree, AnonHugePages');

  const heapText = artifactText(files[NAMES.heap]);
  const heap = heapText ? parseHeapDebug1(heapText) : null;
  const memStats = heap?.ok ? heap.value.memStats : null;
  if (memStats) src('memStats', NAMES.heap, '# runtime.MemStats');

  let classes: Map<MemoryClass, Totals> | null = null;
  let memory: MemoryAttribution | null = null;
  const smaps = files[NAMES.smaps];
  if (smaps !== undefined) {
    const maps = parseSmaps(smaps);
    if (maps.ok && maps.value.hasCounters) {
      const heapParsed = heap ? { memStats, error: heap.ok ? null : describeError(heap.error) } : undefined;
      const a = attributeMemory(maps.value, files, { isGo: discovery.isGo, goVersion: opts.goVersion ?? null, heap: heapParsed });
      classes = new Map(a.layout.totals.map((t) => [t.class, t.kib]));
      memory = a.attribution;
      src('classes', NAMES.smaps, `each mapping classified by owner (Go heap and metadata, glibc malloc, thread stacks, binary, libraries); ${a.attribution.probeSummary}`);
    }
  }

  const gText = artifactText(files[NAMES.goroutines]);
  const gd = gText ? parseGoroutineDump(gText) : null;
  const goroutineGroups = gd?.ok ? gd.value.groups : null;
  if (goroutineGroups) src('goroutines', NAMES.goroutines, 'goroutine?debug=2 grouped by state and stack');

  const thpEnabled = artifactText(files[NAMES.thpEnabled]);
  const thpDefrag = artifactText(files[NAMES.thpDefrag]);
  const ptes = artifactText(files[NAMES.thpMaxPtesNone]);
  const bracketed = (s: string | undefined) => (s ? (/\[(\w+)\]/.exec(s)?.[1] ?? s.trim()) : null);
  const thp = thpEnabled || thpDefrag || ptes ? { enabled: bracketed(thpEnabled), defrag: bracketed(thpDefrag), maxPtesNone: ptes && /^\d+$/.test(ptes.trim()) ? Number(ptes.trim()) : null } : null;
  if (thp) src('thp', NAMES.thpEnabled, '/sys/kernel/mm/transparent_hugepage/{enabled,defrag,khugepaged/max_ptes_none}');

  const psiOf = (name: string) => {
    const t = artifactText(files[name]);
    const r = t ? parsePsi(t) : null;
    return r?.ok ? r.value : null;
  };
  const systemPsi = { cpu: psiOf(NAMES.pressureCpu), memory: psiOf(NAMES.pressureMemory), io: psiOf(NAMES.pressureIo) };

  const pprof = discovery.pprofPort === undefined ? null : discovery.pprofPort !== null;
  if (pprof !== null) src('pprof', NAMES.discovery, pprof ? `pprof endpoint on port ${discovery.pprofPort}` : "no pprof endpoint answered on the process's listening ports");

  const threads: ThreadSched[] = [];
  for (const [k, v] of Object.entries(files)) {
    const tid = threadOf(k, 'sched');
    if (tid === null) continue;
    const r = parseProcSched(artifactText(v) ?? '');
    if (r.ok) threads.push({ tid, migrations: r.value.fields['se.nr_migrations'] ?? null, involuntarySwitches: r.value.involuntarySwitches });
  }
  if (threads.length > 0) src('threads', 'task/*/sched', 'per-thread migrations and involuntary switches');

  let threadStates: SessionEvidence['threadStates'] = null;
  const stacksText = artifactText(files[NAMES.nativeStacks]);
  const ns = stacksText ? parseNativeStacks(stacksText) : null;
  if (ns?.ok) {
    const by = new Map<string, number>();
    for (const g of ns.value.groups) by.set(g.state, (by.get(g.state) ?? 0) + g.count);
    threadStates = [...by.entries()].map(([state, count]) => ({ state, count })).sort((a, b) => b.count - a.count);
    src('threadStates', NAMES.nativeStacks, 'native stacks grouped, by the state their top frames show');
  }

  let runqueue: SessionEvidence['runqueue'] = null;
  const sd = artifactText(files[NAMES.schedDebug]);
  if (sd) {
    const r = parseSchedDebug(sd);
    if (r.ok && r.value.cpus.length > 0) {
      runqueue = { perCpu: r.value.cpus.map((c) => c.fields.nr_running ?? 0), source: NAMES.schedDebug };
      src('runqueue', NAMES.schedDebug, 'nr_running per CPU');
    }
  }

  const trace = opts.trace ?? null;
  if (trace) src('trace', NAMES.trace, `execution trace of ${(trace.durationNs / 1e9).toFixed(1)} s`);

  return {
    goVersion,
    isGo: discovery.isGo ?? goVersion !== null,
    env,
    godebug,
    settings,
    cgroup,
    status,
    rollup,
    classes,
    memory,
    memStats,
    goroutineGroups,
    goroutineCount: goroutineGroups ? goroutineGroups.reduce((a, g) => a + g.count, 0) : null,
    hostCpus,
    thp,
    systemPsi,
    pprof,
    threads,
    threadStates,
    runqueue,
    trace,
    sources,
    notes,
  };
}

export interface SettingsContext {
  readonly discovery: { readonly isGo?: boolean; readonly goEnv?: Record<string, string> | null; readonly pprofPort?: number | null };
  readonly goVersion: GoVersion | null;
  readonly env: GoEnv | null;
  readonly cgroup: CgroupModel | null;
  readonly status: ProcStatus | null;
  readonly hostCpus: number | null;
  /** CPUs the process may run on, as the runtime counts them for GOMAXPROCS (sched_getaffinity). */
  readonly cpus: { readonly count: number; readonly detail: string } | null;
  readonly sources: Readonly<Record<string, Source>>;
  readonly notes: readonly string[];
}

/** The small facts both the Overview and the settings alone (the Trace tab's header) need: discovery, environment, cgroup, status, CPUs. */
export function settingsContext(files: Files, goVersionText: string | null): SettingsContext {
  const sources: Record<string, Source> = {};
  const notes: string[] = [];
  const src = (fact: string, artifact: string, detail: string) => (sources[fact] = { artifact, detail });
  const discoveryText = artifactText(files[NAMES.discovery]);
  let discovery: SettingsContext['discovery'] = {};
  if (discoveryText) {
    try {
      discovery = JSON.parse(discoveryText) as SettingsContext['discovery'];
    } catch {
      notes.push('meta/discovery.json is not valid JSON');
    }
  }
  const goVersion = parseGoVersion(goVersionText);
  if (goVersion) src('goVersion', 'build info', `the executable's .go.buildinfo says ${goVersion.text}`);
  const env: GoEnv | null = discovery.goEnv ? (discovery.goEnv as GoEnv) : null;
  if (env) src('env', NAMES.environ, 'GOMAXPROCS, GOMEMLIMIT, GOGC, GODEBUG and AUTOMEMLIMIT as set in the process environment at start (read before redaction)');
  else notes.push('the process environment could not be read: what it says about GOMAXPROCS, GOMEMLIMIT, GOGC and GODEBUG is unknown');

  const cgroupFiles: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) if (k.startsWith(CGROUP_PREFIX)) cgroupFiles[k] = artifactText(v) ?? '';
  const cg = Object.keys(cgroupFiles).length > 0 ? parseCgroupFiles(cgroupFiles) : null;
  const cgroup = cg?.ok ? cg.value : null;
  if (cgroup) src('cgroup', CGROUP_PREFIX, `cgroup ${cgroup.versions.join('+')} files of the process's cgroup and its ancestors`);

  const statusText = artifactText(files[NAMES.status]);
  const st = statusText ? parseProcStatus(statusText) : null;
  const status = st?.ok ? st.value : null;
  if (status) src('status', NAMES.status, 'Threads, VmRSS');

  const online = artifactText(files[NAMES.cpuOnline]);
  const hostCpus = online ? countCpuList(online) : null;
  if (hostCpus !== null) src('hostCpus', NAMES.cpuOnline, `/sys/devices/system/cpu/online = ${online!.trim()}`);
  const allowed = status?.fields.Cpus_allowed_list;
  const allowedCount = allowed ? countCpuList(allowed) : null;
  const cpuset = cgroup?.cpuset?.count ?? null;
  const cpus =
    allowedCount !== null
      ? { count: allowedCount, detail: `the process may run on ${allowedCount} CPUs (proc/status Cpus_allowed_list ${allowed})` }
      : hostCpus !== null || cpuset !== null
        ? {
            count: Math.min(hostCpus ?? Infinity, cpuset ?? Infinity),
            detail: `${Math.min(hostCpus ?? Infinity, cpuset ?? Infinity)} CPUs (${[hostCpus !== null ? `${hostCpus} online` : null, cpuset !== null ? `cpuset ${cgroup!.cpuset!.cpus}` : null].filter(Boolean).join(', ')}; the process's own affinity was not read)`,
          }
        : null;
  return { discovery, goVersion, env, cgroup, status, hostCpus, cpus, sources, notes };
}

/** The settings alone, for a view that shows them without the rest of the evidence (the Trace tab). */
export function gatherSettings(files: Files, opts: { goVersion?: string | null; trace?: TraceSettingsFacts | null; artifactStatus?: Readonly<Record<string, string>> } = {}): EffectiveSettings {
  const ctx = settingsContext(files, opts.goVersion ?? null);
  return settingsFromArtifacts(
    files,
    { goVersion: ctx.goVersion, env: ctx.env as Record<string, string | undefined> | null, trace: opts.trace ?? null, cgroup: ctx.cgroup, cpus: ctx.cpus },
    opts.artifactStatus,
  );
}

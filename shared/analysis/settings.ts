/**
 * The runtime settings in effect (GOMAXPROCS, GOMEMLIMIT, GOGC and every
 * GODEBUG key), each with where it came from. Sources, strongest first:
 *
 *   runtime-metrics   the target's own /metrics (runtime/metrics through client_golang)
 *   trace             the execution trace's own metrics (ProcsChange)
 *   process-memory    the runtime's variables read from /proc/PID/mem (go/runtime-vars.json)
 *   build-dependency  a library in the build info that sets the value in-process
 *                     (go.uber.org/automaxprocs, KimMachineGun/automemlimit)
 *   environment       the process's environment at start
 *   go-default        what that Go release (and the binary's DefaultGODEBUG) chooses
 *
 * The strongest reading is the value in effect; the weaker ones stay as
 * evidence (the environment says 8, the runtime says 1). A weaker source is
 * never taken for a fact a stronger one could contradict: with only the
 * environment, an absent GOMEMLIMIT is "not in the environment; may be set
 * in-process", never "unset". Every view, rule and `report` reads these.
 */
import { NAMES } from '../artifacts/registry';
import { parseBuildInfo, type GoBuildInfo } from '../parsers/buildinfo';
import type { CgroupModel } from '../parsers/cgroup';
import { parsePrometheusText, promSamples, METRICS_ARTIFACT, type PromText } from '../parsers/prometheusText';
import { describeError } from '../parsers/result';
import { parseRuntimeVars, RUNTIME_VARS_ARTIFACT, type RuntimeVars } from '../parsers/runtimeVars';
import type { TraceSummary } from '../trace/summary';
import { artifactChunks, artifactText, type ArtifactFiles } from './artifactContent';
import { atLeast, defaultGomaxprocs, godebugDefault, godebugKey, parseGodebug, parseMemLimit, runtimeDefaultKeys, type GoVersion } from './goKnowledge';
import { AUTOMAXPROCS, AUTOMEMLIMIT, automaxprocsOutcome, automemlimitOutcome, linkedModule, type LibraryOutcome } from './settingLibraries';

export const SETTING_SOURCES = ['runtime-metrics', 'trace', 'process-memory', 'build-dependency', 'environment', 'go-default'] as const;
export type SettingSource = (typeof SETTING_SOURCES)[number];

export const SOURCE_LABEL: Readonly<Record<SettingSource, string>> = {
  'runtime-metrics': 'runtime metrics',
  trace: 'execution trace',
  'process-memory': 'process memory',
  'build-dependency': 'build dependency',
  environment: 'environment',
  'go-default': 'Go default',
};

export const BUILDINFO_ARTIFACT = NAMES.buildinfo;

export interface Reading<T> {
  readonly value: T;
  readonly source: SettingSource;
  /** The artifact it was read from, and what in it (or how it was computed). */
  readonly artifact: string;
  readonly detail: string;
}

export interface Setting<T> {
  readonly name: string;
  /** The value in effect: the strongest reading; null when no source can say. */
  readonly effective: Reading<T> | null;
  /** Every reading, strongest first; the weaker ones are evidence and may disagree. */
  readonly readings: readonly Reading<T>[];
  /** The variable in the process environment: known false when the environ was not read; text null when absent. */
  readonly environment: { readonly known: boolean; readonly text: string | null };
  /** What a reader must know beside the value: why it is unknown, or that sources disagree. */
  readonly notes: readonly string[];
}

export interface GomaxprocsSetting extends Setting<number> {
  /** Go 1.25+ keeps GOMAXPROCS up to date with the CPU limit; null when that cannot be told. */
  readonly followsQuota: boolean | null;
  readonly followsQuotaWhy: string;
}

export interface GodebugSetting extends Setting<string> {
  readonly key: string;
  /** Whether the key does anything in this Go release (null: the Go version is unknown). */
  readonly exists: 'known' | 'not-yet' | 'removed' | 'unknown' | null;
  /** Why the environment's value changes nothing: the key is ignored, or equals the default. */
  readonly noEffect: string | null;
}

export interface SettingLibrary {
  readonly path: string;
  readonly version: string;
  readonly setting: 'GOMAXPROCS' | 'GOMEMLIMIT';
  readonly outcome: string;
}

export interface EffectiveSettings {
  readonly GOMAXPROCS: GomaxprocsSetting;
  readonly GOMEMLIMIT: Setting<number | null>;
  readonly GOGC: Setting<number | null>;
  readonly GODEBUG: readonly GodebugSetting[];
  /** Libraries in the build info that set a value in-process. */
  readonly libraries: readonly SettingLibrary[];
  /** Which sources this session had, and why the missing ones are missing. */
  readonly sourcesRead: Readonly<Record<SettingSource, string | null>>;
  readonly notes: readonly string[];
}

/** The trace facts the settings need (the whole summary in the Overview, these in the Trace tab). */
export type TraceSettingsFacts = Pick<TraceSummary, 'gomaxprocs' | 'durationNs'>;

export interface SettingsInputs {
  readonly goVersion: GoVersion | null;
  /** Environment variables as read from /proc/PID/environ; null when it could not be read. */
  readonly env: Readonly<Record<string, string | undefined>> | null;
  readonly metrics: PromText | null;
  readonly buildInfo: GoBuildInfo | null;
  readonly runtimeVars: RuntimeVars | null;
  readonly trace: TraceSettingsFacts | null;
  readonly cgroup: CgroupModel | null;
  /** CPUs the process may run on (sched_getaffinity), as GOMAXPROCS's default counts them. */
  readonly cpus: { readonly count: number; readonly detail: string } | null;
  /** Why a source is absent or partial (artifact status, parse errors), by source. */
  readonly sourceNotes?: Partial<Record<SettingSource, string>>;
}

const MAX_INT64_ISH = 9.2e18;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** A value as text: "1", "241591910 bytes (230.4 MiB)", "none", "off". */
export function formatSettingValue(name: string, value: number | string | null): string {
  if (name === 'GOMEMLIMIT') return value === null ? 'none (no limit)' : `${value} bytes (${mib(Number(value))})`;
  if (name === 'GOGC') return value === null ? 'off' : String(value);
  return String(value);
}

/** "1 (runtime metrics)" or "unknown: …", as one line in any view. */
export function describeSetting(s: Setting<number | string | null>): string {
  if (!s.effective) return `unknown${s.notes[0] ? `: ${s.notes[0]}` : ''}`;
  return `${formatSettingValue(s.name, s.effective.value)} (${SOURCE_LABEL[s.effective.source]}: ${s.effective.detail})`;
}

/** One unlabelled runtime metric from /metrics: its value, or why it cannot be used. */
function metricValue(m: PromText, name: string): { value: number } | { problem: string } | null {
  const samples = promSamples(m, name).filter((s) => Object.keys(s.labels).length === 0);
  if (samples.length === 0) return null;
  const values = [...new Set(samples.map((s) => s.value))];
  if (values.length > 1) return { problem: `${name} appears ${samples.length} times with different values (${values.slice(0, 4).join(', ')}): ambiguous, not used` };
  const v = values[0]!;
  if (!Number.isFinite(v) || v < 0) return { problem: `${name} ${v} is not a value the runtime can report: not used` };
  return { value: v };
}

function setting<T>(name: string, readings: Reading<T>[], envText: string | null | undefined, notes: string[]): Setting<T> {
  const order = (r: Reading<T>) => SETTING_SOURCES.indexOf(r.source);
  readings.sort((a, b) => order(a) - order(b));
  const effective = readings[0] ?? null;
  // Two of the runtime's own sources that disagree: say so (a weaker, computed source disagreeing is evidence, not news).
  const observed = readings.filter((r) => r.source === 'runtime-metrics' || r.source === 'trace' || r.source === 'process-memory');
  const distinct = new Set(observed.map((r) => JSON.stringify(r.value)));
  if (distinct.size > 1)
    notes.push(
      `the runtime's own sources disagree: ${observed.map((r) => `${SOURCE_LABEL[r.source]} ${formatSettingValue(name, r.value as number | null)}`).join(', ')}; the strongest is shown (they were read at different moments)`,
    );
  return { name, effective, readings, environment: { known: envText !== null, text: envText ?? null }, notes };
}

function libraryReading<T>(out: Reading<T>[], libraries: SettingLibrary[], notes: string[], path: string, version: string, which: 'GOMAXPROCS' | 'GOMEMLIMIT', o: LibraryOutcome<T>): void {
  libraries.push({ path, version, setting: which, outcome: o.why });
  if (o.kind === 'sets') out.push({ value: o.value, source: 'build-dependency', artifact: BUILDINFO_ARTIFACT, detail: `${o.why}, when the program runs it (importing ${path} does, at init)` });
  else if (o.kind === 'unknown') notes.push(o.why);
}

export function resolveSettings(i: SettingsInputs): EffectiveSettings {
  const env = i.env;
  const envOf = (k: string): string | null | undefined => (env === null ? null : env[k]);
  const notes: string[] = [];
  const libraries: SettingLibrary[] = [];
  const v = i.goVersion;
  const deps = i.buildInfo?.deps ?? null;
  const sourcesRead: Record<SettingSource, string | null> = {
    'runtime-metrics': i.metrics ? null : (i.sourceNotes?.['runtime-metrics'] ?? 'no metrics endpoint in this session'),
    trace: i.trace ? null : (i.sourceNotes?.trace ?? 'no execution trace in this session'),
    'process-memory': i.runtimeVars ? null : (i.sourceNotes?.['process-memory'] ?? 'the runtime variables were not read from process memory in this session'),
    'build-dependency': i.buildInfo ? null : (i.sourceNotes?.['build-dependency'] ?? "the binary's build info was not captured in this session"),
    environment: env ? null : 'the process environment could not be read',
    'go-default': v ? null : 'the Go version is unknown',
  };

  // --- GODEBUG, first: the GOMAXPROCS default depends on two of its keys ---
  const envGodebug = envOf('GODEBUG');
  const envPairs = new Map<string, string>();
  // The runtime applies the settings in order, so a key given twice takes the last value.
  for (const p of parseGodebug(envGodebug ?? '')) envPairs.set(p.key, p.value);
  const defaultGodebugText = i.buildInfo ? (i.buildInfo.settings.DefaultGODEBUG ?? '') : null;
  const defaultGodebug = defaultGodebugText === null ? null : new Map(parseGodebug(defaultGodebugText).map((p) => [p.key, p.value]));
  const keys = [...new Set([...envPairs.keys(), ...(defaultGodebug?.keys() ?? []), ...(v ? runtimeDefaultKeys(v) : [])])];
  const GODEBUG: GodebugSetting[] = keys.map((key) => {
    const readings: Reading<string>[] = [];
    const keyNotes: string[] = [];
    const envValue = envPairs.get(key);
    if (envValue !== undefined) readings.push({ value: envValue, source: 'environment', artifact: NAMES.environ, detail: `GODEBUG=${envGodebug}` });
    const d = v ? godebugDefault(key, v, defaultGodebug) : null;
    if (d) readings.push({ value: d.value, source: 'go-default', artifact: d.from === 'DefaultGODEBUG' ? BUILDINFO_ARTIFACT : 'build info', detail: d.why });
    else if (v && envValue === undefined && defaultGodebug === null)
      keyNotes.push(`its default follows the main module's go.mod \`go\` line (the binary's DefaultGODEBUG), and the build info was not captured`);
    const exists = v ? godebugKey(key, v).kind : null;
    let noEffect: string | null = null;
    if (envValue !== undefined && v) {
      const k = godebugKey(key, v);
      if (k.kind === 'unknown') noEffect = `ignored: no Go release has a GODEBUG setting named ${key}`;
      else if (k.kind === 'not-yet') noEffect = `ignored: ${key} was added in Go 1.${k.since}; this is ${v.text}`;
      else if (k.kind === 'removed') noEffect = `ignored: ${key} was removed in Go 1.${k.removed}; this is ${v.text}`;
      else if (d && d.value === envValue) noEffect = `redundant: ${d.why}`;
    }
    if (env === null && envValue === undefined) keyNotes.push('the environment was not read: GODEBUG may set it');
    const s = setting(`GODEBUG ${key}`, readings, env === null ? null : (envValue ?? undefined), keyNotes);
    // An ignored key has no value in effect; the environment's text stays as evidence.
    const effective = noEffect?.startsWith('ignored') ? (s.readings.find((r) => r.source !== 'environment') ?? null) : s.effective;
    return { ...s, effective, key, exists, noEffect };
  });
  const godebugValue = (key: string): string | null => GODEBUG.find((g) => g.key === key)?.effective?.value ?? null;

  // --- GOMAXPROCS ---
  const procs: Reading<number>[] = [];
  const procNotes: string[] = [];
  if (i.metrics) {
    const m = metricValue(i.metrics, 'go_sched_gomaxprocs_threads');
    if (m && 'value' in m) {
      if (Number.isSafeInteger(m.value) && m.value >= 1)
        procs.push({ value: m.value, source: 'runtime-metrics', artifact: METRICS_ARTIFACT, detail: `go_sched_gomaxprocs_threads ${m.value} (/sched/gomaxprocs:threads)` });
      else procNotes.push(`runtime metrics: go_sched_gomaxprocs_threads ${m.value} is not a GOMAXPROCS: not used`);
    } else if (m) procNotes.push(`runtime metrics: ${m.problem}`);
    else procNotes.push('the metrics endpoint has no go_sched_gomaxprocs_threads (client_golang before v1.12, or a collector without runtime/metrics)');
  }
  if (i.trace) {
    const last = i.trace.gomaxprocs.changes.at(-1)?.value ?? i.trace.gomaxprocs.initial;
    if (last !== null && last !== undefined) {
      const changes = i.trace.gomaxprocs.changes.length;
      procs.push({
        value: last,
        source: 'trace',
        artifact: NAMES.trace,
        detail: `ProcsChange at the end of the ${(i.trace.durationNs / 1e9).toFixed(1)} s trace${changes ? ` (it changed ${changes} time${changes === 1 ? '' : 's'} during the trace, from ${i.trace.gomaxprocs.initial})` : ''}`,
      });
    }
  }
  const rv = i.runtimeVars;
  if (rv?.gomaxprocs)
    procs.push({ value: rv.gomaxprocs.value, source: 'process-memory', artifact: RUNTIME_VARS_ARTIFACT, detail: `${rv.gomaxprocs.symbol} at ${rv.gomaxprocs.address} (${rv.method})` });
  else if (rv?.skipped.gomaxprocs ?? rv?.skipped.all) procNotes.push(`process memory: ${rv!.skipped.gomaxprocs ?? rv!.skipped.all}`);
  const cpu = i.cgroup?.cpu ?? null;
  const ownQuota = cpu ? (cpu.quotaUs !== null && cpu.periodUs ? cpu.quotaUs / cpu.periodUs : null) : null;
  const cpuFacts = cpu ? { ownQuotaCpus: ownQuota, version: cpu.version } : null;
  const envProcs = envOf('GOMAXPROCS');
  // strconv.ParseInt(s, 10, 32) and n > 0, as schedinit reads it.
  const envProcsValue = envProcs !== null && envProcs !== undefined && /^[+-]?\d+$/.test(envProcs) && Number(envProcs) > 0 && Number(envProcs) <= 2 ** 31 - 1 ? Number(envProcs) : null;
  const maxprocsLib = deps ? linkedModule(deps, AUTOMAXPROCS) : null;
  let automaxprocsSets: number | null = null;
  if (maxprocsLib) {
    const o = automaxprocsOutcome(maxprocsLib.version, envProcs, cpuFacts);
    if (o.kind === 'sets') automaxprocsSets = o.value;
    libraryReading(procs, libraries, procNotes, maxprocsLib.path, maxprocsLib.version, 'GOMAXPROCS', o);
  }
  if (envProcsValue !== null) procs.push({ value: envProcsValue, source: 'environment', artifact: NAMES.environ, detail: `GOMAXPROCS=${envProcs}` });
  else if (envProcs !== null && envProcs !== undefined) procNotes.push(`GOMAXPROCS=${envProcs} in the environment is not a positive integer: the runtime ignores it`);
  // The default: only when the environment is known not to set it (else it would not apply).
  let defaultProcs: number | null = null;
  if (v && env !== null && envProcsValue === null) {
    if (!i.cpus) procNotes.push('the default GOMAXPROCS counts the CPUs the process may use, and neither its affinity nor the online CPUs were captured');
    else {
      const leafDiffers =
        cpu?.limitCpus && ownQuota !== cpu.limitCpus.value
          ? ` (the lower limit of ${cpu.limitCpus.value.toFixed(2)} CPUs on ${cpu.limitCpus.path} is an ancestor's, which the runtime does not read)`
          : '';
      const containermaxprocs = godebugValue('containermaxprocs');
      const compute = (cm: string) => defaultGomaxprocs(v, i.cpus!.count, ownQuota, new Map([['containermaxprocs', cm]]));
      if (!atLeast(v, 25) || containermaxprocs !== null) {
        const d = compute(containermaxprocs ?? '1');
        defaultProcs = d.value;
        procs.push({ value: d.value, source: 'go-default', artifact: 'build info', detail: `${d.why}; ${i.cpus.detail}${leafDiffers}` });
      } else {
        const on = compute('1');
        const off = compute('0');
        if (on.value === off.value) {
          defaultProcs = on.value;
          procs.push({
            value: on.value,
            source: 'go-default',
            artifact: 'build info',
            detail: `${on.value} whether or not the binary's DefaultGODEBUG turns off containermaxprocs: ${on.why}; ${i.cpus.detail}${leafDiffers}`,
          });
        } else
          procNotes.push(
            `Go ${v.text}'s default is ${on.value} with cgroup-aware GOMAXPROCS and ${off.value} without; which one depends on the binary's DefaultGODEBUG (containermaxprocs), and the build info was not captured`,
          );
      }
    }
  }
  if (procs.length === 0 && env === null) procNotes.push('no runtime metrics, trace or process-memory read, and the environment could not be read');
  const gomaxprocsBase = setting('GOMAXPROCS', procs, envProcs, procNotes);
  const follows = followsQuota(v, envProcsValue, envProcs, godebugValue, automaxprocsSets, maxprocsLib, gomaxprocsBase.effective, defaultProcs, defaultGodebug !== null);
  const GOMAXPROCS: GomaxprocsSetting = { ...gomaxprocsBase, followsQuota: follows.value, followsQuotaWhy: follows.why };

  // --- GOMEMLIMIT ---
  const lim: Reading<number | null>[] = [];
  const limNotes: string[] = [];
  if (i.metrics) {
    const m = metricValue(i.metrics, 'go_gc_gomemlimit_bytes');
    if (m && 'value' in m)
      lim.push({
        value: m.value >= MAX_INT64_ISH ? null : m.value,
        source: 'runtime-metrics',
        artifact: METRICS_ARTIFACT,
        detail: `go_gc_gomemlimit_bytes ${m.value >= MAX_INT64_ISH ? `${m.value.toExponential()} (math.MaxInt64: no limit)` : m.value} (/gc/gomemlimit:bytes)`,
      });
    else if (m) limNotes.push(`runtime metrics: ${m.problem}`);
    else limNotes.push('the metrics endpoint has no go_gc_gomemlimit_bytes');
  }
  if (rv?.memoryLimitBytes)
    lim.push({ value: rv.memoryLimitBytes.value, source: 'process-memory', artifact: RUNTIME_VARS_ARTIFACT, detail: `${rv.memoryLimitBytes.symbol} at ${rv.memoryLimitBytes.address} (${rv.method})` });
  else if (rv?.skipped.memoryLimitBytes ?? rv?.skipped.all) limNotes.push(`process memory: ${rv!.skipped.memoryLimitBytes ?? rv!.skipped.all}`);
  const memlimitLib = deps ? linkedModule(deps, AUTOMEMLIMIT) : null;
  if (memlimitLib) {
    const mem = i.cgroup ? { limitBytes: i.cgroup.memory?.limit?.value ?? null, path: i.cgroup.memory?.limit?.path ?? null } : null;
    libraryReading(
      lim,
      libraries,
      limNotes,
      memlimitLib.path,
      memlimitLib.version,
      'GOMEMLIMIT',
      automemlimitOutcome(memlimitLib.version, env === null ? null : { GOMEMLIMIT: env.GOMEMLIMIT, AUTOMEMLIMIT: env.AUTOMEMLIMIT }, mem),
    );
  }
  const envLimit = envOf('GOMEMLIMIT');
  if (envLimit !== null && envLimit !== undefined) {
    const b = parseMemLimit(envLimit);
    if (b === null || !Number.isNaN(b)) lim.push({ value: b, source: 'environment', artifact: NAMES.environ, detail: `GOMEMLIMIT=${envLimit}${b === null ? ' (no limit)' : ''}` });
    else limNotes.push(`GOMEMLIMIT=${envLimit} in the environment is malformed: the Go runtime refuses to start with it, so this process cannot have read it`);
  } else if (v && env !== null) {
    lim.push({
      value: null,
      source: 'go-default',
      artifact: 'build info',
      detail: atLeast(v, 19) ? `not in the environment; may be set in-process (debug.SetMemoryLimit); Go's default is no limit` : `Go ${v.text} has no memory limit (GOMEMLIMIT is Go 1.19+)`,
    });
  }
  if (lim.length === 0 && env === null) limNotes.push('no runtime metrics or process-memory read, and the environment could not be read');
  const GOMEMLIMIT = setting('GOMEMLIMIT', lim, envLimit, limNotes);

  // --- GOGC ---
  const gc: Reading<number | null>[] = [];
  const gcNotes: string[] = [];
  if (i.metrics) {
    const m = metricValue(i.metrics, 'go_gc_gogc_percent');
    // gcPercent is an int32 the runtime reports as uint64: off (-1) arrives as 2^64 − 1.
    if (m && 'value' in m)
      gc.push({
        value: m.value >= MAX_INT64_ISH ? null : m.value,
        source: 'runtime-metrics',
        artifact: METRICS_ARTIFACT,
        detail: `go_gc_gogc_percent ${m.value >= MAX_INT64_ISH ? `${m.value.toExponential()} (a negative percent as uint64: off)` : m.value} (/gc/gogc:percent)`,
      });
    else if (m) gcNotes.push(`runtime metrics: ${m.problem}`);
    else gcNotes.push('the metrics endpoint has no go_gc_gogc_percent');
  }
  if (rv?.gcPercent) gc.push({ value: rv.gcPercent.value, source: 'process-memory', artifact: RUNTIME_VARS_ARTIFACT, detail: `${rv.gcPercent.symbol} at ${rv.gcPercent.address} (${rv.method})` });
  else if (rv?.skipped.gcPercent ?? rv?.skipped.all) gcNotes.push(`process memory: ${rv!.skipped.gcPercent ?? rv!.skipped.all}`);
  const envGogc = envOf('GOGC');
  if (envGogc !== null && envGogc !== undefined) {
    // readGOGC: exactly "off", else strconv.ParseInt(s, 10, 32), else 100; a negative percent is off.
    const n = envGogc === 'off' ? -1 : /^[+-]?\d+$/.test(envGogc) && Math.abs(Number(envGogc)) <= 2 ** 31 ? Number(envGogc) : null;
    if (n === null) gcNotes.push(`GOGC=${envGogc} in the environment is not "off" or an integer: the runtime uses 100`);
    gc.push({ value: n === null ? 100 : n < 0 ? null : n, source: 'environment', artifact: NAMES.environ, detail: `GOGC=${envGogc}${n === null ? ' (unreadable, so 100)' : ''}` });
  } else if (v && env !== null)
    gc.push({ value: 100, source: 'go-default', artifact: 'build info', detail: "not in the environment; may be set in-process (debug.SetGCPercent); Go's default is 100" });
  if (gc.length === 0 && env === null) gcNotes.push('no runtime metrics or process-memory read, and the environment could not be read');
  const GOGC = setting('GOGC', gc, envGogc, gcNotes);
  return { GOMAXPROCS, GOMEMLIMIT, GOGC, GODEBUG, libraries, sourcesRead, notes };
}

function followsQuota(
  v: GoVersion | null,
  envValue: number | null,
  envText: string | null | undefined,
  godebug: (key: string) => string | null,
  automaxprocsSets: number | null,
  lib: { path: string; version: string } | null,
  effective: Reading<number> | null,
  defaultValue: number | null,
  buildInfoRead: boolean,
): { value: boolean | null; why: string } {
  if (!v) return { value: null, why: 'the Go version is unknown' };
  if (!atLeast(v, 25)) return { value: false, why: `Go ${v.text} sets GOMAXPROCS once at start; updates with the CPU limit came in Go 1.25` };
  if (envText === null) return { value: null, why: 'the environment was not read: GOMAXPROCS set there turns the updates off' };
  if (envValue !== null) return { value: false, why: `GOMAXPROCS=${envText} in the environment turns off Go 1.25's updates` };
  const observed = effective && (effective.source === 'runtime-metrics' || effective.source === 'trace' || effective.source === 'process-memory') ? effective : null;
  // Any runtime.GOMAXPROCS(n) call turns the updates off. A linked library may or may not have run: the runtime's own value decides where it can.
  const lib_ = lib ? `${lib.path} ${lib.version}` : '';
  if (observed) {
    if (automaxprocsSets !== null && observed.value === automaxprocsSets && observed.value !== defaultValue)
      return {
        value: false,
        why: `${lib_} called runtime.GOMAXPROCS(${automaxprocsSets}) (the runtime runs with ${observed.value}, ${SOURCE_LABEL[observed.source]}), which turns off Go 1.25's updates`,
      };
    if (defaultValue !== null && observed.value !== defaultValue)
      return {
        value: false,
        why: `the runtime runs with ${observed.value} (${SOURCE_LABEL[observed.source]}) where the default is ${defaultValue}: something called runtime.GOMAXPROCS, which turns off Go 1.25's updates`,
      };
    if (automaxprocsSets !== null)
      return {
        value: null,
        why: `${lib_} (linked in) calls runtime.GOMAXPROCS(${automaxprocsSets}) when the program runs it, which would turn off Go 1.25's updates; the runtime's value equals the default either way, so whether it ran cannot be told`,
      };
  } else if (automaxprocsSets !== null)
    return { value: false, why: `${lib_} (linked in) calls runtime.GOMAXPROCS(${automaxprocsSets}) when the program runs it (importing it does), which turns off Go 1.25's updates` };
  const cm = godebug('containermaxprocs');
  const um = godebug('updatemaxprocs');
  if (cm === '0')
    return { value: false, why: `containermaxprocs=0 (${buildInfoRead ? "the binary's DefaultGODEBUG or the environment" : 'the environment'}): GOMAXPROCS ignores the cgroup CPU limit` };
  if (um === '0') return { value: false, why: `updatemaxprocs=0 (${buildInfoRead ? "the binary's DefaultGODEBUG or the environment" : 'the environment'}): GOMAXPROCS is not updated` };
  if (cm === null || um === null) return { value: null, why: "whether Go 1.25's updates are on depends on the binary's DefaultGODEBUG (its go.mod `go` line), and the build info was not captured" };
  if (observed === null && defaultValue === null) return { value: null, why: "neither the runtime's value nor the default is known, so an in-process runtime.GOMAXPROCS call cannot be ruled out" };
  return { value: true, why: `Go ${v.text} with containermaxprocs=1 and updatemaxprocs=1, GOMAXPROCS not in the environment${observed ? `, and the runtime's value equals the default` : ''}` };
}

/**
 * Reads the settings' own artifacts (/metrics, the build info, the runtime variables) and
 * resolves. `context` carries what the caller parsed already (environment, cgroup, CPUs).
 */
export function settingsFromArtifacts(
  files: ArtifactFiles,
  context: Omit<SettingsInputs, 'metrics' | 'buildInfo' | 'runtimeVars' | 'sourceNotes'>,
  statuses: Readonly<Record<string, string>> = {},
): EffectiveSettings {
  const sourceNotes: Partial<Record<SettingSource, string>> = {};
  const notes: string[] = [];
  const metricsText = artifactText(files[METRICS_ARTIFACT]);
  let metrics: PromText | null = null;
  if (metricsText !== undefined) {
    const r = parsePrometheusText(metricsText);
    if (r.ok) metrics = r.value;
    else sourceNotes['runtime-metrics'] = `${METRICS_ARTIFACT} is not Prometheus text (${describeError(r.error)})`;
    if (statuses[METRICS_ARTIFACT]) notes.push(`${METRICS_ARTIFACT} is ${statuses[METRICS_ARTIFACT]}: a series after the cut is missing, not absent`);
  } else if (statuses[METRICS_ARTIFACT]) sourceNotes['runtime-metrics'] = statuses[METRICS_ARTIFACT];
  const biBytes = artifactChunks(files[BUILDINFO_ARTIFACT]);
  let buildInfo: GoBuildInfo | null = null;
  if (biBytes) {
    const joined = biBytes.length === 1 ? biBytes[0]! : concat(biBytes);
    const r = parseBuildInfo(joined);
    if (r.ok) buildInfo = r.value;
    else sourceNotes['build-dependency'] = `${BUILDINFO_ARTIFACT}: ${describeError(r.error)}`;
  } else if (typeof files[BUILDINFO_ARTIFACT] === 'string') sourceNotes['build-dependency'] = `${BUILDINFO_ARTIFACT} arrived as text, not bytes: not read`;
  else if (statuses[BUILDINFO_ARTIFACT]) sourceNotes['build-dependency'] = statuses[BUILDINFO_ARTIFACT];
  const rvText = artifactText(files[RUNTIME_VARS_ARTIFACT]);
  let runtimeVars: RuntimeVars | null = null;
  if (rvText !== undefined) {
    const r = parseRuntimeVars(rvText);
    if (r.ok) runtimeVars = r.value;
    else sourceNotes['process-memory'] = `${RUNTIME_VARS_ARTIFACT}: ${describeError(r.error)}`;
  } else if (statuses[RUNTIME_VARS_ARTIFACT]) sourceNotes['process-memory'] = statuses[RUNTIME_VARS_ARTIFACT];
  const resolved = resolveSettings({ ...context, metrics, buildInfo, runtimeVars, sourceNotes });
  return notes.length ? { ...resolved, notes: [...notes, ...resolved.notes] } : resolved;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `report --json`'s `settings`: each value with its source (null when unknown), plus the evidence behind it. */
export function settingsJson(s: EffectiveSettings): Record<string, unknown> {
  const one = <T>(x: Setting<T>) => ({
    value: x.effective ? x.effective.value : null,
    source: x.effective ? x.effective.source : null,
    ...(x.effective ? { detail: x.effective.detail } : { unknown: x.notes[0] ?? 'no source could say' }),
    evidence: x.readings.map((r) => ({ value: r.value, source: r.source, detail: r.detail })),
    ...(x.notes.length ? { notes: x.notes } : {}),
  });
  return {
    GOMAXPROCS: { ...one(s.GOMAXPROCS), followsQuota: s.GOMAXPROCS.followsQuota, followsQuotaWhy: s.GOMAXPROCS.followsQuotaWhy },
    GOMEMLIMIT: one(s.GOMEMLIMIT),
    GOGC: one(s.GOGC),
    GODEBUG: Object.fromEntries(s.GODEBUG.map((g) => [g.key, { ...one(g), ...(g.noEffect ? { noEffect: g.noEffect } : {}) }])),
    libraries: s.libraries,
    sourcesMissing: Object.fromEntries(Object.entries(s.sourcesRead).filter(([, why]) => why !== null)),
  };
}

/**
 * View models for the session views (Memory, Threads, Goroutines,
 * Profiles), built from a session's raw artifacts. Pure and synchronous so
 * the renderer runs them in a Web Worker and tests run them in Node; the
 * output is plain structured-clonable data (addresses as hex strings).
 */
import { CGROUP_PREFIX, NAMES } from '../artifacts/registry';
import { parseCgroupFiles, type CgroupModel } from '../parsers/cgroup';
import { parseGoroutineDump, type GoFrame, type Goroutine } from '../parsers/goroutines';
import { parseHeapDebug1, type MemStats } from '../parsers/memstats';
import { parsePprof, pprofFlame, pprofTop, type FlameNode } from '../parsers/pprof';
import { parseProcSched } from '../parsers/procSched';
import { parseProcStat } from '../parsers/procStat';
import { describeError } from '../parsers/result';
import { counterAbsent, counterIn, parseSmaps, PERMS } from '../parsers/smaps';
import { parseSmapsRollup, type SmapsRollup } from '../parsers/smapsRollup';
import { parseNativeStacks } from '../parsers/stacks';
import { summarizeTrace, type TraceSummary } from '../trace/summary';
import { artifactChunks, artifactText, type ArtifactContent, type ArtifactFiles } from './artifactContent';
import { compareSessions, type CompareView } from './compare';
import { containerSummary, type ContainerSummary } from './containerView';
import { gatherEvidence, gatherSettings } from './evidence';
import type { EffectiveSettings, TraceSettingsFacts } from './settings';
import { attributeMemory, type MemoryAttribution } from './memoryAttribution';
import { MEMORY_CLASSES, type MemoryClass, type Totals } from './memoryLayout';
import { analyzeSession, type SessionReport } from './recommendations';

/** Pseudo-artifact listing artifacts that were read only in part, one per line. */
export const TRUNCATED = 'meta/view-truncated';

export type { ArtifactFiles } from './artifactContent';

/**
 * Every mapping, as columns: typed arrays and dictionary indexes instead of 100,000 row objects,
 * so the worker hands the table to the UI thread by transfer rather than by cloning each row.
 */
export interface MappingTable {
  readonly length: number;
  /**
   * Start address as a double, for sorting (exact below 2^53, which user space is); hexAddress
   * formats the rows on screen. Formatting all of them here cost 200,000 strings built in the
   * worker, then copied to the UI thread, for the forty rows a screen shows.
   */
  readonly start: Float64Array;
  readonly sizeKiB: Float64Array;
  readonly rssKiB: Float64Array;
  readonly pssKiB: Float64Array;
  readonly privateDirtyKiB: Float64Array;
  readonly swapKiB: Float64Array;
  /** Indexes into the dictionaries below. */
  readonly perms: Uint8Array;
  readonly name: Uint32Array;
  readonly class: Uint8Array;
  readonly reason: Uint32Array;
  readonly permsList: readonly string[];
  readonly names: readonly string[];
  readonly classes: readonly MemoryClass[];
  readonly reasons: readonly string[];
}

/** The typed arrays of a table, for a worker's transfer list. */
export function mappingTableBuffers(t: MappingTable): ArrayBuffer[] {
  return [t.start, t.sizeKiB, t.rssKiB, t.pssKiB, t.privateDirtyKiB, t.swapKiB, t.perms, t.name, t.class, t.reason].map((a) => a.buffer as ArrayBuffer);
}

const EMPTY_TABLE = (): MappingTable => ({
  length: 0,
  start: new Float64Array(0),
  sizeKiB: new Float64Array(0),
  rssKiB: new Float64Array(0),
  pssKiB: new Float64Array(0),
  privateDirtyKiB: new Float64Array(0),
  swapKiB: new Float64Array(0),
  perms: new Uint8Array(0),
  name: new Uint32Array(0),
  class: new Uint8Array(0),
  reason: new Uint32Array(0),
  permsList: [],
  names: [],
  classes: [],
  reasons: [],
});

/** An address as smaps prints it: lowercase hex, at least 12 digits. */
export function hexAddress(address: bigint | number): string {
  return address.toString(16).padStart(12, '0');
}

export interface MemoryView {
  readonly error: string | null;
  readonly warnings: readonly string[];
  readonly isGo: boolean;
  readonly goEvidence: string;
  readonly totals: readonly { readonly class: MemoryClass; readonly mappings: number; readonly kib: Totals }[];
  readonly grandTotal: Totals | null;
  readonly regions: readonly { readonly start: string; readonly end: string; readonly class: MemoryClass; readonly sizeKiB: number; readonly rssKiB: number; readonly mappings: number }[];
  readonly table: MappingTable;
  readonly rollup: SmapsRollup | null;
  readonly cgroup: CgroupModel | null;
  readonly memStats: MemStats | null;
  /** Each class's usable, reserved and resident bytes, and the Go classes against MemStats (null without mappings). */
  readonly attribution: MemoryAttribution | null;
}

export function buildMemoryView(files: ArtifactFiles, opts: { isGo?: boolean; goVersion?: string | null } = {}): MemoryView {
  const warnings: string[] = [];
  for (const line of (artifactText(files[TRUNCATED]) ?? '').split('\n')) if (line) warnings.push(`only part of ${line} was read: totals and the table cover that part`);
  const rollupText = artifactText(files[NAMES.smapsRollup]);
  const rollup = rollupText ? parseSmapsRollup(rollupText) : null;
  const cgroupFiles: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) if (k.startsWith(CGROUP_PREFIX) && typeof v === 'string') cgroupFiles[k] = v;
  const cgroup = parseCgroupFiles(cgroupFiles);
  const heapText = artifactText(files[NAMES.heap]);
  const heap = heapText ? parseHeapDebug1(heapText) : null;
  if (heap && !heap.ok) warnings.push(`heap?debug=1: ${describeError(heap.error)}`);
  const base = {
    attribution: null,
    rollup: rollup?.ok ? rollup.value : null,
    cgroup: cgroup.ok ? cgroup.value : null,
    memStats: heap?.ok ? heap.value.memStats : null,
  };
  // smaps is parsed from bytes when it came as bytes: the parser works on bytes anyway.
  const smaps = files[NAMES.smaps] ?? files[NAMES.maps];
  if (smaps === undefined) return { error: 'no smaps or maps artifact in this session', warnings, isGo: false, goEvidence: '', totals: [], grandTotal: null, regions: [], table: EMPTY_TABLE(), ...base };
  const maps = parseSmaps(smaps);
  if (!maps.ok) return { error: `smaps: ${describeError(maps.error)}`, warnings, isGo: false, goEvidence: '', totals: [], grandTotal: null, regions: [], table: EMPTY_TABLE(), ...base };
  warnings.push(...maps.warnings.slice(0, 20).map((w) => `smaps: ${describeError(w)}`));
  const { layout, attribution } = attributeMemory(maps.value, files, { isGo: opts.isGo, goVersion: opts.goVersion ?? null, heap: heap ? { memStats: base.memStats, error: heap.ok ? null : describeError(heap.error) } : undefined });
  warnings.push(...attribution.notes);
  const m = maps.value;
  const n = m.count;
  // Counter columns as their own arrays (0 where absent), so the worker can transfer them.
  const column = (key: string) => {
    const out = new Float64Array(n);
    const col = m.counterKeys.indexOf(key);
    if (col < 0) return out;
    const raw = m.counters[col]!;
    const absent = counterAbsent(raw);
    for (let i = 0; i < n; i++) {
      const v = raw[i]!;
      if (v !== 0) out[i] = v < absent ? v : (counterIn(m, i, col) ?? 0);
    }
    return out;
  };
  // The parse and the classification are already columns and dictionaries: the table takes them as they are.
  const table: MappingTable = {
    length: n,
    start: m.start,
    sizeKiB: m.sizeKiB,
    rssKiB: column('Rss'),
    pssKiB: column('Pss'),
    privateDirtyKiB: column('Private_Dirty'),
    swapKiB: column('Swap'),
    perms: m.perms,
    name: m.name,
    class: layout.classOf,
    reason: layout.reasonOf,
    permsList: PERMS,
    names: m.names,
    classes: MEMORY_CLASSES.map((c) => c.id),
    reasons: layout.reasons,
  };
  return {
    error: null,
    warnings,
    isGo: layout.isGo,
    goEvidence: layout.goEvidence,
    totals: layout.totals,
    grandTotal: layout.grandTotal,
    regions: layout.regions.map((r) => ({ start: hexAddress(r.start), end: hexAddress(r.end), class: r.class, sizeKiB: r.sizeKiB, rssKiB: r.rssKiB, mappings: r.mappings })),
    table,
    ...base,
    attribution,
  };
}

export interface ThreadRow {
  readonly tid: number;
  readonly comm: string;
  readonly state: string;
  readonly utimeTicks: number | null;
  readonly stimeTicks: number | null;
  readonly processor: number | null;
  readonly voluntarySwitches: number | null;
  readonly involuntarySwitches: number | null;
  readonly groupIndex: number | null;
}

export interface ThreadsView {
  readonly error: string | null;
  readonly tool: string | null;
  readonly groups: readonly { readonly count: number; readonly state: string; readonly tids: readonly number[]; readonly frames: readonly { readonly func: string; readonly file: string | null; readonly line: number | null; readonly goRuntime: boolean }[] }[];
  readonly threads: readonly ThreadRow[];
}

export function buildThreadsView(files: ArtifactFiles): ThreadsView {
  const stacksText = artifactText(files[NAMES.nativeStacks]);
  const stacks = stacksText ? parseNativeStacks(stacksText) : null;
  const groups = stacks?.ok ? stacks.value.groups.map((g) => ({ count: g.count, state: g.state, tids: g.tids, frames: g.frames.map((f) => ({ func: f.func, file: f.file, line: f.line, goRuntime: f.goRuntime })) })) : [];
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => g.tids.forEach((t) => groupOf.set(t, i)));
  // One pass over the names: tid → file → text (a lookup per thread would be quadratic at 4,096 threads).
  const byTid = new Map<number, Map<string, string>>();
  for (const [k, v] of Object.entries(files)) {
    const m = /(?:^|\/)task\/(\d+)\/(\w+)$/.exec(k);
    if (!m || typeof v !== 'string') continue;
    const tid = Number(m[1]);
    let per = byTid.get(tid);
    if (!per) byTid.set(tid, (per = new Map()));
    per.set(m[2]!, v);
  }
  const tids = byTid.keys();
  const find = (tid: number, f: string) => byTid.get(tid)?.get(f);
  const threads = [...tids].sort((a, b) => a - b).map((tid): ThreadRow => {
    const st = find(tid, 'stat');
    const stat = st ? parseProcStat(st) : null;
    const sc = find(tid, 'sched');
    const sched = sc ? parseProcSched(sc) : null;
    return {
      tid,
      comm: (find(tid, 'comm') ?? (stat?.ok ? stat.value.comm : '')).trim(),
      state: stat?.ok ? stat.value.state : '?',
      utimeTicks: stat?.ok ? stat.value.utimeTicks : null,
      stimeTicks: stat?.ok ? stat.value.stimeTicks : null,
      processor: stat?.ok ? stat.value.processor : null,
      voluntarySwitches: sched?.ok ? sched.value.voluntarySwitches : null,
      involuntarySwitches: sched?.ok ? sched.value.involuntarySwitches : null,
      groupIndex: groupOf.get(tid) ?? null,
    };
  });
  const error = !stacksText ? 'no native stacks in this session (stacks were off, or no stack tool was installed)' : stacks && !stacks.ok ? `stacks: ${describeError(stacks.error)}` : null;
  return { error, tool: stacks?.ok ? stacks.value.tool : null, groups, threads };
}

export interface GoroutinesView {
  readonly error: string | null;
  readonly total: number;
  readonly states: readonly { readonly state: string; readonly count: number }[];
  readonly groups: readonly { readonly state: string; readonly count: number; readonly maxWaitMinutes: number; readonly lockedCount: number; readonly ids: readonly number[]; readonly frames: readonly GoFrame[]; readonly createdBy: Goroutine['createdBy']; readonly search: string }[];
}

export function buildGoroutinesView(files: ArtifactFiles): GoroutinesView {
  const t = artifactText(files[NAMES.goroutines]);
  if (t === undefined) return { error: 'no goroutine dump in this session (no pprof endpoint was found)', total: 0, states: [], groups: [] };
  const r = parseGoroutineDump(t);
  if (!r.ok) return { error: `goroutine dump: ${describeError(r.error)}`, total: 0, states: [], groups: [] };
  return {
    error: null,
    total: r.value.goroutines.length,
    states: r.value.states,
    groups: r.value.groups.map((g) => ({
      state: g.state,
      count: g.count,
      maxWaitMinutes: g.maxWaitMinutes,
      lockedCount: g.lockedCount,
      ids: g.ids.slice(0, 200),
      frames: g.frames,
      createdBy: g.createdBy,
      search: `${g.state}\n${g.frames.map((f) => `${f.func} ${f.file}`).join('\n')}\n${g.createdBy?.func ?? ''}`.toLowerCase(),
    })),
  };
}

export interface ProfileView {
  readonly error: string | null;
  readonly sampleTypes: readonly { readonly type: string; readonly unit: string }[];
  readonly valueIndex: number;
  readonly top: readonly { readonly name: string; readonly file: string; readonly flat: number; readonly cum: number }[];
  readonly flame: FlameNode | null;
  readonly total: number;
}

export function buildProfileView(bytes: Uint8Array | undefined, valueIndex?: number): ProfileView {
  if (!bytes) return { error: 'this profile was not captured', sampleTypes: [], valueIndex: 0, top: [], flame: null, total: 0 };
  const r = parsePprof(bytes);
  if (!r.ok) return { error: `pprof: ${describeError(r.error)}`, sampleTypes: [], valueIndex: 0, top: [], flame: null, total: 0 };
  const idx = valueIndex !== undefined && valueIndex < r.value.sampleTypes.length ? valueIndex : r.value.defaultIndex;
  const flame = pprofFlame(r.value, idx);
  return {
    error: null,
    sampleTypes: r.value.sampleTypes,
    valueIndex: idx,
    top: pprofTop(r.value, idx, 100).map((e) => ({ name: e.frame.name, file: e.frame.file, flat: e.flat, cum: e.cum })),
    flame,
    total: flame.value,
  };
}

/** Traces up to this size are summarized for the Overview; larger ones only in the Trace tab. */
export const OVERVIEW_TRACE_MAX = 64 * 1024 * 1024;

export interface OverviewView extends SessionReport {
  /** Why the trace's evidence is or is not part of the advice. */
  readonly traceNote: string | null;
  /** The container the process ran in and how its loopback was reached (null: no discovery record). */
  readonly container: ContainerSummary | null;
}

/**
 * The Overview: evidence from every artifact, reconciled, and the recommendations ranked.
 * `artifactStatus` says which artifacts were not read whole (name → "truncated: why").
 */
export function buildOverviewView(files: ArtifactFiles, opts: { goVersion?: string | null; artifactStatus?: Readonly<Record<string, string>> } = {}): OverviewView {
  const traceChunks = artifactChunks(files[NAMES.trace]);
  let trace: TraceSummary | null = null;
  let traceNote: string | null = null;
  if (traceChunks) {
    const r = summarizeTrace(traceChunks);
    trace = r.summary;
    if (!r.ok) traceNote = `the trace is damaged at byte ${r.error.offset} (${r.error.message}); its evidence covers what came before`;
  }
  const rest: Record<string, ArtifactContent> = {};
  for (const [k, v] of Object.entries(files)) if (k !== NAMES.trace && k !== TRUNCATED) rest[k] = v;
  if (traceChunks && !trace) traceNote = 'the trace could not be read';
  return { ...analyzeSession(gatherEvidence(rest, { goVersion: opts.goVersion ?? null, trace, ...(opts.artifactStatus ? { artifactStatus: opts.artifactStatus } : {}) })), traceNote, container: containerSummary(files) };
}

/** Artifacts the settings read, for a view that shows only them (the Trace tab's header). */
export const SETTINGS_ARTIFACTS = /^(meta\/discovery\.json|proc\/status|system\/cpu-online|go\/metrics\.txt|go\/buildinfo|go\/runtime-vars\.json|cgroup\/.*)$/;

/** The settings alone, resolved exactly as the Overview resolves them, with the trace's own facts when the view has the trace. */
export function buildSettingsView(files: ArtifactFiles, opts: { goVersion?: string | null; trace?: TraceSettingsFacts | null; artifactStatus?: Readonly<Record<string, string>> } = {}): EffectiveSettings {
  return gatherSettings(files, opts);
}

/** Before and after: each side's Overview analysis, then the deltas (see compare.ts). */
export function buildCompareView(before: { files: ArtifactFiles; goVersion: string | null; artifactStatus?: Readonly<Record<string, string>> }, after: { files: ArtifactFiles; goVersion: string | null; artifactStatus?: Readonly<Record<string, string>> }): CompareView & { readonly before: OverviewView; readonly after: OverviewView } {
  const b = buildOverviewView(before.files, { goVersion: before.goVersion, ...(before.artifactStatus ? { artifactStatus: before.artifactStatus } : {}) });
  const a = buildOverviewView(after.files, { goVersion: after.goVersion, ...(after.artifactStatus ? { artifactStatus: after.artifactStatus } : {}) });
  return { ...compareSessions({ report: b, files: before.files }, { report: a, files: after.files }), before: b, after: a };
}

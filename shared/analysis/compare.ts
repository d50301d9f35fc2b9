/**
 * Two sessions side by side, before and after a change: metric deltas,
 * recommendations resolved, new or kept, goroutine and native-stack group
 * deltas, and a differential flame graph for each profile both captured.
 */
import { NAMES } from '../artifacts/registry';
import { parseGoroutineDump } from '../parsers/goroutines';
import { parsePprof, pprofFlame, type FlameNode } from '../parsers/pprof';
import { parseProcStat } from '../parsers/procStat';
import { parseProcUptime, processUptime, ASSUMED_CLK_TCK } from '../parsers/procUptime';
import { parseNativeStacks } from '../parsers/stacks';
import { artifactText } from './artifactContent';
import type { Files } from './evidence';
import type { Recommendation, SessionReport, Severity } from './recommendations';
import { formatSettingValue, type EffectiveSettings, type Setting, type SettingSource } from './settings';

export interface MetricDelta {
  readonly name: string;
  readonly unit: 'bytes' | 'count' | 'ratio';
  /** null when the session lacks the evidence. */
  readonly before: number | null;
  readonly after: number | null;
}

export interface GroupDelta {
  readonly key: string;
  readonly state: string;
  /** The first frame that is not the runtime's, to name the group. */
  readonly where: string;
  readonly before: number;
  readonly after: number;
}

export interface DiffNode {
  readonly name: string;
  readonly before: number;
  readonly after: number;
  readonly children: readonly DiffNode[];
}

/**
 * How the two sides of a profile were made comparable. Cumulative sample types (alloc_space and
 * alloc_objects count every allocation since the process started) are divided by each process's
 * uptime, so values are per second; when an uptime is not known that is said, and the values are
 * as captured. Other sample types are compared as captured (reason null).
 */
export type ProfileNormalization =
  | { readonly kind: 'per-second'; readonly beforeUptimeSeconds: number; readonly afterUptimeSeconds: number; readonly source: string }
  | { readonly kind: 'as-captured'; readonly reason: string | null };

export interface ProfileDiff {
  readonly artifact: string;
  readonly sampleType: string;
  /** The sample's unit; per second of process uptime when normalization.kind is 'per-second'. */
  readonly unit: string;
  readonly beforeTotal: number;
  readonly afterTotal: number;
  readonly root: DiffNode;
  readonly normalization: ProfileNormalization;
}

/** One setting on each side: the value in effect and its source (null: unknown there). */
export interface SettingDelta {
  readonly name: string;
  readonly before: { readonly value: string; readonly source: SettingSource } | null;
  readonly after: { readonly value: string; readonly source: SettingSource } | null;
}

export interface CompareView {
  readonly metrics: readonly MetricDelta[];
  /** GOMAXPROCS, GOMEMLIMIT, GOGC and the GODEBUG keys, as each session's settings have them. */
  readonly settings: readonly SettingDelta[];
  readonly resolved: readonly Recommendation[];
  readonly added: readonly Recommendation[];
  readonly kept: readonly { readonly id: string; readonly title: string; readonly before: Severity; readonly after: Severity }[];
  readonly goroutines: readonly GroupDelta[] | null;
  readonly threads: readonly GroupDelta[] | null;
  readonly profiles: readonly ProfileDiff[];
}

function metrics(r: SessionReport): Map<string, number | null> {
  const row = (k: string) => r.memory.rows.find((x) => x.key === k)?.bytes ?? null;
  return new Map<string, number | null>([
    ['cgroup memory usage', row('cgroup-usage')],
    ['RSS', row('rss')],
    ['PSS', row('pss')],
    ['Go heap in use', row('go-heap')],
    ['Go heap idle, not released', row('go-heap-idle')],
    ['goroutine stacks', row('go-stacks')],
    ['runtime metadata', row('go-runtime')],
    ['thread stacks', row('thread-stacks')],
    ['cgo / malloc', row('cgo-malloc')],
    ['LazyFree', row('lazyfree')],
    ['GOMAXPROCS', r.settings.GOMAXPROCS.effective?.value ?? null],
    ['OS threads', r.cpu.threads],
    ['throttled periods', r.cpu.throttledRatio],
  ]);
}

const UNIT: Readonly<Record<string, MetricDelta['unit']>> = { GOMAXPROCS: 'count', 'OS threads': 'count', goroutines: 'count', 'throttled periods': 'ratio' };

function groupDeltas(before: Map<string, { state: string; where: string; count: number }> | null, after: Map<string, { state: string; where: string; count: number }> | null): GroupDelta[] | null {
  if (!before || !after) return null;
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .map((key) => {
      const b = before.get(key);
      const a = after.get(key);
      return { key, state: (a ?? b)!.state, where: (a ?? b)!.where, before: b?.count ?? 0, after: a?.count ?? 0 };
    })
    .filter((d) => d.before !== d.after)
    .sort((x, y) => Math.abs(y.after - y.before) - Math.abs(x.after - x.before))
    .slice(0, 100);
}

function goroutineGroups(files: Files): Map<string, { state: string; where: string; count: number }> | null {
  const t = artifactText(files[NAMES.goroutines]);
  const r = t ? parseGoroutineDump(t) : null;
  if (!r?.ok) return null;
  const m = new Map<string, { state: string; where: string; count: number }>();
  for (const g of r.value.groups) {
    // Line numbers differ between builds; a group is its state and its functions.
    const key = `${g.state}|${g.frames.map((f) => f.func).join(';')}`;
    const prev = m.get(key);
    const where = g.frames.find((f) => !f.func.startsWith('runtime.'))?.func ?? g.frames[0]?.func ?? '?';
    m.set(key, { state: g.state, where, count: (prev?.count ?? 0) + g.count });
  }
  return m;
}

function threadGroups(files: Files): Map<string, { state: string; where: string; count: number }> | null {
  const t = artifactText(files[NAMES.nativeStacks]);
  const r = t ? parseNativeStacks(t) : null;
  if (!r?.ok) return null;
  const m = new Map<string, { state: string; where: string; count: number }>();
  for (const g of r.value.groups) {
    const key = g.funcs.join(';');
    const prev = m.get(key);
    m.set(key, { state: g.state, where: g.funcs.find((f) => !f.startsWith('runtime.')) ?? g.funcs[0] ?? '?', count: (prev?.count ?? 0) + g.count });
  }
  return m;
}

/** Merges two call trees by function name path. */
export function diffTrees(before: FlameNode | null, after: FlameNode | null): DiffNode {
  const name = (after ?? before)!.name;
  const kids = new Map<string, { b: FlameNode | null; a: FlameNode | null }>();
  for (const k of before?.children ?? []) kids.set(k.name, { b: k, a: null });
  for (const k of after?.children ?? []) kids.set(k.name, { b: kids.get(k.name)?.b ?? null, a: k });
  return {
    name,
    before: before?.value ?? 0,
    after: after?.value ?? 0,
    children: [...kids.values()].map((x) => diffTrees(x.b, x.a)).sort((x, y) => Math.max(y.after, y.before) - Math.max(x.after, x.before)),
  };
}

/** Sample types that count since the process started (heap and allocs profiles' alloc_*), not over a window or at an instant. */
export function isCumulativeSampleType(type: string): boolean {
  return type === 'alloc_space' || type === 'alloc_objects';
}

/** The process's uptime at capture: system/uptime − proc/stat starttime / CLK_TCK, or why it is not known. */
export function sessionUptime(files: Files): { readonly seconds: number } | { readonly seconds: null; readonly reason: string } {
  const up = artifactText(files[NAMES.uptime]);
  if (up === undefined) return { seconds: null, reason: 'no system/uptime (sessions captured before Gopherscope read /proc/uptime lack it)' };
  const st = artifactText(files[NAMES.stat]);
  if (st === undefined) return { seconds: null, reason: 'no proc/stat, so the process start time is unknown' };
  const u = parseProcUptime(up);
  if (!u.ok) return { seconds: null, reason: `system/uptime: ${u.error.message}` };
  const p = parseProcStat(st);
  if (!p.ok) return { seconds: null, reason: `proc/stat: ${p.error.message}` };
  return processUptime(u.value, p.value);
}

const UPTIME_SOURCE = `system/uptime − proc/stat starttime / ${ASSUMED_CLK_TCK} (USER_HZ, assumed: it is ${ASSUMED_CLK_TCK} on Linux x86-64 and arm64), read at the start of each capture, seconds before the profile`;

function scaleDiff(n: DiffNode, before: number, after: number): DiffNode {
  return { name: n.name, before: n.before * before, after: n.after * after, children: n.children.map((c) => scaleDiff(c, before, after)) };
}

function profileDiffs(a: Files, b: Files): ProfileDiff[] {
  const out: ProfileDiff[] = [];
  let uptimes: { before: ReturnType<typeof sessionUptime>; after: ReturnType<typeof sessionUptime> } | null = null;
  for (const name of Object.keys(a)
    .filter((n) => n.endsWith('.pb.gz') && b[n] instanceof Uint8Array)
    .sort()) {
    const pa = a[name] instanceof Uint8Array ? parsePprof(a[name] as Uint8Array) : null;
    const pb = parsePprof(b[name] as Uint8Array);
    if (!pa?.ok || !pb.ok) continue;
    const def = pa.value.sampleTypes[pa.value.defaultIndex];
    if (!def) continue;
    // A cumulative profile (allocs) is compared on each of its cumulative types: bytes and objects.
    const types = isCumulativeSampleType(def.type) ? [def.type, ...pa.value.sampleTypes.map((t) => t.type).filter((t) => t !== def.type && isCumulativeSampleType(t))] : [def.type];
    for (const type of types) {
      const ia = pa.value.sampleTypes.findIndex((t) => t.type === type);
      const ib = pb.value.sampleTypes.findIndex((t) => t.type === type);
      if (ib < 0) continue;
      const fa = pprofFlame(pa.value, ia);
      const fb = pprofFlame(pb.value, ib);
      // Nothing sampled on either side (an idle mutex or block profile): nothing to draw.
      if (fa.value === 0 && fb.value === 0) continue;
      const unit = pa.value.sampleTypes[ia]!.unit;
      let root = diffTrees(fa, fb);
      let normalization: ProfileNormalization = { kind: 'as-captured', reason: null };
      if (isCumulativeSampleType(type)) {
        uptimes ??= { before: sessionUptime(a), after: sessionUptime(b) };
        const { before, after } = uptimes;
        if (before.seconds !== null && after.seconds !== null) {
          root = scaleDiff(root, 1 / before.seconds, 1 / after.seconds);
          normalization = { kind: 'per-second', beforeUptimeSeconds: before.seconds, afterUptimeSeconds: after.seconds, source: UPTIME_SOURCE };
        } else {
          const why = [before.seconds === null ? `before: ${before.reason}` : '', after.seconds === null ? `after: ${after.reason}` : ''].filter(Boolean).join('; ');
          normalization = {
            kind: 'as-captured',
            reason: `${type} counts since each process started, and a process uptime is not known (${why}): the totals are not comparable, only each frame's share`,
          };
        }
      }
      out.push({ artifact: name, sampleType: type, unit, beforeTotal: root.before, afterTotal: root.after, root, normalization });
    }
  }
  return out;
}

function settingDeltas(before: EffectiveSettings, after: EffectiveSettings): SettingDelta[] {
  const side = (x: Setting<number | string | null> | undefined) => (x?.effective ? { value: formatSettingValue(x.name, x.effective.value), source: x.effective.source } : null);
  const rows: SettingDelta[] = (['GOMAXPROCS', 'GOMEMLIMIT', 'GOGC'] as const).map((n) => ({ name: n, before: side(before[n]), after: side(after[n]) }));
  const keys = [...new Set([...before.GODEBUG, ...after.GODEBUG].map((g) => g.key))].sort();
  for (const k of keys) rows.push({ name: `GODEBUG ${k}`, before: side(before.GODEBUG.find((g) => g.key === k)), after: side(after.GODEBUG.find((g) => g.key === k)) });
  return rows;
}

/** `before` and `after` are each session's report (analyzeSession) and artifacts. */
export function compareSessions(before: { report: SessionReport; files: Files }, after: { report: SessionReport; files: Files }): CompareView {
  const mb = metrics(before.report);
  const ma = metrics(after.report);
  const gb = goroutineGroups(before.files);
  const ga = goroutineGroups(after.files);
  const count = (m: Map<string, { count: number }> | null) => (m ? [...m.values()].reduce((s, g) => s + g.count, 0) : null);
  const list: MetricDelta[] = [...mb.keys()].map((name) => ({ name, unit: UNIT[name] ?? 'bytes', before: mb.get(name) ?? null, after: ma.get(name) ?? null }));
  list.push({ name: 'goroutines', unit: 'count', before: count(gb), after: count(ga) });
  const idsB = new Map(before.report.recommendations.map((r) => [r.id, r]));
  const idsA = new Map(after.report.recommendations.map((r) => [r.id, r]));
  return {
    metrics: list,
    settings: settingDeltas(before.report.settings, after.report.settings),
    resolved: before.report.recommendations.filter((r) => !idsA.has(r.id)),
    added: after.report.recommendations.filter((r) => !idsB.has(r.id)),
    kept: after.report.recommendations.filter((r) => idsB.has(r.id)).map((r) => ({ id: r.id, title: r.title, before: idsB.get(r.id)!.severity, after: r.severity })),
    goroutines: groupDeltas(gb, ga),
    threads: groupDeltas(threadGroups(before.files), threadGroups(after.files)),
    profiles: profileDiffs(before.files, after.files),
  };
}

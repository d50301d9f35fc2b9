/**
 * The Go runtime beside its container: one memory waterfall (the cgroup limit
 * down to what is inside the process's RSS, each number with its artifact,
 * the unexplained remainder shown as such) and one CPU picture (the quota
 * against the GOMAXPROCS the runtime uses, throttling, threads, runqueues).
 */
import { CGROUP_PREFIX, NAMES } from '../artifacts/registry';
import type { SessionEvidence, Source } from './evidence';
import { describeSetting, formatSettingValue, SOURCE_LABEL, type SettingSource } from './settings';
import type { MemoryAttribution } from './memoryAttribution';
import type { MemoryClass } from './memoryLayout';

export interface WaterfallRow {
  readonly key: string;
  readonly label: string;
  /** Bytes; null when the evidence is missing (shown as unknown, never as zero). */
  readonly bytes: number | null;
  /**
   * limit and line rows are thresholds; total rows contain the part rows below them; aside rows
   * are figures beside the picture (reserved address space, the Go classes against MemStats),
   * drawn without a bar and not part of any sum.
   */
  readonly kind: 'limit' | 'total' | 'part' | 'remainder' | 'line' | 'aside';
  readonly level: number;
  readonly source: Source | null;
}

export interface MemoryReconciliation {
  readonly rows: readonly WaterfallRow[];
  /** Effective limit (memory.max or memory.high, whichever is lower), bytes. */
  readonly limitBytes: number | null;
  readonly rssBytes: number | null;
  /** What the Go runtime accounts for outside the heap, for a GOMEMLIMIT suggestion. */
  readonly goNonHeapBytes: number | null;
  /** RSS that is neither Go-managed memory nor counted by GOMEMLIMIT (binary, libraries, thread stacks, glibc malloc). */
  readonly outsideGoBytes: number | null;
  /** Each memory class (usable, reserved and resident bytes) and the Go classes against MemStats; null without smaps. */
  readonly attribution: MemoryAttribution | null;
}

const KiB = 1024;

function classRss(e: SessionEvidence, ...classes: MemoryClass[]): number | null {
  if (!e.classes) return null;
  let kib = 0;
  for (const c of classes) kib += e.classes.get(c)?.Rss ?? 0;
  return kib * KiB;
}

export function reconcileMemory(e: SessionEvidence): MemoryReconciliation {
  const rows: WaterfallRow[] = [];
  const s = (artifact: string, detail: string): Source => ({ artifact, detail });
  const mem = e.cgroup?.memory ?? null;
  const limit = mem?.limit ?? null;
  const high = mem?.high ?? null;
  const limitBytes = limit && high ? Math.min(limit.value, high.value) : (limit?.value ?? high?.value ?? null);
  if (limit)
    rows.push({
      key: 'cgroup-limit',
      label: `cgroup memory limit (${mem!.version === 'v2' ? 'memory.max' : 'memory.limit_in_bytes'}, lowest over ancestors)`,
      bytes: limit.value,
      kind: 'limit',
      level: 0,
      source: s(CGROUP_PREFIX, `set by ${limit.path}`),
    });
  else
    rows.push({ key: 'cgroup-limit', label: 'cgroup memory limit', bytes: null, kind: 'limit', level: 0, source: e.cgroup ? s(CGROUP_PREFIX, 'no limit set on the cgroup or its ancestors') : null });
  if (high) rows.push({ key: 'cgroup-high', label: 'cgroup memory.high (throttling starts)', bytes: high.value, kind: 'limit', level: 0, source: s(CGROUP_PREFIX, `set by ${high.path}`) });
  rows.push({ key: 'cgroup-usage', label: 'cgroup usage', bytes: mem?.usageBytes ?? null, kind: 'total', level: 0, source: mem ? s(CGROUP_PREFIX, 'memory.current / memory.usage_in_bytes') : null });
  rows.push({ key: 'cgroup-anon', label: 'anonymous', bytes: mem?.anonBytes ?? null, kind: 'part', level: 1, source: mem ? s(CGROUP_PREFIX, 'memory.stat anon / rss') : null });
  rows.push({ key: 'cgroup-file', label: 'page cache (file)', bytes: mem?.fileBytes ?? null, kind: 'part', level: 1, source: mem ? s(CGROUP_PREFIX, 'memory.stat file / cache') : null });
  rows.push({ key: 'cgroup-kernel', label: 'kernel', bytes: mem?.kernelBytes ?? null, kind: 'part', level: 1, source: mem ? s(CGROUP_PREFIX, 'memory.stat kernel') : null });
  if (mem && mem.usageBytes !== null && mem.anonBytes !== null && mem.fileBytes !== null) {
    const rest = mem.usageBytes - mem.anonBytes - mem.fileBytes - (mem.kernelBytes ?? 0);
    rows.push({ key: 'cgroup-rest', label: 'usage not explained by anon + file + kernel', bytes: rest, kind: 'remainder', level: 1, source: s(CGROUP_PREFIX, 'usage minus the parts above') });
  }

  const rssBytes = e.rollup?.rssKiB != null ? e.rollup.rssKiB * KiB : e.status?.vmRssKiB != null ? e.status.vmRssKiB * KiB : null;
  rows.push({ key: 'rss', label: 'process RSS', bytes: rssBytes, kind: 'total', level: 0, source: e.rollup ? s(NAMES.smapsRollup, 'Rss') : e.status ? s(NAMES.status, 'VmRSS') : null });
  rows.push({
    key: 'pss',
    label: 'process PSS (shared pages divided among sharers)',
    bytes: e.rollup?.pssKiB != null ? e.rollup.pssKiB * KiB : null,
    kind: 'part',
    level: 1,
    source: e.rollup ? s(NAMES.smapsRollup, 'Pss') : null,
  });

  const ms = e.memStats;
  const v = (k: string) => ms?.values[k] ?? null;
  const heapInuse = v('HeapInuse');
  const idleUnreleased = v('HeapIdle') !== null && v('HeapReleased') !== null ? v('HeapIdle')! - v('HeapReleased')! : null;
  const stack = ms?.stackInuse ?? v('StackInuse');
  const metaParts = [ms?.mspanInuse ?? v('MSpanInuse'), ms?.mcacheInuse ?? v('MCacheInuse'), v('GCSys'), v('OtherSys'), v('BuckHashSys')];
  const runtimeMeta = metaParts.every((x) => x !== null) ? metaParts.reduce<number>((a, b) => a + b!, 0) : null;
  const hs = (detail: string) => (ms ? s(NAMES.heap, detail) : null);
  const parts: WaterfallRow[] = [
    { key: 'go-heap', label: 'Go heap in use (HeapInuse)', bytes: heapInuse, kind: 'part', level: 1, source: hs('HeapInuse') },
    { key: 'go-heap-idle', label: 'Go heap idle, not returned to the OS (HeapIdle − HeapReleased)', bytes: idleUnreleased, kind: 'part', level: 1, source: hs('HeapIdle − HeapReleased') },
    { key: 'go-stacks', label: 'goroutine stacks (StackInuse)', bytes: stack, kind: 'part', level: 1, source: hs('StackInuse') },
    {
      key: 'go-runtime',
      label: 'GC and runtime metadata (MSpan, MCache, GCSys, OtherSys, BuckHash)',
      bytes: runtimeMeta,
      kind: 'part',
      level: 1,
      source: hs('MSpanInuse + MCacheInuse + GCSys + OtherSys + BuckHashSys'),
    },
    {
      key: 'binary',
      label: 'binary and shared libraries (resident)',
      bytes: classRss(e, 'binary', 'shared-libraries'),
      kind: 'part',
      level: 1,
      source: e.classes ? s(NAMES.smaps, 'Rss of the binary and library mappings') : null,
    },
    { key: 'thread-stacks', label: 'OS thread stacks', bytes: classRss(e, 'thread-stacks'), kind: 'part', level: 1, source: e.classes ? s(NAMES.smaps, 'Rss of thread stacks and guard pages') : null },
    {
      key: 'cgo-malloc',
      label: 'glibc malloc arenas and brk heap (cgo, C libraries)',
      bytes: classRss(e, 'c-malloc'),
      kind: 'part',
      level: 1,
      source: e.classes ? s(NAMES.smaps, 'Rss of glibc malloc heaps, mmapped chunks and the brk heap') : null,
    },
  ];
  rows.push(...parts);
  const known = parts.map((p) => p.bytes);
  if (rssBytes !== null && known.every((b) => b !== null)) {
    const rest = rssBytes - known.reduce<number>((a, b) => a + b!, 0);
    rows.push({
      key: 'rss-rest',
      label: rest >= 0 ? 'unexplained (RSS minus the parts above)' : 'over-counted: the runtime accounts for more than is resident (idle or metadata pages not touched)',
      bytes: rest,
      kind: 'remainder',
      level: 1,
      source: null,
    });
  } else if (rssBytes !== null) {
    rows.push({ key: 'rss-rest', label: 'unexplained: not computed, some parts are unknown (no MemStats or no smaps)', bytes: null, kind: 'remainder', level: 1, source: null });
  }
  const unknownAnon = classRss(e, 'anon-unknown');
  if (unknownAnon !== null && unknownAnon > 0)
    rows.push({
      key: 'anon-unknown',
      label: 'resident anonymous memory no evidence assigns to an owner (unknown anonymous; see the Memory view)',
      bytes: unknownAnon,
      kind: 'aside',
      level: 2,
      source: s(NAMES.smaps, 'Rss of unknown anonymous mappings'),
    });
  rows.push(...attributionRows(e));
  const lazy = e.rollup?.fieldsKiB.LazyFree;
  rows.push({
    key: 'lazyfree',
    label: 'LazyFree: freed with MADV_FREE, still counted in RSS',
    bytes: lazy === undefined ? null : lazy * KiB,
    kind: 'part',
    level: 2,
    source: e.rollup ? s(NAMES.smapsRollup, 'LazyFree') : null,
  });
  const thp = e.rollup?.fieldsKiB.AnonHugePages;
  rows.push({
    key: 'anon-huge',
    label: 'AnonHugePages: backed by transparent huge pages',
    bytes: thp === undefined ? null : thp * KiB,
    kind: 'part',
    level: 2,
    source: e.rollup ? s(NAMES.smapsRollup, 'AnonHugePages') : null,
  });

  const lim = e.settings.GOMEMLIMIT.effective;
  if (lim && lim.value !== null)
    rows.push({
      key: 'gomemlimit',
      label: `GOMEMLIMIT ${formatSettingValue('GOMEMLIMIT', lim.value)} (${SOURCE_LABEL[lim.source]})`,
      bytes: lim.value,
      kind: 'line',
      level: 0,
      source: s(lim.artifact, lim.detail),
    });
  const nextGc = v('NextGC');
  const gogc = e.settings.GOGC.effective;
  if (nextGc !== null)
    rows.push({
      key: 'heap-goal',
      label: `heap goal of the next GC (NextGC; GOGC ${gogc ? `${formatSettingValue('GOGC', gogc.value)}, ${SOURCE_LABEL[gogc.source]}` : 'unknown'})`,
      bytes: nextGc,
      kind: 'line',
      level: 0,
      source: hs('NextGC'),
    });

  // What GOMEMLIMIT counts besides the heap: stacks and runtime metadata (Sys − HeapSys covers them).
  const sys = v('Sys');
  const heapSys = v('HeapSys');
  const goNonHeapBytes = sys !== null && heapSys !== null ? sys - heapSys : null;
  const outsideGoBytes = known[4] !== null && known[5] !== null && known[6] !== null ? known[4]! + known[5]! + known[6]! : null;
  return { rows, limitBytes, rssBytes, goNonHeapBytes, outsideGoBytes, attribution: e.memory };
}

const mibText = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** The Go classes as smaps shows them against the runtime's totals, and the reserved address space: figures beside the waterfall. */
function attributionRows(e: SessionEvidence): WaterfallRow[] {
  const a = e.memory;
  if (!a) return [];
  const rows: WaterfallRow[] = [];
  for (const r of a.rows) {
    if (r.key === 'go-stacks' && r.mappedBytes === 0 && (r.runtimeBytes ?? 0) === 0) continue;
    const verdict = r.within === null ? 'no MemStats to compare with' : `${r.within ? 'within' : 'OUTSIDE'} the tolerance of ±${mibText(r.toleranceBytes!)}`;
    rows.push({
      key: `attribution-${r.key}`,
      label: `${r.label}: ${mibText(r.mappedBytes)} mapped in smaps${r.runtimeBytes === null ? '' : ` against ${r.runtimeWhat} = ${mibText(r.runtimeBytes)}`}; difference (${verdict})`,
      bytes: r.differenceBytes,
      kind: 'aside',
      level: 0,
      source:
        r.runtimeBytes === null ? { artifact: NAMES.smaps, detail: 'classified mappings' } : { artifact: `proc/smaps + ${a.runtimeSource!.artifact}`, detail: `${r.runtimeWhat}; ${a.tolerance}` },
    });
  }
  const reserved = a.classes.reduce((sum, c) => sum + c.reservedBytes, 0);
  rows.push({
    key: 'reserved',
    label: 'reserved address space (---p mappings): not resident, not in RSS',
    bytes: reserved,
    kind: 'aside',
    level: 0,
    source: { artifact: NAMES.smaps, detail: 'Size of mappings with no access' },
  });
  return rows;
}

export interface CpuReconciliation {
  /** CPUs the cgroup allows (quota / period), null when unlimited or unknown. */
  readonly quotaCpus: number | null;
  readonly quotaSource: Source | null;
  readonly hostCpus: number | null;
  /** The GOMAXPROCS in effect (the settings' value), its source, and how we know. */
  readonly gomaxprocs: number | null;
  readonly gomaxprocsSource: SettingSource | null;
  readonly gomaxprocsHow: string;
  /** Go 1.25+ follows quota changes (unless turned off, GOMAXPROCS is set, or runtime.GOMAXPROCS was called). */
  readonly followsQuota: boolean | null;
  readonly followsQuotaWhy: string;
  /** The quota of the process's own cgroup, which Go and automaxprocs read (an ancestor's may be lower). */
  readonly ownQuotaCpus: number | null;
  readonly threads: number | null;
  readonly threadStates: SessionEvidence['threadStates'];
  readonly throttledRatio: number | null;
  readonly throttledSeconds: number | null;
  readonly runqueueMax: number | null;
  readonly runqueueMean: number | null;
  readonly maxMigrations: { readonly tid: number; readonly value: number } | null;
  readonly maxInvoluntary: { readonly tid: number; readonly value: number } | null;
  readonly procUtilization: readonly { readonly p: number; readonly utilization: number }[] | null;
}

export function reconcileCpu(e: SessionEvidence): CpuReconciliation {
  const cpu = e.cgroup?.cpu ?? null;
  const quotaCpus = cpu?.limitCpus?.value ?? null;
  const cpusetCount = e.cgroup?.cpuset?.count ?? null;
  const hostCpus = cpusetCount !== null && e.hostCpus !== null ? Math.min(cpusetCount, e.hostCpus) : (cpusetCount ?? e.hostCpus);
  const g = e.settings.GOMAXPROCS;
  const throttledRatio = cpu && cpu.nrPeriods !== null && cpu.nrThrottled !== null && cpu.nrPeriods > 0 ? cpu.nrThrottled / cpu.nrPeriods : null;
  const rq = e.runqueue?.perCpu ?? null;
  const maxBy = (f: (t: SessionEvidence['threads'][number]) => number | null) =>
    e.threads.reduce<{ tid: number; value: number } | null>((best, t) => {
      const x = f(t);
      return x !== null && (!best || x > best.value) ? { tid: t.tid, value: x } : best;
    }, null);
  return {
    quotaCpus,
    quotaSource: cpu?.limitCpus ? { artifact: CGROUP_PREFIX, detail: `quota/period set by ${cpu.limitCpus.path}` } : null,
    hostCpus,
    gomaxprocs: g.effective?.value ?? null,
    gomaxprocsSource: g.effective?.source ?? null,
    gomaxprocsHow: describeSetting(g),
    followsQuota: g.followsQuota,
    followsQuotaWhy: g.followsQuotaWhy,
    ownQuotaCpus: cpu && cpu.quotaUs !== null && cpu.periodUs ? cpu.quotaUs / cpu.periodUs : null,
    threads: e.status?.threads ?? null,
    threadStates: e.threadStates,
    throttledRatio,
    throttledSeconds: cpu?.throttledUs != null ? cpu.throttledUs / 1e6 : null,
    runqueueMax: rq ? Math.max(...rq) : null,
    runqueueMean: rq && rq.length > 0 ? rq.reduce((a, b) => a + b, 0) / rq.length : null,
    maxMigrations: maxBy((t) => t.migrations),
    maxInvoluntary: maxBy((t) => t.involuntarySwitches),
    procUtilization: e.trace ? e.trace.procs.map((p) => ({ p: p.p, utilization: p.utilization })) : null,
  };
}

/**
 * Memory attribution checked against the runtime: the mappings classed by
 * memoryLayout.ts, and for the Go classes the runtime's own totals beside
 * them (MemStats from heap?debug=1, else expvar's memstats, else
 * client_golang's go_memstats_*), with the difference and whether it is
 * within the stated tolerance. What `report --json` prints as
 * `memoryClasses` and `memoryAttribution`, and what the Memory view and the
 * Overview waterfall show.
 */
import { NAMES } from '../artifacts/registry';
import { parseMemProbes, MEM_PROBES_ARTIFACT, type MemProbes } from '../parsers/memProbes';
import { parseHeapDebug1, type MemStats } from '../parsers/memstats';
import { describeError } from '../parsers/result';
import type { MemoryMaps } from '../parsers/smaps';
import { artifactText, type ArtifactFiles } from './artifactContent';
import type { Source } from './evidence';
import { parseGoVersion } from './goKnowledge';
import { classifyMemory, GO_HEAP_INDEX_BYTES, MEMORY_CLASSES, type MemoryClass, type MemoryLayout } from './memoryLayout';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The runtime's own memory totals, in bytes. */
export interface RuntimeMemory {
  readonly heapSys: number;
  readonly stackInuse: number;
  readonly stackSys: number;
  readonly mspanSys: number;
  readonly mcacheSys: number;
  readonly buckHashSys: number;
  readonly gcSys: number;
  readonly otherSys: number;
  readonly sys: number;
  readonly source: Source;
}

type Fields = Omit<RuntimeMemory, 'source'>;
const FIELD_NAMES: Readonly<Record<keyof Fields, { readonly memStats: string; readonly prometheus: string }>> = {
  heapSys: { memStats: 'HeapSys', prometheus: 'go_memstats_heap_sys_bytes' },
  stackInuse: { memStats: 'StackInuse', prometheus: 'go_memstats_stack_inuse_bytes' },
  stackSys: { memStats: 'StackSys', prometheus: 'go_memstats_stack_sys_bytes' },
  mspanSys: { memStats: 'MSpanSys', prometheus: 'go_memstats_mspan_sys_bytes' },
  mcacheSys: { memStats: 'MCacheSys', prometheus: 'go_memstats_mcache_sys_bytes' },
  buckHashSys: { memStats: 'BuckHashSys', prometheus: 'go_memstats_buck_hash_sys_bytes' },
  gcSys: { memStats: 'GCSys', prometheus: 'go_memstats_gc_sys_bytes' },
  otherSys: { memStats: 'OtherSys', prometheus: 'go_memstats_other_sys_bytes' },
  sys: { memStats: 'Sys', prometheus: 'go_memstats_sys_bytes' },
};

/** All nine fields from a lookup, or null when one is missing. */
function fieldsFrom(get: (memStats: string, prometheus: string) => number | undefined): Fields | null {
  const out: Partial<Record<keyof Fields, number>> = {};
  for (const [k, n] of Object.entries(FIELD_NAMES) as [keyof Fields, (typeof FIELD_NAMES)[keyof Fields]][]) {
    const v = get(n.memStats, n.prometheus);
    if (v === undefined || !Number.isFinite(v) || v < 0) return null;
    out[k] = v;
  }
  return out as Fields;
}

/** client_golang's text exposition: `name value` lines without labels. */
function prometheusValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n', 200_000)) {
    if (!line.startsWith('go_memstats_')) continue;
    const m = /^(go_memstats_\w+)\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The runtime's totals from the first artifact that has all of them, and why the others did not. */
export function runtimeMemoryOf(files: ArtifactFiles, parsed?: { memStats: MemStats | null; error: string | null }): { runtime: RuntimeMemory | null; notes: string[] } {
  const notes: string[] = [];
  const heapText = parsed ? null : artifactText(files[NAMES.heap]);
  if (parsed || heapText) {
    const r = heapText ? parseHeapDebug1(heapText) : null;
    const ms = parsed ? parsed.memStats : r?.ok ? r.value.memStats : null;
    const error = parsed ? parsed.error : r && !r.ok ? describeError(r.error) : null;
    const pairs: Record<string, number | null | undefined> = { StackInuse: ms?.stackInuse, StackSys: ms?.stackSys, MSpanSys: ms?.mspanSys, MCacheSys: ms?.mcacheSys };
    const f = ms ? fieldsFrom((k) => pairs[k] ?? ms.values[k]) : null;
    if (f) return { runtime: { ...f, source: { artifact: NAMES.heap, detail: '# runtime.MemStats' } }, notes };
    // A parse error the caller parsed is already reported by the caller.
    if (ms || (error && !parsed)) notes.push(`go/heap-debug1.txt: ${error ?? 'its "# runtime.MemStats" block lacks a field the attribution needs'}`);
  }
  const expvarText = artifactText(files[NAMES.expvar]);
  if (expvarText) {
    let ms: Record<string, unknown> | null = null;
    try {
      const doc = JSON.parse(expvarText) as { memstats?: Record<string, unknown> };
      ms = doc && typeof doc.memstats === 'object' ? doc.memstats : null;
    } catch {
      notes.push('go/expvar.json is not JSON');
    }
    const f = ms ? fieldsFrom((k) => (typeof ms![k] === 'number' ? (ms![k] as number) : undefined)) : null;
    if (f) return { runtime: { ...f, source: { artifact: NAMES.expvar, detail: 'memstats' } }, notes };
    if (ms) notes.push('go/expvar.json: its memstats lack a field the attribution needs');
  }
  const metricsText = artifactText(files[NAMES.metrics]);
  if (metricsText) {
    const values = prometheusValues(metricsText);
    const f = fieldsFrom((_, p) => values.get(p));
    if (f) return { runtime: { ...f, source: { artifact: NAMES.metrics, detail: 'go_memstats_*' } }, notes };
    notes.push('go/metrics.txt has no complete set of go_memstats_* series');
  }
  return { runtime: null, notes };
}

/** The memory probes of a session: parsed, or why there are none. */
export function memProbesOf(files: ArtifactFiles): { probes: MemProbes | null; note: string | null } {
  const text = artifactText(files[MEM_PROBES_ARTIFACT]);
  if (text === undefined) return { probes: null, note: null };
  const r = parseMemProbes(text);
  return r.ok ? { probes: r.value, note: null } : { probes: null, note: `${MEM_PROBES_ARTIFACT}: ${describeError(r.error)}` };
}

/**
 * The stated tolerance: smaps and MemStats are read a few seconds apart, and meanwhile a busy heap
 * grows by a 4 MiB step (pallocChunkBytes) or two; GC work buffers sit in the arenas but count in
 * GCSys; and a cgo process's small C mappings left over join the metadata. So max(8 MiB, 10% of
 * the runtime's figure).
 */
export function goTolerance(runtimeBytes: number): number {
  return Math.max(8 * MiB, 0.1 * runtimeBytes);
}
export const TOLERANCE_TEXT =
  "within max(8 MiB, 10%) of the runtime's figure: smaps and MemStats are read a few seconds apart while the heap grows 4 MiB at a time, and GC work buffers live in the arenas but count in GCSys";

/** One class as `report --json` prints it: usable address space (mappings with any access), reserved (---p) and resident bytes. */
export interface MemoryClassRow {
  readonly class: MemoryClass;
  readonly label: string;
  readonly mappings: number;
  readonly mappedBytes: number;
  readonly reservedBytes: number;
  readonly rssBytes: number;
}

export interface AttributionRow {
  readonly key: 'go-heap' | 'go-metadata' | 'go-stacks';
  readonly label: string;
  readonly classes: readonly MemoryClass[];
  /** From smaps: usable (not ---p), resident and reserved bytes of the classes. */
  readonly mappedBytes: number;
  readonly rssBytes: number;
  readonly reservedBytes: number;
  /** What the runtime says it mapped for them (null without MemStats), and the formula. */
  readonly runtimeBytes: number | null;
  readonly runtimeWhat: string;
  /** mappedBytes − runtimeBytes. */
  readonly differenceBytes: number | null;
  readonly toleranceBytes: number | null;
  readonly within: boolean | null;
}

export interface MemoryAttribution {
  readonly classes: readonly MemoryClassRow[];
  /** The Go classes against the runtime's totals; empty for a process that is not Go. */
  readonly rows: readonly AttributionRow[];
  readonly runtimeSource: Source | null;
  readonly tolerance: string;
  readonly probeSummary: string;
  readonly notes: readonly string[];
}

const heapIndexText = `the ${GO_HEAP_INDEX_BYTES / MiB} MiB arena index, which no MemStats field counts`;

/** What the runtime says it mapped outside the heap arenas (what classifyMemory may give the leftover). */
export function goOffHeapOf(rt: RuntimeMemory | null): { bytes: number; tolerance: number; what: string } | null {
  if (!rt) return null;
  const bytes = rt.sys - rt.heapSys - rt.stackInuse + GO_HEAP_INDEX_BYTES;
  return { bytes, tolerance: goTolerance(bytes), what: `Sys − HeapSys − StackInuse from ${rt.source.artifact}, plus ${heapIndexText}` };
}

export function attributionOf(layout: MemoryLayout, rt: RuntimeMemory | null, notes: readonly string[] = []): MemoryAttribution {
  const byClass = new Map(layout.totals.map((t) => [t.class, t]));
  const classes: MemoryClassRow[] = MEMORY_CLASSES.map((c) => {
    const t = byClass.get(c.id);
    const k = t?.kib;
    return { class: c.id, label: c.label, mappings: t?.mappings ?? 0, mappedBytes: k ? (k.Size - k.Reserved) * KiB : 0, reservedBytes: k ? k.Reserved * KiB : 0, rssBytes: k ? k.Rss * KiB : 0 };
  });
  const sum = (ids: readonly MemoryClass[], f: (r: MemoryClassRow) => number) => classes.filter((r) => ids.includes(r.class)).reduce((a, r) => a + f(r), 0);
  const row = (key: AttributionRow['key'], label: string, ids: readonly MemoryClass[], runtimeBytes: number | null, runtimeWhat: string): AttributionRow => {
    const mappedBytes = sum(ids, (r) => r.mappedBytes);
    const toleranceBytes = runtimeBytes === null ? null : goTolerance(runtimeBytes);
    const differenceBytes = runtimeBytes === null ? null : mappedBytes - runtimeBytes;
    return {
      key,
      label,
      classes: ids,
      mappedBytes,
      rssBytes: sum(ids, (r) => r.rssBytes),
      reservedBytes: sum(ids, (r) => r.reservedBytes),
      runtimeBytes,
      runtimeWhat,
      differenceBytes,
      toleranceBytes,
      within: differenceBytes === null ? null : Math.abs(differenceBytes) <= toleranceBytes!,
    };
  };
  const rows: AttributionRow[] = [];
  if (layout.isGo) {
    const n = (f: (r: RuntimeMemory) => number) => (rt ? f(rt) : null);
    rows.push(
      row(
        'go-heap',
        'Go heap arenas (heap spans, and the goroutine stacks carved from them)',
        ['go-heap'],
        n((r) => r.heapSys + r.stackInuse),
        'HeapSys + StackInuse',
      ),
      row(
        'go-stacks',
        'goroutine stacks the runtime mapped on their own',
        ['go-stacks'],
        n((r) => r.stackSys - r.stackInuse),
        'StackSys − StackInuse',
      ),
      row(
        'go-metadata',
        'Go off-heap metadata',
        ['go-metadata'],
        n((r) => r.mspanSys + r.mcacheSys + r.buckHashSys + r.gcSys + r.otherSys + GO_HEAP_INDEX_BYTES),
        `MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys + ${GO_HEAP_INDEX_BYTES / MiB} MiB arena index`,
      ),
    );
  }
  return { classes, rows, runtimeSource: rt?.source ?? null, tolerance: TOLERANCE_TEXT, probeSummary: layout.probeSummary, notes };
}

/** Classifies a session's mappings with everything the session has (probes, MemStats, Go version) and checks the Go classes against the runtime. */
export function attributeMemory(
  maps: MemoryMaps,
  files: ArtifactFiles,
  opts: { isGo?: boolean; goVersion?: string | null; heap?: { memStats: MemStats | null; error: string | null } } = {},
): { layout: MemoryLayout; attribution: MemoryAttribution } {
  const { runtime, notes } = runtimeMemoryOf(files, opts.heap);
  const { probes, note } = memProbesOf(files);
  if (note) notes.push(note);
  // A process that served the runtime's own MemStats runs Go, whatever its binary was taken for.
  const isGo = runtime !== null ? true : opts.isGo;
  const layout = classifyMemory(maps, { isGo, goMinor: parseGoVersion(opts.goVersion ?? null)?.minor ?? null, probes, goOffHeap: goOffHeapOf(runtime) });
  return { layout, attribution: attributionOf(layout, runtime, notes) };
}

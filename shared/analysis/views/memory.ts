/**
 * The Memory view: every mapping classed by owner (as columns, transferred rather than cloned),
 * totals per class, the address-space regions, smaps_rollup, the cgroup and MemStats, and the
 * attribution of each class against the runtime's figures.
 */
import { CGROUP_PREFIX, NAMES } from '../../artifacts/registry';
import { parseCgroupFiles, type CgroupModel } from '../../parsers/cgroup';
import { parseHeapDebug1, type MemStats } from '../../parsers/memstats';
import { describeError } from '../../parsers/result';
import { counterAbsent, counterIn, parseSmaps, PERMS } from '../../parsers/smaps';
import { parseSmapsRollup, type SmapsRollup } from '../../parsers/smapsRollup';
import { artifactText, TRUNCATED, type ArtifactFiles } from '../artifactContent';
import { attributeMemory, type MemoryAttribution } from '../memoryAttribution';
import { MEMORY_CLASSES, type MemoryClass, type Totals } from '../memoryLayout';

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

/** The Memory view's request: whether the session is known to be Go (the session's Go version says so) and which Go. */
export interface MemoryRequest {
  readonly isGo?: boolean;
  readonly goVersion?: string | null;
}

export function buildMemoryView(files: ArtifactFiles, opts: MemoryRequest = {}): MemoryView {
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
  if (smaps === undefined)
    return { error: 'no smaps or maps artifact in this session', warnings, isGo: false, goEvidence: '', totals: [], grandTotal: null, regions: [], table: EMPTY_TABLE(), ...base };
  const maps = parseSmaps(smaps);
  if (!maps.ok) return { error: `smaps: ${describeError(maps.error)}`, warnings, isGo: false, goEvidence: '', totals: [], grandTotal: null, regions: [], table: EMPTY_TABLE(), ...base };
  warnings.push(...maps.warnings.slice(0, 20).map((w) => `smaps: ${describeError(w)}`));
  const { layout, attribution } = attributeMemory(maps.value, files, {
    isGo: opts.isGo,
    goVersion: opts.goVersion ?? null,
    heap: heap ? { memStats: base.memStats, error: heap.ok ? null : describeError(heap.error) } : undefined,
  });
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

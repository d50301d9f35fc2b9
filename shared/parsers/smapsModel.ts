/**
 * The model of /proc/PID/smaps and /proc/PID/maps (smaps.ts reads it) and its accessors: every
 * mapping's fields as columns, the counters as a column each, and records made from them when one
 * is needed. Columns, not an object per mapping: 100,000 objects that all survive to the end were
 * a third of the parse in allocation and garbage collection. Permissions are a small code;
 * devices, names and VmFlags sets are indexes into lists of the distinct values, so 100,000
 * mappings share a handful of strings.
 */

/** One mapping as a record, for dumps, detail views and tests; loops over all of them read the columns. */
export interface Mapping {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly offset: number;
  readonly dev: string;
  readonly inode: number;
  /** Path or pseudo-name, '' for anonymous mappings without a name. */
  readonly name: string;
  /** Size in KiB from the addresses (maps) or the Size: line (smaps). */
  readonly sizeKiB: number;
  /** 1-based line of the header, so views can point back at the raw artifact. */
  readonly line: number;
  readonly vmFlags: readonly string[];
}

/**
 * Every mapping's fields as columns of length `count`, in file order.
 *
 * Addresses and offsets are doubles: page-aligned values below 2^64 are exact in a double (at
 * most 52 significant bits above the page offset), and numbers cost nothing to allocate or
 * compare. The counters (Rss, Pss, Private_Dirty, Swap, LazyFree, AnonHugePages, …, in KiB) are
 * columns too; read them with counterOf / counterColumn / countersOf / counterIn.
 *
 * A column that is 0 for every mapping (most counters, and offset, inode and name in a process
 * whose mappings are mostly anonymous) may be one array of zeros shared with other such columns:
 * the model is read-only, and the parser never made or wrote those columns.
 */
export interface MemoryMaps {
  readonly count: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly offset: Float64Array;
  readonly inode: Float64Array;
  readonly sizeKiB: Float64Array;
  /** 1-based line of each header (at most 2^32 - 1). */
  readonly line: Uint32Array;
  /** A permissions code: PERMS[code] is its text, and the PERM_* bits test it. */
  readonly perms: Uint8Array;
  /** Index into `devs`. */
  readonly dev: Uint32Array;
  readonly devs: readonly string[];
  /** Index into `names`; names[0] is '' (anonymous, unnamed). */
  readonly name: Uint32Array;
  readonly names: readonly string[];
  /** Index into `flagSets`; flagSets[0] is empty (maps, or a kernel without VmFlags). */
  readonly vmFlags: Uint32Array;
  readonly flagSets: readonly (readonly string[])[];
  /** Counter names in the order the kernel printed them (its field set differs by version). */
  readonly counterKeys: readonly string[];
  /**
   * One column per counter name, in counterKeys' order, each `count` long: the value in KiB, or
   * counterAbsent(column) where a mapping lacks the counter, or the value above that for a value
   * the column cannot hold (4 TiB or more in KiB, or not a whole number), which is then in
   * `bigCounters` under bigCounterKey(row, column). Empty for maps. Read them with counterIn and
   * the other accessors, or decodeCounter.
   *
   * Columns, not a row per mapping, and zero needs no write: most counters are 0 in most
   * mappings, and a column that stays 0 is never written, so its fresh pages are never faulted in.
   * A column is 16 bits per mapping while its values fit (below 64 MiB), 32 bits after: fewer pages
   * again, for the many small mappings that make a large smaps.
   */
  readonly counters: readonly CounterColumn[];
  readonly bigCounters: ReadonlyMap<number, number>;
  readonly hasCounters: boolean;
}

export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_EXEC = 4;
/** 's': shared; 'S' (may share) and '-' have codes of their own in the top bits. */
export const PERM_SHARED = 8;
const SHARE_CHARS = ['p', 's', 'S', '-'];
/** The text of each permissions code, "r-xp" etc. */
export const PERMS: readonly string[] = Object.freeze(
  Array.from({ length: 32 }, (_, code) => `${code & PERM_READ ? 'r' : '-'}${code & PERM_WRITE ? 'w' : '-'}${code & PERM_EXEC ? 'x' : '-'}${SHARE_CHARS[code >> 3]}`),
);

/** Mapping `index` as a record. */
export function mappingAt(maps: MemoryMaps, index: number): Mapping {
  return {
    start: maps.start[index]!,
    end: maps.end[index]!,
    perms: PERMS[maps.perms[index]!]!,
    offset: maps.offset[index]!,
    dev: maps.devs[maps.dev[index]!]!,
    inode: maps.inode[index]!,
    name: maps.names[maps.name[index]!]!,
    sizeKiB: maps.sizeKiB[index]!,
    line: maps.line[index]!,
    vmFlags: maps.flagSets[maps.vmFlags[index]!]!,
  };
}

/** Every mapping as a record, each with its counters under `kib`: what dumps and JSON output show. */
export function mappingRecords(maps: MemoryMaps): (Mapping & { readonly kib: Record<string, number> })[] {
  return Array.from({ length: maps.count }, (_, i) => ({ ...mappingAt(maps, i), kib: countersOf(maps, i) }));
}

/** A counter column: 16 bits per mapping while every value fits, 32 bits once one does not. */
export type CounterColumn = Uint16Array | Uint32Array;

/**
 * The entry in `column` that marks a mapping lacking the counter: the type's largest value but
 * one. The largest marks a value kept in `bigCounters`. Anything below is the value itself.
 */
export const counterAbsent = (column: CounterColumn): number => (column.BYTES_PER_ELEMENT === 2 ? 0xfffe : 0xfffffffe);
/** More distinct counter names than any kernel prints; past it, input is not smaps. */
export const MAX_COUNTER_KEYS = 64;
/** Where bigCounters keeps the value of mapping `row`'s counter in column `column`. */
export const bigCounterKey = (row: number, column: number): number => row * MAX_COUNTER_KEYS + column;

/**
 * What entry `raw` of column number `column` holds for mapping `row`, given that column's
 * counterAbsent; undefined when the mapping lacks the counter.
 */
export function decodeCounter(raw: number, absent: number, row: number, column: number, bigCounters: ReadonlyMap<number, number>): number | undefined {
  return raw < absent ? raw : raw === absent ? undefined : bigCounters.get(bigCounterKey(row, column));
}

/** Mapping `row`'s counter in column `column` (an index into counterKeys), or undefined when absent. */
export function counterIn(maps: MemoryMaps, row: number, column: number): number | undefined {
  const values = maps.counters[column]!;
  return decodeCounter(values[row]!, counterAbsent(values), row, column, maps.bigCounters);
}

/** One counter of mapping `index`, or undefined when the kernel did not print it. */
export function counterOf(maps: MemoryMaps, index: number, key: string): number | undefined {
  const col = maps.counterKeys.indexOf(key);
  return col < 0 ? undefined : counterIn(maps, index, col);
}

/** A column accessor for loops over every mapping: 0 where the counter is absent. */
export function counterColumn(maps: MemoryMaps, key: string): (index: number) => number {
  const col = maps.counterKeys.indexOf(key);
  if (col < 0) return () => 0;
  return (index) => counterIn(maps, index, col) ?? 0;
}

/** Mapping `index`'s counters as a record, for dumps and detail views. */
export function countersOf(maps: MemoryMaps, index: number): Record<string, number> {
  const out: Record<string, number> = {};
  maps.counterKeys.forEach((k, col) => {
    const v = counterIn(maps, index, col);
    if (v !== undefined) out[k] = v;
  });
  return out;
}

/**
 * Classifies each mapping of /proc/PID/smaps (or maps) in Go terms, with a
 * one-line reason, and totals the counters per class. The evidence used,
 * strongest first: Go 1.25+ names ("[anon: Go: heap]"), kernel names,
 * the executable's own file, 64 MiB-aligned anonymous runs (Go heap arenas
 * are 64 MiB and aligned to it; hints at 0x00c000000000 before Go 1.26,
 * randomized from 1.26), guard-page + stack pairs, and glibc's 64 MiB
 * malloc heaps. Facts: ../shared/reference/go-runtime-facts.md §6.
 */
import { counterAbsent, decodeCounter, PERM_EXEC, PERM_READ, PERM_SHARED, PERM_WRITE, type CounterColumn, type MemoryMaps } from '../parsers/smaps';

export type MemoryClass =
  | 'go-heap'
  | 'go-metadata'
  | 'binary-text'
  | 'binary-rodata'
  | 'binary-data'
  | 'binary-bss'
  | 'shared-library'
  | 'thread-stack'
  | 'cgo-malloc'
  | 'anon-other'
  | 'file-data'
  | 'shm'
  | 'kernel';

export const MEMORY_CLASSES: readonly { readonly id: MemoryClass; readonly label: string }[] = [
  { id: 'go-heap', label: 'Go heap arenas' },
  { id: 'go-metadata', label: 'Go runtime off-heap metadata' },
  { id: 'binary-text', label: 'binary text' },
  { id: 'binary-rodata', label: 'binary rodata' },
  { id: 'binary-data', label: 'binary data' },
  { id: 'binary-bss', label: 'binary bss' },
  { id: 'shared-library', label: 'shared libraries' },
  { id: 'thread-stack', label: 'thread stacks' },
  { id: 'cgo-malloc', label: 'cgo / C malloc' },
  { id: 'anon-other', label: 'anonymous, other' },
  { id: 'file-data', label: 'file-backed data' },
  { id: 'shm', label: 'shared memory' },
  { id: 'kernel', label: 'vdso, vvar, vsyscall' },
];

export const TOTAL_KEYS = ['Size', 'Rss', 'Pss', 'Private_Dirty', 'Swap', 'LazyFree', 'AnonHugePages'] as const;
export type TotalKey = (typeof TOTAL_KEYS)[number];
export type Totals = Readonly<Record<TotalKey, number>>;

export interface ClassifiedMapping {
  readonly index: number;
  readonly class: MemoryClass;
  readonly reason: string;
}

export interface AddressRegion {
  readonly start: bigint;
  readonly end: bigint;
  readonly class: MemoryClass;
  readonly mappings: number;
  readonly sizeKiB: number;
  readonly rssKiB: number;
}

/**
 * Per-mapping results are columns, like the mappings themselves: a class index and a reason
 * index for each mapping, in the order of MemoryMaps. classifiedAt gives one as a record.
 */
export interface MemoryLayout {
  readonly isGo: boolean;
  /** Why the process was taken to be Go (or not). */
  readonly goEvidence: string;
  readonly executable: string | null;
  /** Per mapping, an index into MEMORY_CLASSES. */
  readonly classOf: Uint8Array;
  /** Per mapping, an index into `reasons`. */
  readonly reasonOf: Uint32Array;
  readonly reasons: readonly string[];
  /** Per class, every class present (zeros included), in MEMORY_CLASSES order. */
  readonly totals: readonly { readonly class: MemoryClass; readonly mappings: number; readonly kib: Totals }[];
  readonly grandTotal: Totals;
  /** Adjacent mappings of one class merged, in address order: the address-space strip. */
  readonly regions: readonly AddressRegion[];
}

/** The layout with a record per mapping in place of the columns: what dumps and JSON output show. */
export function layoutRecord(layout: MemoryLayout) {
  const { isGo, goEvidence, executable, totals, grandTotal, regions } = layout;
  const mappings = Array.from({ length: layout.classOf.length }, (_, i) => classifiedAt(layout, i));
  return { isGo, goEvidence, executable, mappings, totals, grandTotal, regions };
}

/** Mapping `index`'s class and reason as a record. */
export function classifiedAt(layout: MemoryLayout, index: number): ClassifiedMapping {
  return { index, class: MEMORY_CLASSES[layout.classOf[index]!]!.id, reason: layout.reasons[layout.reasonOf[index]!]! };
}

const MiB = 1024n * 1024n;
const ARENA = 64n * MiB;
/** Below this the kernel's top-down mmap area does not reach on x86-64; the Go hints live here. */
const MMAP_AREA = 0x7e0000000000n;
const ARENA_N = Number(ARENA);
const MMAP_AREA_N = Number(MMAP_AREA);

const GO_NAME_CLASS: Readonly<Record<string, MemoryClass>> = {
  heap: 'go-heap',
  'heap reservation': 'go-heap',
  'user arena chunk': 'go-heap',
  'goroutine stack (system)': 'thread-stack',
  'OS thread stack': 'thread-stack',
};

/** What a mapping's name alone says; the rest depends on its permissions, inode and neighbours. */
const enum NameRule {
  /** Class and reason follow from the name: kernel, [stack], [heap], [anon: …]. */
  Fixed,
  /** /dev/shm/, SysV or memfd. */
  ShmObject,
  SharedLibrary,
  /** Any other path. */
  File,
  /** Some other kernel-named mapping, "[…]". */
  Bracketed,
  /** A name that is neither a path nor bracketed: a file only when it has an inode. */
  Other,
  /** Unnamed: '' (index 0). */
  Unnamed,
}

const UNSET = 255;
/** Each class's index in MEMORY_CLASSES, as stored in MemoryLayout.classOf. */
const CI = Object.freeze(Object.fromEntries(MEMORY_CLASSES.map((c, i) => [c.id, i]))) as Readonly<Record<MemoryClass, number>>;

/** Reasons, each distinct text once, so a mapping's reason is an index. */
class Reasons {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(text: string): number {
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(text);
      this.index.set(text, i);
    }
    return i;
  }
}

/** Gives mapping `i` its class and reason unless an earlier, stronger rule already did. */
function setClass(classOf: Uint8Array, reasonOf: Uint32Array, i: number, c: number, reason: number): void {
  if (classOf[i] !== UNSET) return;
  classOf[i] = c;
  reasonOf[i] = reason;
}

/*
 * The passes over all mappings are functions of their own, not loops in classifyMemory: the engine
 * compiles a hot loop on the spot, and in one long function each loop's compile left the code after
 * it without type information, so the first classifications compiled and threw away the whole
 * function several times (15-45 ms a time, against 5 ms warm).
 */

/** Scratch for alignedAnonymousRuns, kept between calls (only its first few entries are written). */
let runRows = new Int32Array(0);

/** Contiguous anonymous runs that are 64 MiB-aligned and at least 64 MiB long: Go heap arena candidates. */
function alignedAnonymousRuns(maps: MemoryMaps, runName: readonly boolean[]): { from: number; to: number; start: bigint; end: bigint }[] {
  const { count: n, start: starts, end: ends, inode, name: nameOf } = maps;
  // Found runs are noted by their first and last rows in a typed array, written for every run and
  // kept only when it qualifies: the loop then takes no branch that only a rare run takes, which
  // the engine would have compiled without type information and thrown away on first use.
  if (runRows.length < 2 * n + 2) runRows = new Int32Array(2 * n + 2);
  const found = runRows;
  let count = 0;
  for (let i = 0; i < n; ) {
    if (inode[i] !== 0 || !runName[nameOf[i]!]) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && inode[j + 1] === 0 && runName[nameOf[j + 1]!] && starts[j + 1] === ends[j]) j++;
    const aligned = starts[i]! % ARENA_N === 0;
    const long = ends[j]! - starts[i]! >= ARENA_N;
    found[2 * count] = i;
    found[2 * count + 1] = j;
    count += aligned && long ? 1 : 0;
    i = j + 1;
  }
  const runs: { from: number; to: number; start: bigint; end: bigint }[] = [];
  for (let r = 0; r < count; r++) {
    const from = found[2 * r]!;
    const to = found[2 * r + 1]!;
    runs.push({ from, to, start: BigInt(starts[from]!), end: BigInt(ends[to]!) });
  }
  return runs;
}

/** The executable's own mappings by their permissions; returns the end of its last one (where bss follows). */
function classifyBinary(maps: MemoryMaps, exeIndex: number, classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): number | null {
  const { count: n, end: ends, perms, name: nameOf } = maps;
  const text = reasons.of('executable code of the program binary');
  const data = reasons.of('initialised data of the program binary');
  const rodata = reasons.of('read-only data of the program binary (rodata, pclntab, type info)');
  const none = reasons.of('inaccessible part of the program binary');
  let binaryEnd: number | null = null;
  for (let i = 0; i < n; i++) {
    if (nameOf[i] !== exeIndex) continue;
    const p = perms[i]!;
    if (p & PERM_EXEC) setClass(classOf, reasonOf, i, CI['binary-text'], text);
    else if (p & PERM_WRITE) setClass(classOf, reasonOf, i, CI['binary-data'], data);
    else if (p & PERM_READ) setClass(classOf, reasonOf, i, CI['binary-rodata'], rodata);
    else setClass(classOf, reasonOf, i, CI['binary-rodata'], none);
    binaryEnd = ends[i]!;
  }
  return binaryEnd;
}

/** Per name: 1 when some mapping of that path other than the executable is executable (a shared library). */
function executablePaths(maps: MemoryMaps, exeIndex: number, names: readonly string[]): Uint8Array {
  const { count: n, perms, name: nameOf } = maps;
  const isLib = new Uint8Array(names.length);
  for (let i = 0; i < n; i++) if (perms[i]! & PERM_EXEC && nameOf[i] !== exeIndex && names[nameOf[i]!]!.startsWith('/')) isLib[nameOf[i]!] = 1;
  return isLib;
}

interface NameRules {
  readonly rules: readonly NameRule[];
  readonly fixedClass: readonly number[];
  readonly fixedReason: readonly number[];
}

/** What each distinct name says, computed once: 100,000 mappings share a few names. */
function nameRules(names: readonly string[], isLib: Uint8Array, reasons: Reasons): NameRules {
  const fixedClass = new Array<number>(names.length).fill(0);
  const fixedReason = new Array<number>(names.length).fill(0);
  const rules = names.map((nm, k): NameRule => {
    const fix = (c: MemoryClass, reason: string) => {
      fixedClass[k] = CI[c];
      fixedReason[k] = reasons.of(reason);
      return NameRule.Fixed;
    };
    if (nm === '') return NameRule.Unnamed;
    if (nm === '[vdso]' || nm === '[vvar]' || nm === '[vvar_vclock]' || nm === '[vsyscall]') return fix('kernel', `${nm}: mapped by the kernel for fast system calls`);
    if (nm === '[stack]') return fix('thread-stack', 'the main thread stack');
    if (nm === '[heap]') return fix('cgo-malloc', 'the brk heap: C malloc (libc or cgo code); the Go heap never uses brk');
    const go = nm.startsWith('[anon') ? /^\[anon: Go: (.*)\]$/.exec(nm) : null;
    if (go) return fix(GO_NAME_CLASS[go[1]!] ?? 'go-metadata', `named by the Go runtime: "${go[1]}"`);
    const anon = nm.startsWith('[anon') ? /^\[anon: ?(.*)\]$/.exec(nm) : null;
    if (anon) return fix(/malloc|glibc/i.test(anon[1]!) ? 'cgo-malloc' : 'anon-other', `named by the program: "${anon[1]}"`);
    if (nm.startsWith('/dev/shm/') || nm.startsWith('/SYSV') || nm.startsWith('/memfd:')) return NameRule.ShmObject;
    if (isLib[k]) {
      fixedReason[k] = reasons.of(`part of the shared library ${nm.slice(nm.lastIndexOf('/') + 1)}`);
      return NameRule.SharedLibrary;
    }
    if (nm.startsWith('/')) return NameRule.File;
    fixedReason[k] = reasons.of(`kernel-named mapping ${nm}`);
    return nm.startsWith('[') ? NameRule.Bracketed : NameRule.Other;
  });
  return { rules, fixedClass, fixedReason };
}

/** Named, shared, file-backed and bss mappings, from the name rules, permissions and inode. */
function classifyByName(maps: MemoryMaps, r: NameRules, binaryEnd: number | null, classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): void {
  const { count: n, start: starts, perms, inode, name: nameOf } = maps;
  const { rules, fixedClass, fixedReason } = r;
  const sharedMapping = reasons.of('a shared mapping');
  const shmObject = reasons.of('shared memory object');
  const fileMapped = reasons.of('a file mapped into memory');
  const bss = reasons.of('zero-initialised data (bss) right after the binary');
  for (let i = 0; i < n; i++) {
    if (classOf[i] !== UNSET) continue;
    const k = nameOf[i]!;
    const rule = rules[k]!;
    if (rule === NameRule.Fixed) setClass(classOf, reasonOf, i, fixedClass[k]!, fixedReason[k]!);
    else if (perms[i]! & PERM_SHARED) setClass(classOf, reasonOf, i, CI['shm'], sharedMapping);
    else if (rule === NameRule.ShmObject) setClass(classOf, reasonOf, i, CI['shm'], shmObject);
    else if (rule === NameRule.SharedLibrary) setClass(classOf, reasonOf, i, CI['shared-library'], fixedReason[k]!);
    else if (rule === NameRule.File || (inode[i] !== 0 && rule !== NameRule.Unnamed)) setClass(classOf, reasonOf, i, CI['file-data'], fileMapped);
    else if (rule === NameRule.Bracketed) setClass(classOf, reasonOf, i, CI['anon-other'], fixedReason[k]!);
    else if (binaryEnd !== null && starts[i] === binaryEnd && perms[i] === (PERM_READ | PERM_WRITE)) setClass(classOf, reasonOf, i, CI['binary-bss'], bss);
  }
}

/** A guard page (---p, at most 64 KiB) directly below a rw-p stack: a pthread's stack. */
function classifyThreadStacks(maps: MemoryMaps, classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): void {
  const { count: n, start: starts, end: ends, perms, inode, name: nameOf, sizeKiB } = maps;
  const guard = reasons.of('guard page of the thread stack above it');
  for (let i = 1; i < n; i++) {
    if (perms[i - 1] !== 0 || perms[i] !== (PERM_READ | PERM_WRITE) || nameOf[i - 1] !== 0 || nameOf[i] !== 0 || inode[i - 1] !== 0 || inode[i] !== 0 || ends[i - 1] !== starts[i]) continue;
    const stack = sizeKiB[i]!;
    if (sizeKiB[i - 1]! > 64 || stack < 64 || stack > 64 * 1024) continue;
    setClass(classOf, reasonOf, i - 1, CI['thread-stack'], guard);
    setClass(classOf, reasonOf, i, CI['thread-stack'], reasons.of(`thread stack (${stack} KiB) with a guard page below: a pthread from cgo or a C library`));
  }
}

/** What is left: anonymous memory up in the mmap area of a Go process is runtime metadata; the rest is "other". */
function classifyRest(maps: MemoryMaps, isGo: boolean, anonName: readonly boolean[], classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): void {
  const { count: n, start: starts, perms, inode, name: nameOf } = maps;
  const metaReserved = reasons.of('reserved address space in a Go process outside the heap: runtime metadata reservations (page summaries, arena index)');
  const meta = reasons.of('anonymous memory in a Go process outside the heap arenas: runtime off-heap metadata (spans, GC bits, persistentalloc), or cgo mmaps');
  const other = reasons.of('anonymous memory with no other evidence of its owner');
  for (let i = 0; i < n; i++) {
    if (classOf[i] !== UNSET) continue;
    if (isGo && inode[i] === 0 && anonName[nameOf[i]!] && starts[i]! >= MMAP_AREA_N) setClass(classOf, reasonOf, i, CI['go-metadata'], (perms[i]! & 7) === 0 ? metaReserved : meta);
    else setClass(classOf, reasonOf, i, CI['anon-other'], other);
  }
}

/**
 * Sums per class in one typed array (class × key), in one sweep over the mappings that reads the
 * seven columns together: the additions for one mapping go to seven different sums, which the
 * processor overlaps, where a sweep per column made each addition wait for the one before it (the
 * neighbouring mappings are mostly of one class, so it added into the same sum).
 */
function sumByClass(maps: MemoryMaps, classOf: Uint8Array): { sums: Float64Array; counts: Float64Array } {
  const n = maps.count;
  const K = TOTAL_KEYS.length;
  const sums = new Float64Array(MEMORY_CLASSES.length * K);
  const counts = new Float64Array(MEMORY_CLASSES.length);
  const size = maps.sizeKiB;
  // TOTAL_KEYS is Size, then the six counters read below: a compile-time check that it still is.
  const layout: readonly ['Size', string, string, string, string, string, string] = TOTAL_KEYS;
  const columns = layout.slice(1).map((key) => maps.counterKeys.indexOf(key));
  // A counter the kernel did not print reads as a column of zeros.
  const zeros = columns.some((c) => c < 0) ? new Uint16Array(n) : null;
  const col = (j: number): CounterColumn => (columns[j]! < 0 ? zeros! : maps.counters[columns[j]!]!);
  const [c1, c2, c3, c4, c5, c6] = [col(0), col(1), col(2), col(3), col(4), col(5)] as const;
  const [a1, a2, a3, a4, a5, a6] = [c1, c2, c3, c4, c5, c6].map(counterAbsent) as [number, number, number, number, number, number];
  for (let i = 0; i < n; i++) {
    const c = classOf[i]!;
    const at = c * K;
    counts[c] = counts[c]! + 1;
    sums[at] = sums[at]! + size[i]!;
    const v1 = c1[i]!;
    const v2 = c2[i]!;
    const v3 = c3[i]!;
    const v4 = c4[i]!;
    const v5 = c5[i]!;
    const v6 = c6[i]!;
    sums[at + 1] = sums[at + 1]! + (v1 < a1 ? v1 : counterValue(maps, columns[0]!, i, v1, a1));
    sums[at + 2] = sums[at + 2]! + (v2 < a2 ? v2 : counterValue(maps, columns[1]!, i, v2, a2));
    sums[at + 3] = sums[at + 3]! + (v3 < a3 ? v3 : counterValue(maps, columns[2]!, i, v3, a3));
    sums[at + 4] = sums[at + 4]! + (v4 < a4 ? v4 : counterValue(maps, columns[3]!, i, v4, a4));
    sums[at + 5] = sums[at + 5]! + (v5 < a5 ? v5 : counterValue(maps, columns[4]!, i, v5, a5));
    sums[at + 6] = sums[at + 6]! + (v6 < a6 ? v6 : counterValue(maps, columns[5]!, i, v6, a6));
  }
  return { sums, counts };
}

/** A counter entry at or above its column's counterAbsent: 0 when absent, else from bigCounters. */
function counterValue(maps: MemoryMaps, column: number, row: number, raw: number, absent: number): number {
  return decodeCounter(raw, absent, row, column, maps.bigCounters) ?? 0;
}

/** Mapping i's Rss from its column, 0 when absent. */
function rssOf(maps: MemoryMaps, rss: CounterColumn, absent: number, column: number, i: number): number {
  const v = rss[i]!;
  return v < absent ? v : (decodeCounter(v, absent, i, column, maps.bigCounters) ?? 0);
}

/** Adjacent mappings of one class merged, in address order. */
function addressRegions(maps: MemoryMaps, classOf: Uint8Array): AddressRegion[] {
  const { count: n, start: starts, end: ends, sizeKiB } = maps;
  const rssColumn = maps.counterKeys.indexOf('Rss');
  // Without Rss (maps, not smaps), a column of zeros.
  const rss = rssColumn < 0 ? new Uint16Array(n) : maps.counters[rssColumn]!;
  const rssAbsent = counterAbsent(rss);
  const regions: AddressRegion[] = [];
  for (let i = 0; i < n; ) {
    const c = classOf[i]!;
    let j = i;
    let size = sizeKiB[i]!;
    let resident = rssOf(maps, rss, rssAbsent, rssColumn, i);
    while (j + 1 < n && classOf[j + 1] === c && starts[j + 1] === ends[j]) {
      j++;
      size += sizeKiB[j]!;
      resident += rssOf(maps, rss, rssAbsent, rssColumn, j);
    }
    regions.push({ start: BigInt(starts[i]!), end: BigInt(ends[j]!), class: MEMORY_CLASSES[c]!.id, mappings: j - i + 1, sizeKiB: size, rssKiB: resident });
    i = j + 1;
  }
  return regions;
}

export function classifyMemory(maps: MemoryMaps, opts: { isGo?: boolean; executable?: string } = {}): MemoryLayout {
  const n = maps.count;
  const { name: nameOf, names } = maps;
  const classOf = new Uint8Array(n).fill(UNSET);
  const reasonOf = new Uint32Array(n);
  const reasons = new Reasons();

  const anonName = names.map((nm) => nm === '' || nm.startsWith('[anon'));
  /** Anonymous and not named by the program: what Go heap arenas look like before Go 1.25. */
  const runName = names.map((nm) => nm === '' || (nm.startsWith('[anon') && !nm.startsWith('[anon:')));
  let executable = opts.executable ?? null;
  if (executable === null) {
    for (let i = 0; i < n && executable === null; i++) if (names[nameOf[i]!]!.startsWith('/')) executable = names[nameOf[i]!]!;
  }
  const exeIndex = executable === null ? -1 : names.indexOf(executable);

  // Anonymous runs: contiguous anonymous mappings; Go heap arenas are 64 MiB-aligned runs.
  const alignedRuns = alignedAnonymousRuns(maps, runName);
  const goNamed = names.some((nm) => nm.startsWith('[anon: Go:'));
  const lowArenas = alignedRuns.filter((r) => r.start < MMAP_AREA);
  const hinted = lowArenas.find((r) => (r.start & 0xffffffffffn) === 0xc000000000n);
  let isGo: boolean;
  let goEvidence: string;
  if (opts.isGo !== undefined) {
    isGo = opts.isGo;
    goEvidence = isGo ? 'the binary carries Go build info' : 'the binary has no Go build info';
  } else if (goNamed) {
    isGo = true;
    goEvidence = 'mappings named "[anon: Go: …]" (Go 1.25+)';
  } else if (hinted) {
    isGo = true;
    goEvidence = `an anonymous 64 MiB-aligned run at 0x${hinted.start.toString(16)}, a Go arena hint address`;
  } else if (lowArenas.length > 0) {
    isGo = true;
    goEvidence = `an anonymous 64 MiB-aligned run at 0x${lowArenas[0]!.start.toString(16)}, below the mmap area: Go 1.26's randomized heap base`;
  } else {
    isGo = false;
    goEvidence = 'no Go mapping names and no 64 MiB-aligned anonymous run below the mmap area';
  }

  // Binary: its file's mappings, then the anonymous bss right after its last one.
  const binaryEnd = exeIndex >= 0 ? classifyBinary(maps, exeIndex, classOf, reasonOf, reasons) : null;
  // Named and special mappings.
  classifyByName(maps, nameRules(names, executablePaths(maps, exeIndex, names), reasons), binaryEnd, classOf, reasonOf, reasons);

  // Go heap arenas.
  const perms = maps.perms;
  if (isGo) {
    for (const r of alignedRuns) {
      const mib = Number((r.end - r.start) / MiB);
      const where = r.start < MMAP_AREA ? ((r.start & 0xffffffffffn) === 0xc000000000n ? 'at a Go arena hint address' : 'below the mmap area (randomized heap base, Go 1.26+)') : 'in the mmap area';
      if (r.start >= MMAP_AREA && r.end - r.start === ARENA) continue; // one 64 MiB heap up high: glibc's malloc arena shape, decided below
      const reserved = reasons.of(`reserved, not yet used part of a Go heap arena run (${mib} MiB, 64 MiB-aligned, ${where})`);
      const used = reasons.of(`Go heap arena in use (run of ${mib} MiB, 64 MiB-aligned, ${where})`);
      for (let i = r.from; i <= r.to; i++) setClass(classOf, reasonOf, i, CI['go-heap'], (perms[i]! & 7) === 0 ? reserved : used);
    }
  }
  // glibc malloc heaps: a 64 MiB-aligned 64 MiB reservation, a rw- head and a --- tail.
  const mallocArena = reasons.of('a glibc malloc arena (64 MiB-aligned 64 MiB heap): C allocations from cgo or libc threads');
  for (const r of alignedRuns) {
    if (r.end - r.start !== ARENA || r.start < MMAP_AREA) continue;
    for (let i = r.from; i <= r.to; i++) setClass(classOf, reasonOf, i, CI['cgo-malloc'], mallocArena);
  }
  classifyThreadStacks(maps, classOf, reasonOf, reasons);
  classifyRest(maps, isGo, anonName, classOf, reasonOf, reasons);

  const { sums, counts } = sumByClass(maps, classOf);
  const K = TOTAL_KEYS.length;
  const zero = (): Record<TotalKey, number> => ({ Size: 0, Rss: 0, Pss: 0, Private_Dirty: 0, Swap: 0, LazyFree: 0, AnonHugePages: 0 });
  const grand = zero();
  const totals: { class: MemoryClass; mappings: number; kib: Totals }[] = [];
  MEMORY_CLASSES.forEach((c, ci) => {
    if (counts[ci] === 0) return;
    const kib = zero();
    TOTAL_KEYS.forEach((key, k) => {
      kib[key] = sums[ci * K + k]!;
      grand[key] += kib[key];
    });
    totals.push({ class: c.id, mappings: counts[ci]!, kib });
  });
  return { isGo, goEvidence, executable, classOf, reasonOf, reasons: reasons.list, totals, grandTotal: grand, regions: addressRegions(maps, classOf) };
}


/** Kept for the life of the module, as smaps.ts keeps a reader: see KEPT_FOR_COMPILED_CODE there. */
const keptReasons = new Reasons();
export const KEPT_REASONS = { reasons: keptReasons, rules: nameRules(['', '/bin/x'], new Uint8Array(2), keptReasons) };

/**
 * Classifies each mapping of /proc/PID/smaps (or maps) by its owner, with a
 * one-line reason, and totals the counters per class. A mapping is given a
 * Go class only on evidence: Go 1.25+ names ("[anon: Go: heap]"), the
 * first bytes of a candidate read through /proc/PID/mem (glibc's heap_info
 * header or mmapped-chunk header says C malloc; anything else at a 64 MiB
 * boundary says Go), the Go 1.26 heap's reserved head, Go's arena hint
 * addresses before 1.26, a process with no C allocator, and for what is left
 * the runtime's own total (MemStats). A mapping that cannot be told apart is
 * "unknown anonymous", never a Go class. Facts: ../shared/reference/go-runtime-facts.md §6.
 */
import type { MemProbe, MemProbes } from '../parsers/memProbes';
import { counterAbsent, decodeCounter, PERM_EXEC, PERM_READ, PERM_SHARED, PERM_WRITE, type CounterColumn, type MemoryMaps } from '../parsers/smaps';

export type MemoryClass = 'go-heap' | 'go-metadata' | 'go-stacks' | 'c-malloc' | 'thread-stacks' | 'binary' | 'shared-libraries' | 'file' | 'shm' | 'kernel' | 'anon-unknown';

/** Every class, in the order views list them; `go` marks the classes MemStats accounts for. */
export const MEMORY_CLASSES: readonly { readonly id: MemoryClass; readonly label: string; readonly go: boolean }[] = [
  { id: 'go-heap', label: 'Go heap arenas', go: true },
  { id: 'go-metadata', label: 'Go off-heap metadata', go: true },
  { id: 'go-stacks', label: 'goroutine stacks outside the arenas', go: true },
  { id: 'c-malloc', label: 'glibc malloc arenas and brk heap', go: false },
  { id: 'thread-stacks', label: 'thread stacks and guard pages', go: false },
  { id: 'binary', label: 'binary', go: false },
  { id: 'shared-libraries', label: 'shared libraries', go: false },
  { id: 'file', label: 'file mappings', go: false },
  { id: 'shm', label: 'shared memory', go: false },
  { id: 'kernel', label: 'vdso, vvar, vsyscall', go: false },
  { id: 'anon-unknown', label: 'unknown anonymous', go: false },
];

/** Size and the six counters, then Reserved: the Size of mappings with no access at all (---p), address space only. */
export const TOTAL_KEYS = ['Size', 'Rss', 'Pss', 'Private_Dirty', 'Swap', 'LazyFree', 'AnonHugePages', 'Reserved'] as const;
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
  /** Per class present, in MEMORY_CLASSES order. */
  readonly totals: readonly { readonly class: MemoryClass; readonly mappings: number; readonly kib: Totals }[];
  readonly grandTotal: Totals;
  /** Adjacent mappings of one class merged, in address order: the address-space strip. */
  readonly regions: readonly AddressRegion[];
  /** Parts of mappings counted in another class than their mapping's (see MappingPart). */
  readonly parts: readonly MappingPart[];
  /** What the memory probes (proc/mem-probes.json) told, in a line: how many read, how many glibc heaps. */
  readonly probeSummary: string;
}

/** The layout with a record per mapping in place of the columns: what dumps and JSON output show. */
export function layoutRecord(layout: MemoryLayout) {
  const { isGo, goEvidence, executable, totals, grandTotal, regions, parts, probeSummary } = layout;
  const mappings = Array.from({ length: layout.classOf.length }, (_, i) => classifiedAt(layout, i));
  return { isGo, goEvidence, executable, probeSummary, mappings, totals, grandTotal, parts, regions };
}

/** Mapping `index`'s class and reason as a record. */
export function classifiedAt(layout: MemoryLayout, index: number): ClassifiedMapping {
  return { index, class: MEMORY_CLASSES[layout.classOf[index]!]!.id, reason: layout.reasons[layout.reasonOf[index]!]! };
}

const MiB = 1024 * 1024;
const mibText = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
/** Go heap arenas (heapArenaBytes on 64-bit Linux) and glibc's non-main malloc heaps (HEAP_MAX_SIZE) are both 64 MiB, aligned to it. */
const ARENA = 64 * MiB;
/** A guard page (or a few) below a thread stack. */
const GUARD_MAX = 64 * 1024;
/** glibc serves requests from this size on with a mapping of their own (DEFAULT_MMAP_THRESHOLD_MIN). */
const MMAP_THRESHOLD_MIN = 128 * 1024;
/** sizeof(heap_info): four words before glibc 2.35, five (pagesize) and padding from 2.35. */
const HEAP_INFO_SIZES = [32, 48] as const;

/**
 * The runtime's page-allocator reservations on 64-bit Linux (heapAddrBits 48): the page summaries
 * (levels of 2^14, 2^17, 2^20, 2^23 and 2^26 eight-byte entries, 585.1 MiB) and, from Go 1.21, the
 * scavenge index (2^26 eight-byte entries, 512 MiB). PROT_NONE until parts are used.
 */
export const GO_RESERVATION_BYTES = (2 ** 14 + 2 ** 17 + 2 ** 20 + 2 ** 23 + 2 ** 26) * 8 + 2 ** 26 * 8;
/** The arena index (the L2 map, 2^22 eight-byte entries on 64-bit Linux): mapped read-write, counted by no MemStats field. */
export const GO_HEAP_INDEX_BYTES = 2 ** 22 * 8;

/** Go ≤ 1.25 puts its heap at these hints: i<<40 | 0x00c000000000 for i in 0..0x7f (amd64); arm64 uses 0x0040<<32. */
function isArenaHint(start: number): boolean {
  const low = start % 2 ** 40;
  const i = Math.floor(start / 2 ** 40);
  return i <= 0x7f && (low === 0xc000000000 || low === 0x4000000000);
}

/**
 * For a process whose build info is not at hand, among the open anonymous mappings on a 64 MiB
 * boundary: one of 4 MiB or more at a Go arena hint address (Go 1.25 and older), or a reserved
 * head followed by read-write memory, the rest of the 64 MiB still reserved (Go 1.26 randomizes
 * its heap base this way).
 */
function goHeapSigns(maps: MemoryMaps, aligned: readonly number[]): { hinted: number | null; randomized: number | null } {
  const { count: n, start: starts, end: ends, perms, inode, name: nameOf } = maps;
  let hinted: number | null = null;
  let randomized: number | null = null;
  for (const i of aligned) {
    if (hinted === null && ends[i]! - starts[i]! >= 4 * MiB && isArenaHint(starts[i]!)) hinted = starts[i]!;
    else if (randomized === null && perms[i] === 0 && i + 1 < n && starts[i + 1] === ends[i] && perms[i + 1] === (PERM_READ | PERM_WRITE) && inode[i + 1] === 0 && nameOf[i + 1] === 0) {
      let j = i + 1;
      while (j + 1 < n && starts[j + 1] === ends[j] && inode[j + 1] === 0 && nameOf[j + 1] === 0) j++;
      if (ends[j]! - starts[i]! >= ARENA) randomized = starts[i]!;
    }
  }
  return { hinted, randomized };
}

const GO_NAME_CLASS: Readonly<Record<string, MemoryClass>> = {
  heap: 'go-heap',
  'heap reservation': 'go-heap',
  'user arena chunk': 'go-heap',
  // sysUnusedOS/sysUsedOS rename heap pages they remap (harddecommit, or no MADV_DONTNEED).
  unused: 'go-heap',
  used: 'go-heap',
  'goroutine stack (system)': 'go-stacks',
  'OS thread stack': 'go-stacks',
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

/** The executable's own mappings; returns the end of its last one (where bss follows). */
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
    setClass(classOf, reasonOf, i, CI.binary, p & PERM_EXEC ? text : p & PERM_WRITE ? data : p & PERM_READ ? rodata : none);
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
  /** Per name, the reason for a library's bss (the anonymous mapping right after its last one). */
  readonly bssReason: readonly number[];
}

/** What each distinct name says, computed once: 100,000 mappings share a few names. */
function nameRules(names: readonly string[], isLib: Uint8Array, reasons: Reasons): NameRules {
  const fixedClass = new Array<number>(names.length).fill(0);
  const fixedReason = new Array<number>(names.length).fill(0);
  const bssReason = new Array<number>(names.length).fill(0);
  const rules = names.map((nm, k): NameRule => {
    const fix = (c: MemoryClass, reason: string) => {
      fixedClass[k] = CI[c];
      fixedReason[k] = reasons.of(reason);
      return NameRule.Fixed;
    };
    if (nm === '') return NameRule.Unnamed;
    if (nm === '[vdso]' || nm === '[vvar]' || nm === '[vvar_vclock]' || nm === '[vsyscall]') return fix('kernel', `${nm}: mapped by the kernel for fast system calls`);
    if (nm === '[stack]') return fix('thread-stacks', 'the main thread stack');
    if (nm === '[heap]') return fix('c-malloc', "the brk heap: glibc malloc's main arena (libc or cgo code); the Go heap never uses brk");
    const go = nm.startsWith('[anon') ? /^\[anon: Go: (.*)\]$/.exec(nm) : null;
    if (go) return fix(GO_NAME_CLASS[go[1]!] ?? 'go-metadata', `named by the Go runtime: "${go[1]}"`);
    const anon = nm.startsWith('[anon') ? /^\[anon: ?(.*)\]$/.exec(nm) : null;
    if (anon) return fix(/malloc|glibc/i.test(anon[1]!) ? 'c-malloc' : 'anon-unknown', `named by the program: "${anon[1]}"`);
    if (nm.startsWith('/dev/shm/') || nm.startsWith('/SYSV') || nm.startsWith('/memfd:')) return NameRule.ShmObject;
    if (isLib[k]) {
      const base = nm.slice(nm.lastIndexOf('/') + 1);
      fixedReason[k] = reasons.of(`part of the shared library ${base}`);
      bssReason[k] = reasons.of(`zero-initialised data (bss) of the shared library ${base}, right after it`);
      return NameRule.SharedLibrary;
    }
    if (nm.startsWith('/')) return NameRule.File;
    fixedReason[k] = reasons.of(`kernel-named mapping ${nm}`);
    return nm.startsWith('[') ? NameRule.Bracketed : NameRule.Other;
  });
  return { rules, fixedClass, fixedReason, bssReason };
}

/** Named, shared, file-backed and bss mappings, from the name rules, permissions and inode. */
function classifyByName(maps: MemoryMaps, r: NameRules, binaryEnd: number | null, classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): void {
  const { count: n, start: starts, end: ends, perms, inode, name: nameOf } = maps;
  const { rules, fixedClass, fixedReason, bssReason } = r;
  const sharedMapping = reasons.of('a shared mapping');
  const shmObject = reasons.of('shared memory object');
  const fileMapped = reasons.of('a file mapped into memory');
  const bss = reasons.of('zero-initialised data (bss) of the program binary, right after it');
  for (let i = 0; i < n; i++) {
    if (classOf[i] !== UNSET) continue;
    const k = nameOf[i]!;
    const rule = rules[k]!;
    if (rule === NameRule.Fixed) setClass(classOf, reasonOf, i, fixedClass[k]!, fixedReason[k]!);
    else if (perms[i]! & PERM_SHARED) setClass(classOf, reasonOf, i, CI.shm, sharedMapping);
    else if (rule === NameRule.ShmObject) setClass(classOf, reasonOf, i, CI.shm, shmObject);
    else if (rule === NameRule.SharedLibrary) {
      setClass(classOf, reasonOf, i, CI['shared-libraries'], fixedReason[k]!);
      // Its bss: the read-write anonymous mapping right after its writable one. Set ahead here, in
      // this rare branch, rather than tested for on every mapping.
      if (perms[i]! & PERM_WRITE && i + 1 < n && nameOf[i + 1] === 0 && inode[i + 1] === 0 && perms[i + 1] === (PERM_READ | PERM_WRITE) && starts[i + 1] === ends[i])
        setClass(classOf, reasonOf, i + 1, CI['shared-libraries'], bssReason[k]!);
    } else if (rule === NameRule.File || inode[i] !== 0) setClass(classOf, reasonOf, i, CI.file, fileMapped);
    else if (rule === NameRule.Bracketed) setClass(classOf, reasonOf, i, CI['anon-unknown'], fixedReason[k]!);
    else if (binaryEnd !== null && starts[i] === binaryEnd && perms[i] === (PERM_READ | PERM_WRITE)) setClass(classOf, reasonOf, i, CI.binary, bss);
  }
}

/** Whether mapping i is anonymous, private, unnamed by anyone and not yet classed. */
function openAnon(maps: MemoryMaps, classOf: Uint8Array, i: number): boolean {
  return classOf[i] === UNSET && maps.inode[i] === 0 && maps.name[i] === 0 && maps.perms[i]! < PERM_SHARED;
}

/**
 * The mappings that start on a 64 MiB boundary and are open anonymous ones, in a small loop of its
 * own: a division and a floor, not a modulo of doubles (a call into the runtime), for each mapping.
 */
function alignedOpenAnon(maps: MemoryMaps, classOf: Uint8Array): number[] {
  const { count: n, start: starts } = maps;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = starts[i]! / ARENA;
    if (q === Math.floor(q) && openAnon(maps, classOf, i)) out.push(i);
  }
  return out;
}

/**
 * glibc's heap_info at the start of a non-main arena's heap: ar_ptr just past the header in the
 * first heap (prev 0), or in the first heap of another 64 MiB-aligned heap (prev set); size and
 * mprotect_size page multiples of at most 64 MiB. mprotect_size is the read-write head's length
 * when both are read at once; the probes come a moment after the maps, and under load the heap
 * grows or shrinks in between, so it is not held to the mapping's length.
 */
function isGlibcHeap(p: MemProbe | undefined, start: number): boolean {
  const w = p?.words;
  if (!w || w.length < 4) return false;
  const [arPtr, prev, size, mprotect] = w as [number, number, number, number];
  const pages = (x: number) => x > 0 && x % 4096 === 0 && x <= ARENA;
  if (!pages(size) || !pages(mprotect) || size > mprotect) return false;
  if (prev === 0) return HEAP_INFO_SIZES.some((h) => arPtr === start + h);
  return prev % ARENA === 0 && HEAP_INFO_SIZES.some((h) => arPtr % ARENA === h);
}

/** A glibc mmapped chunk: prev_size 0, then the mapping's own size with IS_MMAPPED (2) and no other flag. */
function isGlibcMmappedChunk(p: MemProbe | undefined, bytes: number): boolean {
  const w = p?.words;
  return !!w && w.length >= 2 && w[0] === 0 && w[1] === bytes + 2;
}

/** What the probe of a candidate at `start` says, or why there is none: for reasons. */
function probeState(probes: MemProbes | null, byAddress: ReadonlyMap<number, MemProbe>, start: number): string {
  if (!probes) return 'the session has no memory probes (proc/mem-probes.json), so its first bytes were not read';
  if (probes.skipped) return `its first bytes were not read: ${probes.skipped}`;
  const p = byAddress.get(start);
  if (!p) return `its first bytes were not read (it was not among the ${probes.probes.length} probes taken)`;
  if (p.error) return `its first bytes could not be read (${p.error})`;
  return 'its first bytes are neither a glibc heap_info header nor a glibc chunk header';
}

interface HeapContext {
  readonly isGo: boolean;
  /** A glibc is mapped (libc.so.6): glibc malloc heaps are possible. */
  readonly glibc: boolean;
  /** Go ≤ 1.25 or unknown: the arena hint addresses are the runtime's. */
  readonly hintsApply: boolean;
  readonly probes: MemProbes | null;
  readonly byAddress: ReadonlyMap<number, MemProbe>;
}

/**
 * The 64 MiB-aligned anonymous mappings, each the start of a glibc malloc heap or of a Go arena
 * reservation (or neither). Each is decided on its own: probes first, then shapes and addresses.
 */
function classifyHeaps(maps: MemoryMaps, candidates: readonly number[], h: HeapContext, classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): number {
  const { count: n, start: starts, end: ends, perms } = maps;
  let glibcHeaps = 0;
  // A candidate classes only mappings before the next open candidate, so a run found for one
  // candidate still ends where it did for the next one inside it: one scan per run, not per candidate.
  let runFrom = -1;
  let runTo = -1;
  for (const i of candidates) {
    if (!openAnon(maps, classOf, i)) continue;
    const start = starts[i]!;
    // The contiguous open anonymous mappings from here, and the whole arenas they cover.
    if (i < runFrom || i > runTo) {
      runFrom = i;
      runTo = i;
      while (runTo + 1 < n && starts[runTo + 1] === ends[runTo] && openAnon(maps, classOf, runTo + 1)) runTo++;
    }
    const last = runTo;
    const arenas = Math.floor((ends[last]! - start) / ARENA);
    const readable = (perms[i]! & PERM_READ) !== 0;
    const probe = h.byAddress.get(start);
    const head = ends[i]! - start;
    if (readable && isGlibcMmappedChunk(probe, head)) {
      setClass(classOf, reasonOf, i, CI['c-malloc'], reasons.of('a block glibc malloc served with a mapping of its own: its first bytes are a chunk header with its size and IS_MMAPPED'));
      continue;
    }
    if (readable && isGlibcHeap(probe, start)) {
      const why = reasons.of('a glibc malloc heap (a non-main arena): its first bytes are a heap_info header; a read-write head, the rest of its 64 MiB reserved');
      for (let j = i; j <= last && starts[j]! < start + ARENA; j++) setClass(classOf, reasonOf, j, CI['c-malloc'], why);
      glibcHeaps++;
      continue;
    }
    if (arenas < 1) continue;
    const limit = start + arenas * ARENA;
    // Heaps are read-write or reserved, nothing else (the runtime never maps its heap read-only):
    // a run of other mappings that happens to start on a boundary is left to the rules below.
    let heapLike = true;
    for (let j = i; j <= last && starts[j]! < limit && heapLike; j++) heapLike = perms[j] === 0 || perms[j] === (PERM_READ | PERM_WRITE);
    if (!heapLike) continue;
    const glibcShaped = readable && head <= ARENA && (last === i ? head === ARENA : perms[i + 1] === 0);
    const goShape126 = !readable && i < last && (perms[i + 1]! & PERM_READ) !== 0 && head < ARENA;
    let cls: number;
    let why: string;
    if (h.isGo && readable && probe?.words) {
      cls = CI['go-heap'];
      why = 'a Go heap arena: 64 MiB-aligned, and its first bytes are no glibc heap_info header';
    } else if (h.isGo && goShape126) {
      cls = CI['go-heap'];
      why = "a Go heap arena: 64 MiB-aligned reservation with a reserved head before the heap (Go 1.26's randomized heap base; glibc heaps start read-write)";
    } else if (h.isGo && h.hintsApply && isArenaHint(start)) {
      cls = CI['go-heap'];
      why = `a Go heap arena at the runtime's arena hint address 0x${start.toString(16)} (Go 1.25 and older)`;
    } else if (h.isGo && !h.glibc) {
      cls = CI['go-heap'];
      why = 'a Go heap arena: 64 MiB-aligned, in a Go process with no glibc mapped (no C malloc heaps)';
    } else if (!h.isGo && glibcShaped) {
      cls = CI['c-malloc'];
      why = 'a glibc malloc heap by its shape (64 MiB-aligned, read-write head, reserved tail) in a process without a Go runtime';
    } else if (h.isGo) {
      cls = CI['anon-unknown'];
      why = `64 MiB-aligned anonymous memory, shaped like both a Go heap arena and a glibc malloc heap; ${probeState(h.probes, h.byAddress, start)}`;
    } else continue;
    const reason = reasons.of(why);
    // A later aligned mapping that the probe shows is a glibc heap starts a heap of its own.
    for (let j = i; j <= last && starts[j]! < limit; j++) {
      if (j > i && h.byAddress.size > 0 && isGlibcHeap(h.byAddress.get(starts[j]!), starts[j]!)) break;
      setClass(classOf, reasonOf, j, cls, reason);
    }
  }
  return glibcHeaps;
}

/**
 * A known part of one mapping that belongs to another class than the mapping: the kernel merges
 * neighbouring anonymous mappings with the same protections into one, so a thread stack and the
 * memory mapped just above it, or glibc's mmapped blocks and what follows them, can be one line of
 * smaps. The part's size is known (the stack size, the chunk headers); its residency is not, so a
 * part moves mapped bytes between the class totals and leaves Rss with the mapping's class.
 */
export interface MappingPart {
  readonly index: number;
  readonly class: MemoryClass;
  readonly bytes: number;
  readonly why: string;
}

/** glibc mmapped chunk headers from `start` on while they tile the mapping: the bytes they cover. */
function chunkChain(byAddress: ReadonlyMap<number, MemProbe>, start: number, end: number): number {
  let at = start;
  for (let p = byAddress.get(at); p?.words && p.words.length >= 2 && p.words[0] === 0 && p.words[1]! % 4096 === 2 && at + p.words[1]! - 2 <= end; p = byAddress.get(at)) at += p.words[1]! - 2;
  return at - start;
}

/**
 * The next addresses to probe: after a glibc mmapped chunk header whose block ends inside the same
 * mapping (the kernel merged it with what follows), the header of whatever comes next.
 */
export function nextChunkProbes(maps: MemoryMaps, probes: readonly MemProbe[]): number[] {
  const { count: n, start: starts, end: ends } = maps;
  const byAddress = new Map(probes.map((p) => [p.address, p]));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!byAddress.has(starts[i]!)) continue;
    const covered = chunkChain(byAddress, starts[i]!, ends[i]!);
    const next = starts[i]! + covered;
    if (covered > 0 && next < ends[i]! && !byAddress.has(next)) out.push(next);
  }
  return out;
}

/** glibc's mmapped chunks: mappings whose probed first bytes are chunk headers tiling them, wholly or in part. */
function classifyMmappedChunks(maps: MemoryMaps, byAddress: ReadonlyMap<number, MemProbe>, parts: MappingPart[], classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): number {
  if (byAddress.size === 0) return 0;
  const { count: n, start: starts, end: ends, perms } = maps;
  const whole = reasons.of('blocks glibc malloc served with mappings of their own: the probed first bytes are chunk headers (size, IS_MMAPPED) that tile the mapping');
  let found = 0;
  for (let i = 0; i < n; i++) {
    if (!byAddress.has(starts[i]!) || perms[i] !== (PERM_READ | PERM_WRITE) || !openAnon(maps, classOf, i)) continue;
    const covered = chunkChain(byAddress, starts[i]!, ends[i]!);
    if (covered === 0) continue;
    found++;
    if (covered === ends[i]! - starts[i]!) setClass(classOf, reasonOf, i, CI['c-malloc'], whole);
    else
      parts.push({
        index: i,
        class: 'c-malloc',
        bytes: covered,
        why: `its first ${mibText(covered)} are blocks glibc malloc mmapped (chunk headers read there), which the kernel merged with the mapping that follows`,
      });
  }
  return found;
}

/**
 * Thread stacks: a guard page (---p, at most 64 KiB) directly below a rw-p stack of 64 KiB to
 * 64 MiB; or a stack whose guard the kernel merged into the reserved tail of a heap just below it.
 * A "stack" larger than the process's usual stack size (the most common one) is a stack the
 * kernel merged with the memory above it: the stack becomes a part, and the mapping is left to the
 * rules that follow. One pass finds the pairs; the few pairs are then decided.
 */
function classifyThreadStacks(maps: MemoryMaps, parts: MappingPart[], classOf: Uint8Array, reasonOf: Uint32Array, reasons: Reasons): void {
  const { count: n, start: starts, end: ends, perms, inode, name: nameOf } = maps;
  const pairs: number[] = [];
  for (let i = 1; i < n; i++) {
    if (
      perms[i] !== (PERM_READ | PERM_WRITE) ||
      perms[i - 1] !== 0 ||
      nameOf[i - 1] !== 0 ||
      nameOf[i] !== 0 ||
      inode[i - 1] !== 0 ||
      inode[i] !== 0 ||
      ends[i - 1] !== starts[i] ||
      classOf[i] !== UNSET
    )
      continue;
    if (ends[i]! - starts[i]! >= 64 * 1024) pairs.push(i);
  }
  if (pairs.length === 0) return;
  const seen = new Map<number, number>();
  for (const i of pairs) if (classOf[i - 1] === UNSET && ends[i]! - starts[i]! <= ARENA) seen.set(ends[i]! - starts[i]!, (seen.get(ends[i]! - starts[i]!) ?? 0) + 1);
  let usual = 8 * MiB;
  let most = 0;
  for (const [bytes, c] of seen) if (c > most || (c === most && bytes < usual)) [usual, most] = [bytes, c];
  const guard = reasons.of('guard page of the thread stack above it');
  const merged = reasons.of('thread stack: its guard page is the top of the reserved mapping below, which the kernel merged with it');
  const c = CI['c-malloc'];
  const g = CI['go-heap'];
  for (const i of pairs) {
    const bytes = ends[i]! - starts[i]!;
    const below = classOf[i - 1]!;
    const offset = starts[i]! - Math.floor(starts[i]! / ARENA) * ARENA;
    const ownGuard = below === UNSET && ends[i - 1]! - starts[i - 1]! <= GUARD_MAX;
    const mergedGuard = (below === c || below === g) && offset > 0 && offset <= GUARD_MAX && starts[i - 1]! < starts[i]! - offset;
    if (!ownGuard && !mergedGuard) continue;
    if (ownGuard) setClass(classOf, reasonOf, i - 1, CI['thread-stacks'], guard);
    if (bytes > usual && bytes - usual >= 64 * 1024)
      parts.push({
        index: i,
        class: 'thread-stacks',
        bytes: usual,
        why: `its first ${mibText(usual)} above the guard page are a thread stack (the process's usual stack size), which the kernel merged with the ${mibText(bytes - usual)} mapped above it`,
      });
    else if (bytes <= ARENA)
      setClass(classOf, reasonOf, i, CI['thread-stacks'], ownGuard ? reasons.of(`thread stack (${bytes / 1024} KiB) with a guard page below: a pthread (cgo, or a C library)`) : merged);
  }
}

/** Provisional classes of what no rule claimed, usable and reserved, decided once their totals are known. */
const LEFT_USABLE = MEMORY_CLASSES.length;
const LEFT_RESERVED = MEMORY_CLASSES.length + 1;

/**
 * Every mapping still without a class gets a provisional class by its permissions, and the
 * anonymous ones are totalled in the same pass (bytes): what decides their class.
 */
function classifyRest(maps: MemoryMaps, classOf: Uint8Array, reasonOf: Uint32Array, usableReason: number, reservedReason: number): { usable: number; reserved: number; mappings: number } {
  const { count: n, start: starts, end: ends, perms } = maps;
  let usable = 0;
  let reserved = 0;
  let mappings = 0;
  for (let i = 0; i < n; i++) {
    if (classOf[i] !== UNSET) continue;
    mappings++;
    if (perms[i] === 0) {
      classOf[i] = LEFT_RESERVED;
      reasonOf[i] = reservedReason;
      reserved += ends[i]! - starts[i]!;
    } else {
      classOf[i] = LEFT_USABLE;
      reasonOf[i] = usableReason;
      usable += ends[i]! - starts[i]!;
    }
  }
  return { usable, reserved, mappings };
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
  const sums = new Float64Array((MEMORY_CLASSES.length + 2) * K);
  const counts = new Float64Array(MEMORY_CLASSES.length + 2);
  const size = maps.sizeKiB;
  // TOTAL_KEYS is Size, the six counters read below, then Reserved (reservedByClass): a compile-time check that it still is.
  const layout: readonly ['Size', string, string, string, string, string, string, 'Reserved'] = TOTAL_KEYS;
  const columns = layout.slice(1, 7).map((key) => maps.counterKeys.indexOf(key));
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

/**
 * The Reserved sums (the last key), in a pass of their own, called by classifyMemory: not in
 * sumByClass's loop, and not called from sumByClass after it, where the call had no type
 * feedback when the loop's compiled code reached it and threw that code away on every run.
 */
function reservedByClass(maps: MemoryMaps, classOf: Uint8Array, sums: Float64Array): void {
  const { count: n, perms, sizeKiB } = maps;
  const K = TOTAL_KEYS.length;
  for (let i = 0; i < n; i++) if (perms[i] === 0) sums[classOf[i]! * K + 7] = sums[classOf[i]! * K + 7]! + sizeKiB[i]!;
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

/** Adjacent mappings of one class merged, in address order; provisional classes are written as their final ones (finalOf) on the way. */
function addressRegions(maps: MemoryMaps, classOf: Uint8Array, finalOf: Uint8Array): AddressRegion[] {
  const { count: n, start: starts, end: ends, sizeKiB } = maps;
  const rssColumn = maps.counterKeys.indexOf('Rss');
  // Without Rss (maps, not smaps), a column of zeros.
  const rss = rssColumn < 0 ? new Uint16Array(n) : maps.counters[rssColumn]!;
  const rssAbsent = counterAbsent(rss);
  const regions: AddressRegion[] = [];
  for (let i = 0; i < n;) {
    const c = finalOf[classOf[i]!]!;
    classOf[i] = c;
    let j = i;
    let size = sizeKiB[i]!;
    let resident = rssOf(maps, rss, rssAbsent, rssColumn, i);
    while (j + 1 < n && finalOf[classOf[j + 1]!] === c && starts[j + 1] === ends[j]) {
      j++;
      classOf[j] = c;
      size += sizeKiB[j]!;
      resident += rssOf(maps, rss, rssAbsent, rssColumn, j);
    }
    regions.push({ start: BigInt(starts[i]!), end: BigInt(ends[j]!), class: MEMORY_CLASSES[c]!.id, mappings: j - i + 1, sizeKiB: size, rssKiB: resident });
    i = j + 1;
  }
  return regions;
}

export interface ClassifyOptions {
  /** Whether the process runs Go (from its build info); found from the mappings when absent. */
  readonly isGo?: boolean;
  readonly executable?: string;
  /** The Go release's minor version (1.x), when known: before 1.26 the runtime puts its heap at fixed hint addresses. */
  readonly goMinor?: number | null;
  /** The first bytes of candidate mappings (proc/mem-probes.json), when the session has them. */
  readonly probes?: MemProbes | null;
  /**
   * What the Go runtime says it mapped outside its heap arenas, in bytes (MemStats: Sys − HeapSys −
   * StackInuse, plus the arena index): anonymous memory left over is the runtime's only when its
   * total fits in this, within `tolerance` bytes.
   */
  readonly goOffHeap?: { readonly bytes: number; readonly tolerance: number; readonly what: string } | null;
}

export function classifyMemory(maps: MemoryMaps, opts: ClassifyOptions = {}): MemoryLayout {
  const n = maps.count;
  const { name: nameOf, names } = maps;
  const classOf = new Uint8Array(n).fill(UNSET);
  const reasonOf = new Uint32Array(n);
  const reasons = new Reasons();

  let executable = opts.executable ?? null;
  if (executable === null) {
    for (let i = 0; i < n && executable === null; i++) if (names[nameOf[i]!]!.startsWith('/')) executable = names[nameOf[i]!]!;
  }
  const exeIndex = executable === null ? -1 : names.indexOf(executable);

  // Binary: its file's mappings, then the anonymous bss right after its last one.
  const binaryEnd = exeIndex >= 0 ? classifyBinary(maps, exeIndex, classOf, reasonOf, reasons) : null;
  // Named and special mappings, and the bss of the binary and of each library.
  classifyByName(maps, nameRules(names, executablePaths(maps, exeIndex, names), reasons), binaryEnd, classOf, reasonOf, reasons);

  // The open anonymous mappings on a 64 MiB boundary: heaps, Go's or glibc's, and the signs of Go.
  const aligned = alignedOpenAnon(maps, classOf);
  const goNamed = names.some((nm) => nm.startsWith('[anon: Go:'));
  let isGo: boolean;
  let goEvidence: string;
  if (opts.isGo !== undefined) {
    isGo = opts.isGo;
    goEvidence = isGo ? 'the binary carries Go build info' : 'the binary has no Go build info';
  } else if (goNamed) {
    isGo = true;
    goEvidence = 'mappings named "[anon: Go: …]" (Go 1.25+)';
  } else {
    const { hinted, randomized } = goHeapSigns(maps, aligned);
    isGo = hinted !== null || randomized !== null;
    if (hinted !== null) goEvidence = `an anonymous mapping at 0x${hinted.toString(16)}, a Go arena hint address`;
    else if (randomized !== null) goEvidence = `a 64 MiB-aligned reservation at 0x${randomized.toString(16)} with a reserved head before read-write memory: Go 1.26's randomized heap base`;
    else goEvidence = 'no Go build info given, no Go mapping names, and no mapping at a Go arena hint address or shaped like a Go 1.26 heap';
  }

  const probes = opts.probes ?? null;
  const byAddress = new Map<number, MemProbe>();
  for (const p of probes?.probes ?? []) byAddress.set(p.address, p);
  const glibc = names.some((nm) => /\/libc(\.so\.6|-2\.\d+\.so)$/.test(nm));
  const hintsApply = opts.goMinor === undefined || opts.goMinor === null || opts.goMinor < 26;
  const glibcHeaps = classifyHeaps(maps, aligned, { isGo, glibc, hintsApply, probes, byAddress }, classOf, reasonOf, reasons);
  const parts: MappingPart[] = [];
  const chunks = classifyMmappedChunks(maps, byAddress, parts, classOf, reasonOf, reasons);
  classifyThreadStacks(maps, parts, classOf, reasonOf, reasons);

  // What is left: in a Go process, the runtime's off-heap metadata when the total fits what the
  // runtime says it mapped; otherwise nobody's that we can name. Classed provisionally while it is
  // totalled, decided after; the two provisional reasons are entries of their own whose text is
  // written once decided.
  const usableReason = reasons.list.push('') - 1;
  const reservedReason = reasons.list.push('') - 1;
  const left = classifyRest(maps, classOf, reasonOf, usableReason, reservedReason);
  for (const p of parts) if (classOf[p.index] === LEFT_USABLE) left.usable -= p.bytes;
  let usable: { c: number; reason: string } = { c: CI['anon-unknown'], reason: 'anonymous memory with no evidence of its owner' };
  let reserved: { c: number; reason: string } = { c: CI['anon-unknown'], reason: 'reserved address space (---p) with no evidence of its owner' };
  if (isGo && !goNamed) {
    const off = opts.goOffHeap ?? null;
    const what = `${mibText(left.usable)} in ${left.mappings} mapping${left.mappings === 1 ? '' : 's'}`;
    if (off === null)
      usable = {
        c: usable.c,
        reason: `anonymous memory outside the heap arenas (${what} in all): with no Go mapping names and no MemStats to reconcile with, the runtime's metadata cannot be told from other anonymous memory`,
      };
    else if (left.usable <= off.bytes + off.tolerance)
      usable = {
        c: CI['go-metadata'],
        reason: `Go off-heap metadata: anonymous memory outside the heap arenas, ${what} in all, within what the runtime says it mapped there (${mibText(off.bytes)}: ${off.what})`,
      };
    else
      usable = {
        c: usable.c,
        reason: `anonymous memory outside the heap arenas, ${what} in all: more than the runtime's off-heap metadata (${mibText(off.bytes)}: ${off.what}) by ${mibText(left.usable - off.bytes)}, so other code mapped some of it, and without Go mapping names the runtime's part cannot be told apart`,
      };
    if (left.reserved <= GO_RESERVATION_BYTES)
      reserved = {
        c: CI['go-metadata'],
        reason: `reserved address space (---p, ${mibText(left.reserved)} in all) within the runtime's page-allocator reservations (page summaries and scavenge index, ${mibText(GO_RESERVATION_BYTES)} on 64-bit Linux)`,
      };
    else
      reserved = {
        c: reserved.c,
        reason: `reserved address space (---p), ${mibText(left.reserved)} in all: more than the runtime's page-allocator reservations (${mibText(GO_RESERVATION_BYTES)}), so its owners cannot be told apart`,
      };
  }
  reasons.list[usableReason] = usable.reason;
  reasons.list[reservedReason] = reserved.reason;
  const finalOf = new Uint8Array(MEMORY_CLASSES.length + 2).map((_, c) => c);
  finalOf[LEFT_USABLE] = usable.c;
  finalOf[LEFT_RESERVED] = reserved.c;

  const { sums, counts } = sumByClass(maps, classOf);
  reservedByClass(maps, classOf, sums);
  const K = TOTAL_KEYS.length;
  for (const from of [LEFT_USABLE, LEFT_RESERVED]) {
    const to = finalOf[from]!;
    counts[to] = counts[to]! + counts[from]!;
    for (let k = 0; k < K; k++) sums[to * K + k] = sums[to * K + k]! + sums[from * K + k]!;
  }
  // A part moves its mapped bytes from its mapping's class to its own, and says so in the mapping's reason.
  const kept = parts.filter((p) => CI[p.class] !== finalOf[classOf[p.index]!]);
  for (const p of kept) {
    const kib = p.bytes / 1024;
    const own = finalOf[classOf[p.index]!]!;
    sums[own * K] = sums[own * K]! - kib;
    sums[CI[p.class] * K] = sums[CI[p.class] * K]! + kib;
    reasonOf[p.index] = reasons.of(`${reasons.list[reasonOf[p.index]!]}; ${p.why}: counted as ${MEMORY_CLASSES[CI[p.class]]!.label} (its Rss stays with this class)`);
  }
  const zero = (): Record<TotalKey, number> => ({ Size: 0, Rss: 0, Pss: 0, Private_Dirty: 0, Swap: 0, LazyFree: 0, AnonHugePages: 0, Reserved: 0 });
  const grand = zero();
  const totals: { class: MemoryClass; mappings: number; kib: Totals }[] = [];
  MEMORY_CLASSES.forEach((c, ci) => {
    if (counts[ci] === 0 && sums[ci * K] === 0) return;
    const kib = zero();
    TOTAL_KEYS.forEach((key, k) => {
      kib[key] = sums[ci * K + k]!;
      grand[key] += kib[key];
    });
    totals.push({ class: c.id, mappings: counts[ci]!, kib });
  });
  // The regions write each mapping's final class over its provisional one.
  const regions = addressRegions(maps, classOf, finalOf);
  const read = probes ? probes.probes.filter((p) => p.words).length : 0;
  const probeSummary = !probes
    ? 'no memory probes in this session'
    : probes.skipped
      ? `memory probes skipped: ${probes.skipped}`
      : `${read} of ${probes.probes.length} memory probes read (${probes.candidates} candidates, cap ${probes.cap}, through ${probes.reader}): ${glibcHeaps} glibc malloc heap${glibcHeaps === 1 ? '' : 's'}, ${chunks} mapping${chunks === 1 ? '' : 's'} of glibc mmapped chunks${read < probes.probes.length ? `; unread: ${probes.probes.find((p) => p.error)?.error ?? 'unknown'}` : ''}`;
  return { isGo, goEvidence, executable, classOf, reasonOf, reasons: reasons.list, totals, grandTotal: grand, regions, parts: kept, probeSummary };
}

/**
 * The mappings whose first bytes the capture reads (proc/mem-probes.json), at most `cap`, most
 * telling first: every readable anonymous mapping on a 64 MiB boundary (a glibc heap or a Go
 * arena), then the largest other read-write anonymous ones from glibc's mmap threshold up (a
 * block glibc may have mmapped). Addresses in the order of the mappings.
 */
export function memProbeCandidates(maps: MemoryMaps, cap: number): { readonly addresses: readonly number[]; readonly candidates: number } {
  const { count: n, start: starts, end: ends, perms, inode, name: nameOf } = maps;
  const aligned: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    if (inode[i] !== 0 || nameOf[i] !== 0 || perms[i]! >= PERM_SHARED || !(perms[i]! & PERM_READ)) continue;
    if (starts[i]! % ARENA === 0) aligned.push(i);
    else if (perms[i]! & PERM_WRITE && ends[i]! - starts[i]! >= MMAP_THRESHOLD_MIN) large.push(i);
  }
  large.sort((a, b) => ends[b]! - starts[b]! - (ends[a]! - starts[a]!) || a - b);
  const chosen = [...aligned.slice(0, cap), ...large.slice(0, Math.max(0, cap - aligned.length))].sort((a, b) => a - b);
  return { addresses: chosen.map((i) => starts[i]!), candidates: aligned.length + large.length };
}

/** Kept for the life of the module, as smaps.ts keeps a reader: see KEPT_FOR_COMPILED_CODE there. */
const keptReasons = new Reasons();
export const KEPT_REASONS = { reasons: keptReasons, rules: nameRules(['', '/bin/x'], new Uint8Array(2), keptReasons) };

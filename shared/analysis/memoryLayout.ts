/**
 * Classifies each mapping of /proc/PID/smaps (or maps) in Go terms, with a
 * one-line reason, and totals the counters per class. The evidence used,
 * strongest first: Go 1.25+ names ("[anon: Go: heap]"), kernel names,
 * the executable's own file, 64 MiB-aligned anonymous runs (Go heap arenas
 * are 64 MiB and aligned to it; hints at 0x00c000000000 before Go 1.26,
 * randomized from 1.26), guard-page + stack pairs, and glibc's 64 MiB
 * malloc heaps. Facts: ../shared/reference/go-runtime-facts.md §6.
 */
import { counterColumn, type Mapping, type MemoryMaps } from '../parsers/smaps';

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

export interface MemoryLayout {
  readonly isGo: boolean;
  /** Why the process was taken to be Go (or not). */
  readonly goEvidence: string;
  readonly executable: string | null;
  readonly mappings: readonly ClassifiedMapping[];
  /** Per class, every class present (zeros included), in MEMORY_CLASSES order. */
  readonly totals: readonly { readonly class: MemoryClass; readonly mappings: number; readonly kib: Totals }[];
  readonly grandTotal: Totals;
  /** Adjacent mappings of one class merged, in address order: the address-space strip. */
  readonly regions: readonly AddressRegion[];
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

function isAnon(m: Mapping): boolean {
  return m.inode === 0 && (m.name === '' || m.name.startsWith('[anon'));
}

export function classifyMemory(maps: MemoryMaps, opts: { isGo?: boolean; executable?: string } = {}): MemoryLayout {
  const ms = maps.mappings;
  const cls: (ClassifiedMapping | undefined)[] = new Array(ms.length);
  const set = (i: number, c: MemoryClass, reason: string) => {
    if (!cls[i]) cls[i] = { index: i, class: c, reason };
  };
  // Page-aligned addresses are exact as doubles up to 2^64; comparing numbers instead of bigints
  // keeps a 100,000-mapping classification from allocating a bigint per comparison.
  const starts = new Float64Array(ms.length);
  const ends = new Float64Array(ms.length);
  ms.forEach((m, i) => {
    starts[i] = m.start;
    ends[i] = m.end;
  });
  const reasons = new Map<string, string>();
  /** One string per distinct reason, not one per mapping. */
  const reason = (text: string) => {
    let r = reasons.get(text);
    if (r === undefined) reasons.set(text, (r = text));
    return r;
  };
  const executable = opts.executable ?? ms.find((m) => m.name.startsWith('/'))?.name ?? null;

  // Anonymous runs: contiguous anonymous mappings; Go heap arenas are 64 MiB-aligned runs.
  const alignedRuns: { from: number; to: number; start: bigint; end: bigint }[] = [];
  for (let i = 0; i < ms.length; ) {
    if (!isAnon(ms[i]!) || ms[i]!.name.startsWith('[anon:')) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < ms.length && isAnon(ms[j + 1]!) && !ms[j + 1]!.name.startsWith('[anon:') && starts[j + 1] === ends[j]) j++;
    if (starts[i]! % ARENA_N === 0 && ends[j]! - starts[i]! >= ARENA_N) alignedRuns.push({ from: i, to: j, start: BigInt(ms[i]!.start), end: BigInt(ms[j]!.end) });
    i = j + 1;
  }
  const goNamed = ms.some((m) => m.name.startsWith('[anon: Go:'));
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
  let binaryEnd: number | null = null;
  ms.forEach((m, i) => {
    if (executable === null || m.name !== executable) return;
    const r = m.perms[0] === 'r';
    if (m.perms[2] === 'x') set(i, 'binary-text', 'executable code of the program binary');
    else if (m.perms[1] === 'w') set(i, 'binary-data', 'initialised data of the program binary');
    else if (r) set(i, 'binary-rodata', 'read-only data of the program binary (rodata, pclntab, type info)');
    else set(i, 'binary-rodata', 'inaccessible part of the program binary');
    binaryEnd = ends[i]!;
  });

  // Named and special mappings.
  const libs = new Set(ms.filter((m) => m.name.startsWith('/') && m.perms[2] === 'x' && m.name !== executable).map((m) => m.name));
  ms.forEach((m, i) => {
    const n = m.name;
    if (n === '[vdso]' || n === '[vvar]' || n === '[vvar_vclock]' || n === '[vsyscall]') return set(i, 'kernel', reason(`${n}: mapped by the kernel for fast system calls`));
    if (n === '[stack]') return set(i, 'thread-stack', 'the main thread stack');
    if (n === '[heap]') return set(i, 'cgo-malloc', 'the brk heap: C malloc (libc or cgo code); the Go heap never uses brk');
    const go = n.startsWith('[anon') ? /^\[anon: Go: (.*)\]$/.exec(n) : null;
    if (go) return set(i, GO_NAME_CLASS[go[1]!] ?? 'go-metadata', reason(`named by the Go runtime: "${go[1]}"`));
    const anon = n.startsWith('[anon') ? /^\[anon: ?(.*)\]$/.exec(n) : null;
    if (anon) return set(i, /malloc|glibc/i.test(anon[1]!) ? 'cgo-malloc' : 'anon-other', reason(`named by the program: "${anon[1]}"`));
    if (m.perms[3] === 's' || n.startsWith('/dev/shm/') || n.startsWith('/SYSV') || n.startsWith('/memfd:')) return set(i, 'shm', m.perms[3] === 's' ? 'a shared mapping' : 'shared memory object');
    if (libs.has(n)) return set(i, 'shared-library', reason(`part of the shared library ${n.slice(n.lastIndexOf('/') + 1)}`));
    if (n.startsWith('/') || (m.inode !== 0 && n !== '')) return set(i, 'file-data', 'a file mapped into memory');
    if (n.startsWith('[')) return set(i, 'anon-other', reason(`kernel-named mapping ${n}`));
    if (binaryEnd !== null && starts[i] === binaryEnd && m.perms === 'rw-p') return set(i, 'binary-bss', 'zero-initialised data (bss) right after the binary');
  });

  // Go heap arenas.
  if (isGo) {
    for (const r of alignedRuns) {
      const mib = Number((r.end - r.start) / MiB);
      const where = r.start < MMAP_AREA ? ((r.start & 0xffffffffffn) === 0xc000000000n ? 'at a Go arena hint address' : 'below the mmap area (randomized heap base, Go 1.26+)') : 'in the mmap area';
      if (r.start >= MMAP_AREA && r.end - r.start === ARENA) continue; // one 64 MiB heap up high: glibc's malloc arena shape, decided below
      for (let i = r.from; i <= r.to; i++) {
        const m = ms[i]!;
        set(i, 'go-heap', reason(m.perms.startsWith('---') ? `reserved, not yet used part of a Go heap arena run (${mib} MiB, 64 MiB-aligned, ${where})` : `Go heap arena in use (run of ${mib} MiB, 64 MiB-aligned, ${where})`));
      }
    }
  }
  // glibc malloc heaps: a 64 MiB-aligned 64 MiB reservation, a rw- head and a --- tail.
  for (const r of alignedRuns) {
    if (r.end - r.start !== ARENA || r.start < MMAP_AREA) continue;
    for (let i = r.from; i <= r.to; i++) set(i, 'cgo-malloc', 'a glibc malloc arena (64 MiB-aligned 64 MiB heap): C allocations from cgo or libc threads');
  }
  // Thread stacks: a guard page (---p, at most 64 KiB) directly below a rw-p stack.
  for (let i = 1; i < ms.length; i++) {
    const g = ms[i - 1]!;
    const s = ms[i]!;
    if (!isAnon(g) || !isAnon(s) || g.name || s.name || g.perms !== '---p' || s.perms !== 'rw-p' || ends[i - 1] !== starts[i]) continue;
    if (g.sizeKiB > 64 || s.sizeKiB < 64 || s.sizeKiB > 64 * 1024) continue;
    set(i - 1, 'thread-stack', 'guard page of the thread stack above it');
    set(i, 'thread-stack', reason(`thread stack (${s.sizeKiB} KiB) with a guard page below: a pthread from cgo or a C library`));
  }
  ms.forEach((m, i) => {
    if (cls[i]) return;
    if (isGo && isAnon(m) && starts[i]! >= MMAP_AREA_N) {
      set(i, 'go-metadata', m.perms.startsWith('---') ? 'reserved address space in a Go process outside the heap: runtime metadata reservations (page summaries, arena index)' : 'anonymous memory in a Go process outside the heap arenas: runtime off-heap metadata (spans, GC bits, persistentalloc), or cgo mmaps');
      return;
    }
    set(i, 'anon-other', 'anonymous memory with no other evidence of its owner');
  });

  const mappings = cls as ClassifiedMapping[];
  const columns = TOTAL_KEYS.map((k) => (k === 'Size' ? (i: number) => ms[i]!.sizeKiB : counterColumn(maps, k)));
  const rss = columns[TOTAL_KEYS.indexOf('Rss')]!;
  const zero = (): Record<TotalKey, number> => ({ Size: 0, Rss: 0, Pss: 0, Private_Dirty: 0, Swap: 0, LazyFree: 0, AnonHugePages: 0 });
  // Sums per class in one typed array (class × key), made into records once at the end.
  const K = TOTAL_KEYS.length;
  const classIndex = new Map(MEMORY_CLASSES.map((c, i) => [c.id, i]));
  const sums = new Float64Array(MEMORY_CLASSES.length * K);
  const counts = new Float64Array(MEMORY_CLASSES.length);
  const classOf = new Uint8Array(mappings.length);
  for (let i = 0; i < mappings.length; i++) {
    const ci = classIndex.get(mappings[i]!.class)!;
    classOf[i] = ci;
    counts[ci] = counts[ci]! + 1;
  }
  for (let k = 0; k < K; k++) {
    const col = columns[k]!;
    for (let i = 0; i < mappings.length; i++) {
      const at = classOf[i]! * K + k;
      sums[at] = sums[at]! + col(i);
    }
  }
  const grand = zero();
  const byClass = new Map<MemoryClass, { mappings: number; kib: Record<TotalKey, number> }>();
  MEMORY_CLASSES.forEach((c, ci) => {
    if (counts[ci] === 0) return;
    const kib = zero();
    TOTAL_KEYS.forEach((key, k) => {
      kib[key] = sums[ci * K + k]!;
      grand[key] += kib[key];
    });
    byClass.set(c.id, { mappings: counts[ci]!, kib });
  });
  const totals = MEMORY_CLASSES.filter((c) => byClass.has(c.id)).map((c) => ({ class: c.id, ...byClass.get(c.id)! }));

  const regions: AddressRegion[] = [];
  let open: { start: bigint; class: MemoryClass; mappings: number; sizeKiB: number; rssKiB: number; endN: number; last: number } | null = null;
  const close = () => {
    if (open) regions.push({ start: open.start, end: BigInt(ms[open.last]!.end), class: open.class, mappings: open.mappings, sizeKiB: open.sizeKiB, rssKiB: open.rssKiB });
  };
  mappings.forEach((c, i) => {
    const m = ms[i]!;
    if (open && open.class === c.class && open.endN === starts[i]) {
      open.mappings++;
      open.sizeKiB += m.sizeKiB;
      open.rssKiB += rss(i);
      open.endN = ends[i]!;
      open.last = i;
    } else {
      close();
      open = { start: BigInt(m.start), class: c.class, mappings: 1, sizeKiB: m.sizeKiB, rssKiB: rss(i), endN: ends[i]!, last: i };
    }
  });
  close();
  return { isGo, goEvidence, executable, mappings, totals, grandTotal: grand, regions };
}

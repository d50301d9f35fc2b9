/**
 * /proc/PID/smaps and /proc/PID/maps. A mapping header is
 * "start-end perms offset dev inode [name]"; smaps adds "Key: N kB" lines,
 * plus VmFlags and THPeligible, whose set differs by kernel. Unknown keys
 * are kept. Names cover [heap], [stack], [vdso], [anon: …] and
 * [anon: Go: …] (Go 1.25+ names its own mappings).
 *
 * The parser works on bytes, not decoded text: a process with 100,000
 * mappings has a 70 MB smaps of 2.5 million lines, and decoding it, then
 * splitting and matching each line with a regular expression, cost twenty
 * times the read itself. For the same reason the model is columns, not an
 * object per mapping: 100,000 objects that all survive to the end were a
 * third of the parse in allocation and garbage collection. Permissions are
 * a small code; devices, names and VmFlags sets are indexes into lists of
 * the distinct values, so 100,000 mappings share a handful of strings.
 */
import { decodeUtf8, encodeUtf8 } from '../util/utf8';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

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

const MAX_WARNINGS = 100;
const MAX_LINE = 64 * 1024;
const NL = 10;
const SPACES4 = 0x20202020;
/** "   0" read little-endian. */
const ZERO4_LE = 0x30202020;
/** "       0" read as a little-endian double: a normal number, so equality is an exact match of the bytes. */
const ZERO8_LE = new Float64Array(new Uint32Array([SPACES4, ZERO4_LE]).buffer)[0]!;
const SPACE = 32;
const UNIT_KB = 1;
const UNIT_NONE = 2;
const TAB = 9;
const COLON = 58;
/** " kB\n" */
const KB_NL = 0x206b420a;
/** "VmFl", "ags:" */
const VMFL = 0x566d466c;
const AGS_COLON = 0x6167733a;

/**
 * The value of an 8-byte field of spaces then digits ("%8lu": bytes 16-23 of a counter line), read
 * as two little-endian words, four bytes at a time instead of a loop per digit; -1 unless the field
 * is some spaces then at least one digit.
 */
function paddedDecimal8(lo: number, hi: number): number {
  // Digits become 0x00-0x09 and spaces 0x10; anything else is above 0x10 or has a low nibble over 9.
  const xl = lo ^ 0x30303030;
  const xh = hi ^ 0x30303030;
  if (((((xl & 0x7f7f7f7f) + 0x6f6f6f6f) | xl | (((xh & 0x7f7f7f7f) + 0x6f6f6f6f) | xh)) & 0x80808080) !== 0) return -1;
  if (((((xl & 0x0f0f0f0f) + 0x06060606) | ((xh & 0x0f0f0f0f) + 0x06060606)) & 0x10101010) !== 0) return -1;
  // One bit per space, byte 16 lowest: the spaces must be a run from the start, before a digit.
  const sl = (xl >>> 4) & 0x01010101;
  const sh = (xh >>> 4) & 0x01010101;
  const spaces = ((sl | (sl >>> 7) | (sl >>> 14) | (sl >>> 21)) & 0xf) | (((sh | (sh >>> 7) | (sh >>> 14) | (sh >>> 21)) & 0xf) << 4);
  if (spaces === 0xff || (spaces & (spaces + 1)) !== 0) return -1;
  // Spaces read as zeros; then pairs of digits, then the four, for each half.
  let dl = xl & 0x0f0f0f0f;
  let dh = xh & 0x0f0f0f0f;
  dl = (dl * 10 + (dl >>> 8)) & 0x00ff00ff;
  dh = (dh * 10 + (dh >>> 8)) & 0x00ff00ff;
  dl = (dl * 100 + (dl >>> 16)) & 0xffff;
  dh = (dh * 100 + (dh >>> 16)) & 0xffff;
  return dl * 10000 + dh;
}

/** Hex digit values by byte, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;
/** The value of two hex digits by their bytes read big-endian as one 16-bit word, -1 for anything else. */
const HEX2 = new Int16Array(65536).fill(-1);
for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (HEX[a]! >= 0 && HEX[b]! >= 0) HEX2[(a << 8) | b] = HEX[a]! * 16 + HEX[b]!;


/**
 * Parses smaps or maps, whole or in pieces (inflated gzip members, in order). Memory is linear in
 * the number of mappings; each byte is visited once.
 */
export function parseSmaps(input: string | Uint8Array | readonly Uint8Array[]): ParseResult<MemoryMaps> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const p = createSmapsParser({ expectedBytes: input.length });
    p.push(input);
    return p.finish();
  }
  const p = createSmapsParser({ expectedBytes: input.reduce((n, c) => n + c.length, 0) });
  for (const chunk of input) p.push(chunk);
  return p.finish();
}

export interface SmapsParser {
  push(chunk: string | Uint8Array): void;
  finish(): ParseResult<MemoryMaps>;
}

const isKeyChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Strings cut from the input, each distinct one given an index once: smaps repeats the same few. */
class Dictionary {
  readonly list: string[] = [];
  private readonly byHash = new Map<number, number>();
  private readonly byText = new Map<string, number>();
  /** The last two indexes returned: neighbouring mappings mostly share their device and flags. */
  private last = -1;
  private before = -1;

  constructor(first: string) {
    this.list.push(first);
    this.byText.set(first, 0);
  }

  index(buf: Uint8Array, from: number, to: number): number {
    const n = to - from;
    if (this.last >= 0 && this.same(this.list[this.last]!, buf, from, n)) return this.last;
    if (this.before >= 0 && this.same(this.list[this.before]!, buf, from, n)) return this.remember(this.before);
    let h = n;
    let ascii = true;
    for (let i = from; i < to; i++) {
      const c = buf[i]!;
      h = (Math.imul(h, 31) + c) | 0;
      if (c >= 0x80) ascii = false;
    }
    if (ascii) {
      const hit = this.byHash.get(h);
      if (hit !== undefined && this.same(this.list[hit]!, buf, from, n)) return this.remember(hit);
    }
    return this.remember(this.add(buf, from, to, h, ascii));
  }

  /**
   * A text not seen under its hash: made into a string and listed. Apart from index() so that the
   * engine compiles the hot lookup small and soon, without this rarely run path inlined in it.
   */
  private add(buf: Uint8Array, from: number, to: number, h: number, ascii: boolean): number {
    const text = ascii ? String.fromCharCode.apply(null, buf.subarray(from, to) as unknown as number[]) : decodeUtf8(buf.subarray(from, to));
    let i = this.byText.get(text);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(text);
      this.byText.set(text, i);
    }
    if (ascii && !this.byHash.has(h)) this.byHash.set(h, i);
    return i;
  }

  private remember(i: number): number {
    if (i !== this.last) {
      this.before = this.last;
      this.last = i;
    }
    return i;
  }

  private same(s: string, buf: Uint8Array, from: number, n: number): boolean {
    if (s.length !== n) return false;
    for (let k = 0; k < n; k++) if (s.charCodeAt(k) !== buf[from + k]) return false;
    return true;
  }
}

/**
 * Lines, or ends of lines, seen lately, newline included, each with a number: a process repeats a
 * few of them (its VmFlags sets, the tail of an anonymous mapping's header), and a repeat is then
 * matched eight bytes at a time, without first searching for the newline.
 */
class RecentLines {
  // Each entry's line as little-endian doubles: the 8-byte words at 0, 8, 16, … before its last 8
  // bytes, and those last 8 bytes (the newline among them) on their own, overlapping the word
  // before. A line with a word that is a NaN or a zero as a double is not kept (its length stays
  // 0): for any other double, equal means equal bytes, so a match is exact.
  private readonly words: Float64Array;
  private readonly lastWords: Float64Array;
  private readonly lengths: Int32Array;
  private readonly values: Float64Array;
  private readonly stride: number;
  private next = 0;

  /** `known`: how many leading bytes the caller has matched already; lines longer than `maxLength` are not kept. */
  constructor(
    private readonly size: number,
    private readonly known: number,
    private readonly maxLength: number,
  ) {
    this.stride = maxLength >> 3;
    this.words = new Float64Array(size * this.stride);
    this.lastWords = new Float64Array(size);
    this.lengths = new Int32Array(size);
    this.values = new Float64Array(size);
  }

  /** The entry that the bytes at `s` repeat, or -1. */
  find(buf: Uint8Array, dv: DataView, s: number, n: number): number {
    for (let j = 0; j < this.size; j++) {
      const len = this.lengths[j]!;
      if (len === 0 || s + len > n || dv.getFloat64(s + len - 8, true) !== this.lastWords[j]) continue;
      const base = j * this.stride;
      const before = (len - 1) >> 3;
      let w = this.known >> 3;
      while (w < before && dv.getFloat64(s + 8 * w, true) === this.words[base + w]) w++;
      if (w === before) return j;
    }
    return -1;
  }

  length(entry: number): number {
    return this.lengths[entry]!;
  }

  value(entry: number): number {
    return this.values[entry]!;
  }

  /** Remembers buf[s, end), which ends with a newline, in place of the oldest; returns its entry. */
  learn(buf: Uint8Array, s: number, end: number, value: number): number {
    const j = this.next;
    this.next = (j + 1) % this.size;
    this.values[j] = value;
    this.lengths[j] = 0;
    const len = end - s;
    if (len < 8 || len > this.maxLength) return j;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const exact = (x: number) => x === x && x !== 0;
    const base = j * this.stride;
    const before = (len - 1) >> 3;
    for (let w = 0; w < before; w++) {
      const word = dv.getFloat64(s + 8 * w, true);
      if (!exact(word)) return j;
      this.words[base + w] = word;
    }
    const last = dv.getFloat64(end - 8, true);
    if (!exact(last)) return j;
    this.lastWords[j] = last;
    this.lengths[j] = len;
    return j;
  }
}

export interface SmapsParserOptions {
  /**
   * The input's size in bytes when known (a stored artifact read in pieces): the columns are then
   * sized once from it, as for a whole buffer, instead of grown by doubling.
   */
  readonly expectedBytes?: number;
}

/** A column not made yet: it holds only zeros so far. */
const NO_COLUMN = new Uint32Array(0);
const NO_COUNTERS: CounterColumn = new Uint16Array(0);
const NO_F64 = new Float64Array(0);

/** Bytes per mapping in smaps (about 700 on recent kernels): a low guess, so rows are rarely short. */
const SMAPS_BYTES_PER_MAPPING = 600;

/** The same parser fed in pieces (a stream from disk or the wire); any chunking gives the same result. */
export function createSmapsParser(opts: SmapsParserOptions = {}): SmapsParser {
  const reader = new SmapsReader(opts);
  return {
    // Plain Uint8Array views only: a Node Buffer is a subclass, and a loop that has seen both
    // (chunks, and the carried partial line) is compiled for both, then recompiled.
    push: (chunk) => reader.push(typeof chunk === 'string' ? encodeUtf8(chunk) : Object.getPrototypeOf(chunk) === Uint8Array.prototype ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    finish: () => reader.finish(),
  };
}

const permBit = (c: number, set: number, bit: number): number => (c === set ? bit : c === 45 ? 0 : -1);

/** The permissions code of the four bytes at i ("r-xp" and the like), or -1. */
function permsAt(buf: Uint8Array, i: number): number {
  const r = permBit(buf[i]!, 114, PERM_READ);
  const w = permBit(buf[i + 1]!, 119, PERM_WRITE);
  const x = permBit(buf[i + 2]!, 120, PERM_EXEC);
  const p3 = buf[i + 3]!;
  const share = p3 === 112 ? 0 : p3 === 115 ? 1 : p3 === 83 ? 2 : p3 === 45 ? 3 : -1;
  return r < 0 || w < 0 || x < 0 || share < 0 ? -1 : r | w | x | (share << 3);
}

/**
 * Where a device field ("fe:00": hex digits and one colon, neither first nor last) that starts at
 * `from` ends, before `lim`; -1 when it is not one.
 */
function devEnd(buf: Uint8Array, from: number, lim: number): number {
  let i = from;
  let colon = false;
  for (; i < lim; i++) {
    const c = buf[i]!;
    if (c === COLON && !colon && i > from) colon = true;
    else if (HEX[c]! < 0) break;
  }
  return colon && buf[i - 1] !== COLON ? i : -1;
}
const excerpt = (buf: Uint8Array, s: number, e: number) => JSON.stringify(decodeUtf8(buf.subarray(s, Math.min(e, s + 240))).slice(0, 60));

/**
 * The parser's state and steps as a class, not closures made per parser: the engine keeps
 * optimised code per function, and closures made anew for each parser were compiled anew for
 * each, so a process's second and third parse paid the first one's warm-up again.
 */
class SmapsReader {
  private readonly warnings: ParseWarning[] = [];
  private readonly devs = new Dictionary('');
  private readonly names = new Dictionary('');
  private readonly flagTexts = new Dictionary('');
  /** Keys outside the counters' fast path: VmFlags on every mapping, and whatever is new. */
  private readonly keys = new Dictionary('VmFlags');
  private readonly flagSets: (readonly string[])[] = [Object.freeze([])];
  private hasCounters = false;
  private error: ParseResult<MemoryMaps> | null = null;
  private lineNo = 0;

  // The columns, grown by doubling; `rows` mappings so far, the last one still being read while
  // `open` (its counters and VmFlags follow its header).
  private capacity = 0;
  private rows = 0;
  private open = false;
  private start = new Float64Array(0);
  private end = new Float64Array(0);
  // Offsets, inodes and names are 0 for most mappings of a process with many (anonymous memory):
  // like the counter columns, they are made on their first value other than 0.
  private offset = NO_F64;
  private inode = NO_F64;
  private sizeKiB = new Float64Array(0);
  private lineOf = new Uint32Array(0);
  private perms = new Uint8Array(0);
  private dev = new Uint32Array(0);
  private name = NO_COLUMN;
  private vmFlags = new Uint32Array(0);
  /** Rows expected from the input seen so far (a smaps mapping is about 700 bytes), to grow rarely. */
  private rowHint: number;

  // The counter columns, one per name, grown with the other columns; a new name adds one (once
  // per file in practice: the kernel prints the same names for every mapping). Entries start as
  // 0, so a 0 is never written. A mapping whose counters came in the learned order, all of them,
  // needs no other bookkeeping; any other is "irregular", and its missing ones are marked absent
  // when it closes.
  private readonly counterKeys: string[] = [];
  private readonly counterBytes: Uint8Array[] = [];
  /** The same names as big-endian 32-bit words, for comparing four bytes at a time. */
  private readonly counterWords: number[][] = [];
  /**
   * The first 16 bytes of each counter's line as the kernel prints it ("%-16s%8lu kB": the name,
   * colon and padding), learned from the first such line, as two little-endian doubles per counter
   * (NaN until learned). A line that matches them is read without any other check but its digits,
   * and the match costs two loads: equal doubles have equal bits unless both are zeros, which text
   * is not, and a NaN equals nothing, so a match is an exact one.
   */
  private readonly paddedKeyPairs = new Float64Array(2 * MAX_COUNTER_KEYS + 2).fill(NaN);
  /** Whether each learned line ends " kB" (UNIT_KB) or with its digits (UNIT_NONE: THPeligible, ProtectionKey). */
  private readonly paddedUnits = new Uint8Array(MAX_COUNTER_KEYS + 1);
  private readonly column = new Map<string, number>();
  private sizeColumn = -1;
  /**
   * A column is made (16 bits wide) when it first needs a value other than 0 or an absent mark:
   * until then it is NO_COUNTERS, and one array of zeros stands for all such at the end. Most
   * counters are 0 in every mapping; their columns cost neither memory nor the time to clear and
   * fault it in.
   */
  private readonly cols: CounterColumn[] = [];
  private readonly bigCounters = new Map<number, number>();
  /** Counters set in the open row so far: the next one is most likely counterKeys[seen]. */
  private seen = 0;
  /**
   * Null while every counter of the open row came by the fast path, in order: columns 0 to
   * seen - 1. After the first that did not, the columns set from then on; `fastUpTo` is what
   * `seen` was then, and the fast path is off for the rest of the row.
   */
  private recorded: number[] | null = null;
  private fastUpTo = 0;

  /** The end address of the last header quickHeader read: its digit count, value, and digits as words. */
  private prevEndLength = 0;
  private prevEndValue = NaN;
  private prevEndWord0 = 0;
  private prevEndWord1 = 0;
  private prevEndWordLast = 0;
  /**
   * The last device read by quickHeader, as its bytes in base 256 (exact up to six), and its index.
   * Fields that hold doubles start as NaN, not 0: a field that starts as a small integer and later
   * holds a double changes the object's hidden class, and every function compiled for it is thrown
   * away, mid-parse.
   */
  private lastDevKey = NaN;
  private lastDevIndex = 0;
  /** Whole VmFlags lines seen lately, by flag set. */
  private readonly flagLines = new RecentLines(4, 8, 256);
  /**
   * The ends of headers seen lately, from the space after the end address: perms, offset, device,
   * inode and name, by the fields they gave (in tailPerms and the rest, by entry).
   */
  private readonly headerTails = new RecentLines(4, 0, 96);
  private readonly tailPerms = new Uint8Array(4);
  private readonly tailOffset = new Float64Array(4);
  private readonly tailDev = new Uint32Array(4);
  private readonly tailInode = new Float64Array(4);
  private readonly tailName = new Uint32Array(4);

  private lastBuf: Uint8Array | null = null;
  private lastView: DataView | null = null;

  private carry = new Uint8Array(0);
  private carryLen = 0;
  private overlong = false;

  // The last hex field read, and whether a double holds it exactly.
  private hexValue = NaN;
  private hexExact = true;
  /** Where the field readHex or readDecimal last read ends. */
  private fieldEnd = 0;

  constructor(opts: SmapsParserOptions) {
    this.rowHint = Math.max(1024, Math.ceil((opts.expectedBytes ?? 0) / SMAPS_BYTES_PER_MAPPING) + 1);
    // Sized now rather than on the first row: the engine gathers type information only from a
    // function's first few calls on, and a path taken only on the first (growing from nothing)
    // would then be unknown to the code it compiles, which every new parser would throw away.
    this.grow();
  }

  private viewOf(buf: Uint8Array): DataView {
    if (buf !== this.lastBuf) {
      this.lastBuf = buf;
      this.lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.lastView!;
  }

  private grow(): void {
    const capacity = (this.capacity = Math.max(this.rowHint, this.capacity * 2));
    const rows = this.rows;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(0, rows));
      return b;
    };
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(capacity);
      b.set(a.subarray(0, rows));
      return b;
    };
    this.start = f64(this.start);
    this.end = f64(this.end);
    if (this.offset !== NO_F64) this.offset = f64(this.offset);
    if (this.inode !== NO_F64) this.inode = f64(this.inode);
    this.sizeKiB = f64(this.sizeKiB);
    this.lineOf = u32(this.lineOf);
    const p = new Uint8Array(capacity);
    p.set(this.perms.subarray(0, rows));
    this.perms = p;
    this.dev = u32(this.dev);
    if (this.name !== NO_COLUMN) this.name = u32(this.name);
    this.vmFlags = u32(this.vmFlags);
    for (let c = 0; c < this.cols.length; c++) {
      const column = this.cols[c]!;
      if (column === NO_COUNTERS) continue;
      const grown = column.BYTES_PER_ELEMENT === 2 ? new Uint16Array(capacity) : new Uint32Array(capacity);
      grown.set(column.subarray(0, rows));
      this.cols[c] = grown;
    }
  }

  private offsets(): Float64Array {
    if (this.offset === NO_F64) this.offset = new Float64Array(this.capacity);
    return this.offset;
  }

  private inodes(): Float64Array {
    if (this.inode === NO_F64) this.inode = new Float64Array(this.capacity);
    return this.inode;
  }

  private nameColumn(): Uint32Array {
    if (this.name === NO_COLUMN) this.name = new Uint32Array(this.capacity);
    return this.name;
  }

  /** Counter column `c`, made now (16 bits wide) if it was not yet. */
  private columnOf(c: number): CounterColumn {
    let column = this.cols[c]!;
    if (column === NO_COUNTERS) column = this.cols[c] = new Uint16Array(this.capacity);
    return column;
  }

  /**
   * Mapping `row`'s counter `c` := v, widening the column to 32 bits when v does not fit 16, and
   * keeping in bigCounters what does not fit 32.
   */
  private setCell(c: number, row: number, v: number): void {
    let column = this.columnOf(c);
    const fits32 = Number.isInteger(v) && v >= 0 && v < 0xfffffffe;
    if (fits32 && v >= 0xfffe && column.BYTES_PER_ELEMENT === 2) column = this.widen(c);
    if (fits32) {
      column[row] = v;
      this.bigCounters.delete(bigCounterKey(row, c));
    } else {
      column[row] = counterAbsent(column) + 1;
      this.bigCounters.set(bigCounterKey(row, c), v);
    }
  }

  /** Counter column `c` made 32 bits wide, its rows so far carried over with their marks. */
  private widen(c: number): Uint32Array {
    const narrow = this.cols[c]!;
    const wide = new Uint32Array(this.capacity);
    for (let r = 0; r < this.rows; r++) {
      const v = narrow[r]!;
      wide[r] = v < 0xfffe ? v : v - 0xfffe + 0xfffffffe;
    }
    this.cols[c] = wide;
    return wide;
  }

  private addColumn(key: string): number {
    const col = this.counterKeys.length;
    this.cols.push(NO_COUNTERS);
    // The mappings before this one lack it; this one gets it next.
    if (this.rows > 1) {
      const column = this.columnOf(col);
      column.fill(counterAbsent(column), 0, this.rows - 1);
    }
    this.counterKeys.push(key);
    const bytes = Uint8Array.from(key, (ch) => ch.charCodeAt(0));
    this.counterBytes.push(bytes);
    const words: number[] = [];
    for (let j = 0; j + 4 <= bytes.length; j += 4) words.push(((bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!) >>> 0);
    this.counterWords.push(words);
    this.column.set(key, col);
    if (key === 'Size') this.sizeColumn = col;
    return col;
  }

  /** A counter read off the fast path: the open row is irregular from here on. */
  private setCounter(key: string, v: number): void {
    let col = this.counterKeys[this.seen] === key ? this.seen : this.column.get(key);
    if (col === undefined) {
      if (this.counterKeys.length >= MAX_COUNTER_KEYS) return this.warn(`more than ${MAX_COUNTER_KEYS} counter names; "${key}" dropped`);
      col = this.addColumn(key);
    }
    if (this.recorded === null) {
      this.recorded = [];
      this.fastUpTo = this.seen;
    }
    this.recorded.push(col);
    this.setCell(col, this.rows - 1, v);
    this.seen++;
  }

  /** The open mapping is complete: mark what it lacked, and take its size from Size: when it had one. */
  private closeRow(): void {
    if (!this.open) return;
    this.open = false;
    const row = this.rows - 1;
    if (this.recorded !== null || this.seen !== this.cols.length) this.markAbsent(row);
    if (this.sizeColumn < 0) return;
    const sizes = this.cols[this.sizeColumn]!;
    const size = sizes === NO_COUNTERS ? 0 : decodeCounter(sizes[row]!, counterAbsent(sizes), row, this.sizeColumn, this.bigCounters);
    if (size !== undefined) this.sizeKiB[row] = size;
  }

  private markAbsent(row: number): void {
    const n = this.cols.length;
    const present = new Uint8Array(n);
    present.fill(1, 0, Math.min(n, this.recorded === null ? this.seen : this.fastUpTo));
    for (const c of this.recorded ?? []) present[c] = 1;
    for (let c = 0; c < n; c++) {
      if (present[c] !== 0) continue;
      const column = this.columnOf(c);
      column[row] = counterAbsent(column);
    }
    this.recorded = null;
  }

  private openRow(): void {
    if (this.rows === this.capacity) this.grow();
    this.rows++;
    this.seen = 0;
    this.recorded = null;
    this.open = true;
  }

  private warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ message, line: this.lineNo });
  }

  /**
   * A hex field read two digits at a time from `i`: its value, with the index after its digits left
   * in fieldEnd (a small integer, where a double field would box the value on every store). Callers
   * check the digit count: at most 13 stays exact.
   */
  private readHex(buf: Uint8Array, dv: DataView, i: number, n: number): number {
    let v = 0;
    while (i + 1 < n) {
      const pair = HEX2[dv.getUint16(i)]!;
      if (pair < 0) break;
      v = v * 256 + pair;
      i += 2;
    }
    if (i < n) {
      const d = HEX[buf[i]!]!;
      if (d >= 0) {
        v = v * 16 + d;
        i++;
      }
    }
    this.fieldEnd = i;
    return v;
  }

  /** A decimal field from `i`, before `lim`: its value, with the index after its digits in fieldEnd. */
  private readDecimal(buf: Uint8Array, i: number, lim: number): number {
    let v = 0;
    for (; i < lim; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    this.fieldEnd = i;
    return v;
  }

  /** A hex field ending at `stop`, into hexValue/hexExact; the index after `stop`, or -1. */
  private hexField(buf: Uint8Array, i: number, e: number, stop: number): number {
    let v = 0;
    const from = i;
    for (; i < e; i++) {
      const d = HEX[buf[i]!]!;
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (i === from || i >= e || buf[i] !== stop) return -1;
    // Digits accumulate exactly while the value has at most 53 significant bits: always for
    // page-aligned values below 2^64; anything else beyond 2^53 was rounded.
    this.hexExact = v <= Number.MAX_SAFE_INTEGER || (i - from <= 16 && v % 4096 === 0);
    this.hexValue = v;
    return i + 1;
  }

  /** "start-end perms offset dev inode [name]"; false when the line is not one. */
  private header(buf: Uint8Array, s: number, e: number): boolean {
    let i = this.hexField(buf, s, e, 45 /* - */);
    if (i < 0) return false;
    const startN = this.hexValue;
    let exact = this.hexExact;
    i = this.hexField(buf, i, e, SPACE);
    if (i < 0) return false;
    const endN = this.hexValue;
    exact &&= this.hexExact;
    if (i + 5 > e) return false;
    const perms = permsAt(buf, i);
    if (perms < 0 || buf[i + 4] !== SPACE) return false;
    i = this.hexField(buf, i + 5, e, SPACE);
    if (i < 0) return false;
    const offN = this.hexValue;
    exact &&= this.hexExact;
    const devFrom = i;
    const devTo = devEnd(buf, devFrom, e);
    if (devTo < 0 || devTo >= e || buf[devTo] !== SPACE) return false;
    const inodeFrom = devTo + 1;
    const inodeN = this.readDecimal(buf, inodeFrom, e);
    i = this.fieldEnd;
    if (i === inodeFrom || (i < e && buf[i] !== SPACE && buf[i] !== TAB)) return false;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    let nameEnd = e;
    while (nameEnd > i && (buf[nameEnd - 1] === SPACE || buf[nameEnd - 1] === TAB)) nameEnd--;

    this.closeRow();
    if (!exact) this.warn('an address or offset beyond 2^53 that is not page-aligned: shown rounded');
    if (endN < startN) {
      if (this.rows === 0) this.error = failed({ message: `mapping ends before it starts: ${decodeUtf8(buf.subarray(s, Math.min(e, s + 40)))}`, line: this.lineNo }, this.warnings);
      else this.warn('mapping ends before it starts; skipped');
      return true;
    }
    this.openRow();
    const at = this.rows - 1;
    this.start[at] = startN;
    this.end[at] = endN;
    this.perms[at] = perms;
    if (offN !== 0) this.offsets()[at] = offN;
    this.dev[at] = this.devs.index(buf, devFrom, devTo);
    if (inodeN !== 0) this.inodes()[at] = inodeN;
    if (nameEnd > i) this.nameColumn()[at] = this.names.index(buf, i, nameEnd);
    this.sizeKiB[at] = Math.floor((endN - startN) / 1024);
    this.lineOf[at] = Math.min(this.lineNo, 0xffffffff);
    return true;
  }

  /**
   * A header as the kernel prints it, read straight from the chunk rather than after finding its
   * end: lowercase hex of at most 13 digits (below 2^52, so exact), no tabs, no CR, and either no
   * name or spaces then a name. It returns the index after the line's newline, or -1 for any other
   * line, having changed nothing; header() then reads it, and anything it accepts that this does
   * not, it reads the same.
   */
  private quickHeader(buf: Uint8Array, dv: DataView, s: number, n: number): number {
    let startN: number;
    let i: number;
    // Mappings are mostly contiguous: the start is the previous header's end, digit for digit.
    const len = this.prevEndLength;
    if (len >= 4 && s + len < n && buf[s + len] === 45 && dv.getInt32(s, true) === this.prevEndWord0 && dv.getInt32(s + len - 4, true) === this.prevEndWordLast && (len <= 8 || dv.getInt32(s + 4, true) === this.prevEndWord1)) {
      startN = this.prevEndValue;
      i = s + len;
    } else {
      startN = this.readHex(buf, dv, s, n);
      i = this.fieldEnd;
      if (i === s || i - s > 13 || i >= n || buf[i] !== 45) return -1;
    }
    const from = ++i;
    const endN = this.readHex(buf, dv, i, n);
    i = this.fieldEnd;
    if (i === from || i - from > 13 || i + 6 >= n || buf[i] !== SPACE || endN < startN) return -1;
    // Ends of 4 to 12 digits are kept, by three words: the first, second and last four digits.
    const endLen = i - from;
    if (endLen >= 4 && endLen <= 12) {
      this.prevEndLength = endLen;
      this.prevEndValue = endN;
      this.prevEndWord0 = dv.getInt32(from, true);
      this.prevEndWord1 = endLen > 8 ? dv.getInt32(from + 4, true) : 0;
      this.prevEndWordLast = dv.getInt32(i - 4, true);
    } else this.prevEndLength = 0;
    // Most headers end as one of a few before them did (" rw-p 00000000 00:00 0 \n").
    const tail = this.headerTails.find(buf, dv, i, n);
    if (tail < 0) return this.readTail(buf, dv, s, i, n, startN, endN);
    // The row's columns are written here rather than by a call that would box the doubles.
    const at = this.nextRow();
    this.start[at] = startN;
    this.end[at] = endN;
    this.sizeKiB[at] = Math.floor((endN - startN) / 1024);
    this.perms[at] = this.tailPerms[tail]!;
    this.dev[at] = this.tailDev[tail]!;
    // The columns start as zeros: a zero is not written, so a column of them is never faulted in.
    const offN = this.tailOffset[tail]!;
    if (offN !== 0) this.offsets()[at] = offN;
    const inodeN = this.tailInode[tail]!;
    if (inodeN !== 0) this.inodes()[at] = inodeN;
    const name = this.tailName[tail]!;
    if (name !== 0) this.nameColumn()[at] = name;
    return i + this.headerTails.length(tail);
  }

  /**
   * The rest of quickHeader's line, from the space after the end address, when it is not a tail
   * seen lately: a method of its own, so the engine compiles the common path small and soon.
   */
  private readTail(buf: Uint8Array, dv: DataView, s: number, i: number, n: number, startN: number, endN: number): number {
    const tailFrom = i;
    const perms = permsAt(buf, i + 1);
    if (perms < 0 || buf[i + 5] !== SPACE) return -1;
    const from = (i += 6);
    const offN = this.readHex(buf, dv, i, n);
    i = this.fieldEnd;
    if (i === from || i - from > 13 || i >= n || buf[i] !== SPACE) return -1;
    const devFrom = i + 1;
    const devTo = devEnd(buf, devFrom, n);
    if (devTo < 0 || devTo >= n || buf[devTo] !== SPACE) return -1;
    const inodeFrom = devTo + 1;
    const inodeN = this.readDecimal(buf, inodeFrom, n);
    i = this.fieldEnd;
    if (i === inodeFrom || i >= n) return -1;
    let nameFrom = i;
    let e = i;
    if (buf[i] === SPACE) {
      while (i < n && buf[i] === SPACE) i++;
      if (i >= n) return -1;
      nameFrom = i;
      if (buf[i] === NL) e = i;
      else {
        if (buf[i] === TAB) return -1;
        e = buf.indexOf(NL, i);
        if (e < 0 || e - s > MAX_LINE) return -1;
        const last = buf[e - 1]!;
        if (last === SPACE || last === TAB || last === 13) return -1;
      }
    } else if (buf[i] !== NL) return -1;

    // Up to six bytes, a device is a number: its bytes in base 256, which no other device shares.
    let devKey = -1;
    if (devTo - devFrom <= 6) {
      devKey = 0;
      for (let k = devFrom; k < devTo; k++) devKey = devKey * 256 + buf[k]!;
    }
    let dev: number;
    if (devTo - devFrom <= 6 && devKey === this.lastDevKey) dev = this.lastDevIndex;
    else {
      dev = this.devs.index(buf, devFrom, devTo);
      if (devTo - devFrom <= 6) {
        this.lastDevKey = devKey;
        this.lastDevIndex = dev;
      }
    }
    const name = e > nameFrom ? this.names.index(buf, nameFrom, e) : 0;
    const at = this.nextRow();
    this.start[at] = startN;
    this.end[at] = endN;
    this.sizeKiB[at] = Math.floor((endN - startN) / 1024);
    this.perms[at] = perms;
    this.dev[at] = dev;
    if (offN !== 0) this.offsets()[at] = offN;
    if (inodeN !== 0) this.inodes()[at] = inodeN;
    if (name !== 0) this.nameColumn()[at] = name;
    // Long tails are file paths, which repeat less: only short ones are kept.
    if (e - tailFrom < 96) {
      const entry = this.headerTails.learn(buf, tailFrom, e + 1, 0);
      this.tailPerms[entry] = perms;
      this.tailOffset[entry] = offN;
      this.tailDev[entry] = dev;
      this.tailInode[entry] = inodeN;
      this.tailName[entry] = name;
    }
    return e + 1;
  }

  /** A new mapping's row, on the line just read, the previous one closed. */
  private nextRow(): number {
    this.lineNo++;
    this.closeRow();
    this.openRow();
    const at = this.rows - 1;
    this.lineOf[at] = Math.min(this.lineNo, 0xffffffff);
    return at;
  }

  private learnPadding(buf: Uint8Array, s: number, col: number, unit: number): void {
    if (col >= MAX_COUNTER_KEYS || !Number.isNaN(this.paddedKeyPairs[2 * col]) || this.counterKeys[col] === undefined) return;
    const dv = this.viewOf(buf);
    this.paddedKeyPairs[2 * col] = dv.getFloat64(s, true);
    this.paddedKeyPairs[2 * col + 1] = dv.getFloat64(s + 8, true);
    this.paddedUnits[col] = unit;
  }

  /** The open mapping's VmFlags: most mappings share one of a few sets, one frozen array each. */
  private setFlags(buf: Uint8Array, i: number, e: number): void {
    const k = this.flagTexts.index(buf, i, e);
    if (k === this.flagSets.length) this.flagSets.push(Object.freeze(splitFlags(buf, i, e)));
    this.vmFlags[this.rows - 1] = k;
  }

  /** "Key:   N kB", "Key:   N" (THPeligible, ProtectionKey) or "VmFlags: …". */
  private field(buf: Uint8Array, s: number, e: number): void {
    let i = s;
    let key: string | undefined;
    // Every mapping lists the same keys in the same order: compare with the one expected here
    // before finding the key the slow way.
    const seen = this.seen;
    const expected = this.counterBytes[seen];
    if (expected !== undefined && s + expected.length < e && buf[s + expected.length] === COLON) {
      const words = this.counterWords[seen]!;
      const dv = this.viewOf(buf);
      let j = 0;
      for (let w = 0; w < words.length && dv.getUint32(s + j) === words[w]; w++) j += 4;
      while (j < expected.length && buf[s + j] === expected[j]) j++;
      if (j === expected.length) {
        key = this.counterKeys[seen]!;
        i = s + j;
      }
    }
    if (key === undefined) {
      if (!isKeyStart(buf[i]!)) return this.warn(`unrecognised line ${excerpt(buf, s, e)}`);
      while (i < e && isKeyChar(buf[i]!)) i++;
      if (i >= e || buf[i] !== COLON) return this.warn(`unrecognised line ${excerpt(buf, s, e)}`);
      key = this.keys.list[this.keys.index(buf, s, i)]!;
    }
    i++;
    if (key === 'VmFlags') return this.setFlags(buf, i, e);
    const ws = i;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    if (i === ws || i === e) return this.warn(`unrecognised line ${excerpt(buf, s, e)}`);
    const digits = i;
    let v = 0;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (i > digits && i + 3 === e && buf[i] === SPACE && buf[i + 1] === 107 && buf[i + 2] === 66) {
      const col = this.seen;
      this.setCounter(key, v);
      this.hasCounters = true;
      if (e - s === 27 && digits - s >= 16 && this.counterKeys[col] === key) this.learnPadding(buf, s, col, UNIT_KB);
      return;
    }
    if (i > digits && i === e) {
      const col = this.seen;
      this.setCounter(key, v);
      if (e - s === 24 && digits - s >= 16 && this.counterKeys[col] === key) this.learnPadding(buf, s, col, UNIT_NONE);
      return;
    }
    // Anything else must be one token after the key; a number is kept as a counter.
    let j = digits;
    while (j < e && buf[j] !== SPACE && buf[j] !== TAB) j++;
    if (j < e) return this.warn(`unrecognised line ${excerpt(buf, s, e)}`);
    const n = Number(decodeUtf8(buf.subarray(digits, e)));
    if (Number.isFinite(n)) this.setCounter(key, n);
  }

  private line(buf: Uint8Array, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === 13) e--;
    if (this.error || e === s) return;
    if (HEX[buf[s]!]! >= 0 && this.header(buf, s, e)) return;
    if (!this.open) {
      if (this.rows === 0) this.error = failed({ message: `expected a mapping header "start-end perms offset dev inode [name]", got ${excerpt(buf, s, e)}`, line: this.lineNo }, this.warnings);
      else this.warn(`unrecognised line ${excerpt(buf, s, e)}`);
      return;
    }
    this.field(buf, s, e);
  }

  private appendCarry(buf: Uint8Array, from: number, to: number): void {
    const room = MAX_LINE - this.carryLen;
    const n = Math.min(room, to - from);
    if (n < to - from && !this.overlong) {
      this.overlong = true;
      if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ message: 'line longer than 64 KiB cut', line: this.lineNo + 1 });
    }
    if (n <= 0) return;
    if (this.carry.length < this.carryLen + n) {
      const grown = new Uint8Array(Math.min(MAX_LINE, Math.max(this.carry.length * 2, this.carryLen + n, 256)));
      grown.set(this.carry.subarray(0, this.carryLen));
      this.carry = grown;
    }
    this.carry.set(buf.subarray(from, from + n), this.carryLen);
    this.carryLen += n;
  }

  push(buf: Uint8Array): void {
    const n = buf.length;
    this.rowHint = Math.max(this.rowHint, this.rows + ((n / SMAPS_BYTES_PER_MAPPING) | 0));
    let pos = 0;
    // Both read on every call, for the same reason as the columns are sized in the constructor.
    if (this.overlong || this.carryLen > 0) {
      const nl = buf.indexOf(NL, 0);
      if (nl < 0) return this.appendCarry(buf, 0, n);
      this.appendCarry(buf, 0, nl);
      this.line(this.carry, 0, this.carryLen);
      this.carryLen = 0;
      this.overlong = false;
      pos = nl + 1;
    }
    const dv = this.viewOf(buf);
    const keyPairs = this.paddedKeyPairs;
    const units = this.paddedUnits;
    const cols = this.cols;
    // The fast path's state in locals, not fields, which the engine would load and store on every
    // line; they are handed back and forth around each other line.
    let sn = this.seen;
    let ln = this.lineNo;
    let row = this.rows - 1;
    let op = this.open && this.error === null;
    let fast = op && this.recorded === null;
    let carryFrom = -1;
    /** The last place a whole 28-byte counter line can start in this chunk. */
    const lastLine = n - 28;
    let lastDigits = NaN;
    let lastValue = 0;
    while (pos < n) {
      // A run of counters in the learned order and layout, as every mapping but the first has.
      // The kernel prints them as "%-16s%8lu kB" (THPeligible without " kB"), so each line's end
      // is known without a search, and a match of its 16-byte name and padding leaves only the
      // digits to read. Most of a smaps file is these lines. One past the last column, the
      // learned pair is NaN and ends the run.
      const runFrom = sn;
      while (fast && pos <= lastLine && dv.getFloat64(pos, true) === keyPairs[2 * sn] && dv.getFloat64(pos + 8, true) === keyPairs[2 * sn + 1]) {
        let next: number;
        if (units[sn] === UNIT_KB) {
          if (dv.getUint32(pos + 24) !== KB_NL) break;
          next = pos + 28;
        } else {
          if (buf[pos + 24] !== NL) break;
          next = pos + 25;
        }
        // "       0", the value of most counters of most mappings: the column holds 0 already.
        const digits = dv.getFloat64(pos + 16, true);
        if (digits !== ZERO8_LE) {
          // Most other values repeat the one before ("       4" in most mappings of a large
          // process): the same eight bytes are not decoded again. lastDigits only ever holds digits
          // and spaces that decoded, never a NaN or a zero, so equal doubles are equal bytes.
          let v = lastValue;
          if (digits !== lastDigits) {
            v = paddedDecimal8(dv.getUint32(pos + 16, true), dv.getUint32(pos + 20, true));
            if (v < 0) break;
            lastDigits = digits;
            lastValue = v;
          }
          // At most 8 digits: below 0xfffe it fits any column made; above, setCell widens.
          const column = cols[sn]!;
          if (v < 0xfffe && column !== NO_COUNTERS) column[row] = v;
          else this.setCell(sn, row, v);
        }
        sn++;
        pos = next;
      }
      // One line per counter of the run: counted once here rather than on each line.
      ln += sn - runFrom;
      if (pos >= n) break;
      // Anything the run above did not take (a header, VmFlags, a counter out of the learned
      // order or layout, a line cut by the chunk's end) is found by its newline. There is no
      // second fast path for counters here: one taken only at a chunk's end would be code the
      // engine compiles without type information, and throws away in each new parser.
      const c = buf[pos]!;
      if (HEX[c]! >= 0 && this.error === null) {
        this.seen = sn;
        this.lineNo = ln;
        const next = this.quickHeader(buf, dv, pos, n);
        if (next > 0) {
          sn = this.seen;
          ln = this.lineNo;
          row = this.rows - 1;
          op = this.open;
          fast = op;
          pos = next;
          continue;
        }
      } else if (op && c === 86 && pos + 8 <= n && dv.getUint32(pos) === VMFL && dv.getUint32(pos + 4) === AGS_COLON) {
        // "VmFlags: rd wr mr mw me ac ", every mapping's last line in smaps: most are one of a few.
        const known = this.flagLines.find(buf, dv, pos, n);
        if (known >= 0) {
          ln++;
          this.vmFlags[row] = this.flagLines.value(known);
          pos += this.flagLines.length(known);
          continue;
        }
      }
      const e = buf.indexOf(NL, pos);
      if (e < 0) {
        carryFrom = pos;
        break;
      }
      // "VmFlags: rd wr mr mw me ac ", every mapping's last line in smaps.
      if (op && e - pos >= 8 && e - pos <= MAX_LINE && dv.getUint32(pos) === VMFL && dv.getUint32(pos + 4) === AGS_COLON && buf[e - 1] !== 13) {
        ln++;
        this.setFlags(buf, pos + 8, e);
        if (e - pos < 256) this.flagLines.learn(buf, pos, e + 1, this.vmFlags[row]!);
        pos = e + 1;
        continue;
      }
      this.seen = sn;
      this.lineNo = ln;
      if (e - pos > MAX_LINE) {
        if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ message: 'line longer than 64 KiB cut', line: this.lineNo + 1 });
        this.line(buf, pos, pos + MAX_LINE);
      } else this.line(buf, pos, e);
      sn = this.seen;
      ln = this.lineNo;
      row = this.rows - 1;
      op = this.open && this.error === null;
      fast = op && this.recorded === null;
      pos = e + 1;
    }
    // One way out, whether the chunk ended inside a line (almost always) or just after one: code
    // the engine compiled while the loop ran has then seen it, and is not thrown away when a chunk
    // first ends on a line's end.
    this.seen = sn;
    this.lineNo = ln;
    if (carryFrom >= 0) this.appendCarry(buf, carryFrom, n);
  }

  /** The counter columns, trimmed to `rows`; those never made share one array of zeros. */
  private finalColumns(rows: number): CounterColumn[] {
    let zeros: Uint16Array | null = null;
    return this.cols.map((c) => (c !== NO_COUNTERS ? (c.length - rows > rows ? c.slice(0, rows) : c.subarray(0, rows)) : (zeros ??= new Uint16Array(rows))));
  }


  finish(): ParseResult<MemoryMaps> {
    if (this.carryLen > 0 || this.overlong) this.line(this.carry, 0, this.carryLen);
    this.carryLen = 0;
    this.overlong = false;
    if (this.error) return this.error;
    this.closeRow();
    const rows = this.rows;
    if (rows === 0) return failed({ message: 'no mappings: the file is empty', line: 1 }, this.warnings);
    // Keep slack only when small: trimming copies, which costs less than 2x memory.
    const trim = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, used: number): T => (a.length - used > used ? (a.slice(0, used) as T) : (a.subarray(0, used) as T));
    // Columns never made are zeros: one array of them stands for each that is.
    let zerosF64: Float64Array | null = null;
    const f64 = (a: Float64Array) => (a !== NO_F64 ? trim(a, rows) : (zerosF64 ??= new Float64Array(rows)));
    return parsed(
      {
        count: rows,
        start: trim(this.start, rows),
        end: trim(this.end, rows),
        offset: f64(this.offset),
        inode: f64(this.inode),
        sizeKiB: trim(this.sizeKiB, rows),
        line: trim(this.lineOf, rows),
        perms: trim(this.perms, rows),
        dev: trim(this.dev, rows),
        devs: this.devs.list,
        name: this.name !== NO_COLUMN ? trim(this.name, rows) : new Uint32Array(rows),
        names: this.names.list,
        vmFlags: trim(this.vmFlags, rows),
        flagSets: this.flagSets,
        counterKeys: this.counterKeys,
        counters: this.finalColumns(rows),
        bigCounters: this.bigCounters,
        hasCounters: this.hasCounters,
      },
      this.warnings,
    );
  }
}

function splitFlags(buf: Uint8Array, i: number, e: number): string[] {
  const flags: string[] = [];
  while (i < e) {
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    const from = i;
    while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
    if (i > from) flags.push(decodeUtf8(buf.subarray(from, i)));
  }
  return flags;
}


/**
 * A reader and its model kept for the life of the module. The engine's compiled code depends on
 * the hidden classes it was compiled for, and a garbage collection that finds no object of such a
 * class alive, as between two parses, throws the code away ("weak objects" in --trace-deopt): the
 * next parse then runs slowly while it is compiled again, and misses the type information its
 * first few calls never gathered. In ten parses of the bench's file this happened 11-16 times;
 * with these kept, 0-4.
 */
const keptReader = new SmapsReader({});
keptReader.push(encodeUtf8('00400000-00401000 r-xp 00000000 00:00 0 \nSize:                  4 kB\nVmFlags: rd ex \n'));
export const KEPT_FOR_COMPILED_CODE = { reader: keptReader, model: keptReader.finish() };

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
 * compare. The counters (Rss, Pss, Private_Dirty, Swap, LazyFree, AnonHugePages, …, in KiB) are a
 * table with one row per mapping; read them with counterOf / counterColumn / countersOf / counterIn.
 */
export interface MemoryMaps {
  readonly count: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly offset: Float64Array;
  readonly inode: Float64Array;
  readonly sizeKiB: Float64Array;
  readonly line: Float64Array;
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
   * Row-major, count × counterKeys.length, encoded: 0 where a mapping lacks the counter, value + 1
   * otherwise, or COUNTER_ELSEWHERE for a value a Uint32 cannot hold (over 4 TiB in KiB, or not a
   * whole number), which is then in `bigCounters` under the same index. Empty for maps. Four bytes
   * per counter instead of eight: the table is most of the model, and the parse spent much of its
   * time faulting in its fresh pages.
   */
  readonly counters: Uint32Array;
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

/** In `counters`: the value is in `bigCounters`. */
export const COUNTER_ELSEWHERE = 0xffffffff;

/** What the table's entry `raw` at index `at` holds, by its encoding; undefined when absent. */
export function decodeCounter(raw: number, at: number, bigCounters: ReadonlyMap<number, number>): number | undefined {
  return raw === 0 ? undefined : raw === COUNTER_ELSEWHERE ? bigCounters.get(at) : raw - 1;
}

/** The counter at `at` in the table (row × stride + column), or undefined when absent. */
export function counterIn(maps: MemoryMaps, at: number): number | undefined {
  return decodeCounter(maps.counters[at]!, at, maps.bigCounters);
}

/** One counter of mapping `index`, or undefined when the kernel did not print it. */
export function counterOf(maps: MemoryMaps, index: number, key: string): number | undefined {
  const col = maps.counterKeys.indexOf(key);
  return col < 0 ? undefined : counterIn(maps, index * maps.counterKeys.length + col);
}

/** A column accessor for loops over every mapping: 0 where the counter is absent. */
export function counterColumn(maps: MemoryMaps, key: string): (index: number) => number {
  const col = maps.counterKeys.indexOf(key);
  const stride = maps.counterKeys.length;
  if (col < 0) return () => 0;
  return (index) => counterIn(maps, index * stride + col) ?? 0;
}

/** Mapping `index`'s counters as a record, for dumps and detail views. */
export function countersOf(maps: MemoryMaps, index: number): Record<string, number> {
  const out: Record<string, number> = {};
  const stride = maps.counterKeys.length;
  maps.counterKeys.forEach((k, col) => {
    const v = counterIn(maps, index * stride + col);
    if (v !== undefined) out[k] = v;
  });
  return out;
}

const MAX_WARNINGS = 100;
/** More distinct counter names than any kernel prints; past it, input is not smaps. */
const MAX_COUNTER_KEYS = 64;
const MAX_LINE = 64 * 1024;
const NL = 10;
const SPACE = 32;
const TAB = 9;
const COLON = 58;
const SPACES4 = 0x20202020;
/** "   0": the value of most counters of most mappings. */
const ZERO4 = 0x20202030;
/** " kB\n" */
const KB_NL = 0x206b420a;
/** "VmFl", "ags:" */
const VMFL = 0x566d466c;
const AGS_COLON = 0x6167733a;

/** Hex digit values by byte, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;

/** Parses smaps or maps. Memory is linear in the number of mappings; each byte is visited once. */
export function parseSmaps(input: string | Uint8Array): ParseResult<MemoryMaps> {
  const p = createSmapsParser();
  p.push(input);
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
    const text = ascii ? String.fromCharCode.apply(null, buf.subarray(from, to) as unknown as number[]) : decodeUtf8(buf.subarray(from, to));
    let i = this.byText.get(text);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(text);
      this.byText.set(text, i);
    }
    if (ascii && !this.byHash.has(h)) this.byHash.set(h, i);
    return this.remember(i);
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

export interface SmapsParserOptions {
  /**
   * The input's size in bytes when known (a stored artifact read in pieces): the columns are then
   * sized once from it, as for a whole buffer, instead of grown by doubling.
   */
  readonly expectedBytes?: number;
}

/** Bytes per mapping in smaps (about 700 on recent kernels): a low guess, so rows are rarely short. */
const SMAPS_BYTES_PER_MAPPING = 600;

/** The same parser fed in pieces (a stream from disk or the wire); any chunking gives the same result. */
export function createSmapsParser(opts: SmapsParserOptions = {}): SmapsParser {
  const warnings: ParseWarning[] = [];
  const devs = new Dictionary('');
  const names = new Dictionary('');
  const flagTexts = new Dictionary('');
  /** Keys outside the counters' fast path: VmFlags on every mapping, and whatever is new. */
  const keys = new Dictionary('VmFlags');
  const flagSets: (readonly string[])[] = [Object.freeze([])];
  let hasCounters = false;
  let error: ParseResult<MemoryMaps> | null = null;
  let lineNo = 0;

  // The columns, grown by doubling; `rows` mappings so far, the last one still being read while
  // `open` (its counters and VmFlags follow its header).
  let capacity = 0;
  let rows = 0;
  let open = false;
  let start = new Float64Array(0);
  let end = new Float64Array(0);
  let offset = new Float64Array(0);
  let inode = new Float64Array(0);
  let sizeKiB = new Float64Array(0);
  let lineOf = new Float64Array(0);
  let perms = new Uint8Array(0);
  let dev = new Uint32Array(0);
  let name = new Uint32Array(0);
  let vmFlags = new Uint32Array(0);
  /** Rows expected from the input seen so far (a smaps mapping is about 700 bytes), to grow rarely. */
  let rowHint = Math.max(1024, Math.ceil((opts.expectedBytes ?? 0) / SMAPS_BYTES_PER_MAPPING) + 1);
  const grow = () => {
    capacity = Math.max(rowHint, capacity * 2);
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
    start = f64(start);
    end = f64(end);
    offset = f64(offset);
    inode = f64(inode);
    sizeKiB = f64(sizeKiB);
    lineOf = f64(lineOf);
    const p = new Uint8Array(capacity);
    p.set(perms.subarray(0, rows));
    perms = p;
    dev = u32(dev);
    name = u32(name);
    vmFlags = u32(vmFlags);
  };

  // The counter table: `stride` columns, row-major, grown with the columns; a new counter name
  // widens it (once per file in practice, since the kernel prints the same names for every
  // mapping). Rows start as zeros, which is "absent" in its encoding: a mapping that lacks a
  // counter, or lists them in another order, needs no bookkeeping.
  const counterKeys: string[] = [];
  const counterBytes: Uint8Array[] = [];
  /** The same names as big-endian 32-bit words, for comparing four bytes at a time. */
  const counterWords: number[][] = [];
  /**
   * The first 16 bytes of each counter's line as the kernel prints it ("%-16s%8lu kB": the name,
   * colon and padding), as four big-endian words, learned from the first such line. A line that
   * matches them is read without any other check but its digits.
   */
  const paddedKeys: (Uint32Array | undefined)[] = [];
  const column = new Map<string, number>();
  let stride = 0;
  let sizeColumn = -1;
  let table = new Uint32Array(0);
  const bigCounters = new Map<number, number>();
  /** Where the open mapping's row starts in `table`. */
  let rowBase = 0;
  /** Counters set in the open row so far: the next one is most likely counterKeys[seen]. */
  let seen = 0;

  let lastBuf: Uint8Array | null = null;
  let lastView: DataView | null = null;
  const viewOf = (buf: Uint8Array): DataView => {
    if (buf !== lastBuf) {
      lastBuf = buf;
      lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return lastView!;
  };

  const addColumn = (key: string): number => {
    const col = counterKeys.length;
    // Columns are added while reading the first mapping: room for the rows so far, not `capacity`;
    // openRow grows it to full size once.
    const wider = new Uint32Array(Math.max(rows, 1) * (stride + 1));
    for (let r = 0; r < rows; r++) wider.set(table.subarray(r * stride, r * stride + stride), r * (stride + 1));
    if (bigCounters.size > 0) {
      const moved = [...bigCounters].map(([at, v]) => [Math.floor(at / stride) * (stride + 1) + (at % stride), v] as const);
      bigCounters.clear();
      for (const [at, v] of moved) bigCounters.set(at, v);
    }
    table = wider;
    stride++;
    rowBase = (rows - 1) * stride;
    counterKeys.push(key);
    const bytes = Uint8Array.from(key, (ch) => ch.charCodeAt(0));
    counterBytes.push(bytes);
    const words: number[] = [];
    for (let j = 0; j + 4 <= bytes.length; j += 4) words.push(((bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!) >>> 0);
    counterWords.push(words);
    column.set(key, col);
    if (key === 'Size') sizeColumn = col;
    return col;
  };
  const setCounter = (key: string, v: number) => {
    let col = counterKeys[seen] === key ? seen : column.get(key);
    if (col === undefined) {
      if (counterKeys.length >= MAX_COUNTER_KEYS) return warn(`more than ${MAX_COUNTER_KEYS} counter names; "${key}" dropped`);
      col = addColumn(key);
    }
    const at = rowBase + col;
    if (Number.isInteger(v) && v >= 0 && v < COUNTER_ELSEWHERE - 1) {
      table[at] = v + 1;
      bigCounters.delete(at);
    } else {
      table[at] = COUNTER_ELSEWHERE;
      bigCounters.set(at, v);
    }
    seen++;
  };
  /** The open mapping is complete: take its size from Size: when it had one. */
  const closeRow = () => {
    if (!open) return;
    open = false;
    if (sizeColumn < 0) return;
    const at = rowBase + sizeColumn;
    const size = decodeCounter(table[at]!, at, bigCounters);
    if (size !== undefined) sizeKiB[rows - 1] = size;
  };
  const openRow = () => {
    if (rows === capacity) grow();
    rows++;
    if (rows * stride > table.length) {
      const grown = new Uint32Array(capacity * stride);
      grown.set(table.subarray(0, (rows - 1) * stride));
      table = grown;
    }
    rowBase = (rows - 1) * stride;
    seen = 0;
    open = true;
  };

  let carry = new Uint8Array(0);
  let carryLen = 0;
  let overlong = false;

  const warn = (message: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push({ message, line: lineNo });
  };
  const excerpt = (buf: Uint8Array, s: number, e: number) => JSON.stringify(decodeUtf8(buf.subarray(s, Math.min(e, s + 240))).slice(0, 60));

  // The last hex field read, and whether a double holds it exactly.
  let hexValue = 0;
  let hexExact = true;
  /** A hex field ending at `stop`, into hexValue/hexExact; the index after `stop`, or -1. */
  const hexField = (buf: Uint8Array, i: number, e: number, stop: number): number => {
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
    hexExact = v <= Number.MAX_SAFE_INTEGER || (i - from <= 16 && v % 4096 === 0);
    hexValue = v;
    return i + 1;
  };
  const permBit = (c: number, set: number, bit: number): number => (c === set ? bit : c === 45 ? 0 : -1);

  /** "start-end perms offset dev inode [name]"; false when the line is not one. */
  const header = (buf: Uint8Array, s: number, e: number): boolean => {
    let i = hexField(buf, s, e, 45 /* - */);
    if (i < 0) return false;
    const startN = hexValue;
    let exact = hexExact;
    i = hexField(buf, i, e, SPACE);
    if (i < 0) return false;
    const endN = hexValue;
    exact &&= hexExact;
    if (i + 5 > e) return false;
    const r = permBit(buf[i]!, 114, PERM_READ);
    const w = permBit(buf[i + 1]!, 119, PERM_WRITE);
    const x = permBit(buf[i + 2]!, 120, PERM_EXEC);
    const p3 = buf[i + 3]!;
    const share = p3 === 112 ? 0 : p3 === 115 ? 1 : p3 === 83 ? 2 : p3 === 45 ? 3 : -1;
    if (r < 0 || w < 0 || x < 0 || share < 0 || buf[i + 4] !== SPACE) return false;
    i = hexField(buf, i + 5, e, SPACE);
    if (i < 0) return false;
    const offN = hexValue;
    exact &&= hexExact;
    const devFrom = i;
    let colon = false;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c === COLON && !colon && i > devFrom) colon = true;
      else if (HEX[c]! < 0) break;
    }
    if (!colon || buf[i - 1] === COLON || buf[i] !== SPACE) return false;
    const devTo = i;
    i++;
    const inodeFrom = i;
    let inodeN = 0;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      inodeN = inodeN * 10 + (c - 48);
    }
    if (i === inodeFrom || (i < e && buf[i] !== SPACE && buf[i] !== TAB)) return false;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    let nameEnd = e;
    while (nameEnd > i && (buf[nameEnd - 1] === SPACE || buf[nameEnd - 1] === TAB)) nameEnd--;

    closeRow();
    if (!exact) warn('an address or offset beyond 2^53 that is not page-aligned: shown rounded');
    if (endN < startN) {
      if (rows === 0) error = failed({ message: `mapping ends before it starts: ${decodeUtf8(buf.subarray(s, Math.min(e, s + 40)))}`, line: lineNo }, warnings);
      else warn('mapping ends before it starts; skipped');
      return true;
    }
    openRow();
    const at = rows - 1;
    start[at] = startN;
    end[at] = endN;
    perms[at] = r | w | x | (share << 3);
    offset[at] = offN;
    dev[at] = devs.index(buf, devFrom, devTo);
    inode[at] = inodeN;
    name[at] = nameEnd > i ? names.index(buf, i, nameEnd) : 0;
    sizeKiB[at] = Math.floor((endN - startN) / 1024);
    lineOf[at] = lineNo;
    return true;
  };

  const learnPadding = (buf: Uint8Array, s: number, col: number) => {
    if (paddedKeys[col] !== undefined || counterKeys[col] === undefined) return;
    const dv = viewOf(buf);
    paddedKeys[col] = Uint32Array.of(dv.getUint32(s), dv.getUint32(s + 4), dv.getUint32(s + 8), dv.getUint32(s + 12));
  };

  /** The open mapping's VmFlags: most mappings share one of a few sets, one frozen array each. */
  const setFlags = (buf: Uint8Array, i: number, e: number): void => {
    const k = flagTexts.index(buf, i, e);
    if (k === flagSets.length) flagSets.push(Object.freeze(splitFlags(buf, i, e)));
    vmFlags[rows - 1] = k;
  };

  /** "Key:   N kB", "Key:   N" (THPeligible, ProtectionKey) or "VmFlags: …". */
  const field = (buf: Uint8Array, s: number, e: number): void => {
    let i = s;
    let key: string | undefined;
    // Every mapping lists the same keys in the same order: compare with the one expected here
    // before finding the key the slow way.
    const expected = counterBytes[seen];
    if (expected !== undefined && s + expected.length < e && buf[s + expected.length] === COLON) {
      const words = counterWords[seen]!;
      const dv = viewOf(buf);
      let j = 0;
      for (let w = 0; w < words.length && dv.getUint32(s + j) === words[w]; w++) j += 4;
      while (j < expected.length && buf[s + j] === expected[j]) j++;
      if (j === expected.length) {
        key = counterKeys[seen]!;
        i = s + j;
      }
    }
    if (key === undefined) {
      if (!isKeyStart(buf[i]!)) return warn(`unrecognised line ${excerpt(buf, s, e)}`);
      while (i < e && isKeyChar(buf[i]!)) i++;
      if (i >= e || buf[i] !== COLON) return warn(`unrecognised line ${excerpt(buf, s, e)}`);
      key = keys.list[keys.index(buf, s, i)]!;
    }
    i++;
    if (key === 'VmFlags') return setFlags(buf, i, e);
    const ws = i;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    if (i === ws || i === e) return warn(`unrecognised line ${excerpt(buf, s, e)}`);
    const digits = i;
    let v = 0;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (i > digits && i + 3 === e && buf[i] === SPACE && buf[i + 1] === 107 && buf[i + 2] === 66) {
      const col = seen;
      setCounter(key, v);
      hasCounters = true;
      if (e - s === 27 && digits - s >= 16 && counterKeys[col] === key) learnPadding(buf, s, col);
      return;
    }
    if (i > digits && i === e) {
      const col = seen;
      setCounter(key, v);
      if (e - s === 24 && digits - s >= 16 && counterKeys[col] === key) learnPadding(buf, s, col);
      return;
    }
    // Anything else must be one token after the key; a number is kept as a counter.
    let j = digits;
    while (j < e && buf[j] !== SPACE && buf[j] !== TAB) j++;
    if (j < e) return warn(`unrecognised line ${excerpt(buf, s, e)}`);
    const n = Number(decodeUtf8(buf.subarray(digits, e)));
    if (Number.isFinite(n)) setCounter(key, n);
  };

  const line = (buf: Uint8Array, s: number, e: number): void => {
    lineNo++;
    if (e > s && buf[e - 1] === 13) e--;
    if (error || e === s) return;
    if (HEX[buf[s]!]! >= 0 && header(buf, s, e)) return;
    if (!open) {
      if (rows === 0) error = failed({ message: `expected a mapping header "start-end perms offset dev inode [name]", got ${excerpt(buf, s, e)}`, line: lineNo }, warnings);
      else warn(`unrecognised line ${excerpt(buf, s, e)}`);
      return;
    }
    field(buf, s, e);
  };

  const appendCarry = (buf: Uint8Array, from: number, to: number) => {
    const room = MAX_LINE - carryLen;
    const n = Math.min(room, to - from);
    if (n < to - from && !overlong) {
      overlong = true;
      if (warnings.length < MAX_WARNINGS) warnings.push({ message: 'line longer than 64 KiB cut', line: lineNo + 1 });
    }
    if (n <= 0) return;
    if (carry.length < carryLen + n) {
      const grown = new Uint8Array(Math.min(MAX_LINE, Math.max(carry.length * 2, carryLen + n, 256)));
      grown.set(carry.subarray(0, carryLen));
      carry = grown;
    }
    carry.set(buf.subarray(from, from + n), carryLen);
    carryLen += n;
  };

  const push = (buf: Uint8Array) => {
    const n = buf.length;
    rowHint = Math.max(rowHint, rows + ((n / SMAPS_BYTES_PER_MAPPING) | 0));
    let pos = 0;
    if (carryLen > 0 || overlong) {
      const nl = buf.indexOf(NL, 0);
      if (nl < 0) return appendCarry(buf, 0, n);
      appendCarry(buf, 0, nl);
      line(carry, 0, carryLen);
      carryLen = 0;
      overlong = false;
      pos = nl + 1;
    }
    const dv = viewOf(buf);
    // The fast path's state in locals, not the closure's variables, which the engine would load
    // and store on every line; they are handed back and forth around each slow line.
    let sn = seen;
    let ln = lineNo;
    let tb = table;
    let rb = rowBase;
    let op = open && !error;
    while (pos < n) {
      // The kernel prints counters as "%-16s%8lu kB": a 28-byte line whose end needs no search;
      // "THPeligible:    %8u" is the same without " kB". Most of a smaps file is these lines.
      let e: number;
      const kB = pos + 28 <= n && dv.getUint32(pos + 24) === KB_NL;
      if (kB || (pos + 24 < n && buf[pos + 24] === NL)) {
        e = kB ? pos + 27 : pos + 24;
        // The counter expected next, with the same name and padding as before: only the digits
        // (right-aligned in bytes 16-23) are left to read.
        const key = op ? paddedKeys[sn] : undefined;
        if (key !== undefined && dv.getUint32(pos) === key[0] && dv.getUint32(pos + 4) === key[1] && dv.getUint32(pos + 8) === key[2] && dv.getUint32(pos + 12) === key[3]) {
          let v = -1;
          const high = dv.getUint32(pos + 16);
          if (high === SPACES4 && dv.getUint32(pos + 20) === ZERO4) v = 0;
          else {
            // Right to left: most values are a digit or two; what precedes them must be spaces.
            let acc = 0;
            let mul = 1;
            let k = pos + 23;
            const stop = high === SPACES4 ? pos + 20 : pos + 16;
            for (; k >= stop; k--) {
              const c = buf[k]! - 48;
              if (c < 0 || c > 9) break;
              acc += c * mul;
              mul *= 10;
            }
            let ok = k < pos + 23;
            for (; ok && k >= stop; k--) if (buf[k] !== SPACE) ok = false;
            if (ok) v = acc;
          }
          if (v >= 0) {
            ln++;
            // At most 8 digits: always fits the table's encoding.
            tb[rb + sn] = v + 1;
            sn++;
            pos = e + 1;
            continue;
          }
        }
      } else {
        e = buf.indexOf(NL, pos);
        if (e < 0) {
          seen = sn;
          lineNo = ln;
          return appendCarry(buf, pos, n);
        }
        // "VmFlags: rd wr mr mw me ac ", every mapping's last line in smaps.
        if (op && e - pos >= 8 && e - pos <= MAX_LINE && dv.getUint32(pos) === VMFL && dv.getUint32(pos + 4) === AGS_COLON && buf[e - 1] !== 13) {
          ln++;
          setFlags(buf, pos + 8, e);
          pos = e + 1;
          continue;
        }
      }
      seen = sn;
      lineNo = ln;
      if (e - pos > MAX_LINE) {
        if (warnings.length < MAX_WARNINGS) warnings.push({ message: 'line longer than 64 KiB cut', line: lineNo + 1 });
        line(buf, pos, pos + MAX_LINE);
      } else line(buf, pos, e);
      sn = seen;
      ln = lineNo;
      tb = table;
      rb = rowBase;
      op = open && !error;
      pos = e + 1;
    }
    seen = sn;
    lineNo = ln;
  };

  return {
    // Plain Uint8Array views only: a Node Buffer is a subclass, and a loop that has seen both
    // (chunks, and the carried partial line) is compiled for both, then recompiled.
    push: (chunk) => push(typeof chunk === 'string' ? encodeUtf8(chunk) : Object.getPrototypeOf(chunk) === Uint8Array.prototype ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    finish() {
      if (carryLen > 0 || overlong) line(carry, 0, carryLen);
      carryLen = 0;
      overlong = false;
      if (error) return error;
      closeRow();
      if (rows === 0) return failed({ message: 'no mappings: the file is empty', line: 1 }, warnings);
      // Keep slack only when small: trimming copies, which costs less than 2x memory.
      const trim = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, used: number): T => (a.length - used > used ? (a.slice(0, used) as T) : (a.subarray(0, used) as T));
      return parsed(
        {
          count: rows,
          start: trim(start, rows),
          end: trim(end, rows),
          offset: trim(offset, rows),
          inode: trim(inode, rows),
          sizeKiB: trim(sizeKiB, rows),
          line: trim(lineOf, rows),
          perms: trim(perms, rows),
          dev: trim(dev, rows),
          devs: devs.list,
          name: trim(name, rows),
          names: names.list,
          vmFlags: trim(vmFlags, rows),
          flagSets,
          counterKeys,
          counters: trim(table, rows * stride),
          bigCounters,
          hasCounters,
        },
        warnings,
      );
    },
  };
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

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
 * times the read itself. Keys, permissions, devices, names and VmFlags are
 * interned, so 100,000 mappings share a handful of strings.
 */
import { decodeUtf8, encodeUtf8 } from '../util/utf8';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface Mapping {
  /**
   * Addresses as doubles: page-aligned values below 2^64 are exact in a double (at most 52
   * significant bits above the page offset), and numbers cost nothing to allocate or compare.
   */
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
 * The counters (Rss, Pss, Private_Dirty, Swap, LazyFree, AnonHugePages, …, in KiB) are a table
 * with one row per mapping rather than a record per mapping: 100,000 records of 25 keys were
 * most of the parse time and of the memory. Read them with counterOf / countersOf.
 */
export interface MemoryMaps {
  readonly mappings: readonly Mapping[];
  /** Counter names in the order the kernel printed them (its field set differs by version). */
  readonly counterKeys: readonly string[];
  /** Row-major, mappings.length × counterKeys.length; NaN where a mapping lacks the counter. Empty for maps. */
  readonly counters: Float64Array;
  readonly hasCounters: boolean;
}

/** One counter of mapping `index`, or undefined when the kernel did not print it. */
export function counterOf(maps: MemoryMaps, index: number, key: string): number | undefined {
  const col = maps.counterKeys.indexOf(key);
  if (col < 0) return undefined;
  const v = maps.counters[index * maps.counterKeys.length + col]!;
  return Number.isNaN(v) ? undefined : v;
}

/** A column accessor for loops over every mapping: 0 where the counter is absent. */
export function counterColumn(maps: MemoryMaps, key: string): (index: number) => number {
  const col = maps.counterKeys.indexOf(key);
  const stride = maps.counterKeys.length;
  const t = maps.counters;
  if (col < 0) return () => 0;
  return (index) => {
    const v = t[index * stride + col]!;
    return v === v ? v : 0;
  };
}

/** Mapping `index`'s counters as a record, for dumps and detail views. */
export function countersOf(maps: MemoryMaps, index: number): Record<string, number> {
  const out: Record<string, number> = {};
  const stride = maps.counterKeys.length;
  maps.counterKeys.forEach((k, col) => {
    const v = maps.counters[index * stride + col]!;
    if (!Number.isNaN(v)) out[k] = v;
  });
  return out;
}

const MAX_WARNINGS = 100;
const NO_FLAGS: readonly string[] = Object.freeze([]);
/** More distinct counter names than any kernel prints; past it, input is not smaps. */
const MAX_COUNTER_KEYS = 64;
const MAX_LINE = 64 * 1024;
const NL = 10;
const SPACE = 32;
const TAB = 9;
const COLON = 58;

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

/** A Mapping still being read: its Size line and VmFlags come after the header. */
type Building = { -readonly [K in keyof Mapping]: Mapping[K] };

const hexDigit = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1);
const isKeyChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Strings cut from the input, interned by content: smaps repeats the same few thousand. */
class Interner {
  private readonly byHash = new Map<number, string>();
  get(buf: Uint8Array, from: number, to: number): string {
    let h = to - from;
    let ascii = true;
    for (let i = from; i < to; i++) {
      const c = buf[i]!;
      h = (Math.imul(h, 31) + c) | 0;
      if (c >= 0x80) ascii = false;
    }
    if (!ascii) return decodeUtf8(buf.subarray(from, to));
    const hit = this.byHash.get(h);
    if (hit !== undefined && hit.length === to - from) {
      let same = true;
      for (let i = 0; i < hit.length; i++) {
        if (hit.charCodeAt(i) !== buf[from + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit;
    }
    const s = String.fromCharCode.apply(null, buf.subarray(from, to) as unknown as number[]);
    if (hit === undefined && this.byHash.size < 1 << 16) this.byHash.set(h, s);
    return s;
  }
}

/** The same parser fed in pieces (a stream from disk or the wire); any chunking gives the same result. */
export function createSmapsParser(): SmapsParser {
  const mappings: Mapping[] = [];
  const warnings: ParseWarning[] = [];
  const strings = new Interner();
  let current: Building | undefined;
  let hasCounters = false;
  let error: ParseResult<MemoryMaps> | null = null;
  let lineNo = 0;
  // The counter table: `stride` columns, grown by doubling rows; a new counter name widens it
  // (once per file in practice, since the kernel prints the same names for every mapping).
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
  let lastBuf: Uint8Array | null = null;
  let lastView: DataView | null = null;
  const viewOf = (buf: Uint8Array): DataView => {
    if (buf !== lastBuf) {
      lastBuf = buf;
      lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return lastView!;
  };
  const column = new Map<string, number>();
  let stride = 0;
  let table = new Float64Array(0);
  let rows = 0;
  /** Counters seen so far in the current mapping: the next one is most likely counterKeys[seen]. */
  let seen = 0;
  const addColumn = (key: string): number => {
    const col = counterKeys.length;
    // Columns are added while reading the first mapping; keep the table small until then.
    const capacity = rows <= 1 ? 1 : Math.max(rows + 1, (table.length / Math.max(stride, 1)) | 0);
    const wider = new Float64Array(capacity * (stride + 1)).fill(NaN);
    for (let r = 0; r < rows; r++) wider.set(table.subarray(r * stride, r * stride + stride), r * (stride + 1));
    table = wider;
    stride++;
    counterKeys.push(key);
    const bytes = Uint8Array.from(key, (ch) => ch.charCodeAt(0));
    counterBytes.push(bytes);
    const words: number[] = [];
    for (let j = 0; j + 4 <= bytes.length; j += 4) words.push(((bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!) >>> 0);
    counterWords.push(words);
    column.set(key, col);
    return col;
  };
  const setCounter = (key: string, v: number) => {
    let col = counterKeys[seen] === key ? seen : column.get(key);
    if (col === undefined) {
      if (counterKeys.length >= MAX_COUNTER_KEYS) return warn(`more than ${MAX_COUNTER_KEYS} counter names; "${key}" dropped`);
      col = addColumn(key);
    }
    table[(rows - 1) * stride + col] = v;
    seen++;
  };
  let carry = new Uint8Array(0);
  let carryLen = 0;
  let overlong = false;

  const warn = (message: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push({ message, line: lineNo });
  };
  const excerpt = (buf: Uint8Array, s: number, e: number) => JSON.stringify(decodeUtf8(buf.subarray(s, Math.min(e, s + 240))).slice(0, 60));
  const flush = () => {
    if (!current) return;
    const sizeCol = column.get('Size');
    const size = sizeCol === undefined ? NaN : table[(rows - 1) * stride + sizeCol]!;
    if (!Number.isNaN(size)) current.sizeKiB = size;
    current = undefined;
  };
  /** Rows expected from the input seen so far (a smaps mapping is about 700 bytes), to grow rarely. */
  let rowHint = 1024;
  const newRow = () => {
    if ((rows + 1) * stride > table.length) {
      // New rows are NaN (absent) from the start, so a mapping costs no fill of its own.
      const grown = new Float64Array(Math.max(rowHint, rows * 2) * stride);
      grown.set(table.subarray(0, rows * stride));
      grown.fill(NaN, rows * stride);
      table = grown;
    }
    rows++;
    seen = 0;
  };

  // The last hex field read, and whether a double holds it exactly.
  let hexValue = 0;
  let hexExact = true;
  /** A hex field ending at `stop`, into hexValue/hexExact; the index after `stop`, or -1. */
  const hexField = (buf: Uint8Array, i: number, e: number, stop: number): number => {
    let v = 0;
    const from = i;
    for (; i < e; i++) {
      const d = hexDigit(buf[i]!);
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (i === from || i >= e || buf[i] !== stop) return -1;
    // Digits accumulate exactly while the value has at most 53 significant bits: always for
    // page-aligned values below 2^64; anything else beyond 2^53 was rounded.
    hexExact = Number.isSafeInteger(v) || (i - from <= 16 && v % 4096 === 0);
    hexValue = v;
    return i + 1;
  };
  const flagSets = new Map<string, readonly string[]>();

  /** "start-end perms offset dev inode [name]", or null when the line is not one. */
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
    const p0 = buf[i]!;
    const p1 = buf[i + 1]!;
    const p2 = buf[i + 2]!;
    const p3 = buf[i + 3]!;
    if ((p0 !== 114 && p0 !== 45) || (p1 !== 119 && p1 !== 45) || (p2 !== 120 && p2 !== 45) || (p3 !== 112 && p3 !== 115 && p3 !== 83 && p3 !== 45) || buf[i + 4] !== SPACE) return false;
    const perms = strings.get(buf, i, i + 4);
    i = hexField(buf, i + 5, e, SPACE);
    if (i < 0) return false;
    const offN = hexValue;
    exact &&= hexExact;
    const devFrom = i;
    let colon = false;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c === COLON && !colon && i > devFrom) colon = true;
      else if (hexDigit(c) < 0) break;
    }
    if (!colon || buf[i - 1] === COLON || buf[i] !== SPACE) return false;
    const dev = strings.get(buf, devFrom, i);
    i++;
    const inodeFrom = i;
    let inode = 0;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      inode = inode * 10 + (c - 48);
    }
    if (i === inodeFrom || (i < e && buf[i] !== SPACE && buf[i] !== TAB)) return false;
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    let nameEnd = e;
    while (nameEnd > i && (buf[nameEnd - 1] === SPACE || buf[nameEnd - 1] === TAB)) nameEnd--;
    const name = nameEnd > i ? strings.get(buf, i, nameEnd) : '';

    flush();
    if (!exact) warn('an address or offset beyond 2^53 that is not page-aligned: shown rounded');
    if (endN < startN) {
      if (mappings.length === 0) error = failed({ message: `mapping ends before it starts: ${decodeUtf8(buf.subarray(s, Math.min(e, s + 40)))}`, line: lineNo }, warnings);
      else warn('mapping ends before it starts; skipped');
      return true;
    }
    current = {
      start: startN,
      end: endN,
      perms,
      offset: offN,
      dev,
      inode,
      name,
      sizeKiB: Math.floor((endN - startN) / 1024),
      line: lineNo,
      vmFlags: NO_FLAGS,
    };
    mappings.push(current);
    newRow();
    return true;
  };

  const vmFlags = (buf: Uint8Array, i: number, e: number): string[] => {
    const flags: string[] = [];
    while (i < e) {
      while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
      const from = i;
      while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
      if (i > from) flags.push(strings.get(buf, from, i));
    }
    return flags;
  };

  /** "Key:   N kB", "Key:   N" (THPeligible, ProtectionKey) or "VmFlags: …". */
  const field = (buf: Uint8Array, s: number, e: number, m: Building): void => {
    let i = s;
    let key: string | undefined;
    // Every mapping lists the same keys in the same order: compare with the one expected here
    // before finding and interning the key the slow way.
    const expected = counterBytes[seen];
    if (expected !== undefined && s + expected.length < e && buf[s + expected.length] === COLON) {
      // Four bytes at a time: this comparison and the padding below are most of the parse.
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
      key = strings.get(buf, s, i);
    }
    i++;
    if (key === 'VmFlags') {
      // Most mappings share one of a few flag sets: one frozen array each.
      const text = strings.get(buf, i, e);
      let flags = flagSets.get(text);
      if (!flags) {
        flags = Object.freeze(vmFlags(buf, i, e));
        if (flagSets.size < 4096) flagSets.set(text, flags);
      }
      m.vmFlags = flags;
      return;
    }
    const ws = i;
    const dv = viewOf(buf);
    while (i + 4 <= e && dv.getUint32(i) === 0x20202020) i += 4;
    while (i < e && buf[i] === SPACE) i++;
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
      if (e - s === 27 && digits - s >= 16 && counterKeys[col] === key && paddedKeys[col] === undefined) paddedKeys[col] = Uint32Array.of(dv.getUint32(s), dv.getUint32(s + 4), dv.getUint32(s + 8), dv.getUint32(s + 12));
      return;
    }
    if (i > digits && i === e) {
      const col = seen;
      setCounter(key, v);
      if (e - s === 24 && digits - s >= 16 && counterKeys[col] === key && paddedKeys[col] === undefined) paddedKeys[col] = Uint32Array.of(dv.getUint32(s), dv.getUint32(s + 4), dv.getUint32(s + 8), dv.getUint32(s + 12));
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
    if (hexDigit(buf[s]!) >= 0 && header(buf, s, e)) return;
    if (!current) {
      if (mappings.length === 0) error = failed({ message: `expected a mapping header "start-end perms offset dev inode [name]", got ${excerpt(buf, s, e)}`, line: lineNo }, warnings);
      else warn(`unrecognised line ${excerpt(buf, s, e)}`);
      return;
    }
    field(buf, s, e, current);
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
    rowHint = Math.max(rowHint, rows + ((n / 600) | 0));
    let pos = 0;
    if (carryLen > 0 || overlong) {
      const nl = buf.indexOf(NL);
      if (nl < 0) return appendCarry(buf, 0, n);
      appendCarry(buf, 0, nl);
      line(carry, 0, carryLen);
      carryLen = 0;
      overlong = false;
      pos = nl + 1;
    }
    const dv = viewOf(buf);
    while (pos < n) {
      // The kernel prints counters as "%-16s%8lu kB": a 28-byte line whose end needs no search.
      let e = pos + 27;
      const kB = e < n && buf[e] === NL && buf[e - 1] === 66 && buf[e - 2] === 107 && buf[e - 3] === SPACE;
      // "THPeligible:    %8u": the same layout without " kB".
      const plain = !kB && pos + 24 < n && buf[pos + 24] === NL;
      if (kB || plain) {
        // The counter expected next, with the same name and padding as before: only the digits
        // (right-aligned in bytes 16-23) are left to read. Most of a smaps file is these lines.
        const key = current && !error ? paddedKeys[seen] : undefined;
        if (key !== undefined && dv.getUint32(pos) === key[0] && dv.getUint32(pos + 4) === key[1] && dv.getUint32(pos + 8) === key[2] && dv.getUint32(pos + 12) === key[3]) {
          // Right to left: most values are a digit or two.
          let v = 0;
          let mul = 1;
          let k = pos + 23;
          for (; k >= pos + 16; k--) {
            const c = buf[k]! - 48;
            if (c < 0 || c > 9) break;
            v += c * mul;
            mul *= 10;
          }
          let ok = k < pos + 23;
          for (; ok && k >= pos + 16; k--) if (buf[k] !== SPACE) ok = false;
          if (ok) {
            lineNo++;
            table[(rows - 1) * stride + seen] = v;
            seen++;
            pos = (kB ? e : pos + 24) + 1;
            continue;
          }
        }
        if (plain) e = pos + 24;
      } else {
        e = buf.indexOf(NL, pos);
        if (e < 0) return appendCarry(buf, pos, n);
      }
      if (e - pos > MAX_LINE) {
        if (warnings.length < MAX_WARNINGS) warnings.push({ message: 'line longer than 64 KiB cut', line: lineNo + 1 });
        line(buf, pos, pos + MAX_LINE);
      } else line(buf, pos, e);
      pos = e + 1;
    }
  };

  return {
    push: (chunk) => push(typeof chunk === 'string' ? encodeUtf8(chunk) : chunk),
    finish() {
      if (carryLen > 0 || overlong) line(carry, 0, carryLen);
      carryLen = 0;
      overlong = false;
      if (error) return error;
      flush();
      if (mappings.length === 0) return failed({ message: 'no mappings: the file is empty', line: 1 }, warnings);
      // Keep the table's slack only when small: trimming copies, which costs less than 2x memory.
      const used = rows * stride;
      const counters = table.length - used > used ? table.slice(0, used) : table.subarray(0, used);
      return parsed({ mappings, counterKeys, counters, hasCounters }, warnings);
    },
  };
}

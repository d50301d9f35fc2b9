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
 * times the read itself. This file is the reader; the model and its
 * accessors are in smapsModel.ts, the column store it fills in
 * smapsColumns.ts, and its byte helpers and caches in smapsBytes.ts.
 */
import { decodeUtf8, encodeUtf8 } from '../util/utf8';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';
import {
  AGS_COLON,
  COLON,
  devEnd,
  Dictionary,
  excerpt,
  HEX,
  HEX2,
  isKeyChar,
  isKeyStart,
  KB_NL,
  MAX_LINE,
  NL,
  paddedDecimal8,
  permsAt,
  RecentLines,
  SPACE,
  splitFlags,
  TAB,
  UNIT_KB,
  UNIT_NONE,
  VMFL,
  ZERO8_LE,
} from './smapsBytes';
import { MappingColumns, NO_COUNTERS } from './smapsColumns';
import { MAX_COUNTER_KEYS, type MemoryMaps } from './smapsModel';

export * from './smapsModel';

const MAX_WARNINGS = 100;

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

export interface SmapsParserOptions {
  /**
   * The input's size in bytes when known (a stored artifact read in pieces): the columns are then
   * sized once from it, as for a whole buffer, instead of grown by doubling.
   */
  readonly expectedBytes?: number;
}

/** The same parser fed in pieces (a stream from disk or the wire); any chunking gives the same result. */
export function createSmapsParser(opts: SmapsParserOptions = {}): SmapsParser {
  const reader = new SmapsReader(opts);
  return {
    // Plain Uint8Array views only: a Node Buffer is a subclass, and a loop that has seen both
    // (chunks, and the carried partial line) is compiled for both, then recompiled.
    push: (chunk) =>
      reader.push(typeof chunk === 'string' ? encodeUtf8(chunk) : Object.getPrototypeOf(chunk) === Uint8Array.prototype ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    finish: () => reader.finish(),
  };
}

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

  // The mappings so far, the last one still being read while `open` (its counters and VmFlags
  // follow its header).
  private readonly store: MappingColumns;
  private open = false;

  // The counter names, a column each in the store; a new name adds one (once per file in
  // practice: the kernel prints the same names for every mapping). A mapping whose counters came
  // in the learned order, all of them, needs no other bookkeeping; any other is "irregular", and
  // its missing ones are marked absent when it closes.
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
    this.store = new MappingColumns(opts.expectedBytes ?? 0);
  }

  private viewOf(buf: Uint8Array): DataView {
    if (buf !== this.lastBuf) {
      this.lastBuf = buf;
      this.lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.lastView!;
  }

  private addColumn(key: string): number {
    const col = this.counterKeys.length;
    // The mappings before this one lack it; this one gets it next.
    this.store.addCounter();
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
    this.store.setCell(col, this.store.rows - 1, v);
    this.seen++;
  }

  /** The open mapping is complete: mark what it lacked, and take its size from Size: when it had one. */
  private closeRow(): void {
    if (!this.open) return;
    this.open = false;
    const row = this.store.rows - 1;
    if (this.recorded !== null || this.seen !== this.counterKeys.length) this.markAbsent(row);
    if (this.sizeColumn >= 0) this.store.takeSize(row, this.sizeColumn);
  }

  private markAbsent(row: number): void {
    const n = this.counterKeys.length;
    const present = new Uint8Array(n);
    present.fill(1, 0, Math.min(n, this.recorded === null ? this.seen : this.fastUpTo));
    for (const c of this.recorded ?? []) present[c] = 1;
    for (let c = 0; c < n; c++) if (present[c] === 0) this.store.markAbsent(c, row);
    this.recorded = null;
  }

  /** A new mapping, the one before closed; its header's fields go to the store's writeRow. */
  private openRow(start: number, end: number, perms: number, offset: number, dev: number, inode: number, name: number): void {
    this.closeRow();
    this.seen = 0;
    this.recorded = null;
    this.open = true;
    this.store.writeRow(start, end, perms, offset, dev, inode, name, this.lineNo);
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
      if (this.store.rows === 0) this.error = failed({ message: `mapping ends before it starts: ${decodeUtf8(buf.subarray(s, Math.min(e, s + 40)))}`, line: this.lineNo }, this.warnings);
      else this.warn('mapping ends before it starts; skipped');
      return true;
    }
    const dev = this.devs.index(buf, devFrom, devTo);
    const name = nameEnd > i ? this.names.index(buf, i, nameEnd) : 0;
    this.openRow(startN, endN, perms, offN, dev, inodeN, name);
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
    if (
      len >= 4 &&
      s + len < n &&
      buf[s + len] === 45 &&
      dv.getInt32(s, true) === this.prevEndWord0 &&
      dv.getInt32(s + len - 4, true) === this.prevEndWordLast &&
      (len <= 8 || dv.getInt32(s + 4, true) === this.prevEndWord1)
    ) {
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
    this.lineNo++;
    this.openRow(startN, endN, this.tailPerms[tail]!, this.tailOffset[tail]!, this.tailDev[tail]!, this.tailInode[tail]!, this.tailName[tail]!);
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
    this.lineNo++;
    this.openRow(startN, endN, perms, offN, dev, inodeN, name);
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
    this.store.vmFlags[this.store.rows - 1] = k;
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
      if (this.store.rows === 0) this.error = failed({ message: `expected a mapping header "start-end perms offset dev inode [name]", got ${excerpt(buf, s, e)}`, line: this.lineNo }, this.warnings);
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
    const store = this.store;
    store.expect(n);
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
    const cols = store.counters;
    // The fast path's state in locals, not fields, which the engine would load and store on every
    // line; they are handed back and forth around each other line.
    let sn = this.seen;
    let ln = this.lineNo;
    let row = store.rows - 1;
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
          else store.setCell(sn, row, v);
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
          row = store.rows - 1;
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
          store.vmFlags[row] = this.flagLines.value(known);
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
        if (e - pos < 256) this.flagLines.learn(buf, pos, e + 1, store.vmFlags[row]!);
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
      row = store.rows - 1;
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

  finish(): ParseResult<MemoryMaps> {
    if (this.carryLen > 0 || this.overlong) this.line(this.carry, 0, this.carryLen);
    this.carryLen = 0;
    this.overlong = false;
    if (this.error) return this.error;
    this.closeRow();
    if (this.store.rows === 0) return failed({ message: 'no mappings: the file is empty', line: 1 }, this.warnings);
    const c = this.store.finish();
    // The model's fields in one order, whichever file made them: one hidden class for the engine.
    return parsed(
      {
        count: c.count,
        start: c.start,
        end: c.end,
        offset: c.offset,
        inode: c.inode,
        sizeKiB: c.sizeKiB,
        line: c.line,
        perms: c.perms,
        dev: c.dev,
        devs: this.devs.list,
        name: c.name,
        names: this.names.list,
        vmFlags: c.vmFlags,
        flagSets: this.flagSets,
        counterKeys: this.counterKeys,
        counters: c.counters,
        bigCounters: c.bigCounters,
        hasCounters: this.hasCounters,
      },
      this.warnings,
    );
  }
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

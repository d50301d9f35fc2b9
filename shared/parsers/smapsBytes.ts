/**
 * The byte-level pieces smaps.ts reads with, apart from the reader: the layout constants of the
 * kernel's lines, a padded decimal read four bytes at a time, hex tables, the parse of a
 * permissions field and a device, and two caches (the distinct strings of a file, and the lines
 * seen lately) that let most lines be matched eight bytes at a time instead of decoded.
 */
import { decodeUtf8 } from '../util/utf8';
import { PERM_EXEC, PERM_READ, PERM_WRITE } from './smapsModel';

/** The longest line read; the rest of a longer one is cut, with a warning. */
export const MAX_LINE = 64 * 1024;
export const NL = 10;
const SPACES4 = 0x20202020;
/** "   0" read little-endian. */
const ZERO4_LE = 0x30202020;
/** "       0" read as a little-endian double: a normal number, so equality is an exact match of the bytes. */
export const ZERO8_LE = new Float64Array(new Uint32Array([SPACES4, ZERO4_LE]).buffer)[0]!;
export const SPACE = 32;
/** A counter line that ends " kB", and one that ends with its digits (THPeligible, ProtectionKey). */
export const UNIT_KB = 1;
export const UNIT_NONE = 2;
export const TAB = 9;
export const COLON = 58;
/** " kB\n" */
export const KB_NL = 0x206b420a;
/** "VmFl", "ags:" */
export const VMFL = 0x566d466c;
export const AGS_COLON = 0x6167733a;

/**
 * The value of an 8-byte field of spaces then digits ("%8lu": bytes 16-23 of a counter line), read
 * as two little-endian words, four bytes at a time instead of a loop per digit; -1 unless the field
 * is some spaces then at least one digit.
 */
export function paddedDecimal8(lo: number, hi: number): number {
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
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;
/** The value of two hex digits by their bytes read big-endian as one 16-bit word, -1 for anything else. */
export const HEX2 = new Int16Array(65536).fill(-1);
for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (HEX[a]! >= 0 && HEX[b]! >= 0) HEX2[(a << 8) | b] = HEX[a]! * 16 + HEX[b]!;

export const isKeyChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
export const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Strings cut from the input, each distinct one given an index once: smaps repeats the same few. */
export class Dictionary {
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
export class RecentLines {
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

const permBit = (c: number, set: number, bit: number): number => (c === set ? bit : c === 45 ? 0 : -1);

/** The permissions code of the four bytes at i ("r-xp" and the like), or -1. */
export function permsAt(buf: Uint8Array, i: number): number {
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
export function devEnd(buf: Uint8Array, from: number, lim: number): number {
  let i = from;
  let colon = false;
  for (; i < lim; i++) {
    const c = buf[i]!;
    if (c === COLON && !colon && i > from) colon = true;
    else if (HEX[c]! < 0) break;
  }
  return colon && buf[i - 1] !== COLON ? i : -1;
}
export const excerpt = (buf: Uint8Array, s: number, e: number) => JSON.stringify(decodeUtf8(buf.subarray(s, Math.min(e, s + 240))).slice(0, 60));

export function splitFlags(buf: Uint8Array, i: number, e: number): string[] {
  const flags: string[] = [];
  while (i < e) {
    while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
    const from = i;
    while (i < e && buf[i] !== SPACE && buf[i] !== TAB) i++;
    if (i > from) flags.push(decodeUtf8(buf.subarray(from, i)));
  }
  return flags;
}

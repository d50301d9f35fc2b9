/**
 * A small DWARF (versions 2 to 5) reader: abbreviation tables, unit headers
 * and the debugging information entries of `.debug_info`, fed in order as
 * it is inflated, unit by unit, so a large section streams through without
 * being held whole. It decodes only the attributes a lookup of variables and
 * struct layouts needs (name, type, location, member offset, byte size,
 * address base); every other attribute is skipped by its form's size. Bad
 * input gives an error with the section offset where it went wrong; it
 * never throws, and every count it keeps is bounded.
 */
import { failed, parsed, type ParseError, type ParseResult } from './result';

export const DW_TAG = {
  member: 0x0d,
  structure_type: 0x13,
  typedef: 0x16,
  compile_unit: 0x11,
  base_type: 0x24,
  variable: 0x34,
} as const;

const DW_AT_location = 0x02;
const DW_AT_name = 0x03;
const DW_AT_byte_size = 0x0b;
const DW_AT_data_member_location = 0x38;
const DW_AT_type = 0x49;
const DW_AT_addr_base = 0x73;

export interface DwarfAbbrev {
  readonly tag: number;
  readonly hasChildren: boolean;
  /** [attribute, form, implicit constant] triples, flattened. */
  readonly specs: readonly number[];
}

export type AbbrevTable = ReadonlyMap<number, DwarfAbbrev>;

export interface DwarfUnit {
  /** Section offset of the unit header. */
  readonly offset: number;
  /** Header plus entries, in bytes. */
  readonly totalLength: number;
  readonly version: number;
  readonly unitType: number;
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  readonly abbrevOffset: number;
  /** Section offset of the first entry. */
  readonly firstDie: number;
}

/** One entry with the attributes the lookups need; absent attributes are undefined. */
export interface DwarfDie {
  readonly offset: number;
  readonly tag: number;
  /** 0 for the unit's own entry, 1 for its children, and so on. */
  readonly depth: number;
  readonly name?: string;
  /** Section offset of the referenced type entry. */
  readonly type?: number;
  /** DW_AT_location as an expression (exprloc or block). */
  readonly location?: Uint8Array;
  readonly memberOffset?: number;
  readonly byteSize?: number;
  readonly addrBase?: number;
}

const MAX_ABBREVS = 1 << 16;
const MAX_SPECS = 256;
const MAX_DEPTH = 256;
const MAX_NAME = 4096;

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    at: number,
    readonly base: number,
  ) {
    this.pos = at;
  }
  get left(): number {
    return this.bytes.length - this.pos;
  }
  u8(): number {
    if (this.pos >= this.bytes.length) throw new OutOfBytes(this.base + this.pos);
    return this.bytes[this.pos++]!;
  }
  fixed(n: number): number {
    if (this.pos + n > this.bytes.length) throw new OutOfBytes(this.base + this.pos);
    let v = 0;
    // Little-endian only: every target Gopherscope reads (amd64, arm64) is.
    for (let i = n - 1; i >= 0; i--) v = v * 256 + this.bytes[this.pos + i]!;
    this.pos += n;
    return v;
  }
  uleb(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw new Malformed('LEB128 number longer than 10 bytes', this.base + this.pos);
  }
  sleb(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return b & 0x40 ? v - scale : v;
    }
    throw new Malformed('LEB128 number longer than 10 bytes', this.base + this.pos);
  }
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new OutOfBytes(this.base + this.pos);
    this.pos += n;
  }
  take(n: number): Uint8Array {
    const at = this.pos;
    this.skip(n);
    return this.bytes.subarray(at, at + n);
  }
  cstr(): string {
    const at = this.pos;
    const end = this.bytes.indexOf(0, at);
    if (end < 0) throw new OutOfBytes(this.base + this.bytes.length);
    this.pos = end + 1;
    const n = Math.min(end - at, MAX_NAME);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.bytes[at + i]!);
    return s;
  }
}

// Internal control flow only: every exported function catches these and returns a positioned error.
class OutOfBytes extends Error {
  constructor(readonly offset: number) {
    super('ran past the end of the bytes');
  }
}
class Malformed extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function asError(e: unknown, fallbackOffset: number): ParseError {
  if (e instanceof OutOfBytes || e instanceof Malformed) return { message: e.message, offset: e.offset };
  return { message: `unexpected: ${(e as Error)?.message ?? String(e)}`, offset: fallbackOffset };
}

/** The abbreviation table at `offset` of `.debug_abbrev`. */
export function parseAbbrevTable(abbrev: Uint8Array, offset: number): ParseResult<AbbrevTable> {
  const table = new Map<number, DwarfAbbrev>();
  const r = new Reader(abbrev, offset, 0);
  try {
    if (offset < 0 || offset >= abbrev.length) return failed({ message: `abbreviation table offset ${offset} is outside .debug_abbrev (${abbrev.length} bytes)`, offset });
    for (;;) {
      const code = r.uleb();
      if (code === 0) break;
      if (table.size >= MAX_ABBREVS) return failed({ message: `more than ${MAX_ABBREVS} abbreviations in one table`, offset: r.pos });
      const tag = r.uleb();
      const hasChildren = r.u8() === 1;
      const specs: number[] = [];
      for (;;) {
        const name = r.uleb();
        const form = r.uleb();
        if (name === 0 && form === 0) break;
        const implicit = form === 0x21 ? r.sleb() : 0;
        specs.push(name, form, implicit);
        if (specs.length > MAX_SPECS * 3) return failed({ message: `abbreviation ${code} has more than ${MAX_SPECS} attributes`, offset: r.pos });
      }
      table.set(code, { tag, hasChildren, specs });
    }
  } catch (e) {
    return failed(asError(e, offset));
  }
  return parsed(table);
}

/**
 * The unit header at `at` of `bytes` (whose first byte is section offset
 * `base`). Only the length is needed to know where the unit ends; null when
 * fewer bytes than the length field are there yet.
 */
export function unitLength(bytes: Uint8Array, at: number): { readonly headerBytes: number; readonly totalLength: number } | null {
  if (at + 4 > bytes.length) return null;
  const r = new Reader(bytes, at, 0);
  const len32 = r.fixed(4);
  if (len32 === 0xffffffff) {
    if (at + 12 > bytes.length) return null;
    return { headerBytes: 12, totalLength: 12 + r.fixed(8) };
  }
  return { headerBytes: 4, totalLength: 4 + len32 };
}

export function parseUnitHeader(bytes: Uint8Array, at: number, base: number): ParseResult<DwarfUnit> {
  const r = new Reader(bytes, at, base);
  try {
    let offsetSize: 4 | 8 = 4;
    let length = r.fixed(4);
    if (length === 0xffffffff) {
      offsetSize = 8;
      length = r.fixed(8);
    } else if (length >= 0xfffffff0) {
      return failed({ message: `reserved unit length 0x${length.toString(16)}`, offset: base + at });
    }
    const totalLength = (offsetSize === 8 ? 12 : 4) + length;
    const version = r.fixed(2);
    if (version < 2 || version > 5) return failed({ message: `DWARF version ${version} is not 2 to 5`, offset: base + at + (offsetSize === 8 ? 12 : 4) });
    let unitType = 1;
    let addressSize: number;
    let abbrevOffset: number;
    if (version >= 5) {
      unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = r.fixed(offsetSize);
      // Skeleton/split and type units carry an id (and a type offset) before the entries.
      if (unitType === 4 || unitType === 5) r.skip(8);
      else if (unitType === 2 || unitType === 6) r.skip(8 + offsetSize);
    } else {
      abbrevOffset = r.fixed(offsetSize);
      addressSize = r.u8();
    }
    if (addressSize !== 4 && addressSize !== 8) return failed({ message: `address size ${addressSize} is not 4 or 8`, offset: base + r.pos - 1 });
    if (r.pos > at + totalLength) return failed({ message: 'unit header is longer than the unit', offset: base + at });
    return parsed({ offset: base + at, totalLength, version, unitType, addressSize, offsetSize, abbrevOffset, firstDie: base + r.pos });
  } catch (e) {
    return failed(asError(e, base + at));
  }
}

/**
 * Walks the entries of one unit (`bytes` holds the whole unit, its first
 * byte at section offset unit.offset). `onDie` is called for entries whose
 * tag `wants` accepts, in order with their depth; it returns true to stop.
 */
export function walkUnit(
  bytes: Uint8Array,
  unit: DwarfUnit,
  abbrevs: AbbrevTable,
  wants: (tag: number) => boolean,
  onDie: (die: DwarfDie) => boolean | void,
): ParseResult<{ readonly stopped: boolean }> {
  const base = unit.offset;
  const end = Math.min(bytes.length, unit.totalLength);
  const r = new Reader(bytes.subarray(0, end), unit.firstDie - base, base);
  let depth = 0;
  try {
    while (r.pos < end) {
      const dieOffset = base + r.pos;
      const code = r.uleb();
      if (code === 0) {
        depth--;
        if (depth < 0) break;
        continue;
      }
      const ab = abbrevs.get(code);
      if (!ab) return failed({ message: `abbreviation code ${code} is not in the unit's table`, offset: dieOffset });
      const keep = wants(ab.tag);
      let name: string | undefined;
      let type: number | undefined;
      let location: Uint8Array | undefined;
      let memberOffset: number | undefined;
      let byteSize: number | undefined;
      let addrBase: number | undefined;
      const specs = ab.specs;
      for (let i = 0; i < specs.length; i += 3) {
        const at = specs[i]!;
        let form = specs[i + 1]!;
        if (form === 0x16) form = r.uleb(); // indirect
        if (!keep) {
          skipForm(r, form, unit);
          continue;
        }
        switch (at) {
          case DW_AT_name:
            if (form === 0x08) name = r.cstr();
            else skipForm(r, form, unit);
            break;
          case DW_AT_type:
            type = readRef(r, form, unit);
            break;
          case DW_AT_location:
            location = readBlock(r, form, unit);
            break;
          case DW_AT_data_member_location: {
            const v = readConstantOrBlock(r, form, unit, specs[i + 2]!);
            memberOffset = typeof v === 'number' ? v : plusUconst(v);
            break;
          }
          case DW_AT_byte_size: {
            const v = readConstantOrBlock(r, form, unit, specs[i + 2]!);
            byteSize = typeof v === 'number' ? v : undefined;
            break;
          }
          case DW_AT_addr_base: {
            const v = readConstantOrBlock(r, form, unit, specs[i + 2]!);
            addrBase = typeof v === 'number' ? v : undefined;
            break;
          }
          default:
            skipForm(r, form, unit);
        }
      }
      if (keep) {
        const die: DwarfDie = {
          offset: dieOffset,
          tag: ab.tag,
          depth,
          ...(name !== undefined ? { name } : {}),
          ...(type !== undefined ? { type } : {}),
          ...(location !== undefined ? { location } : {}),
          ...(memberOffset !== undefined ? { memberOffset } : {}),
          ...(byteSize !== undefined ? { byteSize } : {}),
          ...(addrBase !== undefined ? { addrBase } : {}),
        };
        if (onDie(die) === true) return parsed({ stopped: true });
      }
      if (ab.hasChildren) {
        depth++;
        if (depth > MAX_DEPTH) return failed({ message: `entries nested deeper than ${MAX_DEPTH}`, offset: dieOffset });
      }
    }
  } catch (e) {
    return failed(asError(e, base + r.pos));
  }
  return parsed({ stopped: false });
}

function plusUconst(block: Uint8Array | undefined): number | undefined {
  // DWARF 2 member locations: DW_OP_plus_uconst N.
  if (!block || block[0] !== 0x23) return undefined;
  try {
    return new Reader(block, 1, 0).uleb();
  } catch {
    return undefined;
  }
}

function readRef(r: Reader, form: number, unit: DwarfUnit): number | undefined {
  switch (form) {
    case 0x10: // ref_addr: section offset (address-sized before DWARF 3)
      return r.fixed(unit.version <= 2 ? unit.addressSize : unit.offsetSize);
    case 0x11:
      return unit.offset + r.fixed(1);
    case 0x12:
      return unit.offset + r.fixed(2);
    case 0x13:
      return unit.offset + r.fixed(4);
    case 0x14:
      return unit.offset + r.fixed(8);
    case 0x15:
      return unit.offset + r.uleb();
    default:
      skipForm(r, form, unit);
      return undefined;
  }
}

function readBlock(r: Reader, form: number, unit: DwarfUnit): Uint8Array | undefined {
  switch (form) {
    case 0x18:
    case 0x09:
      return r.take(r.uleb());
    case 0x0a:
      return r.take(r.fixed(1));
    case 0x03:
      return r.take(r.fixed(2));
    case 0x04:
      return r.take(r.fixed(4));
    default:
      skipForm(r, form, unit);
      return undefined;
  }
}

function readConstantOrBlock(r: Reader, form: number, unit: DwarfUnit, implicit: number): number | Uint8Array | undefined {
  switch (form) {
    case 0x0b:
      return r.fixed(1);
    case 0x05:
      return r.fixed(2);
    case 0x06:
      return r.fixed(4);
    case 0x07:
      return r.fixed(8);
    case 0x0f:
      return r.uleb();
    case 0x0d:
      return r.sleb();
    case 0x17:
      return r.fixed(unit.offsetSize);
    case 0x21:
      return implicit;
    default:
      return readBlock(r, form, unit);
  }
}

/** Skips one attribute value of `form`; an unknown form is an error (its size cannot be known). */
function skipForm(r: Reader, form: number, unit: DwarfUnit): void {
  switch (form) {
    case 0x19: // flag_present
    case 0x21: // implicit_const
      return;
    case 0x0b:
    case 0x0c:
    case 0x11:
    case 0x25:
    case 0x29:
      return r.skip(1);
    case 0x05:
    case 0x12:
    case 0x26:
    case 0x2a:
      return r.skip(2);
    case 0x27:
    case 0x2b:
      return r.skip(3);
    case 0x06:
    case 0x13:
    case 0x1c:
    case 0x28:
    case 0x2c:
      return r.skip(4);
    case 0x07:
    case 0x14:
    case 0x20:
    case 0x24:
      return r.skip(8);
    case 0x1e:
      return r.skip(16);
    case 0x01:
      return r.skip(unit.addressSize);
    case 0x10:
      return r.skip(unit.version <= 2 ? unit.addressSize : unit.offsetSize);
    case 0x0e:
    case 0x17:
    case 0x1d:
    case 0x1f:
    case 0x1f20:
    case 0x1f21:
      return r.skip(unit.offsetSize);
    case 0x0d:
      r.sleb();
      return;
    case 0x0f:
    case 0x15:
    case 0x1a:
    case 0x1b:
    case 0x22:
    case 0x23:
    case 0x1f01:
    case 0x1f02:
      r.uleb();
      return;
    case 0x08:
      r.cstr();
      return;
    case 0x09:
    case 0x18:
      return r.skip(r.uleb());
    case 0x0a:
      return r.skip(r.fixed(1));
    case 0x03:
      return r.skip(r.fixed(2));
    case 0x04:
      return r.skip(r.fixed(4));
    default:
      throw new Malformed(`unknown attribute form 0x${form.toString(16)}`, r.base + r.pos);
  }
}

/**
 * The address a location expression names when it is a single static
 * address: DW_OP_addr A, or DW_OP_addrx / DW_OP_GNU_addr_index I (resolved
 * through `.debug_addr` by the caller).
 */
export function staticAddress(location: Uint8Array, addressSize: number): { readonly address: number } | { readonly addrIndex: number } | null {
  try {
    const r = new Reader(location, 0, 0);
    const op = r.u8();
    if (op === 0x03) {
      const address = r.fixed(addressSize);
      return r.left === 0 ? { address } : null;
    }
    if (op === 0xa1 || op === 0xfb) {
      const addrIndex = r.uleb();
      return r.left === 0 ? { addrIndex } : null;
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * Feeds `.debug_info` bytes in order, in chunks of any size, and hands each
 * complete unit to `onUnit`. Only the unit being assembled is kept; a unit
 * larger than `maxUnitBytes` is an error.
 */
export class DwarfUnitStream {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Section offset of the first buffered byte. */
  private offset = 0;
  private error: ParseError | null = null;
  private stopped = false;

  constructor(
    private readonly onUnit: (unit: DwarfUnit, bytes: Uint8Array) => ParseError | 'stop' | void,
    private readonly maxUnitBytes = 256 * 1024 * 1024,
  ) {}

  get failed(): ParseError | null {
    return this.error;
  }
  get done(): boolean {
    return this.stopped || this.error !== null;
  }
  /** Section bytes consumed so far (complete units). */
  get consumed(): number {
    return this.offset;
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 4) return;
      const head = this.peek(12);
      const len = unitLength(head, 0);
      if (!len) return;
      if (len.totalLength > this.maxUnitBytes) {
        this.error = { message: `a unit of ${len.totalLength} bytes is larger than the ${this.maxUnitBytes} allowed`, offset: this.offset };
        return;
      }
      if (this.buffered < len.totalLength) return;
      const bytes = this.takeFront(len.totalLength);
      const header = parseUnitHeader(bytes, 0, this.offset);
      if (!header.ok) {
        this.error = header.error;
        return;
      }
      this.offset += len.totalLength;
      const r = this.onUnit(header.value, bytes);
      if (r === 'stop') {
        this.stopped = true;
        return;
      }
      if (r) {
        this.error = r;
        return;
      }
    }
  }

  /** What is left when the section ended: a partial unit is an error. */
  finish(): ParseError | null {
    if (!this.error && !this.stopped && this.buffered > 0) this.error = { message: `the section ends inside a unit (${this.buffered} bytes left over)`, offset: this.offset };
    return this.error;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length >= Math.min(n, this.buffered)) return first.subarray(0, Math.min(n, first.length));
    return this.concat(Math.min(n, this.buffered), false);
  }

  private takeFront(n: number): Uint8Array {
    return this.concat(n, true);
  }

  private concat(n: number, consume: boolean): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (consume) {
        if (first.length === n) this.chunks.shift();
        else this.chunks[0] = first.subarray(n);
        this.buffered -= n;
      }
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    let i = 0;
    while (o < n) {
      const c = this.chunks[i]!;
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (consume) {
        if (k === c.length) i++;
        else this.chunks[i] = c.subarray(k);
      } else i++;
    }
    if (consume) {
      this.chunks.splice(0, i);
      this.buffered -= n;
    }
    return out;
  }
}

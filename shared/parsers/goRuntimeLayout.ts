/**
 * Where the Go runtime keeps GOMAXPROCS, the memory limit and GOGC, found in
 * a binary's DWARF: the link-time addresses of the variables
 * `runtime.gomaxprocs` (int32) and `runtime.gcController`
 * (runtime.gcControllerState), and the offsets inside that struct of the
 * integers behind its `gcPercent` and `memoryLimit` fields (atomic wrappers
 * whose `value` member holds the number). Nothing here is a per-version
 * table: every offset and size comes from the binary's own type entries, so
 * a Go release that renames or reshapes a field gives "not found" with the
 * reason, never a wrong address.
 *
 * `.debug_info` is fed unit by unit as it is inflated; `complete` turns true
 * as soon as everything needed has been seen, so the caller can stop reading
 * the section there.
 */
import { DW_TAG, DwarfUnitStream, parseAbbrevTable, staticAddress, walkUnit, type AbbrevTable, type DwarfDie, type DwarfUnit } from './dwarf';
import { failed, parsed, type ParseError, type ParseResult } from './result';

export interface GoVarLocation {
  /** Link-time virtual address (add the load bias of a PIE). */
  readonly address: number;
  readonly symbol: string;
}

export interface GoFieldLocation {
  /** Byte offset of the integer inside runtime.gcControllerState. */
  readonly offset: number;
  /** 4 or 8. */
  readonly size: number;
  /** The path through the type, e.g. "gcPercent.value". */
  readonly path: string;
}

export interface GoRuntimeLayout {
  readonly dwarfVersion: number | null;
  readonly gomaxprocs: (GoVarLocation & { readonly size: number }) | null;
  readonly gcController: GoVarLocation | null;
  readonly gcPercent: GoFieldLocation | null;
  readonly memoryLimit: GoFieldLocation | null;
  /** Why a location is null, keyed like the fields above. */
  readonly missing: Readonly<Record<string, string>>;
  /** Bytes of .debug_info read before everything was found (or all of it). */
  readonly infoBytesRead: number;
}

const GOMAXPROCS = 'runtime.gomaxprocs';
const GC_CONTROLLER = 'runtime.gcController';
const GC_CONTROLLER_STATE = 'runtime.gcControllerState';
const FIELDS = { gcPercent: 'gcPercent', memoryLimit: 'memoryLimit' } as const;
const MAX_KEPT = 4096;

interface TypeEntry {
  readonly tag: number;
  readonly name: string;
  readonly type?: number;
  readonly byteSize?: number;
  members: Array<{ readonly name: string; readonly offset: number; readonly type?: number }>;
}

/** The type names worth keeping: the controller's struct and typedef, integer base types, and atomic integer wrappers. */
function keepsType(die: DwarfDie): boolean {
  const name = die.name;
  if (!name) return false;
  if (die.tag === DW_TAG.base_type) return true;
  return name === GC_CONTROLLER_STATE || /(^|\/)atomic\.(Int32|Int64|Uint32|Uint64)$/.test(name);
}

const WANTED_TAGS = new Set<number>([DW_TAG.compile_unit, DW_TAG.variable, DW_TAG.structure_type, DW_TAG.typedef, DW_TAG.base_type, DW_TAG.member]);

export class GoRuntimeLayoutFinder {
  private readonly stream: DwarfUnitStream;
  private readonly abbrevTables = new Map<number, AbbrevTable>();
  private readonly types = new Map<number, TypeEntry>();
  private readonly vars = new Map<string, { readonly location?: Uint8Array; readonly type?: number; readonly addressSize: number; readonly addrBase?: number }>();
  private dwarfVersion: number | null = null;
  private read = 0;
  private found = false;

  private readonly debugAddr: Uint8Array | undefined;

  /** `debugAddr`: the inflated .debug_addr, for DWARF 5 locations given as an index (DW_OP_addrx). */
  constructor(
    private readonly abbrev: Uint8Array,
    opts: { readonly maxUnitBytes?: number; readonly debugAddr?: Uint8Array } = {},
  ) {
    this.debugAddr = opts.debugAddr;
    this.stream = new DwarfUnitStream((unit, bytes) => this.onUnit(unit, bytes), opts.maxUnitBytes);
  }

  /** True once every location is resolved: the rest of .debug_info need not be read. */
  get complete(): boolean {
    return this.found;
  }
  get error(): ParseError | null {
    return this.stream.failed;
  }
  /** Section offset where the units read so far end (where the lookup completed, once complete). */
  get unitsEnd(): number {
    return this.stream.consumed;
  }

  /** Inflated .debug_info bytes, in order, any chunk size. */
  push(chunk: Uint8Array): void {
    if (this.found) return;
    this.read += chunk.length;
    this.stream.push(chunk);
  }

  private onUnit(unit: DwarfUnit, bytes: Uint8Array): ParseError | 'stop' | void {
    this.dwarfVersion ??= unit.version;
    let abbrevs = this.abbrevTables.get(unit.abbrevOffset);
    if (!abbrevs) {
      const t = parseAbbrevTable(this.abbrev, unit.abbrevOffset);
      if (!t.ok) return t.error;
      abbrevs = t.value;
      this.abbrevTables.set(unit.abbrevOffset, abbrevs);
    }
    let addrBase: number | undefined;
    let openStruct: { entry: TypeEntry; depth: number } | null = null;
    const r = walkUnit(
      bytes,
      unit,
      abbrevs,
      (tag) => WANTED_TAGS.has(tag),
      (die) => {
        if (openStruct && die.depth <= openStruct.depth) openStruct = null;
        switch (die.tag) {
          case DW_TAG.compile_unit:
            addrBase = die.addrBase;
            return;
          case DW_TAG.variable:
            if (die.depth === 1 && (die.name === GOMAXPROCS || die.name === GC_CONTROLLER) && !this.vars.has(die.name)) {
              this.vars.set(die.name, {
                ...(die.location ? { location: die.location.slice() } : {}),
                ...(die.type !== undefined ? { type: die.type } : {}),
                addressSize: unit.addressSize,
                ...(addrBase !== undefined ? { addrBase } : {}),
              });
            }
            return;
          case DW_TAG.member:
            if (openStruct && die.depth === openStruct.depth + 1 && die.name !== undefined && die.memberOffset !== undefined && openStruct.entry.members.length < 1024) {
              openStruct.entry.members.push({ name: die.name, offset: die.memberOffset, ...(die.type !== undefined ? { type: die.type } : {}) });
            }
            return;
          default:
            if (die.depth === 1 && keepsType(die) && this.types.size < MAX_KEPT) {
              const entry: TypeEntry = {
                tag: die.tag,
                name: die.name!,
                ...(die.type !== undefined ? { type: die.type } : {}),
                ...(die.byteSize !== undefined ? { byteSize: die.byteSize } : {}),
                members: [],
              };
              this.types.set(die.offset, entry);
              if (die.tag === DW_TAG.structure_type) openStruct = { entry, depth: die.depth };
            }
        }
      },
    );
    if (!r.ok) return r.error;
    if (this.resolve().complete) {
      this.found = true;
      return 'stop';
    }
  }

  /** The layout so far; call after the last push (or once complete). */
  finish(): ParseResult<GoRuntimeLayout> {
    const err = this.found ? null : this.stream.finish();
    const r = this.resolve();
    if (err && !r.complete) {
      // A damaged unit after what was found still leaves the found parts usable.
      if (!r.layout.gomaxprocs && !r.layout.gcController) return failed(err);
      return parsed({ ...r.layout, infoBytesRead: this.read }, [err]);
    }
    return parsed({ ...r.layout, infoBytesRead: this.read });
  }

  private resolve(): { complete: boolean; layout: Omit<GoRuntimeLayout, 'infoBytesRead'> } {
    const missing: Record<string, string> = {};
    const addressOf = (name: string): GoVarLocation | null => {
      const v = this.vars.get(name);
      if (!v) {
        missing[name] = `no DWARF entry for the variable ${name}`;
        return null;
      }
      const loc = v.location ? staticAddress(v.location, v.addressSize) : null;
      if (!loc) {
        missing[name] = `${name} has no static address in its DWARF location`;
        return null;
      }
      if ('address' in loc) return { address: loc.address, symbol: name };
      const a = this.debugAddr && v.addrBase !== undefined ? readAddr(this.debugAddr, v.addrBase + loc.addrIndex * v.addressSize, v.addressSize) : null;
      if (a === null) {
        missing[name] = `${name}'s address is an index into .debug_addr, which was not read`;
        return null;
      }
      return { address: a, symbol: name };
    };
    const gmp = addressOf(GOMAXPROCS);
    const gmpSize = gmp ? this.integerSize(this.vars.get(GOMAXPROCS)?.type) : null;
    if (gmp && gmpSize !== 4) missing.gomaxprocs = `runtime.gomaxprocs is not an int32 in this binary's DWARF`;
    const gomaxprocs = gmp && gmpSize === 4 ? { ...gmp, size: 4 } : null;
    if (!gmp) missing.gomaxprocs = missing[GOMAXPROCS]!;

    const gcController = addressOf(GC_CONTROLLER);
    if (!gcController) missing.gcController = missing[GC_CONTROLLER]!;
    let gcPercent: GoFieldLocation | null = null;
    let memoryLimit: GoFieldLocation | null = null;
    const struct = this.structOf(this.vars.get(GC_CONTROLLER)?.type);
    if (!struct) {
      const why = this.vars.has(GC_CONTROLLER) ? `the type ${GC_CONTROLLER_STATE} was not found in the DWARF read` : `no DWARF entry for ${GC_CONTROLLER}`;
      missing.gcPercent = why;
      missing.memoryLimit = why;
    } else {
      gcPercent = this.field(struct, FIELDS.gcPercent, missing, 'gcPercent');
      memoryLimit = this.field(struct, FIELDS.memoryLimit, missing, 'memoryLimit');
    }
    for (const k of [GOMAXPROCS, GC_CONTROLLER]) delete missing[k];
    const complete = gomaxprocs !== null && gcController !== null && gcPercent !== null && memoryLimit !== null;
    return { complete, layout: { dwarfVersion: this.dwarfVersion, gomaxprocs, gcController, gcPercent, memoryLimit, missing } };
  }

  /** Follows typedefs to a kept struct. */
  private structOf(ref: number | undefined): TypeEntry | null {
    for (let i = 0; i < 8 && ref !== undefined; i++) {
      const t = this.types.get(ref);
      if (!t) return null;
      if (t.tag === DW_TAG.structure_type) return t;
      if (t.tag !== DW_TAG.typedef) return null;
      ref = t.type;
    }
    return null;
  }

  /** Byte size of a kept integer base type (through typedefs), or null. */
  private integerSize(ref: number | undefined): number | null {
    for (let i = 0; i < 8 && ref !== undefined; i++) {
      const t = this.types.get(ref);
      if (!t) return null;
      if (t.tag === DW_TAG.base_type) return /^u?int(8|16|32|64)?$/.test(t.name) ? (t.byteSize ?? null) : null;
      if (t.tag !== DW_TAG.typedef) return null;
      ref = t.type;
    }
    return null;
  }

  /** The integer behind a member: the member itself, or its atomic wrapper's `value`. */
  private field(struct: TypeEntry, name: string, missing: Record<string, string>, key: string): GoFieldLocation | null {
    const m = struct.members.find((x) => x.name === name);
    if (!m) {
      missing[key] = `${GC_CONTROLLER_STATE} has no field ${name} in this Go version`;
      return null;
    }
    const direct = this.integerSize(m.type);
    if (direct === 4 || direct === 8) return { offset: m.offset, size: direct, path: name };
    const wrapper = this.structOf(m.type);
    const inner = wrapper?.members.find((x) => x.name === 'value');
    const size = inner ? this.integerSize(inner.type) : null;
    if (!wrapper || !inner || (size !== 4 && size !== 8)) {
      missing[key] = `${GC_CONTROLLER_STATE}.${name} is not an integer or an atomic integer wrapper in this binary's DWARF`;
      return null;
    }
    return { offset: m.offset + inner.offset, size, path: `${name}.value` };
  }
}

function readAddr(bytes: Uint8Array, at: number, size: number): number | null {
  if (at < 0 || at + size > bytes.length) return null;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

/** The whole lookup over `.debug_info` already inflated (for tests and small binaries). */
export function findGoRuntimeLayout(abbrev: Uint8Array, info: Uint8Array, debugAddr?: Uint8Array): ParseResult<GoRuntimeLayout> {
  const f = new GoRuntimeLayoutFinder(abbrev, debugAddr ? { debugAddr } : {});
  f.push(info);
  return f.finish();
}

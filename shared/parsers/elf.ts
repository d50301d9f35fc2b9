/**
 * Just enough ELF to find where a Go binary keeps its build info, its
 * symbols and its DWARF, from byte ranges read remotely: the file header and
 * program headers sit in the first few KiB; the section header table (where
 * e_shoff says, at the start for Go's own linker since 1.26, at the end for
 * external linkers) and the section names locate `.go.buildinfo`, `.symtab`
 * and the `.debug_*` sections, whose bytes are then read as ranges too.
 */
import { Unzlib } from 'fflate';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface ElfProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly fileSize: number;
  readonly memSize: number;
}

export interface ElfHeader {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
  /** e_entry: the link-time entry point (the load bias of a PIE is AT_ENTRY minus this). */
  readonly entry: number;
  readonly programHeaders: readonly ElfProgramHeader[];
  /** e_shoff, e_shentsize, e_shnum, e_shstrndx; a count of 0 means no section header table. */
  readonly sectionHeaderOffset: number;
  readonly sectionHeaderEntrySize: number;
  readonly sectionHeaderCount: number;
  readonly sectionNamesIndex: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly addralign: number;
  readonly entsize: number;
}

export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHF_WRITE = 1;
export const SHF_ALLOC = 2;
export const SHF_COMPRESSED = 0x800;

const MAX_PROGRAM_HEADERS = 256;
/** Section tables larger than this are not read (Go binaries have 20-60 sections; 4096 is generous). */
export const MAX_SECTIONS = 4096;
const SHN_XINDEX = 0xffff;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseElfHeader(bytes: Uint8Array): ParseResult<ElfHeader> {
  if (bytes.length < 52) return failed({ message: `ELF header needs 52 bytes, got ${bytes.length}`, offset: bytes.length });
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return failed({ message: 'not an ELF file (bad magic)', offset: 0 });
  }
  const cls = bytes[4] === 2 ? 64 : bytes[4] === 1 ? 32 : undefined;
  if (cls === undefined) return failed({ message: `unknown ELF class ${bytes[4]}`, offset: 4 });
  const littleEndian = bytes[5] === 1;
  if (bytes[5] !== 1 && bytes[5] !== 2) return failed({ message: `unknown ELF data encoding ${bytes[5]}`, offset: 5 });
  const view = viewOf(bytes);
  const u16 = (o: number) => view.getUint16(o, littleEndian);
  const u32 = (o: number) => view.getUint32(o, littleEndian);
  const u64 = (o: number) => Number(view.getBigUint64(o, littleEndian));
  if (cls === 64 && bytes.length < 64) return failed({ message: `ELF64 header needs 64 bytes, got ${bytes.length}`, offset: bytes.length });

  const type = u16(16);
  const machine = u16(18);
  const entry = cls === 64 ? u64(24) : u32(24);
  const phoff = cls === 64 ? u64(32) : u32(28);
  const shoff = cls === 64 ? u64(40) : u32(32);
  const phentsize = cls === 64 ? u16(54) : u16(42);
  const phnum = cls === 64 ? u16(56) : u16(44);
  const shentsize = cls === 64 ? u16(58) : u16(46);
  const shnum = cls === 64 ? u16(60) : u16(48);
  const shstrndx = cls === 64 ? u16(62) : u16(50);
  const warnings: ParseWarning[] = [];
  const expectedEntSize = cls === 64 ? 56 : 32;
  if (phentsize < expectedEntSize) return failed({ message: `program header entry size ${phentsize} too small`, offset: cls === 64 ? 54 : 42 });
  let count = phnum;
  if (count > MAX_PROGRAM_HEADERS) {
    warnings.push({ message: `${phnum} program headers; reading the first ${MAX_PROGRAM_HEADERS}`, offset: cls === 64 ? 56 : 44 });
    count = MAX_PROGRAM_HEADERS;
  }
  const programHeaders: ElfProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const at = phoff + i * phentsize;
    if (at + expectedEntSize > bytes.length) {
      warnings.push({ message: `program header ${i} lies beyond the ${bytes.length} bytes read`, offset: at });
      break;
    }
    if (cls === 64) {
      programHeaders.push({
        type: u32(at),
        flags: u32(at + 4),
        offset: u64(at + 8),
        vaddr: u64(at + 16),
        fileSize: u64(at + 32),
        memSize: u64(at + 40),
      });
    } else {
      programHeaders.push({
        type: u32(at),
        offset: u32(at + 4),
        vaddr: u32(at + 8),
        fileSize: u32(at + 16),
        memSize: u32(at + 20),
        flags: u32(at + 24),
      });
    }
  }
  // e_shnum 0 with a table means more than 65279 sections (the count is in section 0): not a Go binary's shape, so no table.
  const sectionHeaderCount = shoff > 0 && shentsize >= (cls === 64 ? 64 : 40) ? shnum : 0;
  if (shoff > 0 && shnum > 0 && sectionHeaderCount === 0) warnings.push({ message: `section header entry size ${shentsize} too small; sections not read`, offset: cls === 64 ? 58 : 46 });
  return parsed(
    { class: cls, littleEndian, type, machine, entry, programHeaders, sectionHeaderOffset: shoff, sectionHeaderEntrySize: shentsize, sectionHeaderCount, sectionNamesIndex: shstrndx },
    warnings,
  );
}

/** The segment debug/buildinfo searches when section headers are not used: the first PT_LOAD that is writable and not executable. */
export function firstWritableLoad(header: ElfHeader): ElfProgramHeader | undefined {
  return header.programHeaders.find((p) => p.type === PT_LOAD && (p.flags & (PF_W | PF_X)) === PF_W);
}

/** Every writable, non-executable PT_LOAD with bytes in the file, in file order. */
export function writableLoads(header: ElfHeader): ElfProgramHeader[] {
  return header.programHeaders.filter((p) => p.type === PT_LOAD && (p.flags & (PF_W | PF_X)) === PF_W && p.fileSize > 0);
}

/** The file range of the section header table, or null when there is none (or it is implausibly large). */
export function sectionTableRange(header: ElfHeader): { readonly offset: number; readonly length: number } | null {
  const n = header.sectionHeaderCount;
  if (n === 0 || n > MAX_SECTIONS || header.sectionHeaderOffset <= 0) return null;
  return { offset: header.sectionHeaderOffset, length: n * header.sectionHeaderEntrySize };
}

/**
 * Parses the section header table (the bytes of sectionTableRange). Names
 * stay unresolved ('') until nameSections is given the names section.
 */
export function parseSectionHeaders(header: ElfHeader, table: Uint8Array): ParseResult<Array<ElfSection & { readonly nameOffset: number }>> {
  const range = sectionTableRange(header);
  if (!range) return failed({ message: 'the ELF header names no section header table', offset: 0 });
  const es = header.sectionHeaderEntrySize;
  const warnings: ParseWarning[] = [];
  const view = viewOf(table);
  const le = header.littleEndian;
  const u32 = (o: number) => view.getUint32(o, le);
  const word = (o: number) => (header.class === 64 ? Number(view.getBigUint64(o, le)) : view.getUint32(o, le));
  const sections: Array<ElfSection & { nameOffset: number }> = [];
  for (let i = 0; i < header.sectionHeaderCount; i++) {
    const at = i * es;
    if (at + (header.class === 64 ? 64 : 40) > table.length) {
      warnings.push({ message: `section header ${i} lies beyond the ${table.length} bytes read`, offset: range.offset + at });
      break;
    }
    if (header.class === 64) {
      sections.push({
        index: i,
        name: '',
        nameOffset: u32(at),
        type: u32(at + 4),
        flags: word(at + 8),
        addr: word(at + 16),
        offset: word(at + 24),
        size: word(at + 32),
        link: u32(at + 40),
        addralign: word(at + 48),
        entsize: word(at + 56),
      });
    } else {
      sections.push({
        index: i,
        name: '',
        nameOffset: u32(at),
        type: u32(at + 4),
        flags: u32(at + 8),
        addr: u32(at + 12),
        offset: u32(at + 16),
        size: u32(at + 20),
        link: u32(at + 24),
        addralign: u32(at + 32),
        entsize: u32(at + 36),
      });
    }
  }
  if (sections.length === 0) return failed({ message: 'no complete section header in the bytes read', offset: range.offset }, warnings);
  return parsed(sections, warnings);
}

/** The section that holds the section names (e_shstrndx, or section 0's sh_link for SHN_XINDEX). */
export function sectionNamesSection(header: ElfHeader, sections: readonly ElfSection[]): ElfSection | undefined {
  const index = header.sectionNamesIndex === SHN_XINDEX ? sections[0]?.link : header.sectionNamesIndex;
  if (index === undefined || index === 0) return undefined;
  const s = sections[index];
  return s && s.type === SHT_STRTAB ? s : undefined;
}

/** A NUL-terminated string at `at`, at most `max` bytes, as Latin-1 (section and symbol names are ASCII). */
export function cString(bytes: Uint8Array, at: number, max = 1024): string | undefined {
  if (at < 0 || at >= bytes.length) return undefined;
  let end = at;
  const limit = Math.min(bytes.length, at + max);
  while (end < limit && bytes[end] !== 0) end++;
  if (end >= limit && (end >= bytes.length || bytes[end] !== 0)) return undefined;
  let s = '';
  for (let i = at; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Gives each section its name from the names section's bytes; a name out of range stays ''. */
export function nameSections(sections: ReadonlyArray<ElfSection & { readonly nameOffset: number }>, names: Uint8Array): ElfSection[] {
  return sections.map(({ nameOffset, ...s }) => ({ ...s, name: cString(names, nameOffset, 256) ?? '' }));
}

/** The file offset of a virtual address inside a PT_LOAD's file bytes, or null. */
export function fileOffsetOfVaddr(header: ElfHeader, vaddr: number): number | null {
  for (const p of header.programHeaders) {
    if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.fileSize) return p.offset + (vaddr - p.vaddr);
  }
  return null;
}

/** The size and header length of a SHF_COMPRESSED section's contents (Elf64_Chdr / Elf32_Chdr), or the legacy .zdebug "ZLIB" header. */
export interface CompressedSection {
  readonly algorithm: 'zlib' | 'zstd' | 'unknown';
  readonly uncompressedSize: number;
  /** Bytes before the compressed stream. */
  readonly headerSize: number;
}

export function compressionHeader(header: ElfHeader, section: ElfSection, first: Uint8Array): ParseResult<CompressedSection | null> {
  if (section.name.startsWith('.zdebug_')) {
    if (first.length < 12 || String.fromCharCode(...first.subarray(0, 4)) !== 'ZLIB') return failed({ message: `${section.name} lacks its "ZLIB" header`, offset: section.offset });
    const size = Number(viewOf(first).getBigUint64(4, false));
    return parsed({ algorithm: 'zlib', uncompressedSize: size, headerSize: 12 });
  }
  if ((section.flags & SHF_COMPRESSED) === 0) return parsed(null);
  const headerSize = header.class === 64 ? 24 : 12;
  if (first.length < headerSize) return failed({ message: `${section.name}: compression header needs ${headerSize} bytes, got ${first.length}`, offset: section.offset });
  const view = viewOf(first);
  const type = view.getUint32(0, header.littleEndian);
  const size = header.class === 64 ? Number(view.getBigUint64(8, header.littleEndian)) : view.getUint32(4, header.littleEndian);
  return parsed({ algorithm: type === 1 ? 'zlib' : type === 2 ? 'zstd' : 'unknown', uncompressedSize: size, headerSize });
}

export interface ElfSymbol {
  readonly value: number;
  readonly size: number;
}

/**
 * The named symbols' values and sizes from a symbol table and its string
 * table (both read whole). One pass; names not present are absent from the
 * map.
 */
export function findSymbols(header: ElfHeader, symtab: Uint8Array, strtab: Uint8Array, names: readonly string[]): Map<string, ElfSymbol> {
  const wanted = new Set(names);
  const found = new Map<string, ElfSymbol>();
  const es = header.class === 64 ? 24 : 16;
  const view = viewOf(symtab);
  const le = header.littleEndian;
  const maxName = names.reduce((m, n) => Math.max(m, n.length), 0) + 1;
  for (let at = 0; at + es <= symtab.length && found.size < wanted.size; at += es) {
    const nameOff = view.getUint32(at, le);
    if (nameOff === 0) continue;
    const name = cString(strtab, nameOff, maxName);
    if (name === undefined || !wanted.has(name) || found.has(name)) continue;
    if (header.class === 64) found.set(name, { value: Number(view.getBigUint64(at + 8, le)), size: Number(view.getBigUint64(at + 16, le)) });
    else found.set(name, { value: view.getUint32(at + 4, le), size: view.getUint32(at + 8, le) });
  }
  return found;
}

export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

/** The notes of a SHT_NOTE section or PT_NOTE segment (4-byte aligned entries). */
export function parseNotes(header: ElfHeader, bytes: Uint8Array): ElfNote[] {
  const notes: ElfNote[] = [];
  const view = viewOf(bytes);
  const le = header.littleEndian;
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= bytes.length && notes.length < 64;) {
    const namesz = view.getUint32(at, le);
    const descsz = view.getUint32(at + 4, le);
    const type = view.getUint32(at + 8, le);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    if (namesz > bytes.length || descsz > bytes.length || descAt + descsz > bytes.length) break;
    notes.push({ name: cString(bytes, nameAt, namesz) ?? '', type, desc: bytes.slice(descAt, descAt + descsz) });
    at = descAt + align4(descsz);
  }
  return notes;
}

/** The Go build ID (note "Go", type 4) or the GNU build ID (note "GNU", type 3, as hex) of a binary, from its note bytes. */
export function buildIdOf(header: ElfHeader, noteBytes: Uint8Array): string | null {
  const notes = parseNotes(header, noteBytes);
  const go = notes.find((n) => n.name === 'Go' && n.type === 4);
  if (go) return `go:${String.fromCharCode(...go.desc.subarray(0, 256))}`;
  const gnu = notes.find((n) => n.name === 'GNU' && n.type === 3);
  if (gnu) return `gnu:${[...gnu.desc.subarray(0, 64)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  return null;
}

export const AT_PHDR = 3;
export const AT_ENTRY = 9;

/** /proc/PID/auxv: pairs of native words, up to AT_NULL. */
export function parseAuxv(header: Pick<ElfHeader, 'class' | 'littleEndian'>, bytes: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  const view = viewOf(bytes);
  const w = header.class === 64 ? 8 : 4;
  const word = (o: number) => (w === 8 ? Number(view.getBigUint64(o, header.littleEndian)) : view.getUint32(o, header.littleEndian));
  for (let at = 0; at + 2 * w <= bytes.length && out.size < 256; at += 2 * w) {
    const type = word(at);
    if (type === 0) break;
    out.set(type, word(at + w));
  }
  return out;
}

/**
 * Inflates a section's contents as its bytes arrive, in order and in any
 * chunking: plain sections pass through; SHF_COMPRESSED (zlib) and .zdebug
 * sections are inflated with the compression header taken off the front.
 * Output stops (with an error) past `maxOut` bytes, so a hostile size field
 * or stream cannot grow memory without bound. Never throws.
 */
export class SectionInflater {
  private head: Uint8Array = new Uint8Array(0);
  private info: CompressedSection | null | undefined;
  private unzlib: Unzlib | null = null;
  private out = 0;
  private err: string | null = null;

  constructor(
    private readonly header: ElfHeader,
    private readonly section: ElfSection,
    private readonly onData: (bytes: Uint8Array) => void,
    private readonly maxOut: number,
  ) {}

  get error(): string | null {
    return this.err;
  }
  get inflated(): number {
    return this.out;
  }
  /** The uncompressed size the section declares (its size when not compressed), once known. */
  get declaredSize(): number | null {
    if (this.info === undefined) return null;
    return this.info ? this.info.uncompressedSize : this.section.size;
  }

  push(chunk: Uint8Array, final = false): void {
    if (this.err) return;
    try {
      if (this.info === undefined) {
        this.head = concatBytes(this.head, chunk);
        if (this.head.length < 24 && !final) return;
        const c = compressionHeader(this.header, this.section, this.head);
        if (!c.ok) return void (this.err = c.error.message);
        this.info = c.value;
        if (this.info && this.info.algorithm !== 'zlib') return void (this.err = `${this.section.name} is compressed with ${this.info.algorithm}, which is not supported (only zlib)`);
        if (this.info) {
          this.unzlib = new Unzlib((data) => this.emit(data));
          chunk = this.head.subarray(this.info.headerSize);
        } else chunk = this.head;
        this.head = new Uint8Array(0);
      }
      if (this.unzlib) this.unzlib.push(chunk, final);
      else this.emit(chunk);
    } catch (e) {
      this.err = `${this.section.name} does not inflate: ${(e as Error).message}`;
    }
  }

  private emit(data: Uint8Array): void {
    if (this.err) return;
    this.out += data.length;
    if (this.out > this.maxOut) {
      this.err = `${this.section.name} inflates past ${this.maxOut} bytes; stopped`;
      throw new Error(this.err);
    }
    this.onData(data);
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A whole section's contents from its bytes (inflated when compressed), at most `maxOut` bytes. */
export function sectionContents(header: ElfHeader, section: ElfSection, bytes: Uint8Array, maxOut: number): ParseResult<Uint8Array> {
  const parts: Uint8Array[] = [];
  const inf = new SectionInflater(header, section, (d) => parts.push(d.slice()), maxOut);
  inf.push(bytes, true);
  if (inf.error) return failed({ message: inf.error, offset: section.offset });
  const out = new Uint8Array(inf.inflated);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return parsed(out);
}

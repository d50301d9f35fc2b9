/**
 * Just enough ELF to find where a Go binary keeps its build info, from
 * byte ranges read remotely: the file header and program headers sit in the
 * first few KiB, so one small read locates the writable PT_LOAD segment.
 */
import { failed, parsed, type ParseResult } from './result';

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
  readonly programHeaders: readonly ElfProgramHeader[];
}

export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

const MAX_PROGRAM_HEADERS = 256;

export function parseElfHeader(bytes: Uint8Array): ParseResult<ElfHeader> {
  if (bytes.length < 52) return failed({ message: `ELF header needs 52 bytes, got ${bytes.length}`, offset: bytes.length });
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return failed({ message: 'not an ELF file (bad magic)', offset: 0 });
  }
  const cls = bytes[4] === 2 ? 64 : bytes[4] === 1 ? 32 : undefined;
  if (cls === undefined) return failed({ message: `unknown ELF class ${bytes[4]}`, offset: 4 });
  const littleEndian = bytes[5] === 1;
  if (bytes[5] !== 1 && bytes[5] !== 2) return failed({ message: `unknown ELF data encoding ${bytes[5]}`, offset: 5 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, littleEndian);
  const u32 = (o: number) => view.getUint32(o, littleEndian);
  const u64 = (o: number) => Number(view.getBigUint64(o, littleEndian));
  if (cls === 64 && bytes.length < 64) return failed({ message: `ELF64 header needs 64 bytes, got ${bytes.length}`, offset: bytes.length });

  const type = u16(16);
  const machine = u16(18);
  const phoff = cls === 64 ? u64(32) : u32(28);
  const phentsize = cls === 64 ? u16(54) : u16(42);
  const phnum = cls === 64 ? u16(56) : u16(44);
  const warnings = [];
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
  return parsed({ class: cls, littleEndian, type, machine, programHeaders }, warnings);
}

/** The segment debug/buildinfo searches when section headers are not used: the first PT_LOAD that is writable and not executable. */
export function firstWritableLoad(header: ElfHeader): ElfProgramHeader | undefined {
  return header.programHeaders.find((p) => p.type === PT_LOAD && (p.flags & (PF_W | PF_X)) === PF_W);
}

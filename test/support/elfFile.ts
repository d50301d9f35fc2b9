/**
 * A local ELF file read with Gopherscope's own parsers, for tests that check
 * those parsers against Go's (test/lab/dwarfOracle.ts): the header, the named
 * sections, and a section's contents (inflated when compressed).
 */
import { readFileSync } from 'node:fs';
import { nameSections, parseElfHeader, parseSectionHeaders, sectionContents, sectionNamesSection, sectionTableRange, type ElfHeader, type ElfSection } from '../../shared/parsers/elf';

export interface ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  section(name: string): ElfSection | undefined;
  /** Raw bytes of a section as stored in the file. */
  raw(name: string): Uint8Array | undefined;
  /** Contents, inflated when the section is compressed. */
  contents(name: string): Uint8Array | undefined;
}

export function readElfFile(path: string): ElfFile {
  const bytes = new Uint8Array(readFileSync(path));
  const h = parseElfHeader(bytes);
  if (!h.ok) throw new Error(`${path}: ${h.error.message}`);
  const header = h.value;
  const range = sectionTableRange(header);
  let sections: ElfSection[] = [];
  if (range) {
    const raw = parseSectionHeaders(header, bytes.subarray(range.offset, range.offset + range.length));
    if (!raw.ok) throw new Error(`${path}: ${raw.error.message}`);
    const names = sectionNamesSection(header, raw.value);
    if (names) sections = nameSections(raw.value, bytes.subarray(names.offset, names.offset + names.size));
  }
  const section = (name: string) => sections.find((s) => s.name === name);
  const raw = (name: string) => {
    const s = section(name);
    return s ? bytes.subarray(s.offset, s.offset + s.size) : undefined;
  };
  return {
    bytes,
    header,
    sections,
    section,
    raw,
    contents(name) {
      const s = section(name);
      if (!s) return undefined;
      const c = sectionContents(header, s, bytes.subarray(s.offset, s.offset + s.size), 1 << 30);
      if (!c.ok) throw new Error(`${path} ${name}: ${c.error.message}`);
      return c.value;
    },
  };
}

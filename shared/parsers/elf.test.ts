/**
 * The ELF reader against Go's own debug/elf (test/oracle/dwarf) on real lab
 * binaries in every build variant: sections and their names, symbols, the
 * Go build ID, the build info located through .go.buildinfo; plus auxv,
 * notes and property tests on mutated headers and tables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildTarget, BUILD_VARIANTS, type BuildVariant } from '../../test/lab/targets';
import { runDwarfOracle } from '../../test/lab/dwarfOracle';
import { readElfFile } from '../../test/support/elfFile';
import { parseBuildInfo } from './buildinfo';
import {
  AT_ENTRY,
  buildIdOf,
  ET_DYN,
  ET_EXEC,
  findSymbols,
  nameSections,
  parseAuxv,
  parseElfHeader,
  parseNotes,
  parseSectionHeaders,
  sectionContents,
  sectionTableRange,
  SHT_NOBITS,
  writableLoads,
} from './elf';

const variants = await Promise.all(BUILD_VARIANTS.map(async (variant) => ({ variant, ...(await buildTarget('inprocess', { variant })) })));
const older = await buildTarget('inprocess', { goToolchain: 'go1.24.0' });
const all = [...variants, { variant: 'static' as BuildVariant, ...older }];
const oracle = await runDwarfOracle(all.filter((b) => b.variant !== 'noshdr').map((b) => b.binary));

for (const b of all) {
  test(`${b.variant} ${b.goVersion}: sections, symbols, build ID and build info agree with debug/elf`, () => {
    const f = readElfFile(b.binary);
    assert.equal(f.header.class, 64);
    assert.equal(f.header.type, b.variant === 'pie' ? ET_DYN : ET_EXEC);
    if (b.variant === 'noshdr') {
      assert.equal(sectionTableRange(f.header), null, 'no section header table');
      assert.ok(writableLoads(f.header).length > 0);
      return;
    }
    const o = oracle[b.binary]!;
    assert.equal(f.header.entry, o.entry);
    assert.deepEqual(
      f.sections.map((s) => [s.name, s.type, s.flags, s.addr, s.offset, s.type === SHT_NOBITS ? 0 : s.size]),
      o.sections.map((s) => [s.name, s.type, s.flags, s.addr, s.offset, s.type === SHT_NOBITS ? 0 : s.size]),
    );
    const symtab = f.section('.symtab');
    if (symtab) {
      const syms = findSymbols(f.header, f.raw('.symtab')!, f.raw('.strtab')!, ['runtime.gomaxprocs', 'runtime.gcController', 'no.such.symbol']);
      assert.deepEqual(Object.fromEntries(syms), o.symbols);
      assert.equal(syms.has('no.such.symbol'), false);
    } else {
      assert.deepEqual(o.symbols, {}, `${b.variant} has no symbols`);
    }
    const note = f.raw('.note.go.buildid');
    if (o.buildId) assert.equal(buildIdOf(f.header, note!), o.buildId);
    const bi = f.raw('.go.buildinfo')!;
    const info = parseBuildInfo(bi);
    assert.ok(info.ok);
    assert.equal(info.value.goVersion, o.goVersion);
    assert.equal(info.value.path, o.mainPath);
  });
}

test('a stripped binary keeps .go.buildinfo and .gopclntab, but has neither symbols nor DWARF', () => {
  const f = readElfFile(variants.find((v) => v.variant === 'stripped')!.binary);
  const names = f.sections.map((s) => s.name);
  assert.ok(names.includes('.go.buildinfo') && names.includes('.gopclntab'));
  assert.ok(!names.includes('.symtab') && !names.some((n) => n.startsWith('.debug_')));
});

test('a cgo build is dynamically linked, with .go.buildinfo away from the start of its first writable segment', () => {
  const f = readElfFile(variants.find((v) => v.variant === 'cgo')!.binary);
  const interp = f.section('.interp');
  assert.ok(interp, 'an interpreter: dynamically linked');
  const first = writableLoads(f.header)[0]!;
  assert.notEqual(f.section('.go.buildinfo')!.offset, first.offset, 'the old first-writable-segment read would miss it');
  assert.ok(f.section('.debug_info')!.flags & 0x800, 'DWARF compressed (SHF_COMPRESSED)');
  assert.ok(f.contents('.debug_info')!.length > f.section('.debug_info')!.size);
});

test('auxv gives AT_ENTRY; notes parse; short or odd input gives nothing, never a throw', () => {
  const words = new BigUint64Array([3n, 0x555500000040n, 9n, 0x555500001000n, 0n, 0n]);
  const auxv = parseAuxv({ class: 64, littleEndian: true }, new Uint8Array(words.buffer));
  assert.equal(auxv.get(AT_ENTRY), 0x555500001000);
  assert.equal(parseAuxv({ class: 64, littleEndian: true }, new Uint8Array(5)).size, 0);
  const h = readElfFile(variants[0]!.binary).header;
  assert.deepEqual(parseNotes(h, new Uint8Array(3)), []);
  assert.equal(buildIdOf(h, new Uint8Array(0)), null);
});

test('mutated headers, section tables, names and symbol tables never throw', () => {
  const f = readElfFile(variants.find((v) => v.variant === 'cgo')!.binary);
  const head = f.bytes.slice(0, 4096);
  const range = sectionTableRange(f.header)!;
  const table = f.bytes.slice(range.offset, range.offset + range.length);
  const symtab = f.raw('.symtab')!.slice(0, 24 * 400);
  const strtab = f.raw('.strtab')!.slice(0, 8192);
  const info = f.section('.debug_info')!;
  const compressed = f.raw('.debug_info')!.slice(0, 4096);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }), fc.nat(), (edits, cut) => {
      const hh = head.slice();
      const tt = table.slice();
      const ss = symtab.slice();
      const cc = compressed.slice();
      for (const [at, v] of edits) {
        hh[at % hh.length] = v;
        tt[at % tt.length] = v;
        ss[at % ss.length] = v;
        cc[at % cc.length] = v;
      }
      const h = parseElfHeader(hh.subarray(0, Math.max(cut % hh.length, 1)));
      if (h.ok) {
        const raw = parseSectionHeaders(h.value, tt.subarray(0, cut % (tt.length + 1)));
        if (raw.ok) nameSections(raw.value, strtab);
        findSymbols(h.value, ss, strtab, ['runtime.gomaxprocs']);
        parseNotes(h.value, ss);
        const r = sectionContents(h.value, info, cc, 1 << 20);
        if (r.ok) assert.ok(r.value.length <= 1 << 20);
      }
    }),
    { numRuns: 300 },
  );
});

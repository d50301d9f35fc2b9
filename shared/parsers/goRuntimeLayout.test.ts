/**
 * The DWARF reader and the Go runtime layout lookup against Go's own
 * debug/dwarf (test/oracle/dwarf), on the lab's inprocess target built with
 * every Go release the lab has (1.22 to 1.26: DWARF 4 and 5) and in the cgo
 * (C units from gcc beside Go's) and PIE variants; fed whole and in random
 * chunks; and mutated, which never throws or hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildTarget, LAB_TOOLCHAINS } from '../../test/lab/targets';
import { runDwarfOracle } from '../../test/lab/dwarfOracle';
import { readElfFile } from '../../test/support/elfFile';
import { DwarfUnitStream, parseAbbrevTable, parseUnitHeader, staticAddress, walkUnit } from './dwarf';
import { findGoRuntimeLayout, GoRuntimeLayoutFinder } from './goRuntimeLayout';

const builds = [
  ...(await Promise.all(LAB_TOOLCHAINS.map((t) => buildTarget('inprocess', t === 'local' ? {} : { goToolchain: t })))).map((b) => ({ ...b, variant: 'static' })),
  { ...(await buildTarget('inprocess', { variant: 'cgo' })), variant: 'cgo' },
  { ...(await buildTarget('inprocess', { variant: 'pie' })), variant: 'pie' },
];
const oracle = await runDwarfOracle(builds.map((b) => b.binary));

for (const b of builds) {
  test(`${b.goVersion} ${b.variant}: runtime.gomaxprocs, runtime.gcController and its gcPercent and memoryLimit agree with debug/dwarf`, () => {
    const f = readElfFile(b.binary);
    const o = oracle[b.binary]!.dwarf!;
    assert.ok(o.gomaxprocs && o.gcController && o.gcPercent && o.memoryLimit, `the oracle found everything in ${b.binary}`);
    const r = findGoRuntimeLayout(f.contents('.debug_abbrev')!, f.contents('.debug_info')!, f.contents('.debug_addr'));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const l = r.value;
    assert.deepEqual(l.missing, {});
    assert.equal(l.gomaxprocs?.address, o.gomaxprocs);
    assert.equal(l.gomaxprocs?.size, 4);
    assert.equal(l.gcController?.address, o.gcController);
    assert.deepEqual({ offset: l.gcPercent?.offset, size: l.gcPercent?.size }, o.gcPercent);
    assert.deepEqual({ offset: l.memoryLimit?.offset, size: l.memoryLimit?.size }, o.memoryLimit);
    assert.equal(l.gcPercent?.path, 'gcPercent.value');
    assert.equal(l.dwarfVersion, /^go1\.2[2-4]\./.test(b.goVersion) ? 4 : 5);
    // The symbol table says the same.
    assert.equal(oracle[b.binary]!.symbols['runtime.gomaxprocs']?.value, l.gomaxprocs?.address);
  });
}

test('fed in random chunks, the lookup finds the same layout and stops before the end of .debug_info', () => {
  const f = readElfFile(builds.find((b) => b.variant === 'static' && /go1\.26/.test(b.goVersion))!.binary);
  const abbrev = f.contents('.debug_abbrev')!;
  const info = f.contents('.debug_info')!;
  const whole = findGoRuntimeLayout(abbrev, info);
  assert.ok(whole.ok);
  const once = new GoRuntimeLayoutFinder(abbrev);
  once.push(info);
  const completedAt = once.unitsEnd;
  assert.ok(once.complete && completedAt < info.length, `complete at ${completedAt} of ${info.length}: the rest need not be read`);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 40 }), (sizes) => {
      const finder = new GoRuntimeLayoutFinder(abbrev);
      let at = 0;
      let last = 0;
      for (let i = 0; at < info.length && !finder.complete; i++) {
        last = sizes[i % sizes.length]!;
        finder.push(info.subarray(at, at + last));
        at += last;
      }
      assert.ok(finder.complete);
      assert.equal(finder.unitsEnd, completedAt);
      assert.ok(at - last < completedAt && completedAt <= at, 'it completes on the chunk that finishes the unit, not later');
      const r = finder.finish();
      assert.ok(r.ok);
      assert.deepEqual({ ...r.value, infoBytesRead: 0 }, { ...whole.value, infoBytesRead: 0 });
    }),
    { numRuns: 25 },
  );
});

test('without the runtime entries, every location is missing with its reason', () => {
  const f = readElfFile(builds[0]!.binary);
  const abbrev = f.contents('.debug_abbrev')!;
  const info = f.contents('.debug_info')!;
  // Only the first unit: not the runtime's variables.
  const first = parseUnitHeader(info, 0, 0);
  assert.ok(first.ok);
  const r = findGoRuntimeLayout(abbrev, info.subarray(0, first.value.totalLength));
  assert.ok(r.ok);
  assert.equal(r.value.gomaxprocs, null);
  assert.match(r.value.missing.gomaxprocs!, /no DWARF entry for the variable runtime\.gomaxprocs/);
  assert.match(r.value.missing.gcPercent!, /no DWARF entry for runtime\.gcController/);
  // Cut inside a unit: a positioned error.
  const cut = findGoRuntimeLayout(abbrev, info.subarray(0, first.value.totalLength + 100));
  assert.equal(cut.ok, false);
  assert.ok(!cut.ok && cut.error.offset === first.value.totalLength);
});

test('DW_OP_addr and DW_OP_addrx locations; anything else has no static address', () => {
  assert.deepEqual(staticAddress(Uint8Array.of(0x03, 0x40, 0x3b, 0x5a, 0, 0, 0, 0, 0), 8), { address: 0x5a3b40 });
  assert.deepEqual(staticAddress(Uint8Array.of(0xa1, 0x85, 0x01), 8), { addrIndex: 133 });
  assert.equal(staticAddress(Uint8Array.of(0x91, 0x10), 8), null);
  assert.equal(staticAddress(Uint8Array.of(0x03, 1, 2), 8), null);
});

test('mutated abbreviations and units never throw or hang, and report where they broke', () => {
  const f = readElfFile(builds.find((b) => b.variant === 'cgo')!.binary);
  const abbrev = f.contents('.debug_abbrev')!;
  const info = f.contents('.debug_info')!.slice(0, 300_000);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }), fc.boolean(), fc.nat(), (edits, inAbbrev, cut) => {
      const a = abbrev.slice();
      const i = info.slice(0, Math.max(16, cut % info.length));
      for (const [at, v] of edits) {
        if (inAbbrev) a[at % a.length] = v;
        else i[at % i.length] = v;
      }
      const started = Date.now();
      const r = findGoRuntimeLayout(a, i);
      if (!r.ok) assert.equal(typeof r.error.offset, 'number');
      const t = parseAbbrevTable(a, cut % a.length);
      if (t.ok) {
        const u = parseUnitHeader(i, 0, 0);
        if (u.ok)
          walkUnit(
            i,
            u.value,
            t.value,
            () => true,
            () => undefined,
          );
      }
      assert.ok(Date.now() - started < 5000, 'bounded time');
    }),
    { numRuns: 150 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ maxLength: 4096 }), (a, i) => {
      findGoRuntimeLayout(a, i);
      const s = new DwarfUnitStream(() => undefined, 1 << 20);
      s.push(i);
      s.finish();
    }),
    { numRuns: 300 },
  );
});

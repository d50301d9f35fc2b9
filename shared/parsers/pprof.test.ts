import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, strToU8 } from 'fflate';
import fc from 'fast-check';
import { Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { gunzipCapped, parsePprof, pprofFlame, pprofTop } from './pprof';

const fixtures = join(import.meta.dirname, 'fixtures');
const bytes = (f: string) => new Uint8Array(readFileSync(join(fixtures, f)));

test('allocs, threadcreate and CPU profiles of lab targets decode into frames, samples, top and flame', () => {
  for (const go of ['go1.26', 'go1.24']) {
    const allocs = parsePprof(bytes(`${go}.allocs.pb.gz`));
    assert.ok(allocs.ok, allocs.ok ? '' : allocs.error.message);
    assert.deepEqual(
      allocs.value.sampleTypes.map((t) => t.type),
      ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'],
    );
    assert.equal(allocs.value.sampleTypes[allocs.value.defaultIndex]!.type, 'alloc_space');
    const inuse = allocs.value.sampleTypes.findIndex((t) => t.type === 'inuse_space');
    const top = pprofTop(allocs.value, inuse, 10);
    assert.ok(
      top.some((e) => e.frame.name === 'main.main' && e.flat > 0),
      'the target retains its heap from main.main',
    );
    assert.equal(top.find((e) => e.frame.name === 'runtime.main')?.flat, 0, 'runtime.main is only on the stack');
    const flame = pprofFlame(allocs.value, inuse);
    assert.equal(
      flame.value,
      allocs.value.samples.reduce((a, s) => a + (s.values[inuse] ?? 0), 0),
    );
    assert.ok(flame.children.every((c) => c.value <= flame.value));
    const threads = parsePprof(bytes(`${go}.threadcreate.pb.gz`));
    assert.ok(threads.ok && threads.value.sampleTypes[0]!.type === 'threadcreate');
    assertGolden(join(fixtures, 'golden', `${go}.allocs.txt`), dumpModel({ sampleTypes: allocs.value.sampleTypes, top: top.slice(0, 3).map((e) => e.frame.name) }));
  }
  const cpu = parsePprof(bytes('go1.26.cpu.pb.gz'));
  assert.ok(cpu.ok);
  assert.equal(cpu.value.periodType?.type, 'cpu');
  assert.ok(BigInt(cpu.value.durationNanos) >= 1_000_000_000n);
  assert.match(cpu.value.timeNanos, /^1\d{18}$/, 'Unix nanoseconds, all 19 digits');
});

test('64-bit times are exact, and negative values (a diff profile) stay negative', () => {
  // Past 2^53 (about 9.0e15) a JavaScript number keeps only every second integer, then every fourth…
  const p = new Profile({
    sampleType: [new ValueType({ type: 1, unit: 2 })],
    sample: [new Sample({ locationId: [], value: [-5] }), new Sample({ locationId: [], value: [2 ** 40] })],
    stringTable: new StringTable(),
    timeNanos: 1764775000123456789n,
    durationNanos: 9007199254740993n,
  });
  p.stringTable.dedup('alloc_space');
  p.stringTable.dedup('bytes');
  const r = parsePprof(p.encode());
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.timeNanos, '1764775000123456789');
  assert.equal(r.value.durationNanos, '9007199254740993');
  assert.deepEqual(
    r.value.samples.map((x) => x.values[0]),
    [-5, 2 ** 40],
  );
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (time, duration) => {
      const q = new Profile({ sampleType: [new ValueType({ type: 1, unit: 2 })], stringTable: new StringTable(), timeNanos: time, durationNanos: duration });
      q.stringTable.dedup('x');
      q.stringTable.dedup('y');
      const d = parsePprof(q.encode());
      assert.ok(d.ok);
      assert.equal(d.value.timeNanos, time.toString());
      assert.equal(d.value.durationNanos, duration.toString());
    }),
    { numRuns: 200 },
  );
});

test('a gzip bomb is refused at the cap, and junk is a positioned error', () => {
  const bomb = gzipSync(new Uint8Array(8 * 1024 * 1024));
  const r = parsePprof(new Uint8Array(bomb), { maxInflatedBytes: 1024 * 1024 });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error.message : '', /inflates past/);
  assert.equal(gunzipCapped(new Uint8Array(bomb), 16 * 1024 * 1024).ok, true);
  assert.equal(parsePprof(new Uint8Array([1, 2, 3, 4, 5])).ok, false);
  assert.equal(parsePprof(gzipSync(strToU8('hello'))).ok, false);
  assert.equal(parsePprof(new Uint8Array(0)).ok, false);
});

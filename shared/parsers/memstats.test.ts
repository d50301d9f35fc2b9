/**
 * The legacy text heap profile (heap?debug=1) scaled as `go tool pprof`
 * scales it: a lab capture with many records of many sizes, beside the
 * protobuf `go tool pprof -proto` made of the same file (both written by
 * test/fixtures/regenerate.ts), record by record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseHeapDebug1, unsampleHeap } from './memstats';
import { parsePprof } from './pprof';

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f));

test("a busy target's heap?debug=1: every record and the totals equal go tool pprof's", () => {
  const r = parseHeapDebug1(read('go1.26.heap-debug1-busy.txt').toString('utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.warnings, []);
  const h = r.value;
  assert.equal(h.sampleRate, 1024 * 1024, 'the header carries 2 × MemProfileRate');
  assert.equal(h.memProfileRate, 512 * 1024);
  const go = parsePprof(read('go1.26.heap-debug1-busy.go-tool-pprof.pb.gz'));
  assert.ok(go.ok, go.ok ? '' : go.error.message);
  const types = go.value.sampleTypes.map((t) => t.type);
  assert.deepEqual(types, ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
  assert.equal(go.value.samples.length, h.samples.length);
  assert.ok(h.samples.length >= 5 && new Set(h.samples.map((s) => s.allocBytes / (s.allocObjects || 1))).size >= 4, 'records of several object sizes');
  // pprof keys a legacy record by its return addresses less one, root first.
  const byStack = new Map(go.value.samples.map((s) => [s.stack.map((i) => go.value.frames[i]!.name).join(' '), s.values]));
  for (const rec of h.samples) {
    const key = rec.stack
      .map((a) => `0x${(BigInt(a) - 1n).toString(16)}`)
      .reverse()
      .join(' ');
    const v = byStack.get(key);
    assert.ok(v, `go tool pprof has the record of line ${rec.line}`);
    assert.deepEqual([rec.allocObjects, rec.allocBytes, rec.inuseObjects, rec.inuseBytes], v, `line ${rec.line}`);
    assert.ok(rec.frames.length > 0 && rec.frames.every((f) => f.func && f.file && f.line > 0), 'symbolized frames');
  }
  const total = (i: number) => go.value.samples.reduce((t, s) => t + s.values[i]!, 0);
  assert.deepEqual([h.allocObjects, h.allocBytes, h.inuseObjects, h.inuseBytes], [0, 1, 2, 3].map(total));
  // The header's figures are the sampled ones: far below what was allocated.
  assert.ok(h.header && h.allocBytes! > 5 * h.header.allocBytes, `${h.allocBytes} scaled vs ${h.header?.allocBytes} sampled`);
});

test('unsampling follows pprof: rate 1 or less is taken as unsampled, zero stays zero, big objects barely move', () => {
  assert.deepEqual(unsampleHeap(10, 4096, 1), [10, 4096]);
  assert.deepEqual(unsampleHeap(0, 0, 524288), [0, 0]);
  // An object of 64 MiB is sampled with probability 1 - exp(-128): every time.
  assert.deepEqual(unsampleHeap(1, 64 << 20, 524288), [1, 64 << 20]);
  // 4 KiB objects: about 1 in 128.5 is sampled.
  const [n, b] = unsampleHeap(10, 40960, 524288);
  assert.equal(n, 1285);
  assert.ok(b > 128 * 40960 && b < 129 * 40960, String(b));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e12 }), fc.integer({ min: -10, max: 1 << 24 }), (count, bytes, rate) => {
      const [c, s] = unsampleHeap(count, bytes, rate);
      if (rate <= 1) assert.deepEqual([c, s], [count, bytes]);
      else assert.ok(Number.isInteger(c) && Number.isInteger(s) && c >= count && s >= bytes, `${count} ${bytes} ${rate} → ${c} ${s}`);
    }),
  );
});

test('other header formats, malformed records and frames: positioned warnings, never a throw', () => {
  const v2 = parseHeapDebug1('heap profile: 1: 4096 [2: 8192] @ heap_v2/524288\n1: 4096 [2: 8192] @ 0x1 0x2\n');
  assert.ok(v2.ok && v2.value.memProfileRate === 524288 && v2.value.inuseBytes! > 4096);
  const unsampled = parseHeapDebug1('heap profile: 1: 4096 [2: 8192] @ heapprofile\n1: 4096 [2: 8192] @ 0x1\n');
  assert.ok(unsampled.ok && unsampled.value.memProfileRate === null && unsampled.value.inuseBytes === 4096);
  const bad = parseHeapDebug1(['heap profile: 1: 2 [3: 4] @ heap/1048576', '#\t0x1\torphan\tx.go:1', '1: 2 [3: 4] @ 0x10', '#\tnot a frame', 'garbage here', '0: 5 [0: 0] @ 0x20', ''].join('\n'));
  assert.ok(bad.ok);
  assert.deepEqual(
    bad.warnings.map((w) => w.line),
    [2, 4, 5, 6, undefined],
  );
  assert.match(bad.warnings[4]!.message, /no "# runtime.MemStats" block/);
  assert.match(bad.warnings[0]!.message, /before any record/);
  assert.match(bad.warnings[2]!.message, /expected a record/);
  assert.match(bad.warnings[3]!.message, /bytes but no objects/);
  fc.assert(fc.property(fc.string({ maxLength: 2000 }), (t) => void parseHeapDebug1(`heap profile: 1: 2 [3: 4] @ heap/2\n${t}`)));
});

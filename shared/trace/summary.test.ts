/**
 * The trace engine against Go's own reader: for a real trace from each Go
 * whose format differs (1.22, 1.23, 1.24 = 1.23's format, 1.25, 1.26), our
 * summary must agree with golang.org/x/exp/trace's (the oracle's JSON,
 * regenerated with the fixtures by test/fixtures/regenerate-traces.ts):
 * event and GC counts exactly, durations within 1 µs. Then chunking, the
 * errors, and mutated traces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { splitAt } from '../../test/support/chunks';
import { assertGolden } from '../../test/support/golden';
import { assertAgreesWithOracle, type OracleSummary } from '../../test/lab/traceOracle';
import { dumpModel } from '../util/dump';
import { createTraceReader } from './reader';
import { summarizeTrace } from './summary';

const fixtures = join(import.meta.dirname, 'fixtures');
const VERSIONS = ['go1.22', 'go1.23', 'go1.24', 'go1.25', 'go1.26'] as const;
const trace = (v: string) => new Uint8Array(readFileSync(join(fixtures, `${v}.trace`)));
const oracle = (v: string) => JSON.parse(readFileSync(join(fixtures, `${v}.oracle.json`), 'utf8')) as OracleSummary;

for (const v of VERSIONS) {
  test(`a ${v} trace: the summary agrees with Go's reader`, () => {
    const r = summarizeTrace([trace(v)]);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const o = oracle(v);
    assertAgreesWithOracle(r.summary, o);
    assert.ok(o.gcs.length > 0, 'the fixture has GC cycles');
    assert.equal(r.summary.version, v === 'go1.24' ? 23 : Number(v.slice(4)), 'Go 1.24 writes the 1.23 format');
  });
}

test('the summary of a Go 1.26 trace, as a golden dump', () => {
  const r = summarizeTrace([trace('go1.26')]);
  assert.ok(r.ok);
  const s = r.summary;
  // Counts and structure, not timings (they vary with each regeneration).
  assertGolden(
    join(fixtures, 'golden', 'go1.26.summary.txt'),
    dumpModel({
      version: s.version,
      generations: s.generations,
      kinds: Object.keys(s.byKind).sort(),
      types: Object.keys(s.byType).sort(),
      stwReasons: s.stwByReason.map((x) => x.reason).sort(),
      metrics: Object.keys(s.metrics).sort(),
      gomaxprocs: s.gomaxprocs.initial,
      blockingReasons: s.blocking.byReason.map((x) => x.reason).sort(),
      hasGoroutineSeries: s.goroutines.series.length > 0,
      hasHeapSeries: s.heap.live.length > 0 && s.heap.goal.length > 0,
    }),
  );
  assert.ok(s.gc.pauses.count > 0 && s.gc.pauses.maxNs >= s.gc.pauses.p99Ns && s.gc.pauses.p99Ns >= s.gc.pauses.p50Ns);
  assert.ok(s.schedLatency.count > 0 && s.schedLatency.worst.length > 0);
  assert.ok(s.procs.length > 0 && s.procs.every((p) => p.utilization >= 0 && p.utilization <= 1.0001));
  assert.ok(s.goroutines.max >= 10, 'goroutines the trace saw');
});

test('a chunked read equals a whole read', () => {
  const bytes = trace('go1.25');
  const whole = summarizeTrace([bytes]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 30 }), (cuts) => {
      assert.deepEqual(summarizeTrace(splitAt(bytes, cuts)), whole);
    }),
    { numRuns: 40 },
  );
});

test('errors say what and where, and keep the summary of everything before', () => {
  const bytes = trace('go1.26');
  const cut = summarizeTrace([bytes.subarray(0, bytes.length - 100)]);
  assert.equal(cut.ok, false);
  assert.ok(!cut.ok && cut.error.offset > 16 && cut.error.offset <= bytes.length && /truncated/.test(cut.error.message), !cut.ok ? cut.error.message : '');
  assert.ok(cut.summary.events > 0 && cut.summary.generations >= 1, 'generations before the cut are summarized');

  const old = summarizeTrace([new TextEncoder().encode('go 1.21 trace\0\0\0\x00\x01\x02')]);
  assert.ok(!old.ok && /Go 1\.21/.test(old.error.message) && /not supported/.test(old.error.message) && old.error.offset === 0);
  const junk = summarizeTrace([new TextEncoder().encode('hello, world, this is not a trace')]);
  assert.ok(!junk.ok && /not a Go execution trace/.test(junk.error.message));
  const empty = summarizeTrace([]);
  assert.ok(!empty.ok && /empty/.test(empty.error.message));
  const future = summarizeTrace([new TextEncoder().encode('go 1.99 trace\0\0\0')]);
  assert.ok(!future.ok && /1\.99/.test(future.error.message));
});

/** Batch boundaries of a trace (after the 16-byte header), found by reading headers. */
function batchSpans(b: Uint8Array): [number, number][] {
  const spans: [number, number][] = [];
  let p = 16;
  const uv = () => {
    let x = 0;
    let mul = 1;
    for (;;) {
      const c = b[p++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) return x;
      mul *= 128;
    }
  };
  while (p < b.length) {
    const start = p;
    if (b[p] === 52) {
      p++;
      spans.push([start, p]);
      continue;
    }
    p += b[p] === 49 ? 2 : 1;
    uv();
    uv();
    uv();
    const size = uv();
    p += size;
    spans.push([start, p]);
  }
  return spans;
}

test('mutated real traces (flipped bytes, truncations, swapped batches) never throw or hang', () => {
  for (const v of ['go1.23', 'go1.26']) {
    const bytes = trace(v);
    const spans = batchSpans(bytes);
    assert.equal(spans.at(-1)![1], bytes.length, 'the test walks batches correctly');
    const run = (input: Uint8Array) => {
      const t0 = performance.now();
      const r = summarizeTrace([input]);
      assert.ok(performance.now() - t0 < 5000, 'finishes quickly');
      if (!r.ok) assert.ok(r.error.offset >= 0 && r.error.offset <= input.length && r.error.message.length > 0, 'positioned error');
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const m = bytes.slice();
        for (const [at, val] of flips) m[at] = val;
        run(m);
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length }), (n) => run(bytes.subarray(0, n))),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: spans.length - 1 }), fc.integer({ min: 0, max: spans.length - 1 }), (i, j) => {
        const order = spans.map((_, k) => k);
        [order[i], order[j]] = [order[j]!, order[i]!];
        const parts = [bytes.subarray(0, 16), ...order.map((k) => bytes.subarray(spans[k]![0], spans[k]![1]))];
        const m = new Uint8Array(bytes.length);
        let at = 0;
        for (const p of parts) {
          m.set(p, at);
          at += p.length;
        }
        run(m);
      }),
      { numRuns: 100 },
    );
  }
});

test('the reader holds one generation at a time', () => {
  const s = { generation() {}, event() {}, cpuSample() {}, sync() {} };
  const r = createTraceReader(s);
  const bytes = trace('go1.26');
  for (let i = 0; i < bytes.length; i += 4096) r.push(bytes.subarray(i, i + 4096));
  const done = r.finish();
  assert.ok(done.ok && done.generations >= 4, `${done.generations} generations`);
  assert.ok(done.maxGenerationBytes < bytes.length, `largest generation ${done.maxGenerationBytes} of ${bytes.length} bytes`);
});

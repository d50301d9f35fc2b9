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
/** Starts and ends inside GC cycles, with mark assists cut by its edges (see regenerate-traces.ts). */
const EDGES = 'go1.26-gc-edges';
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

test('a trace that starts and ends inside GC cycles: they, and assists cut by its edges, are counted and marked partial as Go reports them', () => {
  const r = summarizeTrace([trace(EDGES)]);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assertAgreesWithOracle(r.summary, oracle(EDGES));
  const { cycles, assists } = r.summary.gc;
  const first = cycles[0]!;
  const last = cycles.at(-1)!;
  assert.equal(first.partial, 'start');
  const start = r.summary.stw[0]!;
  assert.equal(start.reason, 'start trace');
  assert.ok(first.startNs >= start.startNs && first.startNs <= start.startNs + start.durationNs, 'a cycle under way at the start is reported inside the pause that starts the trace');
  assert.equal(first.sweepTerminationNs, null, 'its sweep termination happened before the trace');
  assert.equal(last.partial, 'end');
  assert.equal(last.startNs + last.durationNs, r.summary.lastNs, 'a cycle still running ends at the last event');
  assert.ok(cycles.slice(1, -1).every((c) => c.partial === null));
  assert.ok(assists.partial > 0 && assists.partial <= assists.count);
  // Every GC stop-the-world pause belongs to a cycle in the list (none is left without one).
  const gcPauses = r.summary.stw.filter((p) => p.reason.startsWith('GC '));
  for (const p of gcPauses)
    assert.ok(
      cycles.some((c) => p.startNs >= c.startNs - 2_000_000 && p.startNs <= c.startNs + c.durationNs),
      `pause at ${p.startNs} in a cycle`,
    );
});

test('GC CPU is GC CPU time over duration × GOMAXPROCS, within [0, 1], on every trace fixture', () => {
  for (const v of [...VERSIONS, EDGES]) {
    const { gc } = summarizeTrace([trace(v)]).summary;
    const o = oracle(v);
    assert.ok(gc.cpuFraction !== null && gc.cpuFraction >= 0 && gc.cpuFraction <= 1, `${v}: ${gc.cpuFraction}`);
    assert.equal(gc.cpuFraction, gc.cpuNs / gc.availableNs);
    assert.ok(Math.abs(gc.cpuFraction - o.gcCpu.fraction) <= 1e-3, `${v}: ${gc.cpuFraction} vs Go's ${o.gcCpu.fraction}`);
    // Workers and assists each run on one P: their sum is at most the GC CPU plus the pauses' share.
    assert.ok(gc.workerNs + gc.assistNs <= gc.cpuNs + 1, `${v}: the parts fit in the whole`);
    assert.ok(gc.assistNs <= gc.assists.wallNs, `${v}: assist CPU is at most the time inside assists`);
  }
});

test("Go's own mutator utilization (go tool trace's MMU) agrees on the GC pauses' share of time, and on the assists' where it counts them right", () => {
  let assistsCompared = 0;
  for (const v of [...VERSIONS, EDGES]) {
    const s = summarizeTrace([trace(v)]).summary;
    const mmu = oracle(v).goMmu;
    assert.ok(mmu, `${v}: the fixture records Go's MMU (regenerate-traces.ts)`);
    const span = mmu.toNs - mmu.fromNs;
    const gcStwNs = s.stw.filter((p) => p.reason.includes('GC')).reduce((sum, p) => sum + p.durationNs, 0);
    assert.ok(Math.abs(gcStwNs / span - mmu.gcStw) <= 1e-6, `${v}: GC pauses ${gcStwNs / span} vs Go's ${mmu.gcStw}`);
    // Go's function counts an assist found under way at the start on the P of the thread that
    // reported it, even when the goroutine is not running, and never takes it back; and it weighs
    // time, not GOMAXPROCS × time, so the shares only compare when GOMAXPROCS stays put.
    if (s.gc.assists.partial === 0 && s.gomaxprocs.changes.length === 0) {
      assistsCompared++;
      assert.ok(Math.abs(s.gc.assistNs / s.gc.availableNs - mmu.assist) <= 1e-6, `${v}: assists ${s.gc.assistNs / s.gc.availableNs} vs Go's ${mmu.assist}`);
    }
  }
  assert.ok(assistsCompared >= 3, 'assists compared on most fixtures');
});

test('read from a later generation on (what a window of the timeline reads), the cycle under way is partial and GC CPU stays a fraction', () => {
  for (const v of [EDGES, 'go1.25']) {
    const bytes = trace(v);
    const offsets: number[] = [];
    const r = createTraceReader({ generation: (g) => offsets.push(g.offset), event() {}, cpuSample() {}, sync() {} });
    r.push(bytes);
    assert.ok(r.finish().ok && offsets.length >= 2);
    for (const at of offsets.slice(1)) {
      const part = new Uint8Array(16 + bytes.length - at);
      part.set(bytes.subarray(0, 16));
      part.set(bytes.subarray(at), 16);
      const s = summarizeTrace([part]);
      assert.ok(s.ok, s.ok ? '' : s.error.message);
      const { gc } = s.summary;
      assert.ok(gc.cpuFraction !== null && gc.cpuFraction >= 0 && gc.cpuFraction <= 1, `${v} from ${at}: ${gc.cpuFraction}`);
      assert.ok(
        gc.cycles.every((c, i) => c.durationNs >= 0 && c.startNs >= s.summary.firstNs && (c.partial === null || c.partial === 'end' || i === 0)),
        'only the first cycle can have begun before',
      );
    }
  }
});

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

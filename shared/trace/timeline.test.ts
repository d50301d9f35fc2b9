/**
 * The timeline's two halves on real traces from each Go format: the
 * overview's levels of detail agree with the summary, generations tile the
 * file so any run of them reads on its own, and the detail read from those
 * bytes has the exact intervals, in order, with their stacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { splitAt } from '../../test/support/chunks';
import { summarizeTrace } from './summary';
import { buildTimelineDetail, createTimelineReader, generationsFor, intervalAt, TRACE_HEADER_BYTES, type TimelineOverview, type TimelineTrack } from './timeline';

const fixtures = join(import.meta.dirname, 'fixtures');
const VERSIONS = ['go1.22', 'go1.23', 'go1.25', 'go1.26'] as const;
const trace = (v: string) => new Uint8Array(readFileSync(join(fixtures, `${v}.trace`)));

function overviewOf(chunks: Uint8Array[]): TimelineOverview {
  const r = createTimelineReader();
  for (const c of chunks) r.push(c);
  return r.finish();
}

function trackNs(t: TimelineTrack): number {
  let ns = 0;
  for (let i = 0; i < t.length; i++) ns += t.end[i]! - t.start[i]!;
  return ns;
}

function assertOrdered(t: TimelineTrack, what: string) {
  for (let i = 0; i < t.length; i++) {
    assert.ok(t.start[i]! <= t.end[i]!, `${what}: interval ${i} ends before it starts`);
    if (i > 0) assert.ok(t.start[i]! >= t.end[i - 1]!, `${what}: interval ${i} overlaps the one before`);
  }
}

for (const v of VERSIONS) {
  test(`${v}: the overview's P lanes are the summary's P utilization, at every level of detail`, () => {
    const bytes = trace(v);
    const o = overviewOf([bytes]);
    assert.equal(o.error, null);
    const s = summarizeTrace([bytes]);
    assert.ok(s.ok);
    assert.deepEqual(o.summary.procs, s.summary.procs, 'the same summary comes with the timeline');
    const procs = o.lanes.filter((l) => l.kind === 'proc');
    assert.deepEqual(
      procs.map((l) => l.id),
      s.summary.procs.map((p) => p.p),
    );
    assert.ok(
      o.lanes.some((l) => l.kind === 'thread' && l.syscall!.some((level) => level.some((x) => x > 0))),
      'some thread made system calls',
    );
    for (const lane of procs) {
      assert.equal(lane.busyNs, s.summary.procs.find((p) => p.p === lane.id)!.busyNs);
      // Each level halves the one below, down to one bucket, and still adds up to the busy time
      // (within the rounding of a byte per bucket).
      let width = o.bucketNs;
      for (let k = 0; k < lane.busy.length; k++) {
        const level = lane.busy[k]!;
        if (k > 0) assert.equal(level.length, Math.ceil(lane.busy[k - 1]!.length / 2));
        let ns = 0;
        for (const x of level) ns += (x / 255) * width;
        assert.ok(Math.abs(ns - lane.busyNs) <= level.length * width * (0.5 / 255) + width, `P${lane.id} level ${k}: ${ns} vs ${lane.busyNs}`);
        width *= 2;
      }
      assert.equal(lane.busy.at(-1)!.length, 1);
    }
  });

  test(`${v}: generations tile the file, and the detail of all of them is the whole trace's intervals`, () => {
    const bytes = trace(v);
    const o = overviewOf([bytes]);
    assert.ok(o.generations.length >= 2, 'the fixture has several generations');
    assert.equal(o.generations[0]!.offset, TRACE_HEADER_BYTES);
    assert.equal(o.generations.at(-1)!.endOffset, bytes.length);
    for (let i = 1; i < o.generations.length; i++) assert.equal(o.generations[i]!.offset, o.generations[i - 1]!.endOffset);
    const all = generationsFor(o, o.firstNs, o.lastNs)!;
    const d = buildTimelineDetail([bytes.subarray(0, TRACE_HEADER_BYTES), bytes.subarray(all.offset, all.endOffset)], o.firstNs, o.lastNs);
    assert.equal(d.error, null);
    for (const lane of o.lanes.filter((l) => l.kind === 'proc')) {
      const t = d.procs.get(lane.id)!;
      assertOrdered(t, `P${lane.id}`);
      assert.equal(trackNs(t), lane.busyNs, `P${lane.id}: the detail's intervals add up to the overview's busy time`);
    }
    for (const [m, t] of d.threadSyscalls) assertOrdered(t, `M${m} syscalls`);
    const blocked = d.stops.filter((s) => s.frames.length > 0 && s.why !== 'syscall');
    assert.ok(blocked.length > 0, 'intervals that ended in a block carry their stack');
    assert.ok(
      blocked.some((s) => s.frames.some((f) => f.func.startsWith('main.'))),
      'stacks resolve to function names',
    );
  });

  test(`${v}: one generation in the middle reads on its own`, () => {
    const bytes = trace(v);
    const o = overviewOf([bytes]);
    const mid = o.generations[Math.floor(o.generations.length / 2)]!;
    const range = generationsFor(o, (mid.firstNs + mid.lastNs) / 2, (mid.firstNs + mid.lastNs) / 2)!;
    assert.deepEqual([range.offset, range.endOffset], [mid.offset, mid.endOffset]);
    const d = buildTimelineDetail([bytes.subarray(0, TRACE_HEADER_BYTES), bytes.subarray(range.offset, range.endOffset)], mid.firstNs, mid.lastNs);
    assert.equal(d.error, null);
    let n = 0;
    for (const [p, t] of d.procs) {
      assertOrdered(t, `P${p}`);
      n += t.length;
      if (t.length > 0) {
        assert.ok(t.start[0]! >= mid.firstNs && t.end[t.length - 1]! <= mid.lastNs + 1, 'intervals lie inside the generation');
        const i = intervalAt(t, (t.start[0]! + t.end[0]!) / 2, 0);
        assert.equal(i, 0, 'the interval under a time is found');
      }
    }
    assert.ok(n > 0, 'the generation has run intervals');
  });
}

test('a chunked read gives the same overview as a whole read', () => {
  const bytes = trace('go1.25');
  const whole = overviewOf([bytes]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 6 }), (cuts) => {
      assert.deepEqual(overviewOf(splitAt(bytes, cuts)), whole);
    }),
    { numRuns: 8 },
  );
});

test('a truncated trace gives an overview of what came before, with the error positioned', () => {
  const bytes = trace('go1.26');
  const o = overviewOf([bytes.subarray(0, Math.floor(bytes.length * 0.6))]);
  assert.ok(o.error, 'the truncation is reported');
  assert.ok(o.error.offset > 0 && o.error.offset <= bytes.length * 0.6);
  assert.ok(o.generations.length >= 1 && o.lanes.length > 0, 'the complete generations before it are drawn');
});

test('mutated traces (flipped bytes, truncations) never throw or hang the overview or the detail of any generation', () => {
  const bytes = trace('go1.23');
  const o = overviewOf([bytes]);
  const run = (input: Uint8Array) => {
    const t0 = performance.now();
    const ov = overviewOf([input]);
    if (ov.error) assert.ok(ov.error.offset >= 0 && ov.error.offset <= input.length);
    for (const lane of ov.lanes) for (const level of lane.busy) assert.ok(level.every((x) => x >= 0 && x <= 255));
    // The detail of each generation the original file had, read from the mutated bytes.
    for (const g of o.generations) buildTimelineDetail([input.subarray(0, TRACE_HEADER_BYTES), input.subarray(g.offset, g.endOffset)], g.firstNs, g.lastNs);
    assert.ok(performance.now() - t0 < 5000, 'finishes quickly');
  };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
      const m = bytes.slice();
      for (const [at, val] of flips) m[at] = val;
      run(m);
    }),
    { numRuns: 60 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: bytes.length }), (n) => run(bytes.subarray(0, n))),
    { numRuns: 40 },
  );
});

/**
 * Every text parser, on arbitrary input and on real fixtures mutated at
 * random: it returns (a model or a positioned error) and never throws; and
 * time grows linearly with input: 4x the input may take at most 10x the time
 * (linear is 4x, quadratic 16x), comparing medians of runs that each take 20 ms
 * or more, so that one GC pause or a busy core cannot decide the outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseCgroupFiles } from './cgroup';
import { parseGoroutineDump } from './goroutines';
import { parseHeapDebug1 } from './memstats';
import { parseProcLimits } from './procLimits';
import { parseProcSched } from './procSched';
import { parseProcSchedstat, parseProcStat, parseProcStatm } from './procStat';
import { parsePsi } from './psi';
import { parseProcUptime } from './procUptime';
import { parsePrometheusText } from './prometheusText';
import { parseRuntimeLog } from './runtimeLog';
import { parseSchedDebug } from './schedDebug';
import { parseSmaps } from './smaps';
import { parseNativeStacks } from './stacks';
import { parsePprof } from './pprof';
import { classifyMemory } from '../analysis/memoryLayout';

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

const TEXT_PARSERS: readonly [string, (t: string) => { ok: boolean }, string][] = [
  [
    'smaps',
    (t) => {
      const r = parseSmaps(t);
      if (r.ok) classifyMemory(r.value);
      return r;
    },
    'go1.26.smaps.txt',
  ],
  ['stat', parseProcStat, 'go1.26.stat.txt'],
  ['uptime', parseProcUptime, 'go1.26.uptime.txt'],
  ['statm', parseProcStatm, 'go1.26.statm.txt'],
  ['schedstat', parseProcSchedstat, 'go1.26.schedstat.txt'],
  ['limits', parseProcLimits, 'go1.26.limits.txt'],
  ['sched', parseProcSched, 'go1.26.sched.txt'],
  ['sched_debug', parseSchedDebug, 'sched_debug.txt'],
  ['stacks (eu-stack)', parseNativeStacks, 'go1.26.eu-stack.txt'],
  ['stacks (gdb)', parseNativeStacks, 'go1.26.gdb.txt'],
  ['goroutines', parseGoroutineDump, 'go1.26.goroutines.txt'],
  ['heap debug=1', parseHeapDebug1, 'go1.26.heap-debug1.txt'],
  ['runtime log', parseRuntimeLog, 'go1.26.runtime-log.txt'],
  ['psi', parsePsi, 'pressure-cpu.txt'],
  ['psi (cgroup)', parsePsi, 'cgroup.cpu.pressure.txt'],
  ['prometheus text', parsePrometheusText, 'settings.metrics.txt'],
];

/** A fixture with random edits: bytes replaced, lines dropped or duplicated, cut anywhere. */
const mutated = (base: string) =>
  fc
    .array(fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 64 }), fc.string({ maxLength: 24 })), { maxLength: 12 })
    .chain((edits) => fc.nat({ max: base.length }).map((cut) => ({ edits, cut })))
    .map(({ edits, cut }) => {
      let s = base;
      for (const [at, len, ins] of edits) s = s.slice(0, at) + ins + s.slice(at + len);
      return s.slice(0, Math.max(cut, s.length / 2));
    });

for (const [name, parse, fixture] of TEXT_PARSERS) {
  test(`${name}: arbitrary and mutated input never throws`, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 4000 }), (t) => void parse(t)),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('\n', ' ', ':', '\t', '-', '0', '9', 'a', '[', ']', '(', ')', '#', '.', '='), maxLength: 4000 }), (t) => void parse(t)),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(mutated(read(fixture)), (t) => void parse(t)),
      { numRuns: 150 },
    );
  });
}

test('time grows linearly with input', () => {
  const median = (f: () => void, runs: number) => {
    const ts: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      f();
      ts.push(performance.now() - t0);
    }
    return ts.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  };
  for (const [name, parse, fixture] of TEXT_PARSERS) {
    const base = read(fixture);
    parse(base);
    // The baseline input is the fixture repeated until the median parse of it takes 20 ms or more.
    let copies = 1;
    let small = base;
    let ts = median(() => parse(small), 5);
    while (ts < 20 && copies < 1 << 14) {
      copies *= 2;
      small = base.repeat(copies);
      ts = median(() => parse(small), 5);
    }
    // Single-record formats (stat, statm, schedstat) read one record and stop: 16,384 copies still
    // parse in well under 20 ms, which is bounded time, the property this test is after.
    if (ts < 20) continue;
    const big = base.repeat(copies * 4);
    const tb = median(() => parse(big), 5);
    assert.ok(tb / ts < 10, `${name}: 4x the input took ${(tb / ts).toFixed(1)}x the time (median ${ts.toFixed(1)} → ${tb.toFixed(1)} ms)`);
  }
});

test('cgroup files and pprof bytes: arbitrary input never throws', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ maxLength: 40 }).map((s) => `cgroup/v2/${s}`),
        fc.string({ maxLength: 200 }),
      ),
      (files) => void parseCgroupFiles(files),
    ),
    { numRuns: 300 },
  );
  const prof = new Uint8Array(readFileSync(join(fixtures, 'go1.26.allocs.pb.gz')));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => void parsePprof(b)),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.nat({ max: prof.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
      const b = prof.slice();
      b[at] = v;
      void parsePprof(b);
    }),
    { numRuns: 300 },
  );
});

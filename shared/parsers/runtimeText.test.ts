import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { parseHeapDebug1 } from './memstats';
import { parseRuntimeLog } from './runtimeLog';

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

for (const go of ['go1.26', 'go1.24']) {
  test(`heap?debug=1 of a ${go} target: the MemStats block and MaxRSS`, () => {
    const r = parseHeapDebug1(read(`${go}.heap-debug1.txt`));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.warnings, []);
    const m = r.value.memStats!;
    assert.ok(m.values.HeapAlloc! >= 16 * 1024 * 1024, 'the 16 MiB the target retains');
    assert.ok(m.values.NumGC! >= 1);
    assert.equal(m.recentPausesNs.length, Math.min(m.values.NumGC!, 256));
    assert.ok(m.recentPausesNs.every((p) => p > 0));
    assert.ok((m.stackInuse ?? 0) > 0 && (m.stackSys ?? 0) >= (m.stackInuse ?? 0));
    assert.ok((m.maxRssBytes ?? 0) > 0);
    assert.ok(r.value.records > 0 && r.value.sampleRate === 1024 * 1024);
    assert.deepEqual(Object.keys(m.values).slice(0, 4), ['Alloc', 'TotalAlloc', 'Sys', 'Lookups']);
  });
}

test('gctrace and schedtrace lines from a lab target log', () => {
  const r = parseRuntimeLog(read('go1.26.runtime-log.txt'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.ok(r.value.gc.length >= 2);
  assert.ok(r.value.sched.length >= 1);
  const gc = r.value.gc[0]!;
  assert.equal(gc.gc, 1);
  assert.equal(gc.procs, 2);
  assert.ok(gc.stacksMB !== null, 'Go 1.19+ prints stacks and globals');
  assert.equal(r.value.sched[0]!.fields.gomaxprocs, 2);
  assert.deepEqual(r.value.sched[0]!.runqueues.length, 2);
  assertGolden(
    join(fixtures, 'golden', 'go1.26.runtime-log.txt'),
    dumpModel({ gc: r.value.gc.slice(0, 2).map(({ line: _l, ...g }) => ({ ...g, atSeconds: 'varies' })), gcCount: r.value.gc.length, schedFields: Object.keys(r.value.sched[0]!.fields) }),
  );
});

test('forced GCs, scheddetail lines and log noise', () => {
  const text = [
    '2026/11/25 12:00:00 serving on :8080',
    'gc 7 @12.5s 1%: 0.021+1.2+0.003 ms clock, 0.17+0.10/2.3/5.1+0.028 ms cpu, 12->13->6 MB, 14 MB goal, 8 P (forced)',
    'SCHED 2000ms: gomaxprocs=2 idleprocs=0 threads=7 spinningthreads=0 idlethreads=2 runqueue=3 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false',
    '  P0: status=1 schedtick=10 syscalltick=2 m=3 runqsize=1 gfreecnt=0 timerslen=1',
    '  M3: p=0 curg=5 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=-1',
    '  G5: status=2(chan receive) m=3 lockedm=-1',
  ].join('\n');
  const r = parseRuntimeLog(text);
  assert.ok(r.ok);
  assert.equal(r.value.gc[0]!.forced, true);
  assert.equal(r.value.gc[0]!.stacksMB, null, 'older layout without stacks/globals');
  assert.equal(r.value.gc[0]!.cpuMs.assist, 0.1);
  assert.equal(r.value.sched[0]!.detail.length, 3);
  assert.equal(r.value.sched[0]!.fields.runqueue, 3);
  assert.equal(r.value.otherLines, 1);
});

test('errors say what was expected', () => {
  assert.equal(parseHeapDebug1('nothing').ok, false);
  assert.equal(parseRuntimeLog('nothing here\n').ok, false);
});

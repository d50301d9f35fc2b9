import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { parseProcLimits } from './procLimits';
import { parseProcSched } from './procSched';
import { parseProcSchedstat, parseProcStat, parseProcStatm } from './procStat';

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

test('stat, statm, limits, schedstat and sched of a lab Go target', () => {
  const stat = parseProcStat(read('go1.26.stat.txt'));
  assert.ok(stat.ok, stat.ok ? '' : stat.error.message);
  assert.match(stat.value.comm, /^service/);
  assert.ok(stat.value.numThreads >= 2);
  assert.ok(stat.value.rest.length >= 49);
  const statm = parseProcStatm(read('go1.26.statm.txt'));
  assert.ok(statm.ok && statm.value.residentPages > 0);
  const limits = parseProcLimits(read('go1.26.limits.txt'));
  assert.ok(limits.ok);
  assert.deepEqual(limits.warnings, []);
  const files = limits.value.limits.find((l) => l.name === 'Max open files');
  assert.ok(files && files.soft !== null && files.units === 'files');
  assert.equal(limits.value.limits.find((l) => l.name === 'Max core file size')?.units, 'bytes');
  const schedstat = parseProcSchedstat(read('go1.26.schedstat.txt'));
  assert.ok(schedstat.ok && schedstat.value.runNs > 0);
  const sched = parseProcSched(read('go1.26.sched.txt'));
  assert.ok(sched.ok, sched.ok ? '' : sched.error.message);
  assert.ok((sched.value.threads ?? 0) >= 2 && (sched.value.sumExecRuntimeMs ?? 0) > 0);
  assertGolden(
    join(fixtures, 'golden', 'go1.26.proc.txt'),
    dumpModel({
      stat: { ...stat.value, rest: stat.value.rest.length },
      statm: statm.value,
      limits: limits.value,
      schedstat: schedstat.value,
      sched: { ...sched.value, fields: Object.keys(sched.value.fields).length },
    }),
  );
});

test('a comm with spaces and parentheses', () => {
  const r = parseProcStat('123 (a) b (c)) S 1 123 123 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 3 0 99 1000 50 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0');
  assert.ok(r.ok);
  assert.equal(r.value.comm, 'a) b (c)');
  assert.equal(r.value.numThreads, 3);
  assert.equal(r.value.processor, 1);
});

test('errors say where', () => {
  for (const r of [parseProcStat('hello'), parseProcStatm('1 2'), parseProcSchedstat('x y z'), parseProcLimits('nope'), parseProcSched('')]) {
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.line, 1);
  }
});

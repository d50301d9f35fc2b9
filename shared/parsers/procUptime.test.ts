/**
 * /proc/uptime and the process uptime it gives with proc/stat's start time,
 * on a pair captured together from the lab (test/fixtures/regenerate.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseProcStat } from './procStat';
import { ASSUMED_CLK_TCK, parseProcUptime, processUptime } from './procUptime';

const read = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

for (const v of ['go1.24', 'go1.26']) {
  test(`${v}: the host's uptime and the process's, from one capture`, () => {
    const up = parseProcUptime(read(`${v}.uptime.txt`));
    assert.ok(up.ok, up.ok ? '' : up.error.message);
    const stat = parseProcStat(read(`${v}.stat.txt`));
    assert.ok(stat.ok);
    const p = processUptime(up.value, stat.value);
    assert.ok(p.seconds !== null, p.seconds === null ? p.reason : '');
    // The lab starts the target, then captures it: seconds, not hours.
    assert.ok(p.seconds > 0 && p.seconds < 600, `${p.seconds} s`);
    assert.equal(p.seconds, up.value.uptimeSeconds - stat.value.startTimeTicks / ASSUMED_CLK_TCK);
  });
}

test('a start after the host uptime (files from different hosts or moments) is refused with the reason', () => {
  const up = parseProcUptime('10.00 5.00\n');
  assert.ok(up.ok);
  const stat = parseProcStat(read('go1.26.stat.txt'));
  assert.ok(stat.ok);
  const p = processUptime(up.value, stat.value);
  assert.equal(p.seconds, null);
  assert.match(p.seconds === null ? p.reason : '', /later than the host's uptime/);
});

test('errors say where; arbitrary input never throws', () => {
  for (const t of ['', 'hello', '12 ', '1.0 2.0 3.0', '-1.0 2.0']) {
    const r = parseProcUptime(t);
    assert.equal(r.ok, false, t);
    assert.equal(!r.ok && r.error.line, 1);
  }
  assert.deepEqual(parseProcUptime('350735.47 234388.90\n'), { ok: true, value: { uptimeSeconds: 350735.47, idleSeconds: 234388.9 }, warnings: [] });
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => void parseProcUptime(t)));
});

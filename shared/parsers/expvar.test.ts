/**
 * expvar's /debug/vars from the lab's settings target (regenerate with
 * test/fixtures/regenerate-metrics.ts), what the capture keeps of it, and
 * the positioned error of a body that is not JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { redactExpvar } from '../redact/secrets';
import { parseExpvar } from './expvar';

const raw = readFileSync(join(import.meta.dirname, 'fixtures', 'settings.expvar.json'), 'utf8');

test('a real /debug/vars: the command line and MemStats', () => {
  const r = parseExpvar(raw);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.match(r.value.cmdline![0]!, /settings/);
  assert.deepEqual(r.value.cmdline!.slice(1), ['-automaxprocs', '-automemlimit']);
  const m = r.value.memstats!;
  for (const k of ['HeapSys', 'HeapInuse', 'StackSys', 'MSpanSys', 'GCSys', 'OtherSys', 'NextGC', 'Sys']) assert.ok(m[k]! > 0, k);
  assert.ok(!('BySize' in m) && !('PauseNs' in m), 'the arrays are left out');
  assert.deepEqual(r.value.others, []);
});

test("what the capture stores: MemStats kept, the command line masked, the program's own members dropped by name", () => {
  const doc = JSON.parse(raw) as Record<string, unknown>;
  doc.cmdline = ['/srv/app', '--db-password', 'hunter2', '-v'];
  doc.config = { apiKey: 'ghp_0123456789abcdef0123456789abcdef0123' };
  const r = redactExpvar(JSON.stringify(doc))!;
  assert.ok(r);
  assert.equal(r.text.includes('hunter2'), false);
  assert.equal(r.text.includes('ghp_'), false);
  assert.deepEqual(r.redactions, [
    { key: 'cmdline argv[2]', rule: 'secret-flag' },
    { key: 'config', rule: 'expvar-member-not-kept' },
  ]);
  const back = parseExpvar(r.text);
  assert.ok(back.ok);
  assert.deepEqual(back.value.others, []);
  assert.equal(back.value.memstats!.HeapSys, (doc.memstats as Record<string, number>).HeapSys);
  assert.equal(redactExpvar('{"cmdline": ['), null, 'a cut body is not kept at all');
});

test('not JSON: an error with its line and offset; not an object: an error', () => {
  const r = parseExpvar('{\n"cmdline": ["a"],\n"memstats": {"HeapSys": 1,,}\n}');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.line === 3, JSON.stringify(r));
  assert.equal(parseExpvar('[1,2]').ok, false);
  const odd = parseExpvar('{"cmdline": "one string", "memstats": [1]}');
  assert.ok(odd.ok);
  assert.equal(odd.value.cmdline, null);
  assert.equal(odd.value.memstats, null);
  assert.equal(odd.warnings.length, 2);
});

test('arbitrary text never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 500 }), fc.json()), (t) => {
      parseExpvar(t);
      redactExpvar(t);
    }),
    { numRuns: 300 },
  );
});

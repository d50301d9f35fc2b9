import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseProcStatus } from './procStatus';
import { parseSmapsRollup } from './smapsRollup';

const fixtures = join(import.meta.dirname, 'fixtures');

test('status of a lab Go target', () => {
  const r = parseProcStatus(readFileSync(join(fixtures, 'service.status.txt'), 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.match(r.value.name, /^service/);
  assert.ok((r.value.threads ?? 0) >= 2);
  assert.ok((r.value.vmRssKiB ?? 0) > 0);
  assert.equal(r.value.uids.length, 4);
});

test('smaps_rollup of a lab Go target', () => {
  const r = parseSmapsRollup(readFileSync(join(fixtures, 'service.smaps_rollup.txt'), 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.ok((r.value.rssKiB ?? 0) > 0);
  assert.ok(r.value.pssKiB !== null);
  assert.ok(r.value.swapKiB !== null);
  assert.deepEqual(r.warnings, []);
});

test('wrong files give positioned errors', () => {
  const s = parseProcStatus('hello\nworld\n');
  assert.equal(s.ok, false);
  assert.ok(!s.ok && s.error.line === 1);
  const r = parseSmapsRollup('Pss: 1 kB\n');
  assert.equal(r.ok, false);
});

test('arbitrary text never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 2000 }), (text) => {
      parseProcStatus(text);
      parseSmapsRollup(text);
    }),
    { numRuns: 300 },
  );
});

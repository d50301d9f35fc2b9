import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMemProbes, wordsOfHex } from './memProbes';

test('the lab capture of a cgo target: every probe read, glibc heap_info headers among them', () => {
  const r = parseMemProbes(readFileSync(join(import.meta.dirname, 'fixtures', 'cgo-go1.26.mem-probes.json'), 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.warnings.length, 0);
  assert.equal(r.value.skipped, null);
  assert.ok(r.value.probes.length > 0 && r.value.probes.every((p) => p.words && p.words.length === 6 && p.error === null));
  assert.ok(
    r.value.probes.some((p) => p.words![0] === p.address + 48 && p.words![1] === 0),
    'a heap_info header: ar_ptr just past it, no previous heap',
  );
});

test('words are little-endian; a word at or above 2^53 is NaN, never a wrong number', () => {
  assert.deepEqual(wordsOfHex('3000007c8b7f0000' + '0000000000000000' + '0010170000000000'), [0x7f8b7c000030, 0, 0x171000]);
  assert.ok(Number.isNaN(wordsOfHex('ffffffffffffffff')[0]));
  assert.deepEqual(wordsOfHex('0011'), [], 'a short read gives no partial word');
});

test('bad input: not JSON, the wrong format, bad entries; each said where, nothing thrown', () => {
  for (const [text, why] of [
    ['{"format": "gopherscope-mem-probes", "probes": [', /not JSON/],
    ['[]', /JSON object/],
    ['{"format": "other", "probes": []}', /format is "other"/],
    ['{"format": "gopherscope-mem-probes", "probes": 3}', /not a list/],
  ] as const) {
    const r = parseMemProbes(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.error.message, why);
  }
  const r = parseMemProbes(JSON.stringify({ format: 'gopherscope-mem-probes', probes: [{ address: 'zz' }, { address: '7f00', error: 'Permission denied' }, { address: '7f01', hex: 'abc' }] }));
  assert.ok(r.ok);
  assert.equal(r.warnings.length, 1);
  assert.deepEqual(
    r.value.probes.map((p) => p.error),
    ['Permission denied', 'no bytes and no error recorded'],
  );
  assert.equal(parseMemProbes('x'.repeat(5 * 1024 * 1024)).ok, false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { splitAt } from '../../test/support/chunks';
import { encodeUtf8 } from '../util/utf8';
import { artifactChunks, artifactText } from './artifactContent';
import { buildMemoryView } from './views/memory';
import { buildOverviewView } from './views/overview';

const fixtures = join(import.meta.dirname, '..', 'parsers', 'fixtures');

test('text in pieces decodes as the whole, also where a character spans two pieces', () => {
  const text = 'smaps — [anon: Go: heap] ✓ 多字节\n'.repeat(20);
  const bytes = encodeUtf8(text);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
      assert.equal(artifactText(splitAt(bytes, cuts)), text);
    }),
  );
  assert.equal(artifactText('as is'), 'as is');
  assert.equal(artifactText(undefined), undefined);
  assert.deepEqual(artifactChunks(bytes), [bytes]);
  assert.equal(artifactChunks('text'), undefined);
});

test('the Memory view and the Overview read an smaps in inflated pieces as they read it whole', () => {
  const smaps = new Uint8Array(readFileSync(join(fixtures, 'go1.26.smaps.txt')));
  const third = Math.floor(smaps.length / 3);
  const pieces = [smaps.subarray(0, third), smaps.subarray(third, 2 * third + 7), smaps.subarray(2 * third + 7)];
  const whole = buildMemoryView({ 'proc/smaps': smaps }, { isGo: true });
  const inPieces = buildMemoryView({ 'proc/smaps': pieces }, { isGo: true });
  assert.equal(whole.error, null);
  assert.ok(whole.table.length > 10);
  assert.deepEqual(inPieces.totals, whole.totals);
  assert.deepEqual(inPieces.regions, whole.regions);
  assert.deepEqual(Array.from(inPieces.table.start), Array.from(whole.table.start));
  const overviewWhole = buildOverviewView({ 'proc/smaps': smaps });
  const overviewPieces = buildOverviewView({ 'proc/smaps': pieces });
  // The Overview's memory waterfall takes the binary's and the thread stacks' RSS from the classified smaps.
  assert.ok((overviewWhole.memory.rows.find((r) => r.key === 'binary')?.bytes ?? 0) > 0);
  assert.deepEqual(overviewPieces.memory, overviewWhole.memory);
});

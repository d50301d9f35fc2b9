/**
 * Keeps ARCHITECTURE.md's "How to add a rule" honest: every rule in RULES is fired by a unit test
 * beside it, and the paragraph names the files a new rule touches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from './recommendations';

const here = import.meta.dirname;
const root = join(here, '..', '..');

test('every rule id in RULES is unique and is asserted by a unit test in recommendations*.test.ts', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'rule ids are unique');
  const tests = readdirSync(here)
    .filter((n) => /^recommendations.*\.test\.ts$/.test(n))
    .map((n) => readFileSync(join(here, n), 'utf8'))
    .join('\n');
  const untested = ids.filter((id) => !tests.includes(`'${id}'`));
  assert.deepEqual(untested, [], `rules no unit test names: ${untested.join(', ')}`);
});

test('ARCHITECTURE.md "How to add a rule" names the files that exist', () => {
  const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const para = doc.slice(doc.indexOf('### How to add a rule'));
  assert.ok(para.length > 30, 'the paragraph exists');
  const named = [...para.matchAll(/`((?:shared|test)\/[^`*]+\.ts)`/g)].map((m) => m[1]!);
  assert.ok(named.includes('shared/analysis/recommendations.ts'));
  for (const f of named) assert.doesNotThrow(() => readFileSync(join(root, f)), `${f} exists`);
  assert.match(para, /`RULES`/);
});

/**
 * Golden files: readable dumps of parsed models (shared/util/dump.ts), kept
 * beside the fixtures they come from. `UPDATE_GOLDEN=1 npm test` rewrites
 * them after a deliberate change or a fixture regeneration; review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function assertGolden(file: string, actual: string): void {
  const text = actual.endsWith('\n') ? actual : `${actual}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (!existsSync(file) && process.env.CI) assert.fail(`golden file ${file} is missing; run UPDATE_GOLDEN=1 npm test and commit it`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${file} differs; if the change is intended, run UPDATE_GOLDEN=1 npm test and review the diff`);
}

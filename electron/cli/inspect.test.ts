import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSmaps } from '../../shared/parsers/smaps';
import { FILE_CHUNK } from '../core/fileChunks';
import { inspectFile, parseSmapsFile } from './inspect';

test('smaps streamed from a file over several chunks parses as the whole text does, and inspect prints it', async () => {
  const fixture = readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'parsers', 'fixtures', 'go1.26.smaps.txt'), 'utf8');
  const text = fixture.repeat(Math.ceil((2.5 * FILE_CHUNK) / fixture.length));
  const dir = mkdtempSync(join(tmpdir(), 'gs-inspect-'));
  try {
    const file = join(dir, 'smaps');
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      assert.deepEqual(parseSmapsFile(fd, text.length), parseSmaps(text));
    } finally {
      closeSync(fd);
    }
    const out = await inspectFile(file, {});
    assert.equal(out.code, 0, out.stderr);
    const whole = parseSmaps(text);
    assert.ok(whole.ok);
    assert.match(out.stdout, new RegExp(`^kind: smaps\\n`));
    assert.match(out.stdout, new RegExp(`\\n  mappings: \\(${whole.value.count}\\)\\n`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

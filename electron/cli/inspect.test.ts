import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSmaps } from '../../shared/parsers/smaps';
import { setTimeout as sleep } from 'node:timers/promises';
import { FILE_CHUNK } from '../core/fileChunks';
import { READ_AHEAD_MIN_BYTES, readAheadCounts } from '../core/readAhead';
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

test('a large smaps read ahead on the worker thread, into shared buffers, parses as the whole text does', async () => {
  const fixture = readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'parsers', 'fixtures', 'go1.26.smaps.txt'), 'utf8');
  const text = fixture.repeat(Math.ceil((READ_AHEAD_MIN_BYTES + FILE_CHUNK) / fixture.length));
  const whole = parseSmaps(text);
  const dir = mkdtempSync(join(tmpdir(), 'gs-inspect-'));
  try {
    const file = join(dir, 'smaps');
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      // The first large read starts the worker and is read here; later ones are read ahead.
      const before = readAheadCounts().byWorker;
      for (let i = 0; i < 50 && readAheadCounts().byWorker === before; i++) {
        assert.deepEqual(parseSmapsFile(fd, text.length), whole);
        await sleep(50);
      }
      assert.ok(readAheadCounts().byWorker > before, 'the worker never read a chunk');
      assert.deepEqual(parseSmapsFile(fd, text.length), whole);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSmaps } from '../../shared/parsers/smaps';
import { setTimeout as sleep } from 'node:timers/promises';
import { FILE_CHUNK } from '../core/fileChunks';
import { READ_AHEAD_MIN_BYTES, readAheadCounts } from '../core/readAhead';
import { withOpenFiles } from '../../test/support/tempFiles';
import { inspectFile, parseSmapsFile } from './inspect';

/** The lab target's smaps repeated to at least `bytes`. */
function repeatedSmaps(bytes: number): string {
  const fixture = readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'parsers', 'fixtures', 'go1.26.smaps.txt'), 'utf8');
  return fixture.repeat(Math.ceil(bytes / fixture.length));
}

test('smaps streamed from a file over several chunks parses as the whole text does, and inspect prints it', async () => {
  const text = repeatedSmaps(2.5 * FILE_CHUNK);
  await withOpenFiles([text], async ([fd], [file]) => {
    assert.deepEqual(parseSmapsFile(fd, text.length), parseSmaps(text));
    const out = await inspectFile(file, {});
    assert.equal(out.code, 0, out.stderr);
    const whole = parseSmaps(text);
    assert.ok(whole.ok);
    assert.match(out.stdout, new RegExp(`^kind: smaps\\n`));
    assert.match(out.stdout, new RegExp(`\\n  mappings: \\(${whole.value.count}\\)\\n`));
  });
});

test('a large smaps read ahead on the worker thread, into shared buffers, parses as the whole text does', async () => {
  const text = repeatedSmaps(READ_AHEAD_MIN_BYTES + FILE_CHUNK);
  const whole = parseSmaps(text);
  await withOpenFiles([text], async ([fd]) => {
    // The first large read starts the worker and is read here; later ones are read ahead.
    const before = readAheadCounts().byWorker;
    for (let i = 0; i < 50 && readAheadCounts().byWorker === before; i++) {
      assert.deepEqual(parseSmapsFile(fd, text.length), whole);
      await sleep(50);
    }
    assert.ok(readAheadCounts().byWorker > before, 'the worker never read a chunk');
    assert.deepEqual(parseSmapsFile(fd, text.length), whole);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fileChunks } from './fileChunks';

test('chunks give the file back in order, from any start to any end, whatever its size against the chunk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-chunks-'));
  try {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 700 }), fc.nat(), fc.option(fc.nat(), { nil: undefined }), (bytes, chunkSize, startSeed, endSeed) => {
        const file = join(dir, 'f');
        writeFileSync(file, bytes);
        const start = bytes.length === 0 ? 0 : startSeed % (bytes.length + 1);
        // An end past the file's is the file's end.
        const end = endSeed === undefined ? undefined : start + (endSeed % (bytes.length + 10 - start + 1));
        const until = Math.min(end ?? bytes.length, bytes.length);
        const fd = openSync(file, 'r');
        const got: number[] = [];
        let pieces = 0;
        try {
          // Copied as they come: the buffer is reused for the next chunk.
          for (const c of fileChunks(fd, { start, end, chunkSize })) {
            assert.ok(c.length > 0 && c.length <= chunkSize);
            got.push(...c);
            pieces++;
          }
        } finally {
          closeSync(fd);
        }
        assert.deepEqual(Uint8Array.from(got), bytes.subarray(start, until));
        assert.equal(pieces, Math.ceil((until - start) / chunkSize));
      }),
      { numRuns: 100 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

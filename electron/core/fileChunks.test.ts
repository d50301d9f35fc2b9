import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fileChunks } from './fileChunks';

test('chunks read ahead give the file back in order, whatever its size against the chunk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-chunks-'));
  try {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 700 }), async (bytes, chunkSize) => {
        const file = join(dir, 'f');
        writeFileSync(file, bytes);
        const fh = await open(file, 'r');
        const got: number[] = [];
        let pieces = 0;
        try {
          // Copied as they come: each view is reused two chunks later.
          for await (const c of fileChunks(fh, { chunkSize })) {
            assert.ok(c.length > 0 && c.length <= chunkSize);
            got.push(...c);
            pieces++;
          }
        } finally {
          await fh.close();
        }
        assert.deepEqual(Uint8Array.from(got), bytes);
        assert.equal(pieces, Math.ceil(bytes.length / chunkSize));
        // From an offset, as inspect reads on after the first chunk.
        const skip = Math.min(bytes.length, chunkSize >> 1);
        const fh2 = await open(file, 'r');
        const rest: number[] = [];
        try {
          for await (const c of fileChunks(fh2, { start: skip, chunkSize })) rest.push(...c);
        } finally {
          await fh2.close();
        }
        assert.deepEqual(Uint8Array.from(rest), bytes.subarray(skip));
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a consumer that stops early leaves no read running when it closes the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-chunks-'));
  try {
    const file = join(dir, 'f');
    writeFileSync(file, new Uint8Array(10_000).fill(7));
    const fh = await open(file, 'r');
    let first: Uint8Array | null = null;
    for await (const c of fileChunks(fh, { chunkSize: 1000 })) {
      first = c.slice();
      break;
    }
    await fh.close();
    assert.deepEqual(first, new Uint8Array(1000).fill(7));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { withOpenFiles } from '../../test/support/tempFiles';
import { READ_AHEAD_MIN_BYTES, readAheadChunks, readAheadCounts } from './readAhead';

/** Bytes that differ from chunk to chunk, so a chunk given twice, skipped or overwritten shows. */
function patterned(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer, 0, size >> 2);
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761) ^ (i >>> 7);
  return bytes;
}

/** The chunks, copied as they come (each view is valid only until the next), joined; `stopAfter` chunks, or all. */
function readAll(fd: number, opts: { start?: number; end?: number; sizeHint?: number }, stopAfter = Infinity): Uint8Array {
  const pieces: Uint8Array[] = [];
  let n = 0;
  for (const chunk of readAheadChunks(fd, opts)) {
    pieces.push(chunk.slice());
    if (++n >= stopAfter) break;
  }
  return joined(pieces);
}

function joined(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('a large file read ahead on the worker gives its bytes in order, from any start to any end, also after a reader stopped early', async () => {
  const bytes = patterned(READ_AHEAD_MIN_BYTES + 3 * 1024 * 1024 + 123);
  await withOpenFiles([bytes], async ([fd]) => {
    // The first large read starts the worker and is read here until it is ready.
    const before = readAheadCounts();
    assert.deepEqual(readAll(fd, { sizeHint: bytes.length }), bytes);
    for (let i = 0; i < 50 && readAheadCounts().byWorker === before.byWorker; i++) {
      await sleep(50);
      assert.deepEqual(readAll(fd, { sizeHint: bytes.length }), bytes);
    }
    assert.ok(readAheadCounts().byWorker > before.byWorker, 'the worker never read a chunk');
    await fc.assert(
      fc.asyncProperty(
        fc.nat(bytes.length),
        fc.option(fc.nat(bytes.length + 10), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        async (start, endSeed, stopAfter) => {
          const end = endSeed === undefined ? undefined : Math.max(start, endSeed);
          const want = bytes.subarray(start, Math.min(end ?? bytes.length, bytes.length));
          const got = readAll(fd, { start, end, sizeHint: bytes.length }, stopAfter);
          if (stopAfter === undefined) assert.deepEqual(got, want);
          else assert.deepEqual(got, want.subarray(0, got.length));
          // Whatever the last read left behind (a stopped job), the next one is whole.
          assert.deepEqual(readAll(fd, { start, end, sizeHint: bytes.length }), want);
        },
      ),
      { numRuns: 25 },
    );
  });
});

test('two large files read side by side: one takes the ring, the other reads on this thread, and both are whole', async () => {
  const a = patterned(READ_AHEAD_MIN_BYTES + 2 * 1024 * 1024 + 7);
  const b = patterned(READ_AHEAD_MIN_BYTES + 5 * 1024 * 1024 + 1).reverse();
  await withOpenFiles([a, b], async ([fa, fb]) => {
    for (let i = 0; i < 50 && readAheadCounts().byWorker === 0; i++) {
      readAll(fa, { sizeHint: a.length });
      await sleep(50);
    }
    const before = readAheadCounts();
    const ga = readAheadChunks(fa, { sizeHint: a.length });
    const gb = readAheadChunks(fb, { sizeHint: b.length });
    // Each chunk copied as it comes: a view is valid only until its own reader's next chunk.
    const got = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
    let da = false;
    let db = false;
    while (!da || !db) {
      if (!da) {
        const r = ga.next();
        if (r.done) da = true;
        else got.a.push(r.value.slice());
      }
      if (!db) {
        const r = gb.next();
        if (r.done) db = true;
        else got.b.push(r.value.slice());
      }
    }
    assert.deepEqual(joined(got.a), a);
    assert.deepEqual(joined(got.b), b);
    const after = readAheadCounts();
    assert.ok(after.byWorker > before.byWorker && after.here > before.here, JSON.stringify({ before, after }));
    // And the ring is free again for the next read.
    assert.deepEqual(readAll(fb, { sizeHint: b.length }), b);
    assert.ok(readAheadCounts().byWorker > after.byWorker);
  });
});

test('a read the worker cannot do is done on this thread, which reports its error', async () => {
  // Start the worker with a large read, then read a descriptor that is not open.
  const bytes = patterned(READ_AHEAD_MIN_BYTES + 1024);
  await withOpenFiles([bytes], async ([fd]) => {
    for (let i = 0; i < 50 && readAheadCounts().byWorker === 0; i++) {
      readAll(fd, { sizeHint: bytes.length });
      await sleep(50);
    }
    const before = readAheadCounts();
    assert.throws(() => readAll(1 << 20, { sizeHint: bytes.length }), { code: 'EBADF' });
    assert.equal(readAheadCounts().byWorker, before.byWorker);
    // And the worker still reads the next file.
    assert.deepEqual(readAll(fd, { sizeHint: bytes.length }), bytes);
    assert.ok(readAheadCounts().byWorker > before.byWorker);
  });
});

test('a small file is read on this thread', async () => {
  const bytes = patterned(3 * 1024 * 1024 + 5);
  await withOpenFiles([bytes], ([fd]) => {
    const before = readAheadCounts();
    assert.deepEqual(readAll(fd, { sizeHint: bytes.length }), bytes);
    assert.equal(readAheadCounts().byWorker, before.byWorker);
    assert.equal(readAheadCounts().here, before.here + 4);
  });
});

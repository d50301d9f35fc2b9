/**
 * A file read in fixed-size chunks into one reused buffer, for streaming parsers: the file is
 * never held whole. Synchronous on purpose: the parse is the slow part, and awaiting each read
 * made the engine throw away the parser's compiled code at garbage collections (seen with
 * --trace-deopt, "weak objects", dozens of times in ten parses), which cost more than the reads'
 * overlap with the parse gained.
 */
import { readSync } from 'node:fs';

export const FILE_CHUNK = 1024 * 1024;

/**
 * A read buffer kept between files: a fresh one costs a page fault per 4 KiB on first touch (256
 * for a chunk), which on a VM is most of a millisecond per file.
 */
let spare: Uint8Array | null = null;

/**
 * The file's chunks in order, from byte `start` to `end` (its end when not given). Each view is valid until the caller asks for the
 * next (the buffer is reused), so a consumer copies what it keeps, as the streaming parsers do
 * with a line cut at a chunk's end.
 */
export function* fileChunks(fd: number, opts: { start?: number; end?: number; chunkSize?: number } = {}): Generator<Uint8Array, void, undefined> {
  const chunkSize = opts.chunkSize ?? FILE_CHUNK;
  const buffer = chunkSize === FILE_CHUNK && spare ? spare : new Uint8Array(chunkSize);
  if (buffer === spare) spare = null;
  // Positioned reads: the descriptor's own position is not used, nor moved.
  let at = opts.start ?? 0;
  const end = opts.end ?? Infinity;
  try {
    while (at < end) {
      const got = readSync(fd, buffer, 0, Math.min(chunkSize, end - at), at);
      if (got === 0) return;
      at += got;
      yield buffer.subarray(0, got);
    }
  } finally {
    if (chunkSize === FILE_CHUNK) spare = buffer;
  }
}

/**
 * A file read in fixed-size chunks with the next read already in flight: the read runs on libuv's
 * thread pool while the caller parses the chunk before it, so a streaming parser costs about the
 * larger of the two rather than their sum, and the file is never held whole.
 */
import type { FileHandle } from 'node:fs/promises';

export const FILE_CHUNK = 1024 * 1024;

/**
 * The file's chunks in order. Each view is valid until the caller asks for the next-but-one (two
 * buffers take turns), so a consumer copies what it keeps, as the streaming parsers do with a line
 * cut at a chunk's end.
 */
export async function* fileChunks(fh: FileHandle, opts: { start?: number; chunkSize?: number } = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const chunkSize = opts.chunkSize ?? FILE_CHUNK;
  const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
  let turn = 0;
  // Positioned reads: the handle's own position is not used, nor moved.
  let at = opts.start ?? 0;
  let pending: Promise<{ bytesRead: number }> | null = fh.read(buffers[0]!, 0, chunkSize, at);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = null;
      if (bytesRead === 0) return;
      at += bytesRead;
      const current = buffers[turn]!;
      turn ^= 1;
      pending = fh.read(buffers[turn]!, 0, chunkSize, at);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    // A consumer that stops early must not close the file under a read still running.
    if (pending) await pending.catch(() => undefined);
  }
}

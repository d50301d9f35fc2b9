/**
 * Content-addressed blob files beside the database: blobs/ab/cdef…(sha256).
 * A blob is written to a temp file, fsynced and renamed into place, so a
 * crash never leaves a half-written blob under its final name, and two
 * sessions with the same content share one file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export class BlobStore {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256.slice(0, 80)}`);
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2));
  }

  /** Starts a streamed write; chunks are hashed and written as they come. */
  async begin(): Promise<BlobWriter> {
    const tmp = join(this.dir, 'tmp', `${Date.now()}-${randomBytes(6).toString('hex')}`);
    const handle = await open(tmp, 'wx', 0o600);
    return new BlobWriter(this, tmp, handle);
  }

  async put(bytes: Uint8Array): Promise<{ sha256: string; size: number }> {
    const w = await this.begin();
    await w.write(bytes);
    return w.commit();
  }

  /** Reads at most maxBytes from byte `offset` (a large artifact is read in chunks, never whole). */
  async read(sha256: string, maxBytes?: number, offset = 0): Promise<{ bytes: Buffer; size: number }> {
    const path = this.pathOf(sha256);
    const { size } = await stat(path);
    if (offset === 0 && (maxBytes === undefined || size <= maxBytes)) return { bytes: await readFile(path), size };
    const want = Math.max(0, Math.min(maxBytes ?? size, size - offset));
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return { bytes: buf.subarray(0, got), size };
    } finally {
      await fh.close();
    }
  }

  /** @internal used by BlobWriter */
  async place(tmp: string, sha256: string): Promise<void> {
    const final = this.pathOf(sha256);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    try {
      await stat(final);
      await unlink(tmp); // already stored: deduplicated
    } catch {
      await rename(tmp, final);
    }
  }
}

export class BlobWriter {
  private readonly hash = createHash('sha256');
  private size = 0;
  private done = false;
  constructor(
    private readonly store: BlobStore,
    private readonly tmp: string,
    private readonly handle: import('node:fs/promises').FileHandle,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.hash.update(bytes);
    this.size += bytes.length;
    await this.handle.write(bytes);
  }

  get bytesWritten(): number {
    return this.size;
  }

  async commit(): Promise<{ sha256: string; size: number }> {
    this.done = true;
    await this.handle.sync();
    await this.handle.close();
    const sha256 = this.hash.digest('hex');
    await this.store.place(this.tmp, sha256);
    return { sha256, size: this.size };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
  }
}

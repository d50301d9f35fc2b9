/**
 * Content-addressed blob files beside the database: blobs/ab/cdef…(sha256).
 * A blob is written to a temp file, fsynced and renamed into place, so a
 * crash never leaves a half-written blob under its final name, and two
 * sessions with the same content share one file. A write that fails removes
 * its temp file.
 *
 * Temp files live in blobs/tmp/OWNER/, OWNER naming the process (boot id,
 * PID, start time): opening the store sweeps the folders of processes that
 * are gone (a killed capture), never those of a live one sharing the folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { identityToken, isRunning, parseIdentityToken } from './processIdentity';

/** Temp files an older Gopherscope left directly in blobs/tmp are swept once this old (it had no owner folders). */
const LEGACY_TMP_AGE_MS = 60 * 60 * 1000;

export class BlobStore {
  private readonly tmpDir: string;
  private tmpReady: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {
    this.tmpDir = join(dir, 'tmp', identityToken());
  }

  /** Sweeps the temp files of processes that are gone. Needs no free space, so it runs on a full disk. */
  async init(): Promise<void> {
    const root = join(this.dir, 'tmp');
    let entries;
    try {
      entries = await readdir(root, { withFileTypes: true });
    } catch {
      return; // no blobs yet
    }
    for (const e of entries) {
      const path = join(root, e.name);
      if (e.isDirectory()) {
        const owner = parseIdentityToken(e.name);
        if (owner && !isRunning(owner)) await rm(path, { recursive: true, force: true }).catch(() => undefined);
      } else {
        const s = await stat(path).catch(() => null);
        if (s && Date.now() - s.mtimeMs > LEGACY_TMP_AGE_MS) await unlink(path).catch(() => undefined);
      }
    }
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256.slice(0, 80)}`);
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2));
  }

  /** Starts a streamed write; chunks are hashed and written as they come. */
  async begin(): Promise<BlobWriter> {
    this.tmpReady ??= mkdir(this.tmpDir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      this.tmpReady = undefined;
      throw err;
    });
    await this.tmpReady;
    const tmp = join(this.tmpDir, randomBytes(9).toString('hex'));
    const handle = await open(tmp, 'wx', 0o600);
    return new BlobWriter(this, tmp, handle);
  }

  async put(bytes: Uint8Array): Promise<{ sha256: string; size: number }> {
    const w = await this.begin();
    try {
      await w.write(bytes);
      return await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
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

  /** @internal used by BlobWriter. True when this put the file there, false when the content was already stored. */
  async place(tmp: string, sha256: string): Promise<boolean> {
    const final = this.pathOf(sha256);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    try {
      await stat(final);
      await unlink(tmp); // already stored: deduplicated
      return false;
    } catch {
      await rename(tmp, final);
      return true;
    }
  }

  /** Removes a blob this process placed and nothing references (an import that failed after placing it). */
  async remove(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch(() => undefined);
  }
}

export class BlobWriter {
  private readonly hash = createHash('sha256');
  private size = 0;
  private state: 'open' | 'sealed' | 'done' = 'open';
  private sealed: { sha256: string; size: number } | undefined;
  constructor(
    private readonly store: BlobStore,
    private readonly tmp: string,
    private readonly handle: FileHandle,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.hash.update(bytes);
    this.size += bytes.length;
    await this.handle.write(bytes);
  }

  get bytesWritten(): number {
    return this.size;
  }

  /** fsyncs and closes the temp file, which stays unplaced until place() or abort(). */
  async seal(): Promise<{ sha256: string; size: number }> {
    if (this.state !== 'open') throw new Error('blob writer already sealed or finished');
    const sealed = { sha256: this.hash.digest('hex'), size: this.size };
    await this.handle.sync(); // on failure the writer stays open: abort() closes and removes it
    this.state = 'sealed';
    this.sealed = sealed;
    await this.handle.close();
    return sealed;
  }

  /** Moves a sealed blob into place; `added` says whether it was new. */
  async place(): Promise<{ sha256: string; size: number; added: boolean }> {
    if (this.state !== 'sealed' || !this.sealed) throw new Error('blob writer not sealed');
    this.state = 'done';
    try {
      return { ...this.sealed, added: await this.store.place(this.tmp, this.sealed.sha256) };
    } catch (err) {
      await unlink(this.tmp).catch(() => undefined);
      throw err;
    }
  }

  async commit(): Promise<{ sha256: string; size: number }> {
    try {
      await this.seal();
    } catch (err) {
      await this.abort();
      throw err;
    }
    const { sha256, size } = await this.place();
    return { sha256, size };
  }

  async abort(): Promise<void> {
    if (this.state === 'done') return;
    const wasOpen = this.state === 'open';
    this.state = 'done';
    if (wasOpen) await this.handle.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
  }
}

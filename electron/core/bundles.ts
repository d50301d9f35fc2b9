/**
 * Session bundles: one .tar.gz file with manifest.json first (schema version,
 * the session, its redaction record, and name, size and sha256 of every
 * artifact), then the artifact bodies under artifacts/. Export is
 * deterministic (fixed mtimes, order by name), leaves out any artifact whose
 * name is not a valid artifact name (an old database may hold one), and
 * writes through a temp file of random name opened with O_EXCL. Import
 * trusts nothing: only regular files, no absolute or parent paths, nothing
 * the manifest does not declare, every size and sha256 checked while
 * streaming, a compression ratio limit on the declared sizes, and inflation
 * (on zlib's thread pool, off the main thread) stopped once it passes what
 * the manifest declares plus a small slack. Bodies are staged as temp files
 * and placed only when the whole bundle has checked out, so a refused bundle
 * leaves nothing behind. Blobs are content-addressed, so importing the same
 * bundle twice stores nothing twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { Header, Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import { artifactNameProblem, MAX_ARTIFACT_NAME } from '../../shared/capture/artifactName';
import { ArtifactStatus, SessionStatus, type SessionDetail } from '../../shared/contract/api';
import { ApiError } from '../../shared/contract/errors';
import type { BlobWriter } from './blobs';
import type { Store } from './store';

export const BUNDLE_FORMAT = 'gopherscope-bundle';
export const BUNDLE_SCHEMA_VERSION = 1;
const MAX_MANIFEST = 16 * 1024 * 1024;
/** Declared bytes may exceed the compressed file by this much before we call it a bomb. */
const MAX_RATIO = 200;
const MAX_TOTAL = 64 * 1024 * 1024 * 1024;
/** Inflated bytes allowed beyond the declared entries: extended headers, the end blocks, a 10 KiB record's padding. */
const INFLATE_SLACK = 1024 * 1024;
const block = (size: number) => Math.ceil(size / 512) * 512;

const Manifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  schemaVersion: z.number().int(),
  exportedAt: z.string(),
  session: z.object({
    id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    hostLabel: z.string().max(300),
    pid: z.number().int(),
    processName: z.string().max(300),
    goVersion: z.string().max(100).nullable(),
    status: SessionStatus,
    statusReason: z.string().max(4000).nullable(),
    startedAt: z.string().max(64),
    finishedAt: z.string().max(64).nullable(),
  }),
  redactions: z.array(z.object({ artifact: z.string().max(200), key: z.string().max(500), rule: z.string().max(100) })).max(100_000),
  artifacts: z
    .array(
      z.object({
        name: z
          .string()
          .max(MAX_ARTIFACT_NAME)
          .refine((n) => artifactNameProblem(n) === null, { message: 'not a valid artifact name (a-z, 0-9, _, . and - in segments that are not empty, . or ..)' }),
        status: ArtifactStatus,
        reason: z.string().max(4000).nullable(),
        sizeBytes: z.number().int().min(0),
        durationMs: z.number().nullable(),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .nullable(),
      }),
    )
    .max(200_000),
});
type Manifest = z.infer<typeof Manifest>;

/** The manifest, or what is wrong with it. */
function readManifest(bytes: Buffer): Manifest | string {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return `manifest.json is not JSON: ${(err as Error).message}`;
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) return `manifest.json: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`;
  if (parsed.data.schemaVersion > BUNDLE_SCHEMA_VERSION) return `schema version ${parsed.data.schemaVersion} is newer than this Gopherscope reads (${BUNDLE_SCHEMA_VERSION})`;
  return parsed.data;
}

function tarHeader(path: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  new Header({ path, mode: 0o644, uid: 0, gid: 0, size, mtime: new Date(0), type: 'File', uname: '', gname: '' }).encode(block, 0);
  return block;
}

const pad = (size: number) => Buffer.alloc((512 - (size % 512)) % 512);

export async function exportSession(store: Store, sessionId: string, file: string): Promise<{ bytes: number; artifacts: number }> {
  const s: SessionDetail = await store.openSession(sessionId);
  if (s.status === 'capturing') throw new ApiError('invalid-input', 'This session is still being captured.', 'Export it when the capture has finished.');
  // A name with an empty, . or .. segment would become a member that climbs out of artifacts/; only an
  // old database (before names were checked on the way in) can hold one, and it is left out.
  const artifacts = s.artifacts.filter((a) => artifactNameProblem(a.name) === null).sort((a, b) => a.name.localeCompare(b.name));
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    exportedAt: new Date().toISOString(),
    session: {
      id: s.id,
      hostLabel: s.hostLabel,
      pid: s.pid,
      processName: s.processName,
      goVersion: s.goVersion,
      status: s.status,
      statusReason: s.statusReason,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    },
    redactions: s.redactions.map((r) => ({ ...r })),
    artifacts: artifacts.map((a) => ({ name: a.name, status: a.status, reason: a.reason, sizeBytes: a.sizeBytes, durationMs: a.durationMs, sha256: a.sha256 })),
  };
  async function* entries(): AsyncGenerator<Buffer> {
    const m = Buffer.from(JSON.stringify(manifest, null, 2));
    yield tarHeader('manifest.json', m.length);
    yield m;
    yield pad(m.length);
    for (const a of artifacts) {
      if (!a.sha256) continue;
      yield tarHeader(`artifacts/${a.name}`, a.sizeBytes);
      for await (const chunk of createReadStream(store.blobs.pathOf(a.sha256))) yield chunk as Buffer;
      yield pad(a.sizeBytes);
    }
    yield Buffer.alloc(1024);
  }
  // A name nobody can guess, created exclusively: a file or link planted in a shared folder is never written through.
  const tmp = `${file}.${randomBytes(9).toString('hex')}.partial`;
  try {
    await pipeline(Readable.from(entries()), createGzip({ level: 6 }), createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new ApiError('storage', `Could not write ${file}: ${(err as Error).message}`);
  }
  return { bytes: (await stat(file)).size, artifacts: artifacts.filter((a) => a.sha256).length };
}

class BundleError extends ApiError {
  constructor(message: string) {
    super('invalid-input', `Not a valid Gopherscope bundle: ${message}`, 'Nothing was imported.');
  }
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Compressed bytes read so far of the file's total; told at most every PROGRESS_EVERY bytes, and once at the end. */
export type ImportProgress = (done: number, total: number) => void;
const PROGRESS_EVERY = 1024 * 1024;

export async function importBundle(store: Store, file: string, onProgress?: ImportProgress): Promise<{ sessionId: string; alreadyPresent: boolean }> {
  let compressedSize: number;
  try {
    compressedSize = (await stat(file)).size;
  } catch (err) {
    throw new ApiError('not-found', `Cannot read ${file}: ${(err as Error).message}`);
  }
  if (!(await startsWithGzipMagic(file))) throw new BundleError('it is not gzip-compressed. A bundle is the .tar.gz that Export (or `gopherscope export`) writes.');
  let manifest: Manifest | undefined;
  const pending = new Map<string, Manifest['artifacts'][number]>();
  // Checked bodies, sealed in temp files: placed only once the whole bundle has checked out.
  const staged: BlobWriter[] = [];
  let failure: Error | undefined;
  const parser = new Parser({ strict: true, maxMetaEntrySize: 1024 * 1024 });
  const work: Array<Promise<void>> = [];
  const fail = (err: Error) => {
    failure ??= err;
    parser.abort(err);
  };
  // Until the manifest is read, the tar may hold only it; then what it declares.
  let inflateLimit = 512 + MAX_MANIFEST + INFLATE_SLACK;
  let inflated = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > inflateLimit) done(new BundleError(`it inflates to more than the ${inflateLimit} bytes its manifest accounts for (a decompression bomb?)`));
      else done(null, chunk);
    },
  });
  parser.on('entry', (entry: ReadEntry) => {
    if (failure) return entry.resume();
    const path = entry.path;
    if (entry.type !== 'File') return fail(new BundleError(`${path} is a ${entry.type}; bundles hold regular files only (links are refused)`));
    if (path.startsWith('/') || path.split('/').includes('..') || path.includes('\\')) return fail(new BundleError(`unsafe path ${JSON.stringify(path)}`));
    if (path === 'manifest.json') {
      if (manifest) return fail(new BundleError('two manifests'));
      if ((entry.size ?? 0) > MAX_MANIFEST) return fail(new BundleError('manifest.json is too large'));
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        const parsed = readManifest(Buffer.concat(chunks));
        if (typeof parsed === 'string') return fail(new BundleError(parsed));
        const declared = parsed.artifacts.reduce((n, a) => n + a.sizeBytes, 0);
        if (declared > MAX_TOTAL || declared > Math.max(compressedSize * MAX_RATIO, 64 * 1024 * 1024)) {
          return fail(new BundleError(`it declares ${declared} bytes from a ${compressedSize}-byte file (a decompression bomb?)`));
        }
        manifest = parsed;
        for (const a of manifest.artifacts) if (a.sha256) pending.set(`artifacts/${a.name}`, a);
        // Each entry: its header, room for an extended header, and its body padded to blocks.
        inflateLimit = 512 + block(chunks.reduce((n, c) => n + c.length, 0)) + [...pending.values()].reduce((n, a) => n + 1536 + block(a.sizeBytes), 0) + INFLATE_SLACK;
      });
      return;
    }
    if (!manifest) return fail(new BundleError(`${path} comes before manifest.json`));
    const declared = pending.get(path);
    if (!declared) return fail(new BundleError(`${path} is not declared in the manifest`));
    if (entry.size !== declared.sizeBytes) return fail(new BundleError(`${path} is ${entry.size} bytes; the manifest says ${declared.sizeBytes}`));
    pending.delete(path);
    entry.pause();
    work.push(
      (async () => {
        const writer = await store.blobs.begin();
        const hash = createHash('sha256');
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            hash.update(chunk);
            await writer.write(chunk);
            if (writer.bytesWritten > declared.sizeBytes) throw new BundleError(`${path} is longer than declared`);
          }
          const digest = hash.digest('hex');
          if (digest !== declared.sha256) throw new BundleError(`${path} does not match its sha256 (${digest.slice(0, 12)}… ≠ ${declared.sha256!.slice(0, 12)}…)`);
          await writer.seal();
          staged.push(writer);
        } catch (err) {
          await writer.abort();
          fail(err as Error);
        }
      })(),
    );
  });
  parser.on('error', (err: Error) => {
    failure ??= err instanceof ApiError ? err : new BundleError(err.message);
  });
  try {
    const source = createReadStream(file);
    if (onProgress) {
      let read = 0;
      let told = 0;
      source.on('data', (chunk) => {
        read += chunk.length;
        if (read - told >= PROGRESS_EVERY || read === compressedSize) onProgress((told = read), compressedSize);
      });
    }
    await pipeline(source, createGunzip(), meter, parser);
  } catch (err) {
    failure ??= err instanceof ApiError ? (err as Error) : new BundleError((err as Error).message);
  }
  await Promise.all(work);
  const refuse = async (err: Error): Promise<never> => {
    await Promise.all(staged.map((w) => w.abort()));
    throw err;
  };
  if (failure) return refuse(failure instanceof ApiError ? failure : new BundleError(failure.message));
  if (!manifest) return refuse(new BundleError('no manifest.json'));
  if (pending.size > 0) return refuse(new BundleError(`missing ${[...pending.keys()].slice(0, 3).join(', ')}`));
  if (await store.sessionExists(manifest.session.id)) {
    await Promise.all(staged.map((w) => w.abort()));
    return { sessionId: manifest.session.id, alreadyPresent: true };
  }
  const placed: string[] = [];
  try {
    for (const w of staged) {
      const blob = await w.place();
      if (blob.added) placed.push(blob.sha256);
    }
    return await store.importSession(manifest);
  } catch (err) {
    // Blobs this import added and no row points to go again: nothing was imported.
    for (const sha256 of placed) if (!(await store.blobReferenced(sha256))) await store.blobs.remove(sha256);
    return refuse(new ApiError('storage', `Could not import ${file}: ${store.storageError(err).message}`, 'Nothing was imported.'));
  }
}

export type BundleManifest = Manifest;

/**
 * What a file is, if it is a bundle: its manifest, read from the first tar member only (inflating
 * no more than a manifest can take), so a 1 GiB bundle is named without being read. `null` for
 * anything that is not a gzip'd tar starting with manifest.json; `{ problem }` for a bundle whose
 * manifest this version cannot read.
 */
export async function peekBundle(file: string): Promise<{ manifest: BundleManifest } | { problem: string } | null> {
  const want = 512 + MAX_MANIFEST;
  const parts: Buffer[] = [];
  let got = 0;
  let header: Header | null = null;
  const gunzip = createGunzip();
  try {
    for await (const chunk of createReadStream(file).pipe(gunzip) as AsyncIterable<Buffer>) {
      parts.push(chunk);
      got += chunk.length;
      if (!header && got >= 512) {
        const first = Buffer.concat(parts).subarray(0, 512);
        header = new Header(first);
        if (!header.cksumValid || header.path !== 'manifest.json' || header.type !== 'File') return null;
        if ((header.size ?? 0) > MAX_MANIFEST) return { problem: 'manifest.json is too large' };
      }
      if (header && got >= 512 + (header.size ?? 0)) break;
      if (got > want) break;
    }
  } catch {
    if (!header) return null;
  } finally {
    gunzip.destroy();
  }
  if (!header) return null;
  const parsed = readManifest(Buffer.concat(parts).subarray(512, 512 + (header.size ?? 0)));
  return typeof parsed === 'string' ? { problem: parsed } : { manifest: parsed };
}

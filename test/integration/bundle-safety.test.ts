/**
 * Bundles against hostile input and hostile neighbours, in real SQLite
 * libraries and real files: names that climb out of the folder (from an old
 * database or a crafted manifest), a gzip bomb after the declared entries,
 * an import that fails half-way, and an export whose temporary name was
 * planted in advance.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../shared/contract/errors';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { Store } from '../../electron/core/store';
import { filesUnder, manifestFor, pythonExtract, tarEntry } from '../support/bundleFiles';

const root = mkdtempSync(join(tmpdir(), 'gs-bundle-safety-'));
const backends: Backend[] = [];
after(async () => {
  for (const b of backends) await b.close().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

async function library(name: string) {
  const dataDir = join(root, name);
  const backend = await createBackend({ dataDir, userKnownHostsFile: join(root, 'none'), agentSocket: '' });
  backends.push(backend);
  return { dataDir, api: inProcessApi(backend) };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A session (as an older Gopherscope could have stored it) whose artifact names climb out of any folder. */
async function craftedSession(dataDir: string): Promise<string> {
  const store = await Store.open(dataDir);
  try {
    const id = await store.beginSession({ hostId: null, hostLabel: 'hostile', pid: 1, processName: 'x', goVersion: null });
    const good = await store.blobs.put(Buffer.from('Name:\tx\n'));
    const evil = await store.blobs.put(Buffer.from('written outside the folder\n'));
    await store.addArtifact(id, { name: 'proc/status', status: 'ok', reason: null, sizeBytes: 8, durationMs: 1, sha256: good.sha256 });
    // Straight into the table, as an old database holds it: the store's own checks are not asked.
    for (const name of ['../../../../../../x', 'proc/../../../../../../y', '/etc/z', 'proc//w', './v']) {
      await store.db.run('INSERT INTO artifacts(id,session_id,name,status,reason,size_bytes,duration_ms,sha256) VALUES (?,?,?,?,?,?,?,?)', [randomUUID(), id, name, 'ok', null, 27, 1, evil.sha256]);
    }
    await store.finishSession(id, 'complete', null, []);
    return id;
  } finally {
    await store.close();
  }
}

test('an artifact named with .. in an old database is never written as a tar member: python tarfile extracts nothing outside the folder', async () => {
  await craftedSession(join(root, 'old-db'));
  const { api } = await library('old-db');
  const [session] = await api.call('sessions.list', {});
  const file = join(root, 'old-db.tar.gz');
  await api.call('sessions.export', { sessionId: session!.id, path: file });
  // Extracted deep inside a scratch folder (whose artifacts/proc exists, as after an earlier extraction),
  // so a member that climbs lands somewhere we can see.
  const scratch = join(root, 'scratch');
  const out = join(scratch, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'out');
  mkdirSync(join(out, 'artifacts', 'proc'), { recursive: true });
  const members = pythonExtract(file, out);
  const escaped = filesUnder(scratch).filter((f) => !f.startsWith(`a/b/c/d/e/f/g/out/`));
  assert.deepEqual(escaped, [], 'nothing extracted outside the folder');
  for (const m of members) {
    assert.ok(m === 'manifest.json' || /^artifacts\/[a-z0-9_.-]+(\/[a-z0-9_.-]+)*$/.test(m), `member ${JSON.stringify(m)}`);
    assert.ok(!m.split('/').some((s) => s === '..' || s === '.' || s === ''), `member ${JSON.stringify(m)} has a ., .. or empty segment`);
  }
  assert.deepEqual(members, ['manifest.json', 'artifacts/proc/status']);
});

test('import refuses a manifest whose artifact names have ., .. or empty segments, before anything is stored', async () => {
  const { dataDir, api } = await library('bad-names');
  for (const name of ['proc/../x', '../x', 'proc/./x', 'proc//x', '.', '..']) {
    const file = join(root, `bad-name-${sha(name).slice(0, 8)}.tar.gz`);
    // Without a body (sha256 null) the name alone would be stored as a row.
    writeFileSync(file, gzipSync(Buffer.concat([tarEntry('manifest.json', manifestFor([{ name, sizeBytes: 0, sha256: null }])), Buffer.alloc(1024)])));
    await assert.rejects(api.call('sessions.import', { path: file }), (e: unknown) => e instanceof ApiError && /Not a valid Gopherscope bundle/.test(e.message), name);
  }
  assert.deepEqual(await api.call('sessions.list', {}), []);
  assert.deepEqual(filesUnder(join(dataDir, 'blobs')), []);
});

/**
 * One gzip member: the tar, then `zeroGiB` GiB of zeros after its end. Built
 * from one compressed 64 MiB block of zeros repeated (each block starts from
 * a fresh dictionary after a full flush), with the real CRC and length.
 */
function gzipBomb(tar: Buffer, zeroGiB: number): Buffer {
  const flush = { finishFlush: constants.Z_FULL_FLUSH };
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  const zeroBlock = deflateRawSync(zeros, { ...flush, level: 9 });
  const repeats = zeroGiB * 16;
  let crc = crc32(tar);
  for (let i = 0; i < repeats; i++) crc = crc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((tar.length + repeats * zeros.length) % 2 ** 32, 4);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  return Buffer.concat([header, deflateRawSync(tar, flush), ...Array.from({ length: repeats }, () => zeroBlock), deflateRawSync(Buffer.alloc(0)), trailer]);
}

test('a gzip bomb after the declared entries (10 GiB of zeros) is stopped soon after the declared bytes; nothing is imported', { timeout: 300_000 }, async () => {
  const { dataDir, api } = await library('bomb');
  const body = 'hello';
  const tar = Buffer.concat([
    tarEntry('manifest.json', manifestFor([{ name: 'proc/status', sizeBytes: body.length, sha256: sha(body) }])),
    tarEntry('artifacts/proc/status', body),
    Buffer.alloc(1024),
  ]);
  const file = join(root, 'bomb.tar.gz');
  writeFileSync(file, gzipBomb(tar, 10));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const started = performance.now();
  await assert.rejects(api.call('sessions.import', { path: file }), (e: unknown) => e instanceof ApiError && /decompression bomb|more than/.test(e.message) && e.hint === 'Nothing was imported.');
  const ms = performance.now() - started;
  lag.disable();
  console.log(
    `bomb of ${(readFileSync(file).length / 1e6).toFixed(1)} MB (10 GiB inflated): refused in ${ms.toFixed(0)} ms; event loop delay max ${(lag.max / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms`,
  );
  assert.ok(ms < 15_000, `refused in ${ms.toFixed(0)} ms`);
  assert.deepEqual(await api.call('sessions.list', {}), []);
  assert.deepEqual(filesUnder(join(dataDir, 'blobs')), [], 'no blob, no temporary file');
});

test('an import that fails on its second artifact leaves no blob behind: "Nothing was imported" is true', async () => {
  const { dataDir, api } = await library('half');
  const good = 'first artifact, valid\n';
  const bad = 'second artifact, tampered\n';
  const tar = Buffer.concat([
    tarEntry(
      'manifest.json',
      manifestFor([
        { name: 'proc/status', sizeBytes: good.length, sha256: sha(good) },
        { name: 'proc/stat', sizeBytes: bad.length, sha256: sha('something else entirely') },
      ]),
    ),
    tarEntry('artifacts/proc/status', good),
    tarEntry('artifacts/proc/stat', bad),
    Buffer.alloc(1024),
  ]);
  const file = join(root, 'half.tar.gz');
  writeFileSync(file, gzipSync(tar));
  await assert.rejects(api.call('sessions.import', { path: file }), (e: unknown) => e instanceof ApiError && /does not match its sha256/.test(e.message) && e.hint === 'Nothing was imported.');
  assert.deepEqual(await api.call('sessions.list', {}), []);
  assert.deepEqual(filesUnder(join(dataDir, 'blobs')), [], 'the first artifact’s blob is gone too, and no temporary file is left');
  // The same content imported for real afterwards is stored and readable.
  const ok = Buffer.concat([tarEntry('manifest.json', manifestFor([{ name: 'proc/status', sizeBytes: good.length, sha256: sha(good) }])), tarEntry('artifacts/proc/status', good), Buffer.alloc(1024)]);
  writeFileSync(file, gzipSync(ok));
  const { sessionId } = await api.call('sessions.import', { path: file });
  const s = await api.call('sessions.open', { sessionId });
  assert.equal((await api.call('artifacts.read', { artifactId: s.artifacts[0]!.id })).text, good);
});

test('export writes through a random temporary name opened exclusively: a symlink planted at the old predictable name is not followed', async () => {
  const { api } = await library('export-tmp');
  const body = 'Name:\tx\n';
  const src = join(root, 'src.tar.gz');
  writeFileSync(
    src,
    gzipSync(
      Buffer.concat([tarEntry('manifest.json', manifestFor([{ name: 'proc/status', sizeBytes: body.length, sha256: sha(body) }])), tarEntry('artifacts/proc/status', body), Buffer.alloc(1024)]),
    ),
  );
  const { sessionId } = await api.call('sessions.import', { path: src });
  const dir = join(root, 'shared-out');
  mkdirSync(dir);
  const file = join(dir, 'session.tar.gz');
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  // What another user of a shared folder could plant, knowing our PID.
  symlinkSync(victim, `${file}.partial-${process.pid}`);
  await api.call('sessions.export', { sessionId, path: file });
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the symlink’s target is untouched');
  assert.ok(lstatSync(file).isFile() && !lstatSync(file).isSymbolicLink(), 'the bundle is a regular file of our own');
  assert.deepEqual(readdirSync(dir).sort(), ['session.tar.gz', `session.tar.gz.partial-${process.pid}`], 'no temporary file is left; the planted link is left alone');
  // A failed export leaves no temporary file either.
  await assert.rejects(api.call('sessions.export', { sessionId, path: join(dir, 'missing-folder', 'x.tar.gz') }));
  assert.deepEqual(readdirSync(dir).sort(), ['session.tar.gz', `session.tar.gz.partial-${process.pid}`]);
});

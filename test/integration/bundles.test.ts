/**
 * Bundles: a real capture exported and imported into another library is
 * byte-identical; hostile bundles (traversal, links, bombs, tampering) are
 * refused with a clear error and leave the library untouched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { Api } from '../../shared/contract/client';
import { ApiError } from '../../shared/contract/errors';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { createLab, type Lab } from '../lab/lab';
import { manifestFor, tarEntry as entry } from '../support/bundleFiles';

let lab: Lab;
let dir: string;
let source: Backend;
let api: Api;
let sessionId: string;
const closers: Backend[] = [];

before(async () => {
  lab = await createLab();
  dir = mkdtempSync(join(tmpdir(), 'gs-bundles-'));
  const kh = join(dir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  source = await createBackend({ dataDir: join(dir, 'source'), userKnownHostsFile: kh, agentSocket: '' });
  closers.push(source);
  api = inProcessApi(source);
  const t = await lab.startGoService({ args: ['-goroutines', '40'], env: { SLACK_TOKEN: 'xoxb-planted-bundle-secret' } });
  const host = await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
  await api.call('ssh.connect', { hostId: host.id });
  const started = await api.call('capture.start', { hostId: host.id, pid: t.pid, stacks: false });
  await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === started.captureId && resolve()));
  sessionId = started.sessionId;
});

after(async () => {
  for (const b of closers) await b.close().catch(() => undefined);
  await lab?.cleanup();
});

async function freshLibrary(name: string): Promise<Api> {
  const b = await createBackend({ dataDir: join(dir, name), userKnownHostsFile: join(dir, 'kh'), agentSocket: '' });
  closers.push(b);
  return inProcessApi(b);
}

test('export then import is byte-identical in every artifact, and a second import deduplicates', async () => {
  const file = join(dir, 'session.gsb.tar.gz');
  const r = await api.call('sessions.export', { sessionId, path: file });
  assert.ok(r.bytes > 0 && r.artifacts > 10);
  assert.equal(readFileSync(file).includes('xoxb-planted-bundle-secret'), false);
  const other = await freshLibrary('target');
  const imported = await other.call('sessions.import', { path: file });
  assert.deepEqual(imported, { sessionId, alreadyPresent: false });
  const a = await api.call('sessions.open', { sessionId });
  const b = await other.call('sessions.open', { sessionId });
  assert.deepEqual(
    b.artifacts.map((x) => [x.name, x.status, x.sizeBytes, x.sha256]),
    a.artifacts.map((x) => [x.name, x.status, x.sizeBytes, x.sha256]),
  );
  assert.deepEqual(b.redactions, a.redactions);
  for (const art of a.artifacts.filter((x) => x.sha256)) {
    const left = await api.call('artifacts.read', { artifactId: art.id });
    const right = await other.call('artifacts.read', { artifactId: b.artifacts.find((x) => x.name === art.name)!.id });
    assert.equal(right.text, left.text, art.name);
  }
  // A range read gzipped (what the views use for large text artifacts) inflates to the same bytes.
  const smaps = a.artifacts.find((x) => x.name === 'proc/smaps' && x.sha256)!;
  const plain = await api.call('artifacts.read', { artifactId: smaps.id, offset: 1000, maxBytes: 20_000, encoding: 'base64' });
  const zipped = await api.call('artifacts.read', { artifactId: smaps.id, offset: 1000, maxBytes: 20_000, encoding: 'gzip-base64' });
  assert.equal(zipped.encoding, 'gzip-base64');
  assert.equal(zipped.truncated, plain.truncated);
  assert.deepEqual(gunzipSync(Buffer.from(zipped.text, 'base64')), Buffer.from(plain.text, 'base64'));
  assert.ok(zipped.text.length < plain.text.length / 3, 'smaps text compresses');
  assert.deepEqual(await other.call('sessions.import', { path: file }), { sessionId, alreadyPresent: true });
  assert.equal((await other.call('sessions.list', {})).length, 1);
});

test('hostile bundles are refused with a clear error and nothing is imported', async () => {
  const lib = await freshLibrary('hostile');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const cases: Array<[string, Buffer, RegExp]> = [
    ['traversal', Buffer.concat([entry('manifest.json', manifestFor([])), entry('../../etc/evil', 'x'), Buffer.alloc(1024)]), /unsafe path/],
    ['symlink', Buffer.concat([entry('manifest.json', manifestFor([])), entry('artifacts/link', '', 'SymbolicLink', '/etc/shadow'), Buffer.alloc(1024)]), /links are refused/],
    ['undeclared', Buffer.concat([entry('manifest.json', manifestFor([])), entry('artifacts/extra', 'x'), Buffer.alloc(1024)]), /not declared/],
    [
      'tampered',
      Buffer.concat([entry('manifest.json', manifestFor([{ name: 'proc/status', sizeBytes: 5, sha256: sha('hello') }])), entry('artifacts/proc/status', 'HELLO'), Buffer.alloc(1024)]),
      /does not match its sha256/,
    ],
    [
      'wrong size',
      Buffer.concat([entry('manifest.json', manifestFor([{ name: 'proc/status', sizeBytes: 5, sha256: sha('hello') }])), entry('artifacts/proc/status', 'hello world'), Buffer.alloc(1024)]),
      /the manifest says 5/,
    ],
    ['bomb', Buffer.concat([entry('manifest.json', manifestFor([{ name: 'proc/smaps', sizeBytes: 50 * 1024 ** 3, sha256: sha('x') }])), Buffer.alloc(1024)]), /decompression bomb/],
    ['no manifest first', Buffer.concat([entry('artifacts/proc/status', 'hello'), entry('manifest.json', manifestFor([])), Buffer.alloc(1024)]), /before manifest/],
  ];
  for (const [name, tar, re] of cases) {
    const file = join(dir, `${name.replace(/ /g, '-')}.tar.gz`);
    writeFileSync(file, gzipSync(tar));
    await assert.rejects(lib.call('sessions.import', { path: file }), (e: unknown) => {
      assert.ok(e instanceof ApiError, `${name}: ${String(e)}`);
      assert.match(e.message, re, name);
      return true;
    });
  }
  const junk = join(dir, 'junk.tar.gz');
  writeFileSync(junk, 'this is not a bundle at all');
  await assert.rejects(lib.call('sessions.import', { path: junk }), (e: unknown) => e instanceof ApiError && /Not a valid Gopherscope bundle/.test(e.message));
  assert.deepEqual(await lib.call('sessions.list', {}), []);
});

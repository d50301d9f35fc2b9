/**
 * Browser mode's bundle routes (electron/serve/bundleRoutes.ts) against a real backend and SQLite
 * store: a download is the bundle the export writes, an upload goes through the same import, and
 * both sit behind the token. Bad and hostile uploads (not a bundle, a traversal member, over the
 * cap, cut short, from another origin) get a clear error, import nothing and leave no temp file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { startServer, type RunningServer } from '../../electron/serve/server';
import type { Api } from '../../shared/contract/client';
import { manifestFor, tarEntry } from '../support/bundleFiles';

const MAX_UPLOAD = 256 * 1024;
let dir: string;
let backend: Backend;
let api: Api;
let server: RunningServer;
let bundle: Buffer;
const closers: Array<() => Promise<void>> = [];

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const bodies = { 'proc/status': 'Name:\tsvc\nPid:\t42\n', 'proc/environ': 'PATH=/usr/bin\0API_TOKEN=[redacted]\0' };

function craftedBundle(sessionId: string, members: Record<string, string>, redactions: unknown[] = []): Buffer {
  const manifest = JSON.parse(
    manifestFor(
      Object.entries(members).map(([name, body]) => ({ name, sizeBytes: Buffer.byteLength(body), sha256: sha(body) })),
      sessionId,
    ),
  );
  manifest.redactions = redactions;
  const tar = [tarEntry('manifest.json', JSON.stringify(manifest)), ...Object.entries(members).map(([n, b]) => tarEntry(`artifacts/${n}`, b)), Buffer.alloc(1024)];
  return gzipSync(Buffer.concat(tar));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-serve-bundles-'));
  const staticDir = join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: join(dir, 'none') });
  closers.push(() => backend.close());
  api = inProcessApi(backend);
  const seed = join(dir, 'seed.tar.gz');
  writeFileSync(seed, craftedBundle('seeded-1', bodies, [{ artifact: 'proc/environ', key: 'API_TOKEN', rule: 'name:token' }]));
  await api.call('sessions.import', { path: seed });
  server = await startServer({ backend, staticDir, maxUploadBytes: MAX_UPLOAD });
  closers.push(() => server.close());
  bundle = craftedBundle('uploaded-1', { 'proc/status': 'Name:\tother\n' });
});

after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(method: string, path: string, body?: Buffer | null, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // A connection of its own each time: a kept-alive socket the server has just closed would fail the next request.
    const req = request({ host: '127.0.0.1', port: server.port, path, method, agent: false, headers: body ? { 'Content-Length': String(body.length), ...headers } : headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    // A refused upload may close the connection before the whole body was written; that is fine once the answer came.
    req.on('error', (err) => (answered && ['EPIPE', 'ECONNRESET'].includes((err as NodeJS.ErrnoException).code ?? '') ? undefined : reject(err)));
    req.end(body ?? undefined);
  });
}

const t = (rest: string) => `/t/${server.token}${rest}`;
const json = (a: Answer) => JSON.parse(a.body.toString('utf8')) as { ok: boolean; value?: { sessionId: string; alreadyPresent: boolean }; error?: { code: string; message: string; hint?: string } };
const transfers = () => (existsSync(join(dir, 'data', 'transfers')) ? readdirSync(join(dir, 'data', 'transfers')) : []);
/** The server removes a temp file once the response has closed on its side, a moment after the client read it all. */
async function noTransfersLeft(): Promise<void> {
  for (let i = 0; i < 50 && transfers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(transfers(), []);
}
const sessionIds = async () => (await api.call('sessions.list', {})).map((s) => s.id).sort();

test('a download is the bundle the export writes: it imports into a fresh library with the same artifacts and redaction record', async () => {
  const r = await send('GET', t('/bundles/seeded-1.tar.gz'));
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/gzip');
  assert.equal(r.headers['content-disposition'], 'attachment; filename="gopherscope-seeded-1.tar.gz"');
  assert.equal(Number(r.headers['content-length']), r.body.length);
  await noTransfersLeft();
  const other = await createBackend({ dataDir: join(dir, 'fresh'), userKnownHostsFile: join(dir, 'none') });
  closers.push(() => other.close());
  const file = join(dir, 'downloaded.tar.gz');
  writeFileSync(file, r.body);
  const otherApi = inProcessApi(other);
  const { sessionId } = await otherApi.call('sessions.import', { path: file });
  const [a, b] = await Promise.all([api.call('sessions.open', { sessionId: 'seeded-1' }), otherApi.call('sessions.open', { sessionId })]);
  const shape = (s: typeof a) => s.artifacts.map((x) => [x.name, x.sha256, x.sizeBytes]);
  assert.deepEqual(shape(b), shape(a));
  assert.deepEqual(b.redactions, a.redactions);
  assert.deepEqual(b.redactions, [{ artifact: 'proc/environ', key: 'API_TOKEN', rule: 'name:token' }]);
});

test('a download of an unknown session is a 404 with the reason; a malformed id never reaches the store', async () => {
  const r = await send('GET', t('/bundles/no-such-session.tar.gz'));
  assert.equal(r.status, 404);
  assert.match(r.body.toString(), /no-such-session|not found|No session/i);
  assert.equal((await send('GET', t('/bundles/..%2F..%2Fetc.tar.gz'))).status, 404);
  assert.equal((await send('POST', t('/bundles/seeded-1.tar.gz'), Buffer.from('x'))).status, 405);
  await noTransfersLeft();
});

test('without the token, or with another one, both routes are a bare 401 and nothing is imported', async () => {
  const before = await sessionIds();
  for (const prefix of ['', '/t/wrong-token', `/t/${server.token.slice(0, -1)}x`]) {
    assert.equal((await send('GET', `${prefix}/bundles/seeded-1.tar.gz`)).status, 401, prefix);
    const up = await send('POST', `${prefix}/bundles/import`, bundle, { 'Content-Type': 'application/octet-stream' });
    assert.equal(up.status, 401, prefix);
    assert.equal(up.body.toString(), 'Unauthorized');
  }
  // The right token with a foreign Host header (DNS rebinding) is refused too.
  assert.equal((await send('POST', t('/bundles/import'), bundle, { Host: 'evil.example:80' })).status, 401);
  assert.deepEqual(await sessionIds(), before);
  await noTransfersLeft();
});

test('an upload imports through the same import, with progress events on the socket; the second time it is already present', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/t/${server.token}/ws`);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const progress: Array<{ transferId: string; phase: string; done: number; total: number | null }> = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.event === 'bundles.progress') progress.push(m.payload);
  });
  const r = await send('POST', t('/bundles/import?transfer=up-1&name=mine.tar.gz'), bundle, { 'Content-Type': 'application/octet-stream' });
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(json(r), { ok: true, value: { sessionId: 'uploaded-1', alreadyPresent: false } });
  const s = await api.call('sessions.open', { sessionId: 'uploaded-1' });
  assert.deepEqual(
    s.artifacts.map((a) => a.name),
    ['proc/status'],
  );
  await new Promise((r) => setTimeout(r, 100));
  ws.close();
  assert.ok(
    progress.some((p) => p.transferId === 'up-1' && p.phase === 'upload' && p.done === bundle.length && p.total === bundle.length),
    JSON.stringify(progress),
  );
  assert.ok(
    progress.some((p) => p.transferId === 'up-1' && p.phase === 'import' && p.done === bundle.length),
    JSON.stringify(progress),
  );
  const again = await send('POST', t('/bundles/import'), bundle);
  assert.deepEqual(json(again), { ok: true, value: { sessionId: 'uploaded-1', alreadyPresent: true } });
  await noTransfersLeft();
});

test('bad and hostile uploads: a clear error naming the file, nothing imported, no temp file left', async () => {
  const before = await sessionIds();
  const cases: Array<[string, Buffer, number, RegExp]> = [
    ['notes.txt', Buffer.from('this is not a bundle\n'), 400, /Not a valid Gopherscope bundle/],
    ['empty.tar.gz', Buffer.alloc(0), 400, /Not a valid Gopherscope bundle/],
    ['climb.tar.gz', gzipSync(Buffer.concat([tarEntry('manifest.json', manifestFor([], 'climb-1')), tarEntry('../../evil', 'x'), Buffer.alloc(1024)])), 400, /unsafe path/],
    [
      'link.tar.gz',
      gzipSync(Buffer.concat([tarEntry('manifest.json', manifestFor([], 'link-1')), tarEntry('artifacts/x', '', 'SymbolicLink', '/etc/passwd'), Buffer.alloc(1024)])),
      400,
      /links are refused/,
    ],
    ['tampered.tar.gz', craftedBundle('tampered-1', { 'proc/status': 'x' }).subarray(0, 60), 400, /Not a valid Gopherscope bundle/],
  ];
  for (const [name, body, status, message] of cases) {
    const r = await send('POST', t(`/bundles/import?name=${encodeURIComponent(name)}`), body, { 'Content-Type': 'application/octet-stream' });
    assert.equal(r.status, status, `${name}: ${r.body}`);
    const reply = json(r);
    assert.equal(reply.ok, false);
    assert.match(reply.error!.message, message, name);
    assert.doesNotMatch(reply.error!.message, /transfers|\.upload/, 'the temp path is not shown');
    assert.equal(reply.error!.hint, 'Nothing was imported.');
  }
  // Over the cap, declared up front: refused before a byte is stored.
  // (Only a few bytes follow the header: the answer must not race a body the server never reads.)
  const declared = await send('POST', t('/bundles/import?name=big.tar.gz'), Buffer.alloc(16), { 'Content-Length': String(MAX_UPLOAD + 1) });
  assert.equal(declared.status, 413);
  assert.match(json(declared).error!.message, /big\.tar\.gz is larger than the 262144 bytes browser mode accepts/);
  // Over the cap without a length (chunked): stopped once past it.
  const chunked = await new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: t('/bundles/import'), method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    for (let i = 0; i < 8; i++) req.write(Buffer.alloc(64 * 1024));
    req.end();
  });
  assert.equal(chunked.status, 413);
  // Another origin's page (were it to learn the token) is refused.
  const foreign = await send('POST', t('/bundles/import'), bundle, { Origin: 'http://127.0.0.1:1' });
  assert.equal(foreign.status, 403);
  assert.deepEqual(await sessionIds(), before);
  await noTransfersLeft();
});

test('an upload cut short (the client goes away) imports nothing and leaves no temp file', async () => {
  const before = await sessionIds();
  await new Promise<void>((resolve) => {
    const sock = connect(server.port, '127.0.0.1', () => {
      sock.write(`POST ${t('/bundles/import')} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Length: ${bundle.length}\r\n\r\n`);
      sock.write(bundle.subarray(0, 100));
      setTimeout(() => sock.destroy(), 100);
    });
    sock.on('close', () => resolve());
    sock.on('error', () => undefined);
  });
  // The server notices the closed socket on its own time.
  await noTransfersLeft();
  assert.deepEqual(await sessionIds(), before);
});

/**
 * Browser mode's boundary: loopback only, the per-instance path (/t/<token>/)
 * on every request and socket and nowhere else (no cookie), the Host header,
 * and contract validation over the wire.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createBackend, type Backend } from '../../electron/core/backend';
import { startServer, type RunningServer } from '../../electron/serve/server';

let backend: Backend;
let server: RunningServer;
let staticDir: string;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-serve-'));
  staticDir = join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'secret.txt'), 'outside the static root');
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: join(dir, 'none') });
  server = await startServer({ backend, staticDir });
});

after(async () => {
  await server?.close();
  await backend?.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, id: number, method: string, input: unknown): Promise<{ id: number; reply: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if (msg.id === id) {
        ws.off('message', onMsg);
        resolve(msg);
      }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ id, method, input }));
  });
}

test('refuses a non-loopback address', async () => {
  await assert.rejects(startServer({ backend, staticDir, host: '0.0.0.0' }), /Refusing to listen on 0\.0\.0\.0/);
  // The old opt-in is gone: browser mode has no TLS, so the token and the API would cross the network in clear.
  const optIn = { backend, staticDir, host: '0.0.0.0', allowNonLoopback: true } as Parameters<typeof startServer>[0];
  await assert.rejects(startServer(optIn), /Refusing to listen on 0\.0\.0\.0/);
});

test('gopherscope serve --host 0.0.0.0 --allow-non-loopback exits with a usage error that says what to do instead', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-serve-nonloop-'));
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs'), 'serve', '--host', '0.0.0.0', '--allow-non-loopback', '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 2, `exit ${r.status} signal ${r.signal}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /browser mode: http/);
  assert.match(r.stderr, /--allow-non-loopback was removed/);
  assert.match(r.stderr, /ssh -L/);
});

test('the URL has a long random token in its path, and only that path is served', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]{32}\/$/);
  const prefix = `/t/${server.token}/`;
  assert.equal((await get('/')).status, 401);
  assert.deepEqual((await get('/')).body, 'Unauthorized');
  assert.equal((await get('/index.html')).status, 401);
  assert.equal((await get('/t/wrong/')).status, 401);
  assert.equal((await get(`/t/${server.token.slice(0, -1)}/`)).status, 401);
  assert.equal((await get(`/t/${server.token}x/`)).status, 401);
  const ok = await get(prefix);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['set-cookie'], undefined);
  assert.equal(ok.headers['referrer-policy'], 'no-referrer');
  assert.equal((await get(`${prefix}index.html`)).status, 200);
  const bare = await get(`/t/${server.token}`);
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.location, prefix);
  // The old ways of carrying the token are gone: query, cookie and bearer header all get 401.
  assert.equal((await get(`/?token=${server.token}`)).status, 401);
  assert.equal((await get('/index.html', { cookie: `gs_token=${server.token}` })).status, 401);
  assert.equal((await get('/index.html', { authorization: `Bearer ${server.token}` })).status, 401);
});

test('a rebinding Host header is refused even with the token', async () => {
  const r = await get(`/t/${server.token}/`, { host: `evil.example:${server.port}` });
  assert.equal(r.status, 401);
});

test('path traversal stays inside the static root', async () => {
  for (const path of [`/t/${server.token}/..%2fsecret.txt`, `/t/${server.token}/%2e%2e/secret.txt`, `/t/${server.token}/../secret.txt`]) {
    const r = await get(path);
    assert.notEqual(r.status, 200, path);
    assert.ok(!r.body.includes('outside the static root'), path);
  }
});

test('the socket needs the token, and carries the validated contract', async () => {
  const origin = `ws://127.0.0.1:${server.port}`;
  const base = `${origin}/t/${server.token}/ws`;
  await assert.rejects(openSocket(`${origin}/ws`), /401/);
  await assert.rejects(openSocket(`${origin}/ws?token=${server.token}`), /401/);
  await assert.rejects(openSocket(`${origin}/ws`, { cookie: `gs_token=${server.token}` }), /401/);
  await assert.rejects(openSocket(`${origin}/t/wrong/ws`), /401/);
  await assert.rejects(openSocket(base, { origin: 'http://evil.example' }), /401/);
  await assert.rejects(openSocket(base, { origin: `http://127.0.0.1:${server.port + 1}` }), /401/);
  const ws = await openSocket(base);
  try {
    const hosts = await call(ws, 1, 'hosts.list', {});
    assert.deepEqual(hosts.reply, { ok: true, value: [] });
    const bad = await call(ws, 2, 'hosts.add', { label: 'x', hostname: 'a;rm -rf /', user: 'root' });
    assert.equal(bad.reply.ok, false);
    assert.equal(bad.reply.error?.code, 'invalid-input');
    assert.match(bad.reply.error?.message ?? '', /hostname/);
    const unknown = await call(ws, 3, 'fs.readFile', { path: '/etc/shadow' });
    assert.equal(unknown.reply.error?.code, 'unknown-method');
    const added = await call(ws, 4, 'hosts.add', { label: 'box', hostname: 'db-1.internal', user: 'sre' });
    assert.equal(added.reply.ok, true);
    assert.equal((added.reply.value as { port: number }).port, 22);
  } finally {
    ws.close();
  }
});

test('the page names no file: exports, imports and other SSH configs are refused; identity files only inside --identity-dir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-serve-files-'));
  const keys = join(dir, 'keys');
  mkdirSync(keys);
  writeFileSync(join(keys, 'id_lab'), 'key');
  writeFileSync(join(dir, 'elsewhere'), 'key');
  symlinkSync(join(dir, 'elsewhere'), join(keys, 'link-out'));
  const b = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: join(dir, 'none') });
  const s = await startServer({ backend: b, staticDir, identityDirs: [keys] });
  const ws = await openSocket(`ws://127.0.0.1:${s.port}/t/${s.token}/ws`);
  try {
    const refused = [
      await call(ws, 1, 'sessions.export', { sessionId: 'x', path: join(dir, 'out.tar.gz') }),
      await call(ws, 2, 'sessions.import', { path: join(dir, 'elsewhere') }),
      await call(ws, 3, 'sshConfig.read', { path: '/etc/passwd' }),
      await call(ws, 4, 'hosts.add', { label: 'a', hostname: 'db-1', user: 'sre', identityFile: join(dir, 'elsewhere') }),
      await call(ws, 5, 'hosts.add', { label: 'b', hostname: 'db-1', user: 'sre', identityFile: join(keys, 'link-out') }),
      await call(ws, 6, 'hosts.add', { label: 'c', hostname: 'db-1', user: 'sre', identityFile: keys }),
      await call(ws, 7, 'hosts.add', { label: 'd', hostname: 'db-1', user: 'sre', identityFile: `${keys}/../elsewhere` }),
      await call(ws, 8, 'files.pick', { purpose: 'identity-file' }),
    ];
    for (const r of refused) assert.equal(r.reply.ok, false, JSON.stringify(r));
    for (const r of refused.slice(0, 7)) assert.match(r.reply.error?.message ?? '', /may not name a file/);
    assert.ok(!existsSync(join(dir, 'out.tar.gz')));
    const ok = await call(ws, 9, 'hosts.add', { label: 'e', hostname: 'db-1', user: 'sre', identityFile: join(keys, 'id_lab') });
    assert.equal(ok.reply.ok, true, JSON.stringify(ok));
    // The page sees the key's name; the backend keeps the path.
    assert.equal((ok.reply.value as { identityFile: string }).identityFile, 'id_lab');
    assert.deepEqual(
      (await b.handlers['hosts.list']({})).map((h) => h.identityFile),
      [join(keys, 'id_lab')],
    );
  } finally {
    ws.close();
    await s.close();
    await b.close();
  }
});

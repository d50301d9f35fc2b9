/**
 * Browser mode survives whatever a client sends: the real `gopherscope serve`
 * process gets malformed and fuzzed request lines, headers and WebSocket
 * messages, answers each with a status below 500 (or an error reply), and
 * still serves the app and the API afterwards.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startServe, type ServeProcess } from '../support/serveProcess';

let serve: ServeProcess;
let port: number;

// A fresh process per test, so one crash does not hide what the next test finds.
beforeEach(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-serve-fuzz-'));
  const knownHosts = join(dataDir, 'user_known_hosts_empty');
  writeFileSync(knownHosts, '');
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts });
  port = Number(new URL(serve.url).port);
});

afterEach(async () => {
  await serve?.stop();
});

/** A path of this server's own with the credential the printed URL carries. */
function authorized(rest: string): string {
  const base = new URL(serve.url);
  const search = base.search ? (rest.includes('?') ? `&${base.search.slice(1)}` : base.search) : '';
  return `${base.pathname}${rest}${search}`;
}

function wsUrl(): string {
  const u = new URL('ws', serve.url);
  u.search = new URL(serve.url).search;
  u.protocol = 'ws:';
  return u.href;
}

/** Sends raw bytes and returns the first final status code the server answers with (after any 1xx). */
function rawRequest(bytes: Buffer, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms to ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    const finish = (status: number) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(status);
    };
    sock.on('data', (d) => {
      got += d.toString('latin1');
      for (const m of got.matchAll(/HTTP\/1\.[01] (\d{3})/g)) {
        const status = Number(m[1]);
        if (status >= 200 || status === 101) return finish(status);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      const m = /HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`connection closed without an answer to ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`));
    });
    sock.write(bytes);
  });
}

function request(method: string, target: string, headers: ReadonlyArray<readonly [string, string]> = []): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

async function stillServes(): Promise<void> {
  assert.equal(serve.child.exitCode, null, `serve exited: ${serve.stderr()}`);
  assert.equal(serve.child.signalCode, null, `serve was killed: ${serve.stderr()}`);
  const r = await fetch(serve.url);
  assert.equal(r.status, 200);
  await r.arrayBuffer();
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('a malformed percent-escape or an unparsable target gets a 4xx, and the server keeps running', async () => {
  assert.equal(await rawRequest(request('GET', authorized('%E0%A4%A'))), 400);
  assert.equal(await rawRequest(request('GET', '/%E0%A4%A')), 401);
  for (const target of ['//', '/\\', '//[', '//:99999']) {
    const status = await rawRequest(request('GET', target));
    assert.ok(status >= 400 && status < 500, `${target}: ${status}`);
    const upgrade = await rawRequest(
      request('GET', target, [
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', '13'],
      ]),
    );
    assert.ok(upgrade >= 400 && upgrade < 500, `upgrade ${target}: ${upgrade}`);
  }
  await stillServes();
});

const pathPieces = fc.constantFrom(
  '%',
  '%E0',
  '%A4',
  '%A',
  '%2e',
  '%2E%2E',
  '%2f',
  '%5c',
  '%00',
  '%ff',
  '%C0%AF',
  '..',
  '.',
  '/',
  '//',
  '\\',
  '?',
  '#',
  '&',
  'ws',
  't',
  'index.html',
  'assets',
  'token=',
  ';',
  '@',
  ':',
  '[',
  ']',
  '~',
  ' ',
);
const fuzzPath = fc.oneof(
  fc.array(pathPieces, { maxLength: 12 }).map((p) => p.join('')),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const headerName = fc.oneof(
  fc.constantFrom(
    'Host',
    'Origin',
    'Cookie',
    'Authorization',
    'Upgrade',
    'Connection',
    'Sec-WebSocket-Key',
    'Sec-WebSocket-Version',
    'Content-Length',
    'Transfer-Encoding',
    'Expect',
    'Range',
    'If-None-Match',
    'Accept-Encoding',
    'X-Forwarded-For',
  ),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.constantFrom(
    'websocket',
    'Upgrade',
    '13',
    'dGhlIHNhbXBsZSBub25jZQ==',
    '-1',
    '99999999999999999999',
    'http://evil.example',
    'null',
    'bytes=0-',
    'chunked',
    '100-continue',
    'gs_token=x',
    'Bearer x',
  ),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

test('fuzzed request lines and headers: every request gets a status below 500 and the server keeps running', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'PATCH', 'BREW', 'get'),
      fc.constantFrom('authorized', 'bare', 'root'),
      fuzzPath,
      fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
      async (method, where, path, headers) => {
        const target = where === 'authorized' ? authorized(path) : where === 'bare' ? `/${path}` : path;
        let status: number;
        try {
          status = await rawRequest(request(method, target, headers));
        } catch (err) {
          assert.equal(serve.child.exitCode, null, `serve exited after ${JSON.stringify({ method, target, headers })}: ${serve.stderr()}`);
          throw err;
        }
        assert.ok(status < 500, `${status} for ${JSON.stringify({ method, target, headers })}`);
        assert.equal(serve.child.exitCode, null, `serve exited after ${JSON.stringify({ method, target, headers })}: ${serve.stderr()}`);
      },
    ),
    { numRuns: 300, seed: Number(process.env.GS_FUZZ_SEED ?? Date.now() % 2 ** 31) },
  );
  await stillServes();
});

test('fuzzed WebSocket messages get an error reply or none, and the socket and server keep working', async () => {
  const ws = await openSocket(wsUrl());
  const replies: Array<{ id?: unknown; reply?: { ok: boolean; value?: unknown } }> = [];
  ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
  try {
    const fixed = [
      'null',
      '[]',
      '"x"',
      '1',
      'true',
      '{"id":"1"}',
      '{"id":1}',
      '{"id":1,"method":null}',
      '{"id":1,"method":"__proto__"}',
      '{"id":1,"method":"constructor"}',
      '{"id":1e400,"method":"hosts.list","input":{}}',
      '{"id":1,"method":"hosts.add","input":null}',
      '{',
      '\u0000',
    ];
    const fuzzed = fc.sample(
      fc.oneof(
        fc.json(),
        fc.string({ maxLength: 80 }),
        fc
          .record({
            id: fc.oneof(fc.integer(), fc.double(), fc.string()),
            method: fc.oneof(fc.string(), fc.constantFrom('hosts.list', 'sessions.list', 'hosts.add', 'toString')),
            input: fc.jsonValue(),
          })
          .map((o) => JSON.stringify(o)),
      ),
      200,
    );
    for (const m of [...fixed, ...fuzzed]) ws.send(m);
    ws.send(JSON.stringify({ id: 424242, method: 'hosts.list', input: {} }));
    const deadline = Date.now() + 30_000;
    while (!replies.some((r) => r.id === 424242) && Date.now() < deadline && ws.readyState === ws.OPEN) await new Promise((r) => setTimeout(r, 50));
    const last = replies.find((r) => r.id === 424242);
    assert.ok(last, `no reply to the last call; socket state ${ws.readyState}; serve stderr: ${serve.stderr()}`);
    assert.equal(last.reply?.ok, true);
  } finally {
    ws.close();
  }
  await stillServes();
});

test('an oversized message or an invalid frame closes that socket only; the server keeps running', async () => {
  const big = await openSocket(wsUrl());
  const closed = new Promise<number>((r) => big.once('close', (code) => r(code)));
  big.on('error', () => undefined);
  big.send('x'.repeat(2 * 1024 * 1024));
  assert.equal(await closed, 1009);
  // A text frame that is not UTF-8, written by hand after a real handshake.
  const bad = await openSocket(wsUrl());
  const badClosed = new Promise<number>((r) => bad.once('close', (code) => r(code)));
  bad.on('error', () => undefined);
  const raw = (bad as unknown as { _socket: import('node:net').Socket })._socket;
  raw.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]));
  assert.equal(await badClosed, 1007);
  await stillServes();
});

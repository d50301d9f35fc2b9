/**
 * The browser-mode credential stays with its own server. Cookies are not
 * scoped by port, so anything the app puts in a cookie for 127.0.0.1 is sent
 * to every other server on 127.0.0.1. In real Chromium: load the app, then
 * visit a page served from another loopback port (in the same browser
 * profile). That server must receive no credential, and neither it nor its
 * page may reach the API, over HTTP or WebSocket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { launchChromium, shot, startServe, type ServeProcess } from './browser';

let serve: ServeProcess;
let browser: Browser;
let context: BrowserContext;
let app: Page;
let other: Server;
let otherPort: number;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
/** What the other origin's page reports about its attempts on the API. */
const reports: string[] = [];

function appPort(): number {
  return Number(new URL(serve.url).port);
}

/** The other origin's page: it tries the API over HTTP (with credentials) and over WebSocket, and reports what happened. */
function attackPage(): string {
  const api = `127.0.0.1:${appPort()}`;
  return `<!doctype html><title>other</title><script>
const report = (s) => fetch('/report', { method: 'POST', body: s });
(async () => {
  for (const path of ['/', '/index.html', '/ws']) {
    try {
      await fetch('http://${api}' + path, { credentials: 'include', mode: 'no-cors' });
      report('fetch ' + path + ' sent');
    } catch (e) { report('fetch ' + path + ' failed'); }
  }
  await new Promise((done) => {
    const ws = new WebSocket('ws://${api}/ws');
    ws.onopen = () => { report('ws open'); ws.send(JSON.stringify({ id: 1, method: 'hosts.add', input: { label: 'planted-by-other-origin', hostname: 'evil.example', user: 'x' } })); };
    ws.onmessage = (ev) => report('ws message ' + ev.data);
    ws.onerror = () => report('ws error');
    ws.onclose = () => { report('ws closed'); done(); };
  });
  report('done');
})();
</script>`;
}

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-token-'));
  const knownHosts = join(dataDir, 'user_known_hosts_empty');
  writeFileSync(knownHosts, '');
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts });
  other = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.method === 'POST' && req.url === '/report') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        reports.push(body);
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(attackPage());
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  otherPort = (other.address() as AddressInfo).port;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  app = await context.newPage();
  app.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await new Promise((r) => (other ? other.close(() => r(undefined)) : r(undefined)));
  await serve?.stop();
});

test('the app loads and works from the printed URL', async () => {
  await app.goto(serve.url);
  await app.getByTestId('add-host-form').waitFor();
  // The API answers over the app's own socket: the host list (empty) is drawn from hosts.list.
  await app.getByTestId('host-label').fill('mine');
  await app.getByTestId('host-hostname').fill('127.0.0.1');
  await app.getByTestId('host-port').fill('22');
  await app.getByTestId('host-user').fill('root');
  await app.getByTestId('host-add-submit').click();
  await app.locator('[data-testid="host-row"]', { hasText: 'mine' }).waitFor();
  await shot(app, 'token-scope-01-app');
});

test('no cookie carries the credential', async () => {
  const cookies = await context.cookies();
  assert.deepEqual(
    cookies.filter((c) => c.domain.includes('127.0.0.1') || c.domain.includes('localhost')).map((c) => c.name),
    [],
  );
});

test('a page from another loopback port receives no credential and cannot call the API', async () => {
  const token = serve.url.match(/[A-Za-z0-9_-]{32}/)?.[0];
  assert.ok(token, `no token in ${serve.url}`);
  // A link the app's page opens (as a user clicking out of the app would) sends no Referer with the token.
  await app.evaluate((url) => void window.open(url, '_blank'), `http://127.0.0.1:${otherPort}/opened-from-app`);
  const page = await context.newPage();
  const statuses: Array<{ url: string; status: number }> = [];
  page.on('response', (r) => statuses.push({ url: r.url(), status: r.status() }));
  await page.goto(`http://127.0.0.1:${otherPort}/`);
  const deadline = Date.now() + 20_000;
  while (!reports.includes('done') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(reports.includes('done'), `the other page did not finish: ${reports.join(' | ')}`);
  await shot(page, 'token-scope-02-other-origin');

  assert.ok(
    seen.some((s) => s.url === '/opened-from-app'),
    'the window the app opened did not reach the other server',
  );
  for (const s of seen) {
    assert.equal(s.headers.cookie, undefined, `${s.url} reached the other server with Cookie: ${s.headers.cookie}`);
    assert.ok(!JSON.stringify(s).includes(token), `${s.url} reached the other server carrying the token: ${JSON.stringify(s.headers)}`);
  }
  assert.ok(!reports.includes('ws open'), `the other origin opened the API socket: ${reports.join(' | ')}`);
  assert.ok(!reports.some((r) => r.startsWith('ws message')), `the other origin got API replies: ${reports.join(' | ')}`);
  const apiResponses = statuses.filter((s) => new URL(s.url).port === String(appPort()));
  assert.ok(apiResponses.length > 0, 'the other page reached the app server at all');
  for (const r of apiResponses) assert.equal(r.status, 401, `${r.url} answered ${r.status} to the other origin`);
  await page.close();
});

test('whatever the other server received does not open the API from outside the browser either', async () => {
  const received = seen.map((s) => ({ cookie: s.headers.cookie, authorization: s.headers.authorization, referer: s.headers.referer }));
  const base = `ws://127.0.0.1:${appPort()}`;
  for (const r of received) {
    for (const path of ['/ws', new URL(r.referer ?? 'http://x/').pathname.replace(/[^/]*$/, 'ws')]) {
      const opened = await new Promise<boolean>((resolve) => {
        const headers: Record<string, string> = {};
        if (r.cookie) headers.cookie = r.cookie;
        if (r.authorization) headers.authorization = r.authorization;
        const ws = new WebSocket(`${base}${path}`, { headers });
        ws.once('open', () => {
          ws.close();
          resolve(true);
        });
        ws.once('error', () => resolve(false));
      });
      assert.equal(opened, false, `the API socket opened at ${path} with what the other server received`);
    }
  }
});

test('nothing the other origin tried changed the library', async () => {
  await app.reload();
  await app.locator('[data-testid="host-row"]', { hasText: 'mine' }).waitFor();
  assert.equal(await app.locator('[data-testid="host-row"]', { hasText: 'planted-by-other-origin' }).count(), 0);
});

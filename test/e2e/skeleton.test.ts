/**
 * The walking skeleton in real Chromium through browser mode: add the lab
 * host, trust its key, connect, see the Go target marked, capture, see the
 * session in the library, then with the SSH server gone reload and open the
 * stored session and read its RSS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createLab, type Lab } from '../lab/lab';
import { addHostViaUi, launchChromium, shot, startServe, type ServeProcess } from './browser';

let lab: Lab;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let target: Awaited<ReturnType<Lab['startGoService']>>;

before(async () => {
  lab = await createLab();
  target = await lab.startGoService({ memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, args: ['-goroutines', '20'] });
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-'));
  const knownHosts = join(dataDir, 'user_known_hosts_empty');
  writeFileSync(knownHosts, '');
  // Browser mode names identity files only inside --identity-dir (electron/core/fileGrants.ts).
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts }, ['--identity-dir', dirname(lab.sshd.clientKeyPath)]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  await lab?.cleanup();
});

test('a wrong or missing token gets 401 and nothing else', async () => {
  const base = new URL(serve.url);
  const noToken = await fetch(`${base.origin}/`);
  assert.equal(noToken.status, 401);
  assert.equal(await noToken.text(), 'Unauthorized');
  const wrong = await fetch(`${base.origin}/t/wrong/`);
  assert.equal(wrong.status, 401);
  const asset = await fetch(`${base.origin}/index.html`);
  assert.equal(asset.status, 401);
  const ok = await fetch(serve.url);
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-security-policy') ?? '', /default-src 'self'/);
});

test('add host, trust key, connect, capture, browse offline', async () => {
  await page.goto(serve.url);
  await page.getByTestId('add-host-form').waitFor();
  await shot(page, '01-hosts-empty');

  await addHostViaUi(page, { label: 'lab', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
  await page.getByTestId('host-row').first().waitFor();

  // A host nobody listens on: a clear error in the UI, nothing else.
  await page.getByTestId('host-label').fill('nowhere');
  await page.getByTestId('host-hostname').fill('127.0.0.1');
  await page.getByTestId('host-port').fill('1');
  await page.getByTestId('host-user').fill('root');
  await page.getByTestId('host-add-submit').click();
  await page.locator('[data-testid="host-row"]', { hasText: 'nowhere' }).getByTestId('host-connect').click();
  const banner = page.getByTestId('error-banner');
  await banner.waitFor();
  assert.match(await banner.innerText(), /refused/);
  await shot(page, '01b-connect-refused');

  await page.locator('[data-testid="host-row"]', { hasText: 'lab' }).getByTestId('host-connect').click();
  const dialog = page.getByTestId('trust-dialog');
  await dialog.waitFor();
  assert.match(await page.getByTestId('trust-fingerprint').innerText(), new RegExp(lab.sshd.hostKeyFingerprint.replace(/[+/]/g, (c) => `\\${c}`)));
  await shot(page, '02-trust-host-key');
  await page.getByTestId('trust-accept').click();

  const row = page.locator(`[data-testid="process-row"][data-pid="${target.pid}"]`);
  // The list is one SSH round trip plus a look at every executable, bounded by the backend's own 30 s
  // timeout; on a loaded host it takes most of that, so the page waits past the backend's bound.
  await row.waitFor({ timeout: 45_000 });
  assert.equal(await row.getAttribute('data-go'), 'true');
  assert.match(await row.getByTestId('go-badge').innerText(), new RegExp(target.goVersion.replace('.', '\\.')));
  await shot(page, '03-processes');

  await row.getByTestId('capture-button').click();
  await page.getByTestId('capture-dialog').waitFor();
  assert.match(await page.getByTestId('capture-dialog').innerText(), /ptrace/);
  await shot(page, '03b-capture-dialog');
  await page.getByTestId('capture-start').click();
  await page.getByTestId('capture-done').waitFor({ timeout: 60_000 });
  await shot(page, '04-capture-done');

  await page.getByTestId('nav-library').click();
  await page.getByTestId('session-row').first().waitFor();
  await shot(page, '05-library');

  // Offline: the SSH server is gone; the library reads only the local store.
  await lab.sshd.stop();
  await page.reload();
  await page.getByTestId('nav-library').click();
  await page.getByTestId('session-row').first().click();
  const rss = page.getByTestId('memory-rss');
  await rss.waitFor();
  const kib = Number(await rss.getAttribute('data-kib'));
  assert.ok(kib > 1000, `RSS ${kib} KiB`);
  assert.match(await rss.innerText(), /\d+(\.\d+)? (KiB|MiB|GiB)/);
  assert.ok((await page.getByTestId('cgroup-path').innerText()).includes(target.cgroup.relativePath));
  await shot(page, '06-session-memory');
});

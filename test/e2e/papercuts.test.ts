/**
 * Fixes from a trial's screenshots, in real Chromium at 1440 px through browser
 * mode against the lab: the process list (its host, Go first, kernel threads
 * not capturable, long GODEBUG badges wrapped, the module version), a capture
 * with a fixed total and a countdown, the connection state after navigating,
 * tables that fit, panes that scroll into view, tags and notes, and
 * "open with go tool trace" stopped when its session closes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { createLab, type Lab } from '../lab/lab';
import { addHostViaUi, launchChromium, shot, startServe, type ServeProcess } from './browser';

const LONG_GODEBUG = 'madvdontneed=1,gctrace=0,asyncpreemptoff=0,http2client=0,http2server=0,tlsrsakex=1,tls10server=1,x509sha1=1,panicnil=1';

let lab: Lab;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let target: Awaited<ReturnType<Lab['startGoService']>>;

before(async () => {
  lab = await createLab();
  target = await lab.startGoService({ args: ['-goroutines', '10'], env: { GODEBUG: LONG_GODEBUG } });
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-papercuts-'));
  const knownHosts = join(dataDir, 'user_known_hosts_empty');
  writeFileSync(knownHosts, '');
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts, PATH: `${process.env.PATH}:/usr/local/go/bin` }, ['--identity-dir', dirname(lab.sshd.clientKeyPath)]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  await lab?.cleanup();
});

/** No column is cut off: the container does not need to scroll sideways. */
async function fits(container: Locator): Promise<{ scrollWidth: number; clientWidth: number }> {
  return container.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
}

/** The element's box is inside the window. */
async function inView(el: Locator): Promise<boolean> {
  return el.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0;
  });
}

let sessionUrl = '';

test('the process list names its host, lists Go first, wraps GODEBUG, shows the module version and keeps kernel threads out', async () => {
  await page.goto(serve.url);
  await addHostViaUi(page, { label: 'lab-papercuts', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
  await page.locator('[data-testid="host-row"]', { hasText: 'lab-papercuts' }).getByTestId('host-connect').click();
  await page.getByTestId('trust-accept').click();
  const row = page.locator(`[data-testid="process-row"][data-pid="${target.pid}"]`);
  await row.waitFor();
  assert.equal(await page.getByTestId('processes-title').innerText(), 'Processes on lab-papercuts');
  const kinds = await page.getByTestId('process-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-go'), r.getAttribute('data-kernel')]));
  const firstOther = kinds.findIndex(([go]) => go !== 'true');
  assert.ok(firstOther > 0 && kinds.slice(firstOther).every(([go]) => go !== 'true'), 'every Go process is above every other');
  const firstKernel = kinds.findIndex(([, k]) => k === 'true');
  if (existsSync('/proc/2/stat') && readFileSync('/proc/2/stat', 'utf8').startsWith('2 (kthreadd)')) {
    assert.ok(firstKernel > firstOther && kinds.slice(firstKernel).every(([, k]) => k === 'true'), 'kernel threads come last');
    const kthreadd = page.locator('[data-testid="process-row"][data-pid="2"]');
    assert.equal(await kthreadd.getAttribute('data-kernel'), 'true');
    assert.equal(await kthreadd.getByTestId('capture-button').isDisabled(), true);
  }
  assert.match(await row.getByTestId('module-badge').innerText(), /\S+ \S+/, 'module and its version from the build info');
  // The whole GODEBUG value is shown, wrapped inside its cell.
  const badge = row.locator('.badge.env', { hasText: 'GODEBUG' });
  assert.match(await badge.innerText(), /panicnil=1/);
  const [cell, b] = [(await row.locator('td.go-cell').boundingBox())!, (await badge.boundingBox())!];
  assert.ok(b.x + b.width <= cell.x + cell.width + 1 && b.height > 20, `badge ${JSON.stringify(b)} wraps inside cell ${JSON.stringify(cell)}`);
  assert.ok((await fits(page.locator('.content'))).scrollWidth <= (await fits(page.locator('.content'))).clientWidth, 'the list fits the window');
  await shot(page, '40-processes-papercuts');
});

test('a capture counts to a fixed total and counts down its CPU profile and trace', async () => {
  await page.locator(`[data-testid="process-row"][data-pid="${target.pid}"]`).getByTestId('capture-button').click();
  await page.getByTestId('capture-stacks').uncheck();
  await page.getByTestId('capture-cpu-seconds').fill('4');
  await page.getByTestId('capture-trace-seconds').fill('1');
  await page.getByTestId('capture-start').click();
  const counts = new Set<string>();
  let countdown = '';
  while ((await page.getByTestId('capture-done').count()) === 0) {
    const c = await page
      .getByTestId('capture-count')
      .innerText()
      .catch(() => '');
    const m = /of (\S+) artifacts/.exec(c);
    if (m) counts.add(m[1]!);
    const timer = page.locator('[data-testid="capture-countdown"][data-name="go/cpu.pb.gz"]');
    if ((await timer.count()) && /sampling, \d s left/.test(await timer.innerText().catch(() => ''))) {
      if (!countdown) await shot(page, '41-capture-countdown');
      countdown = await timer.innerText().catch(() => countdown);
    }
    await page.waitForTimeout(200);
  }
  assert.match(countdown, /go\/cpu\.pb\.gz: sampling, [1-4] s left/);
  const totals = [...counts].filter((t) => t !== '…');
  assert.equal(totals.length, 1, `one total through the capture: ${[...counts].join(', ')}`);
  sessionUrl = (await page.getByTestId('open-session').getAttribute('href'))!;
  // Back to the Hosts list: the connection still lives, and says so.
  await page.getByTestId('nav-hosts').click();
  const state = page.locator('[data-testid="host-row"]', { hasText: 'lab-papercuts' }).locator('.state');
  await page.waitForFunction(() => document.querySelector('[data-testid="host-row"] .state-connected') !== null);
  assert.equal(await state.innerText(), 'connected');
  await shot(page, '42-hosts-connected');
});

test('the session at 1440 px: tables fit, the raw pane scrolls into view, placeholders look like placeholders, saving confirms', async () => {
  await page.goto(`${serve.url}${sessionUrl}`);
  await page.getByTestId('overview-view').waitFor();
  const table = page.getByTestId('artifact-table');
  await table.waitFor();
  const card = table.locator('xpath=..');
  const f = await fits(card);
  assert.ok(f.scrollWidth <= f.clientWidth, `artifact table ${f.scrollWidth} > ${f.clientWidth}`);
  // Tags: the placeholder is an example, drawn lighter than typed text.
  const tags = page.getByTestId('session-tags');
  const [placeholderColor, textColor] = await tags.evaluate((el) => [getComputedStyle(el, '::placeholder').color, getComputedStyle(el).color]);
  assert.notEqual(placeholderColor, textColor);
  assert.match((await tags.getAttribute('placeholder')) ?? '', /^e\.g\. /);
  await tags.fill('incident-42, oom');
  assert.equal(await page.getByTestId('session-saved').innerText(), 'Unsaved changes');
  await page.getByTestId('session-save-notes').click();
  await page.waitForFunction(() => /^Saved at /.test(document.querySelector('[data-testid="session-saved"]')?.textContent ?? ''));
  // The last artifact's raw text opens beside the table, scrolled into view.
  await page.getByTestId('artifact-row').last().scrollIntoViewIfNeeded();
  await page.getByTestId('artifact-row').last().click();
  await page.getByTestId('artifact-raw').waitFor();
  assert.ok(await inView(page.getByTestId('artifact-raw-pane')), 'the raw pane is in the window');
  await shot(page, '43-session-raw-in-view');
  await page.getByTestId('tab-memory').click();
  await page.getByTestId('memory-classes').waitFor();
  const m = await fits(page.getByTestId('memory-classes-scroll'));
  assert.ok(m.scrollWidth <= m.clientWidth, `memory class table ${m.scrollWidth} > ${m.clientWidth}`);
  await shot(page, '44-memory-classes-1440');
});

test('go tool trace: the compile step, a link, and its process stops when the session closes', async () => {
  await page.getByTestId('tab-trace').click();
  await page.getByTestId('trace-view').waitFor({ timeout: 60_000 });
  await page.getByTestId('go-tool-trace').click();
  const link = page.getByTestId('go-tool-trace-link');
  await link.waitFor({ timeout: 240_000 });
  assert.match(await page.getByTestId('go-tool-trace-step').innerText(), /^1\. go tool trace compiled \((already built|\d+\.\d s)\)\./);
  const url = (await link.getAttribute('href'))!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal((await fetch(url)).status, 200);
  await shot(page, '45-go-tool-trace-link');
  await page.getByTestId('nav-library').click();
  for (let i = 0; ; i++) {
    if (
      await fetch(url).then(
        () => false,
        () => true,
      )
    )
      break;
    assert.ok(i < 100, 'the viewer still answers 10 s after the session closed');
    await page.waitForTimeout(100);
  }
});

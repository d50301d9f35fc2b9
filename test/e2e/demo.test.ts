/**
 * The first-run demo in real Chromium: `gopherscope serve` on a fresh data folder, with no host
 * and no network; the empty Library offers the sample incident, one click imports and opens it,
 * and every session tab shows content from it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SESSION_TABS, type SessionTab } from '../../shared/analysis/views/index';
import { DEMO_GOMAXPROCS } from '../support/demoIncident';
import { launchChromium, shot, startServe, type ServeProcess } from './browser';

let dataDir: string;
let serve: ServeProcess;
let browser: Browser;
let page: Page;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-demo-'));
  serve = await startServe(dataDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What each tab must show for the demo session: one entry per session tab (the type demands it). */
const SHOWS: { readonly [K in SessionTab]: () => Promise<void> } = {
  overview: async () => {
    await page.locator('[data-testid="recommendation"][data-rule="gomaxprocs-above-quota"]').waitFor();
    await page.locator('[data-testid="recommendation"][data-rule="goroutine-leak"]').waitFor();
    assert.equal(await page.locator('[data-testid="setting"][data-name="GOMAXPROCS"]').getAttribute('data-value'), String(DEMO_GOMAXPROCS));
  },
  memory: async () => {
    await page.getByTestId('mapping-row').first().waitFor();
    assert.ok((await page.getByTestId('mapping-row').count()) >= 10);
    assert.ok((await page.getByTestId('memory-treemap').locator('.treemap-cell').count()) >= 3);
  },
  threads: async () => {
    await page.getByTestId('thread-group').first().waitFor();
    assert.ok((await page.getByTestId('thread-row').count()) >= 3);
  },
  goroutines: async () => {
    await page.getByTestId('goroutine-group').first().waitFor();
    assert.ok(Number(await page.getByTestId('goroutine-total').innerText()) > 5000);
  },
  profiles: async () => {
    await page.getByTestId('flame-graph').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="profile-top"]')?.textContent ?? '').length > 20);
  },
  trace: async () => {
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="trace-timeline"]')?.getAttribute('data-drawn') ?? 0) > 0);
    assert.ok(Number((await page.getByTestId('trace-events').innerText()).replace(/,/g, '')) > 100);
  },
};

test('the empty Library offers the sample incident, and one click opens it on the Overview', async () => {
  await page.goto(`${serve.url}#/sessions`);
  await page.getByTestId('library-empty').waitFor();
  assert.equal(await page.getByTestId('session-row').count(), 0);
  await shot(page, '40-demo-empty-library');
  await page.getByTestId('open-demo').click();
  await page.getByTestId('overview-view').waitFor();
  assert.match(page.url(), /#\/sessions\/[A-Za-z0-9-]+$/);
  await SHOWS.overview();
  await shot(page, '41-demo-overview');
});

test('every tab of the demo session shows content', async () => {
  for (const [id] of SESSION_TABS) {
    await page.getByTestId(`tab-${id}`).click();
    await page.getByTestId(`${id}-view`).waitFor();
    await SHOWS[id]();
    await shot(page, `42-demo-${id}`);
  }
});

test('back in the Library the demo is one session, tagged demo, and the offer is gone', async () => {
  await page.getByTestId('nav-library').click();
  await page.getByTestId('session-row').first().waitFor();
  assert.equal(await page.getByTestId('session-row').count(), 1);
  assert.match(await page.getByTestId('session-row').innerText(), /\bdemo\b/);
  assert.equal(await page.getByTestId('open-demo').count(), 0);
  await shot(page, '43-demo-library');
});

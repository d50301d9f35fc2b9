/**
 * Compare in real Chromium: two captures of lab services (before: a
 * GODEBUG key that does nothing and 40 idle goroutines; after: no GODEBUG
 * and 200 goroutines), picked in the library, compared offline: the
 * resolved recommendation, the goroutine delta and the differential flame
 * graph of the CPU profiles both sessions have.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createLab, type Lab } from '../lab/lab';
import { captureLabSession } from '../lab/labCapture';
import { launchChromium, shot, startServe, type ServeProcess } from './browser';

let lab: Lab | null;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let sessions: { before: string; after: string };

before(async () => {
  lab = await createLab();
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-compare-'));
  const a = await lab.startGoService({ env: { GODEBUG: 'loadstall=1' }, args: ['-goroutines', '40'] });
  const first = await captureLabSession(lab, dataDir, { pid: a.pid, stacks: true, stackTools: ['eu-stack'], cpuProfileSeconds: 1 });
  await a.stop();
  const b = await lab.startGoService({ args: ['-goroutines', '200'] });
  const second = await captureLabSession(lab, dataDir, { pid: b.pid, stacks: true, stackTools: ['eu-stack'], cpuProfileSeconds: 1 });
  sessions = { before: first.sessionId, after: second.sessionId };
  await lab.cleanup();
  lab = null;
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: first.knownHosts });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  await lab?.cleanup();
});

test('pick two sessions in the library and compare them: resolved advice, goroutine deltas, a differential flame graph', async () => {
  await page.goto(`${serve.url}#/sessions`);
  await page.getByTestId('session-row').nth(1).waitFor();
  assert.equal(await page.getByTestId('compare-sessions').isDisabled(), true);
  await page.getByTestId('session-pick').nth(0).check();
  await page.getByTestId('session-pick').nth(1).check();
  await page.getByTestId('compare-sessions').click();
  await page.getByTestId('compare-view').waitFor();
  await page.locator('[data-testid="rec-resolved"][data-rule="godebug-no-op"]').waitFor();
  const g = page.locator('[data-testid="compare-metric"][data-name="goroutines"]');
  const [b, a] = [Number(await g.getAttribute('data-before')), Number(await g.getAttribute('data-after'))];
  assert.ok(b >= 40 && a >= 200 && a - b >= 150, `goroutines ${b} → ${a}`);
  const rows = page.getByTestId('goroutine-deltas').getByTestId('group-delta');
  assert.ok((await rows.count()) >= 1);
  const flame = page.getByTestId('diff-flame').first();
  const box = (await flame.boundingBox())!;
  assert.ok(box.height >= 18);
  // hover() scrolls the canvas into view and waits for it to stop moving: a raw mouse move at a box measured
  // while the page still lays out (or below the fold) reaches nothing.
  const hovered = () => page.waitForFunction(() => /^all: .+ → /.test(document.querySelector('[data-testid="diff-flame-hover"]')?.textContent ?? ''), undefined, { timeout: 5000 });
  let hoverShown = false;
  for (let i = 0; i < 3 && !hoverShown; i++) {
    await flame.hover({ position: { x: 10 + i, y: 5 } });
    hoverShown = await hovered().then(
      () => true,
      () => false,
    );
  }
  assert.ok(hoverShown, 'hovering the root of the differential flame graph names it with before → after');
  await shot(page, '26-compare');
  // Compare shows each session's settings as its Overview does: the same GOMAXPROCS, the same source.
  const setting = page.locator('[data-testid="compare-setting"][data-name="GOMAXPROCS"]');
  const shown = { before: await setting.getAttribute('data-before'), after: await setting.getAttribute('data-after') };
  const cells = await setting.locator('td').allInnerTexts();
  for (const side of ['before', 'after'] as const) {
    await page.goto(`${serve.url}#/sessions/${sessions[side]}`);
    await page.getByTestId('overview-view').waitFor();
    const row = page.locator('[data-testid="setting"][data-name="GOMAXPROCS"]');
    assert.equal(await row.getAttribute('data-value'), shown[side], `${side}: Compare and the Overview agree`);
    assert.equal(cells[side === 'before' ? 1 : 2], `${await page.getByTestId('cpu-GOMAXPROCS').innerText()}`, `${side}: the same source`);
  }
});

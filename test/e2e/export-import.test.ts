/**
 * Export and import in the app, in real Chromium against browser mode: a capture of a lab service
 * with a secret in its environment is exported from the Library (the redaction record shown first,
 * then a download), imported into a fresh library through the page's file chooser (an upload) and
 * opened there, with the same artifacts, byte for byte, and the same redaction record. A file that
 * is not a bundle gets a clear error and imports nothing; a bundle dropped onto the window imports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import type { SessionDetail } from '../../shared/contract/api';
import { createLab, type Lab } from '../lab/lab';
import { captureLabSession } from '../lab/labCapture';
import { launchChromium, shot, startServe, type ServeProcess } from './browser';

const PLANTED = 'xoxb-planted-e2e-export-secret';
let lab: Lab | null;
let dir: string;
let sourceDir: string;
let freshDir: string;
let source: ServeProcess;
let fresh: ServeProcess;
let browser: Browser;
let page: Page;
let sessionId: string;
let downloaded: string;

before(async () => {
  lab = await createLab();
  dir = mkdtempSync(join(tmpdir(), 'gs-e2e-export-'));
  sourceDir = join(dir, 'source');
  freshDir = join(dir, 'fresh');
  mkdirSync(sourceDir);
  const target = await lab.startGoService({ args: ['-goroutines', '40'], env: { SLACK_TOKEN: PLANTED } });
  const captured = await captureLabSession(lab, sourceDir, { pid: target.pid, stacks: false });
  sessionId = captured.sessionId;
  await lab.cleanup();
  lab = null;
  [source, fresh] = await Promise.all([startServe(sourceDir), startServe(freshDir)]);
  browser = await launchChromium();
  page = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } })).newPage();
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await Promise.all([source?.stop(), fresh?.stop()]);
  await lab?.cleanup();
});

/** The session as its library holds it, read with the backend closed again (the serve process has its own). */
async function stored(dataDir: string, id: string): Promise<SessionDetail> {
  const b = await createBackend({ dataDir, userKnownHostsFile: join(dir, 'none'), agentSocket: '' });
  try {
    return await inProcessApi(b).call('sessions.open', { sessionId: id });
  } finally {
    await b.close();
  }
}

test('Export from the Library shows the redaction record first, then downloads the bundle', async () => {
  await page.goto(`${source.url}#/sessions`);
  await page.getByTestId('session-row').first().waitFor();
  assert.equal(await page.getByTestId('export-open').isDisabled(), true, 'nothing ticked, nothing to export');
  await page.getByTestId('session-pick').first().check();
  await page.getByTestId('export-open').click();
  const dialog = page.getByTestId('export-dialog');
  await dialog.getByTestId('redaction-row').first().waitFor();
  const rows = await dialog.getByTestId('redaction-row').allInnerTexts();
  assert.ok(
    rows.some((r) => /proc\/environ\s+SLACK_TOKEN\s+\S+/.test(r)),
    rows.join('\n'),
  );
  assert.match(await dialog.getByTestId('redaction-summary').innerText(), /masked before storage/);
  assert.equal((await dialog.innerText()).includes(PLANTED), false);
  await shot(page, '20-export-redaction-record');
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('export-confirm').click()]);
  assert.equal(download.suggestedFilename(), `gopherscope-${sessionId}.tar.gz`);
  downloaded = join(dir, download.suggestedFilename());
  await download.saveAs(downloaded);
  assert.equal(await download.failure(), null);
  await dialog.getByTestId('export-done').waitFor();
  await shot(page, '20-export-downloaded');
  await dialog.getByTestId('export-close').click();
  const bytes = readFileSync(downloaded);
  assert.ok(bytes.length > 1000 && bytes[0] === 0x1f && bytes[1] === 0x8b, 'a gzip file');
  assert.equal(bytes.includes(PLANTED), false);
});

test('the session view has Export too, with the same record', async () => {
  await page.goto(`${source.url}#/sessions/${sessionId}`);
  await page.getByTestId('export-open').click();
  await page.getByTestId('export-dialog').getByTestId('redaction-row').first().waitFor();
  const inLibrary = (await stored(sourceDir, sessionId)).redactions.length;
  assert.equal(await page.getByTestId('export-dialog').getByTestId('redaction-row').count(), inLibrary);
  await shot(page, '20-export-session-view');
  await page.getByTestId('export-close').click();
});

test('a file that is not a bundle is refused with a clear error and imports nothing', async () => {
  await page.goto(`${fresh.url}#/sessions`);
  await page.getByRole('table').waitFor();
  const junk = join(dir, 'notes.tar.gz');
  writeFileSync(junk, 'these are my notes, not a bundle\n');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('import-open').click()]);
  await chooser.setFiles(junk);
  const banner = page.getByTestId('error-banner');
  await banner.waitFor();
  assert.match(await banner.innerText(), /notes\.tar\.gz: Not a valid Gopherscope bundle: it is not gzip-compressed/);
  assert.match(await banner.innerText(), /Nothing was imported/);
  await shot(page, '20-import-bad-file');
  await banner.getByRole('button', { name: 'Dismiss' }).click();
  assert.equal(await page.getByTestId('session-row').count(), 0);
});

test('Import in a fresh library uploads the bundle and opens the session, with the same artifacts and redaction record', async () => {
  await page.goto(`${fresh.url}#/sessions`);
  await page.getByRole('table').waitFor();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('import-open').click()]);
  await chooser.setFiles(downloaded);
  await page.waitForURL(new RegExp(`#/sessions/${sessionId}$`));
  await page.getByTestId('overview-view').waitFor();
  const original = await stored(sourceDir, sessionId);
  await page
    .getByTestId('artifact-row')
    .nth(original.artifacts.length - 1)
    .waitFor();
  assert.equal(await page.getByTestId('artifact-row').count(), original.artifacts.length);
  await shot(page, '20-import-opened');
  const copy = await stored(freshDir, sessionId);
  const shape = (s: SessionDetail) =>
    s.artifacts.map((a) => ({ name: a.name, status: a.status, reason: a.reason, sizeBytes: a.sizeBytes, sha256: a.sha256 })).sort((a, b) => a.name.localeCompare(b.name));
  assert.ok(original.artifacts.filter((a) => a.sha256).length > 10);
  assert.deepEqual(shape(copy), shape(original));
  assert.deepEqual(copy.redactions, original.redactions);
  assert.ok(copy.redactions.some((r) => r.key === 'SLACK_TOKEN'));
  assert.deepEqual([copy.processName, copy.pid, copy.hostLabel, copy.status], [original.processName, original.pid, original.hostLabel, original.status]);
  // The redaction record the fresh library shows before its own export is the original one.
  await page.getByTestId('export-open').click();
  await page.getByTestId('export-dialog').getByTestId('redaction-row').first().waitFor();
  assert.equal(await page.getByTestId('export-dialog').getByTestId('redaction-row').count(), original.redactions.length);
  await page.getByTestId('export-close').click();
});

test('a bundle dropped onto the window is imported (an upload in browser mode) and its session opens', async () => {
  await page.goto(`${fresh.url}#/sessions`);
  await page.getByTestId('session-row').first().waitFor();
  const base64 = readFileSync(downloaded).toString('base64');
  // What a drop from the file manager delivers: a DataTransfer holding the file.
  await page.evaluate(
    ({ base64, name }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: 'application/gzip' }));
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, cancelable: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: data, cancelable: true }));
    },
    { base64, name: 'dropped.tar.gz' },
  );
  await page.waitForURL(new RegExp(`#/sessions/${sessionId}$`));
  await page.getByTestId('overview-view').waitFor();
  await page.getByTestId('nav-library').click();
  await page.getByTestId('session-row').first().waitFor();
  assert.equal(await page.getByTestId('session-row').count(), 1, 'the same session, not a second copy');
});

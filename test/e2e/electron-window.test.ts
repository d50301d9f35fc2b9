/**
 * The Chromium end-to-end flows again, in the desktop app's real window (Electron through
 * playwright-core), so the main process, the app:// protocol, the preload bridge and the IPC
 * transport are what a user runs: connect to the lab's sshd, capture a Go target in a real
 * cgroup, browse the session with the SSH server gone, export it, and import it into a second
 * app with an empty library. There is no export/import UI yet, so those two go through the
 * window's own `window.gopherscope` bridge, i.e. real IPC from the page.
 *
 * Without the Electron binary or a display the tests skip with the reason (test/e2e/desktop.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Reply } from '../../shared/contract/errors';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/contract/api';
import { createLab, type Lab } from '../lab/lab';
import { addHostViaUi, shot } from './browser';
import { desktopSkipReason, launchDesktop, type Desktop } from './desktop';

const skip = desktopSkipReason() ?? false;

let lab: Lab;
let desktop: Desktop | undefined;
let target: Awaited<ReturnType<Lab['startGoService']>>;

before(async () => {
  if (skip) return;
  lab = await createLab();
  target = await lab.startGoService({ memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, args: ['-goroutines', '20'] });
});

after(async () => {
  await desktop?.close().catch(() => undefined);
  await lab?.cleanup();
});

/** A contract call from the page through the preload bridge and IPC, as the renderer's transport makes it. */
async function call<M extends MethodName>(page: Page, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const reply = (await page.evaluate(([m, i]) => (window as unknown as { gopherscope: Record<string, (input: unknown) => Promise<unknown>> }).gopherscope[m as string]!(i), [
    method,
    input,
  ] as const)) as Reply<MethodOutput<M>>;
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

async function openSessionRss(page: Page): Promise<number> {
  await page.getByTestId('nav-library').click();
  await page.getByTestId('session-row').first().click();
  const rss = page.getByTestId('memory-rss');
  await rss.waitFor();
  return Number(await rss.getAttribute('data-kib'));
}

test('the desktop window is the app:// page with no Node, only the bridge, and no way out', { skip, timeout: 120_000 }, async () => {
  desktop = await launchDesktop();
  const page = desktop.window;
  await page.getByTestId('add-host-form').waitFor();
  const seen = await page.evaluate(() => ({
    page: `${location.origin}${location.pathname}`,
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    bridge: typeof (window as unknown as { gopherscope?: unknown }).gopherscope,
  }));
  assert.deepEqual(seen, { page: 'app://gopherscope/index.html', require: 'undefined', process: 'undefined', bridge: 'object' });
  // Navigation away and new windows are refused by the main process (will-navigate, the window-open
  // handler): a server on loopback that would answer at once sees no request, and the page stays.
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('escaped');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const away = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const start = page.url();
    assert.equal(await page.evaluate((u) => window.open(`${u}window`) === null, away), true);
    await page.evaluate((u) => {
      location.href = `${u}navigate`;
    }, away);
    // A bound for a negative: if either were allowed, the request would come within it even on a loaded machine.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(hits, []);
    assert.equal(page.url(), start);
    assert.equal(desktop.app.windows().length, 1);
  } finally {
    server.close();
  }
  await shot(page, 'desktop-01-hosts');
});

test('desktop window: connect, capture, browse offline, export, import', { skip, timeout: 300_000 }, async () => {
  desktop ??= await launchDesktop();
  const page = desktop.window;

  // Connect: the Hosts form, the host key shown for trust, the process list with the Go target marked.
  await addHostViaUi(page, { label: 'lab', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
  await page.locator('[data-testid="host-row"]', { hasText: 'lab' }).getByTestId('host-connect').click();
  await page.getByTestId('trust-dialog').waitFor();
  assert.ok((await page.getByTestId('trust-fingerprint').innerText()).includes(lab.sshd.hostKeyFingerprint));
  await page.getByTestId('trust-accept').click();
  const row = page.locator(`[data-testid="process-row"][data-pid="${target.pid}"]`);
  // The list is one SSH round trip plus a look at every executable, bounded by the backend's own 30 s
  // timeout; on a loaded host it takes most of that, so the page waits past the backend's bound.
  await row.waitFor({ timeout: 45_000 });
  assert.equal(await row.getAttribute('data-go'), 'true');
  await shot(page, 'desktop-02-processes');

  // Capture.
  await row.getByTestId('capture-button').click();
  await page.getByTestId('capture-dialog').waitFor();
  await page.getByTestId('capture-start').click();
  await page.getByTestId('capture-done').waitFor({ timeout: 60_000 });
  await shot(page, 'desktop-03-capture-done');

  // Browse offline: the SSH server is gone, the window reloads, the session comes from the local store.
  await lab.sshd.stop();
  await page.reload();
  const rssKiB = await openSessionRss(page);
  assert.ok(rssKiB > 1000, `RSS ${rssKiB} KiB`);
  assert.ok((await page.getByTestId('cgroup-path').innerText()).includes(target.cgroup.relativePath));
  await shot(page, 'desktop-04-offline-session');

  // Export through the window's bridge (real IPC).
  const [session] = await call(page, 'sessions.list', {});
  assert.ok(session, 'the library lists the captured session');
  const bundle = join(mkdtempSync(join(tmpdir(), 'gs-desktop-export-')), 'session.tar.gz');
  const exported = await call(page, 'sessions.export', { sessionId: session.id, path: bundle });
  assert.equal(exported.path, bundle);
  assert.ok(existsSync(bundle) && statSync(bundle).size === exported.bytes, `bundle of ${exported.bytes} bytes`);
  assert.equal(exported.artifacts, session.artifactCount);
  await desktop.close();
  desktop = undefined;

  // Import into a second app with an empty library: the same session, the same RSS on screen.
  desktop = await launchDesktop();
  const second = desktop.window;
  assert.deepEqual(await call(second, 'sessions.list', {}), []);
  const imported = await call(second, 'sessions.import', { path: bundle });
  assert.equal(imported.alreadyPresent, false);
  await second.reload();
  assert.equal(await openSessionRss(second), rssKiB);
  const [again] = await call(second, 'sessions.list', {});
  assert.equal(again?.id, imported.sessionId);
  assert.equal(again?.artifactCount, session.artifactCount);
  await shot(second, 'desktop-05-imported-session');
});

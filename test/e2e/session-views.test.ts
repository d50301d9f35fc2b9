/**
 * The Memory, Threads, Goroutines and Profiles views in real Chromium on a
 * session captured from the lab (a Go target in a cgroup with limits), opened
 * offline through browser mode: the numbers shown come from the worker's
 * parse of the stored artifacts and agree with what the lab set.
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
import { SOURCE_LABEL, type SettingSource } from '../../shared/analysis/settings';

let lab: Lab | null;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let sessionId: string;
/** The target is in a cgroup2 cgroup of its own (v2, or a hybrid host), which keeps its pressure. */
let inCgroupV2 = false;

before(async () => {
  lab = await createLab();
  const target = await lab.startGoService({ memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, args: ['-goroutines', '40', '-threads', '4', '-heap', '16'] });
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-views-'));
  const captured = await captureLabSession(lab, dataDir, { pid: target.pid, stacks: true, stackTools: ['eu-stack'], cpuProfileSeconds: 1 });
  sessionId = captured.sessionId;
  inCgroupV2 = target.cgroup.paths.unified !== undefined;
  // Offline from here: the host and its sshd are gone before the UI opens the session.
  await lab.cleanup();
  lab = null;
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: captured.knownHosts });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  await lab?.cleanup();
});

test('Overview: health, ranked recommendations with evidence, the memory waterfall and the CPU picture', async () => {
  await page.goto(`${serve.url}#/sessions/${sessionId}`);
  await page.getByTestId('overview-view').waitFor();
  // 256 MiB limit, no GOMEMLIMIT in the environment and no runtime source in this session: the rule fires, worded
  // for what is known, with a computed value added to the environment.
  const card = page.locator('[data-testid="recommendation"][data-rule="gomemlimit-unset"]');
  await card.locator('.rec-head').click();
  assert.match(await card.getByTestId('recommendation-change').innerText(), /^add GOMEMLIMIT=\d+MiB/);
  assert.match(await card.locator('.rec-head').innerText(), /GOMEMLIMIT is not set \(process memory: no limit\) under a 256\.0 MiB container memory limit/);
  assert.ok((await card.getByTestId('evidence').count()) >= 3);
  // 2 Ps on this 2-CPU machine is what Go 1.25 chooses for a 0.5-CPU quota (max(2, ceil(quota))): no GOMAXPROCS advice.
  assert.equal(await page.locator('[data-rule="gomaxprocs-above-quota"]').count(), 0);
  // The settings table and the CPU picture show the same GOMAXPROCS with the same source.
  const procs = page.locator('[data-testid="setting"][data-name="GOMAXPROCS"]');
  const [value, source] = [await procs.getAttribute('data-value'), await procs.getAttribute('data-source')];
  assert.ok(value && source, 'GOMAXPROCS is known, with a source');
  assert.equal(await page.getByTestId('cpu-GOMAXPROCS').innerText(), `${value} (${SOURCE_LABEL[source as SettingSource]})`);
  // The target's go.mod says go 1.22, so its DefaultGODEBUG turns the updates off; without its build info that is not known, and never "yes".
  assert.doesNotMatch(await page.getByTestId('cpu-follows-quota-changes').innerText(), /^yes/);
  // The lab logs in as root: the runtime's own variables, read from process memory, say there is no limit.
  assert.equal(await page.locator('[data-testid="setting"][data-name="GOMEMLIMIT"]').getAttribute('data-source'), 'process-memory');
  assert.match(await page.locator('[data-testid="setting"][data-name="GOMEMLIMIT"]').getByTestId('setting-source').innerText(), /process memory/);
  assert.equal(await page.locator('[data-testid="waterfall-row"][data-key="cgroup-limit"]').getAttribute('data-bytes'), String(256 * 1024 * 1024));
  assert.ok(Number(await page.locator('[data-testid="waterfall-row"][data-key="go-heap"]').getAttribute('data-bytes')) >= 16 * 1024 * 1024, 'the 16 MiB retained heap is in HeapInuse');
  assert.match(await page.getByTestId('cpu-CPU-quota').innerText(), /^0\.50 CPUs/);
  // The Go classes against MemStats and the reserved address space are figures beside the waterfall.
  assert.match(
    (await page.locator('[data-testid="waterfall-row"][data-key="attribution-go-heap"]').innerText()).replace(/\s+/g, ' '),
    /Go heap arenas .* against HeapSys \+ StackInuse = .*within the tolerance/,
  );
  assert.ok(Number(await page.locator('[data-testid="waterfall-row"][data-key="reserved"]').getAttribute('data-bytes')) > 64 * 1024 * 1024);
  assert.match(await page.getByTestId('cpu-threads-by-state').innerText(), /\d+ idle M/, 'thread states from the eu-stack capture');
  await shot(page, '19-overview');
  // Evidence links to the view that shows it.
  await card.getByTestId('evidence-view').first().click();
  await page.getByTestId('memory-view').waitFor();
});

test('Memory: classes, address strip, treemap, a virtualized table and the cgroup limits, first paint measured', async () => {
  await page.goto(`${serve.url}#/sessions/${sessionId}`);
  await page.getByTestId('tab-memory').click();
  await page.getByTestId('memory-view').waitFor();
  assert.match(await page.getByTestId('memory-go-evidence').innerText(), /^Go process/);
  assert.ok((await page.getByTestId('memory-treemap').locator('.treemap-cell').count()) >= 3);
  assert.ok((await page.getByTestId('address-strip').locator('.strip-cell').count()) >= 5);
  assert.match(await page.getByTestId('memory-class-go-heap').innerText(), /Go heap arenas/);
  assert.match(await page.getByTestId('cgroup-memory-limit').innerText(), /^256\.0 MiB \(set by \/gopherscope-lab\//);
  assert.match(await page.getByTestId('cgroup-cpu-limit').innerText(), /^0\.50 CPUs/);
  if (inCgroupV2) {
    const cpuPressure = page.getByTestId('cgroup-cpu-pressure');
    assert.match(await cpuPressure.innerText(), /^some \d+\.\d% \/ \d+\.\d% \/ \d+\.\d%, full /);
    assert.match((await cpuPressure.getAttribute('title')) ?? '', /of cgroup \/gopherscope-lab\/gopherscope-lab-/);
  }
  assert.match(await page.getByTestId('memstats').innerText(), /HeapAlloc/);
  // Each Go class against what the runtime says it mapped, with the difference and the tolerance.
  for (const key of ['go-heap', 'go-metadata']) assert.equal(await page.getByTestId(`attribution-${key}`).getAttribute('data-within'), 'true', key);
  assert.match(await page.getByTestId('attribution-notes').innerText(), /Runtime totals from go\/heap-debug1\.txt .* within max\(8 MiB, 10%\)/);
  assert.match(await page.getByTestId('memory-class-go-heap').innerText(), /\d/);
  const rows = await page.getByTestId('mapping-row').count();
  assert.ok(rows >= 10);
  await page.getByTestId('mapping-filter').fill('vdso');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="mapping-row"]').length === 1);
  const paint = await page.evaluate(() => performance.getEntriesByName('gs-memory-open-to-paint').map((e) => e.duration));
  assert.equal(paint.length, 1);
  await page.getByTestId('mapping-filter').fill('');
  // Addresses are formatted per row on screen, and by the filter when it needs them.
  const firstAddress = (await page.getByTestId('mapping-row').first().locator('div').first().innerText()).trim();
  assert.match(firstAddress, /^[0-9a-f]{12,16}$/);
  const rowsOnScreen = await page.getByTestId('mapping-row').count();
  await page.getByTestId('mapping-filter').fill(firstAddress);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="mapping-row"]').length < n, rowsOnScreen);
  assert.equal((await page.getByTestId('mapping-row').first().locator('div').first().innerText()).trim(), firstAddress);
  await page.getByTestId('mapping-filter').fill('');
  await shot(page, '20-memory-view');
});

test('Threads: stack groups from eu-stack with per-thread counters', async () => {
  await page.getByTestId('tab-threads').click();
  await page.getByTestId('threads-view').waitFor();
  const groups = page.getByTestId('thread-group');
  await groups.first().waitFor();
  assert.ok((await page.getByTestId('thread-row').count()) >= 6, 'four locked threads plus the runtime ones');
  assert.ok(/idle M/.test(await page.getByTestId('threads-view').innerText()));
  await shot(page, '21-threads-view');
});

test('Goroutines: groups by state and stack, counts, search', async () => {
  await page.getByTestId('tab-goroutines').click();
  await page.getByTestId('goroutines-view').waitFor();
  const total = Number(await page.getByTestId('goroutine-total').innerText());
  assert.ok(total >= 44);
  await page.getByTestId('goroutine-search').fill('time.Sleep');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="goroutine-group"]').length === 1);
  await page.getByTestId('goroutine-group').first().locator('.group-head').click();
  assert.match(await page.getByTestId('goroutine-group').first().innerText(), /10×\s+sleep[\s\S]*created by main\.main in goroutine 1/);
  await page.getByTestId('goroutine-search').fill('');
  await shot(page, '22-goroutines-view');
});

test('Profiles: a flame graph on canvas and a top table for the CPU and heap profiles', async () => {
  await page.getByTestId('tab-profiles').click();
  await page.getByTestId('profiles-view').waitFor();
  await page.getByTestId('profile-choice').filter({ hasText: 'allocs' }).click();
  await page.getByTestId('flame-graph').waitFor();
  await page.getByTestId('profile-sample-type').selectOption({ label: 'inuse_space (bytes)' });
  await page.waitForFunction(() => /main\.main/.test(document.querySelector('[data-testid="profile-top"]')?.textContent ?? ''));
  const box = await page.getByTestId('flame-graph').boundingBox();
  assert.ok(box && box.height >= 18);
  await page.mouse.move(box.x + 20, box.y + 5);
  await page.waitForFunction(() => /^all:/.test(document.querySelector('[data-testid="flame-hover"]')?.textContent ?? ''));
  await shot(page, '23-profiles-view');
});

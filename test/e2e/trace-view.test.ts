/**
 * The Trace tab in real Chromium, on an execution trace captured from a busy
 * lab target and opened offline: the facts agree with the engine's summary of
 * the stored bytes, the timeline draws lanes per P and thread, zoom reaches
 * exact intervals read from single generations, a click shows a stack, and
 * "open with go tool trace" starts Go's own viewer on the same file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { summarizeTrace, type TraceSummary } from '../../shared/trace/summary';
import { createLab, type Lab } from '../lab/lab';
import { captureLabSession } from '../lab/labCapture';
import { launchChromium, shot, startServe, type ServeProcess } from './browser';

let lab: Lab | null;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let sessionId: string;
let summary: TraceSummary;

before(async () => {
  lab = await createLab();
  const target = await lab.startGoService({ args: ['-busy', '1', '-goroutines', '20'] });
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-trace-'));
  const captured = await captureLabSession(lab, dataDir, { pid: target.pid, stacks: false, traceSeconds: 1.5 });
  sessionId = captured.sessionId;
  await lab.cleanup();
  lab = null;
  // What the engine says about the stored bytes, read through the same contract.
  const backend = await createBackend({ dataDir, userKnownHostsFile: captured.knownHosts, agentSocket: '' });
  try {
    const api = inProcessApi(backend);
    const s = await api.call('sessions.open', { sessionId });
    const a = s.artifacts.find((x) => x.name === 'go/trace' && x.sha256);
    assert.ok(a, `the capture stored a trace: ${JSON.stringify(s.artifacts.filter((x) => x.name === 'go/trace'))}`);
    const r = await api.call('artifacts.read', { artifactId: a.id, maxBytes: 64 * 1024 * 1024, encoding: 'base64' });
    assert.equal(r.truncated, false);
    const sum = summarizeTrace([new Uint8Array(Buffer.from(r.text, 'base64'))]);
    assert.ok(sum.ok);
    summary = sum.summary;
  } finally {
    await backend.close();
  }
  // BROWSER=true: go tool trace "opens a browser" by running true, as a desktop would run one.
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: captured.knownHosts, BROWSER: 'true' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  await lab?.cleanup();
});

const drawn = () => page.getByTestId('trace-timeline').getAttribute('data-drawn').then(Number);

test('Trace: the facts are the engine summary of the stored trace, and the timeline draws every P', async () => {
  await page.goto(`${serve.url}#/sessions/${sessionId}`);
  await page.getByTestId('tab-trace').click();
  await page.getByTestId('trace-view').waitFor();
  assert.equal(await page.getByTestId('trace-events').innerText(), summary.events.toLocaleString('en-US'));
  assert.equal(Number(await page.getByTestId('trace-gc-count').innerText()), summary.gc.cycles.length);
  assert.ok(summary.gc.cycles.length > 0, 'the busy target collects garbage');
  // GOMAXPROCS as the session's settings have it (here the trace is the strongest source), and the trace's own beside it;
  // the Overview's CPU picture shows the same value with the same source.
  const last = summary.gomaxprocs.changes.at(-1)?.value ?? summary.gomaxprocs.initial;
  await page.waitForFunction(() => /\(/.test(document.querySelector('[data-testid="trace-gomaxprocs"]')?.textContent ?? ''));
  assert.match(await page.getByTestId('trace-gomaxprocs').innerText(), new RegExp(`^${last} \\(execution trace\\); trace: ${last} at its end`));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="trace-timeline"]')?.getAttribute('data-drawn') ?? 0) > 0);
  const box = (await page.getByTestId('trace-timeline').boundingBox())!;
  // Rows: axis 22, GC 16+2, STW 16+2, goroutines 56+2, heap 56+2, then 20+2 per lane.
  const lanes = Math.round((box.height - 4 - 22 - 18 - 18 - 58 - 58) / 22);
  assert.ok(lanes >= summary.procs.length + 1, `a lane per P (${summary.procs.length}) and per thread: ${lanes} lanes`);
  // Hover over the first P lane: a small trace is read in full, so exact intervals are there.
  await page.waitForFunction(() => /Exact intervals/.test(document.querySelector('[data-testid="trace-detail-note"]')?.textContent ?? ''));
  await page.mouse.move(box.x + 400, box.y + 22 + 18 + 18 + 58 + 58 + 10);
  await page.waitForFunction(() => /^P\d+/.test(document.querySelector('[data-testid="trace-hover"]')?.textContent ?? ''));
  const marks = await page.evaluate(() => performance.getEntriesByName('gs-trace-draw').map((e) => e.duration));
  assert.ok(marks.length > 0 && Math.max(...marks) < 500, `frames draw quickly: ${marks.map((m) => m.toFixed(1)).join(', ')} ms`);
  await shot(page, '24-trace-view');
  await page.getByTestId('tab-overview').click();
  await page.getByTestId('overview-view').waitFor();
  assert.equal(await page.getByTestId('cpu-GOMAXPROCS').innerText(), `${last} (execution trace)`, 'the Overview shows the value the Trace header shows');
  // Back to the Trace tab, where the next tests work.
  await page.getByTestId('tab-trace').click();
  await page.getByTestId('trace-view').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="trace-timeline"]')?.getAttribute('data-drawn') ?? 0) > 0);
});

test('Trace: zoom, hover a GC pause, and click a goroutine interval for its stack', async () => {
  const canvas = page.getByTestId('trace-timeline');
  const box = (await canvas.boundingBox())!;
  const before = await page.getByTestId('trace-window').innerText();
  // Zoom in around the middle with the wheel, several notches.
  await page.mouse.move(box.x + box.width / 2, box.y + 200);
  for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -300);
  await page.waitForFunction((b) => document.querySelector('[data-testid="trace-window"]')?.textContent !== b, before);
  const span = await page.getByTestId('trace-window').innerText();
  assert.notEqual(span, before);
  // The GC row: hover each x until a cycle is under the pointer.
  await page.getByTestId('trace-zoom-reset').click();
  let gcText = '';
  let gcX = 0;
  for (let x = 100; x < box.width && !gcText; x += 3) {
    await page.mouse.move(box.x + x, box.y + 22 + 8);
    const t = await page.getByTestId('trace-hover').innerText();
    if (/^GC cycle \d+/.test(t)) [gcText, gcX] = [t, x];
  }
  assert.match(gcText, /GC cycle \d+: .*mark termination/);
  // A click on a GC cycle zooms to it: a few milliseconds, where each P lane shows its goroutines.
  await page.mouse.click(box.x + gcX, box.y + 22 + 8);
  await page.waitForFunction(() => /\((\d+(\.\d+)?) (ms|µs) shown\)/.test(document.querySelector('[data-testid="trace-window"]')?.textContent ?? ''));
  // Click along the P lanes until an interval of the target's own code is picked (inside a GC
  // cycle many intervals are GC workers, whose stacks are the runtime's).
  let stack = '';
  for (let lane = 0; lane < 2 && !/main\.\w+/.test(stack); lane++) {
    const laneY = box.y + 22 + 18 + 18 + 58 + 58 + 10 + lane * 22;
    for (let x = 100; x < box.width; x += 5) {
      await page.mouse.click(box.x + x, laneY);
      stack = (await page.getByTestId('trace-stack').count()) ? await page.getByTestId('trace-stack').innerText() : '';
      if (/main\.\w+/.test(stack)) break;
    }
  }
  assert.match(stack, /main\.\w+/, 'a stack from the target program');
  assert.match(stack, /^[\w./()*-]+\n    \S+:\d+/, 'frames as function, then file:line');
  assert.match(await page.getByTestId('trace-selection').innerText(), /^G\d+ on P\d+: ran .* then /);
  // The panel opens below the timeline and is scrolled into the window.
  const panel = await page.getByTestId('trace-selection').evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, height: window.innerHeight };
  });
  assert.ok(panel.top >= 0 && panel.bottom <= panel.height + 1, `the stack panel is in the window: ${JSON.stringify(panel)}`);
  const frames = await drawn();
  assert.ok(frames > 1);
  await shot(page, '25-trace-stack');
});

test("Trace: open with go tool trace starts Go's viewer on the stored file", async () => {
  await page.getByTestId('go-tool-trace').click();
  // Browser mode: a link to Go's viewer (the desktop app opens it instead).
  const url = (await page.getByTestId('go-tool-trace-link').getAttribute('href', { timeout: 240_000 }))!.trim();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /View trace/i, "Go's viewer serves its index for our trace");
});

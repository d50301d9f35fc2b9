/**
 * The Trace tab on a trace of about 200 MB, side by side with go tool trace
 * on the same stored file. A busy lab target is captured with a trace
 * through the real backend, then the session is opened offline:
 *
 * - go tool trace (the machine's Go, its tool binary run directly under GNU
 *   time): time until its viewer listens, and its peak RSS;
 * - Gopherscope in Chromium through browser mode: time from clicking the
 *   Trace tab to the drawn timeline (the trace streamed over the contract
 *   into the worker, summarized, levels of detail built), long tasks on the
 *   UI thread meanwhile, then frame times while zooming and panning across
 *   the whole trace (levels of detail) and inside one generation (exact
 *   intervals), and how long the detail of a zoomed window takes to arrive.
 *
 *   npm run build && node --import tsx bench/trace-timeline.ts [seconds]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../electron/core/backend';
import { inProcessApi } from '../electron/core/inProcess';
import { launchChromium, startServe } from '../test/e2e/browser';
import { goBinary } from '../test/lab/targets';
import { createLab } from '../test/lab/lab';
import { captureLabSession } from '../test/lab/labCapture';

const seconds = Number(process.argv[2] ?? 22);
const dataDir = mkdtempSync(join(tmpdir(), 'gs-bench-timeline-'));
const lab = await createLab();
let sessionId: string;
let kh: string;
try {
  const t = await lab.startGoService({ args: ['-busy', '4', '-goroutines', '200'] });
  ({ sessionId, knownHosts: kh } = await captureLabSession(lab, dataDir, { pid: t.pid, stacks: false, traceSeconds: seconds, traceCapBytes: 1024 * 1024 * 1024 }));
} finally {
  await lab.cleanup();
}

// The stored file, for the peer.
const backend = await createBackend({ dataDir, userKnownHostsFile: kh!, agentSocket: '' });
const api = inProcessApi(backend);
const artifact = (await api.call('sessions.open', { sessionId: sessionId! })).artifacts.find((a) => a.name === 'go/trace' && a.sha256);
if (!artifact) throw new Error('the capture stored no trace');
const file = join(dataDir, 'blobs', artifact.sha256!.slice(0, 2), artifact.sha256!.slice(2));
await backend.close();
const mib = statSync(file).size / 1024 / 1024;

/** go tool trace's own binary (go tool -n prints it), under GNU time, until it listens. */
async function goToolTrace(): Promise<{ ms: number; peakMiB: number }> {
  const go = goBinary();
  const tool = execFileSync(go, ['tool', '-n', 'trace'], { encoding: 'utf8', cwd: tmpdir() }).trim();
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', 'PEAK %M', tool, '-http=127.0.0.1:0', file], { env: { ...process.env, BROWSER: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let ms = NaN;
  child.stderr.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: string) => {
      err += d;
      if (Number.isNaN(ms) && /Trace viewer is listening/.test(err)) {
        ms = performance.now() - t0;
        // Killing the tool makes time print its peak RSS.
        execFileSync('pkill', ['-TERM', '-P', String(child.pid)]);
      }
    });
    child.on('exit', () => (Number.isNaN(ms) ? reject(new Error(`go tool trace failed: ${err.slice(-500)}`)) : resolve()));
  });
  return { ms, peakMiB: Number(/PEAK (\d+)/.exec(err)?.[1] ?? NaN) / 1024 };
}
// Go's viewer holds the whole parsed trace: on a small machine it can be killed for memory.
const peer = await goToolTrace().catch((err: Error) => ({ ms: NaN, peakMiB: NaN, error: err.message }));

const serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: kh! });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(600_000);
  await page.goto(`${serve.url}#/sessions/${sessionId!}`);
  await page.getByTestId('tab-overview').waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask' });
  });
  const t0 = Date.now();
  await page.getByTestId('tab-trace').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="trace-timeline"]')?.getAttribute('data-drawn') ?? 0) > 0);
  const openMs = Date.now() - t0;
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const events = await page.getByTestId('trace-events').innerText();

  const canvas = page.getByTestId('trace-timeline');
  const box = (await canvas.boundingBox())!;
  const frames = async (): Promise<number[]> => page.evaluate(() => performance.getEntriesByName('gs-trace-draw').map((e) => e.duration));
  const interact = async () => {
    await page.evaluate(() => performance.clearMeasures('gs-trace-draw'));
    await page.mouse.move(box.x + box.width / 2, box.y + 200);
    for (let i = 0; i < 10; i++) {
      await page.mouse.wheel(0, -120);
      await page.waitForTimeout(20);
    }
    for (let i = 0; i < 10; i++) {
      await page.mouse.wheel(0, 120);
      await page.waitForTimeout(20);
    }
    await page.mouse.down();
    for (let i = 0; i < 20; i++) await page.mouse.move(box.x + box.width / 2 - i * 15, box.y + 200, { steps: 1 });
    await page.mouse.up();
    await page.waitForTimeout(100);
    return frames();
  };
  const stats = (d: number[]) => {
    const s = [...d].sort((a, b) => a - b);
    return `${s.length} frames, p50 ${s[Math.floor(s.length / 2)]?.toFixed(1)} ms, max ${s.at(-1)?.toFixed(1)} ms`;
  };
  const whole = await interact();
  // Zoom to a few milliseconds by clicking a GC cycle, then wait for the window's detail.
  const tDetail = Date.now();
  await page.mouse.click(box.x + 400, box.y + 22 + 8);
  let zoomed = false;
  for (let x = 110; x < box.width && !zoomed; x += 4) {
    await page.mouse.click(box.x + x, box.y + 22 + 8);
    zoomed = /\((\d+(\.\d+)?) (ms|µs) shown\)/.test(await page.getByTestId('trace-window').innerText());
  }
  await page.waitForFunction(() => /Exact intervals/.test(document.querySelector('[data-testid="trace-detail-note"]')?.textContent ?? ''));
  const detailMs = Date.now() - tDetail;
  const inside = await interact();

  console.log(`Trace timeline on a ${mib.toFixed(0)} MiB trace (${events} events), Chromium ${browser.version()}, 2 noisy cores, one run:`);
  const goVersion = execFileSync(goBinary(), ['version'], { encoding: 'utf8' }).split(' ')[2];
  if ('error' in peer) console.log(`  go tool trace ${goVersion}: failed (${peer.error.slice(0, 200)})`);
  else console.log(`  go tool trace ${goVersion}: ready to view after ${(peer.ms / 1000).toFixed(1)} s, peak RSS ${peer.peakMiB.toFixed(0)} MiB (${(peer.peakMiB / mib).toFixed(1)}x the file)`);
  console.log(
    `  gopherscope: Trace tab to drawn timeline ${(openMs / 1000).toFixed(1)} s (streamed over the contract, summarized, levels of detail built in the worker); ratio ${(openMs / peer.ms).toFixed(2)}x go tool trace`,
  );
  console.log(`    UI-thread long tasks while loading: ${longTasks.length} (max ${Math.round(Math.max(0, ...longTasks))} ms)`);
  console.log(`    zoom and pan over the whole trace (levels of detail): ${stats(whole)}`);
  console.log(`    detail of a zoomed window (its generations re-read): ${(detailMs / 1000).toFixed(1)} s`);
  console.log(`    zoom and pan inside it (exact intervals): ${stats(inside)}`);
} finally {
  await browser.close();
  await serve.stop();
}

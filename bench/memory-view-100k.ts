/**
 * A session of a real process with 100,000 mappings, opened offline in
 * Chromium through browser mode: time from clicking the Memory tab to the
 * view's first paint, read from the renderer's own performance measure
 * (gs-memory-open-to-paint: artifact reads, worker parse and classify,
 * React commit, next frame). Goal: under one second.
 *
 *   npm run build && node --import tsx bench/memory-view-100k.ts [mappings]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../test/lab/lab';
import { captureLabSession } from '../test/lab/labCapture';
import { launchChromium, startServe } from '../test/e2e/browser';

const n = Number(process.argv[2] ?? 100_000);
const maxMapCount = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
if (maxMapCount < n + 1000) writeFileSync('/proc/sys/vm/max_map_count', String(n + 10_000));
const dataDir = mkdtempSync(join(tmpdir(), 'gs-bench-view-'));
const lab = await createLab();
let sessionId: string;
let kh: string;
try {
  const t = await lab.startGoService({ args: ['-goroutines', '10', '-mappings', String(n)] });
  ({ sessionId, knownHosts: kh } = await captureLabSession(lab, dataDir, { pid: t.pid, stacks: false }));
} finally {
  await lab.cleanup();
  if (maxMapCount < n + 1000) writeFileSync('/proc/sys/vm/max_map_count', String(maxMapCount));
}
const serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: kh! });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(300_000);
  await page.goto(`${serve.url}#/sessions/${sessionId!}`);
  await page.getByTestId('tab-overview').waitFor();
  await page.getByTestId('tab-memory').click();
  await page.getByTestId('memory-view').waitFor();
  await page.waitForFunction(() => performance.getEntriesByName('gs-memory-open-to-paint').length > 0);
  const ms = await page.evaluate(() => performance.getEntriesByName('gs-memory-open-to-paint')[0]!.duration);
  // Where the time went: reading the artifacts over the contract, then the worker's model (parse, classify, rows, post back).
  const parts = await page.evaluate(() =>
    [
      ...['gs-memory-read', 'gs-memory-model'].map((n) => `${n.slice(10)} ${Math.round(performance.getEntriesByName(n)[0]?.duration ?? NaN)} ms`),
      ...['gs-read-chunk', 'gs-decode-chunk'].map((n) => {
        const d = performance.getEntriesByName(n).map((e) => e.duration);
        return `${d.length} × ${n.slice(3)} max ${Math.round(Math.max(...d))} ms`;
      }),
    ].join(', '),
  );
  const rows = await page.evaluate(() => [document.querySelector('[data-testid="memory-go-evidence"]')?.textContent ?? '', document.querySelector('[data-testid="memory-warnings"]')?.textContent ?? ''].join(' '));
  console.log(`Memory view of a ${n}-mapping session, Chromium ${browser.version()}, 2 noisy cores:`);
  console.log(`  ${rows.trim()}`);
  console.log(`  open to first paint: ${ms.toFixed(0)} ms (goal: under 1000 ms)`);
  console.log(`  of which: ${parts}`);
} finally {
  await browser.close();
  await serve.stop();
}

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
import { createBackend } from '../electron/core/backend';
import { inProcessApi } from '../electron/core/inProcess';
import { createLab } from '../test/lab/lab';
import { launchChromium, startServe } from '../test/e2e/browser';

const n = Number(process.argv[2] ?? 100_000);
const maxMapCount = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
if (maxMapCount < n + 1000) writeFileSync('/proc/sys/vm/max_map_count', String(n + 10_000));
const dataDir = mkdtempSync(join(tmpdir(), 'gs-bench-view-'));
const kh = join(dataDir, 'kh');
const lab = await createLab();
let sessionId: string;
let mappings = 0;
try {
  const t = await lab.startGoService({ args: ['-goroutines', '10', '-mappings', String(n)] });
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  const backend = await createBackend({ dataDir, userKnownHostsFile: kh, agentSocket: '' });
  try {
    const api = inProcessApi(backend);
    const host = await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
    await api.call('ssh.connect', { hostId: host.id });
    const started = await api.call('capture.start', { hostId: host.id, pid: t.pid, stacks: false });
    await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === started.captureId && resolve()));
    sessionId = started.sessionId;
    const s = await api.call('sessions.open', { sessionId });
    const smaps = s.artifacts.find((a) => a.name === 'proc/smaps');
    mappings = Math.round((smaps?.sizeBytes ?? 0) / 700);
    console.error(`captured: smaps ${smaps?.status} ${((smaps?.sizeBytes ?? 0) / 1024 / 1024).toFixed(1)} MiB`);
  } finally {
    await backend.close();
  }
} finally {
  await lab.cleanup();
  if (maxMapCount < n + 1000) writeFileSync('/proc/sys/vm/max_map_count', String(maxMapCount));
}
const serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: kh });
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
  const rows = await page.evaluate(() => [document.querySelector('[data-testid="memory-go-evidence"]')?.textContent ?? '', document.querySelector('[data-testid="memory-warnings"]')?.textContent ?? ''].join(' '));
  console.log(`Memory view of a ${n}-mapping session (~${mappings} by size), Chromium ${browser.version()}, 2 noisy cores:`);
  console.log(`  ${rows.trim()}`);
  console.log(`  open to first paint: ${ms.toFixed(0)} ms (goal: under 1000 ms)`);
} finally {
  await browser.close();
  await serve.stop();
}

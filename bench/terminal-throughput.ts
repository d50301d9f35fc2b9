/**
 * Terminal throughput, side by side in one run:
 *   ours:    `cat` of a 50 MB file in the browser-mode terminal (xterm in Debian's Chromium,
 *            over the contract's WebSocket, ssh2 pty, flow control) until its last line is on screen;
 *   OpenSSH: the same `cat` through `ssh -tt` into a local pty (util-linux `script`), on the same sshd.
 * Prints both times, the ratio, and the renderer's peak JS heap during our run.
 *
 *   node --import tsx bench/terminal-throughput.ts [MB]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd } from '../test/lab/sshd';
import { addHostViaUi, launchChromium, startServe } from '../test/e2e/browser';

const MB = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'gs-bench-term-'));
const file = join(dir, 'big.txt');
const marker = `GS-BENCH-DONE-${Math.random().toString(36).slice(2, 10)}`;
{
  const fd = openSync(file, 'w');
  const line = 'The quick brown fox jumps over the lazy gopher 0123456789 abcdefghijklmnopqrstuvwxyz\n';
  const block = line.repeat(Math.floor(65536 / line.length));
  let written = 0;
  while (written < MB * 1024 * 1024) written += writeSync(fd, block);
  writeSync(fd, `${marker}\n`);
  closeSync(fd);
}

const sshd = await startSshd();
const knownHosts = join(dir, 'known_hosts');
writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
const serve = await startServe(join(dir, 'data'), { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts });
const browser = await launchChromium();
try {
  // --- OpenSSH into a local pty ---
  const sshArgs = ['-tt', '-p', String(sshd.port), '-i', sshd.clientKeyPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${sshd.user}@127.0.0.1`, `cat ${file}`];
  const cmd = ['ssh', ...sshArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
  const sshMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ssh baseline failed: ${r.stderr}`);

  // --- ours ---
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(600_000);
  await page.goto(serve.url);
  await addHostViaUi(page, { label: 'bench', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath });
  await page.getByTestId('host-terminal').first().click();
  await page.locator('[data-testid="terminal"]').waitFor();
  await page.locator('.xterm-helper-textarea').first().focus();
  await page.keyboard.type('echo ready');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^ready\s*$/m.test((document.querySelector('.xterm-rows') as HTMLElement | null)?.innerText ?? ''));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  let peakHeap = 0;
  const sampler = setInterval(() => {
    void cdp.send('Performance.getMetrics').then((m) => {
      const used = m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0;
      peakHeap = Math.max(peakHeap, used);
    }, () => undefined);
  }, 100);
  await page.keyboard.type(`cat ${file}`);
  const t1 = process.hrtime.bigint();
  await page.keyboard.press('Enter');
  await page.waitForFunction((m) => ((document.querySelector('.xterm-rows') as HTMLElement | null)?.innerText ?? '').includes(m), marker, { polling: 50 });
  const oursMs = Number(process.hrtime.bigint() - t1) / 1e6;
  clearInterval(sampler);
  const heapAfter = (await cdp.send('Performance.getMetrics')).metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0;

  const cpu = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; nproc"], { encoding: 'utf8' }).trim().replace(/\n/g, ', ');
  console.log(`terminal throughput, ${MB} MiB of text, one run (machine: ${cpu} cores)`);
  console.log(`  OpenSSH ssh -tt into a local pty:      ${sshMs.toFixed(0)} ms  (${(MB / (sshMs / 1000)).toFixed(1)} MiB/s)`);
  console.log(`  Gopherscope terminal, last line drawn: ${oursMs.toFixed(0)} ms  (${(MB / (oursMs / 1000)).toFixed(1)} MiB/s)`);
  console.log(`  ratio ours/OpenSSH: ${(oursMs / sshMs).toFixed(2)}x  (OpenSSH does not render; ours parses and draws every byte in xterm)`);
  console.log(`  renderer JS heap: peak ${(peakHeap / 1048576).toFixed(1)} MiB during the run, ${(heapAfter / 1048576).toFixed(1)} MiB after`);
} finally {
  await browser.close();
  await serve.stop();
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Terminal throughput, side by side in one run, several rounds:
 *   OpenSSH: `cat` of a 50 MiB text file through `ssh -tt` into a local pty (util-linux `script`), on the lab sshd;
 *   ours:    the same `cat` in the browser-mode terminal (xterm in Debian's Chromium, over the contract's
 *            WebSocket, ssh2 pty, flow control) until a drawn frame shows its last line.
 * Each round prints the wall time and what the user pays: CPU seconds of every process involved
 * (OpenSSH: ssh, script and sshd; ours: the backend, every Chromium process and sshd), the
 * renderer's peak JS heap and the backend's peak RSS. The summary quotes the range over the rounds.
 *
 * Chromium runs with the e2e tests' `--disable-gpu` (`--gpu 'FLAGS'` replaces it). WebGL is then
 * SwiftShader, software, as on any machine without a GPU, and the terminal's `auto` draws with xterm's
 * DOM renderer; on a machine with a GPU it draws with WebGL. `--dom` adds a round of xterm's DOM
 * renderer (WebGL switched off with `--disable-3d-apis`, the fallback the terminal shows in its info line);
 * `--webgl` adds a round with WebGL chosen in the terminal's Renderer menu, software or not.
 *
 *   npm run build && node --import tsx bench/terminal-throughput.ts [MiB] [--rounds N] [--dom] [--webgl] [--gpu 'FLAGS']
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startSshd } from '../test/lab/sshd';
import { addHostViaUi, launchChromium, startServe } from '../test/e2e/browser';
import type { TerminalPaneElement } from '../renderer/src/views/terminalProbe';
import { cpuDelta, reapedChildrenCpuMs, treeCpu } from './process-cpu';
import { writeTextFile } from '../test/lab/textFile';

const args = process.argv.slice(2);
const MB = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1] ?? 0) || 3;
const WITH_DOM = args.includes('--dom');
const WITH_WEBGL = args.includes('--webgl');
/** Chromium's flags for the GPU (default: the e2e tests' `--disable-gpu`; WebGL then runs on SwiftShader with software compositing). */
const GPU = args.includes('--gpu') ? args[args.indexOf('--gpu') + 1]!.split(' ').filter(Boolean) : undefined;

const dir = mkdtempSync(join(tmpdir(), 'gs-bench-term-'));
const file = join(dir, 'big.txt');
const { marker } = writeTextFile(file, MB);

interface Round {
  readonly ms: number;
  readonly cpuMs: number;
  readonly cpuParts: string;
  readonly heapMiB?: number;
  readonly rssMiB?: number;
  readonly detail?: string;
}

function vmRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

const sshd = await startSshd();
const knownHosts = join(dir, 'known_hosts');
writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
const serve = await startServe(join(dir, 'data'), { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts }, ['--identity-dir', dirname(sshd.clientKeyPath)]);
const browsers: Browser[] = [];
let hostAdded = false;

function openssh(): Round {
  const sshArgs = [
    '-tt',
    '-p',
    String(sshd.port),
    '-i',
    sshd.clientKeyPath,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    `${sshd.user}@127.0.0.1`,
    `cat ${file}`,
  ];
  const cmd = ['ssh', ...sshArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // ssh and script are reaped by this process, so their CPU shows up in its children's time.
  const names = new Map([['sshd', sshd.pid]]);
  const cpu0 = treeCpu(names);
  const reaped0 = reapedChildrenCpuMs(process.pid);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ssh baseline failed: ${r.stderr}`);
  const sshdMs = cpuDelta(cpu0, treeCpu(names)).total;
  const sshMs = reapedChildrenCpuMs(process.pid) - reaped0;
  return { ms, cpuMs: sshdMs + sshMs, cpuParts: `ssh+script ${sshMs}, sshd ${sshdMs}` };
}

/** One browser with the terminal open, ready for rounds of `cat`. */
async function openTerminal(gpu: readonly string[] | undefined, choice?: 'webgl') {
  const browser = await launchChromium({ gpu });
  browsers.push(browser);
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(900_000);
  await page.goto(serve.url);
  if (!hostAdded) await addHostViaUi(page, { label: 'bench', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath });
  hostAdded = true;
  await page.getByTestId('host-terminal').first().click();
  await page.locator('[data-testid="terminal"]').waitFor();
  // The choice is kept in localStorage, which the browsers here do not share.
  if (choice) await page.getByTestId('terminal-renderer-choice').selectOption(choice);
  await page.locator('.xterm-helper-textarea').first().focus();
  await page.keyboard.type('echo ready');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^ready\s*$/m.test((document.querySelector('[data-testid="terminal"]') as TerminalPaneElement | null)?.gsTerminal?.screenText() ?? ''));
  const renderer = await page.getByTestId('terminal-renderer').innerText();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  // The newest Chromium child of this process is the browser just launched.
  const chromiumPid = Number(execFileSync('pgrep', ['-n', '-P', String(process.pid), '-f', 'chromium'], { encoding: 'utf8' }).trim());
  return { browser, page, cdp, renderer, chromiumPid };
}

async function ours(t: Awaited<ReturnType<typeof openTerminal>>): Promise<Round> {
  const { page, cdp } = t;
  await page.keyboard.type('clear');
  await page.keyboard.press('Enter');
  await page.waitForFunction((m) => !(document.querySelector('[data-testid="terminal"]') as TerminalPaneElement).gsTerminal!.screenText().includes(m), marker);
  await page.keyboard.type(`cat ${file}`);
  await page.evaluate((m) => {
    const probe = (document.querySelector('[data-testid="terminal"]') as TerminalPaneElement).gsTerminal!;
    (globalThis as unknown as { gsShown: Promise<void> }).gsShown = probe.whenShown(m);
  }, marker);
  const statsBefore = await page.evaluate(() => ({ ...(document.querySelector('[data-testid="terminal"]') as TerminalPaneElement).gsTerminal!.stats }));
  let peakHeap = 0;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, vmRssMiB(serve.child.pid!));
    void cdp.send('Performance.getMetrics').then(
      (m) => {
        peakHeap = Math.max(peakHeap, m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0);
      },
      () => undefined,
    );
  }, 100);
  const names = new Map([
    ['sshd', sshd.pid],
    ['backend', serve.child.pid!],
    ['chromium', t.chromiumPid],
  ]);
  const cpu0 = treeCpu(names, true);
  const t0 = process.hrtime.bigint();
  await page.keyboard.press('Enter');
  await page.evaluate(() => (globalThis as unknown as { gsShown: Promise<void> }).gsShown);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(sampler);
  const cpu = cpuDelta(cpu0, treeCpu(names, true));
  const stats = await page.evaluate(() => ({ ...(document.querySelector('[data-testid="terminal"]') as TerminalPaneElement).gsTerminal!.stats }));
  return {
    ms,
    cpuMs: cpu.total,
    cpuParts: cpu.parts.map(([k, v]) => `${k} ${v}`).join(', '),
    heapMiB: peakHeap / 1048576,
    rssMiB: peakRss,
    detail: `${stats.batches - statsBefore.batches} writes, ${stats.renders - statsBefore.renders} frames drawn (${stats.floodFrames - statsBefore.floodFrames} released during the flood)`,
  };
}

const range = (xs: number[], digits = 0) => (Math.min(...xs) === Math.max(...xs) ? Math.min(...xs).toFixed(digits) : `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`);
const s = (ms: number) => (ms / 1000).toFixed(2);

try {
  const cpuInfo = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; nproc; cut -d' ' -f1-3 /proc/loadavg"], { encoding: 'utf8' }).trim().split('\n');
  console.log(`terminal throughput, ${MB} MiB of text, ${ROUNDS} rounds (machine:${cpuInfo[0]}, ${cpuInfo[1]} cores, load ${cpuInfo[2]})`);
  const webgl = await openTerminal(GPU);
  const dom = WITH_DOM ? await openTerminal(['--disable-3d-apis']) : null;
  const forced = WITH_WEBGL ? await openTerminal(GPU, 'webgl') : null;
  const sshRounds: Round[] = [];
  const ourRounds: Round[] = [];
  const domRounds: Round[] = [];
  const forcedRounds: Round[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const a = openssh();
    sshRounds.push(a);
    console.log(`  round ${i} OpenSSH:     ${s(a.ms)} s, CPU ${s(a.cpuMs)} s (${a.cpuParts} ms)`);
    const b = await ours(webgl);
    ourRounds.push(b);
    console.log(
      `  round ${i} Gopherscope: ${s(b.ms)} s, CPU ${s(b.cpuMs)} s (${b.cpuParts} ms), ${(b.ms / a.ms).toFixed(2)}x OpenSSH's time; renderer heap peak ${b.heapMiB!.toFixed(1)} MiB, backend RSS peak ${b.rssMiB!.toFixed(0)} MiB; ${b.detail}; ${webgl.renderer}`,
    );
    if (dom) {
      const c = await ours(dom);
      domRounds.push(c);
      console.log(
        `  round ${i} DOM fallback: ${s(c.ms)} s, CPU ${s(c.cpuMs)} s (${c.cpuParts} ms), ${(c.ms / a.ms).toFixed(2)}x; renderer heap peak ${c.heapMiB!.toFixed(1)} MiB; ${c.detail}; ${dom.renderer}`,
      );
    }
    if (forced) {
      const c = await ours(forced);
      forcedRounds.push(c);
      console.log(
        `  round ${i} WebGL chosen: ${s(c.ms)} s, CPU ${s(c.cpuMs)} s (${c.cpuParts} ms), ${(c.ms / a.ms).toFixed(2)}x; renderer heap peak ${c.heapMiB!.toFixed(1)} MiB; ${c.detail}; ${forced.renderer}`,
      );
    }
  }
  const ratios = ourRounds.map((r, i) => r.ms / sshRounds[i]!.ms);
  console.log(`summary over ${ROUNDS} rounds (ranges):`);
  console.log(
    `  OpenSSH ssh -tt into a local pty: ${range(
      sshRounds.map((r) => r.ms / 1000),
      2,
    )} s, CPU ${range(
      sshRounds.map((r) => r.cpuMs / 1000),
      2,
    )} s`,
  );
  console.log(
    `  Gopherscope, last line drawn:     ${range(
      ourRounds.map((r) => r.ms / 1000),
      2,
    )} s, CPU ${range(
      ourRounds.map((r) => r.cpuMs / 1000),
      2,
    )} s; renderer heap peak ${range(
      ourRounds.map((r) => r.heapMiB!),
      1,
    )} MiB; backend RSS peak ${range(ourRounds.map((r) => r.rssMiB!))} MiB`,
  );
  console.log(
    `  ratio ours/OpenSSH (time): ${range(ratios, 2)}x per round; CPU ${range(
      ourRounds.map((r, i) => r.cpuMs / sshRounds[i]!.cpuMs),
      2,
    )}x`,
  );
  if (dom)
    console.log(
      `  DOM fallback: ${range(
        domRounds.map((r) => r.ms / 1000),
        2,
      )} s, ${range(
        domRounds.map((r, i) => r.ms / sshRounds[i]!.ms),
        2,
      )}x OpenSSH's time`,
    );
  if (forced)
    console.log(
      `  WebGL chosen (${forced.renderer}): ${range(
        forcedRounds.map((r) => r.ms / 1000),
        2,
      )} s, ${range(
        forcedRounds.map((r, i) => r.ms / sshRounds[i]!.ms),
        2,
      )}x OpenSSH's time`,
    );
} finally {
  for (const b of browsers) await b.close();
  await serve.stop();
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
}

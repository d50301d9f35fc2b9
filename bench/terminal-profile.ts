/**
 * Where the time goes in the browser-mode terminal: `cat` of a file while the renderer (CDP
 * Profiler) and the backend (the inspector, preloaded by cpu-profile-preload.mjs) are profiled.
 * Prints CPU time per process (backend, each Chromium process, sshd), self time per function on
 * both sides, the WebSocket traffic both ways (messages, bytes, counted in the page) and the
 * terminal writer's counters. The profilers cost CPU themselves: use bench/terminal-throughput.ts
 * for timings.
 *
 *   npm run build && node --import tsx bench/terminal-profile.ts [MiB] [--trace]
 *
 * --trace adds a Chromium trace (self time per thread and event; categories from
 * GS_TRACE_CATEGORIES, style and layout invalidations counted with GS_TRACE_INVALIDATIONS=1).
 * GS_CHROMIUM_GPU_FLAGS replaces Chromium's default --disable-gpu, e.g. "--disable-3d-apis".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startSshd } from '../test/lab/sshd';
import { addHostViaUi, launchChromium, startServe } from '../test/e2e/browser';
import { writeTextFile } from '../test/lab/textFile';
import { cpuDelta, treeCpu } from './process-cpu';
import type { TerminalPaneElement } from '../renderer/src/views/terminalProbe';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name + file + line), top `n`, and the total. */
function selfTimes(p: Profile, n: number): string {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!)!;
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [`  total ${total.toFixed(0)} ms`, ...rows.map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${k}`)].join('\n');
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
}

/** Self time of complete ('X') trace events per thread and name: what the browser's threads did outside (and inside) JavaScript. */
function traceSelfTimes(t: { traceEvents: TraceEvent[] }, n: number): string {
  const names = new Map<string, string>();
  for (const e of t.traceEvents) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, (e as unknown as { args: { name: string } }).args.name);
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of t.traceEvents) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    const k = `${e.pid}:${e.tid}`;
    let list = byThread.get(k);
    if (!list) byThread.set(k, (list = []));
    list.push(e);
  }
  const out: string[] = [];
  const threads = [...byThread].map(([k, evs]) => {
    evs.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const self = new Map<string, number>();
    const count = new Map<string, number>();
    const stack: { end: number; name: string }[] = [];
    let busy = 0;
    for (const e of evs) {
      while (stack.length > 0 && stack[stack.length - 1]!.end <= e.ts) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - Math.min(e.dur!, parent.end - e.ts));
      else busy += e.dur!;
      self.set(e.name, (self.get(e.name) ?? 0) + e.dur!);
      count.set(e.name, (count.get(e.name) ?? 0) + 1);
      stack.push({ end: e.ts + e.dur!, name: e.name });
    }
    return { name: names.get(k) ?? k, busy, self, count };
  });
  threads.sort((a, b) => b.busy - a.busy);
  for (const th of threads.slice(0, 6)) {
    out.push(`trace, thread ${th.name}: busy ${(th.busy / 1000).toFixed(0)} ms`);
    for (const [name, us] of [...th.self].sort((a, b) => b[1] - a[1]).slice(0, n)) out.push(`  ${(us / 1000).toFixed(0).padStart(7)} ms  ${String(th.count.get(name)).padStart(6)}x  ${name}`);
  }
  return out.join('\n');
}

const TRACE = process.argv.includes('--trace');
const MB = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'gs-prof-term-'));
const file = join(dir, 'big.txt');
const { marker } = writeTextFile(file, MB);
const profDir = join(dir, 'cpuprof');

const sshd = await startSshd();
const knownHosts = join(dir, 'known_hosts');
writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
// Node 20 refuses --cpu-prof in NODE_OPTIONS; a preload starts the inspector's profiler instead.
const serve = await startServe(
  join(dir, 'data'),
  { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts, NODE_OPTIONS: `--import=${join(import.meta.dirname, 'cpu-profile-preload.mjs')}`, GS_CPU_PROFILE_DIR: profDir },
  ['--identity-dir', dirname(sshd.clientKeyPath)],
);
const gpu = process.env.GS_CHROMIUM_GPU_FLAGS?.split(' ').filter(Boolean);
const browser = await launchChromium({ gpu });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(600_000);
  // A string, not a function: tsx would add helpers (__name) that do not exist in the page.
  await page.addInitScript(`{
    const stats = { in: 0, inBytes: 0, out: 0, outBytes: 0 };
    globalThis.__wsStats = stats;
    const Native = WebSocket;
    globalThis.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(url, protocols);
        this.addEventListener('message', (e) => { stats.in++; stats.inBytes += typeof e.data === 'string' ? e.data.length : e.data.byteLength ?? e.data.size ?? 0; });
      }
      send(data) { stats.out++; stats.outBytes += typeof data === 'string' ? data.length : data.byteLength ?? 0; super.send(data); }
    };
  }`);
  await page.goto(serve.url);
  await addHostViaUi(page, { label: 'bench', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath });
  await page.getByTestId('host-terminal').first().click();
  await page.locator('[data-testid="terminal"]').waitFor();
  await page.locator('.xterm-helper-textarea').first().focus();
  await page.keyboard.type('echo ready');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^ready\s*$/m.test((document.querySelector('[data-testid="terminal"]') as TerminalPaneElement | null)?.gsTerminal?.screenText() ?? ''));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await page.evaluate(() => Object.assign((globalThis as unknown as { __wsStats: object }).__wsStats, { in: 0, inBytes: 0, out: 0, outBytes: 0 }));
  await page.keyboard.type(`cat ${file}`);
  await cdp.send('Profiler.start');
  if (TRACE) await browser.startTracing(page, { categories: (process.env.GS_TRACE_CATEGORIES ?? 'devtools.timeline,disabled-by-default-devtools.timeline,blink,gpu,cc,toplevel,v8').split(',') });
  const chromiumPid = Number(execFileSync('pgrep', ['-n', '-P', String(process.pid), '-f', 'chromium'], { encoding: 'utf8' }).trim());
  const names = new Map([
    ['backend', serve.child.pid!],
    ['sshd', sshd.pid],
    ['chromium', chromiumPid],
  ]);
  {
    const idle0 = treeCpu(names, true);
    await new Promise((r) => setTimeout(r, 5000));
    const idle = cpuDelta(idle0, treeCpu(names, true));
    console.log(`  CPU over 5 s of an idle terminal: ${idle.parts.map(([k, ms]) => `${k} ${ms} ms`).join(', ')}`);
  }
  await page.evaluate((m) => {
    (globalThis as unknown as { gsShown: Promise<void> }).gsShown = (document.querySelector('[data-testid="terminal"]') as TerminalPaneElement).gsTerminal!.whenShown(m);
  }, marker);
  const cpu0 = treeCpu(names, true);
  const t1 = process.hrtime.bigint();
  await page.keyboard.press('Enter');
  await page.evaluate(() => (globalThis as unknown as { gsShown: Promise<void> }).gsShown);
  const oursMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const cpu = cpuDelta(cpu0, treeCpu(names, true));
  const { profile } = await cdp.send('Profiler.stop');
  const trace = TRACE ? await browser.stopTracing() : null;
  const ws = await page.evaluate(() => (globalThis as unknown as { __wsStats: Record<string, number> }).__wsStats);
  const renderer = await page.getByTestId('terminal-renderer').innerText();
  const stats = await page.evaluate(() => (document.querySelector('[data-testid="terminal"]') as TerminalPaneElement).gsTerminal!.stats);
  console.log(`terminal profile, ${MB} MiB (${renderer}): last line on screen after ${oursMs.toFixed(0)} ms`);
  console.log(`  WebSocket in: ${ws.in} messages, ${(ws.inBytes! / 1048576).toFixed(1)} MiB; out: ${ws.out} messages, ${(ws.outBytes! / 1024).toFixed(1)} KiB`);
  console.log(`  writer: ${JSON.stringify(stats)}`);
  console.log(`  CPU by process: ${cpu.parts.map(([k, ms]) => `${k} ${ms} ms`).join(', ')}; total ${cpu.total} ms`);
  console.log('renderer, self time:');
  console.log(selfTimes(profile as unknown as Profile, 25));
  if (trace && process.env.GS_TRACE_INVALIDATIONS) {
    const counts = new Map<string, number>();
    for (const e of (JSON.parse(trace.toString('utf8')) as { traceEvents: (TraceEvent & { args?: { data?: Record<string, unknown> } })[] }).traceEvents) {
      if (!/Invalidation/.test(e.name)) continue;
      const d = e.args?.data ?? {};
      const k = `${e.name} ${String(d.nodeName ?? '')} ${String(d.reason ?? d.invalidationReason ?? '')}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(n).padStart(6)}  ${k}`);
  }
  if (trace) console.log(traceSelfTimes(JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }, 15));
} finally {
  await browser.close();
  await serve.stop();
  await sshd.stop();
  try {
    const files = readdirSync(profDir);
    for (const f of files) {
      console.log(`backend (${f}), self time over the whole serve process:`);
      console.log(selfTimes(JSON.parse(readFileSync(join(profDir, f), 'utf8')) as Profile, 20));
    }
  } catch (err) {
    console.log(`no backend profile: ${(err as Error).message}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The recommendation rules against real lab targets in real cgroups,
 * captured through the real backend and reported by `gopherscope report`'s
 * code. A misconfigured Go 1.24 service makes the CPU, GOMEMLIMIT, GODEBUG,
 * debug-setting, LazyFree, thread and trace rules fire with the right
 * numbers; a Go 1.26 service with defaults in the same cgroup keeps every one
 * of them silent; a service squeezed against its memory limit fires the
 * memory rules; one without pprof and with GOGC=off fires those two; THP set
 * to "always" (and put back), host CPU pressure and 6,000 goroutines parked
 * for a minute fire the last three. Silence for those is also shown on
 * artifacts in shared/analysis/recommendations.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionReport } from '../../shared/analysis/recommendations';
import { parseMemLimit } from '../../shared/analysis/goKnowledge';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { reportOf } from '../../electron/cli/report';
import { createLab, type GoServiceOptions, type Lab } from '../lab/lab';
import { captureLabSession } from '../lab/labCapture';

let lab: Lab;
const dataDir = mkdtempSync(join(tmpdir(), 'gs-recs-'));
const MiB = 1024 * 1024;
// Started first, so its goroutines age past a minute while the other scenarios run.
let leaky: { pid: number; startedAt: number } | null = null;

before(async () => {
  lab = await createLab();
  const t = await lab.startGoService({ args: ['-goroutines', '5', '-leak', '6000'] });
  leaky = { pid: t.pid, startedAt: Date.now() };
});
after(async () => {
  await lab?.cleanup();
});

let misconfigured: { sessionId: string; knownHosts: string } | null = null;

async function scenario(
  opts: GoServiceOptions,
  capture: { traceSeconds?: number; settleMs?: number } = {},
): Promise<{ report: SessionReport; goVersion: string; sessionId: string; knownHosts: string }> {
  const t = await lab.startGoService(opts);
  await new Promise((r) => setTimeout(r, capture.settleMs ?? 500));
  try {
    return { ...(await reportFor(t.pid, capture.traceSeconds)), goVersion: t.goVersion };
  } finally {
    await t.stop();
  }
}

async function reportFor(pid: number, traceSeconds?: number): Promise<{ report: SessionReport; sessionId: string; knownHosts: string }> {
  const { sessionId, knownHosts } = await captureLabSession(lab, dataDir, { pid, stacks: false, ...(traceSeconds ? { traceSeconds } : {}) });
  const backend = await createBackend({ dataDir, userKnownHostsFile: knownHosts, agentSocket: '' });
  try {
    const api = inProcessApi(backend);
    const session = await api.call('sessions.open', { sessionId });
    return { report: await reportOf(api, session), sessionId, knownHosts };
  } finally {
    await backend.close();
  }
}

const ids = (r: SessionReport) => r.recommendations.map((x) => x.id).sort();
const rec = (r: SessionReport, id: string) => {
  const x = r.recommendations.find((y) => y.id === id);
  assert.ok(x, `${id} fires; got ${ids(r).join(', ')}`);
  return x;
};

const ONE_CPU = { cpuQuotaUs: 100_000, cpuPeriodUs: 100_000, memoryMaxBytes: 256 * MiB };

test('a misconfigured Go 1.24 service in a 1-CPU, 256 MiB cgroup: every configuration rule fires, with its evidence', async () => {
  const { report, goVersion, sessionId, knownHosts } = await scenario(
    {
      ...ONE_CPU,
      goToolchain: 'go1.24.0',
      env: { GOMAXPROCS: '4', GODEBUG: 'loadstall=1,gctrace=1,asyncpreemptoff=1,madvdontneed=0' },
      args: ['-busy', '4', '-threads', '60', '-goroutines', '20', '-heap', '8', '-release-every', '200ms'],
    },
    { settleMs: 2500, traceSeconds: 2 },
  );
  assert.equal(goVersion, 'go1.24.0');
  misconfigured = { sessionId, knownHosts };
  const g = rec(report, 'gomaxprocs-above-quota');
  // -busy flips GOMAXPROCS between 4 and 5 in-process, so the trace (stronger than the environment) has the last of them.
  const procs = report.settings.GOMAXPROCS;
  assert.equal(procs.effective?.source, 'trace');
  assert.ok([4, 5].includes(procs.effective!.value), `GOMAXPROCS ${procs.effective?.value}`);
  assert.deepEqual(procs.readings.find((r) => r.source === 'environment')?.value, 4, 'the environment kept as evidence');
  assert.match(g.title, /^GOMAXPROCS [45] \(execution trace\) is above the CPU quota of 1\.00/);
  assert.match(g.change.diff, /^remove GOMAXPROCS=4    # /, 'an edit against the environment, not a second value');
  assert.ok(
    g.evidence.some((e) => e.label === 'throttled periods'),
    'the throttling evidence is attached',
  );
  assert.equal(report.cpu.gomaxprocs, procs.effective!.value, "the CPU picture shows the settings' value");
  assert.match(report.cpu.gomaxprocsHow, /^[45] \(execution trace: ProcsChange at the end of the/);
  assert.equal(report.cpu.followsQuota, false);

  // Whether four busy Ps on one CPU of quota are throttled depends on the host: on a loaded machine the
  // process never gets its whole CPU, so the quota is never reached. The rule follows what cpu.stat measured.
  const ratio = report.cpu.throttledRatio;
  assert.ok(ratio !== null, 'cpu.stat was read: nr_throttled / nr_periods is known');
  if (ratio >= 0.05) {
    const t = rec(report, 'cpu-throttling');
    assert.equal(t.evidence[0]!.source?.artifact, 'cgroup/');
    assert.match(t.title, new RegExp(`throttled in ${(ratio * 100).toFixed(1)}% of CFS periods`));
  } else {
    assert.ok(!ids(report).includes('cpu-throttling'), `throttled in ${(ratio * 100).toFixed(1)}% of periods, under the rule's 5%: cpu-throttling stays silent`);
  }

  const m = rec(report, 'gomemlimit-unset');
  // No metrics endpoint, but the runtime's own variables (read as root from /proc/PID/mem) say there is no limit.
  assert.match(m.title, /^GOMEMLIMIT is not set \(process memory: no limit\) under a 256\.0 MiB container memory limit/);
  assert.match(m.change.diff, /^add GOMEMLIMIT=\d+MiB/);
  const suggested = parseMemLimit(/GOMEMLIMIT=(\d+MiB)/.exec(m.change.diff)![1]!)!;
  // (limit − memory outside Go) × 0.9, from this session's own smaps.
  const expected = Math.floor((256 * MiB - report.memory.outsideGoBytes!) * 0.9);
  assert.equal(suggested, Math.floor(expected / MiB) * MiB);
  assert.ok(suggested > 200 * MiB && suggested < 231 * MiB, `suggested ${suggested / MiB} MiB`);
  assert.match(m.tradeoff, /10% headroom/);

  const gd = rec(report, 'godebug-no-op');
  assert.deepEqual(
    gd.evidence.map((e) => e.label),
    ['GODEBUG loadstall=1'],
    'only loadstall is unknown; gctrace, asyncpreemptoff and madvdontneed exist in 1.24',
  );
  assert.match(gd.evidence[0]!.value, /no Go release has a GODEBUG setting named loadstall/);
  const dbg = rec(report, 'debug-settings-on');
  assert.deepEqual(dbg.evidence.map((e) => e.label).sort(), ['GODEBUG asyncpreemptoff=1', 'GODEBUG gctrace=1']);
  const lazy = rec(report, 'lazyfree-rss');
  assert.match(lazy.change.diff, /^remove madvdontneed=0 from GODEBUG/, 'Go 1.24 releases with MADV_DONTNEED by default');
  const th = rec(report, 'threads-above-gomaxprocs');
  assert.ok(report.cpu.threads! >= 60, `threads ${report.cpu.threads}`);
  assert.match(th.title, /OS threads for GOMAXPROCS [45]:/, '-busy flips GOMAXPROCS between 4 and 5');
  // Four Ps on one CPU of quota: whatever is runnable, or stopping the world, waits out the
  // throttled part of each 100 ms period.
  const lat = rec(report, 'trace-latency');
  assert.match(lat.title, /^The trace shows (scheduling latency p99 \d+\.\d+ ms|a \d+\.\d+ ms stop-the-world pause)/);
  assert.equal(lat.evidence[0]!.source?.artifact, 'go/trace');
  // (-busy also flips GOMAXPROCS every 400 ms, to put GOMAXPROCS stops in traces, so the P count varies.)
  assert.ok(report.cpu.procUtilization && report.cpu.procUtilization.length >= 2, 'P utilization from the trace, one per P');
  for (const r of report.recommendations) for (const e of r.evidence) assert.ok(e.value.length > 0, `${r.id}: ${e.label} has a value`);
});

test('a Go 1.26 service with defaults in the same cgroup keeps those rules silent', async () => {
  const { report } = await scenario({ ...ONE_CPU, env: { GOMEMLIMIT: '200MiB' }, args: ['-goroutines', '20', '-heap', '8'] }, { traceSeconds: 1 });
  for (const id of [
    'gomaxprocs-above-quota',
    'cpu-throttling',
    'gomemlimit-unset',
    'gomemlimit-near-live-heap',
    'gogc-off-no-limit',
    'memory-near-limit',
    'lazyfree-rss',
    'godebug-no-op',
    'debug-settings-on',
    'threads-above-gomaxprocs',
    'trace-latency',
    'no-pprof',
    'goroutine-leak',
  ]) {
    assert.ok(!ids(report).includes(id), `${id} stays silent; got ${ids(report).join(', ')}`);
  }
  // Go 1.26 in a 1-CPU cgroup: GOMAXPROCS comes from the trace (max(2, ceil(1)) = 2, capped by the host's CPUs). The
  // target's go.mod says go 1.22, so its DefaultGODEBUG has containermaxprocs=0 and updatemaxprocs=0: it does not follow
  // quota changes. Without its build info in the session that cannot be told, and it is not claimed.
  assert.match(report.cpu.gomaxprocsHow, /execution trace/);
  assert.ok(report.cpu.gomaxprocs! <= 2);
  assert.notEqual(report.cpu.followsQuota, true);
  assert.match(report.cpu.followsQuotaWhy, /DefaultGODEBUG|containermaxprocs=0/);
  assert.equal(report.settings.GOMEMLIMIT.effective?.value, 200 * MiB);
  // The environment set it; the runtime's variables in process memory, a stronger source, show the same value.
  assert.equal(report.settings.GOMEMLIMIT.effective?.source, 'process-memory');
  assert.equal(report.settings.GOMEMLIMIT.readings.find((r) => r.source === 'environment')?.value, 200 * MiB);
  const waterfall = new Map(report.memory.rows.map((r) => [r.key, r]));
  assert.equal(waterfall.get('cgroup-limit')!.bytes, 256 * MiB);
  assert.equal(waterfall.get('gomemlimit')!.bytes, 200 * MiB);
  assert.ok(waterfall.get('go-heap')!.bytes! >= 8 * MiB, 'the retained heap is in HeapInuse');
  assert.ok(waterfall.get('rss-rest')!.bytes !== null, 'the remainder is computed and shown');
  assert.equal(waterfall.get('go-heap')!.source?.artifact, 'go/heap-debug1.txt');
});

test('a service against its memory limit fires the memory rules with the cgroup and MemStats evidence', async () => {
  const { report } = await scenario({ memoryMaxBytes: 92 * MiB, env: { GOMEMLIMIT: '88MiB' }, args: ['-goroutines', '10', '-heap', '82'] }, { settleMs: 1500 });
  const near = rec(report, 'gomemlimit-near-live-heap');
  assert.match(near.title, /live heap \(8\d\.\d MiB\)/);
  assert.equal(near.evidence[1]!.source?.artifact, 'go/heap-debug1.txt');
  const m = rec(report, 'memory-near-limit');
  assert.ok(m.evidence.some((e) => e.label === 'OOM kills'));
  assert.ok(!ids(report).includes('gomemlimit-unset'));
});

test('a service without a pprof endpoint and with GOGC=off: no-pprof and gogc-off-no-limit fire, and the facts pprof would give stay unknown, not zero', async () => {
  const { report } = await scenario({ env: { GOGC: 'off' }, args: ['-goroutines', '5', '-pprof', '', '-alloc-rate', '0'] });
  rec(report, 'no-pprof');
  assert.equal(rec(report, 'gogc-off-no-limit').severity, 'critical');
  const heap = report.memory.rows.find((r) => r.key === 'go-heap')!;
  assert.equal(heap.bytes, null);
  assert.ok(!ids(report).includes('gomemlimit-near-live-heap') && !ids(report).includes('goroutine-leak'));
});

test('gopherscope report on the misconfigured session, and on its bundle: the same recommendations as text and JSON', async () => {
  assert.ok(misconfigured, 'the misconfigured scenario ran');
  const text = await run(['report', misconfigured.sessionId, '--data-dir', dataDir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^service-\S* pid \d+ on lab, go1\.24\.0/);
  assert.match(text.stdout, /\[warning\] godebug-no-op: GODEBUG loadstall=1 does nothing in Go go1\.24\.0/);
  assert.match(text.stdout, /^    remove GOMAXPROCS=4    # /m);
  assert.match(text.stdout, /^settings \(the value in effect and its source; weaker sources below it\):$/m);
  assert.match(text.stdout, /^      environment: 4 \(GOMAXPROCS=4\)$/m);
  assert.match(text.stdout, /^memory:$/m);
  const bundle = join(dataDir, 'misconfigured.tar.gz');
  const backend = await createBackend({ dataDir, userKnownHostsFile: misconfigured.knownHosts, agentSocket: '' });
  try {
    await inProcessApi(backend).call('sessions.export', { sessionId: misconfigured.sessionId, path: bundle });
  } finally {
    await backend.close();
  }
  const json = await run(['report', bundle, '--json', '--data-dir', mkdtempSync(join(tmpdir(), 'gs-empty-'))]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as Omit<SessionReport, 'settings'> & { session: { goVersion: string }; settings: { GOMAXPROCS: { value: number; source: string } } };
  assert.equal(parsed.session.goVersion, 'go1.24.0');
  assert.equal(parsed.settings.GOMAXPROCS.source, 'trace');
  assert.ok([4, 5].includes(parsed.settings.GOMAXPROCS.value));
  const fromText = [...text.stdout.matchAll(/^\[(?:critical|warning|info)\] ([a-z-]+):/gm)].map((m) => m[1]);
  assert.deepEqual(
    parsed.recommendations.map((r) => r.id),
    fromText,
    'the bundle gives the same recommendations as the library',
  );
  const missing = await run(['report', 'no-such-session', '--data-dir', dataDir]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no-such-session/);
});

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
const PTES = '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none';

test('transparent huge pages set to "always" fire thp-overhead for Go 1.26; GODEBUG=disablethp=1 keeps it silent', async (t) => {
  try {
    accessSync(THP, constants.W_OK);
  } catch {
    t.skip(`${THP} is not writable here (the lab needs root to set THP for this scenario)`);
    return;
  }
  const saved = readFileSync(THP, 'utf8').match(/\[(\w+)\]/)![1]!;
  const savedPtes = readFileSync(PTES, 'utf8').trim();
  try {
    // A host-wide setting, put back in finally: THP "always" with khugepaged's default max_ptes_none.
    writeFileSync(THP, 'always');
    writeFileSync(PTES, '511');
    const on = await scenario({ args: ['-goroutines', '5'] });
    const r = rec(on.report, 'thp-overhead');
    assert.match(r.change.diff, /^add disablethp=1 to GODEBUG/);
    assert.equal(r.evidence[0]!.source?.artifact, 'system/thp-enabled');
    const off = await scenario({ env: { GODEBUG: 'disablethp=1' }, args: ['-goroutines', '5'] });
    assert.ok(!ids(off.report).includes('thp-overhead'), `silent with disablethp=1; got ${ids(off.report).join(', ')}`);
  } finally {
    writeFileSync(THP, saved);
    writeFileSync(PTES, savedPtes);
  }
});

test("four busy Ps per CPU of this machine: host CPU pressure fires host-psi, labelled host-wide; the process's own cgroup pressure fires high-psi", async () => {
  const ps = String(availableParallelism() * 4);
  const { report } = await scenario({ env: { GOMAXPROCS: ps }, args: ['-busy', ps, '-goroutines', '5'] }, { settleMs: 7000 });
  const r = rec(report, 'host-psi');
  assert.ok(
    r.evidence.some((e) => e.source?.artifact === 'system/pressure-cpu'),
    JSON.stringify(r.evidence),
  );
  assert.match(r.title, /^Host-wide pressure \(every process on the host, not this one alone\)/);
  assert.doesNotMatch(r.change.diff, /raise|CPU limit/, 'host-wide pressure does not tell the container to raise its limit');
  // The target's own tasks wait for the CPUs too; its own cgroup2 cgroup (v2, or the unified mount of a hybrid host) says so.
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ')) assert.equal(rec(report, 'high-psi').evidence[0]!.source?.artifact, 'cgroup/');
});

test('6,000 goroutines parked on one receive for over a minute fire goroutine-leak', async () => {
  assert.ok(leaky);
  const wait = leaky.startedAt + 62_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const { report } = await reportFor(leaky.pid);
  const r = rec(report, 'goroutine-leak');
  assert.match(r.title, /^6,000 goroutines wait in "chan receive" at main\.leakedWorker for up to [1-9] minutes?/);
  assert.match(r.change.diff, /created by main\.main/);
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs'), ...args], { maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

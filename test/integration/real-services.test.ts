/**
 * Go services we did not write (test/lab/services.ts: Caddy, kine on cgo SQLite, nats-server),
 * each in a container of its own (PID, network and mount namespaces, a cgroup with limits),
 * captured through the real sshd and checked against what the service says about itself: its
 * start-up log lines, its own metrics endpoint, its own pprof heap page, and (for glibc arenas)
 * the heap_info headers the lab reads in its memory.
 *
 * `report --json`'s `settings` and `memoryClasses` (issue 17, parts 1, 3 and 4) are compared with
 * that oracle: the settings value for value, the Go memory classes against the service's own
 * MemStats with the formulas and the tolerance the tool states (shared/analysis/memoryAttribution.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionDetail } from '../../shared/contract/api';
import type { Api } from '../../shared/contract/client';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { reportCommand } from '../../electron/cli/report';
import { glibcArenas } from '../lab/glibcArenas';
import { startRealService, type RealService, type ServiceOracle } from '../lab/services';
import { startSshd, type Sshd } from '../lab/sshd';
import { goBinary } from '../lab/targets';
import { goTolerance } from '../../shared/analysis/memoryAttribution';
import { GO_HEAP_INDEX_BYTES } from '../../shared/analysis/memoryLayout';

const MiB = 1024 * 1024;

let sshd: Sshd;
let backend: Backend;
let api: Api;
let hostId: string;
let dataDir: string;

before(async () => {
  sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'gs-real-'));
  const kh = join(dir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
  dataDir = join(dir, 'data');
  backend = await createBackend({ dataDir, userKnownHostsFile: kh, agentSocket: '' });
  api = inProcessApi(backend);
  hostId = (await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath })).id;
  assert.equal((await api.call('ssh.connect', { hostId })).status, 'connected');
});

after(async () => {
  await backend?.close();
  await sshd?.stop();
});

async function capture(pid: number, input: Record<string, unknown> = {}): Promise<SessionDetail> {
  const { captureId, sessionId } = await api.call('capture.start', { hostId, pid, stacks: false, ...input } as never);
  await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
  return api.call('sessions.open', { sessionId });
}
const artifact = (s: SessionDetail, name: string) => s.artifacts.find((a) => a.name === name);
const text = async (s: SessionDetail, name: string) => (await api.call('artifacts.read', { artifactId: artifact(s, name)!.id })).text;

interface Report {
  readonly recommendations: ReadonlyArray<{ id: string; title: string; change: { diff: string } }>;
  readonly settings?: Record<string, { value: unknown; source: string } | Record<string, { value: unknown; source: string }>>;
  readonly memoryClasses?: ReadonlyArray<{ class: string; mappedBytes: number; reservedBytes: number; rssBytes: number }>;
}

async function reportJson(sessionId: string): Promise<Report> {
  const r = await reportCommand(dataDir, sessionId, true);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

const STRONG = ['runtime-metrics', 'trace', 'process-memory', 'build-dependency'];
const GO_ARTIFACTS = ['go/goroutine-debug2.txt', 'go/heap-debug1.txt', 'go/allocs.pb.gz', 'go/threadcreate.pb.gz'];

/** What every service's capture must show now: complete, pprof reached through the container's namespace. */
async function assertReachedThroughNamespace(s: SessionDetail, svc: RealService) {
  assert.equal(s.status, 'complete', s.statusReason ?? '');
  for (const name of GO_ARTIFACTS) {
    const a = artifact(s, name);
    assert.equal(a?.status, 'ok', `${name}: ${a?.reason}`);
  }
  const meta = JSON.parse(await text(s, 'meta/discovery.json'));
  assert.equal(meta.pprofPort, svc.ports.pprof, 'the pprof port was discovered from the process sockets');
  assert.equal(meta.network.route, 'netns');
  assert.equal(meta.network.netns, svc.container.netns);
  assert.equal(s.goVersion, svc.goVersion);
}

/**
 * The Go classes against the service's own MemStats, with the tool's formulas: the heap arenas hold
 * HeapSys and the stacks carved from them (StackInuse); stacks mapped on their own are StackSys −
 * StackInuse; metadata is MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys and the arena index.
 */
function goClassesAgainstMemStats(report: Report, oracle: ServiceOracle) {
  const cls = new Map((report.memoryClasses ?? []).map((c) => [c.class, c]));
  assert.ok(cls.size > 0, 'report --json carries memoryClasses');
  const m = oracle.memstats;
  for (const k of ['HeapSys', 'StackSys', 'StackInuse', 'MSpanSys', 'MCacheSys', 'BuckHashSys', 'GCSys', 'OtherSys']) assert.ok(m[k] !== undefined, `the service reports ${k}`);
  const expect: [string, number, string][] = [
    ['go-heap', m.HeapSys! + m.StackInuse!, 'HeapSys + StackInuse'],
    ['go-stacks', m.StackSys! - m.StackInuse!, 'StackSys − StackInuse'],
    ['go-metadata', m.MSpanSys! + m.MCacheSys! + m.BuckHashSys! + m.GCSys! + m.OtherSys! + GO_HEAP_INDEX_BYTES, 'MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys + arena index'],
  ];
  for (const [id, runtime, what] of expect) {
    const mapped = cls.get(id)?.mappedBytes ?? 0;
    assert.ok(
      Math.abs(mapped - runtime) <= goTolerance(runtime),
      `${id} ${(mapped / MiB).toFixed(1)} MiB against ${what} ${(runtime / MiB).toFixed(1)} MiB (tolerance ${(goTolerance(runtime) / MiB).toFixed(1)} MiB)`,
    );
  }
}

/**
 * No false claim in the advice, against what the service says itself: a GOMAXPROCS the advice names is the one the
 * runtime runs with; no GOMEMLIMIT is proposed, nor said to be missing, where the runtime has a limit; nothing is "unset".
 */
function adviceAgainstOracle(report: Report, oracle: ServiceOracle) {
  const text = report.recommendations.map((r) => `${r.title}\n${r.change.diff}`).join('\n');
  for (const m of text.matchAll(/\bGOMAXPROCS (\d+) \(/g)) assert.equal(Number(m[1]), oracle.gomaxprocs, `the advice names GOMAXPROCS ${m[1]}: ${m[0]}`);
  const hasLimit = oracle.gomemlimitBytes !== null && Number.isFinite(oracle.gomemlimitBytes);
  if (hasLimit) {
    assert.doesNotMatch(text, /^add GOMEMLIMIT=|^\+GOMEMLIMIT=/m, 'no GOMEMLIMIT is proposed where the runtime has one');
    assert.doesNotMatch(text, /GOMEMLIMIT is not (set|in the environment)/, 'GOMEMLIMIT is not said to be missing where the runtime has one');
  }
  assert.doesNotMatch(text, /\bunset\b/);
}

// --- Caddy: automemlimit and automaxprocs set GOMEMLIMIT and GOMAXPROCS in-process -------------

const CADDY_LIMITS = { memoryMaxBytes: 256 * MiB, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 };
const CADDY_GODEBUG = 'madvdontneed=1,asyncpreemptoff=1,loadstall=1';

test("Caddy v2.11.9 (256 MiB, 0.5 CPU, the issue's GODEBUG): captured through its namespace; its own log and /metrics agree with each other", async (t) => {
  const caddy = await startRealService('caddy', { ...CADDY_LIMITS, env: { GODEBUG: CADDY_GODEBUG } });
  try {
    // The binary links the libraries that set the values in-process.
    const buildInfo = execFileSync(goBinary(), ['version', '-m', caddy.binary], { encoding: 'utf8' });
    assert.match(buildInfo, /^\s+dep\s+github\.com\/KimMachineGun\/automemlimit\s+v/m);
    assert.match(buildInfo, /^\s+dep\s+go\.uber\.org\/automaxprocs\s+v/m);
    // What Caddy says at start, and what its runtime reports.
    const logs = caddy.settingLogLines().join('\n');
    assert.match(logs, /maxprocs: Updating GOMAXPROCS=1: /);
    const memlimit = Number(/"msg":"GOMEMLIMIT is updated","GOMEMLIMIT":(\d+)/.exec(logs)?.[1]);
    assert.equal(memlimit, Math.floor(256 * MiB * 0.9), 'automemlimit: 90% of the cgroup limit');
    await caddy.load({ concurrency: 8, requests: 400 });
    const s = await capture(caddy.pid, { cpuProfileSeconds: 1, traceSeconds: 1 });
    const oracle = await caddy.oracle();
    assert.equal(oracle.gomaxprocs, 1);
    assert.equal(oracle.gomemlimitBytes, memlimit);
    await assertReachedThroughNamespace(s, caddy);
    assert.equal(artifact(s, 'go/trace')?.status, 'ok');
    const report = await reportJson(s.id);

    await t.test('settings: GOMAXPROCS and GOMEMLIMIT are the values Caddy set in-process, from a source stronger than the environment', () => {
      const st = report.settings as Record<string, { value: unknown; source: string }> | undefined;
      assert.ok(st, 'report --json carries settings');
      assert.equal(st.GOMAXPROCS?.value, oracle.gomaxprocs);
      assert.ok(STRONG.includes(st.GOMAXPROCS!.source), st.GOMAXPROCS!.source);
      assert.equal(st.GOMEMLIMIT?.value, oracle.gomemlimitBytes);
      assert.ok(STRONG.includes(st.GOMEMLIMIT!.source), st.GOMEMLIMIT!.source);
      assert.equal(st.GOGC?.value, oracle.gogcPercent);
      const godebug = report.settings!.GODEBUG as Record<string, { value: unknown; source: string }>;
      assert.deepEqual([godebug.madvdontneed?.value, godebug.madvdontneed?.source], ['1', 'environment']);
      assert.deepEqual([godebug.asyncpreemptoff?.value, godebug.asyncpreemptoff?.source], ['1', 'environment']);
    });
    await t.test('advice: no GOMEMLIMIT is proposed (automemlimit set it), and madvdontneed=1 is named redundant since Go 1.16', () => {
      for (const r of report.recommendations) assert.doesNotMatch(r.change.diff, /^(add |\+)GOMEMLIMIT=/m, `${r.id} proposes GOMEMLIMIT although Caddy set it`);
      assert.ok(
        report.recommendations.some((r) => /madvdontneed/.test(`${r.title}\n${r.change.diff}`) && /redundant|default/i.test(`${r.title}\n${r.change.diff}`)),
        'madvdontneed=1 is named as redundant',
      );
    });
    await t.test("memory: the Go classes reconcile with Caddy's MemStats (its /metrics) within the tolerance", () => goClassesAgainstMemStats(report, oracle));
    await t.test('advice: no false claim against what Caddy reports', () => adviceAgainstOracle(report, oracle));
  } finally {
    await caddy.stop();
  }
});

test('Caddy with GOMAXPROCS=8 in its environment: automaxprocs honours it, and the tool says to remove it', async (t) => {
  const caddy = await startRealService('caddy', { ...CADDY_LIMITS, env: { GODEBUG: CADDY_GODEBUG, GOMAXPROCS: '8' } });
  try {
    assert.match(caddy.settingLogLines().join('\n'), /maxprocs: Honoring GOMAXPROCS=\\"8\\" as set in environment/);
    const s = await capture(caddy.pid);
    const oracle = await caddy.oracle();
    assert.equal(oracle.gomaxprocs, 8);
    await assertReachedThroughNamespace(s, caddy);
    const report = await reportJson(s.id);
    await t.test('settings: GOMAXPROCS is 8, and the change removes GOMAXPROCS=8 from the environment', () => {
      const st = report.settings as Record<string, { value: unknown; source: string }> | undefined;
      assert.equal(st?.GOMAXPROCS?.value, 8);
      assert.ok(
        report.recommendations.some((r) => /^remove GOMAXPROCS=8\b/m.test(r.change.diff)),
        `a change removes GOMAXPROCS=8; the changes: ${report.recommendations.map((r) => r.change.diff).join(' | ')}`,
      );
    });
    await t.test('advice: no false claim against what Caddy reports', () => adviceAgainstOracle(report, oracle));
  } finally {
    await caddy.stop();
  }
});

// --- kine: mattn/go-sqlite3 mallocs in C under concurrent gRPC, making glibc arenas -------------

test('kine v0.17.5 (cgo SQLite) under concurrent gRPC load makes glibc malloc arenas; captured through its namespace', async (t) => {
  const kine = await startRealService('kine', { memoryMaxBytes: 512 * MiB, cpuQuotaUs: 100_000, cpuPeriodUs: 100_000 });
  try {
    assert.match(execFileSync(goBinary(), ['version', '-m', kine.binary], { encoding: 'utf8' }), /build\s+CGO_ENABLED=1/);
    const answered = await kine.load({ concurrency: 32, requests: 2000 });
    assert.equal(answered, 2000);
    const arenas = glibcArenas(kine.pid);
    assert.ok(arenas.length >= 1, 'glibc made at least one arena besides the main heap');
    const s = await capture(kine.pid);
    const oracle = await kine.oracle();
    assert.ok(oracle.gomaxprocs !== null && oracle.memstats.HeapSys !== undefined, 'kine reports its runtime on /metrics');
    assert.equal(s.status, 'complete', s.statusReason ?? '');
    assert.equal(artifact(s, 'proc/smaps')?.status, 'ok');

    await t.test('pprof reached through the namespace (a cgo, dynamically linked build is detected as Go)', () => assertReachedThroughNamespace(s, kine));
    const report = await reportJson(s.id);
    await t.test("memory: glibc arenas are c-malloc, never a Go class; the Go classes reconcile with kine's MemStats", () => {
      const cls = new Map((report.memoryClasses ?? []).map((c) => [c.class, c]));
      const cMalloc = cls.get('c-malloc');
      assert.ok(cMalloc, 'a c-malloc class');
      // Each glibc heap is 64 MiB of address space: the rw-p part (mapped) and the ---p rest (reserved). glibc moves
      // the line between them as the heap grows or trims, so the whole is what stays put between the two reads.
      const arenaBytes = arenas.reduce((a, x) => a + x.mappedBytes, 0);
      const arenaRw = arenas.reduce((a, x) => a + x.rwBytes, 0);
      assert.ok(
        cMalloc.mappedBytes + cMalloc.reservedBytes >= arenaBytes,
        `c-malloc ${cMalloc.mappedBytes} mapped + ${cMalloc.reservedBytes} reserved holds the ${arenas.length} arenas' ${arenaBytes} bytes`,
      );
      assert.ok(cMalloc.mappedBytes >= arenaRw / 2, `c-malloc ${cMalloc.mappedBytes} mapped holds most of the arenas' ${arenaRw} rw-p bytes`);
      goClassesAgainstMemStats(report, oracle);
    });
    await t.test("settings: GOMAXPROCS and GOMEMLIMIT as kine's runtime reports them", () => {
      const st = report.settings as Record<string, { value: unknown; source: string }> | undefined;
      assert.equal(st?.GOMAXPROCS?.value, oracle.gomaxprocs);
      assert.equal(st?.GOMEMLIMIT?.value, oracle.gomemlimitBytes === Number.POSITIVE_INFINITY ? null : oracle.gomemlimitBytes);
    });
    await t.test('advice: no false claim against what kine reports', () => adviceAgainstOracle(report, oracle));
  } finally {
    await kine.stop();
  }
});

// --- nats-server: pprof only on the container's loopback --------------------------------------

test("nats-server v2.15.3 with pprof only on the container's loopback: reached through its namespace", async (t) => {
  const nats = await startRealService('nats', { memoryMaxBytes: 256 * MiB, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 });
  try {
    await assert.rejects(fetch(`http://127.0.0.1:${nats.ports.pprof}/debug/pprof/`, { signal: AbortSignal.timeout(3000) }), 'not on the host loopback');
    const s = await capture(nats.pid);
    const oracle = await nats.oracle();
    await assertReachedThroughNamespace(s, nats);
    assert.equal(oracle.gomaxprocs, 2, 'Go 1.25+ under a 0.5 CPU quota: at least 2');
    const report = await reportJson(s.id);
    await t.test('settings: GOMAXPROCS as nats-server reports it on /varz', () => {
      const st = report.settings as Record<string, { value: unknown; source: string }> | undefined;
      assert.equal(st?.GOMAXPROCS?.value, oracle.gomaxprocs);
    });
    await t.test("memory: the Go classes reconcile with nats-server's MemStats (its pprof heap page)", () => goClassesAgainstMemStats(report, oracle));
    await t.test('advice: no false claim against what nats-server reports; GOMAXPROCS 2 is its Go default under 0.5 CPU', () => {
      adviceAgainstOracle(report, oracle);
      assert.ok(!report.recommendations.some((r) => r.id === 'gomaxprocs-above-quota'), 'no GOMAXPROCS advice for the default Go 1.25+ chose');
    });
  } finally {
    await nats.stop();
  }
});

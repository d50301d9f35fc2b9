/**
 * The settings in effect against the lab, with the target as the oracle: a
 * Go service (test/targets/settings) that sets GOMAXPROCS and GOMEMLIMIT
 * the ways real services do (go.uber.org/automaxprocs, KimMachineGun/
 * automemlimit, explicit runtime calls, the environment) in a cgroup of
 * 256 MiB and 0.5 CPU, captured through the real backend over SSH. What
 * `report` says it runs with must equal what the target says about itself:
 * its own client_golang metrics (at a path no capture reads) and its log.
 * Then the ways a metrics endpoint goes wrong (huge, stalled, lying) give a
 * capped, timed, labelled artifact and settings that say so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionDetail } from '../../shared/contract/api';
import type { SessionReport } from '../../shared/analysis/recommendations';
import { parsePrometheusText, promSamples } from '../../shared/parsers/prometheusText';
import { parseExpvar } from '../../shared/parsers/expvar';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { reportOf } from '../../electron/cli/report';
import { createCgroup, type LabCgroup } from '../lab/cgroup';
import { createLab, type Lab } from '../lab/lab';
import { captureLabSession } from '../lab/labCapture';
import { startTarget, type RunningTarget } from '../lab/target';
import { buildInfoBlobOf, buildTarget, type BuiltTarget } from '../lab/targets';

const MiB = 1024 * 1024;
const LIMITS = { memoryMaxBytes: 256 * MiB, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 };
const CADDY_GODEBUG = 'madvdontneed=1,asyncpreemptoff=1,loadstall=1';

let lab: Lab;
let built: BuiltTarget;
const dataDir = mkdtempSync(join(tmpdir(), 'gs-settings-'));
const running: { t: RunningTarget; cgroup: LabCgroup }[] = [];

before(async () => {
  lab = await createLab();
  built = await buildTarget('settings');
});
after(async () => {
  for (const r of running.splice(0)) {
    await r.t.stop().catch(() => undefined);
    await r.cgroup.destroy().catch(() => undefined);
  }
  await lab?.cleanup();
});

async function start(args: string[], env: Record<string, string> = {}): Promise<RunningTarget> {
  const cgroup = await createCgroup(LIMITS);
  try {
    const t = await startTarget({ binary: built.binary, args, env, cgroup });
    running.push({ t, cgroup });
    return t;
  } catch (err) {
    await cgroup.destroy();
    throw err;
  }
}

/** What the target says it runs with: its own metrics, at the oracle path no capture looks at. */
async function oracle(t: RunningTarget): Promise<{ gomaxprocs: number; gomemlimit: number | null; gogc: number | null }> {
  const r = await fetch(`http://${t.pprofAddr}/oracle/metrics`);
  const m = parsePrometheusText(await r.text());
  assert.ok(m.ok);
  const one = (name: string) => promSamples(m.value, name)[0]!.value;
  // runtime/metrics reports no limit as math.MaxInt64 and GOGC=off as a negative percent, both as uint64.
  return {
    gomaxprocs: one('go_sched_gomaxprocs_threads'),
    gomemlimit: one('go_gc_gomemlimit_bytes') >= 9.2e18 ? null : one('go_gc_gomemlimit_bytes'),
    gogc: one('go_gc_gogc_percent') >= 9.2e18 ? null : one('go_gc_gogc_percent'),
  };
}

/**
 * Captures the target and reports on it. Until the capture stores go/buildinfo itself, the
 * binary's build info (the bytes that artifact holds) is given to the report beside the session.
 */
async function capture(t: RunningTarget, opts: { traceSeconds?: number } = {}): Promise<{ report: SessionReport; session: SessionDetail; text: (name: string) => Promise<string> }> {
  const { sessionId, knownHosts } = await captureLabSession(lab, dataDir, { pid: t.pid, stacks: false, ...opts });
  const backend = await createBackend({ dataDir, userKnownHostsFile: knownHosts, agentSocket: '' });
  try {
    const api = inProcessApi(backend);
    const session = await api.call('sessions.open', { sessionId });
    const hasBuildInfo = session.artifacts.some((a) => a.name === 'go/buildinfo' && a.sha256);
    const report = await reportOf(api, session, hasBuildInfo ? {} : { 'go/buildinfo': buildInfoBlobOf(built.binary) });
    const texts = new Map<string, string>();
    for (const a of session.artifacts)
      if (a.sha256 && a.name.startsWith('go/') && !a.name.endsWith('.pb.gz') && a.name !== 'go/trace' && a.name !== 'go/buildinfo')
        texts.set(a.name, (await api.call('artifacts.read', { artifactId: a.id, maxBytes: 16 * MiB })).text);
    return { report, session, text: async (name) => texts.get(name) ?? '' };
  } finally {
    await backend.close();
  }
}

const artifact = (s: SessionDetail, name: string) => s.artifacts.find((a) => a.name === name)!;
const ids = (r: SessionReport) => r.recommendations.map((x) => x.id).sort();

test('automaxprocs and automemlimit in 256 MiB / 0.5 CPU with /metrics: the settings reported equal what the target says, from its runtime metrics; the advice has no false claim', async () => {
  const t = await start(['-automaxprocs', '-automemlimit'], { GODEBUG: CADDY_GODEBUG });
  const self = await oracle(t);
  assert.deepEqual(self, { gomaxprocs: 1, gomemlimit: Math.floor(256 * MiB * 0.9), gogc: 100 }, 'the libraries did what their source says');
  assert.match(t.stderr(), /maxprocs: Updating GOMAXPROCS=1: using minimum allowed GOMAXPROCS/, 'floor(0.5) is 0, raised to its minimum of 1');
  assert.match(t.stderr(), /GOMEMLIMIT is updated.*GOMEMLIMIT=241591910/);
  const { report, session, text } = await capture(t, { traceSeconds: 1 });
  for (const name of ['go/metrics.txt', 'go/expvar.json']) assert.equal(artifact(session, name).status, 'ok', `${name}: ${artifact(session, name).reason}`);
  const s = report.settings;
  assert.deepEqual([s.GOMAXPROCS.effective?.value, s.GOMAXPROCS.effective?.source], [self.gomaxprocs, 'runtime-metrics']);
  assert.deepEqual([s.GOMEMLIMIT.effective?.value, s.GOMEMLIMIT.effective?.source], [self.gomemlimit, 'runtime-metrics']);
  assert.deepEqual([s.GOGC.effective?.value, s.GOGC.effective?.source], [self.gogc, 'runtime-metrics']);
  // The weaker sources agree: the trace, and the libraries' modelled outcome.
  assert.equal(s.GOMAXPROCS.readings.find((r) => r.source === 'trace')?.value, 1);
  assert.equal(s.GOMAXPROCS.readings.find((r) => r.source === 'build-dependency')?.value, 1);
  assert.equal(s.GOMEMLIMIT.readings.find((r) => r.source === 'build-dependency')?.value, self.gomemlimit);
  assert.equal(s.GOMAXPROCS.followsQuota, false);
  assert.equal(report.cpu.gomaxprocs, 1, 'the CPU picture shows the same value');
  const expvar = parseExpvar(await text('go/expvar.json'));
  assert.ok(expvar.ok && expvar.value.memstats!.HeapSys! > 0);
  for (const id of ['gomemlimit-unset', 'gomaxprocs-above-quota', 'gogc-off-no-limit']) assert.ok(!ids(report).includes(id), `${id} is silent; got ${ids(report).join(', ')}`);
  assert.ok(ids(report).includes('godebug-redundant') && ids(report).includes('godebug-no-op'));
  assert.doesNotMatch(report.recommendations.map((r) => `${r.title}\n${r.change.diff}`).join('\n'), /\bunset\b|add GOMEMLIMIT/);
});

test('the Caddy case, GOMAXPROCS=8 in the environment: automaxprocs honours it, the runtime says 8, and the change is "remove GOMAXPROCS=8" with what follows', async () => {
  const t = await start(['-automaxprocs', '-automemlimit'], { GODEBUG: CADDY_GODEBUG, GOMAXPROCS: '8' });
  const self = await oracle(t);
  assert.equal(self.gomaxprocs, 8);
  assert.match(t.stderr(), /maxprocs: Honoring GOMAXPROCS="8" as set in environment/);
  const { report } = await capture(t);
  assert.deepEqual([report.settings.GOMAXPROCS.effective?.value, report.settings.GOMAXPROCS.effective?.source], [8, 'runtime-metrics']);
  assert.equal(report.settings.GOMEMLIMIT.effective?.value, self.gomemlimit);
  const g = report.recommendations.find((r) => r.id === 'gomaxprocs-above-quota');
  assert.ok(g);
  assert.equal(g.change.diff, 'remove GOMAXPROCS=8    # then go.uber.org/automaxprocs v1.6.0 (linked in) sets max(1, floor(quota)) = 1');
  assert.ok(!ids(report).includes('gomemlimit-unset'));
});

test('without a metrics endpoint: the trace gives GOMAXPROCS, the runtime variables give GOMEMLIMIT (automemlimit in the build info agreeing), all equal to what the target says; the missing /metrics is labelled', async () => {
  const t = await start(['-metrics', '', '-automaxprocs', '-automemlimit']);
  const self = await oracle(t);
  const { report, session } = await capture(t, { traceSeconds: 1 });
  const m = artifact(session, 'go/metrics.txt');
  assert.equal(m.status, 'skipped');
  assert.match(m.reason ?? '', /no Prometheus text \/metrics \(client_golang promhttp\) endpoint among the process's listening sockets \(ports tried: \d+\)/);
  const s = report.settings;
  assert.deepEqual([s.GOMAXPROCS.effective?.value, s.GOMAXPROCS.effective?.source], [self.gomaxprocs, 'trace']);
  // The lab logs in as root, so the runtime's own variables are read from /proc/PID/mem: stronger than the build info,
  // which agrees; GOGC is read there too, where only the Go default would speak otherwise.
  assert.deepEqual([s.GOMEMLIMIT.effective?.value, s.GOMEMLIMIT.effective?.source], [self.gomemlimit, 'process-memory']);
  assert.equal(s.GOMEMLIMIT.readings.find((r) => r.source === 'build-dependency')?.value, self.gomemlimit, 'automemlimit in the build info agrees');
  assert.deepEqual([s.GOGC.effective?.value, s.GOGC.effective?.source], [self.gogc, 'process-memory']);
  assert.ok(!ids(report).includes('gomemlimit-unset'));
});

test("values set by runtime calls in the program (runtime.GOMAXPROCS, debug.SetMemoryLimit, debug.SetGCPercent(-1)): reported as the runtime has them, and Go 1.25's updates are off", async () => {
  const t = await start(['-set-gomaxprocs', '3', '-set-memlimit', String(100 * MiB), '-set-gcpercent', '-1']);
  const self = await oracle(t);
  assert.deepEqual(self, { gomaxprocs: 3, gomemlimit: 100 * MiB, gogc: null });
  const { report } = await capture(t);
  const s = report.settings;
  assert.deepEqual([s.GOMAXPROCS.effective?.value, s.GOMEMLIMIT.effective?.value, s.GOGC.effective?.value], [3, 100 * MiB, null]);
  assert.ok([s.GOMAXPROCS, s.GOMEMLIMIT, s.GOGC].every((x) => x.effective?.source === 'runtime-metrics'));
  assert.equal(s.GOMAXPROCS.followsQuota, false);
  assert.match(s.GOMAXPROCS.followsQuotaWhy, /something called runtime\.GOMAXPROCS/);
  const g = report.recommendations.find((r) => r.id === 'gomaxprocs-above-quota');
  assert.ok(g, '3 Ps on 0.5 CPU');
  assert.equal(g.change.kind, 'code');
  assert.ok(!ids(report).includes('gogc-off-no-limit'), 'GOGC off with a 100 MiB limit is a valid setting');
});

test('a metrics endpoint that is huge, one that stalls and one that lies: capped, timed out and labelled; the settings say what they could not use', async () => {
  const huge = await start(['-metrics-mode', 'huge']);
  const h = await capture(huge);
  const ha = artifact(h.session, 'go/metrics.txt');
  assert.equal(ha.status, 'truncated');
  assert.match(ha.reason ?? '', /stopped at the 8 MiB cap/);
  assert.ok(ha.sizeBytes <= 8 * MiB);
  assert.match(h.report.notes.join('\n'), /go\/metrics\.txt is truncated: stopped at the 8 MiB cap: a series after the cut is missing, not absent/);
  assert.notEqual(h.report.settings.GOMAXPROCS.effective?.source, 'runtime-metrics');

  const hang = await start(['-metrics-mode', 'hang']);
  const started = Date.now();
  const g = await capture(hang);
  const ga = artifact(g.session, 'go/metrics.txt');
  assert.equal(ga.status, 'truncated', `${ga.status}: ${ga.reason}`);
  assert.match(ga.reason ?? '', /no complete answer within 10 s \(the endpoint stalled\)/);
  assert.ok(Date.now() - started < 120_000, 'the capture does not wait for the endpoint');
  assert.equal(g.session.status, 'complete');

  const lie = await start(['-metrics-mode', 'lie']);
  const self = await oracle(lie);
  const l = await capture(lie);
  assert.equal(artifact(l.session, 'go/metrics.txt').status, 'ok');
  const s = l.report.settings;
  assert.match(s.GOMAXPROCS.notes.join(' '), /go_sched_gomaxprocs_threads -3 is not a value the runtime can report/);
  assert.match(s.GOGC.notes.join(' '), /ambiguous/);
  assert.notEqual(s.GOMAXPROCS.effective?.value, -3);
  assert.equal(s.GOGC.effective?.value, self.gogc, 'the weaker source stands and is right here');
});

test('gopherscope report --json carries settings as { value, source } per setting', async () => {
  const t = await start(['-automaxprocs', '-automemlimit'], { GODEBUG: CADDY_GODEBUG });
  const { sessionId } = await captureLabSession(lab, dataDir, { pid: t.pid, stacks: false });
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs'), 'report', sessionId, '--json', '--data-dir', dataDir], { maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  assert.equal(out.code, 0, out.stderr);
  type One = { value: unknown; source: string | null; noEffect?: string };
  const doc = JSON.parse(out.stdout) as { settings: { GOMAXPROCS: One; GOMEMLIMIT: One; GOGC: One; GODEBUG: Record<string, One> } };
  assert.deepEqual([doc.settings.GOMAXPROCS.value, doc.settings.GOMAXPROCS.source], [1, 'runtime-metrics']);
  assert.deepEqual([doc.settings.GOMEMLIMIT.value, doc.settings.GOMEMLIMIT.source], [241591910, 'runtime-metrics']);
  assert.deepEqual([doc.settings.GOGC.value, doc.settings.GOGC.source], [100, 'runtime-metrics']);
  assert.deepEqual([doc.settings.GODEBUG.madvdontneed!.value, doc.settings.GODEBUG.madvdontneed!.source], ['1', 'environment']);
  assert.match(doc.settings.GODEBUG.loadstall!.noEffect ?? '', /ignored/);
  const text = await new Promise<string>((resolve) =>
    execFile(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs'), 'report', sessionId, '--data-dir', dataDir], { maxBuffer: 1 << 24 }, (_e, stdout) => resolve(stdout)),
  );
  assert.match(text, /^  GOMAXPROCS: 1 \(runtime metrics: go_sched_gomaxprocs_threads 1/m);
  assert.match(text, /^  GOMEMLIMIT: 241591910 bytes \(230\.4 MiB\) \(runtime metrics/m);
});

/**
 * The rules on top of the settings in effect: every change an edit to the
 * environment against what it has now, no GOMEMLIMIT advice where a
 * stronger source shows a limit, redundant and ignored GODEBUG keys named as
 * such, and pressure from the process's own cgroup apart from the host's.
 * The Caddy case of issue 17 (GODEBUG=madvdontneed=1,asyncpreemptoff=1,
 * loadstall=1 GOMAXPROCS=8 in 256 MiB and 0.5 CPU, automemlimit and
 * automaxprocs linked in) gives only true advice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatherEvidence, type Files } from './evidence';
import { analyzeSession, formatEdit, type Recommendation, type SessionReport } from './recommendations';
import { formatSessionReport } from './reportText';
import { buildInfoBytes, CADDY_ENV, session } from '../../test/support/settingsSession';
import type { TraceSummary } from '../trace/summary';

const CADDY_GODEBUG = CADDY_ENV.GODEBUG;
const metrics = (procs: number, limit: string) =>
  `# TYPE go_gc_gogc_percent gauge\ngo_gc_gogc_percent 100\n# TYPE go_gc_gomemlimit_bytes gauge\ngo_gc_gomemlimit_bytes ${limit}\n# TYPE go_sched_gomaxprocs_threads gauge\ngo_sched_gomaxprocs_threads ${procs}\n`;
const report = (files: Files, goVersion = 'go1.26.8', trace: TraceSummary | null = null) => analyzeSession(gatherEvidence(files, { goVersion, trace }));
const rec = (r: SessionReport, id: string): Recommendation => {
  const x = r.recommendations.find((y) => y.id === id);
  assert.ok(x, `${id} fires; got ${r.recommendations.map((y) => y.id).join(', ')}`);
  return x;
};
const ids = (r: SessionReport) => r.recommendations.map((x) => x.id).sort();
const allText = (r: SessionReport) => r.recommendations.flatMap((x) => [x.title, x.change.diff, x.tradeoff, ...x.evidence.map((e) => `${e.label}: ${e.value}`)]).join('\n');

/** Claims the issue found false in the Caddy case, none of which may appear. */
function assertNoFalseClaim(r: SessionReport): void {
  const text = allText(r);
  assert.doesNotMatch(text, /\bunset\b/i, 'nothing is "unset" where a stronger source says otherwise');
  assert.doesNotMatch(text, /GOMEMLIMIT is not set|add GOMEMLIMIT|\+GOMEMLIMIT/, 'automemlimit sets GOMEMLIMIT: no advice to add one');
  assert.doesNotMatch(text, /^\+/m, 'changes are edits against the environment, not bare additions');
  assert.doesNotMatch(text, /or GOMAXPROCS=\d+ \(ceil\)/);
  for (const x of r.recommendations) {
    if (x.id === 'host-psi') assert.doesNotMatch(x.change.diff, /raise|limit above|lower GOMAXPROCS/i, 'host pressure does not blame the container');
  }
}

test('the Caddy case with GOMAXPROCS=8 and its /metrics: remove GOMAXPROCS=8 (automaxprocs then sets 1), the GODEBUG keys named for what they are, no GOMEMLIMIT advice', () => {
  const r = report(session({ env: { GODEBUG: CADDY_GODEBUG, GOMAXPROCS: '8' }, metrics: metrics(8, '2.4159191e+08') }));
  assertNoFalseClaim(r);
  const g = rec(r, 'gomaxprocs-above-quota');
  assert.match(g.title, /^GOMAXPROCS 8 \(runtime metrics\) is above the CPU quota of 0\.50: GOMAXPROCS=8 in the environment overrides Go 1\.25's container-aware default/);
  assert.equal(g.change.diff, 'remove GOMAXPROCS=8    # then go.uber.org/automaxprocs v1.6.0 (linked in) sets max(1, floor(quota)) = 1');
  assert.deepEqual(g.change.edits, [{ op: 'remove', name: 'GOMAXPROCS', value: '8', why: 'then go.uber.org/automaxprocs v1.6.0 (linked in) sets max(1, floor(quota)) = 1' }]);
  assert.ok(g.evidence.some((e) => e.label === 'GOMAXPROCS in effect (runtime metrics)'));
  assert.equal(rec(r, 'godebug-no-op').change.diff, 'remove loadstall=1 from GODEBUG    # does nothing');
  const red = rec(r, 'godebug-redundant');
  assert.match(red.title, /^GODEBUG madvdontneed=1 is already the default in Go go1\.26\.8: redundant/);
  assert.equal(red.change.diff, 'remove madvdontneed=1 from GODEBUG    # the default already');
  assert.equal(rec(r, 'debug-settings-on').change.diff, 'remove asyncpreemptoff=1 from GODEBUG    # a debugging aid');
  for (const id of ['gomemlimit-unset', 'gogc-off-no-limit', 'lazyfree-rss']) assert.ok(!ids(r).includes(id), `${id} is silent`);
  // The memory waterfall's GOMEMLIMIT line is the runtime's, with its source.
  const line = r.memory.rows.find((x) => x.key === 'gomemlimit')!;
  assert.equal(line.bytes, 241591910);
  assert.match(line.label, /runtime metrics/);
});

test('the Caddy case without /metrics: automemlimit in the build info still answers for GOMEMLIMIT; with GOMAXPROCS=8 removed, no GOMAXPROCS advice', () => {
  const r = report(session({ env: { GODEBUG: CADDY_GODEBUG, GOMAXPROCS: '8' } }));
  assertNoFalseClaim(r);
  assert.equal(r.memory.rows.find((x) => x.key === 'gomemlimit')!.bytes, 241591910);
  assert.match(rec(r, 'gomaxprocs-above-quota').title, /^GOMAXPROCS 8 \(environment\)/);
  const after = report(session({ env: { GODEBUG: CADDY_GODEBUG }, metrics: metrics(1, '2.4159191e+08') }));
  assertNoFalseClaim(after);
  assert.ok(!ids(after).includes('gomaxprocs-above-quota'));
  assert.equal(after.cpu.gomaxprocs, 1);
  assert.equal(after.cpu.gomaxprocsSource, 'runtime-metrics');
  assert.equal(after.cpu.followsQuota, false, 'automaxprocs called runtime.GOMAXPROCS: "follows quota changes" is no');
});

test('GOMEMLIMIT advice only where nothing stronger shows a limit, worded for what is known', () => {
  // Only the environment: it is not there, which is all that can be said.
  const envOnly = report(session({ env: {}, buildInfo: null }));
  const u = rec(envOnly, 'gomemlimit-unset');
  assert.match(u.title, /^GOMEMLIMIT is not in the environment under a 256\.0 MiB container memory limit; nothing in this session shows it set in-process/);
  assert.equal(u.severity, 'info');
  assert.match(u.evidence[1]!.value, /^not in the environment; may be set in-process/);
  assert.match(u.change.diff, /^add GOMEMLIMIT=/);
  assert.doesNotMatch(allText(envOnly), /\bunset\b/);
  // The runtime says there is none: then it is a fact.
  const none = report(session({ env: {}, buildInfo: null, metrics: metrics(2, '9.223372036854776e+18') }));
  assert.match(rec(none, 'gomemlimit-unset').title, /^GOMEMLIMIT is not set \(runtime metrics: no limit\)/);
  // GOMEMLIMIT=off in the environment: the edit changes it rather than adding a second one.
  const off = report(session({ env: { GOMEMLIMIT: 'off' }, buildInfo: null }));
  assert.match(rec(off, 'gomemlimit-unset').change.diff, /^change GOMEMLIMIT=off to GOMEMLIMIT=/);
  // A limit set in-process (process memory) keeps the rule silent even with nothing in the environment.
  const rv = {
    goVersion: 'go1.26.8',
    method: 'symbols',
    gomaxprocs: null,
    memoryLimitBytes: { value: 200 * 1024 * 1024, symbol: 'runtime.gcController.memoryLimit', address: '0x1' },
    gcPercent: null,
    skipped: {},
  };
  assert.ok(!ids(report(session({ env: {}, buildInfo: null, runtimeVars: rv }))).includes('gomemlimit-unset'));
});

test('GOMAXPROCS edits by case: an old Go without the variable gets one value added; a value set in-process is a code change; an old go.mod line is a GODEBUG edit', () => {
  // 8 CPUs allowed, a 0.5-CPU quota: Go 1.24 runs 8 Ps.
  const old = report(session({ env: {}, buildInfo: null, cpus: '0-7' }), 'go1.24.0');
  const g = rec(old, 'gomaxprocs-above-quota');
  assert.match(g.title, /^GOMAXPROCS 8 \(Go default\) is above the CPU quota of 0\.50: Go go1\.24\.0 does not look at the cgroup CPU quota/);
  assert.ok(g.change.diff.startsWith('add GOMAXPROCS=2    # max(2, ceil(quota 0.50))'), g.change.diff);
  assert.doesNotMatch(g.change.diff, /;\s*or GOMAXPROCS=/, 'one value, not two');
  const inProcess = report(session({ env: { GOMAXPROCS: '4' }, buildInfo: null, metrics: metrics(5, '9.223372036854776e+18') }), 'go1.24.0');
  const c = rec(inProcess, 'gomaxprocs-above-quota');
  assert.equal(c.change.kind, 'code');
  assert.match(c.title, /the program sets it in-process \(runtime metrics 5, where the environment and the defaults give 4\)/);
  assert.match(c.change.diff, /^remove GOMAXPROCS=4    # it does not decide the value: a runtime\.GOMAXPROCS call does\nfind the runtime\.GOMAXPROCS\(5\) call/);
  const bi = buildInfoBytes('go1.26.8', 'path\texample.com/app\nbuild\tDefaultGODEBUG=containermaxprocs=0,updatemaxprocs=0\n');
  const oldMod = report(session({ env: {}, buildInfo: bi, cpus: '0-7' }));
  const m = rec(oldMod, 'gomaxprocs-above-quota');
  assert.match(m.title, /containermaxprocs=0 in the binary's DefaultGODEBUG/);
  assert.equal(m.change.diff, "add containermaxprocs=1 to GODEBUG    # Go go1.26.8 then uses min(CPUs, max(2, ceil(quota))) = 2 and follows quota changes; or raise go.mod's go line to 1.25");
});

test('every environment edit reads as one: add, remove, change, and GODEBUG keys', () => {
  assert.equal(formatEdit({ op: 'add', name: 'GOMEMLIMIT', value: '200MiB' }), 'add GOMEMLIMIT=200MiB');
  assert.equal(formatEdit({ op: 'remove', name: 'GOMAXPROCS', value: '8', why: 'x' }), 'remove GOMAXPROCS=8    # x');
  assert.equal(formatEdit({ op: 'change', name: 'GOGC', from: 'off', to: '100' }), 'change GOGC=off to GOGC=100');
  assert.equal(formatEdit({ op: 'godebug', key: 'madvdontneed', from: '0', to: '1' }), 'change madvdontneed=0 to madvdontneed=1 in GODEBUG');
  assert.equal(formatEdit({ op: 'godebug', key: 'disablethp', from: null, to: '1' }), 'add disablethp=1 to GODEBUG');
  assert.equal(formatEdit({ op: 'godebug', key: 'loadstall', from: '1', to: null }), 'remove loadstall=1 from GODEBUG');
});

test('LazyFree with madvdontneed=0 on Go 1.24: remove the key, since DONTNEED is the default there', () => {
  const files = {
    ...session({ env: { GODEBUG: 'madvdontneed=0' }, buildInfo: null }),
    'proc/smaps_rollup': '00400000-7fff00000000 ---p 00000000 00:00 0 [rollup]\nRss: 100000 kB\nPss: 90000 kB\nLazyFree: 40960 kB\n',
  };
  const r = rec(report(files, 'go1.24.0'), 'lazyfree-rss');
  assert.equal(r.change.diff, 'remove madvdontneed=0 from GODEBUG    # Go go1.24.0 releases with MADV_DONTNEED by default');
  assert.match(r.evidence[2]!.label, /GODEBUG madvdontneed in effect \(environment\)/);
});

test("pressure: the process's own cgroup fires high-psi with container advice; host pressure alone fires host-psi, which blames no one in the container", () => {
  const hot = 'some avg10=31.00 avg60=24.50 avg300=12.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  const calm = 'some avg10=0.10 avg60=0.20 avg300=0.30 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  const base = session({ env: {} });
  const hostOnly = report({ ...base, 'system/pressure-cpu': hot, 'cgroup/v2/0/cpu.pressure': calm });
  assertNoFalseClaim(hostOnly);
  assert.ok(!ids(hostOnly).includes('high-psi'));
  const h = rec(hostOnly, 'host-psi');
  assert.match(h.title, /^Host-wide pressure \(every process on the host, not this one alone\)/);
  assert.match(h.change.diff, /^nothing in this process's settings or its container's limits causes host-wide pressure/);
  assert.match(h.evidence.at(-1)!.value, /^this process's own cgroup \(\/gopherscope-lab\/[^)]+\): CPU some avg10 0\.1%, avg60 0\.2%/);
  const own = report({ ...base, 'cgroup/v2/0/cpu.pressure': hot });
  const p = rec(own, 'high-psi');
  assert.match(p.title, /^The process's own cgroup shows tasks stalled: CPU pressure some avg60 24\.5%/);
  assert.equal(p.evidence[0]!.source?.artifact, 'cgroup/');
  assert.match(p.change.diff, /^CPU: this cgroup's tasks wait for CPU under its 0\.50-CPU limit/);
  assert.ok(!ids(own).includes('host-psi'));
});

test('GOGC=off: an environment edit when the environment turned it off; worded by what is known of the limit', () => {
  const r = report(session({ env: { GOGC: 'off' }, buildInfo: null }));
  const g = rec(r, 'gogc-off-no-limit');
  assert.match(g.title, /^GOGC=off and GOMEMLIMIT is not in the environment: unless the program sets a memory limit itself/);
  assert.match(g.change.diff, /^change GOGC=off to GOGC=100    # or keep it and add GOMEMLIMIT below the container limit\n    # the alternative: add GOMEMLIMIT=230MiB/);
  // automemlimit sets a limit: GOGC=off is then a valid setting, no advice.
  assert.ok(!ids(report(session({ env: { GOGC: 'off' } }))).includes('gogc-off-no-limit'));
});

test('report text: each setting with its source, the weaker ones under it, and "unknown" with the reason where no source can say', () => {
  const known = formatSessionReport(report(session({ env: { GODEBUG: CADDY_GODEBUG }, metrics: metrics(1, '2.4159191e+08') })), 'caddy');
  assert.match(
    known,
    /^  GOMAXPROCS: 1 \(runtime metrics: go_sched_gomaxprocs_threads 1 \(\/sched\/gomaxprocs:threads\)\); follows quota changes: no \(go\.uber\.org\/automaxprocs v1\.6\.0 called runtime\.GOMAXPROCS\(1\)/m,
  );
  assert.match(known, /^      build dependency: 1 \(go\.uber\.org\/automaxprocs v1\.6\.0 calls runtime\.GOMAXPROCS\(max\(1, floor\(quota 0\.50\)\)\) = 1/m);
  assert.match(known, /^  GOMEMLIMIT: 241591910 bytes \(230\.4 MiB\) \(runtime metrics: /m);
  assert.match(known, /^  GODEBUG loadstall=1: ignored: no Go release has a GODEBUG setting named loadstall$/m);
  const blind = formatSessionReport(report(session({ env: null, buildInfo: null })), 'blind');
  assert.match(blind, /^  GOMEMLIMIT: unknown: no runtime metrics or process-memory read, and the environment could not be read$/m);
  assert.match(blind, /^  GOGC: unknown: /m);
  assert.match(blind, /^  GOMAXPROCS: unknown/m);
  assert.doesNotMatch(blind, /\bunset\b/);
});

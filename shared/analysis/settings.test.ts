/**
 * The settings in effect and their sources, on real artifacts where there
 * are some (the lab's 256 MiB / 0.5-CPU cgroup files, the settings target's
 * build info with automaxprocs v1.6.0 and automemlimit v1.0.2, a real
 * /metrics) and hand-written ones for what the lab cannot show (the runtime
 * variables read from memory, a metrics endpoint that lies, other library
 * versions, a DefaultGODEBUG that turns containermaxprocs off).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInfoBytes, CADDY_ENV, cgroup256, metricsText, realMetrics, session, MiB } from '../../test/support/settingsSession';
import { gatherEvidence, gatherSettings, type Files } from './evidence';
import { parseGoVersion } from './goKnowledge';
import { automaxprocsOutcome, automemlimitOutcome } from './settingLibraries';
import { describeSetting, settingsJson, type EffectiveSettings, type TraceSettingsFacts } from './settings';

const settingsOf = (files: Files, trace: TraceSettingsFacts | null = null, goVersion = 'go1.26.8'): EffectiveSettings => gatherSettings(files, { goVersion, trace });
const traceWith = (initial: number, ...changes: number[]): TraceSettingsFacts => ({ durationNs: 2e9, gomaxprocs: { initial, changes: changes.map((value, i) => ({ tNs: (i + 1) * 1e8, value })) } });
const sources = <T>(s: { readings: readonly { source: string; value: T }[] }) => s.readings.map((r) => `${r.source}=${r.value}`);

test('the Caddy case with GOMAXPROCS=8: the runtime says 8 (automaxprocs honours the environment) and 241591910 (automemlimit); each weaker source kept as evidence', () => {
  const s = settingsOf(session({ metrics: metricsText('8', '2.4159191e+08', '100') }));
  assert.equal(s.GOMAXPROCS.effective?.value, 8);
  assert.equal(s.GOMAXPROCS.effective?.source, 'runtime-metrics');
  assert.deepEqual(sources(s.GOMAXPROCS), ['runtime-metrics=8', 'environment=8']);
  assert.equal(s.GOMAXPROCS.followsQuota, false);
  assert.match(s.GOMAXPROCS.followsQuotaWhy, /GOMAXPROCS=8 in the environment turns off/);
  assert.match(s.libraries.find((l) => l.path === 'go.uber.org/automaxprocs')!.outcome, /honors GOMAXPROCS=8 from the environment and changes nothing/);
  assert.deepEqual(sources(s.GOMEMLIMIT), ['runtime-metrics=241591910', 'build-dependency=241591910', 'go-default=null']);
  assert.match(s.GOMEMLIMIT.readings[1]!.detail, /debug\.SetMemoryLimit\(268435456 × 0\.9\) = 241591910 bytes/);
  assert.deepEqual(sources(s.GOGC), ['runtime-metrics=100', 'go-default=100']);
  const g = (k: string) => s.GODEBUG.find((x) => x.key === k)!;
  assert.equal(g('madvdontneed').effective?.value, '1');
  assert.match(g('madvdontneed').noEffect!, /^redundant: Go 1\.16\+ release memory with MADV_DONTNEED on Linux/);
  assert.equal(g('loadstall').effective, null, 'an ignored key has no value in effect');
  assert.match(g('loadstall').noEffect!, /^ignored: no Go release has a GODEBUG setting named loadstall/);
  assert.equal(g('asyncpreemptoff').effective?.value, '1');
  assert.equal(g('asyncpreemptoff').noEffect, null);
  assert.equal(g('containermaxprocs').effective?.value, '1', "go 1.26 in go.mod: no DefaultGODEBUG, the release's default");
  const json = settingsJson(s) as Record<string, Record<string, unknown>>;
  assert.deepEqual([json.GOMAXPROCS!.value, json.GOMAXPROCS!.source], [8, 'runtime-metrics']);
  assert.deepEqual([json.GOMEMLIMIT!.value, json.GOMEMLIMIT!.source], [241591910, 'runtime-metrics']);
  assert.deepEqual([json.GOGC!.value, json.GOGC!.source], [100, 'runtime-metrics']);
  const godebug = json.GODEBUG as Record<string, Record<string, unknown>>;
  assert.deepEqual([godebug.madvdontneed!.value, godebug.madvdontneed!.source], ['1', 'environment']);
  assert.deepEqual([godebug.loadstall!.value, godebug.loadstall!.source], [null, null]);
  assert.match(String(godebug.loadstall!.noEffect), /ignored/);
});

test('the same without a metrics endpoint: GOMEMLIMIT comes from automemlimit in the build info, GOGC is the default "not in the environment; may be set in-process"', () => {
  const s = settingsOf(session());
  assert.equal(s.GOMAXPROCS.effective?.source, 'environment');
  assert.equal(s.GOMEMLIMIT.effective?.value, 241591910);
  assert.equal(s.GOMEMLIMIT.effective?.source, 'build-dependency');
  assert.equal(s.GOGC.effective?.source, 'go-default');
  assert.match(describeSetting(s.GOGC), /^100 \(Go default: not in the environment; may be set in-process/);
  assert.equal(s.sourcesRead['runtime-metrics'], 'no metrics endpoint in this session');
});

test("after GOMAXPROCS=8 is removed: automaxprocs sets 1, which the trace shows, and Go 1.25's updates are off", () => {
  const env = { GODEBUG: CADDY_ENV.GODEBUG };
  const s = settingsOf(session({ env }), traceWith(1));
  assert.deepEqual(sources(s.GOMAXPROCS), ['trace=1', 'build-dependency=1', 'go-default=2']);
  assert.match(s.GOMAXPROCS.readings[1]!.detail, /runtime\.GOMAXPROCS\(max\(1, floor\(quota 0\.50\)\)\) = 1/);
  assert.match(s.GOMAXPROCS.readings[2]!.detail, /min\(CPUs 2, max\(2, ceil\(quota 0\.50\)\)\) = 2/);
  assert.equal(s.GOMAXPROCS.followsQuota, false);
  assert.match(s.GOMAXPROCS.followsQuotaWhy, /automaxprocs v1\.6\.0 called runtime\.GOMAXPROCS\(1\) \(the runtime runs with 1, execution trace\), which turns off/);
  // With the real /metrics of the lab target run that way, the runtime source wins and agrees.
  const m = settingsOf(session({ env, metrics: realMetrics }), traceWith(1));
  assert.equal(m.GOMAXPROCS.effective?.source, 'runtime-metrics');
  assert.equal(m.GOMAXPROCS.effective?.value, 1);
  assert.deepEqual(m.GOMAXPROCS.notes, [], 'metrics and trace agree');
});

test('only the environment: nothing is called unset; the default GOMAXPROCS is given only when it does not hang on the unread DefaultGODEBUG', () => {
  const s = settingsOf(session({ env: {}, buildInfo: null }));
  assert.equal(s.GOMEMLIMIT.effective?.source, 'go-default');
  assert.equal(s.GOMEMLIMIT.effective?.value, null);
  assert.match(describeSetting(s.GOMEMLIMIT), /not in the environment; may be set in-process/);
  assert.doesNotMatch(JSON.stringify(settingsJson(s)), /\bunset\b/);
  assert.equal(s.GOMAXPROCS.effective?.value, 2);
  assert.match(s.GOMAXPROCS.effective!.detail, /whether or not the binary's DefaultGODEBUG turns off containermaxprocs/);
  assert.equal(s.GOMAXPROCS.followsQuota, null);
  assert.match(s.GOMAXPROCS.followsQuotaWhy, /depends on the binary's DefaultGODEBUG/);
  // 8 CPUs and a 1.5-CPU quota: 2 with cgroup-aware GOMAXPROCS, 8 without; no guess.
  const quota = { ...cgroup256, 'cgroup/v1-cpu/0/cpu.cfs_quota_us': '150000\n' };
  const wide = settingsOf(session({ env: {}, buildInfo: null, cgroup: quota, cpus: '0-7' }));
  assert.equal(wide.GOMAXPROCS.effective, null);
  assert.match(wide.GOMAXPROCS.notes.join(' '), /default is 2 with cgroup-aware GOMAXPROCS and 8 without; which one depends on the binary's DefaultGODEBUG/);
  assert.match(describeSetting(wide.GOMAXPROCS), /^unknown: /);
  // No environment at all: every setting is unknown, and says why.
  const blind = settingsOf(session({ env: null, buildInfo: null }));
  for (const x of [blind.GOMAXPROCS, blind.GOMEMLIMIT, blind.GOGC]) {
    assert.equal(x.effective, null);
    assert.match(x.notes.join(' '), /environment could not be read/);
  }
});

test('a metrics endpoint that lies: impossible, ambiguous and malformed values are not used, and the weaker sources stand', () => {
  const lie =
    '# TYPE go_sched_gomaxprocs_threads gauge\ngo_sched_gomaxprocs_threads -3\n# TYPE go_gc_gogc_percent gauge\ngo_gc_gogc_percent 100\ngo_gc_gogc_percent 50\n# TYPE go_gc_gomemlimit_bytes gauge\ngo_gc_gomemlimit_bytes{broken="yes 1e6\ngo_gc_gomemlimit_bytes NaN\n';
  const s = settingsOf(session({ metrics: lie }));
  assert.equal(s.GOMAXPROCS.effective?.source, 'environment');
  assert.match(s.GOMAXPROCS.notes.join(' '), /go_sched_gomaxprocs_threads -3 is not a value the runtime can report/);
  assert.equal(s.GOGC.effective?.source, 'go-default');
  assert.match(s.GOGC.notes.join(' '), /go_gc_gogc_percent appears 2 times with different values \(100, 50\): ambiguous/);
  assert.equal(s.GOMEMLIMIT.effective?.source, 'build-dependency');
  assert.match(s.GOMEMLIMIT.notes.join(' '), /go_gc_gomemlimit_bytes NaN/);
  const html = settingsOf(session({ metrics: '<html>404</html>\n' }));
  assert.match(html.sourcesRead['runtime-metrics']!, /is not Prometheus text \(line 1: /);
  const cut = gatherSettings(session({ metrics: realMetrics.slice(0, 200) }), { goVersion: 'go1.26.8', artifactStatus: { 'go/metrics.txt': 'truncated: stopped at the 8 MiB cap' } });
  assert.match(cut.notes.join(' '), /go\/metrics\.txt is truncated: stopped at the 8 MiB cap: a series after the cut is missing, not absent/);
});

test('the runtime variables read from process memory: stronger than libraries and the environment, weaker than runtime metrics, with disagreement said', () => {
  const rv = {
    goVersion: 'go1.26.8',
    method: 'symbols + DWARF',
    gomaxprocs: { value: 3, symbol: 'runtime.gomaxprocs', address: '0x7a1c40' },
    memoryLimitBytes: { value: 100 * MiB, symbol: 'runtime.gcController.memoryLimit', address: '0x7a3a88' },
    gcPercent: { value: 50, symbol: 'runtime.gcController.gcPercent', address: '0x7a3a80' },
    skipped: {},
  };
  const s = settingsOf(session({ runtimeVars: rv }));
  assert.deepEqual([s.GOMAXPROCS.effective?.value, s.GOMAXPROCS.effective?.source], [3, 'process-memory']);
  assert.deepEqual([s.GOMEMLIMIT.effective?.value, s.GOMEMLIMIT.effective?.source], [100 * MiB, 'process-memory']);
  assert.deepEqual([s.GOGC.effective?.value, s.GOGC.effective?.source], [50, 'process-memory']);
  assert.match(s.GOGC.effective!.detail, /runtime\.gcController\.gcPercent at 0x7a3a80 \(symbols \+ DWARF\)/);
  const both = settingsOf(session({ runtimeVars: rv, metrics: metricsText('8', '2.4159191e+08', '100') }));
  assert.equal(both.GOMAXPROCS.effective?.source, 'runtime-metrics');
  assert.match(both.GOMAXPROCS.notes.join(' '), /the runtime's own sources disagree: runtime metrics 8, process memory 3/);
  const off = settingsOf(
    session({ runtimeVars: { ...rv, gcPercent: { ...rv.gcPercent, value: null }, memoryLimitBytes: null, skipped: { memoryLimitBytes: 'the layout of gcController is unknown for go1.27' } } }),
  );
  assert.equal(off.GOGC.effective?.value, null, 'off');
  assert.match(off.GOMEMLIMIT.notes.join(' '), /process memory: the layout of gcController is unknown/);
});

test('GOGC=off and no memory limit as client_golang reports them (a negative int32 and math.MaxInt64, as uint64 floats)', () => {
  const s = settingsOf(session({ env: { GOGC: 'off' }, metrics: metricsText('2', '9.223372036854776e+18', '1.8446744073709552e+19') }));
  assert.deepEqual([s.GOGC.effective?.value, s.GOGC.effective?.source], [null, 'runtime-metrics']);
  assert.deepEqual([s.GOMEMLIMIT.effective?.value, s.GOMEMLIMIT.effective?.source], [null, 'runtime-metrics']);
  assert.equal(describeSetting(s.GOGC).split(' ')[0], 'off');
  // GOGC as the runtime reads it: only "off" exactly, else an integer, else 100.
  assert.equal(settingsOf(session({ env: { GOGC: 'OFF' } })).GOGC.effective?.value, 100);
  assert.equal(settingsOf(session({ env: { GOGC: '-1' } })).GOGC.effective?.value, null);
  assert.equal(
    settingsOf(session({ env: { GOMAXPROCS: 'four' } })).GOMAXPROCS.readings.some((r) => r.source === 'environment'),
    false,
  );
});

test('a DefaultGODEBUG from an old go.mod line turns cgroup-aware GOMAXPROCS off: the default is the CPU count, updates are off, and the same key in the environment is redundant', () => {
  const bi = buildInfoBytes('go1.26.8', 'path\texample.com/app\nmod\texample.com/app\t(devel)\t\nbuild\tDefaultGODEBUG=containermaxprocs=0,updatemaxprocs=0,decoratemappings=0\n');
  const s = settingsOf(session({ env: { GODEBUG: 'containermaxprocs=0' }, buildInfo: bi, cpus: '0-7' }));
  assert.equal(s.GOMAXPROCS.effective?.value, 8);
  assert.equal(s.GOMAXPROCS.followsQuota, false);
  assert.match(s.GOMAXPROCS.followsQuotaWhy, /containermaxprocs=0/);
  const cm = s.GODEBUG.find((g) => g.key === 'containermaxprocs')!;
  assert.match(cm.noEffect!, /^redundant: the binary's DefaultGODEBUG/);
  // go 1.25+ in go.mod: no DefaultGODEBUG entry, the runtime's own default, updates on.
  const modern = settingsOf(
    session({ env: {}, buildInfo: buildInfoBytes('go1.26.8', 'path\texample.com/app\nmod\texample.com/app\t(devel)\t\n'), metrics: metricsText('2', '9.223372036854776e+18', '100') }),
  );
  assert.equal(modern.GOMAXPROCS.followsQuota, true);
  // A runtime value that is not the default: something called runtime.GOMAXPROCS.
  const called = settingsOf(session({ env: {}, buildInfo: buildInfoBytes('go1.26.8', 'path\texample.com/app\n'), metrics: metricsText('3', '9.223372036854776e+18', '100') }));
  assert.equal(called.GOMAXPROCS.followsQuota, false);
  assert.match(called.GOMAXPROCS.followsQuotaWhy, /runs with 3 \(runtime metrics\) where the default is 2: something called runtime\.GOMAXPROCS/);
});

test('the libraries by version and environment, as their source reads', () => {
  const v1 = { ownQuotaCpus: 2.5, version: 'v1' as const };
  assert.deepEqual(automaxprocsOutcome('v1.6.0', undefined, v1), { kind: 'sets', value: 2, why: 'go.uber.org/automaxprocs v1.6.0 calls runtime.GOMAXPROCS(max(1, floor(quota 2.50))) = 2' });
  assert.deepEqual(automaxprocsOutcome('v1.6.0', undefined, { ownQuotaCpus: 0.5, version: 'v2' }), {
    kind: 'sets',
    value: 1,
    why: 'go.uber.org/automaxprocs v1.6.0 calls runtime.GOMAXPROCS(max(1, floor(quota 0.50))) = 1',
  });
  assert.equal(automaxprocsOutcome('v1.4.0', undefined, { ownQuotaCpus: 0.5, version: 'v2' }).kind, 'leaves', 'v1.4 reads cgroup v1 only');
  assert.equal(automaxprocsOutcome('v1.6.0', undefined, { ownQuotaCpus: null, version: 'v1' }).kind, 'leaves');
  assert.equal(automaxprocsOutcome('v1.6.0', '4', v1).kind, 'leaves');
  assert.equal(automaxprocsOutcome('v1.6.0', null, v1).kind, 'unknown', 'the environment unread');
  const mem = { limitBytes: 256 * MiB, path: '/lab' };
  assert.deepEqual(automemlimitOutcome('v1.0.2', { AUTOMEMLIMIT: '0.5' }, mem), {
    kind: 'sets',
    value: 128 * MiB,
    why: 'github.com/KimMachineGun/automemlimit v1.0.2 calls debug.SetMemoryLimit(268435456 × 0.5) = 134217728 bytes (the cgroup limit set by /lab, with AUTOMEMLIMIT=0.5, unless the program passes other options)',
  });
  assert.equal(automemlimitOutcome('v1.0.2', { AUTOMEMLIMIT: 'off' }, mem).kind, 'leaves');
  assert.equal(automemlimitOutcome('v1.0.2', { AUTOMEMLIMIT: ' 0.5' }, mem).kind, 'leaves', 'strconv.ParseFloat takes no spaces: the library errors and leaves the limit');
  assert.equal(automemlimitOutcome('v1.0.2', { GOMEMLIMIT: '1GiB' }, mem).kind, 'leaves');
  assert.equal(automemlimitOutcome('v1.0.2', { GOMEMLIMIT: '' }, mem).kind, 'sets', 'v1 skips only a non-empty GOMEMLIMIT');
  assert.equal(automemlimitOutcome('v0.7.5', { GOMEMLIMIT: '' }, mem).kind, 'leaves', 'v0.7 skips when the variable exists at all');
  const none = automemlimitOutcome('v1.0.2', {}, { limitBytes: null, path: null });
  assert.ok(none.kind === 'sets' && none.value === null, 'no cgroup limit: it sets none (math.MaxInt64)');
  assert.equal(automemlimitOutcome('v0.2.0', {}, mem).kind, 'unknown');
});

test("the trace's GOMAXPROCS is its value at the end, with its changes said", () => {
  const s = settingsOf(session({ env: { GOMAXPROCS: '4' }, buildInfo: null }), traceWith(4, 5, 4, 5), 'go1.24.0');
  assert.deepEqual(sources(s.GOMAXPROCS), ['trace=5', 'environment=4']);
  assert.match(s.GOMAXPROCS.effective!.detail, /changed 3 times during the trace, from 4/);
  assert.equal(s.GOMAXPROCS.followsQuota, false);
  assert.match(s.GOMAXPROCS.followsQuotaWhy, /updates with the CPU limit came in Go 1\.25/);
});

test("the Overview's evidence carries the same settings as the settings alone", () => {
  const files = session({ metrics: realMetrics });
  const e = gatherEvidence(files, { goVersion: 'go1.26.8' });
  assert.deepEqual(settingsJson(e.settings), settingsJson(gatherSettings(files, { goVersion: 'go1.26.8' })));
  assert.equal(parseGoVersion('go1.26.8')!.minor, 26);
});

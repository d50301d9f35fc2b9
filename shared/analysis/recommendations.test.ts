/**
 * The rules the lab cannot drive in a test run (a goroutine waiting ten
 * minutes, a host-wide THP setting, host pressure, a slow trace), each made
 * to fire and kept silent with artifacts in their real formats; the Go
 * knowledge behind the rules; and the rule that no evidence means no advice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeTrace, type TraceSummary } from '../trace/summary';
import { gatherEvidence, type Files } from './evidence';
import { defaultGomaxprocs, godebugKey, parseGoVersion, parseMemLimit } from './goKnowledge';
import { analyzeSession, RULES } from './recommendations';

const ids = (files: Files, goVersion: string | null = 'go1.26.0', trace: TraceSummary | null = null) => analyzeSession(gatherEvidence(files, { goVersion, trace })).recommendations.map((r) => r.id);
const discovery = (goEnv: Record<string, string> | null, pprofPort: number | null = 6060) => JSON.stringify({ isGo: true, goEnv, pprofPort });

test('no evidence, no advice: every rule is silent on an empty session', () => {
  assert.deepEqual(ids({}, null), []);
  assert.deepEqual(ids({}, 'go1.24.0'), []);
  const r = analyzeSession(gatherEvidence({}, { goVersion: 'go1.24.0' }));
  assert.equal(r.health, 'ok');
  assert.ok(
    r.memory.rows.filter((x) => x.kind !== 'line').every((x) => x.bytes === null),
    'the waterfall shows unknowns, not zeros',
  );
  assert.match(r.notes.join(' '), /environment could not be read/);
  assert.equal(new Set(RULES.map((x) => x.id)).size, RULES.length);
});

function dump(n: number, wait: string): string {
  let s = '';
  for (let i = 0; i < n; i++)
    s += `goroutine ${i + 10} [chan receive${wait}]:\nmain.worker(0xc000010000)\n\t/src/app/main.go:41 +0x25\ncreated by main.serve in goroutine 1\n\t/src/app/main.go:30 +0x4f\n\n`;
  return `goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:12 +0x1d\n\n${s}`;
}

test('goroutine leak: 600 goroutines waiting 15 minutes on one stack fire; the same at 2 minutes do not', () => {
  const leak = analyzeSession(gatherEvidence({ 'go/goroutine-debug2.txt': dump(600, ', 15 minutes') }, { goVersion: 'go1.26.0' }));
  const r = leak.recommendations.find((x) => x.id === 'goroutine-leak');
  assert.ok(r);
  assert.match(r.title, /^600 goroutines wait in "chan receive" at main\.worker for up to 15 minutes/);
  assert.match(r.change.diff, /created by main\.serve/);
  assert.equal(r.evidence[0]!.view, 'goroutines');
  assert.ok(!ids({ 'go/goroutine-debug2.txt': dump(600, ', 2 minutes') }).includes('goroutine-leak'));
  assert.ok(!ids({ 'go/goroutine-debug2.txt': dump(100, ', 30 minutes') }).includes('goroutine-leak'));
  assert.ok(ids({ 'go/goroutine-debug2.txt': dump(6000, ', 1 minutes') }).includes('goroutine-leak'), 'thousands for a minute');
  assert.ok(!ids({ 'go/goroutine-debug2.txt': dump(6000, '') }).includes('goroutine-leak'), 'thousands, but under a minute');
});

const thpFiles = (enabled: string, ptes: string, godebug?: string): Files => ({
  'system/thp-enabled': enabled,
  'system/thp-max-ptes-none': ptes,
  'meta/discovery.json': discovery(godebug ? { GODEBUG: godebug } : {}),
});

test('THP: "always" with max_ptes_none > 0 fires for Go 1.21+, with disablethp where it exists; madvise, disablethp=1 or old Go are silent', () => {
  const fire = analyzeSession(gatherEvidence(thpFiles('[always] madvise never\n', '511\n'), { goVersion: 'go1.22.3' })).recommendations.find((x) => x.id === 'thp-overhead');
  assert.ok(fire);
  assert.match(fire.change.diff, /^add disablethp=1 to GODEBUG/);
  const old = analyzeSession(gatherEvidence(thpFiles('[always] madvise never\n', '511\n'), { goVersion: 'go1.21.3' })).recommendations.find((x) => x.id === 'thp-overhead');
  assert.ok(old);
  assert.equal(old.change.kind, 'system');
  assert.match(old.change.diff, /disablethp needs Go 1\.21\.6\+/);
  assert.ok(!ids(thpFiles('always [madvise] never\n', '511\n'), 'go1.22.3').includes('thp-overhead'));
  assert.ok(!ids(thpFiles('[always] madvise never\n', '0\n'), 'go1.22.3').includes('thp-overhead'));
  assert.ok(!ids(thpFiles('[always] madvise never\n', '511\n', 'disablethp=1'), 'go1.22.3').includes('thp-overhead'));
  assert.ok(!ids(thpFiles('[always] madvise never\n', '511\n'), 'go1.20.14').includes('thp-overhead'));
});

test('PSI: host CPU pressure above 10% over a minute fires host-psi, labelled host-wide; a calm host does not', () => {
  const hot = 'some avg10=31.00 avg60=24.50 avg300=12.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  const calm = 'some avg10=1.00 avg60=2.00 avg300=3.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  const r = analyzeSession(gatherEvidence({ 'system/pressure-cpu': hot }, { goVersion: 'go1.26.0' })).recommendations.find((x) => x.id === 'host-psi');
  assert.ok(r);
  assert.match(r.title, /^Host-wide pressure \(every process on the host, not this one alone\): CPU pressure some avg60 24\.5%/);
  assert.equal(r.evidence[0]!.source?.artifact, 'system/pressure-cpu');
  assert.ok(!ids({ 'system/pressure-cpu': hot }).includes('high-psi'), "host pressure is not the container's");
  assert.ok(!ids({ 'system/pressure-cpu': calm }).includes('host-psi'));
  const burst = 'some avg10=40.00 avg60=6.00 avg300=2.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  assert.ok(ids({ 'system/pressure-cpu': burst }).includes('host-psi'), 'ten seconds above 25%');
});

test("trace latency: a trace whose p99 scheduling latency is 20 ms fires; the lab fixture's does not", () => {
  const s = summarizeTrace([new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'trace', 'fixtures', 'go1.26.trace')))]);
  assert.ok(s.ok);
  assert.ok(s.summary.schedLatency.p99Ns < 10e6);
  assert.ok(!ids({}, 'go1.26.0', s.summary).includes('trace-latency'));
  const slow = { ...s.summary, schedLatency: { ...s.summary.schedLatency, p99Ns: 20e6, maxNs: 40e6 } };
  const r = analyzeSession(gatherEvidence({}, { goVersion: 'go1.26.0', trace: slow })).recommendations.find((x) => x.id === 'trace-latency');
  assert.ok(r);
  assert.match(r.title, /scheduling latency p99 20\.00 ms/);
  assert.equal(r.evidence[0]!.view, 'trace');
});

test('GODEBUG keys by version: blog-post keys exist nowhere, new keys not yet, removed keys no longer', () => {
  const v = (s: string) => parseGoVersion(s)!;
  assert.deepEqual(godebugKey('loadstall', v('go1.26.0')), { kind: 'unknown' });
  assert.deepEqual(godebugKey('mallocdetail', v('go1.22.0')), { kind: 'unknown' });
  assert.deepEqual(godebugKey('decoratemappings', v('go1.24.3')), { kind: 'not-yet', since: 25 });
  assert.deepEqual(godebugKey('decoratemappings', v('go1.25.0')), { kind: 'known', where: 'runtime' });
  assert.deepEqual(godebugKey('asynctimerchan', v('go1.27.1')), { kind: 'removed', removed: 27 });
  assert.deepEqual(godebugKey('disablethp', v('go1.21.9')), { kind: 'not-yet', since: 22 });
  assert.deepEqual(godebugKey('http2client', v('go1.20.0')), { kind: 'known', where: 'package' });
  assert.deepEqual(godebugKey('cpu.avx512', v('go1.20.0')), { kind: 'known', where: 'runtime' });
});

test('GOMEMLIMIT values and the default GOMAXPROCS by Go version', () => {
  assert.equal(parseMemLimit('1GiB'), 1024 ** 3);
  assert.equal(parseMemLimit('200MiB'), 200 * 1024 * 1024);
  assert.equal(parseMemLimit('123456'), 123456);
  assert.equal(parseMemLimit('off'), null);
  assert.ok(Number.isNaN(parseMemLimit('1GB')!), 'GB is not a unit the runtime accepts');
  const none = new Map<string, string>();
  assert.equal(defaultGomaxprocs(parseGoVersion('go1.24.0')!, 8, 1.5, none).value, 8);
  assert.equal(defaultGomaxprocs(parseGoVersion('go1.25.0')!, 8, 1.5, none).value, 2);
  assert.equal(defaultGomaxprocs(parseGoVersion('go1.25.0')!, 8, 3.2, none).value, 4);
  assert.equal(defaultGomaxprocs(parseGoVersion('go1.25.0')!, 1, 1, none).value, 1, 'the quota only lowers GOMAXPROCS: a 1-CPU machine stays at 1');
  assert.equal(defaultGomaxprocs(parseGoVersion('go1.26.0')!, 8, 1.5, new Map([['containermaxprocs', '0']])).value, 8);
  assert.equal(defaultGomaxprocs(parseGoVersion('go1.26.0')!, 8, 1.5, new Map([['updatemaxprocs', '0']])).followsQuota, false);
});

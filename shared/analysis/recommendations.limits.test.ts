/**
 * The rules on the container's limits and the process's own counters, fired and kept silent from
 * the lab's real files edited where the condition needs it: a cgroup throttled in 40% of its CFS
 * periods, memory at 95% of its limit or after an OOM kill, a live heap against its GOMEMLIMIT,
 * threads far above GOMAXPROCS, and a Go process without a pprof endpoint. The lab scenarios fire
 * them on real processes where the host can produce the condition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatherEvidence, type Files } from './evidence';
import { analyzeSession, type Recommendation, type SessionReport } from './recommendations';
import { cgroup256, metricsText, MiB, session } from '../../test/support/settingsSession';

const heapText = readFileSync(join(import.meta.dirname, '..', 'parsers', 'fixtures', 'go1.26.heap-debug1.txt'), 'utf8');
const report = (files: Files) => analyzeSession(gatherEvidence(files, { goVersion: 'go1.26.8' }));
const ids = (r: SessionReport) => r.recommendations.map((x) => x.id);
const rec = (r: SessionReport, id: string): Recommendation => {
  const x = r.recommendations.find((y) => y.id === id);
  assert.ok(x, `${id} fires; got ${ids(r).join(', ')}`);
  return x;
};
const CPU_STAT = 'cgroup/v1-cpu/0/cpu.stat';
const MEM_USAGE = 'cgroup/v1-memory/0/memory.usage_in_bytes';
const OOM = 'cgroup/v1-memory/0/memory.oom_control';
/** heap?debug=1's MemStats trailer with HeapAlloc set to the given bytes. */
const heapWith = (heapAlloc: number) => heapText.replace(/^# HeapAlloc = \d+$/m, `# HeapAlloc = ${heapAlloc}`);

test('the fixture holds the lines these tests edit', () => {
  for (const k of [CPU_STAT, MEM_USAGE, OOM]) assert.ok(cgroup256[k], k);
  assert.match(heapText, /^# HeapAlloc = \d+$/m);
});

test('cpu-throttling: 40 of 100 CFS periods throttled fires with cpu.stat as evidence; 2 of 100, or under 20 periods, stays silent', () => {
  const files = (stat: string) => session({ env: {}, metrics: metricsText('2', '9.223372036854776e+18', '100'), cgroup: { ...cgroup256, [CPU_STAT]: stat } });
  const r = report(files('nr_periods 100\nnr_throttled 40\nthrottled_time 2500000000\nnr_bursts 0\nburst_time 0\n'));
  const t = rec(r, 'cpu-throttling');
  assert.equal(t.title, 'The cgroup was throttled in 40.0% of CFS periods');
  assert.equal(t.severity, 'critical');
  assert.deepEqual(
    t.evidence.slice(0, 2).map((e) => [e.label, e.value]),
    [
      ['throttled periods', '40 of 100'],
      ['time throttled', '2.50 s'],
    ],
  );
  assert.equal(t.evidence[0]!.source?.artifact, 'cgroup/');
  assert.ok(!ids(report(files('nr_periods 100\nnr_throttled 2\nthrottled_time 1000000\n'))).includes('cpu-throttling'));
  assert.ok(!ids(report(files('nr_periods 10\nnr_throttled 9\nthrottled_time 1000000\n'))).includes('cpu-throttling'), 'too few periods to say');
});

test('memory-near-limit: usage at 95% of the 256 MiB limit fires; an OOM kill fires as critical even below; 10% stays silent', () => {
  const files = (usage: number, oomKills = 0) => session({ env: {}, cgroup: { ...cgroup256, [MEM_USAGE]: `${usage}\n`, [OOM]: `oom_kill_disable 0\nunder_oom 0\noom_kill ${oomKills}\n` } });
  const near = rec(report(files(Math.round(256 * MiB * 0.95))), 'memory-near-limit');
  assert.equal(near.title, 'Memory is at 95.0% of the container limit');
  assert.equal(near.evidence[0]!.value, '256.0 MiB');
  const oom = rec(report(files(64 * MiB, 3)), 'memory-near-limit');
  assert.equal(oom.severity, 'critical');
  assert.equal(oom.title, 'The cgroup has had 3 OOM kills');
  assert.ok(!ids(report(files(26 * MiB))).includes('memory-near-limit'));
});

test('gomemlimit-near-live-heap: a live heap at 95% of the room GOMEMLIMIT leaves fires with MemStats as evidence; a small heap stays silent', () => {
  const files = (heapAlloc: number) => ({ ...session({ env: {}, metrics: metricsText('2', String(100 * MiB), '100') }), 'go/heap-debug1.txt': heapWith(heapAlloc) });
  const r = report(files(96 * MiB));
  const n = rec(r, 'gomemlimit-near-live-heap');
  assert.match(n.title, /live heap \(96\.0 MiB\)/);
  assert.ok(
    n.evidence.some((e) => e.source?.artifact === 'go/heap-debug1.txt'),
    'the live heap is cited from MemStats',
  );
  assert.ok(!ids(report(files(8 * MiB))).includes('gomemlimit-near-live-heap'));
});

test('threads-above-gomaxprocs: 200 threads for GOMAXPROCS 2 fires; 12 stays silent', () => {
  const files = (threads: number) => {
    const f = session({ env: {}, metrics: metricsText('2', '9.223372036854776e+18', '100') }) as Record<string, string | Uint8Array>;
    f['proc/status'] = `Name:\tcaddy\nThreads:\t${threads}\nCpus_allowed_list:\t0-1\n`;
    return f;
  };
  const t = rec(report(files(200)), 'threads-above-gomaxprocs');
  assert.match(t.title, /^200 OS threads for GOMAXPROCS 2: /);
  assert.deepEqual(
    t.evidence.map((e) => e.label),
    ['threads', 'GOMAXPROCS'],
  );
  assert.ok(!ids(report(files(12))).includes('threads-above-gomaxprocs'));
});

test('no-pprof: a Go process whose listening ports gave no pprof endpoint fires; one with a port, or not Go, stays silent', () => {
  const discovery = (o: object) => ({ ...session({ env: {} }), 'meta/discovery.json': JSON.stringify({ goEnv: {}, ...o }) });
  const n = rec(report(discovery({ isGo: true, pprofPort: null })), 'no-pprof');
  assert.match(n.change.diff, /net\/http\/pprof/);
  assert.ok(!ids(report(discovery({ isGo: true, pprofPort: 6060 }))).includes('no-pprof'));
  assert.ok(!ids(report(discovery({ isGo: false, pprofPort: null }))).includes('no-pprof'));
});

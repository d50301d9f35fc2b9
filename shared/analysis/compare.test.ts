/**
 * Compare on lab-captured artifacts: metric deltas are after minus before
 * with unknowns kept unknown, recommendations sort into resolved, new and
 * kept, goroutine groups are matched by state and functions, and the
 * differential flame graph keeps both sides' values on every frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePprof, pprofFlame } from '../parsers/pprof';
import { compareSessions, diffTrees, sessionUptime } from './compare';
import { gatherEvidence, type Files } from './evidence';
import { analyzeSession } from './recommendations';

const fx = (name: string) => readFileSync(join(import.meta.dirname, '..', 'parsers', 'fixtures', name));
/** main.main's goroutine blocked on its channel, `n` more times: the "after" side has grown a group. */
const grown = (dump: string, n: number) => {
  const block = /^goroutine 1 \[chan receive\]:\n(?:.+\n)+/m.exec(dump)![0];
  let extra = '';
  for (let i = 0; i < n; i++) extra += `\n${block.replace('goroutine 1 ', `goroutine ${100_000 + i} `)}`;
  return dump.trimEnd() + '\n' + extra;
};
const session = (v: 'go1.24' | 'go1.26', goEnv: Record<string, string>, extraGoroutines = 0): { report: ReturnType<typeof analyzeSession>; files: Files } => {
  const files: Files = {
    'go/goroutine-debug2.txt': grown(fx(`${v}.goroutines.txt`).toString('utf8'), extraGoroutines),
    'go/heap-debug1.txt': fx(`${v}.heap-debug1.txt`).toString('utf8'),
    'proc/smaps_rollup': fx(`${v}.smaps_rollup.txt`).toString('utf8'),
    'stacks/native.txt': fx(`${v}.eu-stack.txt`).toString('utf8'),
    'go/cpu.pb.gz': new Uint8Array(fx(`${v}.cpu.pb.gz`)),
    'go/allocs.pb.gz': new Uint8Array(fx(`${v}.allocs.pb.gz`)),
    'meta/discovery.json': JSON.stringify({ isGo: true, goEnv, pprofPort: 6060 }),
    'proc/stat': fx(`${v}.stat.txt`).toString('utf8'),
    'system/uptime': fx(`${v}.uptime.txt`).toString('utf8'),
  };
  return { report: analyzeSession(gatherEvidence(files, { goVersion: `${v}.0` })), files };
};

test('before and after: metrics, recommendations, goroutine and stack groups, differential profiles', () => {
  const before = session('go1.24', { GODEBUG: 'loadstall=1,gctrace=1' });
  const after = session('go1.26', {}, 5);
  const c = compareSessions(before, after);
  const rss = c.metrics.find((m) => m.name === 'RSS')!;
  assert.equal(rss.before, before.report.memory.rssBytes);
  assert.equal(rss.after, after.report.memory.rssBytes);
  assert.equal(c.metrics.find((m) => m.name === 'cgroup memory usage')!.before, null, 'no cgroup files: unknown, not zero');
  assert.deepEqual(c.resolved.map((r) => r.id).sort(), ['debug-settings-on', 'godebug-no-op']);
  assert.deepEqual(c.added, []);
  const g = c.metrics.find((m) => m.name === 'goroutines')!;
  assert.ok(g.before! > 0 && g.after! > 0);
  assert.ok(c.goroutines !== null && c.threads !== null);
  // The two captures are of the same program, so the only group that changed is the one grown above.
  assert.equal(c.goroutines!.length, 1, 'only groups that changed are listed');
  const changed = c.goroutines![0]!;
  assert.equal(changed.after - changed.before, 5);
  assert.match(JSON.stringify(changed), /main\.main/);
  assert.deepEqual(
    c.profiles.map((p) => `${p.artifact} ${p.sampleType}`),
    ['go/allocs.pb.gz alloc_space', 'go/allocs.pb.gz alloc_objects', 'go/cpu.pb.gz cpu'],
  );
  for (const p of c.profiles) {
    assert.equal(p.root.before, p.beforeTotal);
    assert.equal(p.root.after, p.afterTotal);
  }
});

test('cumulative profiles (alloc_space, alloc_objects) are divided by each process uptime; others are compared as captured', () => {
  const before = session('go1.24', {});
  const after = session('go1.26', {});
  const c = compareSessions(before, after);
  const raw = (files: Files, type: string) => {
    const p = parsePprof(files['go/allocs.pb.gz'] as Uint8Array);
    assert.ok(p.ok);
    return pprofFlame(
      p.value,
      p.value.sampleTypes.findIndex((t) => t.type === type),
    ).value;
  };
  const up = (files: Files) => {
    const u = sessionUptime(files);
    assert.ok(u.seconds !== null, u.seconds === null ? u.reason : '');
    return u.seconds;
  };
  for (const type of ['alloc_space', 'alloc_objects']) {
    const d = c.profiles.find((p) => p.sampleType === type)!;
    assert.equal(d.normalization.kind, 'per-second');
    assert.ok(d.normalization.kind === 'per-second' && d.normalization.beforeUptimeSeconds === up(before.files) && d.normalization.afterUptimeSeconds === up(after.files));
    assert.ok(Math.abs(d.beforeTotal - raw(before.files, type) / up(before.files)) <= 1e-6 * d.beforeTotal, `${type} before per second`);
    assert.ok(Math.abs(d.afterTotal - raw(after.files, type) / up(after.files)) <= 1e-6 * d.afterTotal, `${type} after per second`);
    assert.match(d.normalization.kind === 'per-second' ? d.normalization.source : '', /USER_HZ, assumed/);
  }
  assert.deepEqual(c.profiles.find((p) => p.sampleType === 'cpu')!.normalization, { kind: 'as-captured', reason: null });

  // A session captured before system/uptime was read: said, and the values are left as captured.
  const { 'system/uptime': _, ...older } = before.files;
  const o = compareSessions({ report: before.report, files: older }, after).profiles.find((p) => p.sampleType === 'alloc_space')!;
  assert.equal(o.normalization.kind, 'as-captured');
  assert.match(o.normalization.kind === 'as-captured' ? (o.normalization.reason ?? '') : '', /before: no system\/uptime.*not comparable/);
  assert.equal(o.beforeTotal, raw(before.files, 'alloc_space'));
  assert.deepEqual(sessionUptime({ ...before.files, 'system/uptime': 'garbage' }).seconds, null);
});

test('diffTrees keeps frames that exist on one side only, with zero on the other', () => {
  const leaf = (name: string, value: number) => ({ name, value, self: value, children: [] });
  const d = diffTrees({ name: 'all', value: 10, self: 0, children: [leaf('a', 6), leaf('b', 4)] }, { name: 'all', value: 9, self: 0, children: [leaf('a', 2), leaf('c', 7)] });
  assert.deepEqual(
    d.children.map((k) => [k.name, k.before, k.after]),
    [
      ['c', 0, 7],
      ['a', 6, 2],
      ['b', 4, 0],
    ],
  );
});

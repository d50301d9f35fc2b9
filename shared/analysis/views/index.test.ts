/**
 * The views table is the one list of views: the worker builds every row with a builder through
 * it, the session tabs and the evidence links are its rows with a tab, and ARCHITECTURE.md's
 * "How to add a view" names the files that really are touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvidenceItem } from '../recommendations';
import { gatherEvidence } from '../evidence';
import { analyzeSession } from '../recommendations';
import { buildView, SESSION_TABS, VIEWS, viewTransfer, type SessionTab, type ViewId, type ViewModels, type WorkerViewId } from './index';

const root = join(import.meta.dirname, '..', '..', '..');
const fixtures = join(root, 'shared', 'parsers', 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name));

// Compile-time checks: a row that breaks one fails `npm run typecheck`.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;
/** Every row is built by the views worker or is the trace worker's (lane 'trace', no builder). */
assertType<Equal<Exclude<ViewId, WorkerViewId>, { [K in ViewId]: (typeof VIEWS)[K]['lane'] extends 'trace' ? K : never }[ViewId]>>();
/** Evidence links to exactly the session tabs. */
assertType<Equal<NonNullable<EvidenceItem['view']>, SessionTab>>();
/** A row's transfer takes the model its builder returns. */
assertType<{ [K in WorkerViewId]: (typeof VIEWS)[K] extends { readonly transfer: (m: infer M) => unknown } ? (ViewModels[K] extends M ? true : false) : true }[WorkerViewId]>();

/** A session from the lab's fixtures (Go 1.26, a service under load). */
function session(): Record<string, string | Uint8Array> {
  const cgroup = JSON.parse(fixture('go1.26.cgroup.json').toString('utf8')) as { files: Record<string, string> };
  return {
    'proc/smaps': new Uint8Array(fixture('go1.26.smaps.txt')),
    'proc/smaps_rollup': fixture('go1.26.smaps_rollup.txt').toString('utf8'),
    'go/heap-debug1.txt': fixture('go1.26.heap-debug1.txt').toString('utf8'),
    'go/goroutine-debug2.txt': fixture('go1.26.goroutines.txt').toString('utf8'),
    'stacks/native.txt': fixture('go1.26.eu-stack.txt').toString('utf8'),
    'go/cpu.pb.gz': new Uint8Array(fixture('go1.26.cpu.pb.gz')),
    ...cgroup.files,
  };
}

/** What each worker view must show for the session above: one entry per row with a builder (the type demands it). */
const CHECKS: { readonly [K in WorkerViewId]: (files: Record<string, string | Uint8Array>) => void } = {
  overview: (files) => {
    const m = buildView('overview', files, { goVersion: 'go1.26.0' });
    assert.notEqual(m.memory.rows.find((r) => r.key === 'rss')?.bytes ?? null, null, 'the waterfall has the RSS');
  },
  memory: (files) => {
    const m = buildView('memory', files, { isGo: true, goVersion: 'go1.26.0' });
    assert.equal(m.error, null);
    assert.ok(m.table.length > 10);
    assert.equal(viewTransfer('memory', m).length, 10, 'the table columns move by transfer');
  },
  threads: (files) => {
    const m = buildView('threads', files, {});
    assert.equal(m.error, null);
    assert.ok(m.groups.length > 0);
  },
  goroutines: (files) => {
    const m = buildView('goroutines', files, {});
    assert.equal(m.error, null);
    assert.ok(m.total > 0);
  },
  profiles: (files) => {
    const m = buildView('profiles', files, { profile: 'go/cpu.pb.gz' });
    assert.equal(m.error, null);
    assert.ok(m.sampleTypes.length > 0);
    assert.equal(buildView('profiles', files, { profile: 'go/heap.pb.gz' }).error, 'this profile was not captured');
  },
  settings: (files) => {
    const m = buildView('settings', files, { goVersion: 'go1.26.0' });
    assert.ok(m.GOMAXPROCS);
  },
  compare: (files) => {
    const m = buildView('compare', files, { goVersion: 'go1.26.0', goVersionAfter: 'go1.26.0' }, files);
    assert.equal(m.before.health, m.after.health);
    assert.ok(m.metrics.length > 0);
  },
};

test('the worker builds every row with a builder through the table, and only those', () => {
  const files = session();
  const built = (Object.keys(VIEWS) as ViewId[]).filter((id) => VIEWS[id].build !== null);
  assert.deepEqual([...built].sort(), Object.keys(CHECKS).sort());
  for (const id of built) CHECKS[id as WorkerViewId](files);
  for (const id of Object.keys(VIEWS) as ViewId[]) {
    const row = VIEWS[id];
    assert.ok(['views', 'analysis', 'trace'].includes(row.lane), id);
    assert.equal(row.build === null, row.lane === 'trace', `${id}: a row has a builder unless the trace worker builds it`);
  }
  assert.throws(() => buildView('trace' as WorkerViewId, files, {} as never), /not built by the views worker/);
});

test('the session tabs are the rows with a tab, in table order, and an evidence link names one of them', () => {
  assert.deepEqual(
    SESSION_TABS.map(([id]) => id),
    (Object.keys(VIEWS) as ViewId[]).filter((id) => VIEWS[id].tab !== null),
  );
  assert.deepEqual(SESSION_TABS[0], ['overview', 'Overview'], 'a session opens on its first tab, the Overview');
  const tabs = new Set<string>(SESSION_TABS.map(([id]) => id));
  // Every view a rule can link to, as written in the rules…
  const rules = readFileSync(join(root, 'shared', 'analysis', 'recommendations.ts'), 'utf8');
  const named = [...rules.matchAll(/\bview: (?:e\.trace \? )?'(\w+)'(?: : '(\w+)')?/g)].flatMap((m) => [m[1]!, ...(m[2] ? [m[2]] : [])]);
  assert.ok(named.length >= 10, `found ${named.length} evidence links in recommendations.ts`);
  for (const v of named) assert.ok(tabs.has(v), `evidence links to "${v}", which is no tab of the views table`);
  // …and as a session's recommendations carry them (600 goroutines stuck 15 minutes, THP always on).
  let leak = 'goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:12 +0x1d\n\n';
  for (let i = 0; i < 600; i++)
    leak += `goroutine ${i + 10} [chan receive, 15 minutes]:\nmain.worker(0xc000010000)\n\t/src/app/main.go:41 +0x25\ncreated by main.serve in goroutine 1\n\t/src/app/main.go:30 +0x4f\n\n`;
  const files = { ...session(), 'go/goroutine-debug2.txt': leak, 'system/thp-enabled': '[always] madvise never\n', 'system/thp-max-ptes-none': '511\n' };
  const fired = analyzeSession(gatherEvidence(files, { goVersion: 'go1.26.0' }));
  const linked = new Set(fired.recommendations.flatMap((r) => r.evidence.flatMap((e) => (e.view ? [e.view] : []))));
  assert.deepEqual([...linked].sort(), ['goroutines', 'memory']);
  for (const v of linked) assert.ok(tabs.has(v), v);
});

test('no list of views outside the table: the worker and the client name no view, the tabs no label', () => {
  const read = (f: string) => readFileSync(join(root, f), 'utf8');
  for (const f of ['renderer/src/analysis/views.worker.ts', 'renderer/src/analysis/viewsClient.ts']) {
    for (const id of Object.keys(VIEWS)) assert.ok(!new RegExp(`['"]${id}['"]`).test(read(f)), `${f} names the view '${id}'; it should come from the views table`);
  }
  const sessionView = read('renderer/src/views/SessionView.tsx');
  assert.match(sessionView, /SESSION_TABS\.map\(/);
  for (const [, label] of SESSION_TABS) assert.ok(!new RegExp(`['"]${label}['"]`).test(sessionView), `SessionView.tsx names the tab label '${label}'; it should come from the views table`);
  assert.ok(!/type SessionTab =/.test(read('renderer/src/views/session/OverviewView.tsx')), 'OverviewView.tsx takes SessionTab from the views table');
});

test('ARCHITECTURE.md "How to add a view" names the files that are touched, and they exist', () => {
  const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const at = doc.indexOf('### How to add a view');
  assert.ok(at >= 0, 'ARCHITECTURE.md has a "How to add a view" section');
  const paragraph = doc.slice(at, doc.indexOf('\n\n', doc.indexOf('\n', at) + 1));
  const paths = [...paragraph.matchAll(/`((?:shared|renderer)\/[^`\s]+)`/g)].map((m) => m[1]!);
  assert.deepEqual(
    paths.filter((p) => !p.includes('<')),
    ['shared/analysis/views/index.ts', 'renderer/src/views/SessionView.tsx'],
  );
  for (const p of paths) assert.ok(existsSync(join(root, p.includes('<') ? p.slice(0, p.lastIndexOf('/')) : p)), `${p} exists`);
  // Each view file in the folder is a row of the table.
  const table = readFileSync(join(root, 'shared/analysis/views/index.ts'), 'utf8');
  for (const f of readdirSync(import.meta.dirname).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts') && n !== 'index.ts')) {
    assert.match(table, new RegExp(`from '\\./${f.replace(/\.ts$/, '')}'`), `${f} is imported by the table`);
  }
});

/**
 * The sample incident that ships in demo/incident.tar.gz: demo.open imports it into a fresh library
 * through the same checks as any bundle, marks it as the demo, and finds it again the second time;
 * every view of the views table builds content from it; and it is redacted (its redaction record
 * names each credential planted in the target's environment, and no planted value is anywhere in
 * the bundle's bytes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_TAG } from '../../shared/contract/api';
import type { ArtifactFiles } from '../../shared/analysis/artifactContent';
import { buildView, VIEWS, type ViewId } from '../../shared/analysis/views/index';
import { createTimelineReader } from '../../shared/trace/timeline';
import { DEMO_GOMAXPROCS, DEMO_LIMITS, DEMO_PLANTED, readBundle } from '../../test/support/demoIncident';
import { findAppRoot } from './appRoot';
import { createBackend } from './backend';
import { DEMO_NOTES, demoBundleIn } from './demo';
import { inProcessApi } from './inProcess';

const bundle = demoBundleIn(findAppRoot(import.meta.dirname));
/** The views client reads these as bytes (renderer/src/analysis/viewsClient.ts), the rest as text. */
const BINARY = /\.pb\.gz$|^go\/trace$|^go\/buildinfo$/;

async function withDemo<T>(use: (api: ReturnType<typeof inProcessApi>, dir: string) => Promise<T>, demoBundle: string | null = bundle): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-demo-test-'));
  const backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: join(dir, 'kh'), agentSocket: '', ...(demoBundle ? { demoBundle } : {}) });
  try {
    return await use(inProcessApi(backend), dir);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the shipped bundle is small, and demo.open imports it into an empty library as the demo session, once', async () => {
  const size = readFileSync(bundle).length;
  assert.ok(size < 1024 * 1024, `demo/incident.tar.gz is ${size} bytes; the demo should stay well under 1 MiB`);
  await withDemo(async (api) => {
    assert.deepEqual(await api.call('sessions.list', {}), []);
    const first = await api.call('demo.open', {});
    assert.equal(first.alreadyPresent, false);
    const s = await api.call('sessions.open', { sessionId: first.sessionId });
    assert.deepEqual(s.tags, [DEMO_TAG]);
    assert.equal(s.notes, DEMO_NOTES);
    assert.equal(s.status, 'complete');
    assert.ok(s.artifacts.length > 50, `${s.artifacts.length} artifacts`);
    // A user's edit to the demo's marks stays: the second open finds the session and leaves it alone.
    await api.call('sessions.update', { sessionId: first.sessionId, tags: ['demo', 'seen'] });
    const second = await api.call('demo.open', {});
    assert.deepEqual(second, { sessionId: first.sessionId, alreadyPresent: true });
    assert.deepEqual(
      (await api.call('sessions.list', {})).map((x) => [x.id, x.tags]),
      [[first.sessionId, ['demo', 'seen']]],
    );
  });
});

test('a packaged app reads the bundle beside app.asar, where asarUnpack leaves it; a checkout from its folder', () => {
  assert.equal(demoBundleIn('/opt/Gopherscope/resources/app.asar'), '/opt/Gopherscope/resources/app.asar.unpacked/demo/incident.tar.gz');
  assert.equal(demoBundleIn('/home/sre/gopherscope'), '/home/sre/gopherscope/demo/incident.tar.gz');
  assert.equal(demoBundleIn('/home/sre/app.asar-notes'), '/home/sre/app.asar-notes/demo/incident.tar.gz');
});

test('without the bundle, demo.open says what is missing and imports nothing', async () => {
  await withDemo(async (api) => {
    await assert.rejects(api.call('demo.open', {}), (err: Error & { code?: string }) => err.code === 'not-found' && /sample incident bundle is missing/.test(err.message));
    assert.deepEqual(await api.call('sessions.list', {}), []);
  }, '/nonexistent/demo/incident.tar.gz');
  await withDemo(async (api) => {
    await assert.rejects(api.call('demo.open', {}), /started without the sample incident bundle/);
  }, null);
});

/** What each view of the table must show for the demo: one entry per row (the type demands it). */
const CONTENT: { readonly [K in ViewId]: (files: ArtifactFiles, goVersion: string) => void } = {
  overview: (files, goVersion) => {
    const m = buildView('overview', files, { goVersion });
    // The incident the demo is about, found by the rules from the captured evidence.
    const fired = m.recommendations.map((r) => r.id);
    for (const id of ['gomaxprocs-above-quota', 'cpu-throttling', 'gomemlimit-unset', 'goroutine-leak']) assert.ok(fired.includes(id), `${id} fires (fired: ${fired.join(', ')})`);
    assert.equal(m.settings.GOMAXPROCS.effective?.value, DEMO_GOMAXPROCS);
    assert.equal(m.memory.rows.find((r) => r.key === 'cgroup-limit')?.bytes, DEMO_LIMITS.memoryMaxBytes);
    assert.ok(m.memoryClasses && m.memoryClasses.length > 3);
  },
  memory: (files, goVersion) => {
    const m = buildView('memory', files, { isGo: true, goVersion });
    assert.equal(m.error, null);
    assert.ok(m.table.length > 10, `${m.table.length} mappings`);
  },
  threads: (files) => {
    const m = buildView('threads', files, {});
    assert.equal(m.error, null);
    assert.ok(m.groups.length > 0 && m.threads.length > 2);
  },
  goroutines: (files) => {
    const m = buildView('goroutines', files, {});
    assert.equal(m.error, null);
    assert.ok(m.total > 5000, `${m.total} goroutines`);
    assert.ok(
      m.groups.some((g) => g.count >= 5000 && g.frames.some((f) => f.func === 'main.leakedWorker')),
      'the leaked goroutines are one group',
    );
  },
  profiles: (files) => {
    for (const profile of ['go/cpu.pb.gz', 'go/allocs.pb.gz']) {
      const m = buildView('profiles', files, { profile });
      assert.equal(m.error, null, profile);
      assert.ok(m.total > 0 && m.top.length > 0 && m.flame, `${profile} has samples`);
    }
  },
  trace: (files) => {
    const reader = createTimelineReader();
    reader.push(files['go/trace'] as Uint8Array);
    const overview = reader.finish();
    assert.equal(overview.error, null);
    assert.ok(overview.lanes.length > 2 && overview.lastNs > overview.firstNs, `${overview.lanes.length} lanes`);
  },
  settings: (files, goVersion) => {
    const m = buildView('settings', files, { goVersion });
    assert.equal(m.GOMAXPROCS.effective?.value, DEMO_GOMAXPROCS);
    assert.notEqual(m.GOMAXPROCS.effective?.source, 'go-default');
  },
  compare: (files, goVersion) => {
    const m = buildView('compare', files, { goVersion, goVersionAfter: goVersion }, files);
    assert.ok(m.metrics.length > 0);
  },
};

test('every view of the views table has content for the demo session', async () => {
  await withDemo(async (api) => {
    const { sessionId } = await api.call('demo.open', {});
    const s = await api.call('sessions.open', { sessionId });
    const files: Record<string, string | Uint8Array> = {};
    for (const a of s.artifacts) {
      if (!a.sha256) continue;
      const r = await api.call('artifacts.read', { artifactId: a.id, maxBytes: 64 * 1024 * 1024, encoding: 'base64' });
      const bytes = Buffer.from(r.text, 'base64');
      files[a.name] = BINARY.test(a.name) ? new Uint8Array(bytes) : bytes.toString('utf8');
    }
    assert.deepEqual(Object.keys(CONTENT).sort(), Object.keys(VIEWS).sort());
    for (const id of Object.keys(VIEWS) as ViewId[]) CONTENT[id](files, s.goVersion!);
  });
});

test('the shipped bundle is redacted: a record for each planted credential, and none of their values anywhere in it', () => {
  const { tar, manifest } = readBundle(bundle);
  for (const p of DEMO_PLANTED) {
    assert.ok(
      manifest.redactions.some((r) => r.artifact === 'proc/environ' && r.key === p.name),
      `the redaction record names ${p.name}`,
    );
    assert.equal(tar.indexOf(p.secret), -1, `${p.name}'s secret is in the bundle`);
  }
  assert.match(tar.toString('latin1'), /DATABASE_URL=\[REDACTED:url-credentials\]/);
});

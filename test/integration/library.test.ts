/** The session library at 1,000 sessions, in a real SQLite file: lists and filters instantly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { Store } from '../../electron/core/store';

test('1,000 sessions: filter by host, process, tag, notes text and date in well under a frame budget', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-library-'));
  const store = await Store.open(dir);
  const hosts = ['prod-api-1', 'prod-api-2', 'batch-7', 'edge-3'];
  const procs = ['api-server', 'worker', 'ingest', 'gateway', 'scheduler'];
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const id = await store.beginSession({ hostId: null, hostLabel: hosts[i % 4]!, pid: 1000 + i, processName: procs[i % 5]!, goVersion: i % 3 ? 'go1.26.8' : 'go1.24.0' });
    await store.addArtifact(id, { name: 'proc/status', status: 'ok', reason: null, sizeBytes: 10, durationMs: 1, sha256: null });
    await store.finishSession(id, i % 10 === 0 ? 'partial' : 'complete', null, []);
    ids.push(id);
  }
  await store.updateSession(ids[123]!, { notes: 'OOM kill at 03:12, heap grew after deploy 4f2a', tags: ['incident-42', 'oom'] });
  await store.updateSession(ids[456]!, { tags: ['incident-42'] });
  await store.close();

  const backend = await createBackend({ dataDir: dir, userKnownHostsFile: join(dir, 'none'), agentSocket: '' });
  const api = inProcessApi(backend);
  try {
    const timed = async (filter: Record<string, unknown>) => {
      const t0 = performance.now();
      const r = await api.call('sessions.list', filter);
      return { r, ms: performance.now() - t0 };
    };
    const all = await timed({});
    assert.equal(all.r.length, 1000);
    const host = await timed({ host: 'batch-7' });
    assert.equal(host.r.length, 250);
    assert.ok(host.r.every((s) => s.hostLabel === 'batch-7'));
    const proc = await timed({ process: 'ingest', host: 'prod-api' });
    assert.ok(proc.r.length > 0 && proc.r.every((s) => s.processName === 'ingest' && s.hostLabel.startsWith('prod-api')));
    const tag = await timed({ tag: 'incident-42' });
    assert.deepEqual(tag.r.map((s) => s.id).sort(), [ids[123], ids[456]].sort());
    const text = await timed({ text: 'heap grew' });
    assert.deepEqual(
      text.r.map((s) => s.id),
      [ids[123]],
    );
    assert.deepEqual(text.r[0]!.tags, ['incident-42', 'oom']);
    const pct = await timed({ text: '100%' });
    assert.equal(pct.r.length, 0, 'LIKE wildcards in user text are literal');
    const byVersion = await timed({ text: 'go1.24' });
    assert.equal(byVersion.r.length, 334);
    const future = await timed({ from: '2999-01-01T00:00:00Z' });
    assert.equal(future.r.length, 0);
    for (const [name, t] of Object.entries({ all, host, proc, tag, text, byVersion })) assert.ok(t.ms < 250, `${name} took ${t.ms.toFixed(1)} ms`);
    console.log(`library of 1000: all ${all.ms.toFixed(1)} ms, host ${host.ms.toFixed(1)} ms, tag ${tag.ms.toFixed(1)} ms, text ${text.ms.toFixed(1)} ms`);
  } finally {
    await backend.close();
  }
});

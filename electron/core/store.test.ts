/**
 * The store's mappers against a real SQLite file: each table's row comes back as the contract's
 * model, whichever query read it (openSession, listSessions, getArtifact), and getHost finds one
 * host by its id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../shared/contract/errors';
import { Store } from './store';

async function withStore(run: (store: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-store-'));
  const store = await Store.open(dir);
  try {
    await run(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hostFields = (label: string) => ({
  label,
  hostname: `${label}.example`,
  port: 2222,
  user: 'sre',
  jump: ['bastion:22'],
  strictHostKeyChecking: 'yes' as const,
  identitiesOnly: true,
  useSudo: false,
});

test('getHost by id: the host with every field, and not-found for an id that is not there', async () => {
  await withStore(async (store) => {
    const a = await store.addHost(hostFields('alpha'));
    const b = await store.addHost({ ...hostFields('beta'), identityFile: '/keys/id_ed25519', useSudo: true });
    assert.deepEqual(await store.getHost(b.id), b);
    assert.deepEqual(await store.getHost(a.id), a);
    assert.equal(a.identityFile, undefined);
    assert.deepEqual({ ...b, id: '', createdAt: '' }, { ...hostFields('beta'), identityFile: '/keys/id_ed25519', useSudo: true, id: '', createdAt: '' });
    assert.deepEqual(
      (await store.listHosts()).map((h) => h.label),
      ['alpha', 'beta'],
    );
    await assert.rejects(store.getHost('no-such-id'), (err) => err instanceof ApiError && err.code === 'not-found');
  });
});

test('sessions, artifacts and redactions read back through one mapper each, the same from every query', async () => {
  await withStore(async (store) => {
    const host = await store.addHost(hostFields('gamma'));
    const id = await store.beginSession({ hostId: host.id, hostLabel: host.label, pid: 4242, processName: 'svc', goVersion: 'go1.26.0' });
    const artifactId = await store.addArtifact(id, { name: 'proc/environ', status: 'ok', reason: null, sizeBytes: 12, durationMs: 3, sha256: 'ab'.repeat(32) }, [{ key: 'DB_PASSWORD', rule: 'name' }]);
    await store.finishSession(id, 'partial', 'one missing', [{ name: 'go/trace', status: 'skipped', reason: 'not asked', sizeBytes: 0, durationMs: null, sha256: null }]);
    await store.updateSession(id, { notes: 'after the deploy', tags: ['prod', 'oom', 'prod'] });
    const detail = await store.openSession(id);
    const { artifacts, redactions, ...summary } = detail;
    assert.deepEqual(
      artifacts.map((a) => ({ ...a, id: '' })),
      [
        { id: '', sessionId: id, name: 'go/trace', status: 'skipped', reason: 'not asked', sizeBytes: 0, durationMs: null, sha256: null },
        { id: '', sessionId: id, name: 'proc/environ', status: 'ok', reason: null, sizeBytes: 12, durationMs: 3, sha256: 'ab'.repeat(32) },
      ],
    );
    assert.deepEqual(
      await store.getArtifact(artifactId),
      artifacts.find((a) => a.id === artifactId),
    );
    assert.deepEqual(redactions, [{ artifact: 'proc/environ', key: 'DB_PASSWORD', rule: 'name' }]);
    assert.equal(summary.artifactCount, 2);
    assert.deepEqual(summary.tags, ['oom', 'prod']);
    assert.equal(summary.notes, 'after the deploy');
    assert.equal(summary.status, 'partial');
    assert.equal(summary.statusReason, 'one missing');
    assert.deepEqual(await store.listSessions({ tag: 'oom' }), [summary]);
    await assert.rejects(store.getArtifact('nope'), (err) => err instanceof ApiError && err.code === 'not-found');
  });
});

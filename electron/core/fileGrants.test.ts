/**
 * The page names no file (fileGrants.ts), on a real backend: only handles granted for a method's
 * purpose reach its handler, as the path they stand for; sshConfig.read's identity files go back
 * to the page as handles; hosts come back with the identity file's name only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_HANDLE_PREFIX } from '../../shared/contract/api';
import { createBackend } from './backend';
import type { Backend } from './backendTypes';
import { FileGrants, dispatchFromPage } from './fileGrants';

let dir: string;
let backend: Backend;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-grants-'));
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: join(dir, 'none') });
});
after(async () => backend?.close());

const page = (grants: FileGrants, method: string, input: unknown) => dispatchFromPage(backend.handlers, grants, method, input);
const refusedAsNamed = (r: { ok: boolean; error?: { message: string } }) => !r.ok && /may not name a file/.test(r.error?.message ?? '');

test('a path, an unknown handle, a handle for another purpose or a non-string is refused before any handler runs', async () => {
  const grants = new FileGrants();
  const out = join(dir, 'named.tar.gz');
  const forIdentity = grants.grant(join(dir, 'id'), 'identity-file');
  for (const [method, input] of [
    ['sessions.export', { sessionId: 'x', path: out }],
    ['sessions.export', { sessionId: 'x', path: `${FILE_HANDLE_PREFIX}${'0'.repeat(32)}` }],
    ['sessions.export', { sessionId: 'x', path: forIdentity }],
    ['sessions.import', { path: forIdentity }],
    ['sshConfig.read', { path: 7 }],
    ['hosts.add', { label: 'a', hostname: 'db-1', user: 'sre', identityFile: join(dir, 'id') }],
  ] as const)
    assert.ok(refusedAsNamed(await page(grants, method, input)), `${method} ${JSON.stringify(input)}`);
  assert.ok(!existsSync(out));
  assert.deepEqual(await backend.handlers['hosts.list']({}), []);
});

test('a granted handle reaches its handler as the path; the page gets the name back, never the path', async () => {
  const grants = new FileGrants();
  const key = join(dir, 'id_chosen');
  writeFileSync(key, 'k');
  const added = await page(grants, 'hosts.add', { label: 'b', hostname: 'db-2', user: 'sre', identityFile: grants.grant(key, 'identity-file') });
  assert.deepEqual(added.ok && (added.value as { identityFile: string }).identityFile, 'id_chosen');
  const listed = await page(grants, 'hosts.list', {});
  assert.deepEqual(listed.ok && (listed.value as Array<{ identityFile?: string }>).map((h) => h.identityFile), ['id_chosen']);
  assert.deepEqual(
    (await backend.handlers['hosts.list']({})).map((h) => h.identityFile),
    [key],
  );
  // The export handler runs with the chosen path: it says what is wrong with the session, not the path.
  const exported = await page(grants, 'sessions.export', { sessionId: 'no-such-session', path: grants.grant(join(dir, 'out.tar.gz'), 'export-bundle') });
  assert.equal(exported.ok, false);
  assert.ok(!refusedAsNamed(exported), JSON.stringify(exported));
});

test("sshConfig.read's identity files reach the page as handles that add the host with the path", async () => {
  const grants = new FileGrants();
  const key = join(dir, 'id_from_config');
  const cfg = join(dir, 'ssh_config');
  writeFileSync(cfg, `Host box\n  HostName 10.0.0.9\n  User sre\n  IdentityFile ${key}\n`);
  const read = await page(grants, 'sshConfig.read', { path: grants.grant(cfg, 'ssh-config') });
  assert.ok(read.ok);
  assert.equal((read.value as { path: string }).path, 'ssh_config');
  const [file] = (read.value as { hosts: Array<{ identityFiles: string[] }> }).hosts[0]!.identityFiles;
  assert.ok(file?.startsWith(FILE_HANDLE_PREFIX) && !file.includes(key), file);
  const added = await page(grants, 'hosts.add', { label: 'box', hostname: '10.0.0.9', user: 'sre', identityFile: file });
  assert.ok(added.ok, JSON.stringify(added));
  assert.ok((await backend.handlers['hosts.list']({})).some((h) => h.identityFile === key));
});

test('grants are bounded: the oldest handle is dropped', () => {
  const grants = new FileGrants();
  const first = grants.grant('/a', 'import-bundle');
  for (let i = 0; i < 600; i++) grants.grant(`/b${i}`, 'import-bundle');
  assert.equal(grants.pathOf(first, 'import-bundle'), null);
});

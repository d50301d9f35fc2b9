/**
 * The library on a real full disk: the data folder on a small tmpfs, filled
 * up with a file. A capture that runs out of space ends partial with the
 * reason instead of killing the process, leaves no temporary blob, and the
 * library still opens and reads once the disk is completely full.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../electron/core/sqlite';
import { NODE_CRASH, startCli } from '../lab/cliProcess';
import { createLab, type Lab, type LabTarget } from '../lab/lab';
import { onTeardown } from '../lab/teardown';

let lab: Lab;
let target: LabTarget;
let root: string;
let mnt: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let unmount = () => {};

before(async () => {
  lab = await createLab();
  // 20,000 extra mappings make maps and smaps several MiB: more than the room left below.
  target = await lab.startGoService({ args: ['-goroutines', '3', '-mappings', '20000'] });
  root = mkdtempSync(join(tmpdir(), 'gs-full-disk-'));
  mnt = join(root, 'mnt');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mnt]);
  const unregister = onTeardown(`tmpfs ${mnt}`, () => execFileSync('umount', ['-l', mnt]));
  unmount = () => {
    unregister();
    execFileSync('umount', ['-l', mnt]);
  };
  dataDir = join(mnt, 'data');
  const kh = join(root, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  env = { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: kh, SSH_AUTH_SOCK: '' };
});

after(async () => {
  unmount();
  rmSync(root, { recursive: true, force: true });
  await lab?.cleanup();
});

/** Fills the filesystem with a file, then gives back `leave` bytes of it. */
function fill(name: string, leave: number): void {
  const fd = openSync(join(mnt, name), 'w');
  const block = Buffer.alloc(64 * 1024, 0x5a);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  try {
    for (;;) writeSync(fd, block.subarray(0, 512));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  if (leave > 0) ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leave));
  closeSync(fd);
}

const cli = (...args: string[]) => startCli([...args, '--data-dir', dataDir], env).done;

test('the disk fills up during a capture: the process lives, the session ends partial saying so, no temporary blob is left', async () => {
  const init = await cli('sessions');
  assert.equal(init.code, 0, init.stderr);
  fill('filler-1', 1024 * 1024);
  const r = await cli('capture', `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`, '--pid', String(target.pid), '--identity', lab.sshd.clientKeyPath, '--no-stacks');
  assert.doesNotMatch(r.stderr, NODE_CRASH, `the process did not crash:\n${r.stderr.slice(-3000)}`);
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, /session \S+: partial \(.*(disk|space)/i);
  const db = await Database.open(join(dataDir, 'gopherscope.db'));
  try {
    const s = await db.all<{ status: string; status_reason: string }>('SELECT status, status_reason FROM sessions');
    assert.equal(s.length, 1);
    assert.equal(s[0]!.status, 'partial', `left ${s[0]!.status}`);
    assert.match(s[0]!.status_reason, /full|no space/i);
    const missing = await db.all<{ name: string }>("SELECT name FROM artifacts WHERE reason LIKE 'not captured%'");
    assert.ok(missing.length > 0, 'what was not stored is listed with the reason');
  } finally {
    await db.close();
  }
  const tmp = join(dataDir, 'blobs', 'tmp');
  const left = readdirSync(tmp, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  assert.deepEqual(
    left.map((e) => e.name),
    [],
    'the blob that did not fit was removed',
  );
});

test('on a completely full disk the library still opens: sessions list and a report read the stored artifacts', async () => {
  fill('filler-2', 0);
  const list = await cli('sessions', '--json');
  assert.equal(list.code, 0, list.stderr);
  const sessions = JSON.parse(list.stdout) as Array<{ id: string; status: string; statusReason: string | null }>;
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]!.status, 'partial');
  const report = await cli('report', sessions[0]!.id, '--json');
  assert.doesNotMatch(report.stderr, NODE_CRASH, report.stderr);
  const parsed = JSON.parse(report.stdout) as { memory: { rssBytes: number | null } };
  assert.ok((parsed.memory.rssBytes ?? 0) > 0, 'the report read the stored smaps_rollup');
});

/**
 * One data folder, several real gopherscope processes: opening the library
 * in a second process never marks another process's live capture
 * "interrupted" nor sweeps its temporary blob files; a capture whose process
 * was killed is marked interrupted, and its temporary files swept, by the
 * next process that opens the library.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Database } from '../../electron/core/sqlite';
import { startCli } from '../lab/cliProcess';
import { createLab, type Lab, type LabTarget } from '../lab/lab';

let lab: Lab;
let root: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  lab = await createLab();
  root = mkdtempSync(join(tmpdir(), 'gs-owners-'));
  const kh = join(root, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  env = { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: kh, SSH_AUTH_SOCK: '' };
});

after(async () => {
  rmSync(root, { recursive: true, force: true });
  await lab?.cleanup();
});

const tmpFiles = (dataDir: string) => {
  const tmp = join(dataDir, 'blobs', 'tmp');
  if (!existsSync(tmp)) return [];
  return readdirSync(tmp, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
};

/** Waits until a temporary blob file has existed for `forMs`: the trace being streamed to disk (a busy disk can keep others that long too). */
async function longLivedTmpFile(dataDir: string, deadlineMs: number, forMs = 1000): Promise<string> {
  const seen = new Map<string, number>();
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    for (const f of tmpFiles(dataDir)) {
      const first = seen.get(f) ?? Date.now();
      seen.set(f, first);
      if (Date.now() - first >= forMs) return f;
    }
    if (Date.now() > deadline) throw new Error(`no temporary blob file lived for ${forMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A capture with an execution trace; each test has its own target, as a Go process runs one trace at a time. */
function startCapture(target: LabTarget, dataDir: string, traceSeconds: number) {
  return startCli(
    [
      'capture',
      `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`,
      '--pid',
      String(target.pid),
      '--identity',
      lab.sshd.clientKeyPath,
      '--no-stacks',
      '--trace-seconds',
      String(traceSeconds),
      '--data-dir',
      dataDir,
    ],
    env,
  );
}

test('a second process opening the library during a live capture leaves it capturing, and its temporary files alone', async (t) => {
  const dataDir = join(root, 'live');
  // A trace long enough that the second process (a few seconds to start on a busy machine) reads while it runs.
  const target = await lab.startGoService({ args: ['-goroutines', '50', '-busy', '2'] });
  const a = startCapture(target, dataDir, 25);
  let aExited = false;
  void a.done.then(() => (aExited = true));
  t.after(() => void (aExited || a.child.kill('SIGKILL')));
  const tmp = await longLivedTmpFile(dataDir, 90_000, 3000);
  const b = await startCli(['sessions', '--json', '--data-dir', dataDir], env).done;
  assert.equal(b.code, 0, b.stderr);
  assert.equal(aExited, false, 'the capture was still running when the second process had read the library');
  const seen = JSON.parse(b.stdout) as Array<{ id: string; status: string; statusReason: string | null }>;
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.status, 'capturing', `the second process saw ${seen[0]!.status}: ${seen[0]!.statusReason}`);
  // The file itself may have been committed meanwhile; its folder (the capture's own) must not have been swept.
  assert.ok(existsSync(dirname(tmp)), 'the live capture’s temporary folder is still there');
  const done = await a.done;
  assert.equal(done.code, 0, done.stderr.slice(-2000));
  const db = await Database.open(join(dataDir, 'gopherscope.db'));
  try {
    const s = await db.get<{ status: string; status_reason: string | null }>('SELECT status, status_reason FROM sessions WHERE id=?', [seen[0]!.id]);
    assert.equal(s?.status, 'complete', s?.status_reason ?? '');
    const trace = await db.get<{ status: string; sha256: string | null; size_bytes: number }>("SELECT status, sha256, size_bytes FROM artifacts WHERE name='go/trace'");
    assert.equal(trace?.status, 'ok');
    assert.ok(trace.sha256 && statSync(join(dataDir, 'blobs', trace.sha256.slice(0, 2), trace.sha256.slice(2))).size === trace.size_bytes, 'the trace blob is whole');
  } finally {
    await db.close();
  }
});

test('a capture whose process is killed: the next process marks it interrupted and sweeps its temporary files', async () => {
  const dataDir = join(root, 'killed');
  const target = await lab.startGoService({ args: ['-goroutines', '50', '-busy', '2'] });
  const a = startCapture(target, dataDir, 30);
  await longLivedTmpFile(dataDir, 90_000);
  a.child.kill('SIGKILL');
  const killed = await a.done;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(tmpFiles(dataDir).length > 0, 'the killed capture left a temporary file');
  const b = await startCli(['sessions', '--json', '--data-dir', dataDir], env).done;
  assert.equal(b.code, 0, b.stderr);
  const seen = JSON.parse(b.stdout) as Array<{ status: string; statusReason: string | null }>;
  assert.equal(seen[0]!.status, 'partial');
  assert.match(seen[0]!.statusReason ?? '', /interrupted/);
  assert.deepEqual(tmpFiles(dataDir), [], 'temporary files of the dead process were swept');
});

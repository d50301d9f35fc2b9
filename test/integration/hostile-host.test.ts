/**
 * Captures from a hostile host: a real sshd whose collector output is
 * crafted (test/lab/hostileHost.ts). The CLI runs as its own process, so a
 * crash is a dead process and its peak memory can be read from /proc.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../electron/core/sqlite';
import { NODE_CRASH, startCli } from '../lab/cliProcess';
import { shDone, shFrame, startHostileSshd } from '../lab/hostileHost';
import type { Sshd } from '../lab/sshd';
import { filesUnder, pythonExtract } from '../support/bundleFiles';

const root = mkdtempSync(join(tmpdir(), 'gs-hostile-host-'));
const servers: Sshd[] = [];
after(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

async function hostile(stream: string): Promise<Sshd> {
  const s = await startHostileSshd(stream);
  servers.push(s);
  return s;
}

/** One CLI capture of this test process (a real process the probe can read) from the hostile host. */
async function captureFrom(sshd: Sshd, dataDir: string, ...more: string[]) {
  const kh = join(root, `kh-${sshd.port}`);
  writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
  const run = startCli(['capture', `${sshd.user}@127.0.0.1:${sshd.port}`, '--pid', String(process.pid), '--identity', sshd.clientKeyPath, '--no-stacks', '--data-dir', dataDir, ...more], {
    ...process.env,
    GOPHERSCOPE_USER_KNOWN_HOSTS: kh,
    SSH_AUTH_SOCK: '',
  });
  return run.done;
}

/** The database as the crashed or finished process left it, read without the store's start-up recovery. */
async function rows(dataDir: string) {
  const db = await Database.open(join(dataDir, 'gopherscope.db'));
  try {
    const sessions = await db.all<{ id: string; status: string; status_reason: string | null }>('SELECT id, status, status_reason FROM sessions');
    const artifacts = await db.all<{ name: string; status: string; reason: string | null; sha256: string | null }>('SELECT name, status, reason, sha256 FROM artifacts');
    return { sessions, artifacts };
  } finally {
    await db.close();
  }
}

test('a host that sends the same artifact twice: the backend lives and the session ends partial with the reason', async () => {
  // The sleep keeps the stream open after the second copy, as a host could: the failure must not wait for the end.
  const sshd = await hostile([shFrame('proc/status', 'Name:\tfirst\n'), shFrame('proc/status', 'Name:\tsecond\n'), 'sleep 3', shDone].join('\n'));
  const dataDir = join(root, 'dup');
  const r = await captureFrom(sshd, dataDir);
  assert.doesNotMatch(r.stderr, NODE_CRASH, `the process did not crash:\n${r.stderr.slice(-2000)}`);
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, /session \S+: partial \(.*proc\/status.*twice/);
  const { sessions, artifacts } = await rows(dataDir);
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]!.status, 'partial', `left ${sessions[0]!.status}`);
  assert.match(sessions[0]!.status_reason ?? '', /proc\/status.*twice/);
  assert.equal(artifacts.filter((a) => a.name === 'proc/status').length, 1);
});

const SAFE = /^[a-z0-9_-][a-z0-9_.-]*(\/[a-z0-9_.-]+)*$/;
const isSafe = (name: string) => SAFE.test(name) && !name.split('/').some((s) => s === '.' || s === '..');

test('artifact names with empty, . or .. segments, or absolute, are refused when the frames are read: nothing is stored under them, and the export extracts inside its folder', async () => {
  const bad = ['proc/../../../../../../x', '../x', '/etc/x', 'proc//x', './x', 'proc/.', 'proc/', '..'];
  const sshd = await hostile([shFrame('proc/status', 'Name:\tok\n'), ...bad.map((n) => shFrame(n, `body of ${n}\n`)), shFrame('proc/stat', '1 (ok) S\n'), shDone].join('\n'));
  const dataDir = join(root, 'names');
  const r = await captureFrom(sshd, dataDir);
  assert.doesNotMatch(r.stderr, NODE_CRASH, r.stderr.slice(-2000));
  const { sessions, artifacts } = await rows(dataDir);
  assert.deepEqual(
    artifacts.filter((a) => !isSafe(a.name)).map((a) => a.name),
    [],
    'no row under an unsafe name',
  );
  assert.equal(artifacts.find((a) => a.name === 'proc/stat')?.status, 'ok', 'frames after the refused ones are still read');
  assert.equal(sessions[0]!.status, 'partial');
  assert.match(sessions[0]!.status_reason ?? '', /refused.*name/i);
  // The export of what was stored, extracted by Python's tarfile deep inside a scratch folder whose
  // artifacts/proc exists (as after an earlier extraction), so a member that climbs lands where we can see it.
  const file = join(root, 'names.tar.gz');
  const exp = await startCli(['export', sessions[0]!.id, file, '--data-dir', dataDir], process.env).done;
  assert.equal(exp.code, 0, exp.stderr);
  const scratch = join(root, 'scratch');
  const out = join(scratch, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'out');
  mkdirSync(join(out, 'artifacts', 'proc'), { recursive: true });
  const members = pythonExtract(file, out);
  assert.deepEqual(
    filesUnder(scratch).filter((f) => !f.startsWith('a/b/c/d/e/f/g/out/')),
    [],
    'nothing extracted outside the folder',
  );
  assert.deepEqual(
    members.filter((m) => m !== 'manifest.json' && !(m.startsWith('artifacts/') && isSafe(m.slice('artifacts/'.length)))),
    [],
  );
});

test('700 artifacts of 1 MiB: each is released once stored, and the peak memory of the capturing process stays bounded', { timeout: 600_000 }, async () => {
  const stream = (count: number) =>
    [
      'B=$(head -c 1048576 /dev/urandom | base64)',
      'i=0',
      `while [ $i -lt ${count} ]; do`,
      '  i=$((i+1))',
      `  printf '@@GS1 %s BEGIN task/%s/sched\\n%s\\n@@GS1 %s END task/%s/sched rc=0\\n' "$N" "$i" "$B" "$N" "$i"`,
      'done',
      shDone,
    ].join('\n');
  const small = await captureFrom(await hostile(stream(8)), join(root, 'rss-small'));
  assert.equal(small.code, 0, small.stderr.slice(-2000));
  const big = await captureFrom(await hostile(stream(700)), join(root, 'rss-big'));
  assert.doesNotMatch(big.stderr, NODE_CRASH, big.stderr.slice(-2000));
  const { artifacts, sessions } = await rows(join(root, 'rss-big'));
  // Each 1.35 MiB frame passes task/TID/sched's 64 KiB cap (shared/artifacts/registry.ts): stored truncated, as the registry says.
  const stored = artifacts.filter((a) => a.name.startsWith('task/') && (a.status === 'ok' || a.status === 'truncated')).length;
  const growthMiB = (big.peakRssKiB - small.peakRssKiB) / 1024;
  console.log(
    `peak RSS: 8 × 1 MiB ${(small.peakRssKiB / 1024).toFixed(0)} MiB, 700 × 1 MiB ${(big.peakRssKiB / 1024).toFixed(0)} MiB (+${growthMiB.toFixed(0)} MiB); ${stored} artifacts stored; ${sessions[0]!.status} ${sessions[0]!.status_reason ?? ''}`,
  );
  assert.ok(small.peakRssKiB > 0 && big.peakRssKiB > 0, 'RSS was sampled');
  assert.ok(stored >= 300, `${stored} artifacts stored`);
  assert.ok(growthMiB < 160, `peak RSS grew by ${growthMiB.toFixed(0)} MiB for 700 MiB of artifacts`);
  assert.ok(existsSync(join(root, 'rss-big', 'gopherscope.db')));
});

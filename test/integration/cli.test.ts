/** The gopherscope CLI as a user runs it, against the lab: exit codes, stderr progress, stdout results. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../lab/lab';
import { startSshd, type Sshd } from '../lab/sshd';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');
let lab: Lab;
let bastion: Sshd;
let target: Awaited<ReturnType<Lab['startGoService']>>;
let dataDir: string;
let env: NodeJS.ProcessEnv;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args, '--data-dir', dataDir], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  lab = await createLab();
  bastion = await startSshd();
  appendFileSync(join(lab.sshd.dir, 'authorized_keys'), readFileSync(`${bastion.clientKeyPath}.pub`));
  target = await lab.startGoService({ memoryMaxBytes: 128 * 1024 * 1024, env: { STRIPE_SECRET_KEY: 'sk_live_planted_cli' } });
  dataDir = mkdtempSync(join(tmpdir(), 'gs-cli-'));
  const kh = join(dataDir, 'user_known_hosts');
  writeFileSync(kh, '');
  env = { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: kh, SSH_AUTH_SOCK: '' };
});

after(async () => {
  await bastion?.stop();
  await lab?.cleanup();
});

test('an unknown host key is refused with its fingerprint and the trust command, exit 3', () => {
  const spec = `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`;
  const r = run('ps', spec, '--identity', lab.sshd.clientKeyPath);
  assert.equal(r.code, 3, r.stderr);
  assert.ok(r.stderr.includes(lab.sshd.hostKeyFingerprint));
  assert.match(r.stderr, /gopherscope trust .* --fingerprint SHA256:/);
  const wrong = run('trust', spec, '--identity', lab.sshd.clientKeyPath, '--fingerprint', 'SHA256:AAAA');
  assert.equal(wrong.code, 3);
  const ok = run('trust', spec, '--identity', lab.sshd.clientKeyPath, '--fingerprint', lab.sshd.hostKeyFingerprint);
  assert.equal(ok.code, 0, ok.stderr);
});

test('ps lists processes with Go marks; --json gives the model', () => {
  const spec = `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`;
  const r = run('ps', spec, '--identity', lab.sshd.clientKeyPath);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.trim().startsWith(`${target.pid} `));
  assert.ok(line?.includes(target.goVersion), line);
  const j = run('ps', spec, '--identity', lab.sshd.clientKeyPath, '--json');
  const list = JSON.parse(j.stdout) as Array<{ pid: number; go: { kind: string } }>;
  assert.equal(list.find((p) => p.pid === target.pid)?.go.kind, 'go');
});

test('capture writes a session and an --out file, progress on stderr, secrets redacted; sessions --json lists it', () => {
  const out = join(dataDir, 'capture.json');
  const r = run('capture', `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`, '--identity', lab.sshd.clientKeyPath, '--pid', String(target.pid), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[\d+\/\d+\] proc\//);
  const sessionId = r.stdout.trim();
  const file = readFileSync(out, 'utf8');
  assert.ok(!file.includes('sk_live_planted_cli'));
  assert.match(file, /STRIPE_SECRET_KEY=\[REDACTED:secret-name\]/);
  const list = JSON.parse(run('sessions', '--json').stdout) as Array<{ id: string; status: string }>;
  assert.equal(list.find((s) => s.id === sessionId)?.status, 'complete');
  const gone = run('capture', `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`, '--identity', lab.sshd.clientKeyPath, '--pid', '4000000');
  assert.equal(gone.code, 5);
  assert.match(gone.stderr, /does not exist/);
  assert.equal(run('capture').code, 2);
});

test('--jump goes through a bastion whose key must be trusted first', () => {
  const spec = `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`;
  const jump = `${bastion.user}@127.0.0.1:${bastion.port}`;
  const first = run('ps', spec, '--identity', bastion.clientKeyPath, '--jump', jump);
  assert.equal(first.code, 3);
  assert.match(first.stderr, new RegExp(`host key of 127\\.0\\.0\\.1:${bastion.port} \\(a jump host`));
  assert.match(first.stderr, new RegExp(`--hop 127\\.0\\.0\\.1:${bastion.port}`));
  const trust = run('trust', spec, '--identity', bastion.clientKeyPath, '--jump', jump, '--hop', `127.0.0.1:${bastion.port}`, '--fingerprint', bastion.hostKeyFingerprint);
  assert.equal(trust.code, 0, trust.stderr);
  const r = run('ps', spec, '--identity', bastion.clientKeyPath, '--jump', jump);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /via /);
});

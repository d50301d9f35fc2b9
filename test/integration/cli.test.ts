/** The gopherscope CLI as a user runs it, against the lab: exit codes, stderr progress, stdout results. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { createLab, type Lab } from '../lab/lab';
import { startSshd, type Sshd } from '../lab/sshd';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');
let lab: Lab;
let bastion: Sshd;
let target: Awaited<ReturnType<Lab['startGoService']>>;
let dataDir: string;
let env: NodeJS.ProcessEnv;

function runIn(dir: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args, '--data-dir', dir], { encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const run = (...args: string[]) => runIn(dataDir, args);

/** The artifacts of a session in a library: name, status, size and sha256. */
async function artifactsOf(dir: string, sessionId: string): Promise<string[]> {
  const b = await createBackend({ dataDir: dir });
  try {
    const s = await inProcessApi(b).call('sessions.open', { sessionId });
    return s.artifacts.map((a) => [a.name, a.status, a.sizeBytes, a.sha256].join(' ')).sort();
  } finally {
    await b.close();
  }
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
  // The hint repeats the --data-dir it was given, so the command it prints trusts the right library.
  assert.ok(r.stderr.includes(`--data-dir ${dataDir} --fingerprint`), r.stderr);
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

test('capture writes a session and an --out bundle that import and report read, progress once per artifact, secrets redacted; sessions --json lists it', async () => {
  const out = join(dataDir, 'capture.tar.gz');
  const r = run('capture', `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`, '--identity', lab.sshd.clientKeyPath, '--pid', String(target.pid), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[\d+\/\d+\] proc\//);
  const steps = r.stderr.split('\n').flatMap((l) => /^\[\d+\/\d+\] (.+)$/.exec(l)?.slice(1) ?? []);
  assert.ok(steps.length > 5, r.stderr);
  assert.deepEqual(
    steps.filter((s, i) => steps.indexOf(s) !== i),
    [],
    'a step printed twice',
  );
  const sessionId = r.stdout.trim();
  const file = gunzipSync(readFileSync(out)).toString('latin1');
  assert.ok(file.startsWith('manifest.json'), 'a tar whose first member is the manifest');
  assert.ok(!file.includes('sk_live_planted_cli'));
  assert.match(file, /STRIPE_SECRET_KEY=\[REDACTED:secret-name\]/);
  const list = JSON.parse(run('sessions', '--json').stdout) as Array<{ id: string; status: string; hostLabel: string }>;
  assert.equal(list.find((s) => s.id === sessionId)?.status, 'complete');
  // Labelled as the app's Add host labels a host without a name: its host name.
  assert.equal(list.find((s) => s.id === sessionId)?.hostLabel, '127.0.0.1');

  // The same bundle `export` writes: byte for byte but for the export time in the manifest.
  const exported = join(dataDir, 'export.tar.gz');
  assert.equal(run('export', sessionId, exported).code, 0);
  const strip = (p: string) =>
    gunzipSync(readFileSync(p))
      .toString('latin1')
      .replace(/"exportedAt": "[^"]*"/, '');
  assert.equal(strip(out), strip(exported));

  // Into a fresh library: the same artifacts, and a report.
  const fresh = mkdtempSync(join(tmpdir(), 'gs-cli-import-'));
  const imp = runIn(fresh, ['import', out]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal(imp.stdout.trim(), sessionId);
  assert.deepEqual(await artifactsOf(fresh, sessionId), await artifactsOf(dataDir, sessionId));
  const fromLibrary = JSON.parse(runIn(fresh, ['report', sessionId, '--json']).stdout) as { recommendations: unknown[] };
  const fromFile = runIn(mkdtempSync(join(tmpdir(), 'gs-cli-report-')), ['report', out, '--json']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.deepEqual((JSON.parse(fromFile.stdout) as { recommendations: unknown[] }).recommendations, fromLibrary.recommendations);

  // inspect names the bundle for what it is and says what reads it.
  const ins = run('inspect', out);
  assert.equal(ins.code, 0, ins.stderr);
  assert.match(ins.stdout, /^kind: gopherscope-bundle\n/);
  assert.ok(ins.stdout.includes(`session: ${sessionId} (complete)`), ins.stdout);
  assert.match(ins.stderr, /gopherscope report .*capture\.tar\.gz/);
  const insJson = JSON.parse(run('inspect', out, '--json').stdout) as { kind: string; model: { session: { id: string } } };
  assert.equal(insJson.kind, 'gopherscope-bundle');
  assert.equal(insJson.model.session.id, sessionId);

  const gone = run('capture', `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`, '--identity', lab.sshd.clientKeyPath, '--pid', '4000000');
  assert.equal(gone.code, 5);
  assert.match(gone.stderr, /does not exist/);
  assert.equal(run('capture').code, 2);
});

test('a ~/.ssh/config alias: ps, trust and capture read it as ssh does, and the host is labelled by it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-cli-alias-'));
  const config = join(dir, 'ssh_config');
  writeFileSync(config, ['Host lab-target', '  HostName 127.0.0.1', `  Port ${lab.sshd.port}`, `  User ${lab.sshd.user}`, `  IdentityFile ${lab.sshd.clientKeyPath}`, ''].join('\n'));
  const alias = (...args: string[]) => runIn(dir, args, { GOPHERSCOPE_SSH_CONFIG: config });
  const refused = alias('ps', 'lab-target');
  assert.equal(refused.code, 3, refused.stderr);
  // The printed trust command, run as printed, trusts the key in this library.
  const hint = refused.stderr.split('\n').find((l) => l.trim().startsWith('gopherscope trust '));
  assert.ok(hint?.includes(`${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`) && hint.includes(`--data-dir ${dir}`), refused.stderr);
  const words = hint!.trim().split(/\s+/).slice(1);
  const trusted = spawnSync(process.execPath, [cli, ...words], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(trusted.status, 0, trusted.stderr);
  const ps = alias('ps', 'lab-target');
  assert.equal(ps.code, 0, ps.stderr);
  assert.ok(
    ps.stdout.split('\n').some((l) => l.trim().startsWith(`${target.pid} `)),
    ps.stdout,
  );
  const cap = alias('capture', 'lab-target', '--pid', String(target.pid), '--no-stacks', '--no-process-memory', '--no-mem-probes');
  assert.equal(cap.code, 0, cap.stderr);
  const list = JSON.parse(alias('sessions', '--json').stdout) as Array<{ id: string; hostLabel: string }>;
  assert.equal(list.find((s) => s.id === cap.stdout.trim())?.hostLabel, 'lab-target');
});

test('every command that uses the library shows --data-dir in its help', () => {
  for (const command of ['serve', 'ps', 'capture', 'trust', 'sessions', 'export', 'import', 'report']) {
    const r = spawnSync(process.execPath, [cli, command, '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${command}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`gopherscope ${command} [^\n]*(\n +[^\n]*)*\\[--data-dir DIR\\]`), command);
  }
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

/**
 * The walking skeleton against the real lab: a real sshd on loopback, a real
 * Go service in a real cgroup, a real SQLite file. Nothing is mocked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, type Backend } from '../../electron/core/backend';
import { Database } from '../../electron/core/sqlite';
import { inProcessApi } from '../../electron/core/inProcess';
import { ApiError } from '../../shared/contract/errors';
import type { EventPayload, Host } from '../../shared/contract/api';
import { createLab, type Lab } from '../lab/lab';

const api = (b: Backend) => inProcessApi(b);

const PLANTED = {
  GS_TEST_API_TOKEN: 'planted-token-7f3a9c',
  DATABASE_URL: 'postgres://app:planted-pw-91be@db.internal:5432/prod',
  AWS_ACCESS_KEY_ID: 'AKIA' + 'PLANTEDKEY123456',
};
const PLANTED_VALUES = ['planted-token-7f3a9c', 'planted-pw-91be', 'AKIAPLANTEDKEY123456'];

let lab: Lab;
let target: Awaited<ReturnType<Lab['startGoService']>>;
let dataDir: string;
let userKnownHosts: string;
let backend: Backend;
let host: Host;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

async function waitFinished(b: Backend, captureId: string): Promise<EventPayload<'capture.finished'>> {
  return new Promise((resolve) => {
    const off = b.onEvent((event, payload) => {
      if (event === 'capture.finished' && (payload as EventPayload<'capture.finished'>).captureId === captureId) {
        off();
        resolve(payload as EventPayload<'capture.finished'>);
      }
    });
  });
}

before(async () => {
  lab = await createLab();
  target = await lab.startGoService({
    memoryMaxBytes: 256 * 1024 * 1024,
    cpuQuotaUs: 50_000,
    cpuPeriodUs: 100_000,
    env: { ...PLANTED, GOMAXPROCS: '2', GOMEMLIMIT: '200MiB' },
    args: ['-goroutines', '50', '-heap', '16'],
  });
  dataDir = mkdtempSync(join(tmpdir(), 'gs-data-'));
  userKnownHosts = join(dataDir, '..', `${dataDir.split('/').pop()}-user_known_hosts`);
  writeFileSync(userKnownHosts, '');
  backend = await createBackend({ dataDir, userKnownHostsFile: userKnownHosts });
  host = await api(backend).call('hosts.add', { label: 'lab', hostname: lab.sshd.host, port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
});

after(async () => {
  await backend?.close().catch(() => undefined);
  await lab?.cleanup();
});

test('an unknown host key is refused until trusted, then the connection is made', async () => {
  const first = await api(backend).call('ssh.connect', { hostId: host.id });
  assert.equal(first.status, 'unknown-host-key');
  assert.ok(first.status === 'unknown-host-key');
  assert.equal(first.presented.fingerprint, lab.sshd.hostKeyFingerprint);
  assert.equal(first.presented.keyType, 'ssh-ed25519');
  await api(backend).call('hosts.trustKey', { hostId: host.id, keyBase64: first.presented.keyBase64 });
  const second = await api(backend).call('ssh.connect', { hostId: host.id });
  assert.equal(second.status, 'connected');
  assert.match(readFileSync(join(dataDir, 'known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${lab.sshd.port} ssh-ed25519 `, 'm'));
});

test('the Go target is listed and marked with its real Go version', async () => {
  const list = (await api(backend).call('processes.list', { hostId: host.id })).processes;
  const p = list.find((x) => x.pid === target.pid);
  assert.ok(p, 'target in the list');
  assert.equal(p.go.kind, 'go');
  assert.equal(p.go.goVersion, target.goVersion);
  assert.ok(p.rssKiB !== null && p.rssKiB > 1000, `rss ${p.rssKiB}`);
  assert.ok((p.threads ?? 0) >= 2);
  assert.deepEqual(p.goEnv, { GOMAXPROCS: '2', GOMEMLIMIT: '200MiB' }, 'Go runtime settings from environ, nothing else');
  assert.equal(p.cgroupPath, target.cgroup.relativePath);
  assert.equal(p.container, null, 'a lab cgroup is not a container');
  const self = list.find((x) => x.pid === process.pid);
  assert.equal(self?.go.kind, 'not-go', 'node is not Go');
  // The service's own module version from its build info, beside the Go version.
  assert.ok(p.go.mainModule && p.go.mainVersion, `main module ${p.go.mainModule} ${p.go.mainVersion}`);
  // The lab sshd shares this machine's /proc: kthreadd and its children are kernel threads, which cannot be captured.
  const kthreadd = list.find((x) => x.pid === 2 && x.comm === 'kthreadd');
  const localKthreadd = existsSync('/proc/2/stat') && readFileSync('/proc/2/stat', 'utf8').startsWith('2 (kthreadd)');
  assert.equal(kthreadd !== undefined, localKthreadd, 'kthreadd is listed exactly when this PID namespace shows it');
  if (kthreadd) {
    assert.equal(kthreadd.kernelThread, true);
    assert.ok(
      list.filter((x) => x.ppid === 2).every((x) => x.kernelThread),
      'children of kthreadd',
    );
    await assert.rejects(api(backend).call('capture.start', { hostId: host.id, pid: 2 }), /kernel thread/);
  }
  assert.equal(p.kernelThread, undefined);
  assert.equal(self?.kernelThread, undefined);
});

test('capture stores every artifact, reads the lab cgroup back and redacts planted secrets', async () => {
  const progress: string[] = [];
  const off = backend.onEvent((e, p) => {
    if (e === 'capture.progress') progress.push((p as EventPayload<'capture.progress'>).step);
  });
  const { captureId, sessionId } = await api(backend).call('capture.start', { hostId: host.id, pid: target.pid });
  const fin = await waitFinished(backend, captureId);
  off();
  assert.equal(fin.status, 'complete', fin.reason ?? '');
  assert.ok(progress.length >= 10);
  const s = await api(backend).call('sessions.open', { sessionId });
  assert.equal(s.status, 'complete');
  assert.equal(s.goVersion, target.goVersion);
  const names = s.artifacts.map((a) => a.name).sort();
  for (const n of ['proc/cgroup', 'proc/environ', 'proc/smaps', 'proc/smaps_rollup', 'proc/status']) assert.ok(names.includes(n), n);
  const read = async (name: string) => (await api(backend).call('artifacts.read', { artifactId: s.artifacts.find((a) => a.name === name)!.id })).text;
  for (const a of s.artifacts) {
    if (a.status === 'skipped') assert.ok(a.reason && a.reason.length > 10, `${a.name} says why it was skipped`);
    else assert.equal(a.status, 'ok', `${a.name}: ${a.reason}`);
  }
  // threads, the cgroup path and its ancestors, and the system come with the process files
  assert.ok(
    names.some((n) => /^task\/\d+\/sched$/.test(n)),
    'per-thread sched',
  );
  assert.ok(names.includes('system/meminfo') && names.includes('system/uname'));
  assert.ok(
    names.some((n) => /^cgroup\/(v2|v1-memory)\/0\/path$/.test(n)),
    'the leaf cgroup',
  );
  // the limits the lab set read back from the leaf cgroup
  if (target.cgroup.version === 2) {
    assert.equal((await read('cgroup/v2/0/memory.max')).trim(), String(256 * 1024 * 1024));
    assert.equal((await read('cgroup/v2/0/cpu.max')).trim(), '50000 100000');
  } else {
    assert.equal((await read('cgroup/v1-memory/0/memory.limit_in_bytes')).trim(), String(256 * 1024 * 1024));
    assert.equal((await read('cgroup/v1-cpu/0/cpu.cfs_quota_us')).trim(), '50000');
    assert.equal((await read('cgroup/v1-cpu/0/cpu.cfs_period_us')).trim(), '100000');
  }
  assert.equal(await read(target.cgroup.version === 2 ? 'cgroup/v2/0/path' : 'cgroup/v1-memory/0/path'), target.cgroup.relativePath);

  assert.match(await read('proc/smaps_rollup'), /^Rss:\s+\d+ kB$/m);
  assert.ok((await read('proc/cgroup')).includes(target.cgroup.relativePath), 'cgroup path of the lab');
  const environ = await read('proc/environ');
  assert.match(environ, /^GS_TEST_API_TOKEN=\[REDACTED:secret-name\]$/m);
  assert.match(environ, /^DATABASE_URL=\[REDACTED:url-credentials\]$/m);
  const rules = new Map(s.redactions.map((r) => [r.key, r.rule]));
  assert.equal(rules.get('GS_TEST_API_TOKEN'), 'secret-name');
  assert.equal(rules.get('AWS_ACCESS_KEY_ID'), 'secret-name');
  for (const file of filesUnder(dataDir)) {
    const bytes = readFileSync(file);
    for (const secret of PLANTED_VALUES) assert.equal(bytes.includes(secret), false, `${secret} found in ${file}`);
  }
});

test('sessions persist across a backend restart and read offline', async () => {
  await backend.close();
  backend = await createBackend({ dataDir, userKnownHostsFile: userKnownHosts });
  const list = await api(backend).call('sessions.list', {});
  assert.ok(list.length >= 1);
  const s = await api(backend).call('sessions.open', { sessionId: list[0]!.id });
  const rollup = s.artifacts.find((a) => a.name === 'proc/smaps_rollup')!;
  const text = (await api(backend).call('artifacts.read', { artifactId: rollup.id })).text;
  assert.match(text, /^Rss:/m);
  const reconnect = await api(backend).call('ssh.connect', { hostId: host.id });
  assert.equal(reconnect.status, 'connected', 'the trusted key was stored');
});

test('a vanished PID is a clear error and leaves nothing in the store', async () => {
  const before = (await api(backend).call('sessions.list', {})).length;
  await assert.rejects(
    api(backend).call('capture.start', { hostId: host.id, pid: 4_000_000 }),
    (err: unknown) => err instanceof ApiError && err.code === 'process-gone' && /4000000/.test(err.message),
  );
  assert.equal((await api(backend).call('sessions.list', {})).length, before);
});

test('a changed host key is refused with both fingerprints and the old line', async () => {
  const other = mkdtempSync(join(tmpdir(), 'gs-otherkey-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(other, 'k')]);
  const [type, blob] = readFileSync(join(other, 'k.pub'), 'utf8').split(' ');
  const b2dir = mkdtempSync(join(tmpdir(), 'gs-data2-'));
  const kh = join(b2dir, 'user_known_hosts');
  writeFileSync(kh, `# stale entry\n[127.0.0.1]:${lab.sshd.port} ${type} ${blob}\n`);
  const b2 = await createBackend({ dataDir: b2dir, userKnownHostsFile: kh });
  try {
    const h = await api(b2).call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
    const r = await api(b2).call('ssh.connect', { hostId: h.id });
    assert.equal(r.status, 'changed-host-key');
    assert.ok(r.status === 'changed-host-key');
    assert.equal(r.presented.fingerprint, lab.sshd.hostKeyFingerprint);
    const expectedFp = execFileSync('ssh-keygen', ['-lf', join(other, 'k.pub')], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(r.expected[0]?.fingerprint, expectedFp);
    assert.equal(r.expected[0]?.source, `${kh}:2`);
    // trusting through the app must not override a conflicting user entry silently
    await assert.rejects(api(b2).call('processes.list', { hostId: h.id }), (e: unknown) => e instanceof ApiError && e.code === 'not-connected');
  } finally {
    await b2.close();
  }
});

test('wrong port, auth failure and a key that is not ours give clear errors', async () => {
  const b = backend;
  const closed = await api(b).call('hosts.add', { label: 'nothing', hostname: '127.0.0.1', port: 1, user: 'root', identityFile: lab.sshd.clientKeyPath });
  await assert.rejects(api(b).call('ssh.connect', { hostId: closed.id }), (e: unknown) => e instanceof ApiError && e.code === 'connect-refused' && /refused/.test(e.message));
  const otherKey = mkdtempSync(join(tmpdir(), 'gs-wrongkey-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(otherKey, 'id')]);
  const wrong = await api(b).call('hosts.add', { label: 'wrong key', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: join(otherKey, 'id') });
  await assert.rejects(api(b).call('ssh.connect', { hostId: wrong.id }), (e: unknown) => e instanceof ApiError && e.code === 'auth-failed');
  const missing = await api(b).call('hosts.add', { label: 'no key file', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: '/nonexistent/id' });
  await assert.rejects(api(b).call('ssh.connect', { hostId: missing.id }), (e: unknown) => e instanceof ApiError && e.code === 'auth-failed' && /nonexistent/.test(e.message));
});

test('killing the process mid-capture never leaves a half session shown as complete', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-kill-'));
  // Trust the lab key for the CLI through its own known_hosts file.
  writeFileSync(join(dir, 'known_hosts'), readFileSync(join(dataDir, 'known_hosts')));
  const cli = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');
  const delays = [150, 300, 450, 600, 750, 900];
  for (const delay of delays) {
    const child = spawn(process.execPath, [cli, 'capture', `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`, '--pid', String(target.pid), '--identity', lab.sshd.clientKeyPath, '--data-dir', dir], {
      stdio: 'ignore',
      env: { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: userKnownHosts },
    });
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  const db = await Database.open(join(dir, 'gopherscope.db'));
  const integrity = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
  assert.equal(integrity?.integrity_check, 'ok');
  await db.close();
  const b = await createBackend({ dataDir: dir, userKnownHostsFile: userKnownHosts });
  try {
    const sessions = await api(b).call('sessions.list', {});
    for (const s of sessions) {
      assert.notEqual(s.status, 'capturing', 'reopening marks interrupted captures');
      const detail = await api(b).call('sessions.open', { sessionId: s.id });
      if (s.status === 'complete')
        assert.ok(
          detail.artifacts.every((a) => !(a.reason ?? '').startsWith('not captured')),
          'complete means every artifact is there',
        );
      if (s.status === 'partial') assert.match(s.statusReason ?? '', /interrupted/);
      for (const a of detail.artifacts.filter((x) => x.sha256)) {
        const body = await api(b).call('artifacts.read', { artifactId: a.id });
        assert.equal(body.sizeBytes, a.sizeBytes, `${a.name} blob intact`);
      }
    }
  } finally {
    await b.close();
  }
});

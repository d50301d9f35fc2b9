/**
 * SSH as production users expect it, against real sshd instances on
 * loopback: jump chains, known_hosts semantics, every auth method, sudo -n,
 * MaxSessions 1, a dead server, and a pty terminal with flow control.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectResult, EventPayload, HostInput } from '../../shared/contract/api';
import type { Api } from '../../shared/contract/client';
import { ApiError } from '../../shared/contract/errors';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { httpGetViaTunnel } from '../../electron/core/forward';
import { listProcesses } from '../../electron/core/processes';
import { KnownHosts } from '../../electron/core/knownHosts';
import { connectSsh } from '../../electron/core/sshConnection';
import { SUDO_COMMANDS } from '../../electron/core/remoteScripts';
import { keygen, publicKeyOf, startSshd, type Sshd } from '../lab/sshd';
import { ensureUser } from '../lab/users';
import { startTarget } from '../lab/target';
import { buildTarget } from '../lab/targets';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function sshd(opts: Parameters<typeof startSshd>[0] = {}): Promise<Sshd> {
  const s = await startSshd(opts);
  cleanups.push(() => s.stop());
  return s;
}

async function backendWith(userKnownHosts = '', extra: { agentSocket?: string } = {}): Promise<{ api: Api; backend: Backend; dir: string; userKnownHostsFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-ssh-'));
  const userKnownHostsFile = join(dir, 'user_known_hosts');
  writeFileSync(userKnownHostsFile, userKnownHosts);
  // An empty agent socket path keeps the tests independent of the runner's own ssh-agent.
  const backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile, agentSocket: extra.agentSocket ?? '' });
  cleanups.push(() => backend.close());
  return { api: inProcessApi(backend), backend, dir, userKnownHostsFile };
}

function hostFor(s: Sshd, extra: Partial<HostInput> = {}): HostInput {
  return { label: `lab ${s.port}`, hostname: '127.0.0.1', port: s.port, user: s.user, identityFile: s.clientKeyPath, ...extra };
}

/** Connects, trusting every unknown key (checking it against the lab's real fingerprint) until connected. */
async function connectTrusting(api: Api, hostId: string, expected: Map<string, string>): Promise<string[]> {
  const hops: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r: ConnectResult = await api.call('ssh.connect', { hostId });
    if (r.status === 'connected') return hops;
    assert.equal(r.status, 'unknown-host-key', JSON.stringify(r));
    if (r.status !== 'unknown-host-key') throw new Error('unreachable');
    assert.equal(r.presented.fingerprint, expected.get(r.hop!), `fingerprint of ${r.hop}`);
    hops.push(r.hop!);
    await api.call('hosts.trustKey', { hostId, keyBase64: r.presented.keyBase64, hop: r.hop! });
  }
  throw new Error('too many unknown keys');
}

function answerPrompts(backend: Backend, api: Api, answers: Array<string | null>): Array<EventPayload<'auth.prompt'>> {
  const seen: Array<EventPayload<'auth.prompt'>> = [];
  backend.onEvent((e, p) => {
    if (e !== 'auth.prompt') return;
    const prompt = p as EventPayload<'auth.prompt'>;
    seen.push(prompt);
    const a = answers.shift();
    void api.call('auth.respond', { promptId: prompt.promptId, answers: a === null || a === undefined ? null : prompt.prompts.map(() => a) });
  });
  return seen;
}

test('a two-hop ProxyJump chain verifies the host key of every hop', async () => {
  const [a, b, c] = [await sshd(), await sshd(), await sshd()];
  // one client key for the whole chain, as with a bastion setup
  for (const s of [b, c]) appendFileSync(join(s.dir, 'authorized_keys'), readFileSync(`${a.clientKeyPath}.pub`));
  const { api } = await backendWith();
  const host = await api.call('hosts.add', { ...hostFor(c), identityFile: a.clientKeyPath, jump: [`${a.user}@127.0.0.1:${a.port}`, `${b.user}@127.0.0.1:${b.port}`] });
  const fps = new Map([a, b, c].map((s) => [`127.0.0.1:${s.port}`, s.hostKeyFingerprint]));
  const hops = await connectTrusting(api, host.id, fps);
  assert.deepEqual(hops, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${c.port}`]);
  const probe = await api.call('sudo.probe', { hostId: host.id });
  assert.equal(probe.user, a.remoteUserName);
  // The connection really runs through the first hop: killing it drops the target.
  const dropped = new Promise<void>((resolve) => {
    api.on('ssh.state', (s) => {
      if (s.hostId === host.id && s.state === 'disconnected') resolve();
    });
  });
  a.kill();
  await dropped;
  await assert.rejects(api.call('sudo.probe', { hostId: host.id }), (e: unknown) => e instanceof ApiError && e.code === 'not-connected');
});

test('a hashed known_hosts entry is accepted; @revoked is refused; a changed key names the old line', async () => {
  const s = await sshd();
  const hashedDir = mkdtempSync(join(tmpdir(), 'gs-hashed-'));
  const plain = join(hashedDir, 'known_hosts');
  writeFileSync(plain, `[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', plain], { stdio: 'ignore' });
  const hashed = readFileSync(plain, 'utf8');
  assert.match(hashed, /^\|1\|/);
  const ok = await backendWith(hashed);
  const h1 = await ok.api.call('hosts.add', hostFor(s));
  assert.equal((await ok.api.call('ssh.connect', { hostId: h1.id })).status, 'connected');

  const revoked = await backendWith(`@revoked * ${s.hostPublicKeyLine}\n`);
  const h2 = await revoked.api.call('hosts.add', hostFor(s));
  const r2 = await revoked.api.call('ssh.connect', { hostId: h2.id });
  assert.equal(r2.status, 'revoked-host-key');
  assert.ok(r2.status === 'revoked-host-key' && r2.source === `${revoked.userKnownHostsFile}:1`);

  // The same port, restarted with a new host key.
  const first = await sshd();
  const { api, dir } = await backendWith();
  const h3 = await api.call('hosts.add', hostFor(first));
  await connectTrusting(api, h3.id, new Map([[`127.0.0.1:${first.port}`, first.hostKeyFingerprint]]));
  await api.call('ssh.disconnect', { hostId: h3.id });
  const oldFingerprint = first.hostKeyFingerprint;
  const keepKey = join(dir, 'client_key');
  writeFileSync(keepKey, readFileSync(first.clientKeyPath), { mode: 0o600 });
  const pub = readFileSync(`${first.clientKeyPath}.pub`);
  await first.stop();
  const second = await sshd({ port: first.port });
  writeFileSync(join(second.dir, 'authorized_keys'), pub);
  assert.notEqual(second.hostKeyFingerprint, oldFingerprint);
  const r3 = await api.call('ssh.connect', { hostId: h3.id });
  assert.equal(r3.status, 'changed-host-key');
  if (r3.status !== 'changed-host-key') return;
  assert.equal(r3.presented.fingerprint, second.hostKeyFingerprint);
  assert.equal(r3.expected[0]?.fingerprint, oldFingerprint);
  assert.equal(r3.expected[0]?.source, `${join(dir, 'data', 'known_hosts')}:1`);
});

test('StrictHostKeyChecking: yes refuses unknown keys without a trust option; accept-new records them', async () => {
  const s = await sshd();
  const { api } = await backendWith();
  const strict = await api.call('hosts.add', { ...hostFor(s), strictHostKeyChecking: 'yes' });
  const r = await api.call('ssh.connect', { hostId: strict.id });
  assert.ok(r.status === 'unknown-host-key' && r.canTrust === false);
  await assert.rejects(api.call('hosts.trustKey', { hostId: strict.id, keyBase64: r.presented.keyBase64 }), /StrictHostKeyChecking=yes/);
  const acceptNew = await api.call('hosts.add', { ...hostFor(s), label: 'accept-new', strictHostKeyChecking: 'accept-new' });
  assert.equal((await api.call('ssh.connect', { hostId: acceptNew.id })).status, 'connected');
  // now recorded, so the strict host connects too
  assert.equal((await api.call('ssh.connect', { hostId: strict.id })).status, 'connected');
});

test('ssh-agent authentication with a key that exists only in the agent', async () => {
  const s = await sshd();
  const dir = mkdtempSync(join(tmpdir(), 'gs-agent-'));
  const sock = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  cleanups.push(() => void agent.kill());
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'agent_key')]);
  execFileSync('ssh-add', [join(dir, 'agent_key')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  writeFileSync(join(s.dir, 'authorized_keys'), readFileSync(join(dir, 'agent_key.pub')));
  rmSync(join(dir, 'agent_key'));
  const { api } = await backendWith(`[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`, { agentSocket: sock });
  const { identityFile: _none, ...noKey } = hostFor(s);
  const host = await api.call('hosts.add', noKey);
  assert.equal((await api.call('ssh.connect', { hostId: host.id })).status, 'connected');
});

test('an encrypted key asks for its passphrase through the contract, and retries a wrong one', async () => {
  const s = await sshd();
  const dir = mkdtempSync(join(tmpdir(), 'gs-enc-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', join(dir, 'id')]);
  writeFileSync(join(s.dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')));
  const { api, backend } = await backendWith(`[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const prompts = answerPrompts(backend, api, ['wrong', 'correct horse']);
  const host = await api.call('hosts.add', { ...hostFor(s), identityFile: join(dir, 'id') });
  assert.equal((await api.call('ssh.connect', { hostId: host.id })).status, 'connected');
  assert.deepEqual(
    prompts.map((p) => p.kind),
    ['passphrase', 'passphrase'],
  );
  assert.match(prompts[1]!.instructions, /did not decrypt/);
  assert.equal(prompts[0]!.canRemember, false, 'nothing is remembered outside the desktop keychain');
});

test('keyboard-interactive and password logins, in OpenSSH order, and a failure that lists what was tried', async () => {
  const user = ensureUser('gs-lab-pw', { password: 'Lab-pw-4711' });
  const kbd = await sshd({ passwordAuth: true });
  const pwOnly = await sshd({ passwordAuth: true, extraConfig: ['KbdInteractiveAuthentication no'] });
  const kh = [kbd, pwOnly].map((s) => `[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}`).join('\n') + '\n';
  {
    const { api, backend } = await backendWith(kh);
    const prompts = answerPrompts(backend, api, [user.password]);
    const h = await api.call('hosts.add', { label: 'kbd', hostname: '127.0.0.1', port: kbd.port, user: user.name, identityFile: '/nonexistent/key' });
    assert.equal((await api.call('ssh.connect', { hostId: h.id })).status, 'connected');
    assert.deepEqual(
      prompts.map((p) => p.kind),
      ['keyboard-interactive'],
    );
  }
  {
    const { api, backend } = await backendWith(kh);
    const prompts = answerPrompts(backend, api, [user.password]);
    const h = await api.call('hosts.add', { label: 'pw', hostname: '127.0.0.1', port: pwOnly.port, user: user.name, identityFile: '/nonexistent/key' });
    assert.equal((await api.call('ssh.connect', { hostId: h.id })).status, 'connected');
    assert.deepEqual(
      prompts.map((p) => p.kind),
      ['password'],
    );
  }
  {
    const { api, backend } = await backendWith(kh);
    answerPrompts(backend, api, ['wrong', 'wrong again', null, null]);
    const stranger = join(mkdtempSync(join(tmpdir(), 'gs-stranger-')), 'id');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const h = await api.call('hosts.add', { label: 'bad', hostname: '127.0.0.1', port: kbd.port, user: user.name, identityFile: stranger });
    await assert.rejects(api.call('ssh.connect', { hostId: h.id }), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === 'auth-failed', String(e));
      assert.match(e.message, new RegExp(`Tried, in order: publickey \\(${stranger.replace(/[.]/g, '\\.')}\\), keyboard-interactive, password`));
      return true;
    });
  }
});

test('sudo -n: a user with a sudoers rule reads root-owned files; one without gets a clear permission message', async () => {
  // Every command the scripts run under sudo (SUDO_COMMANDS is held to remoteScripts.ts by its unit test) that this host has.
  const installed = SUDO_COMMANDS.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  const withSudo = ensureUser('gs-lab-sudo', { password: 'x-Unused-1', sudoNoPasswd: installed });
  const without = ensureUser('gs-lab-nosudo', { password: 'x-Unused-2' });
  // The rule this probe used to ask for: enough for files and memory, not for the fd table, the network namespace or stacks.
  const readersOnly = ensureUser('gs-lab-sudo-old', { password: 'x-Unused-3', sudoNoPasswd: ['head', 'tail', 'dd'] });
  const s = await sshd();
  const built = await buildTarget('service');
  const target = await startTarget({ binary: built.binary, args: ['-goroutines', '5'], env: { GS_SECRET_TOKEN: 'root-only-value-1' } });
  cleanups.push(() => target.stop());
  const { api } = await backendWith(`[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const capture = async (hostId: string) => {
    const { captureId, sessionId } = await api.call('capture.start', { hostId, pid: target.pid });
    await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
    return api.call('sessions.open', { sessionId });
  };

  const good = await api.call('hosts.add', { ...hostFor(s), user: withSudo.name, useSudo: true });
  assert.equal((await api.call('ssh.connect', { hostId: good.id })).status, 'connected');
  const probe = await api.call('sudo.probe', { hostId: good.id });
  assert.equal(probe.ok, true, probe.summary);
  assert.deepEqual(
    probe.checks.map((c) => c.command),
    [...SUDO_COMMANDS],
  );
  assert.deepEqual(
    probe.checks.filter((c) => c.allowed).map((c) => c.command),
    installed,
  );
  for (const c of probe.checks.filter((c) => !installed.includes(c.command as (typeof installed)[number]))) assert.match(c.message, /not installed/);
  const s1 = await capture(good.id);
  assert.equal(s1.status, 'complete');
  const env1 = s1.artifacts.find((a) => a.name === 'proc/environ')!;
  assert.equal(env1.status, 'ok', env1.reason ?? '');
  assert.match((await api.call('artifacts.read', { artifactId: env1.id })).text, /^GS_SECRET_TOKEN=\[REDACTED:secret-name\]$/m);
  const list = (await api.call('processes.list', { hostId: good.id })).processes;
  assert.equal(list.find((p) => p.pid === target.pid)?.go.kind, 'go', 'root-owned exe readable through sudo');

  const bad = await api.call('hosts.add', { ...hostFor(s), label: 'no sudo', user: without.name, useSudo: true });
  assert.equal((await api.call('ssh.connect', { hostId: bad.id })).status, 'connected');
  const probe2 = await api.call('sudo.probe', { hostId: bad.id });
  assert.equal(probe2.ok, false);
  assert.match(probe2.summary, new RegExp(`does not cover ${installed.join(', ')} for gs-lab-nosudo`));
  assert.match(probe2.checks[0]!.message, /password/);

  const part = await api.call('hosts.add', { ...hostFor(s), label: 'readers only', user: readersOnly.name, useSudo: true });
  assert.equal((await api.call('ssh.connect', { hostId: part.id })).status, 'connected');
  const probe3 = await api.call('sudo.probe', { hostId: part.id });
  assert.equal(probe3.ok, false, probe3.summary);
  const missing = installed.filter((c) => !['head', 'tail', 'dd'].includes(c));
  assert.ok(missing.includes('ls') && missing.includes('nsenter'), `the lab host has ls and nsenter: ${missing.join(', ')}`);
  assert.match(probe3.summary, new RegExp(`does not cover ${missing.join(', ')} for gs-lab-sudo-old`));
  assert.match(probe3.summary, /ls \(the fd table/);
  assert.deepEqual(
    probe3.checks.filter((c) => c.allowed).map((c) => c.command),
    ['head', 'tail', 'dd'],
  );
  const s2 = await capture(bad.id);
  assert.equal(s2.status, 'complete', 'permission problems are marked per artifact, not a failed capture');
  const env2 = s2.artifacts.find((a) => a.name === 'proc/environ')!;
  assert.equal(env2.status, 'failed');
  assert.match(env2.reason ?? '', /sudo/);
});

test('MaxSessions 1 still serves 10 concurrent requests: channels queue, never fail', async () => {
  const s = await sshd({ maxSessions: 1 });
  const { api } = await backendWith(`[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const host = await api.call('hosts.add', hostFor(s));
  assert.equal((await api.call('ssh.connect', { hostId: host.id })).status, 'connected');
  const results = await Promise.all(Array.from({ length: 10 }, () => api.call('sudo.probe', { hostId: host.id })));
  assert.equal(results.length, 10);
  for (const r of results) assert.equal(r.user, s.remoteUserName);
});

test('sshd killed mid-session: a visible disconnected state and no hang', async () => {
  const s = await sshd();
  const { api } = await backendWith(`[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const host = await api.call('hosts.add', hostFor(s));
  const states: string[] = [];
  api.on('ssh.state', (e) => e.hostId === host.id && states.push(e.state));
  assert.equal((await api.call('ssh.connect', { hostId: host.id })).status, 'connected');
  const { terminalId } = await api.call('terminal.open', { hostId: host.id, cols: 80, rows: 24 });
  const exited = new Promise<EventPayload<'terminal.exit'>>((resolve) => api.on('terminal.exit', (e) => e.terminalId === terminalId && resolve(e)));
  const inFlight = api.call('processes.list', { hostId: host.id }).then(
    () => 'done',
    (e: unknown) => (e instanceof ApiError ? e.code : String(e)),
  );
  s.kill();
  const started = Date.now();
  const outcome = await inFlight;
  await exited;
  assert.ok(Date.now() - started < 10_000, 'no hang');
  assert.ok(['done', 'not-connected'].includes(outcome), outcome);
  assert.equal(states.at(-1), 'disconnected');
  await assert.rejects(api.call('processes.list', { hostId: host.id }), (e: unknown) => e instanceof ApiError && e.code === 'not-connected');
});

test('a pty terminal: commands run, resize reaches stty, and output is flow-controlled', async () => {
  const s = await sshd();
  const { api } = await backendWith(`[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const host = await api.call('hosts.add', hostFor(s));
  await api.call('ssh.connect', { hostId: host.id });
  const { terminalId } = await api.call('terminal.open', { hostId: host.id, cols: 80, rows: 24 });
  let screen = '';
  let received = 0;
  let ackAutomatically = true;
  api.on('terminal.data', (d) => {
    if (d.terminalId !== terminalId) return;
    screen += d.data;
    received += d.data.length;
    if (ackAutomatically) void api.call('terminal.ack', { terminalId, chars: d.data.length });
  });
  const waitFor = async (re: RegExp, ms = 10_000) => {
    const until = Date.now() + ms;
    while (!re.test(screen)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${re}; screen: ${JSON.stringify(screen.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await api.call('terminal.input', { terminalId, data: 'echo $((6*7))\n' });
  await waitFor(/^42\r?$/m);
  await api.call('terminal.resize', { terminalId, cols: 132, rows: 40 });
  await api.call('terminal.input', { terminalId, data: 'stty size\n' });
  await waitFor(/^40 132\r?$/m);

  // Without acknowledgements the backend stops reading after the high watermark.
  ackAutomatically = false;
  received = 0;
  await api.call('terminal.input', { terminalId, data: "head -c 20000000 /dev/zero | tr '\\0' x; echo; echo FLOW-$((1+1))-END\n" });
  await new Promise((r) => setTimeout(r, 1500));
  const stalled = received;
  assert.ok(stalled < 1_000_000, `unacknowledged output must stay bounded, got ${stalled}`);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(received - stalled < 200_000, 'the stream is paused');
  ackAutomatically = true;
  await api.call('terminal.ack', { terminalId, chars: received });
  await waitFor(/FLOW-2-END/, 60_000);
  assert.ok(received >= 20_000_000, `all output arrives once acknowledged (${received})`);
  await api.call('terminal.close', { terminalId });
});

test('direct-tcpip reaches a Go process pprof endpoint on the host loopback, with timeout and cap', async () => {
  const s = await sshd();
  const built = await buildTarget('service');
  const target = await startTarget({ binary: built.binary, args: ['-goroutines', '30'] });
  cleanups.push(() => target.stop());
  const dir = mkdtempSync(join(tmpdir(), 'gs-fwd-'));
  writeFileSync(join(dir, 'kh'), `[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const outcome = await connectSsh({ hostname: '127.0.0.1', port: s.port, user: s.user, identityFile: s.clientKeyPath }, { knownHosts: new KnownHosts([join(dir, 'kh')], join(dir, 'app')) });
  assert.equal(outcome.kind, 'connected');
  if (outcome.kind !== 'connected') return;
  cleanups.push(() => outcome.connection.end());
  const port = Number(target.pprofAddr!.split(':')[1]);
  const index = await httpGetViaTunnel(outcome.connection, port, '/debug/pprof/', { timeoutMs: 10_000, maxBytes: 1 << 20 });
  assert.equal(index.status, 200);
  assert.match(index.body.toString(), /goroutine/);
  const dump = await httpGetViaTunnel(outcome.connection, port, '/debug/pprof/goroutine?debug=2', { timeoutMs: 10_000, maxBytes: 2048 });
  assert.equal(dump.truncated, true);
  assert.equal(dump.body.length, 2048);
  await assert.rejects(httpGetViaTunnel(outcome.connection, 1, '/', { timeoutMs: 5_000, maxBytes: 10 }), (e: unknown) => e instanceof ApiError && /tunnel|answer|HTTP/.test(e.message));
});

/** A fresh host key pair of the given type, outside any sshd's folder so it survives a restart. */
function hostKey(type: 'ed25519' | 'rsa'): { path: string; publicKeyLine: string; fingerprint: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'gs-hostkey-')), `ssh_host_${type}_key`);
  keygen(path, type);
  return { path, ...publicKeyOf(path) };
}

/** The lab client key pair, copied out of an sshd's folder so it outlives that server. */
function keepClientKey(s: Sshd, dir: string): { clientKey: string; pub: Buffer } {
  const clientKey = join(dir, 'client_key');
  writeFileSync(clientKey, readFileSync(s.clientKeyPath), { mode: 0o600 });
  return { clientKey, pub: readFileSync(`${s.clientKeyPath}.pub`) };
}

/** A changed-host-key refusal naming this hop, with the presented key and exactly the recorded ones. */
function assertChanged(r: ConnectResult, hop: string, presentedFingerprint: string, expected: ReadonlyArray<{ keyType: string; fingerprint: string; source: string }>): void {
  assert.equal(r.status, 'changed-host-key', JSON.stringify(r));
  if (r.status !== 'changed-host-key') return;
  assert.equal(r.hop, hop);
  assert.equal(r.presented.fingerprint, presentedFingerprint);
  assert.deepEqual(r.expected, expected);
}

test('a host known only by its RSA key connects with that key: host-key algorithms follow the known types', async () => {
  const ed = hostKey('ed25519');
  const rsa = hostKey('rsa');
  // ed25519 first: with ssh2's default preference the server would present it.
  const s = await sshd({ hostKeyPaths: [ed.path, rsa.path] });
  const plainFile = join(mkdtempSync(join(tmpdir(), 'gs-rsa-only-')), 'known_hosts');
  writeFileSync(plainFile, `[127.0.0.1]:${s.port} ${rsa.publicKeyLine}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', plainFile], { stdio: 'ignore' });
  const { api } = await backendWith(readFileSync(plainFile, 'utf8'));
  const host = await api.call('hosts.add', hostFor(s));
  const r = await api.call('ssh.connect', { hostId: host.id });
  assert.deepEqual(r.status === 'connected' ? { status: r.status, fingerprint: r.fingerprint } : r, { status: 'connected', fingerprint: rsa.fingerprint });
});

test('an impostor presenting another key type on a known host:port is refused as changed, also under accept-new', async () => {
  const ed = hostKey('ed25519');
  const genuine = await sshd({ hostKeyPaths: [ed.path] });
  const port = genuine.port;
  const { api, dir } = await backendWith();
  // The impostor lets the same client key in, so only the host key check stands in the way.
  const { clientKey, pub } = keepClientKey(genuine, dir);
  const acceptNew = await api.call('hosts.add', { ...hostFor(genuine), identityFile: clientKey, strictHostKeyChecking: 'accept-new' });
  const ask = await api.call('hosts.add', { ...hostFor(genuine), label: 'ask', identityFile: clientKey });
  assert.equal((await api.call('ssh.connect', { hostId: acceptNew.id })).status, 'connected');
  await api.call('ssh.disconnect', { hostId: acceptNew.id });
  const appKnownHosts = join(dir, 'data', 'known_hosts');
  const recorded = readFileSync(appKnownHosts, 'utf8');
  assert.equal(recorded, `[127.0.0.1]:${port} ${ed.publicKeyLine}\n`);
  await genuine.stop();

  // The impostor has only an RSA key, an algorithm the client also accepts.
  const rsa = hostKey('rsa');
  const impostor = await sshd({ port, hostKeyPaths: [rsa.path] });
  writeFileSync(join(impostor.dir, 'authorized_keys'), pub);
  for (const hostId of [acceptNew.id, ask.id]) {
    assertChanged(await api.call('ssh.connect', { hostId }), `127.0.0.1:${port}`, rsa.fingerprint, [{ keyType: 'ssh-ed25519', fingerprint: ed.fingerprint, source: `${appKnownHosts}:1` }]);
  }
  assert.equal(readFileSync(appKnownHosts, 'utf8'), recorded, 'nothing was appended for the impostor');
});

test('ProxyJump: every hop offers its known key types first, and a hop whose key type changed is named as that hop', async () => {
  const jumpEd = hostKey('ed25519');
  const jumpRsa = hostKey('rsa');
  const jump = await sshd({ hostKeyPaths: [jumpEd.path, jumpRsa.path] });
  const target = await sshd();
  const jumpPort = jump.port;
  const dir = mkdtempSync(join(tmpdir(), 'gs-jump-types-'));
  const { clientKey, pub } = keepClientKey(jump, dir);
  appendFileSync(join(target.dir, 'authorized_keys'), pub);
  // The jump host is known by its RSA key only, the target by its ed25519 key.
  const userKnownHosts = `[127.0.0.1]:${jumpPort} ${jumpRsa.publicKeyLine}\n[127.0.0.1]:${target.port} ${target.hostPublicKeyLine}\n`;
  const { api, userKnownHostsFile } = await backendWith(userKnownHosts);
  const jumpSpec = `${jump.user}@127.0.0.1:${jumpPort}`;
  const host = await api.call('hosts.add', { ...hostFor(target), identityFile: clientKey, jump: [jumpSpec], strictHostKeyChecking: 'accept-new' });
  const first = await api.call('ssh.connect', { hostId: host.id });
  assert.equal(first.status, 'connected', JSON.stringify(first));
  await api.call('ssh.disconnect', { hostId: host.id });

  // The jump host is replaced by one with only an ed25519 key.
  await jump.stop();
  const impostor = await sshd({ port: jumpPort });
  writeFileSync(join(impostor.dir, 'authorized_keys'), pub);
  assertChanged(await api.call('ssh.connect', { hostId: host.id }), `127.0.0.1:${jumpPort}`, impostor.hostKeyFingerprint, [
    { keyType: 'ssh-rsa', fingerprint: jumpRsa.fingerprint, source: `${userKnownHostsFile}:1` },
  ]);
  assert.equal(readFileSync(userKnownHostsFile, 'utf8'), userKnownHosts, 'the user file is only read');

  // The CLI names the jump host, not the target.
  const cli = spawnSync(
    process.execPath,
    [
      join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs'),
      'ps',
      `${target.user}@127.0.0.1:${target.port}`,
      '--identity',
      clientKey,
      '--jump',
      jumpSpec,
      '--data-dir',
      join(dir, 'cli-data'),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: userKnownHostsFile, SSH_AUTH_SOCK: '' },
      timeout: 60_000,
    },
  );
  assert.equal(cli.status, 3, cli.stderr);
  assert.match(cli.stderr, new RegExp(`REFUSED: the host key of 127\\.0\\.0\\.1:${jumpPort} \\(a jump host on the way to 127\\.0\\.0\\.1:${target.port}\\) has changed`));
  assert.ok(cli.stderr.includes(impostor.hostKeyFingerprint) && cli.stderr.includes(jumpRsa.fingerprint), cli.stderr);
});

test('a process list cut short by its timeout says it is partial and how many it read; a full one says nothing', async () => {
  const s = await sshd();
  const dir = mkdtempSync(join(tmpdir(), 'gs-ps-'));
  writeFileSync(join(dir, 'kh'), `[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
  const outcome = await connectSsh({ hostname: '127.0.0.1', port: s.port, user: s.user, identityFile: s.clientKeyPath }, { knownHosts: new KnownHosts([join(dir, 'kh')], join(dir, 'app')) });
  assert.equal(outcome.kind, 'connected');
  if (outcome.kind !== 'connected') return;
  const conn = outcome.connection;
  cleanups.push(() => conn.end());
  const full = await listProcesses(conn);
  assert.equal(full.partial, null);
  assert.ok(
    full.processes.some((p) => p.pid === process.pid),
    'this test process is in the full list',
  );
  // A timeout shorter than the listing: too short to open the channel is an error that says so
  // (nothing ran); longer, the script runs and is cut, and the list must say it is partial. The
  // timeout doubles until a cut list comes back, so the test holds on a loaded machine too.
  const seen: string[] = [];
  let cut: Awaited<ReturnType<typeof listProcesses>> | null = null;
  for (let t = 8; t <= 8192 && cut === null; t *= 2) {
    try {
      const r = await listProcesses(conn, { timeoutMs: t });
      seen.push(`${t} ms: ${r.partial === null ? 'complete' : 'partial'} (${r.processes.length})`);
      if (r.partial !== null) cut = r;
      else break;
    } catch (e) {
      assert.ok(e instanceof ApiError && e.code === 'remote-failed', String(e));
      assert.match(e.message, /No time was left to open|did not answer the request for .* within/);
      seen.push(`${t} ms: ${e.code}`);
    }
  }
  assert.ok(cut, `a listing was cut by its timeout before one completed: ${seen.join(', ')}`);
  assert.match(cut.partial!, /^Only \d+ process(es)? were read: the host did not finish within [\d.]+ s \(a loaded or slow host\)\. A process missing from this list may still be running/);
  assert.equal(Number(/^Only (\d+)/.exec(cut.partial!)![1]), cut.processes.length);
  assert.ok(cut.processes.length < full.processes.length, `${cut.processes.length} of ${full.processes.length}`);
});

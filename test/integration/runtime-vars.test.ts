/**
 * The runtime's own GOMAXPROCS, memory limit and GC percent read from
 * /proc/PID/mem through the real sshd and a real capture, against what the
 * target reports about itself (runtime.GOMAXPROCS(0), debug.SetMemoryLimit(-1),
 * debug.SetGCPercent) after setting them in-process: for every Go release the
 * lab builds, for cgo and PIE builds, and with the defaults left alone.
 * A binary without DWARF gives GOMAXPROCS only, a stripped one and one
 * without section headers a labelled skip, and a user whose sudo does not
 * cover dd a labelled skip: never a number.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Api } from '../../shared/contract/client';
import type { SessionDetail } from '../../shared/contract/api';
import { parseRuntimeVars, RUNTIME_VARS_ARTIFACT, type RuntimeVars } from '../../shared/parsers/runtimeVars';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { examineExecutables } from '../../electron/core/goBinary';
import { KnownHosts } from '../../electron/core/knownHosts';
import { readRuntimeVars } from '../../electron/core/processMemory';
import { connectSsh } from '../../electron/core/sshConnection';
import { startSshd, type Sshd } from '../lab/sshd';
import { startTarget, type RunningTarget } from '../lab/target';
import { buildTarget, LAB_TOOLCHAINS, type BuildVariant } from '../lab/targets';
import { ensureUser } from '../lab/users';

let sshd: Sshd;
let backend: Backend;
let api: Api;
let rootHost: string;
let dir: string;
const running: RunningTarget[] = [];

before(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'gs-rtvars-'));
  const kh = join(dir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: kh, agentSocket: '' });
  api = inProcessApi(backend);
  rootHost = await connect(sshd.user, false);
});

after(async () => {
  for (const t of running) await t.stop().catch(() => undefined);
  await backend?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(user: string, useSudo: boolean): Promise<string> {
  const h = await api.call('hosts.add', { label: `lab ${user}`, hostname: '127.0.0.1', port: sshd.port, user, identityFile: sshd.clientKeyPath, useSudo });
  assert.equal((await api.call('ssh.connect', { hostId: h.id })).status, 'connected');
  return h.id;
}

interface Self {
  readonly gomaxprocs: number;
  readonly memlimit: bigint;
  readonly gcpercent: number;
}

async function start(opts: { toolchain?: string; variant?: BuildVariant; args?: string[]; user?: { uid: number; gid: number } }): Promise<{ target: RunningTarget; self: Self; goVersion: string }> {
  const built = await buildTarget('inprocess', { ...(opts.toolchain && opts.toolchain !== 'local' ? { goToolchain: opts.toolchain } : {}), ...(opts.variant ? { variant: opts.variant } : {}) });
  const target = await startTarget({ binary: built.binary, args: opts.args ?? [], ...(opts.user ? { user: opts.user } : {}) });
  running.push(target);
  const m = /^SELF gomaxprocs=(\d+) memlimit=(-?\d+) gcpercent=(-?\d+)/m.exec(target.stdout());
  assert.ok(m, target.stdout());
  return { target, self: { gomaxprocs: Number(m[1]), memlimit: BigInt(m[2]!), gcpercent: Number(m[3]) }, goVersion: built.goVersion };
}

async function captureVars(hostId: string, pid: number, extra: { processMemory?: boolean } = {}): Promise<{ session: SessionDetail; vars: RuntimeVars | null; reason: string | null; status: string }> {
  const { captureId, sessionId } = await api.call('capture.start', { hostId, pid, stacks: false, ...extra });
  await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
  const session = await api.call('sessions.open', { sessionId });
  const a = session.artifacts.find((x) => x.name === RUNTIME_VARS_ARTIFACT);
  assert.ok(a, `${RUNTIME_VARS_ARTIFACT} is accounted for`);
  if (a.status !== 'ok') return { session, vars: null, reason: a.reason, status: a.status };
  const parsed = parseRuntimeVars((await api.call('artifacts.read', { artifactId: a.id })).text);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message);
  return { session, vars: parsed.value, reason: a.reason, status: a.status };
}

/** The tool's reading equals what the runtime said about itself. */
function assertMatchesSelf(v: RuntimeVars, self: Self, goVersion: string): void {
  assert.deepEqual(v.skipped, {}, JSON.stringify(v.skipped));
  assert.equal(v.goVersion, goVersion);
  assert.equal(v.gomaxprocs?.value, self.gomaxprocs);
  assert.equal(v.memoryLimitBytes?.value, self.memlimit === (1n << 63n) - 1n ? null : Number(self.memlimit));
  assert.equal(v.gcPercent?.value, self.gcpercent < 0 ? null : self.gcpercent);
  assert.match(v.gomaxprocs!.address, /^0x[0-9a-f]+$/);
  assert.match(v.method, /\/proc\/PID\/mem/);
}

for (const toolchain of LAB_TOOLCHAINS) {
  test(`${toolchain}: values set in-process with runtime.GOMAXPROCS, debug.SetMemoryLimit and debug.SetGCPercent are read back from process memory`, async () => {
    const { target, self, goVersion } = await start({ toolchain, args: ['-maxprocs', '3', '-memlimit', '123456789', '-gcpercent', '77'] });
    assert.deepEqual(self, { gomaxprocs: 3, memlimit: 123456789n, gcpercent: 77 }, 'the target set them');
    const r = await captureVars(rootHost, target.pid);
    assert.ok(r.vars, r.reason ?? '');
    assertMatchesSelf(r.vars, self, goVersion);
    assert.match(r.vars.method, new RegExp(`DWARF v${/^go1\.2[2-4]\./.test(goVersion) ? 4 : 5}`));
    assert.match(r.reason ?? '', /read GOMAXPROCS 3, memory limit 123456789 bytes, GC percent 77/);
    assert.ok(target.child.exitCode === null && target.child.signalCode === null, 'the target runs on');
  });
}

test('a second capture of the same build reuses the layout found by build ID, and reads the same values', async () => {
  const { target, self, goVersion } = await start({ args: ['-maxprocs', '4', '-memlimit', '222222222'] });
  const first = await captureVars(rootHost, target.pid);
  const second = await captureVars(rootHost, target.pid);
  assert.ok(first.vars && second.vars);
  assertMatchesSelf(second.vars, self, goVersion);
  assert.match(second.vars.method, /layout cached for build ID go:/);
  assert.deepEqual({ ...second.vars, method: '' }, { ...first.vars, method: '' });
});

test('defaults left alone: no memory limit (MaxInt64) reads as none, GOGC off as null, GOMAXPROCS as the runtime chose it', async () => {
  const { target, self, goVersion } = await start({ args: ['-gcpercent', '-1'] });
  assert.equal(self.memlimit, (1n << 63n) - 1n);
  const r = await captureVars(rootHost, target.pid);
  assert.ok(r.vars);
  assertMatchesSelf(r.vars, self, goVersion);
  assert.equal(r.vars.memoryLimitBytes?.value, null);
  assert.equal(r.vars.gcPercent?.value, null);
});

for (const variant of ['cgo', 'pie'] as const) {
  test(`${variant} build: the same values (${variant === 'pie' ? 'through the load bias from /proc/PID/auxv' : 'external linking, C units in the DWARF'})`, async () => {
    const { target, self, goVersion } = await start({ variant, args: ['-maxprocs', '2', '-memlimit', '987654321', '-gcpercent', '150'] });
    const r = await captureVars(rootHost, target.pid);
    assert.ok(r.vars, r.reason ?? '');
    assertMatchesSelf(r.vars, self, goVersion);
    if (variant === 'pie') assert.match(r.vars.method, /PIE load bias 0x[0-9a-f]+ from \/proc\/PID\/auxv/);
  });
}

test('without DWARF (-ldflags=-w): GOMAXPROCS from the symbol table; the memory limit and GC percent are skipped with the reason', async () => {
  const { target, self } = await start({ variant: 'nodwarf', args: ['-maxprocs', '3', '-memlimit', '123456789'] });
  const r = await captureVars(rootHost, target.pid);
  assert.ok(r.vars);
  assert.equal(r.vars.gomaxprocs?.value, self.gomaxprocs);
  assert.match(r.vars.method, /symbol table/);
  assert.equal(r.vars.memoryLimitBytes, null);
  assert.equal(r.vars.gcPercent, null);
  assert.match(r.vars.skipped.memoryLimitBytes!, /without DWARF/);
  assert.match(r.vars.skipped.gcPercent!, /without DWARF/);
});

for (const variant of ['stripped', 'noshdr'] as const) {
  test(`a ${variant === 'stripped' ? 'stripped binary' : 'binary without section headers'} gives a labelled skip, never a number`, async () => {
    const { target } = await start({ variant, args: ['-maxprocs', '3'] });
    const r = await captureVars(rootHost, target.pid);
    assert.ok(r.vars);
    assert.equal(r.vars.gomaxprocs, null);
    assert.equal(r.vars.memoryLimitBytes, null);
    assert.equal(r.vars.gcPercent, null);
    assert.match(r.vars.skipped.all!, variant === 'stripped' ? /stripped: it has neither a symbol table nor DWARF/ : /no readable section headers/);
  });
}

test('the DWARF read is capped, timed out and shows progress: past the cap or the time, a labelled skip', async () => {
  const { target } = await start({ variant: 'pie', args: ['-maxprocs', '3'] });
  const outcome = await connectSsh(
    { hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath },
    { knownHosts: new KnownHosts([join(dir, 'kh')], join(dir, 'app_kh')) },
  );
  assert.equal(outcome.kind, 'connected');
  if (outcome.kind !== 'connected') return;
  try {
    const exe = (await examineExecutables(outcome.connection, [target.pid], { buildId: true })).get(target.pid)!;
    const progress: string[] = [];
    const capped = await readRuntimeVars(outcome.connection, target.pid, exe, { maxDebugBytes: 64 * 1024, layoutCache: false, onProgress: (p) => progress.push(p) });
    // Past the cap the DWARF gives nothing; the symbol table still locates GOMAXPROCS, and the struct fields are skipped with the cap as the reason.
    assert.equal(capped.gomaxprocs?.value, 3);
    assert.match(capped.method, /symbol table/);
    assert.equal(capped.memoryLimitBytes, null);
    assert.match(capped.skipped.memoryLimitBytes ?? '', /not in the first 0\.1 MiB of \.debug_info \(the cap\)/);
    assert.match(capped.skipped.gcPercent ?? '', /not in the first 0\.1 MiB of \.debug_info \(the cap\)/);
    assert.ok(
      progress.some((p) => /^DWARF: 0\.1 of \d+\.\d MiB read \(capped at 0\.1 MiB\)$/.test(p)),
      progress.join(' | '),
    );
    const late = await readRuntimeVars(outcome.connection, target.pid, exe, { timeoutMs: 1, layoutCache: false });
    assert.equal(late.gomaxprocs, null);
    assert.match(late.skipped.all ?? '', /stopped at 0\.0 of \d+\.\d MiB \(timeout or dropped connection\)/);
    const full = await readRuntimeVars(outcome.connection, target.pid, exe, { layoutCache: false });
    assert.equal(full.gomaxprocs?.value, 3, JSON.stringify(full.skipped));
  } finally {
    outcome.connection.end();
  }
});

test('switched off for a capture: skipped with the reason, nothing read', async () => {
  const { target } = await start({ args: ['-maxprocs', '3'] });
  const r = await captureVars(rootHost, target.pid, { processMemory: false });
  assert.equal(r.status, 'skipped');
  assert.match(r.reason ?? '', /switched off/);
});

test('unreadable /proc/PID/mem: a user whose sudo covers head and tail but not dd gets a labelled skip', async () => {
  const user = ensureUser('gs-lab-nodd', { password: 'x-Unused-3', sudoNoPasswd: ['head', 'tail'] });
  try {
    const hostId = await connect(user.name, true);
    const { target } = await start({ args: ['-maxprocs', '3', '-memlimit', '123456789'] });
    const r = await captureVars(hostId, target.pid);
    assert.ok(r.vars, r.reason ?? '');
    assert.equal(r.vars.gomaxprocs, null);
    assert.equal(r.vars.memoryLimitBytes, null);
    assert.equal(r.vars.gcPercent, null);
    assert.match(r.vars.skipped.all!, /\/proc\/PID\/mem could not be read: .*password is required.*sudo -n/);
    assert.equal(r.session.artifacts.find((a) => a.name === 'go/buildinfo')?.status, 'ok', 'the binary itself was readable through sudo head/tail');
  } finally {
    user.remove();
  }
});

test("a non-root user without sudo reads its own process's memory (same user, no Yama restriction), and only that", async () => {
  const user = ensureUser('gs-lab-own', { password: 'x-Unused-4' });
  const uid = Number(execFileSync('id', ['-u', user.name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user.name], { encoding: 'utf8' }).trim());
  const hostId = await connect(user.name, false);
  const own = await start({ args: ['-maxprocs', '3', '-gcpercent', '50'], user: { uid, gid } });
  let scope = '0';
  try {
    scope = execFileSync('cat', ['/proc/sys/kernel/yama/ptrace_scope'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // no Yama: the classic rule, same user may read
  }
  const r = await captureVars(hostId, own.target.pid);
  assert.ok(r.vars, r.reason ?? '');
  if (scope === '0') assertMatchesSelf(r.vars, own.self, own.goVersion);
  else assert.match(r.vars.skipped.all ?? '', /could not be read/);
  // A root-owned Go process is not even readable as a binary: no Go artifacts, and the process list says why.
  const rootOwned = await start({ args: ['-maxprocs', '3'] });
  const list = (await api.call('processes.list', { hostId })).processes;
  const p = list.find((x) => x.pid === rootOwned.target.pid);
  assert.equal(p?.go.kind, 'unknown');
  assert.match(p?.go.reason ?? '', /permission denied reading \/proc\/PID\/exe .*sudo -n/);
});

/**
 * A Go process in a container of its own (PID, network and mount namespaces from unshare, inside a
 * cgroup placed as a kubelet would place a pod's container), with pprof only on its own loopback,
 * captured through the real sshd: pprof through nsenter and each forwarder the host has, the
 * refusals (no allowed forwarder; sudo that does not allow nsenter), build info and native stacks
 * by host PID, and the container shown in the process list and the Overview.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionDetail } from '../../shared/contract/api';
import type { Api } from '../../shared/contract/client';
import { buildOverviewView } from '../../shared/analysis/views/overview';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { startContainer, type LabContainer } from '../lab/container';
import { startSshd, type Sshd } from '../lab/sshd';
import { buildTarget } from '../lab/targets';
import { ensureUser } from '../lab/users';

let sshd: Sshd;
let backend: Backend;
let api: Api;
let rootHost: string;
let ctr: LabContainer;
let pprofPort: number;
let goVersion: string;
const podUid = randomUUID();
const containerId = randomBytes(32).toString('hex');

before(async () => {
  sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'gs-netns-'));
  const kh = join(dir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: kh, agentSocket: '' });
  api = inProcessApi(backend);
  rootHost = (await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath })).id;
  assert.equal((await api.call('ssh.connect', { hostId: rootHost })).status, 'connected');
  const built = await buildTarget('service');
  goVersion = built.goVersion;
  ctr = await startContainer({
    binary: built.binary,
    args: ['-goroutines', '50', '-threads', '4'],
    ready: /^READY$/m,
    memoryMaxBytes: 256 * 1024 * 1024,
    cpuQuotaUs: 50_000,
    kubePod: { qos: 'burstable', podUid, containerId },
  });
  pprofPort = Number(/^PPROF_ADDR=127\.0\.0\.1:(\d+)$/m.exec(ctr.output())![1]);
});

after(async () => {
  await backend?.close();
  await ctr?.stop();
  await sshd?.stop();
});

async function capture(input: Record<string, unknown>): Promise<SessionDetail> {
  const { captureId, sessionId } = await api.call('capture.start', { hostId: rootHost, pid: ctr.pid, ...input } as never);
  await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
  return api.call('sessions.open', { sessionId });
}
const artifact = (s: SessionDetail, name: string) => s.artifacts.find((a) => a.name === name)!;
const text = async (s: SessionDetail, name: string) => (await api.call('artifacts.read', { artifactId: artifact(s, name).id })).text;
const GO_ARTIFACTS = ['go/goroutine-debug2.txt', 'go/heap-debug1.txt', 'go/allocs.pb.gz', 'go/threadcreate.pb.gz', 'go/mutex.pb.gz', 'go/block.pb.gz'];

test('the lab container is real: its own network namespace with only a loopback, pprof not reachable from the host', async () => {
  assert.notEqual(ctr.netns, readlinkSync('/proc/self/ns/net'));
  const r = await ctr.get(pprofPort, '/debug/pprof/');
  assert.equal(r.status, 200);
  await assert.rejects(fetch(`http://127.0.0.1:${pprofPort}/debug/pprof/`, { signal: AbortSignal.timeout(3000) }), 'the host loopback does not have it');
  assert.match(readFileSync(`/proc/${ctr.pid}/cgroup`, 'utf8'), new RegExp(`kubepods-burstable-pod${podUid.replace(/-/g, '_')}\\.slice/cri-containerd-${containerId}\\.scope`));
});

test("pprof through the namespace: discovered from the process's own sockets and fetched with nsenter and the first forwarder the host has", async () => {
  const s = await capture({ stacks: false });
  assert.equal(s.status, 'complete', s.statusReason ?? '');
  for (const name of GO_ARTIFACTS) {
    const a = artifact(s, name);
    assert.equal(a.status, 'ok', `${name}: ${a.reason}`);
    assert.ok(a.sizeBytes > 0);
  }
  assert.ok((await text(s, 'go/goroutine-debug2.txt')).match(/^goroutine \d+ \[/gm)!.length >= 50);
  assert.match(await text(s, 'go/heap-debug1.txt'), /^# runtime\.MemStats$/m);
  const meta = JSON.parse(await text(s, 'meta/discovery.json'));
  assert.equal(meta.pprofPort, pprofPort);
  assert.equal(meta.network.route, 'netns');
  assert.equal(meta.network.netns, ctr.netns);
  assert.ok(['socat', 'busybox-nc', 'bash'].includes(meta.network.forwarder));
  assert.match(meta.network.description, new RegExp(`^nsenter -t ${ctr.pid} -n with .* into the process's network namespace net:\\[\\d+\\]$`));
});

for (const forwarder of ['busybox-nc', 'bash'] as const) {
  test(`pprof through the namespace with ${forwarder} as the forwarder`, async () => {
    const s = await capture({ stacks: false, forwarders: [forwarder], cpuProfileSeconds: 1 });
    for (const name of [...GO_ARTIFACTS, 'go/cpu.pb.gz']) assert.equal(artifact(s, name).status, 'ok', `${name}: ${artifact(s, name).reason}`);
    const meta = JSON.parse(await text(s, 'meta/discovery.json'));
    assert.equal(meta.network.forwarder, forwarder);
  });
}

test('no allowed forwarder on the host: refused, naming what was looked for; the rest of the capture is complete', async () => {
  const s = await capture({ stacks: false, forwarders: ['socat'] });
  assert.equal(s.status, 'complete');
  for (const name of GO_ARTIFACTS) {
    const a = artifact(s, name);
    assert.equal(a.status, 'skipped');
    assert.match(a.reason ?? '', /another network namespace .*No forwarder to carry the connection is on the host: tried socat.*installs nothing/);
  }
  assert.equal(artifact(s, 'proc/smaps').status, 'ok');
  const meta = JSON.parse(await text(s, 'meta/discovery.json'));
  assert.equal(meta.network.route, 'refused');
});

test('build info and native stacks by host PID (/proc/PID/exe, eu-stack -p as root) in the container', async () => {
  const s = await capture({ stackTools: ['eu-stack'] });
  assert.equal(s.goVersion, goVersion, 'the Go version read from the build info through /proc/PID/exe');
  const st = artifact(s, 'stacks/native.txt');
  assert.equal(st.status, 'ok', st.reason ?? '');
  assert.match(st.reason ?? '', /^eu-stack ran/);
  assert.match(await text(s, 'stacks/native.txt'), /runtime\.|main\./);
});

test('the process list shows the container process by its host PID, as Go, with its runtime, pod UID and QoS', async () => {
  const list = (await api.call('processes.list', { hostId: rootHost })).processes;
  const p = list.find((x) => x.pid === ctr.pid);
  assert.ok(p, `the container process is listed by its host PID (${list.length} processes listed)`);
  assert.equal(p.go.kind, 'go', p.go.reason);
  assert.equal(p.go.goVersion, goVersion);
  assert.deepEqual([p.container?.runtime, p.container?.id, p.container?.podUid, p.container?.qos], ['containerd', containerId, podUid, 'burstable']);
});

test('the Overview shows the container and the way into its network namespace', async () => {
  const s = await capture({ stacks: false });
  const files: Record<string, string> = {};
  for (const a of s.artifacts) if (a.sha256 && !a.name.endsWith('.pb.gz') && a.name !== 'go/trace') files[a.name] = (await api.call('artifacts.read', { artifactId: a.id })).text;
  const view = buildOverviewView(files, { goVersion: s.goVersion });
  assert.deepEqual([view.container?.container?.runtime, view.container?.container?.podUid, view.container?.container?.qos], ['containerd', podUid, 'burstable']);
  assert.equal(view.container?.network?.route, 'netns');
});

test('a user whose sudo does not allow nsenter is refused with the sudoers rule to add; with the rule, sudo -n nsenter gets in', async () => {
  // ls reads the fd table (sockets → the pprof port); readlink compares the namespaces.
  const readers = ['head', 'tail', 'ls', 'readlink'];
  const denied = ensureUser('gs-lab-nsdeny', { password: 'x-Unused-3', sudoNoPasswd: readers });
  const allowed = ensureUser('gs-lab-nsallow', { password: 'x-Unused-4', sudoNoPasswd: [...readers, 'nsenter'] });
  const run = async (user: string) => {
    const host = await api.call('hosts.add', { label: user, hostname: '127.0.0.1', port: sshd.port, user, identityFile: sshd.clientKeyPath, useSudo: true });
    assert.equal((await api.call('ssh.connect', { hostId: host.id })).status, 'connected');
    const { captureId, sessionId } = await api.call('capture.start', { hostId: host.id, pid: ctr.pid, stacks: false });
    await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
    return api.call('sessions.open', { sessionId });
  };
  const no = await run(denied.name);
  const g = artifact(no, 'go/goroutine-debug2.txt');
  assert.equal(g.status, 'skipped');
  assert.match(g.reason ?? '', /another network namespace.*sudo -n does not allow \/usr\/bin\/nsenter.*NOPASSWD: \/usr\/bin\/nsenter/);
  const yes = await run(allowed.name);
  for (const name of GO_ARTIFACTS) assert.equal(artifact(yes, name).status, 'ok', `${name}: ${artifact(yes, name).reason}`);
  const meta = JSON.parse((await api.call('artifacts.read', { artifactId: artifact(yes, 'meta/discovery.json').id })).text);
  assert.equal(meta.network.sudo, true);
});

test('a host whose PATH has no forwarder (no socat, busybox or bash): refused, naming each one looked for', async () => {
  // The same machine seen as a minimal host: the lab user's PATH holds every command but the forwarders.
  const bin = mkdtempSync(join(tmpdir(), 'gs-nofwd-bin-'));
  chmodSync(bin, 0o755);
  const FORWARDERS_ON_HOST = new Set(['bash', 'rbash', 'busybox', 'socat', 'nc', 'nc.openbsd', 'nc.traditional', 'netcat', 'ncat']);
  for (const dir of ['/usr/bin', '/usr/sbin']) for (const name of readdirSync(dir)) if (!FORWARDERS_ON_HOST.has(name) && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
  const user = ensureUser('gs-lab-nofwd', { password: 'x-Unused-5', sudoNoPasswd: ['head', 'tail', 'ls', 'readlink', 'nsenter'] });
  const home = execFileSync('sh', ['-c', `getent passwd ${user.name} | cut -d: -f6`], { encoding: 'utf8' }).trim();
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'environment'), `PATH=${bin}\n`, { mode: 0o644 });
  const minimal = await startSshd({ extraConfig: ['PermitUserEnvironment yes'] });
  try {
    const host = await api.call('hosts.add', {
      label: 'minimal',
      hostname: '127.0.0.1',
      port: minimal.port,
      user: user.name,
      identityFile: minimal.clientKeyPath,
      useSudo: true,
      strictHostKeyChecking: 'accept-new',
    });
    assert.equal((await api.call('ssh.connect', { hostId: host.id })).status, 'connected');
    const { captureId, sessionId } = await api.call('capture.start', { hostId: host.id, pid: ctr.pid, stacks: false });
    await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
    const s = await api.call('sessions.open', { sessionId });
    const g = artifact(s, 'go/goroutine-debug2.txt');
    assert.equal(g.status, 'skipped');
    assert.match(g.reason ?? '', /another network namespace.*No forwarder to carry the connection is on the host: tried socat, busybox nc, bash's \/dev\/tcp\. Gopherscope installs nothing/);
  } finally {
    await minimal.stop();
    rmSync(join(home, '.ssh', 'environment'), { force: true });
    rmSync(bin, { recursive: true, force: true });
  }
});

/**
 * Go's own evidence over the pprof endpoint, through SSH tunnels, from real
 * lab targets: discovery, streaming to blobs, the trace cap, a missing
 * endpoint, a stalling endpoint.
 */
import { expectedArtifacts, specOf } from '../../shared/artifacts/registry';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Api } from '../../shared/contract/client';
import type { EventPayload, SessionDetail } from '../../shared/contract/api';
import { createBackend, type Backend } from '../../electron/core/backend';
import { BlobStore } from '../../electron/core/blobs';
import { fetchToBlob } from '../../electron/core/goArtifacts';
import { inProcessApi } from '../../electron/core/inProcess';
import { KnownHosts } from '../../electron/core/knownHosts';
import { connectSsh } from '../../electron/core/sshConnection';
import { createLab, type Lab } from '../lab/lab';

let lab: Lab;
let backend: Backend;
let api: Api;
let hostId: string;
let dataDir: string;

before(async () => {
  lab = await createLab();
  dataDir = mkdtempSync(join(tmpdir(), 'gs-capgo-'));
  const kh = join(dataDir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  backend = await createBackend({ dataDir: join(dataDir, 'data'), userKnownHostsFile: kh, agentSocket: '' });
  api = inProcessApi(backend);
  hostId = (await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath })).id;
  assert.equal((await api.call('ssh.connect', { hostId })).status, 'connected');
});

after(async () => {
  await backend?.close();
  await lab?.cleanup();
});

type Progress = EventPayload<'capture.progress'> & { readonly at: number };

async function capture(input: Parameters<Api['call']>[1] & object, progress: Progress[] = []): Promise<SessionDetail> {
  const seen: Progress[] = [];
  const off = api.on('capture.progress', (p) => seen.push({ ...p, at: Date.now() }));
  const { captureId, sessionId } = await api.call('capture.start', input as never);
  await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
  off();
  progress.push(...seen.filter((p) => p.captureId === captureId));
  return api.call('sessions.open', { sessionId });
}

const artifact = (s: SessionDetail, name: string) => s.artifacts.find((a) => a.name === name)!;
const text = async (s: SessionDetail, name: string) => (await api.call('artifacts.read', { artifactId: artifact(s, name).id })).text;

test('goroutines, heap with MemStats, profiles, a CPU profile and a trace come through the discovered endpoint', async () => {
  const t = await lab.startGoService({
    memoryMaxBytes: 512 * 1024 * 1024,
    cpuQuotaUs: 100_000,
    cpuPeriodUs: 100_000,
    args: ['-goroutines', '300', '-alloc-rate', '8000000'],
    env: { GRAFANA_API_KEY: 'planted-go-capture-secret' },
  });
  const progress: Progress[] = [];
  const s = await capture({ hostId, pid: t.pid, cpuProfileSeconds: 1, traceSeconds: 1 }, progress);
  assert.equal(s.status, 'complete', s.statusReason ?? '');
  // The total is fixed from the first event (per-thread files do not move it); done only grows, and ends at the total.
  const total = progress[0]!.total;
  assert.ok(total >= 20, `total ${total}`);
  assert.deepEqual([...new Set(progress.map((p) => p.total))], [total]);
  assert.ok(
    progress.every((p, i) => p.done <= total && (i === 0 || p.done >= progress[i - 1]!.done)),
    'done never goes back and never passes the total',
  );
  assert.equal(progress.at(-1)!.done, total);
  // The timed fetches count down while they sample, and leave the list once stored.
  for (const name of ['go/cpu.pb.gz', 'go/trace']) {
    const timed = progress.filter((p) => p.timers?.some((x) => x.name === name));
    assert.ok(timed.length >= 1, `${name} was reported as timed`);
    const first = timed[0]!.timers!.find((x) => x.name === name)!;
    assert.ok(first.remainingMs > 0 && first.remainingMs <= 1000, `${name}: ${first.remainingMs} ms left at its start`);
    const stored = progress.findIndex((p) => p.step === name && p.timers?.every((x) => x.name !== name));
    assert.ok(stored > progress.indexOf(timed[0]!), `${name} leaves the timers when stored`);
    assert.ok(progress.slice(stored).every((p) => !p.timers?.some((x) => x.name === name)));
  }
  for (const name of ['go/goroutine-debug2.txt', 'go/heap-debug1.txt', 'go/allocs.pb.gz', 'go/threadcreate.pb.gz', 'go/mutex.pb.gz', 'go/block.pb.gz', 'go/cpu.pb.gz', 'go/trace']) {
    const a = artifact(s, name);
    assert.equal(a?.status, 'ok', `${name}: ${a?.reason}`);
    assert.ok(a.sizeBytes > 0, name);
  }
  // Every artifact a real Go capture stores is a row of the registry, with the views and kind it says.
  for (const a of s.artifacts) assert.ok(specOf(a.name), `${a.name} is not in shared/artifacts/registry.ts`);
  const names = new Set(s.artifacts.map((a) => a.name));
  const expected = expectedArtifacts({ pprof: [...names].filter((n) => specOf(n)?.source.from === 'endpoint' && !['go/metrics.txt', 'go/expvar.json'].includes(n)), goBinary: true, stacks: true });
  assert.deepEqual(
    expected.filter((n) => !names.has(n)),
    [],
    'every expected artifact is accounted for',
  );
  const meta = JSON.parse(await text(s, 'meta/discovery.json'));
  assert.equal(meta.pprofPort, Number(t.pprofAddr!.split(':')[1]), 'the endpoint was discovered from the process sockets');
  assert.equal(meta.cgroupPath, t.cgroup.relativePath);
  assert.deepEqual(meta.goEnv, {});
  const dump = await text(s, 'go/goroutine-debug2.txt');
  assert.ok((dump.match(/^goroutine \d+ \[/gm) ?? []).length >= 300, 'every goroutine is in the dump');
  assert.match(await text(s, 'go/heap-debug1.txt'), /^# runtime\.MemStats$/m);
  const blobsDir = join(dataDir, 'data', 'blobs');
  const blob = (name: string) => readFileSync(join(blobsDir, artifact(s, name).sha256!.slice(0, 2), artifact(s, name).sha256!.slice(2)));
  assert.deepEqual([...blob('go/allocs.pb.gz').subarray(0, 2)], [0x1f, 0x8b], 'gzipped protobuf');
  assert.ok(gunzipSync(blob('go/cpu.pb.gz')).length > 0);
  assert.match(blob('go/trace').subarray(0, 16).toString('latin1'), /^go 1\.\d+ trace\0/, 'the Go trace header');
  for (const f of readdirSync(blobsDir, { recursive: true }) as string[]) {
    const p = join(blobsDir, f);
    if (statSync(p).isFile()) assert.equal(readFileSync(p).includes('planted-go-capture-secret'), false, `secret in ${f}`);
  }
});

test('the trace cap stops the download cleanly and marks the artifact truncated', async () => {
  const t = await lab.startGoService({ args: ['-goroutines', '5000', '-alloc-rate', '50000000'] });
  const s = await capture({ hostId, pid: t.pid, traceSeconds: 2, traceCapBytes: 128 * 1024 });
  const trace = artifact(s, 'go/trace');
  assert.equal(trace.status, 'truncated', trace.reason ?? '');
  assert.equal(trace.sizeBytes, 128 * 1024);
  assert.match(trace.reason ?? '', /128 KiB cap/);
  assert.equal(s.status, 'complete');
});

test('no pprof endpoint: the Go artifacts are skipped with the recommendation, never a signal', async () => {
  const t = await lab.startGoService({ args: ['-pprof', '', '-goroutines', '10'] });
  const s = await capture({ hostId, pid: t.pid });
  assert.equal(s.status, 'complete');
  const g = artifact(s, 'go/goroutine-debug2.txt');
  assert.equal(g.status, 'skipped');
  assert.match(g.reason ?? '', /net\/http\/pprof/);
  assert.match(g.reason ?? '', /never signals/);
  assert.ok(t.child.exitCode === null && t.child.signalCode === null, 'the target is still running');
});

test('an endpoint that stalls forever hits its timeout', async () => {
  const t = await lab.startGoService({ args: ['-stall', '/debug/pprof/heap', '-goroutines', '10'] });
  const outcome = await connectSsh(
    { hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath },
    { knownHosts: new KnownHosts([join(dataDir, 'kh')], join(dataDir, 'app_kh')) },
  );
  assert.equal(outcome.kind, 'connected');
  if (outcome.kind !== 'connected') return;
  try {
    const blobs = new BlobStore(join(dataDir, 'stall-blobs'));
    await blobs.init();
    const port = Number(t.pprofAddr!.split(':')[1]);
    const started = Date.now();
    const r = await fetchToBlob(outcome.connection, blobs, port, { name: 'go/heap-debug1.txt', path: '/debug/pprof/heap?debug=1', cap: 1 << 20 }, 2000);
    assert.ok(Date.now() - started < 6000);
    assert.equal(r.status, 'failed');
    assert.match(r.reason ?? '', /stalled/);
    const ok = await fetchToBlob(outcome.connection, blobs, port, { name: 'go/goroutine-debug2.txt', path: '/debug/pprof/goroutine?debug=2', cap: 1 << 20 }, 5000);
    assert.equal(ok.status, 'ok', 'other endpoints still answer');
  } finally {
    outcome.connection.end();
  }
});

test('native stacks: the first available tool runs and says how long the target was held; missing tools and opt-out are explicit', async () => {
  const t = await lab.startGoService({ args: ['-goroutines', '20', '-threads', '8'] });
  const s = await capture({ hostId, pid: t.pid });
  const st = artifact(s, 'stacks/native.txt');
  assert.equal(st.status, 'ok', st.reason ?? '');
  assert.match(st.reason ?? '', /^(pstack|gstack|eu-stack|gdb) ran; the target was stopped for at most \d+ ms/);
  assert.match(await text(s, 'stacks/native.txt'), /runtime\.|main\./);

  const none = await capture({ hostId, pid: t.pid, stackTools: ['pstack'] });
  const sk = artifact(none, 'stacks/native.txt');
  assert.equal(sk.status, 'skipped');
  assert.match(sk.reason ?? '', /none of pstack is installed/);

  const gdb = await capture({ hostId, pid: t.pid, stackTools: ['gdb'] });
  assert.equal(artifact(gdb, 'stacks/native.txt').status, 'ok');
  assert.match(artifact(gdb, 'stacks/native.txt').reason ?? '', /^gdb ran/);

  const off = await capture({ hostId, pid: t.pid, stacks: false });
  assert.equal(
    off.artifacts.find((a) => a.name === 'stacks/native.txt'),
    undefined,
  );
  assert.ok(t.child.exitCode === null && t.child.signalCode === null, 'the target survives every stack tool');
});

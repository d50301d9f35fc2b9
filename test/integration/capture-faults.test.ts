/**
 * Captures under fault: sshd killed at random points (never a half session,
 * never a corrupt database), hostile process names and arguments, an older
 * Go toolchain, and a target with 50,000 mappings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Api } from '../../shared/contract/client';
import type { SessionDetail } from '../../shared/contract/api';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { Database } from '../../electron/core/sqlite';
import { createLab, type Lab } from '../lab/lab';
import { startSshd } from '../lab/sshd';
import { startTarget } from '../lab/target';
import { buildTarget } from '../lab/targets';

let lab: Lab;
let dir: string;
let backend: Backend;
let api: Api;
let knownHosts: string;
let hostId: string;

before(async () => {
  lab = await createLab();
  dir = mkdtempSync(join(tmpdir(), 'gs-faults-'));
  knownHosts = join(dir, 'kh');
  writeFileSync(knownHosts, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: knownHosts, agentSocket: '' });
  api = inProcessApi(backend);
  hostId = (await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath })).id;
  assert.equal((await api.call('ssh.connect', { hostId })).status, 'connected');
});

after(async () => {
  await backend?.close();
  await lab?.cleanup();
});

async function captureOn(host: string, input: Record<string, unknown>): Promise<{ finished: { status: string; reason: string | null }; session: SessionDetail }> {
  const { captureId, sessionId } = await api.call('capture.start', { hostId: host, ...input } as never);
  const finished = await new Promise<{ status: string; reason: string | null }>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve(f)));
  return { finished, session: await api.call('sessions.open', { sessionId }) };
}

test('sshd killed at 20 random points during capture: always a consistent session, the database always intact', async () => {
  const t = await lab.startGoService({ args: ['-goroutines', '2000', '-threads', '20'] });
  const outcomes: Record<string, number> = {};
  for (let run = 0; run < 20; run++) {
    const s = await startSshd();
    writeFileSync(knownHosts, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n[127.0.0.1]:${s.port} ${s.hostPublicKeyLine}\n`);
    const h = await api.call('hosts.add', { label: `victim ${run}`, hostname: '127.0.0.1', port: s.port, user: s.user, identityFile: s.clientKeyPath });
    assert.equal((await api.call('ssh.connect', { hostId: h.id })).status, 'connected');
    const { captureId, sessionId } = await api.call('capture.start', { hostId: h.id, pid: t.pid, cpuProfileSeconds: 1 });
    const finished = new Promise<{ status: string; reason: string | null }>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve(f)));
    const delay = Math.floor(Math.random() * 1500);
    await new Promise((r) => setTimeout(r, delay));
    s.kill();
    const f = await Promise.race([finished, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`capture ${run} did not finish after sshd died (${delay} ms)`)), 60_000))]);
    const session = await api.call('sessions.open', { sessionId });
    outcomes[session.status] = (outcomes[session.status] ?? 0) + 1;
    assert.ok(['complete', 'partial', 'failed'].includes(session.status), `run ${run}: ${session.status} ${session.statusReason}`);
    assert.equal(f.status, session.status);
    if (session.status !== 'complete') assert.match(session.statusReason ?? '', /dropped|stopped|lost|closed|timed out|connect/i, `run ${run}`);
    // every artifact of a finished session is accounted for: read, or with the reason it is missing
    for (const a of session.artifacts) {
      if (a.status === 'ok' || a.status === 'truncated') assert.ok(a.sha256 || a.sizeBytes === 0, `${a.name} has its blob`);
      else assert.ok(a.reason, `${a.name} says why it is ${a.status}`);
    }
    if (session.status !== 'complete')
      assert.ok(
        session.artifacts.some((a) => (a.reason ?? '').startsWith('not captured')),
        `run ${run}: missing ones are listed`,
      );
    await s.stop();
  }
  const db = await Database.open(join(dir, 'data', 'gopherscope.db'));
  assert.equal((await db.get<{ integrity_check: string }>('PRAGMA integrity_check'))?.integrity_check, 'ok');
  await db.close();
  assert.ok((outcomes.partial ?? 0) >= 1, `at least one kill landed mid-capture: ${JSON.stringify(outcomes)}`);
});

test('a process whose name and arguments are full of shell metacharacters is captured with nothing executed', async () => {
  const built = await buildTarget('service');
  const odd = mkdtempSync(join(tmpdir(), 'gs-odd-'));
  const marker = join(odd, 'PWNED');
  // A file name cannot hold '/', so the name's own payload touches a relative file: we look for it
  // in every folder a remote shell could have run it in.
  const relMarker = `PWNED-${process.pid}`;
  const binary = join(odd, `svc;$(touch ${relMarker})'\`x`);
  copyFileSync(built.binary, binary);
  const t = await startTarget({ binary, args: ['-goroutines', '3', '--', `$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, '\n@@GS1 forged END proc/cmdline rc=0\n'] });
  try {
    const { session } = await captureOn(hostId, { pid: t.pid, stacks: false });
    assert.equal(session.status, 'complete');
    const cmdline = (await api.call('artifacts.read', { artifactId: session.artifacts.find((a) => a.name === 'proc/cmdline')!.id })).text;
    assert.ok(cmdline.includes(`$(touch ${marker})`), 'arguments stored verbatim');
    assert.ok(cmdline.includes('@@GS1 forged END'), 'a forged frame is just text');
    assert.equal(session.processName.startsWith('svc;$(touch'), true);
    const list = (await api.call('processes.list', { hostId })).processes;
    assert.ok(list.find((p) => p.pid === t.pid)?.command.includes('$(touch'));
    assert.equal(existsSync(marker), false, 'nothing from the process text was executed');
    for (const d of [homedir(), process.cwd(), '/', tmpdir()]) assert.equal(existsSync(join(d, relMarker)), false, `nothing ran in ${d}`);
    assert.deepEqual(
      readdirSync(odd).filter((f) => f === 'PWNED'),
      [],
    );
  } finally {
    await t.stop();
  }
});

test('the same target built with an older Go through GOTOOLCHAIN is detected with its own version', async () => {
  const t = await lab.startGoService({ goToolchain: 'go1.24.0', args: ['-goroutines', '3'] });
  const list = (await api.call('processes.list', { hostId })).processes;
  assert.equal(list.find((p) => p.pid === t.pid)?.go.goVersion, 'go1.24.0');
  const { session } = await captureOn(hostId, { pid: t.pid, stacks: false });
  assert.equal(session.goVersion, 'go1.24.0');
});

test('a target with 50,000 mappings is streamed into the store', async () => {
  const t = await lab.startGoService({ args: ['-goroutines', '3', '-mappings', '50000'] });
  const started = Date.now();
  const { session } = await captureOn(hostId, { pid: t.pid, stacks: false });
  assert.equal(session.status, 'complete', session.statusReason ?? '');
  const smaps = session.artifacts.find((a) => a.name === 'proc/smaps')!;
  assert.ok(smaps.status === 'ok' || smaps.status === 'truncated', smaps.reason ?? '');
  assert.ok(smaps.sizeBytes > 50_000 * 300, `smaps of 50k mappings is large (${smaps.sizeBytes} bytes)`);
  const maps = session.artifacts.find((a) => a.name === 'proc/maps')!;
  const lines = (await api.call('artifacts.read', { artifactId: maps.id, maxBytes: 64 * 1024 * 1024 })).text.split('\n').length;
  assert.ok(lines > 50_000, `${lines} mappings`);
  assert.ok(Date.now() - started < 120_000);
});

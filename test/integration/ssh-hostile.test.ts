/**
 * Every wait on the server is bounded and can be cancelled: a hostile SSH
 * server (ssh2's Server, a real protocol peer) lets us in and then never
 * answers one kind of request — the channel open, the exec request, the pty or
 * shell request, a direct-tcpip open. Each attempt must fail within its
 * timeout, stop at once when aborted, close the channel if the server answers
 * late, and leave the connection's channel slots free. The CLI on top:
 * `ps` ends with a clear error, and Ctrl-C ends a hung capture.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ApiError } from '../../shared/contract/errors';
import { BlobStore } from '../../electron/core/blobs';
import { httpGetViaTunnel, openTunnel } from '../../electron/core/forward';
import { fetchToBlob } from '../../electron/core/goArtifacts';
import { KnownHosts } from '../../electron/core/knownHosts';
import { connectSsh, type SshConnection } from '../../electron/core/sshConnection';
import { Terminals } from '../../electron/core/terminals';
import { startHostileSshd, type HeldRequest, type HostileRequest, type HostileSshd } from '../lab/hostileSshd';
import { keygen } from '../lab/sshd';

let hostile: HostileSshd;
let conn: SshConnection;
let dir: string;
let clientKey: string;
let knownHostsFile: string;
/** A local TCP service that accepts and says nothing: what tunnels point at. */
let quiet: Server;
let quietPort: number;

before(async () => {
  quiet = createServer(() => undefined);
  await new Promise<void>((r) => quiet.listen(0, '127.0.0.1', () => r()));
  quietPort = (quiet.address() as { port: number }).port;
  hostile = await startHostileSshd();
  dir = mkdtempSync(join(tmpdir(), 'gs-hostile-client-'));
  clientKey = join(dir, 'id_ed25519');
  keygen(clientKey, 'ed25519');
  knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${hostile.port} ${hostile.hostPublicKeyLine}\n`);
  const outcome = await connectSsh(
    { hostname: '127.0.0.1', port: hostile.port, user: 'anyone', identityFile: clientKey },
    { knownHosts: new KnownHosts([knownHostsFile], join(dir, 'app_known_hosts')) },
  );
  assert.equal(outcome.kind, 'connected');
  if (outcome.kind === 'connected') conn = outcome.connection;
});

after(async () => {
  conn?.end();
  await hostile?.stop();
  quiet?.close();
});

/** Resolves true if p settles within ms. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
}

/** Rejects with an ApiError of this code; returns how long it took. */
async function failsWith(code: string, attempt: Promise<unknown>, message?: RegExp): Promise<number> {
  const started = Date.now();
  await assert.rejects(attempt, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
  return Date.now() - started;
}

const TIMEOUT_MS = 1500;
/** Scheduling slack on a shared two-core machine; the point is "bounded", not "fast". */
const SLACK_MS = 4000;

/** One attempt of each kind; each resolves to a usable result when the server answers. */
const attempts: Record<'session' | 'exec' | 'pty' | 'shell' | 'direct-tcpip', (timeoutMs: number, signal?: AbortSignal) => Promise<unknown>> = {
  session: (timeoutMs, signal) => conn.exec('echo ok', { timeoutMs, maxBytes: 1024, ...(signal ? { signal } : {}) }),
  exec: (timeoutMs, signal) => conn.exec('echo ok', { timeoutMs, maxBytes: 1024, ...(signal ? { signal } : {}) }),
  pty: (timeoutMs, signal) => terminals.open('hostile', conn, 80, 24, { timeoutMs, ...(signal ? { signal } : {}) }),
  shell: (timeoutMs, signal) => terminals.open('hostile', conn, 80, 24, { timeoutMs, ...(signal ? { signal } : {}) }),
  'direct-tcpip': (timeoutMs, signal) => openTunnel(conn, quietPort, { deadline: Date.now() + timeoutMs, ...(signal ? { signal } : {}) }),
};
const terminals = new Terminals(
  () => undefined,
  () => undefined,
);

for (const stage of Object.keys(attempts) as Array<keyof typeof attempts>) {
  test(`no answer to the ${stage} request: bounded by the timeout, abort stops it, a late answer is closed`, { timeout: 60_000 }, async (t) => {
    const attempt = attempts[stage];
    hostile.hang = (r: HostileRequest) => r.stage === stage;
    try {
      const heldNext = hostile.nextHeld();
      const took = await failsWith('remote-failed', attempt(TIMEOUT_MS), /did not answer/);
      assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + SLACK_MS, `failed after ${took} ms`);
      const held: HeldRequest = await heldNext;
      assert.equal(held.request.stage, stage);
      // A server that was only slow answers now: the client must close what it no longer wants,
      // and send nothing more on it (no exec or shell request on a late session).
      const seenBefore = hostile.seen.length;
      held.answerLate();
      assert.ok(await within(held.closedByClient, 5000), 'the client closed the channel after the late answer');
      assert.deepEqual(hostile.seen.slice(seenBefore), [], 'no request followed the late answer');

      const controller = new AbortController();
      const next = hostile.nextHeld();
      const pending = attempt(60_000, controller.signal);
      const abortedHeld = await next;
      const abortedAt = Date.now();
      controller.abort();
      await failsWith('cancelled', pending);
      const tookAbort = Date.now() - abortedAt;
      assert.ok(tookAbort < 1000, `cancel took ${tookAbort} ms`);
      t.diagnostic(`timeout ${TIMEOUT_MS} ms failed after ${took} ms; abort took ${tookAbort} ms`);
      abortedHeld.answerLate();
      assert.ok(await within(abortedHeld.closedByClient, 5000), 'the client closed the channel after the late answer to a cancelled request');
    } finally {
      hostile.hang = () => false;
    }
    // Nothing leaked: no slot is held, and more requests than there are slots all succeed.
    assert.equal(conn.channelsInUse, 0);
    const results = await Promise.all(Array.from({ length: conn.channelLimit + 2 }, () => conn.exec('echo ok', { timeoutMs: 20_000, maxBytes: 1024 })));
    for (const r of results) assert.equal(r.stdout.toString().trim(), 'ok');
  });
}

test('an already aborted signal never opens a channel', { timeout: 30_000 }, async () => {
  const controller = new AbortController();
  controller.abort();
  const before = hostile.held.length;
  hostile.hang = () => true;
  try {
    await failsWith('cancelled', conn.exec('echo ok', { timeoutMs: 10_000, maxBytes: 1024, signal: controller.signal }));
  } finally {
    hostile.hang = () => false;
  }
  assert.equal(hostile.held.length, before);
});

test('waiting for a channel slot is bounded and cancellable; aborting the holders frees every slot', { timeout: 60_000 }, async () => {
  hostile.hang = (r) => r.stage === 'session';
  const holders = new AbortController();
  const stuck = Array.from({ length: conn.channelLimit }, () =>
    conn.exec('echo stuck', { timeoutMs: 120_000, maxBytes: 1024, signal: holders.signal }).then(
      () => 'answered',
      (e: unknown) => (e instanceof ApiError ? e.code : String(e)),
    ),
  );
  try {
    while (hostile.held.filter((h) => !h.isClosedByClient() && h.request.stage === 'session').length < conn.channelLimit) await new Promise((r) => setTimeout(r, 20));
    const took = await failsWith('remote-failed', conn.exec('echo queued', { timeoutMs: TIMEOUT_MS, maxBytes: 1024 }), /channel/);
    assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + SLACK_MS, `queue wait failed after ${took} ms`);
    const waiter = new AbortController();
    const queued = conn.exec('echo queued', { timeoutMs: 120_000, maxBytes: 1024, signal: waiter.signal });
    await new Promise((r) => setTimeout(r, 200));
    const abortedAt = Date.now();
    waiter.abort();
    await failsWith('cancelled', queued);
    assert.ok(Date.now() - abortedAt < 1000);
    holders.abort();
    assert.deepEqual(
      await Promise.all(stuck),
      Array.from({ length: conn.channelLimit }, () => 'cancelled'),
    );
    assert.equal(conn.channelsInUse, 0);
  } finally {
    hostile.hang = () => false;
    holders.abort();
  }
  const results = await Promise.all(Array.from({ length: conn.channelLimit + 2 }, () => conn.exec('echo ok', { timeoutMs: 20_000, maxBytes: 1024 })));
  for (const r of results) assert.equal(r.stdout.toString().trim(), 'ok');
});

test('HTTP over a tunnel and a pprof download are bounded and cancellable while the tunnel is not yet open', { timeout: 60_000 }, async () => {
  hostile.hang = (r) => r.stage === 'direct-tcpip';
  const blobs = new BlobStore(join(dir, 'blobs'));
  try {
    const took = await failsWith('remote-failed', httpGetViaTunnel(conn, quietPort, '/debug/pprof/', { timeoutMs: TIMEOUT_MS, maxBytes: 1024 }), /did not answer/);
    assert.ok(took < TIMEOUT_MS + SLACK_MS, `GET failed after ${took} ms`);
    const started = Date.now();
    const r = await fetchToBlob(conn, blobs, quietPort, { name: 'go/heap-debug1.txt', path: '/debug/pprof/heap?debug=1', cap: 1024 }, TIMEOUT_MS);
    assert.equal(r.status, 'failed');
    assert.match(r.reason ?? '', /did not answer/);
    assert.ok(Date.now() - started < TIMEOUT_MS + SLACK_MS, `download ended after ${Date.now() - started} ms`);
    const controller = new AbortController();
    const next = hostile.nextHeld();
    const pending = fetchToBlob(conn, blobs, quietPort, { name: 'go/heap-debug1.txt', path: '/debug/pprof/heap?debug=1', cap: 1024 }, 60_000, controller.signal);
    await next;
    const abortedAt = Date.now();
    controller.abort();
    const cancelled = await pending;
    assert.ok(Date.now() - abortedAt < 1000);
    assert.equal(cancelled.status, 'failed');
    assert.match(cancelled.reason ?? '', /cancel/i);
  } finally {
    hostile.hang = () => false;
  }
});

const cli = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');

function runCli(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args, '--identity', clientKey, '--data-dir', join(dir, 'cli-data')], {
    env: { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: knownHostsFile, SSH_AUTH_SOCK: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

test('CLI: `ps` against a server that never opens a channel exits with a clear error within its 30 s timeout', { timeout: 120_000 }, async (t) => {
  hostile.hang = (r) => r.stage === 'session';
  try {
    const started = Date.now();
    const run = runCli(['ps', `anyone@127.0.0.1:${hostile.port}`]);
    const finished = await within(run.exited, 30_000 + 25_000);
    if (!finished) run.child.kill('SIGKILL');
    assert.ok(finished, `ps still running after ${Date.now() - started} ms; stderr: ${run.stderr()}`);
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), /gopherscope: .*did not answer.* within 30 s/);
    t.diagnostic(`ps exited after ${Date.now() - started} ms: ${run.stderr().trim().split('\n').slice(-2).join(' | ')}`);
  } finally {
    hostile.hang = () => false;
  }
});

test('CLI: Ctrl-C during a capture whose exec is never answered ends it promptly', { timeout: 120_000 }, async (t) => {
  // The process check and Go detection are answered; the capture's own script is not.
  hostile.hang = (r) => r.stage === 'exec' && r.command.includes('system/uname');
  try {
    const run = runCli(['capture', `anyone@127.0.0.1:${hostile.port}`, '--pid', String(process.pid), '--no-stacks']);
    const held = hostile.nextHeld();
    assert.ok(await within(held, 60_000), `the capture never reached its script; stderr: ${run.stderr()}`);
    const interruptedAt = Date.now();
    run.child.kill('SIGINT');
    const finished = await within(run.exited, 10_000);
    if (!finished) run.child.kill('SIGKILL');
    assert.ok(finished, `capture still running ${Date.now() - interruptedAt} ms after SIGINT; stderr: ${run.stderr()}`);
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), /session [0-9a-f-]+: (failed|partial) \(.*cancel/i);
    t.diagnostic(`exited ${Date.now() - interruptedAt} ms after SIGINT: ${run.stderr().trim().split('\n').slice(-1)[0]}`);
  } finally {
    hostile.hang = () => false;
  }
});

/**
 * Go detection for every kind of real Go binary, through the real sshd, for
 * both the process list and capture: the lab's inprocess target built
 * static, with cgo (dynamically linked, .go.buildinfo away from the start of
 * the writable segment), as a PIE, with -ldflags=-w, stripped, and stripped
 * with its section headers dropped; and one that was deleted, and one whose
 * path was replaced by another file, while running (read through
 * /proc/PID/exe). Each capture stores the build info blob as go/buildinfo.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Api } from '../../shared/contract/client';
import type { SessionDetail } from '../../shared/contract/api';
import { parseBuildInfo } from '../../shared/parsers/buildinfo';
import { createBackend, type Backend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { createLab, type Lab } from '../lab/lab';
import { startTarget, type RunningTarget } from '../lab/target';
import { buildTarget, BUILD_VARIANTS, type BuildVariant } from '../lab/targets';

const MAIN = 'gopherscope.dev/lab/inprocess';

let lab: Lab;
let backend: Backend;
let api: Api;
let hostId: string;
let dir: string;
const running: RunningTarget[] = [];
const kinds: Array<{ kind: BuildVariant | 'deleted' | 'replaced'; goVersion: string; target: RunningTarget }> = [];

before(async () => {
  lab = await createLab();
  dir = mkdtempSync(join(tmpdir(), 'gs-detect-'));
  const kh = join(dir, 'kh');
  writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: kh, agentSocket: '' });
  api = inProcessApi(backend);
  hostId = (await api.call('hosts.add', { label: 'lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath })).id;
  assert.equal((await api.call('ssh.connect', { hostId })).status, 'connected');
  for (const variant of BUILD_VARIANTS) {
    const built = await buildTarget('inprocess', { variant });
    const target = await startTarget({ binary: built.binary, args: ['-maxprocs', '3'] });
    running.push(target);
    kinds.push({ kind: variant, goVersion: built.goVersion, target });
  }
  // Copies started from a path of their own, then the path deleted or replaced while they run.
  const cgo = await buildTarget('inprocess', { variant: 'cgo' });
  for (const kind of ['deleted', 'replaced'] as const) {
    const path = join(dir, `inprocess-${kind}`);
    copyFileSync(cgo.binary, path);
    const target = await startTarget({ binary: path });
    running.push(target);
    unlinkSync(path);
    if (kind === 'replaced') writeFileSync(path, '#!/bin/sh\necho this is not the binary that runs\n', { mode: 0o755 });
    kinds.push({ kind, goVersion: cgo.goVersion, target });
  }
});

after(async () => {
  for (const t of running) await t.stop().catch(() => undefined);
  await backend?.close();
  await lab?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function capture(pid: number): Promise<SessionDetail> {
  const { captureId, sessionId } = await api.call('capture.start', { hostId, pid, stacks: false });
  await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve()));
  return api.call('sessions.open', { sessionId });
}

test('ps marks every kind of Go binary as Go, with its version and main module', async () => {
  const list = (await api.call('processes.list', { hostId })).processes;
  for (const k of kinds) {
    const p = list.find((x) => x.pid === k.target.pid);
    assert.ok(p, `pid ${k.target.pid} (${k.kind}) is listed`);
    assert.equal(p.go.kind, 'go', `${k.kind}: ${p.go.reason}`);
    assert.equal(p.go.goVersion, k.goVersion, k.kind);
    assert.equal(p.go.mainModule, MAIN, k.kind);
    if (k.kind === 'noshdr') assert.match(p.go.reason, /scanning the writable segments \(the binary has no section headers\)/);
    else assert.match(p.go.reason, /\.go\.buildinfo section/, k.kind);
  }
  // Non-Go ELF processes stay non-Go, with a reason: sshd is one.
  const sshd = list.find((x) => x.pid === lab.sshd.pid);
  assert.equal(sshd?.go.kind, 'not-go', sshd?.go.reason);
});

for (const kind of [...BUILD_VARIANTS, 'deleted', 'replaced'] as const) {
  test(`capture of a ${kind} Go binary: detected as Go, with its build info stored as go/buildinfo`, async () => {
    const k = kinds.find((x) => x.kind === kind)!;
    const s = await capture(k.target.pid);
    assert.equal(s.status, 'complete', s.statusReason ?? '');
    assert.equal(s.goVersion, k.goVersion);
    const a = s.artifacts.find((x) => x.name === 'go/buildinfo');
    assert.equal(a?.status, 'ok', a?.reason ?? 'no go/buildinfo');
    const body = Buffer.from((await api.call('artifacts.read', { artifactId: a.id, encoding: 'base64' })).text, 'base64');
    assert.equal(body.subarray(0, 14).toString('latin1'), '\xff Go buildinf:', 'starts at the magic');
    assert.ok(body.length <= 64 * 1024);
    const info = parseBuildInfo(new Uint8Array(body));
    assert.ok(info.ok);
    assert.equal(info.value.goVersion, k.goVersion);
    assert.equal(info.value.path, MAIN);
    assert.equal(info.value.truncated, false);
    assert.equal(info.value.settings.CGO_ENABLED, kind === 'cgo' || kind === 'deleted' || kind === 'replaced' ? '1' : '0');
    // The goroutine and profile fetches are attempted (skipped here: the target serves no pprof), as for any Go process.
    assert.equal(s.artifacts.find((x) => x.name === 'go/goroutine-debug2.txt')?.status, 'skipped');
  });
}

test('the replaced path holds a different file: detection read the binary that runs, not the path', () => {
  const k = kinds.find((x) => x.kind === 'replaced')!;
  assert.match(readFileSync(join(dir, 'inprocess-replaced'), 'utf8'), /not the binary/);
  assert.equal(k.target.child.exitCode, null, 'still running');
});

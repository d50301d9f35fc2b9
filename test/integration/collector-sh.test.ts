/**
 * The remote collector run by real POSIX shells (dash, and busybox sh when
 * installed) — no SSH needed to prove the framing, the error capture and the
 * cap, and that hostile process text is read, never executed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameParser, type FrameEvent } from '../../shared/capture/frames';
import { captureScript, exeRangesScript, memReadError, memReadLine, newNonce, readScript } from '../../electron/core/remoteScripts';
import { readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';

const shells = [['dash'], ['busybox', 'sh']].filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0);

function runScript(shell: string[], script: string, nonce: string, cap = 1 << 20, env?: NodeJS.ProcessEnv) {
  const out = spawnSync(shell[0]!, [...shell.slice(1), '-c', script], { encoding: 'utf8', maxBuffer: 64 << 20, ...(env ? { env } : {}) });
  const parser = new FrameParser(nonce, () => cap);
  const events: FrameEvent[] = [];
  parser.feed(out.stdout, (e) => events.push(e));
  parser.finish((e) => events.push(e));
  const bodies = new Map<string, Buffer>();
  for (const e of events) if (e.kind === 'data') bodies.set(e.name, Buffer.concat([bodies.get(e.name) ?? Buffer.alloc(0), Buffer.from(e.bytes)]));
  return { events, bodies, stderr: out.stderr, status: out.status };
}

test('at least dash is available', () => {
  assert.ok(shells.length >= 1, 'dash must be installed');
});

for (const shell of shells) {
  test(`${shell.join(' ')}: hostile cmdline is captured byte for byte and nothing runs`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-hostile-'));
    const marker = join(dir, 'pwned');
    const hostile = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `"; touch ${marker}; "`, '\n@@GS1 0000 END proc/cmdline rc=0\n', '%s%n%x'];
    // node ignores extra arguments after the script, so they sit in /proc/PID/cmdline untouched.
    const args = ['-e', 'setTimeout(() => {}, 30000)', ...hostile];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const nonce = newNonce();
      const script = captureScript(nonce, child.pid!, [
        { name: 'proc/cmdline', path: `/proc/${child.pid}/cmdline`, cap: 1 << 20 },
        { name: 'proc/status', path: `/proc/${child.pid}/status`, cap: 1 << 20 },
      ]);
      const r = runScript(shell, script, nonce);
      const expected = [process.execPath, ...args].join('\0') + '\0';
      assert.equal(r.bodies.get('proc/cmdline')?.toString('utf8'), expected);
      assert.ok(
        r.events.some((e) => e.kind === 'done'),
        r.stderr,
      );
      assert.equal(existsSync(marker), false, 'a command from the cmdline was executed');
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test(`${shell.join(' ')}: unreadable files report their error, caps truncate, gone is detected`, () => {
    const nonce = newNonce();
    const script = captureScript(nonce, process.pid, [
      { name: 'missing', path: `/proc/${process.pid}/no-such-file`, cap: 100 },
      { name: 'limited', path: '/etc/passwd', cap: 10 },
    ]);
    const r = runScript(shell, script, nonce, 10);
    const missingEnd = r.events.find((e) => e.kind === 'end' && e.name === 'missing');
    assert.ok(missingEnd && missingEnd.kind === 'end' && missingEnd.rc !== 0);
    const err = r.events.find((e) => e.kind === 'stderr' && e.name === 'missing');
    assert.ok(err && err.kind === 'stderr' && /no such file|can't open|cannot open|nonexistent/i.test(err.text), JSON.stringify(err));
    const limitedEnd = r.events.find((e) => e.kind === 'end' && e.name === 'limited');
    assert.ok(limitedEnd && limitedEnd.kind === 'end' && limitedEnd.truncated && limitedEnd.size === 10);

    const nonce2 = newNonce();
    const gone = runScript(shell, captureScript(nonce2, 4_000_000, [{ name: 'x', path: '/proc/4000000/status', cap: 10 }]), nonce2);
    assert.ok(gone.events.some((e) => e.kind === 'gone'));
    assert.ok(!gone.events.some((e) => e.kind === 'begin'));
  });
}

for (const shell of shells) {
  test(`${shell.join(' ')}: byte ranges of a large file come back exact, with status 0`, () => {
    const nonce = newNonce();
    // /proc/self/exe of the shell is the shell binary; read 64 bytes at offset 4096 of node's own binary instead.
    const exe = `/proc/${process.pid}/exe`;
    const r = runScript(shell, exeRangesScript(nonce, [{ name: `p/${process.pid}/range`, pid: process.pid, offset: 4096, length: 64 }]), nonce);
    const end = r.events.find((e) => e.kind === 'end');
    assert.ok(end && end.kind === 'end' && end.rc === 0, JSON.stringify(r.events.filter((e) => e.kind !== 'data')));
    assert.deepEqual(r.bodies.get(`p/${process.pid}/range`), readFileSync(exe).subarray(4096, 4096 + 64));
  });

  test(`${shell.join(' ')}: process memory is read with dd at an address, and an unmapped one fails with its error`, () => {
    memoryReads(shell);
  });
}

test('busybox dd (a host without coreutils) reads process memory the same way', (t) => {
  if (spawnSync('sh', ['-c', 'command -v busybox']).status !== 0) return t.skip('busybox is not installed');
  const bin = mkdtempSync(join(tmpdir(), 'gs-bbdd-'));
  symlinkSync(spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim(), join(bin, 'dd'));
  try {
    memoryReads(['busybox', 'sh'], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

function memoryReads(shell: string[], env?: NodeJS.ProcessEnv): void {
  {
    const nonce = newNonce();
    // Node's own executable is mapped from offset 0 somewhere: its first bytes in memory are the file's first bytes.
    const maps = readFileSync(`/proc/${process.pid}/maps`, 'utf8');
    const exePath = readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').split('\0')[0]!;
    const line = maps.split('\n').find((l) => / 00000000 /.test(l) && l.endsWith(realpathSync(exePath)))!;
    const start = parseInt(line.split('-')[0]!, 16);
    const r = runScript(
      shell,
      readScript(nonce, {
        mem: [
          { name: 'mem/head', pid: process.pid, address: start + 8, length: 24 },
          { name: 'mem/none', pid: process.pid, address: 8, length: 8 },
        ],
      }),
      nonce,
      1 << 20,
      env,
    );
    const ends = new Map(r.events.flatMap((e) => (e.kind === 'end' ? [[e.name, e.rc] as const] : [])));
    const errs = new Map(r.events.flatMap((e) => (e.kind === 'stderr' ? [[e.name, e.text] as const] : [])));
    assert.equal(ends.get('mem/head'), 0, errs.get('mem/head'));
    assert.deepEqual(r.bodies.get('mem/head'), readFileSync(`/proc/${process.pid}/exe`).subarray(8, 32));
    assert.equal(memReadError(errs.get('mem/head') ?? ''), '', 'only transfer statistics on success');
    assert.notEqual(ends.get('mem/none'), 0, 'page 0 is never mapped');
    assert.match(memReadError(errs.get('mem/none') ?? ''), /error|Input\/output|Bad address/i);
    assert.throws(() => memReadLine('mem/x', process.pid, 3, 8), /8-byte aligned/);
  }
}

/**
 * Text from a host never drives the user's terminal. A real lab process whose
 * name (comm) and command line carry OSC (retitle), CSI, C1, backspace,
 * shift-out, carriage return and newline bytes goes through `gopherscope ps`,
 * `capture`, `sessions` and `report`; an SSH server whose keyboard-interactive
 * prompt carries the same goes through the prompt path. Every text output has
 * its control characters escaped (as `ps` and `ls -q` do, with '?'), every
 * host value stays on its own row, and the JSON outputs stay lossless.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type Connection } from 'ssh2';
import { createLab, type Lab } from '../lab/lab';
import { freePort } from '../lab/sshd';
import { startTarget, type RunningTarget } from '../lab/target';
import { buildTarget } from '../lab/targets';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');
/** What a terminal acts on: C0 except tab and newline, DEL, and C1 (U+0080-U+009F, which UTF-8 terminals may take as CSI/OSC). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const ARGV0 = 'evil\u001b]0;PWNED-TITLE\u0007\nFAKE 1 root - go1.99 /bin/fake';
const ARGS = ['-x', 'arg\u001b[31mRED\u001b[0m', 'csi\u009b2Jclear', 'back\b\b\bspace', 'cr\rOVERWRITE', 'so\u000eshifted\u000f', 'nl\nFORGED ROW'];
const COMM = '\u001b]0;T\u0007\n\b\u000eZ\u009b';

let lab: Lab;
let target: RunningTarget;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let spec: string;

function run(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args, '--data-dir', dataDir], { encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process's event loop (the hostile SSH server below runs in it). */
function runAsync(command: string, args: readonly string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

function assertNoControls(where: string, text: string): void {
  const m = CONTROL.exec(text);
  // Only the neighbourhood goes in the message: a process list holds other processes' command lines.
  if (m) assert.fail(`${where} has control character U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 60), m.index + 60))}`);
}

before(async () => {
  lab = await createLab();
  const built = await buildTarget('oddname');
  target = await startTarget({ binary: built.binary, args: ARGS, env: { GS_ODDNAME_ARGV0: ARGV0, GS_ODDNAME_COMM: COMM } });
  dataDir = mkdtempSync(join(tmpdir(), 'gs-cli-esc-'));
  const kh = join(dataDir, 'user_known_hosts');
  writeFileSync(kh, '');
  env = { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: kh, SSH_AUTH_SOCK: '' };
  spec = `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`;
  const trust = run(['trust', spec, '--identity', lab.sshd.clientKeyPath, '--fingerprint', lab.sshd.hostKeyFingerprint]);
  assert.equal(trust.code, 0, trust.stderr);
});

after(async () => {
  await target?.stop();
  await lab?.cleanup();
});

test('the lab process really has the hostile name and command line', () => {
  const r = run(['ps', spec, '--identity', lab.sshd.clientKeyPath, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const p = (JSON.parse(r.stdout) as Array<{ pid: number; comm: string; command: string }>).find((x) => x.pid === target.pid);
  assert.ok(p, `pid ${target.pid} not listed`);
  assert.ok(p.command.startsWith(ARGV0), JSON.stringify(p.command));
  assert.ok(p.command.includes('\u009b2J') && p.command.includes('\u001b[31m'), JSON.stringify(p.command));
  assert.ok(p.comm.includes('\u001b]0;T\u0007'), JSON.stringify(p.comm));
});

test('ps: one row per process, control characters shown as ?, and --json lossless without raw C1 bytes', () => {
  const r = run(['ps', spec, '--identity', lab.sshd.clientKeyPath]);
  assert.equal(r.code, 0, r.stderr);
  assertNoControls('ps stdout', r.stdout);
  assertNoControls('ps stderr', r.stderr);
  const json = run(['ps', spec, '--identity', lab.sshd.clientKeyPath, '--json']);
  assertNoControls('ps --json stdout', json.stdout);
  const list = JSON.parse(json.stdout) as Array<{ pid: number }>;
  assert.ok(list.some((p) => p.pid === target.pid));
  const rows = r.stdout.split('\n').filter((l) => l.length > 0);
  // Every row after the header is a process row: PID, user, RSS, threads, Go mark. A newline from the host would start a row of its own.
  for (const row of rows.slice(1)) assert.match(row, /^ *\d+ \S+ +(?:\d+\.\dM|-) +(?:\d+|-) \S+ +\S/, `not a process row: ${JSON.stringify(row.slice(0, 80))}`);
  const pids = rows.slice(1).map((row) => Number(/^ *(\d+)/.exec(row)![1]));
  assert.equal(new Set(pids).size, pids.length, 'a PID appears on two rows');
  assert.ok(!rows.some((l) => /^\s*1 root\b.*go1\.99/.test(l) || l.startsWith('FAKE') || l.startsWith('FORGED')), 'a forged row appeared');
  const mine = rows.filter((l) => l.trimStart().startsWith(`${target.pid} `));
  assert.equal(mine.length, 1);
  assert.match(mine[0]!, /evil\?\]0;PWNED-TITLE\?\?FAKE 1 root/);
});

let sessionId = '';

test('capture and sessions: progress, result and rows carry no control characters', () => {
  const r = run(['capture', spec, '--identity', lab.sshd.clientKeyPath, '--pid', String(target.pid), '--no-stacks']);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  assertNoControls('capture stdout', r.stdout);
  assertNoControls('capture stderr', r.stderr);
  sessionId = r.stdout.trim();
  assert.match(sessionId, /^[0-9a-f-]{36}$/);
  const s = run(['sessions']);
  assert.equal(s.code, 0, s.stderr);
  assertNoControls('sessions stdout', s.stdout);
  const rows = s.stdout.split('\n').filter((l) => l.length > 0);
  assert.equal(rows.length, 1, JSON.stringify(s.stdout));
  assert.ok(rows[0]!.startsWith(sessionId));
  assert.match(rows[0]!, /pid \d+ \?\]0;T\?/);
  const j = run(['sessions', '--json']);
  assertNoControls('sessions --json stdout', j.stdout);
  assert.ok((JSON.parse(j.stdout) as Array<{ processName: string }>)[0]!.processName.includes('\u001b]0;T\u0007'));
});

test('report: the text has no control characters and the title stays one line; --json is lossless', () => {
  assert.ok(sessionId, 'no session from the capture test');
  const r = run(['report', sessionId]);
  assert.equal(r.code, 0, r.stderr);
  assertNoControls('report stdout', r.stdout);
  assert.match(r.stdout.split('\n')[0]!, /^\?\]0;T\?.* pid \d+ on /);
  const j = run(['report', sessionId, '--json']);
  assert.equal(j.code, 0, j.stderr);
  assertNoControls('report --json stdout', j.stdout);
  assert.ok((JSON.parse(j.stdout) as { session: { process: string } }).session.process.includes('\u001b]0;T'));
});

/** An SSH server whose keyboard-interactive request carries terminal sequences in its name, instructions and prompt. */
async function hostilePromptServer(): Promise<{ port: number; close(): Promise<void> }> {
  const key = ssh2.utils.generateKeyPairSync('ed25519');
  const server = new ssh2.Server({ hostKeys: [key.private] }, (client: Connection) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
      ctx.prompt([{ prompt: 'Code\u001b]0;PROMPT-TITLE\u0007\nFAKE PROMPT: ', echo: false }], 'Bank\u001b]0;NAME-TITLE\u0007\u009b2J', 'Read\u001b[8mhidden\u001b[0m\r\nOVERWRITE', () => ctx.reject());
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('keyboard-interactive prompts from the server are escaped, with and without a terminal', async () => {
  const hostile = await hostilePromptServer();
  try {
    const target = `sre@127.0.0.1:${hostile.port}`;
    const cliArgs = (...a: string[]) => [cli, ...a, '--data-dir', dataDir];
    const first = await runAsync(process.execPath, cliArgs('ps', target));
    assert.equal(first.code, 3, first.stderr);
    const fp = /SHA256:[A-Za-z0-9+/]+/.exec(first.stderr)?.[0];
    assert.ok(fp, first.stderr);
    assert.equal((await runAsync(process.execPath, cliArgs('trust', target, '--fingerprint', fp))).code, 0);
    // No terminal: the CLI declines and names the prompt.
    const r = await runAsync(process.execPath, cliArgs('ps', target));
    assert.equal(r.code, 4, r.stderr);
    assertNoControls('ps stderr (no terminal)', r.stderr);
    assert.match(r.stderr, /Bank\?\]0;NAME-TITLE\?\?2J/);
    // A terminal: script(1) gives the CLI a pty; the prompt, its title and instructions are written escaped.
    const cmd = [process.execPath, ...cliArgs('ps', target)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const tty = await runAsync('script', ['-qec', cmd, '/dev/null'], 'wrong\n');
    const screen = tty.stdout;
    assert.match(screen, /Code\?\]0;PROMPT-TITLE\?\?FAKE PROMPT:/, JSON.stringify(screen));
    for (const seq of ['\u001b]0;', '\u0007', '\u009b', '\u001b[8m', '\rOVERWRITE', '\nFAKE PROMPT'])
      assert.ok(!screen.includes(seq), `raw ${JSON.stringify(seq)} reached the terminal: ${JSON.stringify(screen)}`);
  } finally {
    await hostile.close();
  }
});

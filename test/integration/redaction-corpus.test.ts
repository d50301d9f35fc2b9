/**
 * The planted-secret corpus against the real path: a lab Go service started
 * with every planted shape in its environment and command line, captured
 * through the lab's real sshd by the CLI as a user runs it. Then every place
 * a secret could land is searched for every planted value (as is, JSON-escaped
 * and base64-encoded): the SQLite files, every blob, `capture --out`, the
 * `export` tar.gz (and each member), the process list (`ps` and `ps --json`,
 * i.e. processes.list), `sessions`, `report` and the CLI's own output. The
 * count must be 0; the redaction record names every shape's variable or
 * argument and its rule, never the value; and the Go settings the tool reads
 * stay readable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar';
import { createLab, type Lab, type LabTarget } from '../lab/lab';
import { HARMLESS_ENV, PLANTED_ARGS, PLANTED_COUNT, PLANTED_ENV, plantedArguments, plantedEnvironment } from '../support/secretCorpus';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');
let lab: Lab;
let target: LabTarget;
let work: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let spec: string;
const printed: Array<{ where: string; text: string }> = [];

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args, '--data-dir', dataDir], { encoding: 'utf8', env, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
  printed.push({ where: `gopherscope ${args[0]} stdout`, text: r.stdout }, { where: `gopherscope ${args[0]} stderr`, text: r.stderr });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function base64Cores(secret: string): string[] {
  const cores: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.from('x'.repeat(k) + secret).toString('base64');
    const core = b64.slice(Math.ceil((k * 4) / 3) + 1, -4);
    if (core.length >= 8) cores.push(core);
  }
  return cores;
}

const ALL = [...PLANTED_ENV, ...PLANTED_ARGS];
const NEEDLES = ALL.map((p) => ({ id: p.id, needles: [p.secret, JSON.stringify(p.secret).slice(1, -1), ...base64Cores(p.secret)] }));

/** The planted shapes whose value occurs in these bytes. */
function planted(bytes: Buffer | string): string[] {
  const texts = typeof bytes === 'string' ? [bytes] : [bytes.toString('utf8'), bytes.toString('latin1')];
  return NEEDLES.filter(({ needles }) => needles.some((n) => texts.some((t) => t.includes(n)))).map(({ id }) => id);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** A file's bytes and, for gzip, its inflated bytes too. */
function contents(path: string): Buffer[] {
  const bytes = readFileSync(path);
  const out = [bytes];
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      out.push(gunzipSync(bytes));
    } catch {
      // Not gzip after all.
    }
  }
  return out;
}

before(async () => {
  assert.ok(PLANTED_COUNT >= 40, `the corpus has ${PLANTED_COUNT} shapes`);
  lab = await createLab();
  target = await lab.startGoService({ env: plantedEnvironment(), args: ['-goroutines', '4', '--', ...plantedArguments()] });
  work = mkdtempSync(join(tmpdir(), 'gs-corpus-'));
  dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const kh = join(work, 'user_known_hosts');
  writeFileSync(kh, '');
  env = { ...process.env, GOPHERSCOPE_USER_KNOWN_HOSTS: kh, SSH_AUTH_SOCK: '' };
  spec = `${lab.sshd.user}@127.0.0.1:${lab.sshd.port}`;
  const trust = run('trust', spec, '--identity', lab.sshd.clientKeyPath, '--fingerprint', lab.sshd.hostKeyFingerprint);
  assert.equal(trust.code, 0, trust.stderr);
});

after(async () => {
  await lab?.cleanup();
});

test('the target really runs with every planted shape in its environ and command line', () => {
  // Each secret is found only where it was planted: none contains another.
  for (const a of ALL) for (const b of ALL) if (a !== b) assert.ok(!a.secret.includes(b.secret), `${a.id} contains ${b.id}`);
  const environ = readFileSync(`/proc/${target.pid}/environ`, 'utf8');
  const cmdline = readFileSync(`/proc/${target.pid}/cmdline`, 'utf8');
  for (const p of PLANTED_ENV) assert.ok(environ.includes(`${p.name}=${p.value}\0`), p.id);
  for (const p of PLANTED_ARGS) assert.ok(cmdline.includes(`\0${p.args.join('\0')}\0`), p.id);
  assert.ok(cmdline.length < 4096, `the command line (${cmdline.length} bytes) fits the process list's read`);
});

let sessionId = '';
let outFile = '';
let bundle = '';

test('capture, export, ps and report run through the real sshd', () => {
  const ps = run('ps', spec, '--identity', lab.sshd.clientKeyPath);
  assert.equal(ps.code, 0, ps.stderr);
  const psJson = run('ps', spec, '--identity', lab.sshd.clientKeyPath, '--json');
  assert.equal(psJson.code, 0, psJson.stderr);
  const mine = (JSON.parse(psJson.stdout) as Array<{ pid: number; command: string; goEnv?: Record<string, string> }>).find((p) => p.pid === target.pid);
  assert.ok(mine, 'the target is in processes.list');
  // What the tool needs from the environment is still there, unmasked.
  for (const k of ['GOMAXPROCS', 'GOMEMLIMIT', 'GOGC', 'GODEBUG', 'GOTRACEBACK'] as const) assert.equal(mine.goEnv?.[k], HARMLESS_ENV[k], k);
  assert.match(mine.command, /-goroutines 4 -- /);

  outFile = join(work, 'capture.tar.gz');
  const cap = run('capture', spec, '--identity', lab.sshd.clientKeyPath, '--pid', String(target.pid), '--no-stacks', '--out', outFile);
  assert.equal(cap.code, 0, cap.stderr);
  sessionId = cap.stdout.trim();
  bundle = join(work, 'session.tar.gz');
  const exp = run('export', sessionId, bundle);
  assert.equal(exp.code, 0, exp.stderr);
  assert.equal(run('report', sessionId).code, 0);
  assert.equal(run('report', sessionId, '--json').code, 0);
  assert.equal(run('sessions', '--json').code, 0);
});

test('0 planted secrets in the database, the blobs, every export format and every output', async () => {
  assert.ok(sessionId && outFile && bundle, 'the capture test did not finish');
  const leaks: Array<{ where: string; ids: string[] }> = [];
  const check = (where: string, bytes: Buffer | string) => {
    const ids = planted(bytes);
    if (ids.length) leaks.push({ where, ids });
  };
  // The data folder: SQLite (with its WAL), every blob, known_hosts, everything.
  const files = walk(dataDir);
  assert.ok(
    files.some((f) => /\.(db|sqlite3?)$/.test(f)),
    `no database among ${files.map((f) => relative(dataDir, f)).join(', ')}`,
  );
  for (const f of files) for (const b of contents(f)) check(`data/${relative(dataDir, f)}`, b);
  // capture --out.
  for (const b of contents(outFile)) check('capture --out', b);
  // The export, whole and member by member.
  for (const b of contents(bundle)) check('export tar.gz', b);
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  await tar.x({ file: bundle, cwd: unpacked });
  const members = walk(unpacked);
  assert.ok(members.some((m) => m.endsWith('proc/environ')) && members.some((m) => m.endsWith('proc/cmdline')), 'the export holds environ and cmdline');
  for (const m of members) for (const b of contents(m)) check(`export member ${relative(unpacked, m)}`, b);
  // Everything the CLI printed: ps (text and --json = processes.list), capture, export, report, sessions.
  for (const p of printed) check(p.where, p.text);

  const leakedIds = new Set(leaks.flatMap((l) => l.ids));
  const table = leaks.map((l) => `  ${l.where}: ${l.ids.join(', ')}`).join('\n');
  assert.equal(leakedIds.size, 0, `${leakedIds.size} of ${PLANTED_COUNT} planted secrets leaked:\n${table}`);
});

test('the redaction record names every planted shape and its rule, and holds no value', async () => {
  // capture --out is a bundle: its manifest carries the record, artifacts/ the stored bodies.
  const unpacked = join(work, 'capture-out');
  mkdirSync(unpacked);
  await tar.x({ file: outFile, cwd: unpacked });
  const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as { redactions: Array<{ artifact: string; key: string; rule: string }> };
  const records = manifest.redactions;
  assert.deepEqual(planted(JSON.stringify(records)), []);
  const envKeys = new Set(records.filter((r) => r.artifact === 'proc/environ').map((r) => r.key));
  for (const p of PLANTED_ENV) assert.ok(envKeys.has(p.name), `${p.id}: ${p.name} is not in the redaction record`);
  const argRecords = records.filter((r) => r.artifact === 'proc/cmdline');
  assert.ok(argRecords.length >= PLANTED_ARGS.length, `${argRecords.length} cmdline redactions for ${PLANTED_ARGS.length} planted shapes`);
  for (const r of records) assert.match(r.rule, /^[a-z0-9-]+$/, JSON.stringify(r));
  // Harmless settings stay as they were, in the stored environ.
  const environ = readFileSync(join(unpacked, 'artifacts', 'proc', 'environ'), 'utf8');
  for (const [k, v] of Object.entries(HARMLESS_ENV)) assert.ok(environ.includes(`${k}=${v}\n`) || environ.includes(`${k}=${v}\0`), `${k}=${v} was masked`);
  assert.ok(environ.includes(`PATH=${process.env.PATH ?? '/usr/bin:/bin'}`), 'PATH was masked');
});

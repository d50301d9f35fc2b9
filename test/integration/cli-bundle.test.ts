/**
 * The CLI's prebuilt bundle (dist/cli, made by `npm run build`, which `npm test` runs first):
 * bin/gopherscope.mjs runs it, and each command loads only its own code, so `--help` and
 * `inspect` never pay for the backend (SQLite, ssh2) or for compiling TypeScript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const bundle = join(root, 'dist', 'cli', 'main.mjs');

/** Runs the bundle's main() in a fresh Node and reports the CommonJS modules it loaded (sqlite3, ssh2 and tsx are CommonJS). */
function loadedBy(argv: readonly string[]): { code: number | null; stdout: string; modules: string[] } {
  const script = `
    const { main } = await import(${JSON.stringify(bundle)});
    const code = await main(${JSON.stringify(argv)});
    const { default: Module } = await import('node:module');
    process.stderr.write('\\n@@MODULES ' + JSON.stringify(Object.keys(Module._cache)) + '\\n');
    process.exitCode = code;`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const line = r.stderr.split('\n').find((l) => l.startsWith('@@MODULES '));
  assert.ok(line, `no module list: ${r.stderr}`);
  return { code: r.status, stdout: r.stdout, modules: JSON.parse(line.slice('@@MODULES '.length)) as string[] };
}

const heavy = (modules: readonly string[]) => modules.filter((m) => /[\\/](sqlite3|ssh2|tsx|cpu-features)[\\/]/.test(m));

test('npm run build made the CLI bundle, and bin/gopherscope.mjs runs it', () => {
  assert.ok(existsSync(bundle), 'dist/cli/main.mjs is missing: npm test builds it first');
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gopherscope.mjs'), '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /gopherscope inspect FILE/);
});

test('--help loads neither the backend nor TypeScript', () => {
  const r = loadedBy(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage:/);
  assert.deepEqual(heavy(r.modules), []);
});

test('inspect of a small file loads the parsers only, not the backend', () => {
  const r = loadedBy(['inspect', join(root, 'shared', 'parsers', 'fixtures', 'go1.26.limits.txt')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Max open files/);
  assert.deepEqual(heavy(r.modules), []);
});

test('sessions (a backend command) does load SQLite: the check above can see it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-cli-bundle-'));
  const r = loadedBy(['sessions', '--data-dir', dataDir]);
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(r.code, 0);
  assert.ok(
    heavy(r.modules).some((m) => m.includes('sqlite3')),
    `sqlite3 not among ${r.modules.length} modules`,
  );
});

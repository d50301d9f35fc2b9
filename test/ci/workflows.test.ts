/**
 * The GitHub Actions workflow cannot run on our machines, so it is held to actionlint (built from
 * the Go module proxy at a pinned version, test/support/actionlint.ts): the repository's workflows
 * pass, and a copy with a deliberate mistake is caught, so a silent lint would fail here too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ACTIONLINT, actionlintBinary, lintWorkflows } from '../support/actionlint';

const root = join(import.meta.dirname, '..', '..');
const workflowDir = join(root, '.github', 'workflows');
const ciYml = readFileSync(join(workflowDir, 'ci.yml'), 'utf8');

/** A repository holding only the given workflow, as actionlint finds workflows from the repository root. */
function repoWith(yml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gs-actionlint-'));
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  writeFileSync(join(dir, '.github', 'workflows', 'ci.yml'), yml);
  mkdirSync(join(dir, '.git'));
  return dir;
}

test(`actionlint ${ACTIONLINT.version} is the pinned version`, { timeout: 20 * 60_000 }, async () => {
  const { stdout } = await promisify(execFile)(await actionlintBinary(), ['-version']);
  assert.equal(stdout.split('\n')[0], ACTIONLINT.version);
});

test('every workflow in .github/workflows passes actionlint', { timeout: 20 * 60_000 }, async () => {
  const files = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(files.includes('ci.yml'), `workflows: ${files.join(', ')}`);
  const r = await lintWorkflows(files.map((f) => join('.github', 'workflows', f)));
  assert.equal(r.code, 0, `actionlint findings:\n${r.findings.map((f) => `${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join('\n')}${r.stderr}`);
});

test('a broken copy of the workflow is caught, with the line of each mistake', { timeout: 20 * 60_000 }, async () => {
  // Three kinds of mistake: an unknown context property, a matrix value no job defines, and a runner label that does not exist.
  const broken = ciYml
    .replace("if: runner.os == 'Linux'", "if: runner.system == 'Linux'")
    .replace('name: gopherscope-${{ matrix.name }}', 'name: gopherscope-${{ matrix.flavour }}')
    .replace('os: macos-14', 'os: macos-99');
  assert.notEqual(broken, ciYml);
  const dir = repoWith(broken);
  const r = await lintWorkflows([join('.github', 'workflows', 'ci.yml')], dir);
  assert.equal(r.code, 1, r.stderr);
  const lineOf = (needle: string): number => broken.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const at = (needle: string, kind: string, message: RegExp): void => {
    const hit = r.findings.find((f) => f.line === lineOf(needle) && f.kind === kind && message.test(f.message));
    assert.ok(hit, `no ${kind} finding on line ${lineOf(needle)} (${needle}); findings:\n${JSON.stringify(r.findings, null, 1)}`);
  };
  at('runner.system', 'expression', /property "system" is not defined/);
  at('matrix.flavour', 'expression', /property "flavour" is not defined/);
  at('os: macos-99', 'runner-label', /label "macos-99" is unknown/);

  // And a shell mistake in a run: script, when shellcheck is there to see it (CI installs it).
  const unquoted = repoWith(ciYml.replace('>> "$GITHUB_ENV"', '>> $GITHUB_ENV'));
  const s = await lintWorkflows([join('.github', 'workflows', 'ci.yml')], unquoted);
  if (s.findings.length === 0) assert.ok(!(await hasShellcheck()), 'shellcheck is installed but actionlint reported nothing for an unquoted variable');
  else
    assert.ok(
      s.findings.some((f) => f.kind === 'shellcheck' && /SC2086/.test(f.message)),
      JSON.stringify(s.findings, null, 1),
    );
});

async function hasShellcheck(): Promise<boolean> {
  try {
    await promisify(execFile)('shellcheck', ['--version']);
    return true;
  } catch {
    return false;
  }
}

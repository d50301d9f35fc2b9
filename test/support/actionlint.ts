/**
 * actionlint (github.com/rhysd/actionlint), the GitHub Actions workflow checker, built from the Go
 * module proxy at a pinned version with the machine's Go and cached in .lab/tools/ by version and
 * toolchain, as test/lab/thirdParty.ts caches the lab's services: the workflow cannot run on our
 * machines, so its lint is what `npm test` can hold it to. actionlint also runs shellcheck on
 * `run:` scripts when shellcheck is on PATH; without it that part is left out (it says nothing).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goBinary } from '../lab/targets';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

export const ACTIONLINT = { pkg: 'github.com/rhysd/actionlint/cmd/actionlint', version: 'v1.7.12' } as const;

/** A cold build (module download included) took about 25 s on the 2-core machine; the bound stops a hung build. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** Builds actionlint once per version and Go toolchain; returns the binary's path. */
export async function actionlintBinary(): Promise<string> {
  const { stdout } = await run(goBinary(), ['env', 'GOVERSION']);
  const dir = join(root, '.lab', 'tools', `actionlint@${ACTIONLINT.version}-${stdout.trim()}`);
  const binary = join(dir, process.platform === 'win32' ? 'actionlint.exe' : 'actionlint');
  if (existsSync(binary)) return binary;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await run(goBinary(), ['install', `${ACTIONLINT.pkg}@${ACTIONLINT.version}`], {
      env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0', GOFLAGS: '-trimpath', GOTOOLCHAIN: 'local' },
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`building ${ACTIONLINT.pkg}@${ACTIONLINT.version} from the Go module proxy failed (Go is needed for this test): ${(e.stderr || e.message).slice(-4000)}`, { cause: err });
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return binary;
}

export interface LintResult {
  /** 0: no findings; 1: findings; anything else: actionlint itself failed. */
  readonly code: number;
  readonly findings: readonly { readonly filepath: string; readonly line: number; readonly column: number; readonly kind: string; readonly message: string }[];
  readonly stderr: string;
}

/** Lints workflow files (or, with no files, every workflow of the repository at cwd). */
export async function lintWorkflows(files: readonly string[], cwd = root): Promise<LintResult> {
  const binary = await actionlintBinary();
  try {
    const { stdout, stderr } = await run(binary, ['-format', '{{json .}}', ...files], { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, findings: parseFindings(stdout), stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, findings: e.code === 1 ? parseFindings(e.stdout ?? '') : [], stderr: e.stderr || e.message };
  }
}

function parseFindings(stdout: string): LintResult['findings'] {
  const text = stdout.trim();
  return text === '' || text === 'null' ? [] : (JSON.parse(text) as LintResult['findings']);
}

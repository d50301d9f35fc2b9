#!/usr/bin/env node
// Runs every test file in one node:test invocation so there is one summary:
// unit tests beside the code (shared/, renderer/, build/), then integration
// and end-to-end tests against the real lab. Files run one at a time: the lab
// tests start sshd, cgroups and Chromium, and the machine has two cores.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const skip = new Set(['node_modules', 'dist', '.git', '.lab', 'test-results']);

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (/\.test\.(ts|tsx|mjs)$/.test(name)) out.push(relative(root, p).split(sep).join('/'));
  }
  return out;
}

const only = process.argv.slice(2);
const order = (f) => (f.startsWith('test/e2e/') ? 3 : f.startsWith('test/integration/') ? 2 : f.startsWith('test/lab/') ? 1 : 0);
let files = find(root).sort((a, b) => order(a) - order(b) || a.localeCompare(b));
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
// The lab (sshd, cgroups, unshare, /proc of real processes, Go targets built as Linux binaries)
// exists only on Linux. Elsewhere (CI's macOS and Windows jobs) the files that need it are left
// out, by name, and the rest (the unit tests beside the code, the build's own checks, the workflow lint) run.
if (process.platform !== 'linux') {
  const needsLinux = (f) => /^test\/(lab|integration|e2e)\//.test(f) || /from '[^']*\/lab\/[^']*'/.test(readFileSync(join(root, f), 'utf8'));
  const left = files.filter(needsLinux);
  files = files.filter((f) => !needsLinux(f));
  if (left.length > 0) console.log(`run.mjs: on ${process.platform}, ${left.length} test files that need the Linux lab are left out: ${left.join(', ')}`);
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The CLI tests run bin/gopherscope.mjs, which prefers the bundle in dist/cli. A bundle older than
// the sources (edited since the last `npm run build`) would test old code: run the sources then.
const env = { ...process.env, GOPHERSCOPE_TEST: '1' };
const bundle = join(root, 'dist', 'cli', 'main.mjs');
const newest = (dir) => {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : /\.tsx?$/.test(name) ? s.mtimeMs : 0);
  }
  return t;
};
let bundleTime = 0;
try {
  bundleTime = statSync(bundle).mtimeMs;
} catch {
  // no bundle: bin/gopherscope.mjs runs the sources anyway
}
if (bundleTime > 0 && bundleTime < Math.max(newest(join(root, 'electron')), newest(join(root, 'shared')))) {
  console.error('dist/cli is older than the sources: the CLI tests run the sources (npm run build refreshes the bundle)');
  env.GOPHERSCOPE_CLI_FROM_SOURCE = '1';
}
// Third-party services (test/lab/thirdParty.ts) are built once, before any file that starts them runs.
if (files.some((f) => readFileSync(join(root, f), 'utf8').includes('lab/services'))) {
  const pre = spawnSync(process.execPath, ['--import', 'tsx', 'test/lab/prebuild.ts'], { cwd: root, stdio: 'inherit' });
  if (pre.status !== 0) process.exit(pre.status ?? 1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);

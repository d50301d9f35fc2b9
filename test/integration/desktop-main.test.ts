/**
 * The desktop app's main process, run: the built dist/electron/main.cjs loads in Node with a
 * recording stand-in for Electron (test/support/mainSmoke.cjs) and is driven through ready, IPC
 * from its own and foreign frames, app:// requests, navigation, window.open, permission requests
 * and quit. It runs once from dist/ and once from the packaged file set (build/packagedFiles.mjs:
 * what electron-builder.yml puts in app.asar), where its native files must be ones asarUnpack
 * leaves outside the archive. Deliberately broken copies of the bundle show each check can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { asarUnpacked, builderConfig, packagedPackages, stageApp } from '../../build/packagedFiles.mjs';
import { runMainSmoke, smokeFailures, type SmokeReport } from '../support/mainSmoke';

const root = join(import.meta.dirname, '..', '..');
const bundle = join(root, 'dist', 'electron', 'main.cjs');

function builtBundle(): string {
  assert.ok(existsSync(bundle), `${bundle} is missing: run \`npm run build\` first (npm test does)`);
  return readFileSync(bundle, 'utf8');
}

test('the built main bundle passes every smoke check', async () => {
  builtBundle();
  const r = await runMainSmoke(bundle);
  assert.deepEqual(smokeFailures(r), [], r.stderr);
  assert.equal(r.exitCode, 0);
  // The report is not vacuous: each part of the checklist was looked at.
  const names = r.checks.map((c) => c.name).join('\n');
  for (const part of [
    'webPreferences',
    'app:// refuses',
    'every contract method',
    'foreign frame',
    'paths named by the page',
    'navigation',
    'only https opens',
    'permission',
    'safeStorage',
    'quitting closes',
    'sample incident',
  ])
    assert.match(names, new RegExp(part));
});

test('from the packaged file set the bundle still runs, and every native file it loads is unpacked from the asar', async () => {
  builtBundle();
  const config = builderConfig();
  const app = mkdtempSync(join(tmpdir(), 'gs-packaged-'));
  try {
    const packages = stageApp(app, config);
    for (const tool of ['node_modules/tsx', 'node_modules/esbuild', 'node_modules/typescript', 'node_modules/vite', 'node_modules/electron'])
      assert.ok(!packages.includes(tool), `${tool} is packaged`);
    const r: SmokeReport = await runMainSmoke(join(app, 'dist', 'electron', 'main.cjs'), { nodeArgs: ['--preserve-symlinks', '--preserve-symlinks-main'] });
    assert.deepEqual(smokeFailures(r), [], r.stderr);
    // The externals resolve inside the packaged app, never to the development tree.
    assert.deepEqual([...new Set(r.externals.map((e) => e.request))].sort(), ['sqlite3', 'ssh2']);
    for (const e of r.externals) assert.ok(e.resolved?.startsWith(app + '/node_modules/'), `${e.request} resolved to ${e.resolved}`);
    const natives = r.dlopened.map((f) => relative(app, f));
    // sqlite3 is required; ssh2's sshcrypto and cpu-features are optional but built here, so they load too.
    assert.deepEqual(natives.map((f) => f.split('/')[1]).sort(), ['cpu-features', 'sqlite3', 'ssh2']);
    for (const f of natives) {
      assert.ok(!f.startsWith('..'), `${f} was loaded from outside the packaged app`);
      assert.ok(asarUnpacked(config, f), `${f} is loaded by the main process but asarUnpack leaves it inside app.asar`);
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('the packaged dependencies hold what the bundle requires and leave out build-time tools', () => {
  const packages = packagedPackages(builderConfig());
  for (const needed of ['node_modules/sqlite3', 'node_modules/ssh2', 'node_modules/asn1', 'node_modules/bcrypt-pbkdf', 'node_modules/bindings'])
    assert.ok(packages.includes(needed), `${needed} missing`);
  const tools = packages.filter((p) => /^node_modules\/(tsx|esbuild|@esbuild\/.*|get-tsconfig|node-gyp|prebuild-install|typescript|vite|electron|electron-builder)$/.test(p));
  assert.deepEqual(tools, []);
});

/** Each variant breaks one thing the smoke test must notice, by editing a copy of the bundle. */
const VARIANTS: ReadonlyArray<{ name: string; edit: (src: string) => string; fails: RegExp }> = [
  { name: 'a missing module', edit: (s) => `require("./no-such-module.cjs");\n${s}`, fails: /the bundle loads/ },
  { name: 'an ES module where CommonJS is expected', edit: (s) => `import { readFileSync as gsRead } from "node:fs";\n${s}`, fails: /the bundle loads/ },
  { name: 'an exception at load', edit: (s) => `throw new Error("broken at load");\n${s}`, fails: /the bundle loads/ },
  { name: 'the sandbox off', edit: (s) => s.replace(/sandbox: true,/, 'sandbox: false,'), fails: /webPreferences/ },
  { name: 'a missing handler', edit: (s) => s.replace(/"sessions\.open": async/, '"sessions.open.removed": async'), fails: /every contract method/ },
  { name: 'the sender check gone', edit: (s) => s.replace(/if \(!senderAllowed\(event, getWindow\(\)\)\) \{/, 'if (false) {'), fails: /foreign frame/ },
  {
    name: 'page-named paths passed through',
    edit: (s) => s.replace(/return dispatchFromPage\((\w+)\.handlers, grants, method, (\w+)\);/, 'return dispatch($1.handlers, method, $2);'),
    fails: /paths named by the page/,
  },
  {
    name: 'navigation allowed',
    edit: (s) => s.replace(/(on\("will-navigate", \((\w+), (\w+)\) => \{\n\s*)if \(!\3\.startsWith\(`\$\{APP_ORIGIN\}\/`\)\) \2\.preventDefault\(\);/, '$1void 0;'),
    fails: /navigation away/,
  },
  { name: 'links opened without asking', edit: (s) => s.replace(/void openExternalAfterAsking\((\w+), (\w+)\);/, 'void require("electron").shell.openExternal($2);'), fails: /only https opens/ },
  {
    name: 'permissions granted',
    edit: (s) => s.replace(/setPermissionRequestHandler\(\((\w+), (\w+), (\w+)\) => \3\(false\)\)/, 'setPermissionRequestHandler(($1, $2, $3) => $3(true))'),
    fails: /permission/,
  },
  {
    name: 'app:// path containment gone',
    edit: (s) =>
      s.replace(
        /resolve\)\(\(0, import_node_path\d*\.join\)\(rendererRoot, \(0, import_node_path\d*\.normalize\)\((\w+)\)\)\);\n(\s*)return (\w+)\.startsWith\(rendererRoot \+ import_node_path\d*\.sep\) && /,
        (m, d, ws, _f) => `resolve)(rendererRoot + ${d});\n${ws}return `,
      ),
    fails: /app:\/\/ refuses/,
  },
  { name: 'the sample incident looked for outside the app', edit: (s) => s.replace(/demoBundle: demoBundleIn\((\w+)\)/, 'demoBundle: demoBundleIn($1 + "/elsewhere")'), fails: /sample incident/ },
  { name: 'quit without closing the backend', edit: (s) => s.replace(/void backend\.close\(\)\.finally\(/, 'void Promise.resolve().finally('), fails: /quitting closes/ },
];

test('the smoke check fails on a deliberately broken main', async () => {
  const src = builtBundle();
  for (const v of VARIANTS) {
    const broken = v.edit(src);
    assert.notEqual(broken, src, `the edit for "${v.name}" no longer matches the bundle: update it`);
    const file = join(root, 'dist', 'electron', `.smoke-broken-${process.pid}.cjs`);
    writeFileSync(file, broken);
    try {
      const r = await runMainSmoke(file, { timeoutMs: 60_000 });
      const failed = smokeFailures(r);
      assert.ok(
        failed.some((f) => v.fails.test(f)),
        `with ${v.name} the smoke check should fail on ${v.fails}; it reported: ${failed.join(' | ') || 'no failure'}`,
      );
    } finally {
      rmSync(file, { force: true });
    }
  }
});

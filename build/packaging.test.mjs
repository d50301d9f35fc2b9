// build/electron-builder.yml against the code and the committed resources: fuses, icons, desktop
// entry. What the packaged file set holds and loads is checked by test/integration/desktop-main.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appFolders, asarUnpacked, builderConfig, excludedByFiles, packagedByFiles, root } from './packagedFiles.mjs';
import { drawIcons } from './make-icon.mjs';

const config = builderConfig();
const resources = join(root, config.directories.buildResources);

test('the fuses are set: no run-as-node, no NODE_OPTIONS or inspect flags, asar only and checked, file:// without extra privileges', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
  // Every option is one electron-builder knows (a typo would be ignored at packaging time).
  const scheme = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
  for (const k of Object.keys(config.electronFuses)) assert.ok(k in scheme.definitions.FuseOptionsV1.properties, `${k} is not an electron-builder fuse option`);
});

test('the icons are what build/make-icon.mjs draws, and each platform config names one that exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-icons-'));
  try {
    drawIcons(dir);
    for (const f of ['icon.png', 'icon.icns', 'icon.ico'])
      assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(resources, f))), `${f} differs from what make-icon.mjs draws: run node build/make-icon.mjs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const png = readFileSync(join(resources, 'icon.png'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [512, 512]);
  const icns = readFileSync(join(resources, 'icon.icns'));
  assert.equal(icns.subarray(0, 4).toString(), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  const ico = readFileSync(join(resources, 'icon.ico'));
  assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)], [0, 1, 4]);
  for (const [platform, name] of [
    ['linux', 'icon.png'],
    ['mac', 'icon.icns'],
    ['win', 'icon.ico'],
  ]) {
    assert.equal(config[platform].icon, name);
    assert.ok(existsSync(join(resources, config[platform].icon)));
  }
});

test('the Linux desktop entry in build/resources is the one the builder config writes', () => {
  const text = readFileSync(join(resources, 'gopherscope.desktop'), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '[Desktop Entry]');
  const entry = Object.fromEntries(
    lines.slice(1).map((l) => {
      const i = l.indexOf('=');
      assert.ok(i > 0, `not KEY=VALUE: ${l}`);
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
  for (const k of ['Type', 'Name', 'Exec', 'Icon', 'Categories']) assert.ok(entry[k], `${k} missing`);
  assert.equal(entry.Type, 'Application');
  assert.match(entry.Categories, /;$/);
  const configured = config.linux.desktop.entry;
  for (const [k, v] of Object.entries(configured)) assert.equal(entry[k], v, `${k} differs between gopherscope.desktop and electron-builder.yml`);
  assert.equal(entry.Name, config.productName);
  assert.equal(entry.StartupWMClass, config.productName);
});

test('the files globs leave build-time tools and source maps out and keep the app', () => {
  for (const p of ['node_modules/tsx/package.json', 'node_modules/esbuild/package.json', 'node_modules/@esbuild/linux-x64/package.json', 'dist/electron/main.cjs.map'])
    assert.ok(excludedByFiles(config, p), p);
  for (const p of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html', 'node_modules/sqlite3/package.json', 'node_modules/ssh2/lib/index.js'])
    assert.ok(!excludedByFiles(config, p), p);
});

test('the sample incident the empty Library offers is packaged, outside buildResources (which stays out of the app)', () => {
  const demo = 'demo/incident.tar.gz';
  assert.ok(existsSync(join(root, demo)), `${demo} is missing: node --import tsx test/fixtures/regenerate-demo.ts`);
  assert.ok(packagedByFiles(config, demo), `${demo} is not in the packaged file set`);
  assert.ok(appFolders(config).includes('demo'), 'stageApp stages demo/');
  assert.ok(asarUnpacked(config, demo), `${demo} is read beside app.asar (electron/core/demo.ts): asarUnpack must leave it out of the archive`);
  assert.ok(!packagedByFiles(config, `${config.directories.buildResources}/icon.png`), 'buildResources is not packaged: a file there would not reach the app');
  for (const p of ['dist/electron/main.cjs', 'dist/renderer/index.html', 'package.json']) assert.ok(packagedByFiles(config, p), p);
});

// check-asar.mjs against archives written by @electron/asar (the writer electron-builder packs
// with), laid out as `npm run dist` leaves them: it passes an intact app, and fails on a changed
// byte in a packed or an unpacked file, a native module left inside the archive, and an embedded
// header hash (Info.plist, the .exe's resource) that is not the archive's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asar from '@electron/asar';
import { readAsarHeader } from './check-asar.mjs';

const script = fileURLToPath(new URL('./check-asar.mjs', import.meta.url));
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'));
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

/** An app folder as electron-builder packs it; main.cjs is over one 4 MiB integrity block, so block hashes are checked past the first. */
async function packApp(resources, { nativeUnpacked = true } = {}) {
  const src = mkdtempSync(join(tmpdir(), 'gs-asar-src-'));
  mkdirSync(join(src, 'dist', 'electron'), { recursive: true });
  mkdirSync(join(src, 'node_modules', 'sqlite3', 'build', 'Release'), { recursive: true });
  writeFileSync(join(src, 'package.json'), JSON.stringify({ name: pkg.name, main: 'dist/electron/main.cjs' }));
  writeFileSync(join(src, 'dist', 'electron', 'main.cjs'), `// ${'x'.repeat(5 * 1024 * 1024)}\n`);
  writeFileSync(join(src, 'dist', 'electron', 'empty.txt'), '');
  writeFileSync(join(src, 'node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node'), Buffer.from('\x7fELF not really a module'));
  mkdirSync(resources, { recursive: true });
  const dest = join(resources, 'app.asar');
  await asar.createPackageWithOptions(src, dest, nativeUnpacked ? { unpack: '*.node' } : {});
  return dest;
}

function flipByte(file, at) {
  const fd = openSync(file, 'r+');
  const b = readFileSync(file)[at];
  writeSync(fd, Buffer.from([b ^ 0x01]), 0, 1, at);
  closeSync(fd);
}

test('an intact Linux app passes, with its unpacked native module; a changed byte in either fails, naming the file', async () => {
  const packages = mkdtempSync(join(tmpdir(), 'gs-packages-'));
  const unpacked = join(packages, 'linux-unpacked');
  const archive = await packApp(join(unpacked, 'resources'));
  writeFileSync(join(unpacked, pkg.name), 'the Electron binary');
  const ok = run(packages);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /3 packed and 1 unpacked files match their integrity; header [0-9a-f]{64} \(not embedded/);

  const { header, dataOffset } = readAsarHeader(archive);
  const main = header.files.dist.files.electron.files['main.cjs'];
  assert.ok(main.integrity.blocks.length >= 2);
  // A byte in the second 4 MiB block of main.cjs.
  const copy = join(mkdtempSync(join(tmpdir(), 'gs-packages-')), 'app.asar');
  cpSync(archive, copy);
  cpSync(`${archive}.unpacked`, `${copy}.unpacked`, { recursive: true });
  flipByte(copy, dataOffset + Number(main.offset) + 4 * 1024 * 1024 + 10);
  const packed = run(copy);
  assert.equal(packed.status, 1);
  assert.match(packed.stderr, /dist\/electron\/main\.cjs: its SHA-256 differs from the header/);

  flipByte(join(`${archive}.unpacked`, 'node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node'), 3);
  const native = run(packages);
  assert.equal(native.status, 1);
  assert.match(native.stderr, /node_modules\/sqlite3\/build\/Release\/node_sqlite3\.node: its SHA-256 differs/);
});

test('a native module packed inside the archive fails: it could not be loaded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-packages-'));
  const archive = await packApp(dir, { nativeUnpacked: false });
  const r = run(archive);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /node_sqlite3\.node: a native module inside the archive cannot be loaded \(unpack it: asarUnpack/);
});

test("macOS and Windows: the header hash embedded at packaging must be the archive's", async () => {
  const packages = mkdtempSync(join(tmpdir(), 'gs-packages-'));
  const app = join(packages, 'mac-arm64', `${pkg.productName}.app`);
  const archive = await packApp(join(app, 'Contents', 'Resources'));
  const headerHash = createHash('sha256').update(readAsarHeader(archive).headerString).digest('hex');
  // As electron-builder writes it (plist's XML form).
  const plist = (hash) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n  <key>CFBundleName</key>\n  <string>${pkg.productName}</string>\n  <key>ElectronAsarIntegrity</key>\n  <dict>\n    <key>Resources/app.asar</key>\n    <dict>\n      <key>algorithm</key>\n      <string>SHA256</string>\n      <key>hash</key>\n      <string>${hash}</string>\n    </dict>\n  </dict>\n</dict>\n</plist>\n`;
  writeFileSync(join(app, 'Contents', 'Info.plist'), plist(headerHash));
  const ok = run(packages);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /matches .*Info\.plist/);
  writeFileSync(join(app, 'Contents', 'Info.plist'), plist('0'.repeat(64)));
  const bad = run(packages);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, new RegExp(`ElectronAsarIntegrity hash 0{64} is not the header's ${headerHash}`));

  const win = mkdtempSync(join(tmpdir(), 'gs-packages-'));
  const winArchive = await packApp(join(win, 'win-unpacked', 'resources'));
  const winHash = createHash('sha256').update(readAsarHeader(winArchive).headerString).digest('hex');
  const exe = join(win, 'win-unpacked', `${pkg.productName}.exe`);
  writeFileSync(exe, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64), Buffer.from(JSON.stringify([{ file: 'resources\\app.asar', alg: 'SHA256', value: winHash }]))]));
  assert.equal(run(win).status, 0);
  writeFileSync(exe, Buffer.from('MZ without the resource'));
  const noResource = run(win);
  assert.equal(noResource.status, 1);
  assert.match(noResource.stderr, /no INTEGRITY resource with the header's hash/);
});

test('a file that is not an asar archive is refused with what was read', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gs-asar-')), 'app.asar');
  writeFileSync(file, Buffer.alloc(64, 0xff));
  const r = run(file);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not an asar archive/);
});

// check-fuses.mjs against a fuse wire written by @electron/fuses itself (flipFuses, as
// electron-builder flips a packaged binary): it passes the configured wire, fails on a flipped
// fuse and on a YAML that drops a required one. The real binary is checked in CI after `npm run dist`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fuses from '@electron/fuses';
import { configProblems, fuseIndex, readFuseConfig, REQUIRED } from './check-fuses.mjs';

const { flipFuses, FuseVersion } = fuses;
const script = fileURLToPath(new URL('./check-fuses.mjs', import.meta.url));
const ymlFile = fileURLToPath(new URL('./electron-builder.yml', import.meta.url));
const yml = readFileSync(ymlFile, 'utf8');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A file laid out as Electron's binary is around its fuses: the sentinel, wire version 1, the wire length, and every fuse "inherit" until flipped. */
function fakeElectron(dir, wireLength = 8) {
  const file = join(dir, 'electron');
  writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 0x90), Buffer.from(SENTINEL), Buffer.from([0x01, wireLength]), Buffer.alloc(wireLength, 0x30), Buffer.alloc(4096, 0x90)]));
  return file;
}

const toFuseConfig = (config) => ({ version: FuseVersion.V1, ...Object.fromEntries(Object.entries(config).map(([k, v]) => [fuseIndex(k), v])) });
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

test('the builder config sets every required fuse as required, and only fuses @electron/fuses knows', () => {
  const config = readFuseConfig(yml, ymlFile);
  assert.deepEqual(configProblems(config), []);
  for (const key of Object.keys(config)) assert.equal(typeof fuseIndex(key), 'number');
  assert.equal(config.grantFileProtocolExtraPrivileges, false);
  assert.equal(config.runAsNode, false);
  assert.equal(config.onlyLoadAppFromAsar, true);
  assert.equal(config.enableEmbeddedAsarIntegrityValidation, true);
});

test('a binary flipped as the config says passes; one fuse turned around fails, naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-fuses-'));
  const binary = fakeElectron(dir);
  const config = readFuseConfig(yml);
  await flipFuses(binary, toFuseConfig(config));
  const ok = run(binary);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /grantFileProtocolExtraPrivileges off/);

  await flipFuses(binary, { version: FuseVersion.V1, ...toFuseConfig({ grantFileProtocolExtraPrivileges: true }) });
  const bad = run(binary);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /grantFileProtocolExtraPrivileges: want off, the binary has on/);

  // An unflipped binary (every fuse at Electron's default) fails on each one the config sets.
  const fresh = run(fakeElectron(mkdtempSync(join(tmpdir(), 'gs-fuses-'))));
  assert.equal(fresh.status, 1);
  for (const [key, want] of Object.entries(config)) if (want) assert.match(fresh.stderr, new RegExp(`${key}: want on`));
});

test('a config that drops or turns around a required fuse fails, even on a binary flipped to match it', async () => {
  for (const [key, want] of Object.entries(REQUIRED)) {
    const lines = yml.split('\n');
    const variants = {
      'not set': lines.filter((l) => !l.trim().startsWith(`${key}:`)).join('\n'),
      [String(!want)]: lines.map((l) => (l.trim().startsWith(`${key}:`) ? `  ${key}: ${!want}` : l)).join('\n'),
    };
    for (const [is, text] of Object.entries(variants)) {
      const dir = mkdtempSync(join(tmpdir(), 'gs-fuses-'));
      writeFileSync(join(dir, 'changed.yml'), text);
      const binary = fakeElectron(dir);
      await flipFuses(binary, toFuseConfig(readFuseConfig(text)));
      const r = run('--config', join(dir, 'changed.yml'), binary);
      assert.equal(r.status, 1, `${key} ${is}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`electronFuses\\.${key} must be ${want} \\(it is ${is}\\)`));
    }
  }
  assert.throws(() => readFuseConfig('appId: x\nelectronFuses:\n  runAsNode: no\n'), /:3: expected "  fuseName: true\|false"/);
  assert.throws(() => readFuseConfig('appId: x\n'), /no top-level electronFuses/);
  assert.throws(() => fuseIndex('runAsDeno'), /not a fuse @electron\/fuses knows/);
});

test('without a packaged app the script says to run npm run dist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-fuses-'));
  mkdirSync(join(dir, 'packages'));
  const r = run(join(dir, 'packages'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no unpacked app in .*packages/);
});

/**
 * The Node version the README states is what the toolchain asks for: package.json's "engines" is
 * the range, every installed package's own engines.node accepts the lowest version of each branch
 * of it (but for the Electron installer, which the README names as warning on Node 20), and the
 * range is no stricter than needed: just below each branch's floor some package refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
// semver is in the tree through npm's own toolchain (eslint, electron-builder, node-gyp …).
const semver = createRequire(join(root, 'package.json'))('semver') as { satisfies(v: string, range: string): boolean };

/** What the README says npm warns about on Node 20 (Electron's own installer). */
const ELECTRON_INSTALLER = new Set(['electron', '@electron/get', '@electron/rebuild', '@electron-internal/extract-zip', 'node-abi']);

function installedEngines(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      if (name.startsWith('@')) {
        walk(p);
        continue;
      }
      const pj = join(p, 'package.json');
      if (existsSync(pj)) {
        try {
          const j = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string; engines?: { node?: string } };
          if (j.name && typeof j.engines?.node === 'string') out.set(`${j.name}@${j.version}`, j.engines.node);
        } catch {
          // A package.json that is not JSON (test fixtures inside packages) says nothing about engines.
        }
      }
      if (existsSync(join(p, 'node_modules'))) walk(join(p, 'node_modules'));
    }
  };
  walk(join(root, 'node_modules'));
  return out;
}

const nameOf = (key: string) => key.slice(0, key.lastIndexOf('@'));

test('README, package.json engines and the installed toolchain agree on the Node version', () => {
  const range = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.ok(readme.includes(`Node.js \`${range}\``), `README does not state ${range}`);
  for (const name of ['electron', '@electron/get', 'node-abi']) assert.ok(readme.includes(`\`${name}\``), `README does not name ${name} among the packages that warn on Node 20`);
  const floors = ['20.19.0', '22.13.0', '24.0.0'];
  for (const v of floors) assert.ok(semver.satisfies(v, range), `${v} is a floor of ${range}`);
  const engines = installedEngines();
  assert.ok(engines.size > 50, `only ${engines.size} packages with engines.node: is node_modules installed?`);
  const refusing = (v: string) => [...engines].filter(([k, r]) => !ELECTRON_INSTALLER.has(nameOf(k)) && !semver.satisfies(v, r)).map(([k, r]) => `${k} (${r})`);
  for (const v of floors) assert.deepEqual(refusing(v), [], `Node ${v}`);
  // No stricter than needed: below each floor, something in the tree refuses.
  for (const below of ['20.18.3', '22.12.0']) assert.ok(refusing(below).length > 0, `nothing refuses Node ${below}: the range could be wider`);
});

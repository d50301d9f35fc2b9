#!/usr/bin/env node
// Reads the fuses back from the packaged Electron binary with @electron/fuses' getCurrentFuseWire
// and fails unless each one is as build/electron-builder.yml's `electronFuses` sets it. The YAML
// is the one place the fuses are chosen (electron-builder flips them from it); this script only
// adds REQUIRED, the fuses the security model depends on, so that taking one out of the YAML or
// turning it around fails here instead of shipping.
//
// Usage: node build/check-fuses.mjs [--config build/electron-builder.yml] [BINARY | APP.app | PACKAGES_DIR]
// Without a path it checks every unpacked app under dist/packages (npm run dist).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fuses from '@electron/fuses';
import { findPackagedApps, parseArgs, root } from './packaged.mjs';

const { getCurrentFuseWire, FuseV1Options } = fuses;

/** electron-builder's key → state the app's security depends on. */
export const REQUIRED = {
  runAsNode: false, // ELECTRON_RUN_AS_NODE would turn the signed app into a plain Node
  onlyLoadAppFromAsar: true, // no app code from a folder planted beside the asar
  enableEmbeddedAsarIntegrityValidation: true, // the asar is checked against the hash embedded at packaging
  grantFileProtocolExtraPrivileges: false, // file:// gets no more than a browser gives it; we serve app:// only
};

// The bytes of a fuse on the wire (@electron/fuses' FuseState).
const ENABLE = 0x31;
const DISABLE = 0x30;
const REMOVED = 0x72;

/** The `electronFuses:` block of electron-builder.yml: `  key: true|false` lines, nothing else. */
export function readFuseConfig(ymlText, file = 'electron-builder.yml') {
  const lines = ymlText.split(/\r?\n/);
  const start = lines.findIndex((l) => /^electronFuses:\s*(#.*)?$/.test(l));
  if (start < 0) throw new Error(`${file}: no top-level electronFuses: block, so electron-builder flips no fuses`);
  const config = {};
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (!/^\s/.test(line)) break;
    const m = /^\s+([A-Za-z]+):\s*(true|false)\s*(#.*)?$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected "  fuseName: true|false" in electronFuses, got: ${line.trim()}`);
    config[m[1]] = m[2] === 'true';
  }
  return config;
}

/** electron-builder's camelCase key → @electron/fuses' FuseV1Options index (RunAsNode for runAsNode). */
export function fuseIndex(key) {
  const index = FuseV1Options[key[0].toUpperCase() + key.slice(1)];
  if (typeof index !== 'number')
    throw new Error(
      `electronFuses.${key} is not a fuse @electron/fuses knows (${Object.keys(FuseV1Options)
        .filter((k) => Number.isNaN(Number(k)))
        .join(', ')})`,
    );
  return index;
}

/** Problems with the YAML itself: a required fuse missing or turned around. */
export function configProblems(config) {
  return Object.entries(REQUIRED)
    .filter(([key, want]) => config[key] !== want)
    .map(([key, want]) => `electronFuses.${key} must be ${want} (it is ${config[key] === undefined ? 'not set' : config[key]})`);
}

/** Problems with the binary's fuse wire against the configuration. */
export async function wireProblems(binary, config) {
  const wire = await getCurrentFuseWire(binary);
  const problems = [];
  for (const [key, want] of Object.entries(config)) {
    const index = fuseIndex(key);
    const state = wire[index];
    const shown = state === ENABLE ? 'on' : state === DISABLE ? 'off' : state === REMOVED ? 'removed' : state === undefined ? 'absent (the wire is shorter)' : `byte ${state}`;
    // A fuse Electron removed is a no-op either way: only an "off" we asked for may be missing.
    if (state === REMOVED && !want) continue;
    if (state !== (want ? ENABLE : DISABLE)) problems.push(`${key}: want ${want ? 'on' : 'off'}, the binary has ${shown}`);
  }
  return { wire, problems };
}

async function main() {
  const { opts, rest } = parseArgs(process.argv.slice(2), ['config']);
  const configFile = opts.config ?? join(root, 'build', 'electron-builder.yml');
  const config = readFuseConfig(readFileSync(configFile, 'utf8'), configFile);
  let failed = false;
  for (const p of configProblems(config)) {
    console.error(`check-fuses: ${configFile}: ${p}`);
    failed = true;
  }
  const target = rest[0];
  const binaries = target && existsSync(target) && statSync(target).isFile() ? [target] : target?.endsWith('.app') ? [target] : findPackagedApps(target).map((a) => a.binary);
  for (const binary of binaries) {
    const { problems } = await wireProblems(binary, config);
    for (const p of problems) console.error(`check-fuses: ${binary}: ${p}`);
    if (problems.length > 0) failed = true;
    else
      console.log(
        `check-fuses: ${binary}: ${Object.entries(config)
          .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
          .join(', ')}`,
      );
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`check-fuses: ${err.message}`);
    process.exit(1);
  });
}

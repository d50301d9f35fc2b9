#!/usr/bin/env node
// Checks the packaged app.asar the way Electron will with the enableEmbeddedAsarIntegrityValidation
// fuse on: every file's SHA-256 (whole and per block) against the integrity recorded in the
// archive's header, unpacked files included; every native module (.node) unpacked, since one
// inside the archive cannot be loaded; and, where Electron validates it, the header's hash
// embedded at packaging (Info.plist's ElectronAsarIntegrity on macOS, the INTEGRITY resource of
// the .exe on Windows). Electron does not validate an embedded hash on Linux, so there only the
// archive's own hashes are checked.
//
// Usage: node build/check-asar.mjs [APP.asar | PACKAGES_DIR]   (default: every app under dist/packages)
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findPackagedApps } from './packaged.mjs';

/** The archive's header (Chromium pickles: [4][header pickle size] then [payload size][string length][JSON]). */
export function readAsarHeader(file) {
  const fd = openSync(file, 'r');
  try {
    const sizes = Buffer.alloc(16);
    if (readSync(fd, sizes, 0, 16, 0) !== 16) throw new Error(`${file}: too short for an asar header`);
    const pickleSize = sizes.readUInt32LE(4);
    const stringLength = sizes.readUInt32LE(12);
    if (sizes.readUInt32LE(0) !== 4 || stringLength > pickleSize || pickleSize > statSync(file).size)
      throw new Error(`${file}: not an asar archive (header sizes ${sizes.readUInt32LE(0)}, ${pickleSize}, ${stringLength})`);
    const text = Buffer.alloc(stringLength);
    readSync(fd, text, 0, stringLength, 16);
    const headerString = text.toString('utf8');
    return { header: JSON.parse(headerString), headerString, dataOffset: 8 + pickleSize };
  } finally {
    closeSync(fd);
  }
}

/** Each file entry of the header with its path inside the archive. */
function* files(dir, prefix = '') {
  for (const [name, entry] of Object.entries(dir.files ?? {})) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (entry.files) yield* files(entry, path);
    else if (!('link' in entry)) yield { path, entry };
  }
}

function integrityProblem(bytes, integrity) {
  if (!integrity) return 'no integrity in the header';
  if (integrity.algorithm !== 'SHA256') return `integrity algorithm ${integrity.algorithm}, expected SHA256`;
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  if (sha(bytes) !== integrity.hash) return 'its SHA-256 differs from the header';
  const blocks = [];
  // As @electron/asar records them: a last, possibly empty, block after the full ones.
  for (let at = 0; at <= bytes.length; at += integrity.blockSize) blocks.push(sha(bytes.subarray(at, at + integrity.blockSize)));
  const bad = blocks.findIndex((h, i) => h !== integrity.blocks[i]);
  if (bad >= 0 || blocks.length !== integrity.blocks.length) return `block ${bad >= 0 ? bad : blocks.length} differs from the header`;
  return null;
}

/** Problems with one archive, and what was checked. */
export function asarProblems(asarFile, embeddedIn = null, platform = null) {
  const { header, headerString, dataOffset } = readAsarHeader(asarFile);
  const problems = [];
  let packed = 0;
  let unpacked = 0;
  const fd = openSync(asarFile, 'r');
  try {
    for (const { path, entry } of files(header)) {
      let bytes;
      if (entry.unpacked) {
        const file = join(`${asarFile}.unpacked`, ...path.split('/'));
        if (!existsSync(file)) {
          problems.push(`${path}: marked unpacked but missing from ${asarFile}.unpacked`);
          continue;
        }
        bytes = readFileSync(file);
        unpacked++;
      } else {
        if (path.endsWith('.node')) problems.push(`${path}: a native module inside the archive cannot be loaded (unpack it: asarUnpack in build/electron-builder.yml)`);
        bytes = Buffer.alloc(entry.size);
        if (entry.size > 0 && readSync(fd, bytes, 0, entry.size, dataOffset + Number(entry.offset)) !== entry.size) problems.push(`${path}: the archive ends inside it`);
        packed++;
      }
      const p = integrityProblem(bytes, entry.integrity);
      if (p) problems.push(`${path}: ${p}`);
    }
  } finally {
    closeSync(fd);
  }
  const headerHash = createHash('sha256').update(headerString).digest('hex');
  if (platform === 'darwin') {
    const plist = readFileSync(embeddedIn, 'utf8');
    const m = /<key>ElectronAsarIntegrity<\/key>\s*<dict>\s*<key>Resources\/app\.asar<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(plist);
    const hash = m && /<key>hash<\/key>\s*<string>([0-9a-f]{64})<\/string>/.exec(m[1]);
    if (!hash) problems.push(`${embeddedIn}: no ElectronAsarIntegrity entry for Resources/app.asar`);
    else if (hash[1] !== headerHash) problems.push(`${embeddedIn}: ElectronAsarIntegrity hash ${hash[1]} is not the header's ${headerHash}`);
  } else if (platform === 'win32') {
    // electron-builder stores [{"file":"resources\\app.asar","alg":"SHA256","value":HASH}] as a raw resource.
    if (!readFileSync(embeddedIn).includes(`"value":"${headerHash}"`)) problems.push(`${embeddedIn}: no INTEGRITY resource with the header's hash ${headerHash}`);
  }
  return { problems, packed, unpacked, headerHash };
}

function main() {
  const target = process.argv[2];
  const apps = target?.endsWith('.asar') ? [{ asar: target, embeddedIn: null, platform: null }] : findPackagedApps(target);
  let failed = false;
  for (const app of apps) {
    const r = asarProblems(app.asar, app.embeddedIn, app.platform);
    for (const p of r.problems) console.error(`check-asar: ${app.asar}: ${p}`);
    if (r.problems.length > 0) failed = true;
    else
      console.log(
        `check-asar: ${app.asar}: ${r.packed} packed and ${r.unpacked} unpacked files match their integrity; header ${r.headerHash}${app.platform === 'darwin' || app.platform === 'win32' ? ` matches ${app.embeddedIn}` : app.platform === 'linux' ? ' (not embedded: Electron validates it on macOS and Windows only)' : ''}`,
      );
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (err) {
    console.error(`check-asar: ${err.message}`);
    process.exit(1);
  }
}

// Where `npm run dist` (electron-builder, build/electron-builder.yml) leaves the unpacked app of
// each platform under dist/packages, for the checks that read the packaged result back:
// check-fuses.mjs and check-asar.mjs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The packaged apps found under `packagesDir`: the Electron binary whose fuses were flipped
 * (for macOS the .app, which @electron/fuses resolves to its Electron Framework), the app.asar,
 * and the file that embeds the asar header's hash (Info.plist on macOS, the .exe on Windows;
 * Electron does not validate it on Linux).
 */
export function findPackagedApps(packagesDir = join(root, 'dist', 'packages')) {
  if (!existsSync(packagesDir)) throw new Error(`${packagesDir} does not exist: run \`npm run dist\` first`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const apps = [];
  for (const dir of readdirSync(packagesDir)) {
    const full = join(packagesDir, dir);
    if (dir === 'linux-unpacked' || /^linux-.*-unpacked$/.test(dir)) {
      // electron-builder names the Linux executable after package.json's name.
      const binary = [pkg.name, pkg.productName].map((n) => join(full, n)).find((p) => existsSync(p));
      if (binary) apps.push({ platform: 'linux', dir: full, binary, asar: join(full, 'resources', 'app.asar'), embeddedIn: null });
    } else if (dir === 'win-unpacked' || /^win-.*-unpacked$/.test(dir)) {
      const binary = join(full, `${pkg.productName}.exe`);
      if (existsSync(binary)) apps.push({ platform: 'win32', dir: full, binary, asar: join(full, 'resources', 'app.asar'), embeddedIn: binary });
    } else if (dir === 'mac' || dir.startsWith('mac-')) {
      for (const name of readdirSync(full).filter((n) => n.endsWith('.app'))) {
        const app = join(full, name);
        apps.push({ platform: 'darwin', dir: full, binary: app, asar: join(app, 'Contents', 'Resources', 'app.asar'), embeddedIn: join(app, 'Contents', 'Info.plist') });
      }
    }
  }
  if (apps.length === 0)
    throw new Error(
      `no unpacked app in ${packagesDir} (looked for linux-unpacked/${pkg.name}, win-unpacked/${pkg.productName}.exe, mac*/*.app); found: ${readdirSync(packagesDir).join(', ') || 'nothing'}`,
    );
  return apps;
}

/** Arguments `--name value` and the rest, for these small scripts. */
export function parseArgs(argv, names) {
  const opts = {};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const name = names.find((n) => argv[i] === `--${n}`);
    if (name) opts[name] = argv[++i];
    else rest.push(argv[i]);
  }
  return { opts, rest };
}

// What `npm run dist` puts in the app, read from build/electron-builder.yml the way electron-builder
// reads it: the `files` globs (with their `!` exclusions, which apply inside node_modules too) over
// the app's files and its production dependencies (package-lock.json entries not marked dev), and the
// `asarUnpack` globs for what stays outside app.asar. The packaging and main-bundle tests use it to
// stage the packaged file set and load the main bundle from there.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Minimatch } from 'minimatch';
import yaml from 'js-yaml';

export const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

export function builderConfig(dir = root) {
  return yaml.load(readFileSync(join(dir, 'build', 'electron-builder.yml'), 'utf8'));
}

const posix = (p) => p.split(sep).join('/');
const compiled = new Map();
const glob = (path, pattern) => {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = new Minimatch(pattern, { dot: true }).makeRe()));
  return re.test(path);
};

/** Whether a path relative to the app root is left out by a `!` pattern of `files`. */
export function excludedByFiles(config, relPath) {
  return (config.files ?? []).some((p) => p.startsWith('!') && glob(posix(relPath), p.slice(1)));
}

/** Whether `files` puts a path relative to the app root (outside node_modules) in the app. */
export function packagedByFiles(config, relPath) {
  return (config.files ?? []).some((p) => !p.startsWith('!') && glob(posix(relPath), p)) && !excludedByFiles(config, relPath);
}

/** The app's own folders `files` names (`dist/electron/**` and the like), as staged beside package.json. */
export function appFolders(config) {
  return (config.files ?? []).filter((p) => !p.startsWith('!') && p.endsWith('/**') && !p.slice(0, -3).includes('*')).map((p) => p.slice(0, -3));
}

/** Whether a path relative to the app root stays outside app.asar. */
export function asarUnpacked(config, relPath) {
  return (config.asarUnpack ?? []).some((p) => glob(posix(relPath), p));
}

/** The production dependencies installed here, as package-lock keys (node_modules/NAME, nested ones too). */
export function productionPackages(dir = root) {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages)
    .filter(([key, v]) => key.startsWith('node_modules/') && !v.dev && existsSync(join(dir, key, 'package.json')))
    .map(([key]) => key);
}

/** The production packages the `files` globs keep in the app. */
export function packagedPackages(config, dir = root) {
  return productionPackages(dir).filter((key) => !excludedByFiles(config, `${key}/package.json`));
}

/**
 * Lays out the packaged file set under `dest` as app.asar would hold it (app.asar.unpacked merged in
 * place): the app's folders `files` names (dist/electron, dist/renderer, demo) without source maps,
 * package.json, and each packaged
 * dependency's files that `files` keeps; nested node_modules are their own package-lock entries.
 * Files are symbolic links to the originals (copying 60 MB took 10 s on a loaded machine), so
 * whatever loads from here must run with --preserve-symlinks and --preserve-symlinks-main, which
 * resolve modules by these paths, as they would be inside the asar.
 */
export function stageApp(dest, config = builderConfig(), dir = root) {
  const place = (from, to, skipNested) => {
    if (excludedByFiles(config, posix(relative(dir, from)))) return;
    const st = statSync(from);
    if (!st.isDirectory()) {
      mkdirSync(dirname(to), { recursive: true });
      symlinkSync(realpathSync(from), to);
      return;
    }
    for (const name of readdirSync(from)) {
      if (skipNested && name === 'node_modules') continue;
      place(join(from, name), join(to, name), skipNested);
    }
  };
  mkdirSync(dest, { recursive: true });
  place(join(dir, 'package.json'), join(dest, 'package.json'), false);
  for (const d of appFolders(config)) place(join(dir, d), join(dest, d), false);
  const packages = packagedPackages(config, dir);
  for (const key of packages) place(join(dir, key), join(dest, key), true);
  return packages;
}

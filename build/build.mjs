#!/usr/bin/env node
// Builds the app: esbuild bundles the Electron main process and the preload
// (one file each; sandboxed preloads cannot require modules), and Vite builds
// the renderer. Native modules stay external and load from node_modules.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'electron');
const started = Date.now();

rmSync(out, { recursive: true, force: true });
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
await build({ ...common, entryPoints: ['electron/main.ts'], outfile: join(out, 'main.cjs'), external: ['electron', 'sqlite3', 'ssh2', 'cpu-features'] });
await build({ ...common, entryPoints: ['electron/preload.ts'], outfile: join(out, 'preload.cjs'), external: ['electron'] });
console.log(`electron main and preload bundled in ${Date.now() - started} ms`);

// The CLI as ES modules split per command: `gopherscope --help` loads one small file, `inspect` the
// parsers, and only the commands that talk to hosts load the backend (SQLite, ssh2). CommonJS
// dependencies bundled into ESM call require() for Node's own modules, hence the banner.
const c = Date.now();
const cliOut = join(root, 'dist', 'cli');
rmSync(cliOut, { recursive: true, force: true });
await build({
  ...common,
  format: 'esm',
  splitting: true,
  entryPoints: { main: 'electron/cli/main.ts' },
  outdir: cliOut,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  external: ['electron', 'sqlite3', 'ssh2', 'cpu-features'],
  banner: { js: "import { createRequire as __gsCreateRequire } from 'node:module'; const require = __gsCreateRequire(import.meta.url);" },
});
console.log(`CLI bundled in ${Date.now() - c} ms`);

const t = Date.now();
const vite = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts'], { cwd: root, stdio: 'inherit' });
if (vite.status !== 0) {
  console.error('renderer build failed');
  process.exit(vite.status ?? 1);
}
console.log(`renderer built in ${Date.now() - t} ms`);

#!/usr/bin/env node
// Runs the prebuilt CLI bundle (dist/cli, made by `npm run build`) when it is there: it starts in
// about the time Node itself takes, and each command loads only its own code. From a clean checkout
// without a build, or with GOPHERSCOPE_CLI_FROM_SOURCE=1 while editing the sources, it runs the
// TypeScript through tsx instead (a second or two of compiling at every start).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'main.mjs');
let main;
if (!process.env.GOPHERSCOPE_CLI_FROM_SOURCE && existsSync(bundle)) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(pathToFileURL(join(root, 'electron', 'cli', 'main.ts')).href));
}
process.exitCode = await main(process.argv.slice(2));

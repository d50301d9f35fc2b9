#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so it works from a clean
// checkout right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(join(here, '..', 'electron', 'cli', 'main.ts'));
process.exitCode = await main(process.argv.slice(2));

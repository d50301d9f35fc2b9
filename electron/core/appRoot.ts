import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding Gopherscope's package.json, found by walking up from `from`: the CLI runs
 * both from its sources (electron/cli/) and from its bundle (dist/cli/), which sit at different
 * depths, and both need the built renderer in dist/renderer.
 */
export function findAppRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gopherscope') return dir;
      } catch {
        // not ours: keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`Gopherscope's package.json was not found above ${from}`);
  }
}

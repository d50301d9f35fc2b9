import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Each of `contents` written to a file of its own in a fresh temporary folder and opened for
 * reading; `use` gets the descriptors and paths in the same order. Closed and removed after.
 */
export async function withOpenFiles<C extends readonly (string | Uint8Array)[] | [], T>(
  contents: C,
  use: (fds: { [K in keyof C]: number }, paths: { [K in keyof C]: string }) => T | Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-files-'));
  const fds: number[] = [];
  try {
    const paths = contents.map((content, k) => {
      const path = join(dir, `f${k}`);
      writeFileSync(path, content);
      return path;
    });
    for (const path of paths) fds.push(openSync(path, 'r'));
    return await use(fds as { [K in keyof C]: number }, paths as { [K in keyof C]: string });
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

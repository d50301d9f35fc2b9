/** A text file to `cat` into terminals (the terminal benches and e2e test): 86-byte ASCII lines, then a unique last line to wait for. */
import { closeSync, openSync, writeSync } from 'node:fs';

export const TEXT_FILE_LINE = 'The quick brown fox jumps over the lazy gopher 0123456789 abcdefghijklmnopqrstuvwxyz';

/** Writes at least `mib` MiB of TEXT_FILE_LINE lines and a marker line to `file`; returns the marker and how many lines came before it. */
export function writeTextFile(file: string, mib: number): { readonly marker: string; readonly lines: number } {
  const marker = `GS-BENCH-DONE-${Math.random().toString(36).slice(2, 10)}`;
  const fd = openSync(file, 'w');
  const perBlock = Math.floor(65536 / (TEXT_FILE_LINE.length + 1));
  const block = `${TEXT_FILE_LINE}\n`.repeat(perBlock);
  let written = 0;
  let lines = 0;
  while (written < mib * 1024 * 1024) {
    written += writeSync(fd, block);
    lines += perBlock;
  }
  writeSync(fd, `${marker}\n`);
  closeSync(fd);
  return { marker, lines };
}

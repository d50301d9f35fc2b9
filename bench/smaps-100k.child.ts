/**
 * The measured side of smaps-100k.ts, run in a process of its own (bundled by esbuild as the
 * app's code is) so its peak memory is ours alone: read, parse, classify, best of 5, and the
 * first run on its own (a fresh process, nothing compiled yet). The peak includes the read-ahead
 * thread and its ring.
 *
 *   node child.mjs SMAPS_FILE
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { classifyMemory } from '../shared/analysis/memoryLayout';
import { parseSmapsFile } from '../electron/cli/inspect';
import { readAheadCounts } from '../electron/core/readAhead';

const file = process.argv[2]!;
const times: number[] = [];
let mappings = 0;
let classes = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  // As `gopherscope inspect` reads it: streamed in 1 MiB chunks, with the size known up front, read
  // ahead on a worker thread once that has started.
  const fd = openSync(file, 'r');
  let r;
  try {
    r = parseSmapsFile(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
  if (!r.ok) throw new Error(r.error.message);
  const layout = classifyMemory(r.value);
  times.push(performance.now() - t0);
  mappings = r.value.count;
  classes = layout.totals.length;
}
const peak = Number(readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0);
console.log(JSON.stringify({ ms: Math.min(...times), firstMs: times[0], times, chunks: readAheadCounts(), mappings, classes, peakKiB: peak }));

/**
 * The measured side of smaps-100k.ts, run in a process of its own (bundled by esbuild as the
 * app's code is) so its peak memory is ours alone: read, parse, classify, best of 5.
 *
 *   node child.mjs SMAPS_FILE
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { classifyMemory } from '../shared/analysis/memoryLayout';
import { createSmapsParser } from '../shared/parsers/smaps';

const file = process.argv[2]!;
let best = Infinity;
let mappings = 0;
let classes = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  // Streamed in 1 MiB reads, as the app reads a stored artifact: bytes straight into the parser,
  // which is told the size, as the app knows a stored artifact's size before reading it.
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  const p = createSmapsParser({ expectedBytes: fstatSync(fd).size });
  for (let got = readSync(fd, chunk); got > 0; got = readSync(fd, chunk)) p.push(chunk.subarray(0, got));
  closeSync(fd);
  const r = p.finish();
  if (!r.ok) throw new Error(r.error.message);
  const layout = classifyMemory(r.value);
  best = Math.min(best, performance.now() - t0);
  mappings = r.value.count;
  classes = layout.totals.length;
}
const peak = Number(readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0);
console.log(JSON.stringify({ ms: best, mappings, classes, peakKiB: peak }));

/**
 * The trace engine against Go's own reader on the same file, side by side
 * in one run: a trace of at least 100 MB recorded from a busy lab target
 * (-busy), read and summarized by us (streamed from disk, in a child
 * process of its own so its peak RSS is its own) and by the oracle
 * (test/oracle/trace: golang.org/x/exp/trace reading every event and doing
 * the same GC/STW/metric bookkeeping). Events per second for both, the
 * ratio, and our peak memory against the file size. With --big it also
 * records a 600 MB trace and reports that our summary finishes in bounded
 * memory.
 *
 *   node --import tsx bench/trace-engine.ts [--big]
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, statSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildTraceOracle } from '../test/lab/traceOracle';
import { startTarget } from '../test/lab/target';
import { buildTarget } from '../test/lab/targets';

const run = promisify(execFile);

if (process.argv[2] === '--child') {
  const { summarizeTrace } = await import('../shared/trace/summary');
  const file = process.argv[3]!;
  const t0 = performance.now();
  function* chunks() {
    const fd = openSync(file, 'r');
    const b = Buffer.allocUnsafe(1 << 20);
    try {
      for (let n = readSync(fd, b); n > 0; n = readSync(fd, b)) yield b.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }
  const r = summarizeTrace(chunks());
  const ms = performance.now() - t0;
  const peakKiB = Number(readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0);
  console.log(JSON.stringify({ ok: r.ok, ms, events: r.summary.events, gcs: r.summary.gc.cycles.length, peakKiB }));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'gs-bench-trace-'));
const oracle = await buildTraceOracle();
const built = await buildTarget('service');

/** Records a trace of the busy target until it is at least `mib` MiB. */
async function record(mib: number, pairs: number): Promise<string> {
  const file = join(dir, `busy-${mib}.trace`);
  const t = await startTarget({ binary: built.binary, args: ['-busy', String(pairs), '-goroutines', '200'] });
  try {
    // About 3-4 MB/s per busy pair on these machines; ask for enough seconds, then check.
    const seconds = Math.ceil((mib * 1.3) / (3 * pairs)) + 3;
    const res = await fetch(`http://${t.pprofAddr}/debug/pprof/trace?seconds=${seconds}`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
  } finally {
    await t.stop();
  }
  const size = statSync(file).size / 1024 / 1024;
  if (size < mib) throw new Error(`recorded only ${size.toFixed(0)} MiB, wanted ${mib}`);
  return file;
}

async function measure(file: string) {
  const sizeMiB = statSync(file).size / 1024 / 1024;
  // The oracle under GNU time for its peak RSS; ours in a child that reports VmHWM.
  const o = await run('/usr/bin/time', ['-f', '%M', oracle, file], { maxBuffer: 1 << 28 });
  const oracleOut = JSON.parse(o.stdout) as { events: number; gcs: unknown[]; readMs: number };
  const oraclePeakKiB = Number(o.stderr.trim().split('\n').at(-1));
  const ours = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 20 })) as {
    ok: boolean;
    ms: number;
    events: number;
    gcs: number;
    peakKiB: number;
  };
  const rate = (n: number, ms: number) => `${(((n / ms) * 1000) / 1e6).toFixed(1)} M events/s`;
  console.log(`trace of ${sizeMiB.toFixed(0)} MiB, ${oracleOut.events.toLocaleString('en-US')} events, one run on 2 noisy cores:`);
  console.log(`  golang.org/x/exp/trace: ${oracleOut.readMs.toFixed(0)} ms, ${rate(oracleOut.events, oracleOut.readMs)}, peak RSS ${(oraclePeakKiB / 1024).toFixed(0)} MiB`);
  console.log(
    `  gopherscope:            ${ours.ms.toFixed(0)} ms, ${rate(ours.events, ours.ms)}, peak RSS ${(ours.peakKiB / 1024).toFixed(0)} MiB (${(ours.peakKiB / 1024 / sizeMiB).toFixed(2)}x the file; goal under 2x)`,
  );
  console.log(`  same counts: events ${ours.events === oracleOut.events}, GC cycles ${ours.gcs === oracleOut.gcs.length}`);
  console.log(`  ratio ours/oracle time: ${(ours.ms / oracleOut.readMs).toFixed(2)}x (goal: at most 1.00x)`);
}

await measure(await record(100, 4));
if (process.argv.includes('--big')) await measure(await record(600, 4));

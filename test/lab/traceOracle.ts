/**
 * The trace oracle (test/oracle/trace): Go's own reader, golang.org/x/exp/trace
 * from the module proxy, summarizing a trace as JSON for our tests and bench
 * to compare with. Built once per source hash into .lab/bin.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TraceSummary } from '../../shared/trace/summary';
import { goBinary } from './targets';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

export interface OracleSummary {
  readonly events: number;
  readonly byKind: Record<string, number>;
  readonly generations: number;
  readonly firstNs: number;
  readonly lastNs: number;
  readonly gcs: { name: string; startNs: number; durationNs: number }[];
  readonly stws: { name: string; startNs: number; durationNs: number }[];
  readonly metrics: Record<string, { count: number; last: number; min: number; max: number }>;
  readonly stackSamples: number;
  readonly readMs: number;
}

export async function buildTraceOracle(): Promise<string> {
  const out = join(root, '.lab', 'bin', 'trace-oracle');
  mkdirSync(join(root, '.lab', 'bin'), { recursive: true });
  await run(goBinary(), ['build', '-o', out, '.'], { cwd: join(root, 'test', 'oracle', 'trace'), env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' }, timeout: 600_000 });
  return out;
}

/** Runs the oracle on one trace file and returns its JSON summary. */
export async function runTraceOracle(oracle: string, file: string): Promise<OracleSummary> {
  const { stdout } = await run(oracle, [file], { maxBuffer: 256 << 20, timeout: 600_000 });
  return JSON.parse(stdout) as OracleSummary;
}

/** Our summary against the oracle's: event and GC counts exactly, durations within 1 µs. */
export function assertAgreesWithOracle(s: TraceSummary, o: OracleSummary): void {
  assert.equal(s.events, o.events, 'event count');
  assert.deepEqual(s.byKind, o.byKind, 'events per kind');
  assert.equal(s.generations, o.generations, 'generations');
  assert.ok(Math.abs(s.firstNs - o.firstNs) <= 1000 && Math.abs(s.lastNs - o.lastNs) <= 1000, 'first and last event times');
  assert.equal(s.gc.cycles.length, o.gcs.length, 'GC cycles');
  s.gc.cycles.forEach((c, i) => {
    assert.ok(Math.abs(c.startNs - o.gcs[i]!.startNs) <= 1000, `GC ${i} start`);
    assert.ok(Math.abs(c.durationNs - o.gcs[i]!.durationNs) <= 1000, `GC ${i} duration ${c.durationNs} vs ${o.gcs[i]!.durationNs}`);
  });
  assert.equal(s.stw.length, o.stws.length, 'stop-the-world pauses');
  s.stw.forEach((p, i) => {
    assert.equal(`stop-the-world (${p.reason})`, o.stws[i]!.name);
    assert.ok(Math.abs(p.durationNs - o.stws[i]!.durationNs) <= 1000, `STW ${i} duration`);
  });
  for (const [name, m] of Object.entries(o.metrics)) {
    const ours = s.metrics[name];
    assert.ok(ours, `metric ${name}`);
    assert.deepEqual({ count: ours.count, last: ours.last, min: ours.min, max: ours.max }, { count: m.count, last: m.last, min: m.min, max: m.max }, `metric ${name}`);
  }
  assert.equal(s.cpuSamples.count, o.stackSamples, 'CPU samples');
}


/**
 * The trace oracle (test/oracle/trace): Go's own reader, golang.org/x/exp/trace
 * from the module proxy, summarizing a trace as JSON for our tests and bench
 * to compare with. Built once per source hash into .lab/bin.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
  /** GC cycles; `partial` for one already running at the first event ('start'), still running at the last ('end'), or both. */
  readonly gcs: { name: string; startNs: number; durationNs: number; partial?: 'start' | 'end' | 'both' }[];
  readonly stws: { name: string; startNs: number; durationNs: number }[];
  /** Mark assists and syscalls, those cut by the trace's edges counted up to them and `partial`. */
  readonly assists: OracleIntervals;
  readonly syscalls: OracleIntervals;
  /** GC CPU as the runtime accounts it for GCCPUFraction, measured from the trace (see test/oracle/trace/main.go). */
  readonly gcCpu: { cpuNs: number; availableNs: number; workerNs: number; idleWorkerNs: number; assistNs: number; fraction: number };
  readonly metrics: Record<string, { count: number; last: number; min: number; max: number }>;
  readonly stackSamples: number;
  readonly readMs: number;
  /** What `go tool trace`'s own mutator utilization says (runGoMmu), where the fixtures recorded it. */
  readonly goMmu?: GoMmu;
}

/**
 * Go's mutator utilization (internal/trace MutatorUtilizationV2, behind `go tool trace`'s MMU
 * page) over [fromNs, toNs]: the share of that time it gives to GC stop-the-world pauses, and to
 * mark assists (P-time over GOMAXPROCS), each asked alone. See test/oracle/mmu.
 */
export interface GoMmu {
  readonly fromNs: number;
  readonly toNs: number;
  readonly gcStw: number;
  readonly assist: number;
}

export interface OracleIntervals {
  readonly count: number;
  readonly partial: number;
  readonly totalNs: number;
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

/**
 * Runs test/oracle/mmu/gopherscope_mmu_test.go inside the standard library's internal/trace
 * (overlaid with `go test -overlay`, so GOROOT is not written to) on the given trace files.
 */
export async function runGoMmu(files: readonly string[]): Promise<Map<string, GoMmu>> {
  const go = goBinary();
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' };
  const goroot = (await run(go, ['env', 'GOROOT'], { env })).stdout.trim();
  const overlay = join(root, '.lab', 'bin', 'mmu-overlay.json');
  mkdirSync(join(root, '.lab', 'bin'), { recursive: true });
  const test = join(root, 'test', 'oracle', 'mmu', 'gopherscope_mmu_test.go');
  writeFileSync(overlay, JSON.stringify({ Replace: { [join(goroot, 'src', 'internal', 'trace', 'gopherscope_mmu_test.go')]: test } }));
  const { stdout } = await run(go, ['test', '-v', '-count=1', '-overlay', overlay, '-run', '^TestGopherscopeMMU$', 'internal/trace'], {
    cwd: join(goroot, 'src'),
    env: { ...env, GOPHERSCOPE_TRACES: files.join(',') },
    maxBuffer: 16 << 20,
    timeout: 600_000,
  });
  const out = new Map<string, GoMmu>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const { file, ...m } = JSON.parse(line) as GoMmu & { file: string };
    out.set(file, m);
  }
  return out;
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
    assert.equal(c.partial, o.gcs[i]!.partial ?? null, `GC ${i} partial`);
  });
  const close = (ours: number, theirs: number, what: string, count: number) =>
    // Go's reader holds back events until their causes are seen, which moves times by nanoseconds.
    assert.ok(Math.abs(ours - theirs) <= 1000 * Math.max(1, count) && Math.abs(ours - theirs) <= Math.max(1000, 1e-3 * theirs), `${what}: ${ours} vs Go's ${theirs}`);
  assert.deepEqual({ count: s.gc.assists.count, partial: s.gc.assists.partial }, { count: o.assists.count, partial: o.assists.partial }, 'mark assists');
  close(s.gc.assists.wallNs, o.assists.totalNs, 'mark assist time', o.assists.count);
  assert.deepEqual({ count: s.syscalls.count, partial: s.syscalls.partial }, { count: o.syscalls.count, partial: o.syscalls.partial }, 'syscalls');
  close(s.syscalls.totalNs, o.syscalls.totalNs, 'syscall time', o.syscalls.count);
  close(s.gc.availableNs, o.gcCpu.availableNs, 'GOMAXPROCS × duration', 1);
  for (const k of ['workerNs', 'idleWorkerNs', 'assistNs', 'cpuNs'] as const) close(s.gc[k], o.gcCpu[k], `GC ${k}`, o.gcs.length + o.assists.count);
  if (o.gcCpu.availableNs > 0) {
    assert.ok(s.gc.cpuFraction !== null && s.gc.cpuFraction >= 0 && s.gc.cpuFraction <= 1, `GC CPU fraction ${s.gc.cpuFraction} in [0, 1]`);
    assert.ok(Math.abs(s.gc.cpuFraction - o.gcCpu.fraction) <= 1e-3, `GC CPU fraction ${s.gc.cpuFraction} vs Go's ${o.gcCpu.fraction}`);
  }
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

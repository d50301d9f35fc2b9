/**
 * Live agreement with Go's own trace reader: the lab target, built with each
 * Go whose trace format differs, runs busy (GC, channel blocking, syscalls,
 * sleeps, ReadMemStats and GOMAXPROCS stop-the-world pauses; GOMAXPROCS
 * changes every 400 ms) and is traced for two seconds; our summary of that
 * file must match the oracle's (test/oracle/trace, golang.org/x/exp/trace):
 * event and GC counts exactly, durations within 1 µs, GC CPU within 0.001; and
 * the GC pauses' share of the time must match the standard library's own
 * mutator utilization (test/oracle/mmu).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeTrace } from '../../shared/trace/summary';
import { assertAgreesWithOracle, buildTraceOracle, runGoMmu, runTraceOracle } from '../lab/traceOracle';
import { startTarget } from '../lab/target';
import { buildTarget } from '../lab/targets';

const dir = mkdtempSync(join(tmpdir(), 'gs-trace-oracle-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const oracle = buildTraceOracle();
// Awaited by each test; this keeps an early build failure from being an unhandled rejection.
oracle.catch(() => undefined);

for (const toolchain of ['go1.22.12', 'go1.23.12', 'go1.25.5', 'local']) {
  test(`a busy ${toolchain} target's trace: our summary agrees with golang.org/x/exp/trace`, { timeout: 600_000 }, async () => {
    const built = await buildTarget('service', toolchain === 'local' ? {} : { goToolchain: toolchain });
    const t = await startTarget({ binary: built.binary, args: ['-busy', '2', '-goroutines', '50'], env: { GODEBUG: 'traceadvanceperiod=300000000' } });
    const file = join(dir, `${toolchain}.trace`);
    try {
      const res = await fetch(`http://${t.pprofAddr}/debug/pprof/trace?seconds=2`);
      assert.equal(res.status, 200);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    } finally {
      await t.stop();
    }
    const o = await runTraceOracle(await oracle, file);
    const mmu = (await runGoMmu([file])).get(file)!;
    const r = summarizeTrace([new Uint8Array(readFileSync(file))]);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assertAgreesWithOracle(r.summary, o);
    const s = r.summary;
    // The load shows up as the evidence the summary is for.
    assert.ok(s.generations >= 3, `${s.generations} generations`);
    assert.ok(s.gc.cycles.length > 5 && s.gc.pauses.count > 0);
    for (const reason of ['read mem stats', 'GOMAXPROCS'])
      assert.ok(
        s.stwByReason.some((x) => x.reason === reason),
        `STW for ${reason}`,
      );
    assert.ok(s.gomaxprocs.changes.length > 0, 'GOMAXPROCS changes');
    assert.ok(s.syscalls.count > 0 && s.syscalls.byStack.some((x) => x.frames.some((f) => f.func.includes('Write'))), 'syscalls with their stacks');
    assert.ok(
      s.blocking.byReason.some((x) => x.reason === 'chan receive' || x.reason === 'chan send'),
      'channel blocking',
    );
    assert.ok(s.schedLatency.count > 1000 && s.schedLatency.worst[0]!.latencyNs >= s.schedLatency.p99Ns);
    assert.ok(s.gc.assistNs + s.gc.workerNs > 0 && s.gc.cpuFraction !== null && s.gc.cpuFraction > 0 && s.gc.cpuFraction <= 1);
    // go tool trace's own mutator utilization gives GC pauses the same share of the time.
    const gcStwNs = s.stw.filter((p) => p.reason.includes('GC')).reduce((sum, p) => sum + p.durationNs, 0);
    assert.ok(Math.abs(gcStwNs / (mmu.toNs - mmu.fromNs) - mmu.gcStw) <= 1e-5, `GC pause share ${gcStwNs / (mmu.toNs - mmu.fromNs)} vs Go's ${mmu.gcStw}`);
  });
}

/**
 * The "memory attribution error" table: for each lab service, a real capture
 * through the lab's sshd (memory probes included) and the Go classes as
 * Gopherscope attributes the mappings, against the service's own MemStats
 * (heap?debug=1): go-heap against HeapSys + StackInuse, go-stacks against
 * StackSys − StackInuse, go-metadata against MSpanSys + MCacheSys +
 * BuckHashSys + GCSys + OtherSys + the 32 MiB arena index; the difference and
 * whether it is within the stated tolerance, max(8 MiB, 10%). Each service
 * runs in a cgroup of 256 MiB and 0.5 CPU and is captured after it has run a
 * few seconds. Prints markdown rows for bench/README.md.
 *
 *   node --import tsx bench/memory-attribution.ts [runs]
 *
 * Then the third-party services (test/lab/services.ts: Caddy, kine with cgo
 * SQLite under gRPC load, nats-server), each in its own network namespace,
 * captured the same way; besides the MemStats the capture read, each Go class
 * is checked against what the service itself says on its own endpoint
 * (/metrics, or nats-server's pprof heap page) read right after the capture.
 * `--only-third-party` skips the lab's own services.
 *
 * Lab scenario tests capture their own services with captureMemoryAttribution
 * and print them with attributionTable (test/lab/memoryAttribution.ts).
 */
import { createLab, type GoServiceOptions } from '../test/lab/lab';
import { ATTRIBUTION_TABLE_HEAD, attributionTable, captureMemoryAttribution } from '../test/lab/memoryAttribution';
import { startRealService, type ServiceOracle } from '../test/lab/services';
import type { ThirdPartyName } from '../test/lab/thirdParty';
import { goTolerance, type MemoryAttribution } from '../shared/analysis/memoryAttribution';
import { GO_HEAP_INDEX_BYTES } from '../shared/analysis/memoryLayout';

const args = process.argv.slice(2);
const onlyThirdParty = args.includes('--only-third-party');
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 1);
const limits = { memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 };
const SERVICES: readonly { readonly name: string; readonly opts: GoServiceOptions }[] = [
  { name: 'service (static, Go 1.26.8)', opts: { ...limits, args: ['-goroutines', '200', '-heap', '32', '-alloc-rate', String(4 << 20)] } },
  { name: 'service (static, Go 1.25.5)', opts: { ...limits, goToolchain: 'go1.25.5', args: ['-goroutines', '200', '-heap', '32', '-alloc-rate', String(4 << 20)] } },
  { name: 'service (static, Go 1.24.0)', opts: { ...limits, goToolchain: 'go1.24.0', args: ['-goroutines', '200', '-heap', '32', '-alloc-rate', String(4 << 20)] } },
  { name: 'cgomalloc (cgo, Go 1.26.8)', opts: { ...limits, target: 'cgomalloc', args: ['-c-threads', '12', '-go-callers', '4', '-c-big', '4', '-heap', '32'] } },
];

const ORACLE_TABLE_HEAD = ['| service | class | smaps mapped (MiB) | its own MemStats | (MiB) | difference (MiB) | tolerance (MiB) | within |', '|---|---|---|---|---|---|---|---|'].join('\n');
const lab = await createLab();
const out: string[] = [ATTRIBUTION_TABLE_HEAD];
try {
  for (const s of onlyThirdParty ? [] : SERVICES) {
    for (let run = 0; run < runs; run++) {
      const t = await lab.startGoService(s.opts);
      try {
        // A few seconds of its load first: a heap that has just started grows between the reads.
        await new Promise((r) => setTimeout(r, 3000));
        const port = Number(t.pprofAddr!.split(':')[1]);
        const r = await captureMemoryAttribution(lab, t.pid, { capture: { pprofPort: port } });
        out.push(attributionTable(`${s.name}${runs > 1 ? ` #${run + 1}` : ''}`, r.attribution));
        console.error(`${s.name}: ${r.attribution.probeSummary}`);
      } finally {
        await t.stop();
      }
    }
  }
  const MiB = 1024 * 1024;
  const THIRD: readonly { readonly name: ThirdPartyName; readonly label: string; readonly limits: typeof limits; readonly load?: { concurrency: number; requests: number } }[] = [
    { name: 'caddy', label: 'Caddy v2.11.9', limits, load: { concurrency: 16, requests: 2000 } },
    { name: 'kine', label: 'kine v0.17.5 (cgo SQLite)', limits: { memoryMaxBytes: 512 * MiB, cpuQuotaUs: 100_000, cpuPeriodUs: 100_000 }, load: { concurrency: 32, requests: 2000 } },
    { name: 'nats', label: 'nats-server v2.15.3', limits },
  ];
  const oracleOut: string[] = [ORACLE_TABLE_HEAD];
  for (const s of THIRD) {
    for (let run = 0; run < runs; run++) {
      const svc = await startRealService(s.name, s.limits);
      try {
        if (s.load) await svc.load(s.load);
        await new Promise((r) => setTimeout(r, 3000));
        const r = await captureMemoryAttribution(lab, svc.pid);
        const oracle = await svc.oracle();
        const name = `${s.label}${runs > 1 ? ` #${run + 1}` : ''}`;
        out.push(attributionTable(name, r.attribution));
        oracleOut.push(oracleTable(name, r.attribution, oracle));
        console.error(`${name}: ${r.attribution.probeSummary}`);
      } finally {
        await svc.stop();
      }
    }
  }
  out.push('', 'Against what each third-party service says itself, read right after the capture:', '', ...oracleOut);
} finally {
  await lab.cleanup();
}
console.log(out.join('\n'));

/** The Go classes against the service's own MemStats (its endpoint, not the capture's heap page), with the tool's formulas. */
function oracleTable(service: string, a: MemoryAttribution, o: ServiceOracle): string {
  const m = o.memstats;
  const f = (...k: string[]) => (k.every((x) => m[x] !== undefined) ? k.reduce((t, x) => t + m[x]!, 0) : null);
  const heapSys = f('HeapSys', 'StackInuse');
  const stackSys = f('StackSys');
  const meta = f('MSpanSys', 'MCacheSys', 'BuckHashSys', 'GCSys', 'OtherSys');
  const own: Record<string, [number | null, string]> = {
    'go-heap': [heapSys, 'HeapSys + StackInuse'],
    'go-stacks': [stackSys === null || m.StackInuse === undefined ? null : stackSys - m.StackInuse, 'StackSys − StackInuse'],
    'go-metadata': [meta === null ? null : meta + GO_HEAP_INDEX_BYTES, 'MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys + arena index'],
  };
  const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
  return a.rows
    .map((r) => {
      const [runtime, what] = own[r.key]!;
      if (runtime === null) return `| ${service} | ${r.key} | ${mib(r.mappedBytes)} | ${what} | not reported | | | |`;
      const d = r.mappedBytes - runtime;
      const tol = goTolerance(runtime);
      return `| ${service} | ${r.key} | ${mib(r.mappedBytes)} | ${what} | ${mib(runtime)} | ${d < 0 ? '−' : '+'}${mib(Math.abs(d))} | ±${mib(tol)} | ${Math.abs(d) <= tol ? 'yes' : '**no**'} |`;
    })
    .join('\n');
}

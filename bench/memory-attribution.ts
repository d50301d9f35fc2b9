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
 * Lab scenario tests capture their own services with captureMemoryAttribution
 * and print them with attributionTable (test/lab/memoryAttribution.ts).
 */
import { createLab, type GoServiceOptions } from '../test/lab/lab';
import { ATTRIBUTION_TABLE_HEAD, attributionTable, captureMemoryAttribution } from '../test/lab/memoryAttribution';

const runs = Number(process.argv[2] ?? 1);
const limits = { memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 };
const SERVICES: readonly { readonly name: string; readonly opts: GoServiceOptions }[] = [
  { name: 'service (static, Go 1.26.8)', opts: { ...limits, args: ['-goroutines', '200', '-heap', '32', '-alloc-rate', String(4 << 20)] } },
  { name: 'service (static, Go 1.25.5)', opts: { ...limits, goToolchain: 'go1.25.5', args: ['-goroutines', '200', '-heap', '32', '-alloc-rate', String(4 << 20)] } },
  { name: 'service (static, Go 1.24.0)', opts: { ...limits, goToolchain: 'go1.24.0', args: ['-goroutines', '200', '-heap', '32', '-alloc-rate', String(4 << 20)] } },
  { name: 'cgomalloc (cgo, Go 1.26.8)', opts: { ...limits, target: 'cgomalloc', args: ['-c-threads', '12', '-go-callers', '4', '-c-big', '4', '-heap', '32'] } },
];

const lab = await createLab();
const out: string[] = [ATTRIBUTION_TABLE_HEAD];
try {
  for (const s of SERVICES) {
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
} finally {
  await lab.cleanup();
}
console.log(out.join('\n'));

/**
 * Tuning advice with the evidence behind it. Each rule looks at the
 * session's evidence and either stays silent or returns one recommendation:
 * what it saw (values with the artifacts they came from), the exact change,
 * the trade-off, the Go versions it applies to and references. A rule never
 * fires on missing evidence: unknown is not zero.
 */
import type { SessionEvidence, Source } from './evidence';
import { atLeast, formatMemLimit, godebugKey, parseGogc, parseMemLimit } from './goKnowledge';
import type { MemoryClassRow } from './memoryAttribution';
import { reconcileCpu, reconcileMemory, type CpuReconciliation, type MemoryReconciliation } from './reconcile';

export type Severity = 'critical' | 'warning' | 'info';

export interface EvidenceItem {
  readonly label: string;
  readonly value: string;
  readonly source: Source | null;
  /** The session view that shows it. */
  readonly view?: 'memory' | 'threads' | 'goroutines' | 'profiles' | 'trace' | 'overview';
}

export interface Recommendation {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly evidence: readonly EvidenceItem[];
  /** The exact change: an environment or GODEBUG diff, a system setting or a code change. */
  readonly change: { readonly kind: 'env' | 'godebug' | 'system' | 'code'; readonly diff: string };
  readonly tradeoff: string;
  readonly goVersions: string;
  readonly references: readonly string[];
}

interface Context {
  readonly e: SessionEvidence;
  readonly mem: MemoryReconciliation;
  readonly cpu: CpuReconciliation;
}

const MiB = 1024 * 1024;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;
const env = (artifact = 'proc/environ', detail = 'the process environment'): Source => ({ artifact, detail });
const REF = {
  gcGuide: 'https://go.dev/doc/gc-guide',
  go125: 'https://go.dev/doc/go1.25#container-aware-gomaxprocs',
  godebug: 'https://go.dev/doc/godebug',
  runtime: 'https://pkg.go.dev/runtime#hdr-Environment_Variables',
  go116: 'https://go.dev/doc/go1.16#runtime',
  pprof: 'https://pkg.go.dev/net/http/pprof',
  psi: 'https://docs.kernel.org/accounting/psi.html',
  thp: 'https://go.dev/doc/gc-guide#Linux_transparent_huge_pages',
};

type Rule = (c: Context) => Recommendation | null;

const gomaxprocsAboveQuota: Rule = ({ e, cpu }) => {
  if (cpu.quotaCpus === null || cpu.gomaxprocs === null || !e.goVersion) return null;
  const ceil = Math.ceil(cpu.quotaCpus);
  if (cpu.gomaxprocs <= ceil || cpu.followsQuota === true) return null;
  const floor = Math.max(1, Math.floor(cpu.quotaCpus));
  const evidence: EvidenceItem[] = [
    { label: 'CPU quota', value: `${cpu.quotaCpus.toFixed(2)} CPUs`, source: cpu.quotaSource, view: 'threads' },
    { label: 'GOMAXPROCS in effect', value: `${cpu.gomaxprocs} (${cpu.gomaxprocsHow})`, source: e.env?.GOMAXPROCS !== undefined ? env() : e.trace ? { artifact: 'go/trace', detail: 'ProcsChange' } : e.sources.goVersion ?? null },
    { label: 'Go version', value: e.goVersion.text, source: e.sources.goVersion ?? null },
  ];
  if (cpu.throttledRatio !== null) evidence.push({ label: 'throttled periods', value: `${pct(cpu.throttledRatio)}${cpu.throttledSeconds !== null ? `, ${cpu.throttledSeconds.toFixed(1)} s throttled` : ''}`, source: { artifact: 'cgroup/', detail: 'cpu.stat nr_throttled / nr_periods' }, view: 'threads' });
  const whyNot = atLeast(e.goVersion, 25) ? (e.env?.GOMAXPROCS !== undefined ? 'GOMAXPROCS is set explicitly, which turns off Go 1.25\'s container-aware default' : 'the container-aware default is turned off by GODEBUG') : `Go ${e.goVersion.text} does not look at the cgroup CPU quota (Go 1.25 does)`;
  return {
    id: 'gomaxprocs-above-quota',
    severity: cpu.throttledRatio !== null && cpu.throttledRatio > 0.2 ? 'critical' : 'warning',
    title: `GOMAXPROCS ${cpu.gomaxprocs} is above the CPU quota of ${cpu.quotaCpus.toFixed(2)}: ${whyNot}`,
    evidence,
    change: { kind: 'env', diff: `+GOMAXPROCS=${floor}    # floor of the quota; or GOMAXPROCS=${ceil} (ceil)${atLeast(e.goVersion, 25) ? '' : `; or upgrade to Go 1.25+, which sets min(CPUs, max(2, ceil(quota)))`}` },
    tradeoff: `Floor (${floor}) never asks for more CPU than the quota, so the Go scheduler and GC workers cannot run the cgroup into throttling; a fractional remainder of quota goes unused by Go code. Ceil (${ceil}) uses the whole quota but can still be throttled at the end of each period when all Ps are busy (tail latency). Go 1.25 chose ceil with a floor of 2.`,
    goVersions: 'all; automatic from Go 1.25 unless GOMAXPROCS is set or containermaxprocs=0',
    references: [REF.go125, 'https://github.com/uber-go/automaxprocs'],
  };
};

const cpuThrottling: Rule = ({ e, cpu }) => {
  const c = e.cgroup?.cpu;
  if (cpu.throttledRatio === null || !c || (c.nrPeriods ?? 0) < 20 || cpu.throttledRatio < 0.05) return null;
  return {
    id: 'cpu-throttling',
    severity: cpu.throttledRatio >= 0.25 ? 'critical' : 'warning',
    title: `The cgroup was throttled in ${pct(cpu.throttledRatio)} of CFS periods`,
    evidence: [
      { label: 'throttled periods', value: `${c.nrThrottled} of ${c.nrPeriods}`, source: { artifact: 'cgroup/', detail: 'cpu.stat' }, view: 'threads' },
      { label: 'time throttled', value: cpu.throttledSeconds === null ? 'unknown' : `${cpu.throttledSeconds.toFixed(2)} s`, source: { artifact: 'cgroup/', detail: 'cpu.stat throttled_usec / throttled_time' } },
      { label: 'CPU quota', value: cpu.quotaCpus === null ? 'unknown' : `${cpu.quotaCpus.toFixed(2)} CPUs`, source: cpu.quotaSource },
      { label: 'GOMAXPROCS', value: cpu.gomaxprocs === null ? 'unknown' : `${cpu.gomaxprocs} (${cpu.gomaxprocsHow})`, source: null },
    ],
    change: { kind: 'system', diff: cpu.gomaxprocs !== null && cpu.quotaCpus !== null && cpu.gomaxprocs > Math.ceil(cpu.quotaCpus) ? `GOMAXPROCS=${Math.max(1, Math.floor(cpu.quotaCpus))} (see gomaxprocs-above-quota), or raise the quota` : `raise the container CPU limit above ${cpu.quotaCpus?.toFixed(2) ?? 'its value'} CPUs, or reduce the work (see the CPU profile)` },
    tradeoff: 'A higher limit costs capacity on the node; a lower GOMAXPROCS lowers peak parallelism but keeps latency predictable inside the quota.',
    goVersions: 'all',
    references: [REF.go125, 'https://docs.kernel.org/scheduler/sched-bwc.html'],
  };
};

const gomemlimitUnset: Rule = ({ e, mem }) => {
  if (!e.env || e.env.GOMEMLIMIT !== undefined || mem.limitBytes === null || !e.goVersion || !atLeast(e.goVersion, 19)) return null;
  const outside = mem.outsideGoBytes;
  const headroom = 0.1;
  const suggested = outside === null ? null : Math.floor((mem.limitBytes - outside) * (1 - headroom));
  if (suggested !== null && suggested <= 0) return null;
  return {
    id: 'gomemlimit-unset',
    severity: mem.rssBytes !== null && mem.rssBytes > 0.7 * mem.limitBytes ? 'warning' : 'info',
    title: `GOMEMLIMIT is not set under a ${mib(mem.limitBytes)} container memory limit`,
    evidence: [
      { label: 'container memory limit', value: mib(mem.limitBytes), source: { artifact: 'cgroup/', detail: 'memory.max / memory.limit_in_bytes (lowest over ancestors)' }, view: 'memory' },
      { label: 'GOMEMLIMIT', value: 'unset (the runtime does not read the container limit)', source: env() },
      { label: 'memory outside the Go runtime (binary, libraries, thread stacks, cgo/malloc)', value: outside === null ? 'unknown (no smaps)' : mib(outside), source: e.classes ? { artifact: 'proc/smaps', detail: 'Rss per class' } : null, view: 'memory' },
      { label: 'process RSS', value: mem.rssBytes === null ? 'unknown' : mib(mem.rssBytes), source: { artifact: 'proc/smaps_rollup', detail: 'Rss' }, view: 'memory' },
    ],
    change: { kind: 'env', diff: suggested === null ? `+GOMEMLIMIT=<limit − non-Go memory − 10%>    # non-Go memory unknown: capture smaps` : `+GOMEMLIMIT=${formatMemLimit(suggested)}    # (${mib(mem.limitBytes)} − ${mib(outside!)} outside Go) × 0.9` },
    tradeoff: `The runtime collects harder as the Go-managed total nears the limit instead of being OOM-killed; ${(headroom * 100).toFixed(0)}% headroom absorbs page cache, kernel memory and non-Go growth. If the live heap itself outgrows the limit the GC runs continuously (capped at about 50% CPU): watch GC CPU after the change.`,
    goVersions: 'Go 1.19+',
    references: [REF.gcGuide, 'https://github.com/KimMachineGun/automemlimit'],
  };
};

const gomemlimitNearLiveHeap: Rule = ({ e, mem }) => {
  const limit = e.env?.GOMEMLIMIT !== undefined ? parseMemLimit(e.env.GOMEMLIMIT) : null;
  const ms = e.memStats;
  if (limit === null || Number.isNaN(limit) || !ms) return null;
  const live = ms.values.HeapAlloc ?? null;
  if (live === null) return null;
  const nonHeap = mem.goNonHeapBytes ?? 0;
  const room = limit - nonHeap;
  if (room <= 0 || live < 0.8 * room) return null;
  const gcCpu = e.trace?.gc.cpuFraction ?? ms.gcCpuFraction;
  return {
    id: 'gomemlimit-near-live-heap',
    severity: live >= 0.95 * room || (gcCpu !== null && gcCpu > 0.25) ? 'critical' : 'warning',
    title: `The live heap (${mib(live)}) is ${pct(live / room)} of what GOMEMLIMIT leaves for it: GC thrash risk`,
    evidence: [
      { label: 'GOMEMLIMIT', value: `${e.env!.GOMEMLIMIT} = ${mib(limit)}`, source: env() },
      { label: 'heap allocated (HeapAlloc)', value: mib(live), source: { artifact: 'go/heap-debug1.txt', detail: 'HeapAlloc' }, view: 'memory' },
      { label: 'runtime memory besides the heap (Sys − HeapSys)', value: mib(nonHeap), source: { artifact: 'go/heap-debug1.txt', detail: 'Sys − HeapSys' } },
      { label: 'GC CPU', value: gcCpu === null ? 'unknown' : pct(gcCpu), source: e.trace ? { artifact: 'go/trace', detail: 'GC workers and mark assist over GOMAXPROCS × duration' } : { artifact: 'go/heap-debug1.txt', detail: 'GCCPUFraction' }, view: e.trace ? 'trace' : 'memory' },
    ],
    change: { kind: 'env', diff: `-GOMEMLIMIT=${e.env!.GOMEMLIMIT}\n+GOMEMLIMIT=${formatMemLimit(Math.max(limit, (live + nonHeap) * 1.5))}    # live heap + runtime overhead, with 50% room (raise the container limit to match), or reduce the live heap` },
    tradeoff: 'A higher limit lets the heap grow before the GC works hard, so it needs the container room; keeping the limit means the GC may run back to back (up to its 50% CPU cap) and latency suffers.',
    goVersions: 'Go 1.19+',
    references: [REF.gcGuide],
  };
};

const gogcOffNoLimit: Rule = ({ e }) => {
  if (!e.env || e.env.GOGC === undefined || parseGogc(e.env.GOGC) !== null) return null;
  const limit = e.env.GOMEMLIMIT !== undefined ? parseMemLimit(e.env.GOMEMLIMIT) : null;
  if (limit !== null && !Number.isNaN(limit)) return null;
  return {
    id: 'gogc-off-no-limit',
    severity: 'critical',
    title: 'GOGC=off without GOMEMLIMIT: the heap grows until the process is killed',
    evidence: [
      { label: 'GOGC', value: e.env.GOGC, source: env() },
      { label: 'GOMEMLIMIT', value: e.env.GOMEMLIMIT ?? 'unset', source: env() },
    ],
    change: { kind: 'env', diff: `-GOGC=off\n+GOGC=100    # or keep GOGC=off and set GOMEMLIMIT below the container limit` },
    tradeoff: 'GOGC=off with a memory limit is a valid setting (collect only near the limit); without one, no collection ever happens.',
    goVersions: 'all',
    references: [REF.gcGuide],
  };
};

const rssNearLimit: Rule = ({ e, mem }) => {
  const m = e.cgroup?.memory;
  if (!m || mem.limitBytes === null) return null;
  const used = m.usageBytes ?? mem.rssBytes;
  const ooms = m.oomKills;
  const near = used !== null && used >= 0.9 * mem.limitBytes;
  if (!near && !(ooms !== null && ooms > 0)) return null;
  return {
    id: 'memory-near-limit',
    severity: ooms !== null && ooms > 0 ? 'critical' : 'warning',
    title: ooms !== null && ooms > 0 ? `The cgroup has had ${ooms} OOM kill${ooms === 1 ? '' : 's'}${near ? ` and is at ${pct(used! / mem.limitBytes)} of its limit` : ''}` : `Memory is at ${pct(used! / mem.limitBytes)} of the container limit`,
    evidence: [
      { label: 'limit', value: mib(mem.limitBytes), source: { artifact: 'cgroup/', detail: 'memory.max' }, view: 'memory' },
      { label: 'cgroup usage', value: m.usageBytes === null ? 'unknown' : mib(m.usageBytes), source: { artifact: 'cgroup/', detail: 'memory.current' }, view: 'memory' },
      { label: 'process RSS', value: mem.rssBytes === null ? 'unknown' : mib(mem.rssBytes), source: { artifact: 'proc/smaps_rollup', detail: 'Rss' }, view: 'memory' },
      { label: 'OOM kills', value: ooms === null ? 'unknown' : String(ooms), source: { artifact: 'cgroup/', detail: 'memory.events oom_kill' } },
    ],
    change: { kind: 'env', diff: e.env && e.env.GOMEMLIMIT === undefined ? '+GOMEMLIMIT=… (see gomemlimit-unset), or raise the container memory limit' : 'raise the container memory limit, or lower the live heap (see the heap profile)' },
    tradeoff: 'More memory costs node capacity; a memory limit makes the GC work harder near it.',
    goVersions: 'all',
    references: [REF.gcGuide],
  };
};

const lazyFree: Rule = ({ e }) => {
  const lazy = e.rollup?.fieldsKiB.LazyFree;
  if (!e.goVersion || lazy === undefined || lazy === 0) return null;
  const madv = e.godebug.get('madvdontneed');
  const usesFree = madv === '0' || (madv === undefined && e.env !== null && atLeast(e.goVersion, 12) && !atLeast(e.goVersion, 16));
  if (!usesFree) return null;
  return {
    id: 'lazyfree-rss',
    severity: 'warning',
    title: `${mib(lazy * 1024)} of RSS is LazyFree: freed with MADV_FREE but still counted by RSS and the container until the kernel needs it`,
    evidence: [
      { label: 'LazyFree', value: mib(lazy * 1024), source: { artifact: 'proc/smaps_rollup', detail: 'LazyFree' }, view: 'memory' },
      { label: 'Go version', value: e.goVersion.text, source: e.sources.goVersion ?? null },
      { label: 'GODEBUG madvdontneed', value: madv ?? `unset (Go ${e.goVersion.text} defaults to MADV_FREE)`, source: env() },
    ],
    change: { kind: 'godebug', diff: `+GODEBUG=madvdontneed=1` },
    tradeoff: 'MADV_DONTNEED returns pages at once, so RSS and container accounting are accurate; re-touching them costs page faults that MADV_FREE avoids. Go 1.16 made DONTNEED the default.',
    goVersions: 'Go 1.12 to 1.15 (default MADV_FREE), or any version with madvdontneed=0',
    references: [REF.go116],
  };
};

const transparentHugePages: Rule = ({ e }) => {
  const t = e.thp;
  if (!t || !e.goVersion || t.enabled !== 'always' || t.maxPtesNone === null || t.maxPtesNone === 0 || !atLeast(e.goVersion, 21)) return null;
  if (e.godebug.get('disablethp') === '1') return null;
  const hasDisable = atLeast(e.goVersion, 22) || (e.goVersion.minor === 21 && e.goVersion.patch >= 6);
  const huge = e.rollup?.fieldsKiB.AnonHugePages;
  return {
    id: 'thp-overhead',
    severity: 'info',
    title: `Transparent huge pages are "always" with khugepaged max_ptes_none=${t.maxPtesNone}: Go ${e.goVersion.text} no longer works around this, which can raise memory use`,
    evidence: [
      { label: 'THP enabled', value: t.enabled, source: { artifact: 'system/thp-enabled', detail: '/sys/kernel/mm/transparent_hugepage/enabled' } },
      { label: 'khugepaged max_ptes_none', value: String(t.maxPtesNone), source: { artifact: 'system/thp-max-ptes-none', detail: '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none' } },
      { label: 'AnonHugePages', value: huge === undefined ? 'unknown' : mib(huge * 1024), source: { artifact: 'proc/smaps_rollup', detail: 'AnonHugePages' }, view: 'memory' },
      { label: 'Go version', value: e.goVersion.text, source: e.sources.goVersion ?? null },
    ],
    change: hasDisable ? { kind: 'godebug', diff: '+GODEBUG=disablethp=1    # or, host-wide: echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none' } : { kind: 'system', diff: `echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none    # disablethp needs Go 1.21.6+; this is ${e.goVersion.text}` },
    tradeoff: 'Huge pages cut TLB misses for large heaps; with max_ptes_none > 0 khugepaged also collapses mostly-unused regions, so RSS grows by memory the Go heap returned. disablethp gives up huge pages for the heap entirely.',
    goVersions: 'Go 1.21+ (disablethp from 1.21.6 and 1.22)',
    references: [REF.thp, REF.godebug],
  };
};

const godebugNoOps: Rule = ({ e }) => {
  if (!e.goVersion || e.godebug.size === 0) return null;
  const bad: EvidenceItem[] = [];
  for (const [key, value] of e.godebug) {
    const v = godebugKey(key, e.goVersion);
    if (v.kind === 'known') continue;
    const why = v.kind === 'unknown' ? 'no Go release has this setting' : v.kind === 'not-yet' ? `added in Go 1.${v.since}` : `removed in Go 1.${v.removed}`;
    bad.push({ label: `GODEBUG ${key}=${value}`, value: `ignored by Go ${e.goVersion.text}: ${why}`, source: env() });
  }
  if (bad.length === 0) return null;
  const keys = bad.map((b) => b.label.slice('GODEBUG '.length));
  return {
    id: 'godebug-no-op',
    severity: 'warning',
    title: `GODEBUG ${keys.join(', ')} ${keys.length === 1 ? 'does' : 'do'} nothing in Go ${e.goVersion.text}: the runtime silently ignores unknown settings`,
    evidence: bad,
    change: { kind: 'godebug', diff: keys.map((k) => `-GODEBUG ${k}`).join('\n') },
    tradeoff: 'None: the setting has no effect today. If it was meant to change behaviour, that behaviour is not happening.',
    goVersions: `checked against the GODEBUG tables of Go 1.${e.goVersion.minor}`,
    references: [REF.godebug, REF.runtime],
  };
};

const debugLeftOn: Rule = ({ e }) => {
  const on: EvidenceItem[] = [];
  const g = e.godebug;
  const flag = (key: string, bad: (v: string) => boolean, what: string) => {
    const v = g.get(key);
    if (v !== undefined && bad(v)) on.push({ label: `GODEBUG ${key}=${v}`, value: what, source: env() });
  };
  flag('asyncpreemptoff', (v) => v === '1', 'tight loops can no longer be preempted: GC stop-the-world and scheduling latency grow');
  flag('gcstoptheworld', (v) => v !== '0', 'every GC stops the world for its whole mark phase');
  flag('gctrace', (v) => v !== '0', 'a stderr line per GC cycle (cheap, but debug output in production)');
  flag('schedtrace', (v) => v !== '0', 'a scheduler dump to stderr periodically');
  flag('efence', (v) => v !== '0', 'every object on its own page: huge memory use');
  flag('allocfreetrace', (v) => v !== '0', 'traces every allocation');
  if (on.length === 0) return null;
  const severe = on.some((x) => /asyncpreemptoff|gcstoptheworld|efence|allocfreetrace/.test(x.label));
  return {
    id: 'debug-settings-on',
    severity: severe ? 'warning' : 'info',
    title: `Debug settings left on in production: ${on.map((x) => x.label.slice(8)).join(', ')}`,
    evidence: on,
    change: { kind: 'godebug', diff: on.map((x) => `-${x.label}`).join('\n') },
    tradeoff: 'They exist to diagnose problems; keep one only while that diagnosis is running.',
    goVersions: 'all',
    references: [REF.runtime],
  };
};

const goroutineLeak: Rule = ({ e }) => {
  if (!e.goroutineGroups || e.goroutineCount === null) return null;
  // Hundreds parked on one stack for ten minutes, or thousands for a minute (the runtime prints
  // wait times from one minute on), is a leak's signature rather than an idle pool's.
  const leaks = e.goroutineGroups.filter((g) => g.state !== 'running' && ((g.count >= 500 && g.maxWaitMinutes >= 10) || (g.count >= 5000 && g.maxWaitMinutes >= 1)));
  if (leaks.length === 0) return null;
  const top = leaks.sort((a, b) => b.count - a.count)[0]!;
  const frame = top.frames.find((f) => !f.func.startsWith('runtime.')) ?? top.frames[0];
  return {
    id: 'goroutine-leak',
    severity: top.count >= 10_000 ? 'critical' : 'warning',
    title: `${top.count.toLocaleString('en-US')} goroutines wait in "${top.state}" at ${frame?.func ?? 'one stack'} for up to ${top.maxWaitMinutes} minutes: a leak signature`,
    evidence: leaks.slice(0, 3).map((g) => ({ label: `${g.count} × ${g.state}`, value: `${g.frames.find((f) => !f.func.startsWith('runtime.'))?.func ?? g.frames[0]?.func ?? '?'}; created by ${g.createdBy?.func ?? '?'}; longest wait ${g.maxWaitMinutes} min`, source: { artifact: 'go/goroutine-debug2.txt', detail: 'goroutine groups' }, view: 'goroutines' as const })),
    change: { kind: 'code', diff: `give the goroutines created by ${top.createdBy?.func ?? 'this site'} a way to finish: a context with cancel or timeout, or close the channel they wait on` },
    tradeoff: 'Each leaked goroutine holds its stack (at least 2 KiB) and everything it references, and grows the GC\'s root set.',
    goVersions: 'all',
    references: ['https://go.dev/doc/diagnostics'],
  };
};

const threadsAboveGomaxprocs: Rule = ({ cpu }) => {
  if (cpu.threads === null || cpu.gomaxprocs === null) return null;
  if (cpu.threads < 4 * cpu.gomaxprocs || cpu.threads - cpu.gomaxprocs < 40) return null;
  return {
    id: 'threads-above-gomaxprocs',
    severity: cpu.threads >= 1000 ? 'warning' : 'info',
    title: `${cpu.threads} OS threads for GOMAXPROCS ${cpu.gomaxprocs}: goroutines are blocking threads in system calls or cgo`,
    evidence: [
      { label: 'threads', value: String(cpu.threads), source: { artifact: 'proc/status', detail: 'Threads' }, view: 'threads' },
      { label: 'GOMAXPROCS', value: `${cpu.gomaxprocs} (${cpu.gomaxprocsHow})`, source: null },
    ],
    change: { kind: 'code', diff: 'find the blocking calls in the Threads view (stack groups) and the threadcreate profile; bound them with a semaphore or use non-blocking I/O; runtime/debug.SetMaxThreads caps the total (default 10000)' },
    tradeoff: 'Threads cost memory (a stack each) and kernel scheduling; the Go runtime never reuses fewer than it created.',
    goVersions: 'all',
    references: ['https://pkg.go.dev/runtime/debug#SetMaxThreads'],
  };
};

const traceLatency: Rule = ({ e }) => {
  const t = e.trace;
  if (!t) return null;
  const worstStw = t.stw.reduce((a, s) => Math.max(a, s.durationNs), 0);
  const p99 = t.schedLatency.p99Ns;
  if (p99 < 10e6 && worstStw < 10e6) return null;
  const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
  return {
    id: 'trace-latency',
    severity: p99 >= 50e6 || worstStw >= 50e6 ? 'critical' : 'warning',
    title: `The trace shows ${p99 >= 10e6 ? `scheduling latency p99 ${ms(p99)}` : ''}${p99 >= 10e6 && worstStw >= 10e6 ? ' and ' : ''}${worstStw >= 10e6 ? `a ${ms(worstStw)} stop-the-world pause` : ''}`,
    evidence: [
      { label: 'runnable to running, p50 / p99 / max', value: `${ms(t.schedLatency.p50Ns)} / ${ms(p99)} / ${ms(t.schedLatency.maxNs)}`, source: { artifact: 'go/trace', detail: 'GoUnblock/GoCreate to GoStart' }, view: 'trace' },
      { label: 'longest stop-the-world', value: ms(worstStw), source: { artifact: 'go/trace', detail: 'STWBegin to STWEnd' }, view: 'trace' },
      ...t.stwByReason.slice(0, 3).map((r) => ({ label: `STW: ${r.reason}`, value: `${r.count} × max ${ms(r.maxNs)}`, source: { artifact: 'go/trace', detail: 'STW by reason' }, view: 'trace' as const })),
    ],
    change: { kind: 'code', diff: 'more Ps than runnable work (check GOMAXPROCS against the quota and throttling), fewer runnable goroutines at once, and for long STW: avoid frequent ReadMemStats/GOMAXPROCS calls and check for non-preemptible loops (asyncpreemptoff)' },
    tradeoff: 'Latency comes from CPU shortage (throttling, GOMAXPROCS), GC pauses, or too much runnable work; each fix costs capacity or code changes.',
    goVersions: 'Go 1.22+ traces',
    references: ['https://go.dev/blog/execution-traces-2024'],
  };
};

const highPsi: Rule = ({ e }) => {
  const items: EvidenceItem[] = [];
  // A minute above 10% (or ten seconds above 25%) of time with tasks stalled.
  const check = (label: string, p: SessionEvidence['systemPsi']['cpu'], artifact: string) => {
    if (!p) return;
    for (const [kind, line, minute, burst] of [['some', p.some, 10, 25], ['full', p.full, 5, 10]] as const) {
      if (!line) continue;
      if (line.avg60 >= minute) items.push({ label: `${label} ${kind} avg60`, value: `${line.avg60.toFixed(1)}%`, source: { artifact, detail: `${kind} avg10/avg60/avg300` } });
      else if (line.avg10 >= burst) items.push({ label: `${label} ${kind} avg10`, value: `${line.avg10.toFixed(1)}%`, source: { artifact, detail: `${kind} avg10/avg60/avg300` } });
    }
  };
  check('cgroup CPU pressure', e.cgroup?.cpu?.pressure ?? null, 'cgroup/');
  check('cgroup memory pressure', e.cgroup?.memory?.pressure ?? null, 'cgroup/');
  check('host CPU pressure', e.systemPsi.cpu, 'system/pressure-cpu');
  check('host memory pressure', e.systemPsi.memory, 'system/pressure-memory');
  check('host I/O pressure', e.systemPsi.io, 'system/pressure-io');
  if (items.length === 0) return null;
  return {
    id: 'high-psi',
    severity: items.some((i) => i.label.includes('full')) ? 'critical' : 'warning',
    title: `Pressure stall information shows tasks waiting: ${items.map((i) => `${i.label} ${i.value}`).join(', ')}`,
    evidence: items,
    change: { kind: 'system', diff: 'CPU pressure: raise the CPU limit or lower GOMAXPROCS to the quota; memory pressure: raise the memory limit or set GOMEMLIMIT; I/O: look at the syscall stacks in the trace' },
    tradeoff: 'PSI measures lost time, not its cause; the other recommendations say which resource to give.',
    goVersions: 'all (Linux 4.20+)',
    references: [REF.psi],
  };
};

const noPprof: Rule = ({ e }) => {
  if (e.pprof !== false || !e.isGo) return null;
  return {
    id: 'no-pprof',
    severity: 'info',
    title: 'No pprof endpoint: no MemStats, goroutine dump, profiles or execution trace in this session',
    evidence: [{ label: 'pprof endpoint', value: 'none answered on the process\'s listening ports', source: e.sources.pprof ?? null }],
    change: { kind: 'code', diff: 'import _ "net/http/pprof"\ngo http.ListenAndServe("localhost:6060", nil)    // loopback only; Gopherscope reaches it through the SSH tunnel' },
    tradeoff: 'The endpoint costs nothing until asked; a profile or trace costs a few percent CPU while it runs. Keep it on localhost.',
    goVersions: 'all',
    references: [REF.pprof],
  };
};

export const RULES: readonly { readonly id: string; readonly rule: Rule }[] = [
  { id: 'gomaxprocs-above-quota', rule: gomaxprocsAboveQuota },
  { id: 'cpu-throttling', rule: cpuThrottling },
  { id: 'gomemlimit-unset', rule: gomemlimitUnset },
  { id: 'gomemlimit-near-live-heap', rule: gomemlimitNearLiveHeap },
  { id: 'gogc-off-no-limit', rule: gogcOffNoLimit },
  { id: 'memory-near-limit', rule: rssNearLimit },
  { id: 'lazyfree-rss', rule: lazyFree },
  { id: 'thp-overhead', rule: transparentHugePages },
  { id: 'godebug-no-op', rule: godebugNoOps },
  { id: 'debug-settings-on', rule: debugLeftOn },
  { id: 'goroutine-leak', rule: goroutineLeak },
  { id: 'threads-above-gomaxprocs', rule: threadsAboveGomaxprocs },
  { id: 'trace-latency', rule: traceLatency },
  { id: 'high-psi', rule: highPsi },
  { id: 'no-pprof', rule: noPprof },
];

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export interface SessionReport {
  readonly memory: MemoryReconciliation;
  /** Each memory class with its usable (mappedBytes), reserved (---p) and resident bytes; null without smaps. */
  readonly memoryClasses: readonly MemoryClassRow[] | null;
  readonly cpu: CpuReconciliation;
  readonly recommendations: readonly Recommendation[];
  /** Worst severity present, or 'ok'. */
  readonly health: Severity | 'ok';
  readonly notes: readonly string[];
}

/** Runs every rule over the evidence, ranked by severity. */
export function analyzeSession(e: SessionEvidence): SessionReport {
  const mem = reconcileMemory(e);
  const cpu = reconcileCpu(e);
  const recommendations = RULES.map((r) => r.rule({ e, mem, cpu }))
    .filter((r): r is Recommendation => r !== null)
    .sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  return { memory: mem, memoryClasses: mem.attribution?.classes ?? null, cpu, recommendations, health: recommendations[0]?.severity ?? 'ok', notes: e.notes };
}

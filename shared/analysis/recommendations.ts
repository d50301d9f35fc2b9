/**
 * Tuning advice with the evidence behind it. Each rule looks at the
 * session's evidence and either stays silent or returns one recommendation:
 * what it saw (values with the artifacts they came from), the exact change,
 * the trade-off, the Go versions it applies to and references. A rule never
 * fires on missing evidence: unknown is not zero.
 */
import { CGROUP_PREFIX, NAMES } from '../artifacts/registry';
import type { SessionEvidence, Source } from './evidence';
import { atLeast, formatMemLimit } from './goKnowledge';
import type { MemoryClassRow } from './memoryAttribution';
import { reconcileCpu, reconcileMemory, type CpuReconciliation, type MemoryReconciliation } from './reconcile';
import { AUTOMAXPROCS, automaxprocsOutcome } from './settingLibraries';
import { formatSettingValue, SOURCE_LABEL, type EffectiveSettings, type GodebugSetting, type Reading, type Setting } from './settings';
import type { SessionTab } from './views';

export type Severity = 'critical' | 'warning' | 'info';

export interface EvidenceItem {
  readonly label: string;
  readonly value: string;
  readonly source: Source | null;
  /** The session tab that shows it (a row of the views table). */
  readonly view?: SessionTab;
}

export interface Recommendation {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly evidence: readonly EvidenceItem[];
  /**
   * The exact change: edits to the environment (each against what the environment has now), a
   * system setting or a code change. `diff` is the text shown; `edits` the environment edits.
   */
  readonly change: { readonly kind: 'env' | 'godebug' | 'system' | 'code'; readonly diff: string; readonly edits?: readonly EnvEdit[] };
  readonly tradeoff: string;
  readonly goVersions: string;
  readonly references: readonly string[];
}

/** One edit to the process environment, against its value now. */
export type EnvEdit =
  | { readonly op: 'add'; readonly name: string; readonly value: string; readonly why?: string }
  | { readonly op: 'remove'; readonly name: string; readonly value: string; readonly why?: string }
  | { readonly op: 'change'; readonly name: string; readonly from: string; readonly to: string; readonly why?: string }
  /** A key inside GODEBUG: added, changed (from) or removed (to null). */
  | { readonly op: 'godebug'; readonly key: string; readonly from: string | null; readonly to: string | null; readonly why?: string };

export function formatEdit(e: EnvEdit): string {
  const text =
    e.op === 'add'
      ? `add ${e.name}=${e.value}`
      : e.op === 'remove'
        ? `remove ${e.name}=${e.value}`
        : e.op === 'change'
          ? `change ${e.name}=${e.from} to ${e.name}=${e.to}`
          : e.to === null
            ? `remove ${e.key}=${e.from} from GODEBUG`
            : e.from === null
              ? `add ${e.key}=${e.to} to GODEBUG`
              : `change ${e.key}=${e.from} to ${e.key}=${e.to} in GODEBUG`;
  return e.why ? `${text}    # ${e.why}` : text;
}

function envChange(kind: 'env' | 'godebug', edits: readonly EnvEdit[], extra?: string): Recommendation['change'] {
  return { kind, diff: [...edits.map(formatEdit), ...(extra ? [extra] : [])].join('\n'), edits };
}

/** A reading as evidence: its value and the source it came from. */
function readingItem<T extends number | string | null>(label: string, name: string, r: Reading<T>, view?: EvidenceItem['view']): EvidenceItem {
  return { label: `${label} (${SOURCE_LABEL[r.source]})`, value: `${formatSettingValue(name, r.value)}: ${r.detail}`, source: { artifact: r.artifact, detail: r.detail }, ...(view ? { view } : {}) };
}

/** The effective value and the weaker readings that disagree with it, as evidence. */
function settingItems<T extends number | string | null>(label: string, s: Setting<T>): EvidenceItem[] {
  if (!s.effective) return [{ label, value: `unknown: ${s.notes[0] ?? 'no source could say'}`, source: null }];
  const eff = s.effective;
  return [
    readingItem(`${label} in effect`, s.name, eff),
    ...s.readings.filter((r) => r !== eff && r.value !== eff.value).map((r) => readingItem(`${label} per the ${SOURCE_LABEL[r.source]}`, s.name, r)),
  ];
}

const OBSERVED = new Set(['runtime-metrics', 'trace', 'process-memory']);

interface Context {
  readonly e: SessionEvidence;
  readonly mem: MemoryReconciliation;
  readonly cpu: CpuReconciliation;
}

const MiB = 1024 * 1024;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;
const env = (artifact = NAMES.environ, detail = 'the process environment'): Source => ({ artifact, detail });
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

/** What Go 1.25 chooses for this quota before the CPU count caps it: max(2, ceil(quota)). */
const goChoice = (quota: number) => Math.max(2, Math.ceil(quota));

const gomaxprocsAboveQuota: Rule = ({ e, cpu }) => {
  const g = e.settings.GOMAXPROCS;
  const eff = g.effective;
  if (cpu.quotaCpus === null || !eff || !e.goVersion) return null;
  // Go 1.25 chose max(2, ceil(quota)) on purpose; only a value above that is advice-worthy.
  const choice = goChoice(cpu.quotaCpus);
  if (eff.value <= choice) return null;
  const v = e.goVersion;
  const target = Math.min(cpu.hostCpus ?? choice, choice);
  const evidence: EvidenceItem[] = [
    { label: 'CPU quota', value: `${cpu.quotaCpus.toFixed(2)} CPUs`, source: cpu.quotaSource, view: 'threads' },
    ...settingItems('GOMAXPROCS', g),
    { label: 'Go version', value: v.text, source: e.sources.goVersion ?? null },
  ];
  if (cpu.throttledRatio !== null)
    evidence.push({
      label: 'throttled periods',
      value: `${pct(cpu.throttledRatio)}${cpu.throttledSeconds !== null ? `, ${cpu.throttledSeconds.toFixed(1)} s throttled` : ''}`,
      source: { artifact: CGROUP_PREFIX, detail: 'cpu.stat nr_throttled / nr_periods' },
      view: 'threads',
    });
  const envText = g.environment.text;
  const envValue = g.readings.find((r) => r.source === 'environment')?.value ?? null;
  const defaultReading = g.readings.find((r) => r.source === 'go-default') ?? null;
  const libReading = g.readings.find((r) => r.source === 'build-dependency') ?? null;
  const containermaxprocs = e.settings.GODEBUG.find((x) => x.key === 'containermaxprocs')?.effective?.value ?? null;
  const setInProcess = OBSERVED.has(eff.source) && (envValue !== null ? eff.value !== envValue : eff.value !== (libReading?.value ?? defaultReading?.value ?? eff.value));
  // What GOMAXPROCS becomes once the environment no longer sets it.
  const withoutEnv = (): { value: number; why: string } | null => {
    const lib = e.settings.libraries.find((l) => l.path === AUTOMAXPROCS);
    if (lib) {
      const o = automaxprocsOutcome(lib.version, undefined, e.cgroup?.cpu ? { ownQuotaCpus: cpu.ownQuotaCpus, version: e.cgroup.cpu.version } : null);
      if (o.kind === 'sets') return { value: o.value, why: `then ${AUTOMAXPROCS} ${lib.version} (linked in) sets max(1, floor(quota)) = ${o.value}` };
      if (o.kind === 'unknown') return null;
    }
    if (atLeast(v, 25) && containermaxprocs === '1' && cpu.ownQuotaCpus !== null) {
      const d = Math.min(cpu.hostCpus ?? Infinity, goChoice(cpu.ownQuotaCpus));
      return { value: d, why: `then Go ${v.text} uses min(CPUs, max(2, ceil(quota))) = ${d} and follows quota changes` };
    }
    if ((!atLeast(v, 25) || containermaxprocs === '0') && cpu.hostCpus !== null)
      return { value: cpu.hostCpus, why: `then Go ${v.text} uses the CPU count, ${cpu.hostCpus}${atLeast(v, 25) ? ' (containermaxprocs=0)' : ''}` };
    return null;
  };
  let whyNot: string;
  let change: Recommendation['change'];
  if (setInProcess) {
    whyNot = `the program sets it in-process (${SOURCE_LABEL[eff.source]} ${eff.value}, where the environment and the defaults give ${envValue ?? defaultReading?.value ?? 'another value'})`;
    const edits: EnvEdit[] = envText !== null ? [{ op: 'remove', name: 'GOMAXPROCS', value: envText, why: 'it does not decide the value: a runtime.GOMAXPROCS call does' }] : [];
    change = {
      kind: 'code',
      diff: [
        ...edits.map(formatEdit),
        `find the runtime.GOMAXPROCS(${eff.value}) call (the program's or a library's) and remove it${atLeast(v, 25) ? ` (Go ${v.text} then sets ${Math.min(cpu.hostCpus ?? Infinity, choice)} from the quota and follows it)` : `, or pass ${target}`}`,
      ].join('\n'),
      edits,
    };
  } else if (envText !== null && envValue !== null) {
    const after = withoutEnv();
    whyNot = atLeast(v, 25) ? `GOMAXPROCS=${envText} in the environment overrides Go 1.25's container-aware default and turns off its updates` : `GOMAXPROCS=${envText} is set in the environment`;
    change =
      after && after.value <= choice
        ? envChange('env', [{ op: 'remove', name: 'GOMAXPROCS', value: envText, why: after.why }])
        : envChange('env', [
            { op: 'change', name: 'GOMAXPROCS', from: envText, to: String(target), why: `max(2, ceil(quota ${cpu.quotaCpus.toFixed(2)})), capped by the CPU count: what Go 1.25 chooses` },
          ]);
  } else if (atLeast(v, 25) && containermaxprocs === '0') {
    const fromBinary = e.settings.GODEBUG.find((x) => x.key === 'containermaxprocs')?.effective?.source === 'go-default';
    whyNot = `containermaxprocs=0 ${fromBinary ? "in the binary's DefaultGODEBUG (its go.mod `go` line is before 1.25)" : 'in GODEBUG'} turns off Go 1.25's container-aware default`;
    change = envChange('godebug', [
      {
        op: 'godebug',
        key: 'containermaxprocs',
        from: fromBinary ? null : '0',
        to: '1',
        why: `Go ${v.text} then uses min(CPUs, max(2, ceil(quota))) = ${target} and follows quota changes${fromBinary ? "; or raise go.mod's go line to 1.25" : ''}`,
      },
    ]);
  } else {
    whyNot = `Go ${v.text} does not look at the cgroup CPU quota (Go 1.25 does)`;
    change = envChange('env', [
      {
        op: 'add',
        name: 'GOMAXPROCS',
        value: String(target),
        why: `max(2, ceil(quota ${cpu.quotaCpus.toFixed(2)})), capped by the CPU count; or upgrade to Go 1.25+, which sets it and follows quota changes`,
      },
    ]);
  }
  return {
    id: 'gomaxprocs-above-quota',
    severity: cpu.throttledRatio !== null && cpu.throttledRatio > 0.2 ? 'critical' : 'warning',
    title: `GOMAXPROCS ${eff.value} (${SOURCE_LABEL[eff.source]}) is above the CPU quota of ${cpu.quotaCpus.toFixed(2)}: ${whyNot}`,
    evidence,
    change,
    tradeoff: `${target} Ps ask for at most the quota rounded up (Go 1.25's choice, with a floor of 2 so GC workers and the application can run side by side); a busy period can still be throttled at its end. floor(quota) (${Math.max(1, Math.floor(cpu.quotaCpus))}, automaxprocs' choice) never exceeds the quota but leaves the fractional part unused.`,
    goVersions: 'all; automatic from Go 1.25 unless GOMAXPROCS is set, runtime.GOMAXPROCS is called or containermaxprocs=0',
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
      { label: 'throttled periods', value: `${c.nrThrottled} of ${c.nrPeriods}`, source: { artifact: CGROUP_PREFIX, detail: 'cpu.stat' }, view: 'threads' },
      {
        label: 'time throttled',
        value: cpu.throttledSeconds === null ? 'unknown' : `${cpu.throttledSeconds.toFixed(2)} s`,
        source: { artifact: CGROUP_PREFIX, detail: 'cpu.stat throttled_usec / throttled_time' },
      },
      { label: 'CPU quota', value: cpu.quotaCpus === null ? 'unknown' : `${cpu.quotaCpus.toFixed(2)} CPUs`, source: cpu.quotaSource },
      ...settingItems('GOMAXPROCS', e.settings.GOMAXPROCS).slice(0, 1),
    ],
    change: {
      kind: 'system',
      diff:
        cpu.gomaxprocs !== null && cpu.quotaCpus !== null && cpu.gomaxprocs > goChoice(cpu.quotaCpus)
          ? `lower GOMAXPROCS first (see gomaxprocs-above-quota), or raise the container CPU limit above ${cpu.quotaCpus.toFixed(2)} CPUs`
          : `raise the container CPU limit above ${cpu.quotaCpus?.toFixed(2) ?? 'its value'} CPUs, or reduce the work (see the CPU profile)`,
    },
    tradeoff: 'A higher limit costs capacity on the node; a lower GOMAXPROCS lowers peak parallelism but keeps latency predictable inside the quota.',
    goVersions: 'all',
    references: [REF.go125, 'https://docs.kernel.org/scheduler/sched-bwc.html'],
  };
};

const gomemlimitUnset: Rule = ({ e, mem }) => {
  const lim = e.settings.GOMEMLIMIT;
  const eff = lim.effective;
  if (!eff || eff.value !== null || mem.limitBytes === null || !e.goVersion || !atLeast(e.goVersion, 19)) return null;
  // A runtime source (or the environment's "off") says there is none; the default alone only says the environment has none.
  const known = eff.source !== 'go-default';
  const outside = mem.outsideGoBytes;
  const headroom = 0.1;
  const suggested = outside === null ? null : Math.floor((mem.limitBytes - outside) * (1 - headroom));
  if (suggested !== null && suggested <= 0) return null;
  const value = suggested === null ? '<limit − non-Go memory − 10%>' : formatMemLimit(suggested);
  const why = suggested === null ? 'non-Go memory unknown: capture smaps' : `(${mib(mem.limitBytes)} − ${mib(outside!)} outside Go) × 0.9`;
  const envText = lim.environment.text;
  return {
    id: 'gomemlimit-unset',
    severity: known && mem.rssBytes !== null && mem.rssBytes > 0.7 * mem.limitBytes ? 'warning' : 'info',
    title: known
      ? `GOMEMLIMIT is not set (${SOURCE_LABEL[eff.source]}: no limit) under a ${mib(mem.limitBytes)} container memory limit`
      : `GOMEMLIMIT is not in the environment under a ${mib(mem.limitBytes)} container memory limit; nothing in this session shows it set in-process`,
    evidence: [
      { label: 'container memory limit', value: mib(mem.limitBytes), source: { artifact: CGROUP_PREFIX, detail: 'memory.max / memory.limit_in_bytes (lowest over ancestors)' }, view: 'memory' },
      known
        ? readingItem('GOMEMLIMIT in effect', 'GOMEMLIMIT', eff)
        : {
            label: 'GOMEMLIMIT',
            value: `not in the environment; may be set in-process (${[e.settings.sourcesRead['runtime-metrics'], e.settings.sourcesRead['process-memory']].filter(Boolean).join('; ')})`,
            source: env(),
          },
      {
        label: 'memory outside the Go runtime (binary, libraries, thread stacks, cgo/malloc)',
        value: outside === null ? 'unknown (no smaps)' : mib(outside),
        source: e.classes ? { artifact: NAMES.smaps, detail: 'Rss per class' } : null,
        view: 'memory',
      },
      { label: 'process RSS', value: mem.rssBytes === null ? 'unknown' : mib(mem.rssBytes), source: { artifact: NAMES.smapsRollup, detail: 'Rss' }, view: 'memory' },
    ],
    change: envChange(
      'env',
      [envText !== null ? { op: 'change', name: 'GOMEMLIMIT', from: envText, to: value, why } : { op: 'add', name: 'GOMEMLIMIT', value, why }],
      known ? undefined : '    # first check the program does not set a limit itself (debug.SetMemoryLimit, automemlimit): its /metrics would say',
    ),
    tradeoff: `The runtime collects harder as the Go-managed total nears the limit instead of being OOM-killed; ${(headroom * 100).toFixed(0)}% headroom absorbs page cache, kernel memory and non-Go growth. If the live heap itself outgrows the limit the GC runs continuously (capped at about 50% CPU): watch GC CPU after the change.`,
    goVersions: 'Go 1.19+',
    references: [REF.gcGuide, 'https://github.com/KimMachineGun/automemlimit'],
  };
};

const gomemlimitNearLiveHeap: Rule = ({ e, mem }) => {
  const lim = e.settings.GOMEMLIMIT;
  const eff = lim.effective;
  const ms = e.memStats;
  if (!eff || eff.value === null || !ms) return null;
  const limit = eff.value;
  const live = ms.values.HeapAlloc ?? null;
  if (live === null) return null;
  const nonHeap = mem.goNonHeapBytes ?? 0;
  const room = limit - nonHeap;
  if (room <= 0 || live < 0.8 * room) return null;
  const gcCpu = e.trace?.gc.cpuFraction ?? ms.gcCpuFraction;
  const wanted = Math.max(limit, (live + nonHeap) * 1.5);
  const fromLibrary = lim.readings.some((r) => r.source === 'build-dependency' && r.value === limit);
  const envText = lim.environment.text;
  const change: Recommendation['change'] =
    eff.source === 'environment' && envText !== null
      ? envChange('env', [
          {
            op: 'change',
            name: 'GOMEMLIMIT',
            from: envText,
            to: formatMemLimit(wanted),
            why: 'live heap + runtime overhead, with 50% room (raise the container limit to match), or reduce the live heap',
          },
        ])
      : fromLibrary
        ? {
            kind: 'system',
            diff: `raise the container memory limit to about ${mib(wanted / 0.9)}: the automemlimit library sets GOMEMLIMIT to a share of it (0.9 by default, AUTOMEMLIMIT to change), or reduce the live heap`,
          }
        : { kind: 'code', diff: `the program sets the limit in-process (${SOURCE_LABEL[eff.source]}): raise what it passes to debug.SetMemoryLimit to about ${mib(wanted)}, or reduce the live heap` };
  return {
    id: 'gomemlimit-near-live-heap',
    severity: live >= 0.95 * room || (gcCpu !== null && gcCpu > 0.25) ? 'critical' : 'warning',
    title: `The live heap (${mib(live)}) is ${pct(live / room)} of what GOMEMLIMIT leaves for it: GC thrash risk`,
    evidence: [
      readingItem('GOMEMLIMIT in effect', 'GOMEMLIMIT', eff),
      { label: 'heap allocated (HeapAlloc)', value: mib(live), source: { artifact: NAMES.heap, detail: 'HeapAlloc' }, view: 'memory' },
      { label: 'runtime memory besides the heap (Sys − HeapSys)', value: mib(nonHeap), source: { artifact: NAMES.heap, detail: 'Sys − HeapSys' } },
      {
        label: 'GC CPU',
        value: gcCpu === null ? 'unknown' : pct(gcCpu),
        source: e.trace
          ? { artifact: NAMES.trace, detail: 'GC CPU time (mark workers, assists, GC pauses × GOMAXPROCS) over GOMAXPROCS × duration' }
          : { artifact: NAMES.heap, detail: 'GCCPUFraction' },
        view: e.trace ? 'trace' : 'memory',
      },
    ],
    change,
    tradeoff:
      'A higher limit lets the heap grow before the GC works hard, so it needs the container room; keeping the limit means the GC may run back to back (up to its 50% CPU cap) and latency suffers.',
    goVersions: 'Go 1.19+',
    references: [REF.gcGuide],
  };
};

const gogcOffNoLimit: Rule = ({ e, mem }) => {
  const gc = e.settings.GOGC.effective;
  const lim = e.settings.GOMEMLIMIT.effective;
  if (!gc || gc.value !== null || !lim || lim.value !== null) return null;
  const known = lim.source !== 'go-default';
  const gogcEnv = e.settings.GOGC.environment.text;
  const edits: EnvEdit[] = [];
  if (gc.source === 'environment' && gogcEnv !== null) edits.push({ op: 'change', name: 'GOGC', from: gogcEnv, to: '100', why: 'or keep it and add GOMEMLIMIT below the container limit' });
  const limitEnv = e.settings.GOMEMLIMIT.environment.text;
  const alt = mem.limitBytes !== null ? formatMemLimit(mem.limitBytes * 0.9) : null;
  return {
    id: 'gogc-off-no-limit',
    severity: 'critical',
    title: known
      ? `GOGC=off without a memory limit (${SOURCE_LABEL[lim.source]}): the heap grows until the process is killed`
      : 'GOGC=off and GOMEMLIMIT is not in the environment: unless the program sets a memory limit itself, the heap grows until the process is killed',
    evidence: [
      readingItem('GOGC in effect', 'GOGC', gc),
      known
        ? readingItem('GOMEMLIMIT in effect', 'GOMEMLIMIT', lim)
        : { label: 'GOMEMLIMIT', value: 'not in the environment; may be set in-process (no runtime metrics or process-memory read)', source: env() },
    ],
    change:
      edits.length > 0
        ? envChange(
            'env',
            edits,
            alt
              ? `    # the alternative: ${formatEdit(limitEnv !== null ? { op: 'change', name: 'GOMEMLIMIT', from: limitEnv, to: alt } : { op: 'add', name: 'GOMEMLIMIT', value: alt })} (90% of the container limit)`
              : undefined,
          )
        : {
            kind: 'code',
            diff: `the program turns the GC off in-process (${SOURCE_LABEL[gc.source]}): give it a memory limit too (debug.SetMemoryLimit${alt ? `, about ${alt}` : ''}) or drop the debug.SetGCPercent(-1) call`,
          },
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
    title:
      ooms !== null && ooms > 0
        ? `The cgroup has had ${ooms} OOM kill${ooms === 1 ? '' : 's'}${near ? ` and is at ${pct(used! / mem.limitBytes)} of its limit` : ''}`
        : `Memory is at ${pct(used! / mem.limitBytes)} of the container limit`,
    evidence: [
      { label: 'limit', value: mib(mem.limitBytes), source: { artifact: CGROUP_PREFIX, detail: 'memory.max' }, view: 'memory' },
      { label: 'cgroup usage', value: m.usageBytes === null ? 'unknown' : mib(m.usageBytes), source: { artifact: CGROUP_PREFIX, detail: 'memory.current' }, view: 'memory' },
      { label: 'process RSS', value: mem.rssBytes === null ? 'unknown' : mib(mem.rssBytes), source: { artifact: NAMES.smapsRollup, detail: 'Rss' }, view: 'memory' },
      { label: 'OOM kills', value: ooms === null ? 'unknown' : String(ooms), source: { artifact: CGROUP_PREFIX, detail: 'memory.events oom_kill' } },
    ],
    change:
      e.settings.GOMEMLIMIT.effective?.value === null
        ? { kind: 'env', diff: 'add GOMEMLIMIT (see gomemlimit-unset), or raise the container memory limit' }
        : { kind: 'system', diff: 'raise the container memory limit, or lower the live heap (see the heap profile)' },
    tradeoff: 'More memory costs node capacity; a memory limit makes the GC work harder near it.',
    goVersions: 'all',
    references: [REF.gcGuide],
  };
};

/** A GODEBUG key's setting, and the edit that sets it to `to` against the environment's value. */
function godebugEdit(e: SessionEvidence, key: string, to: string | null, why: string): EnvEdit {
  return { op: 'godebug', key, from: e.settings.GODEBUG.find((g) => g.key === key)?.readings.find((r) => r.source === 'environment')?.value ?? null, to, why };
}

const lazyFree: Rule = ({ e }) => {
  const lazy = e.rollup?.fieldsKiB.LazyFree;
  if (!e.goVersion || lazy === undefined || lazy === 0) return null;
  const madv = e.settings.GODEBUG.find((g) => g.key === 'madvdontneed');
  if (madv?.effective?.value !== '0') return null;
  const fromEnv = madv.effective.source === 'environment';
  const edit =
    atLeast(e.goVersion, 16) && fromEnv
      ? godebugEdit(e, 'madvdontneed', null, `Go ${e.goVersion.text} releases with MADV_DONTNEED by default`)
      : godebugEdit(e, 'madvdontneed', '1', 'release with MADV_DONTNEED');
  return {
    id: 'lazyfree-rss',
    severity: 'warning',
    title: `${mib(lazy * 1024)} of RSS is LazyFree: freed with MADV_FREE but still counted by RSS and the container until the kernel needs it`,
    evidence: [
      { label: 'LazyFree', value: mib(lazy * 1024), source: { artifact: NAMES.smapsRollup, detail: 'LazyFree' }, view: 'memory' },
      { label: 'Go version', value: e.goVersion.text, source: e.sources.goVersion ?? null },
      readingItem('GODEBUG madvdontneed in effect', 'GODEBUG madvdontneed', madv.effective),
    ],
    change: envChange('godebug', [edit]),
    tradeoff: 'MADV_DONTNEED returns pages at once, so RSS and container accounting are accurate; re-touching them costs page faults that MADV_FREE avoids. Go 1.16 made DONTNEED the default.',
    goVersions: 'Go 1.12 to 1.15 (default MADV_FREE), or any version with madvdontneed=0',
    references: [REF.go116],
  };
};

const transparentHugePages: Rule = ({ e }) => {
  const t = e.thp;
  if (!t || !e.goVersion || t.enabled !== 'always' || t.maxPtesNone === null || t.maxPtesNone === 0 || !atLeast(e.goVersion, 21)) return null;
  if (e.settings.GODEBUG.find((g) => g.key === 'disablethp')?.effective?.value === '1') return null;
  const hasDisable = atLeast(e.goVersion, 22) || (e.goVersion.minor === 21 && e.goVersion.patch >= 6);
  const huge = e.rollup?.fieldsKiB.AnonHugePages;
  return {
    id: 'thp-overhead',
    severity: 'info',
    title: `Transparent huge pages are "always" with khugepaged max_ptes_none=${t.maxPtesNone}: Go ${e.goVersion.text} no longer works around this, which can raise memory use`,
    evidence: [
      { label: 'THP enabled', value: t.enabled, source: { artifact: NAMES.thpEnabled, detail: '/sys/kernel/mm/transparent_hugepage/enabled' } },
      { label: 'khugepaged max_ptes_none', value: String(t.maxPtesNone), source: { artifact: NAMES.thpMaxPtesNone, detail: '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none' } },
      { label: 'AnonHugePages', value: huge === undefined ? 'unknown' : mib(huge * 1024), source: { artifact: NAMES.smapsRollup, detail: 'AnonHugePages' }, view: 'memory' },
      { label: 'Go version', value: e.goVersion.text, source: e.sources.goVersion ?? null },
    ],
    change: hasDisable
      ? envChange('godebug', [godebugEdit(e, 'disablethp', '1', 'or, host-wide: echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none')])
      : { kind: 'system', diff: `echo 0 > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none    # disablethp needs Go 1.21.6+; this is ${e.goVersion.text}` },
    tradeoff:
      'Huge pages cut TLB misses for large heaps; with max_ptes_none > 0 khugepaged also collapses mostly-unused regions, so RSS grows by memory the Go heap returned. disablethp gives up huge pages for the heap entirely.',
    goVersions: 'Go 1.21+ (disablethp from 1.21.6 and 1.22)',
    references: [REF.thp, REF.godebug],
  };
};

/** GODEBUG keys from the environment that change nothing in this release, of one kind. */
function godebugWithoutEffect(e: SessionEvidence, kind: 'ignored' | 'redundant'): GodebugSetting[] {
  return e.settings.GODEBUG.filter((g) => g.noEffect?.startsWith(kind) && g.readings.some((r) => r.source === 'environment'));
}

const envValueOf = (g: GodebugSetting) => g.readings.find((r) => r.source === 'environment')!.value;

const godebugNoOps: Rule = ({ e }) => {
  if (!e.goVersion) return null;
  const bad = godebugWithoutEffect(e, 'ignored');
  if (bad.length === 0) return null;
  const keys = bad.map((g) => `${g.key}=${envValueOf(g)}`);
  return {
    id: 'godebug-no-op',
    severity: 'warning',
    title: `GODEBUG ${keys.join(', ')} ${keys.length === 1 ? 'does' : 'do'} nothing in Go ${e.goVersion.text}: the runtime silently ignores unknown settings`,
    evidence: bad.map((g) => ({ label: `GODEBUG ${g.key}=${envValueOf(g)}`, value: `${g.noEffect!.replace(/^ignored: /, `ignored by Go ${e.goVersion!.text}: `)}`, source: env() })),
    change: envChange(
      'godebug',
      bad.map((g) => godebugEdit(e, g.key, null, 'does nothing')),
    ),
    tradeoff: 'None: the setting has no effect today. If it was meant to change behaviour, that behaviour is not happening.',
    goVersions: `checked against the GODEBUG tables of Go 1.${e.goVersion.minor}`,
    references: [REF.godebug, REF.runtime],
  };
};

const godebugRedundant: Rule = ({ e }) => {
  if (!e.goVersion) return null;
  const same = godebugWithoutEffect(e, 'redundant');
  if (same.length === 0) return null;
  const keys = same.map((g) => `${g.key}=${envValueOf(g)}`);
  return {
    id: 'godebug-redundant',
    severity: 'info',
    title: `GODEBUG ${keys.join(', ')} ${keys.length === 1 ? 'is' : 'are'} already the default in Go ${e.goVersion.text}: redundant`,
    evidence: same.map((g) => ({ label: `GODEBUG ${g.key}=${envValueOf(g)}`, value: g.noEffect!, source: env() })),
    change: envChange(
      'godebug',
      same.map((g) => godebugEdit(e, g.key, null, 'the default already')),
    ),
    tradeoff: 'None today; keeping it pins the value if a future release changes the default (madvdontneed=1 has been the Linux default since Go 1.16).',
    goVersions: `Go ${e.goVersion.text} (the defaults of its release${e.settings.sourcesRead['build-dependency'] === null ? " and the binary's DefaultGODEBUG" : ''})`,
    references: [REF.godebug, REF.go116],
  };
};

const debugLeftOn: Rule = ({ e }) => {
  const on: EvidenceItem[] = [];
  const keys: string[] = [];
  const flag = (key: string, bad: (v: string) => boolean, what: string) => {
    const v = e.godebug.get(key);
    if (v !== undefined && bad(v)) {
      on.push({ label: `GODEBUG ${key}=${v}`, value: what, source: env() });
      keys.push(key);
    }
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
    change: envChange(
      'godebug',
      keys.map((k) => godebugEdit(e, k, null, 'a debugging aid')),
    ),
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
    evidence: leaks.slice(0, 3).map((g) => ({
      label: `${g.count} × ${g.state}`,
      value: `${g.frames.find((f) => !f.func.startsWith('runtime.'))?.func ?? g.frames[0]?.func ?? '?'}; created by ${g.createdBy?.func ?? '?'}; longest wait ${g.maxWaitMinutes} min`,
      source: { artifact: NAMES.goroutines, detail: 'goroutine groups' },
      view: 'goroutines' as const,
    })),
    change: { kind: 'code', diff: `give the goroutines created by ${top.createdBy?.func ?? 'this site'} a way to finish: a context with cancel or timeout, or close the channel they wait on` },
    tradeoff: "Each leaked goroutine holds its stack (at least 2 KiB) and everything it references, and grows the GC's root set.",
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
      { label: 'threads', value: String(cpu.threads), source: { artifact: NAMES.status, detail: 'Threads' }, view: 'threads' },
      { label: 'GOMAXPROCS', value: `${cpu.gomaxprocs} (${cpu.gomaxprocsHow})`, source: null },
    ],
    change: {
      kind: 'code',
      diff: 'find the blocking calls in the Threads view (stack groups) and the threadcreate profile; bound them with a semaphore or use non-blocking I/O; runtime/debug.SetMaxThreads caps the total (default 10000)',
    },
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
      {
        label: 'runnable to running, p50 / p99 / max',
        value: `${ms(t.schedLatency.p50Ns)} / ${ms(p99)} / ${ms(t.schedLatency.maxNs)}`,
        source: { artifact: NAMES.trace, detail: 'GoUnblock/GoCreate to GoStart' },
        view: 'trace',
      },
      { label: 'longest stop-the-world', value: ms(worstStw), source: { artifact: NAMES.trace, detail: 'STWBegin to STWEnd' }, view: 'trace' },
      ...t.stwByReason
        .slice(0, 3)
        .map((r) => ({ label: `STW: ${r.reason}`, value: `${r.count} × max ${ms(r.maxNs)}`, source: { artifact: NAMES.trace, detail: 'STW by reason' }, view: 'trace' as const })),
    ],
    change: {
      kind: 'code',
      diff: 'more Ps than runnable work (check GOMAXPROCS against the quota and throttling), fewer runnable goroutines at once, and for long STW: avoid frequent ReadMemStats/GOMAXPROCS calls and check for non-preemptible loops (asyncpreemptoff)',
    },
    tradeoff: 'Latency comes from CPU shortage (throttling, GOMAXPROCS), GC pauses, or too much runnable work; each fix costs capacity or code changes.',
    goVersions: 'Go 1.22+ traces',
    references: ['https://go.dev/blog/execution-traces-2024'],
  };
};

type PsiReading = SessionEvidence['systemPsi']['cpu'];

/** Lines of a PSI reading over the thresholds: a minute above 10% (5% full), or ten seconds above 25% (10% full). */
function psiOver(label: string, p: PsiReading, source: Source): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  if (!p) return items;
  for (const [kind, line, minute, burst] of [
    ['some', p.some, 10, 25],
    ['full', p.full, 5, 10],
  ] as const) {
    if (!line) continue;
    if (line.avg60 >= minute) items.push({ label: `${label} ${kind} avg60`, value: `${line.avg60.toFixed(1)}%`, source });
    else if (line.avg10 >= burst) items.push({ label: `${label} ${kind} avg10`, value: `${line.avg10.toFixed(1)}%`, source });
  }
  return items;
}

const psiText = (p: PsiReading) => (p?.some ? `some avg10 ${p.some.avg10.toFixed(1)}%, avg60 ${p.some.avg60.toFixed(1)}%` : 'no data');

const highPsi: Rule = ({ e, cpu }) => {
  const path = e.cgroup?.pressurePath;
  if (!path) return null;
  const src = (what: string): Source => ({ artifact: CGROUP_PREFIX, detail: `${what}.pressure of the process's own cgroup ${path}` });
  const cpuItems = psiOver(`cgroup ${path} CPU pressure`, e.cgroup?.cpu?.pressure ?? null, src('cpu'));
  const memItems = psiOver(`cgroup ${path} memory pressure`, e.cgroup?.memory?.pressure ?? null, src('memory'));
  const items = [...cpuItems, ...memItems];
  if (items.length === 0) return null;
  const fixes: string[] = [];
  if (cpuItems.length)
    fixes.push(
      cpu.gomaxprocs !== null && cpu.quotaCpus !== null && cpu.gomaxprocs > goChoice(cpu.quotaCpus)
        ? 'CPU: lower GOMAXPROCS to the quota (see gomaxprocs-above-quota), then raise the CPU limit if the pressure stays'
        : cpu.quotaCpus !== null
          ? `CPU: this cgroup's tasks wait for CPU under its ${cpu.quotaCpus.toFixed(2)}-CPU limit: raise the limit or reduce the work (see the CPU profile)`
          : "CPU: this cgroup's tasks wait for CPU with no quota of their own: the host's CPUs are busy (see host-psi) or the work needs more CPUs",
    );
  if (memItems.length) fixes.push('memory: raise the memory limit, or set GOMEMLIMIT below it so the GC works before the kernel reclaims (see the memory rules)');
  return {
    id: 'high-psi',
    severity: items.some((i) => i.label.includes('full')) ? 'critical' : 'warning',
    title: `The process's own cgroup shows tasks stalled: ${items.map((i) => `${i.label.replace(`cgroup ${path} `, '')} ${i.value}`).join(', ')}`,
    evidence: items,
    change: { kind: 'system', diff: fixes.join('\n') },
    tradeoff: 'PSI measures lost time, not its cause; the other recommendations say which resource to give.',
    goVersions: 'all (Linux 4.20+, cgroup v2 pressure files)',
    references: [REF.psi],
  };
};

const hostPsi: Rule = ({ e }) => {
  const items = [
    ...psiOver('host-wide CPU pressure', e.systemPsi.cpu, { artifact: NAMES.pressureCpu, detail: '/proc/pressure/cpu: every task on the host' }),
    ...psiOver('host-wide memory pressure', e.systemPsi.memory, { artifact: NAMES.pressureMemory, detail: '/proc/pressure/memory: every task on the host' }),
    ...psiOver('host-wide I/O pressure', e.systemPsi.io, { artifact: NAMES.pressureIo, detail: '/proc/pressure/io: every task on the host' }),
  ];
  if (items.length === 0) return null;
  const path = e.cgroup?.pressurePath ?? null;
  const own = path ? `this process's own cgroup (${path}): CPU ${psiText(e.cgroup?.cpu?.pressure ?? null)}, memory ${psiText(e.cgroup?.memory?.pressure ?? null)}` : null;
  if (own) items.push({ label: "pressure of the process's own cgroup, for comparison", value: own, source: { artifact: CGROUP_PREFIX, detail: `*.pressure of ${path}` } });
  return {
    id: 'host-psi',
    severity: 'info',
    title: `Host-wide pressure (every process on the host, not this one alone): ${items
      .filter((i) => i.label.startsWith('host-wide'))
      .map((i) => `${i.label.replace('host-wide ', '')} ${i.value}`)
      .join(', ')}`,
    evidence: items,
    change: {
      kind: 'system',
      diff: `nothing in this process's settings or its container's limits causes host-wide pressure: find the host's busiest cgroups (their cpu.pressure and cpu.stat) or move the service to a quieter host${own ? `; ${own}` : "; this process's own cgroup pressure was not captured (cgroup v2 needed)"}`,
    },
    tradeoff: "Other tenants can steal CPU, memory bandwidth and I/O; only the host's owner can rebalance them.",
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
    evidence: [{ label: 'pprof endpoint', value: "none answered on the process's listening ports", source: e.sources.pprof ?? null }],
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
  { id: 'godebug-redundant', rule: godebugRedundant },
  { id: 'debug-settings-on', rule: debugLeftOn },
  { id: 'goroutine-leak', rule: goroutineLeak },
  { id: 'threads-above-gomaxprocs', rule: threadsAboveGomaxprocs },
  { id: 'trace-latency', rule: traceLatency },
  { id: 'high-psi', rule: highPsi },
  { id: 'host-psi', rule: hostPsi },
  { id: 'no-pprof', rule: noPprof },
];

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export interface SessionReport {
  /** GOMAXPROCS, GOMEMLIMIT, GOGC and GODEBUG in effect with their sources: what every view shows. */
  readonly settings: EffectiveSettings;
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
  return {
    settings: e.settings,
    memory: mem,
    memoryClasses: mem.attribution?.classes ?? null,
    cpu,
    recommendations,
    health: recommendations[0]?.severity ?? 'ok',
    notes: [...e.notes, ...e.settings.notes],
  };
}

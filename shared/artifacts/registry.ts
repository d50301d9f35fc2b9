/**
 * Every artifact a session can hold, in one table: its name (or the pattern of a family such as
 * task/TID/stat), where it comes from, its cap, the kind its parser reads, and the views and facts
 * that use it. The capture's list of what it must account for, the bundle script's files, the
 * frame collector's caps, kind detection by name, `inspect`'s kinds and the views' artifact filters
 * are all derived from here; consumers import names from ARTIFACTS and never spell them out.
 * Pure data: no parser is imported, so the renderer's main thread can use the names cheaply
 * (the kind → parser table is shared/parsers/artifactKinds.ts).
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Kinds of content a parser reads (`gopherscope inspect --kind`), in the order `inspect` lists them. */
export const ARTIFACT_KINDS = [
  'smaps',
  'maps',
  'smaps_rollup',
  'status',
  'stat',
  'statm',
  'limits',
  'schedstat',
  'sched',
  'sched_debug',
  'stacks',
  'goroutines',
  'heap-debug1',
  'runtime-log',
  'psi',
  'uptime',
  'pprof',
  'buildinfo',
  'cgroup-files',
  'prometheus-text',
  'expvar',
  'mem-probes',
] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export function isArtifactKind(s: string): s is ArtifactKind {
  return (ARTIFACT_KINDS as readonly string[]).includes(s);
}

/** The session views that read artifacts (their tabs); Compare reads what the Overview reads. */
export const ARTIFACT_VIEWS = ['overview', 'memory', 'threads', 'goroutines', 'profiles', 'trace'] as const;
export type ArtifactView = (typeof ARTIFACT_VIEWS)[number];

/** Where an artifact comes from. PID in a path stands for the target's PID. */
export type ArtifactSource =
  /** A file read on the host by the bundle script (`absent`: the skip reason when the path does not exist). */
  | { readonly from: 'remote-file'; readonly path: string; readonly absent?: string }
  /** The output of a command run on the host (the script itself is in electron/core/remoteScripts.ts). */
  | { readonly from: 'remote-command'; readonly command: string }
  /** An HTTP endpoint of the target (net/http/pprof, /metrics, /debug/vars), fetched through a tunnel. */
  | { readonly from: 'endpoint'; readonly path: string }
  /** Made by Gopherscope from other reads. */
  | { readonly from: 'derived'; readonly what: string };

/**
 * When a capture must account for the artifact (read it, or record why not):
 * bundle — every capture, from the one-round-trip script; pprof — when a pprof endpoint is fetched
 * (cpu and trace only when asked for); endpoint — beside pprof; go-binary — when the target is Go;
 * stacks — when native stacks are on; late — every capture, after the bundle; never — a family or a
 * marker that is recorded only when it exists.
 */
export type Expected = 'bundle' | 'pprof' | 'pprof-cpu' | 'pprof-trace' | 'endpoint' | 'go-binary' | 'stacks' | 'late' | 'never';

interface Common {
  readonly source: ArtifactSource;
  /** Bytes kept (the reader reads one more, to tell that the file was longer); null: bounded elsewhere. */
  readonly cap: number | null;
  /** The kind its parser reads; null for raw-only artifacts (kept and shown, not parsed alone). */
  readonly kind: ArtifactKind | null;
  readonly expected: Expected;
  readonly views: readonly ArtifactView[];
  /** Facts of shared/analysis/evidence.ts (SessionEvidence sources) and settings.ts read from it. */
  readonly facts: readonly string[];
}
export interface NamedArtifact extends Common {
  readonly name: string;
}
export interface ArtifactFamily extends Common {
  /** Names of the family, e.g. task/TID/stat. */
  readonly pattern: RegExp;
  /** One name of the family, for tests and documentation. */
  readonly example: string;
}
export type ArtifactSpec = NamedArtifact | ArtifactFamily;

const sys = <N extends string>(name: N, path: string, absent: string, kind: ArtifactKind | null = null, facts: readonly string[] = [], views: readonly ArtifactView[] = ['overview']) =>
  ({ name, source: { from: 'remote-file', path, absent }, cap: MiB, kind, expected: 'bundle', views, facts }) as const;
const proc = <F extends string>(file: F, cap: number, kind: ArtifactKind | null = null, views: readonly ArtifactView[] = ['overview'], facts: readonly string[] = []) =>
  ({ name: `proc/${file}` as `proc/${F}`, source: { from: 'remote-file', path: `/proc/PID/${file}` }, cap, kind, expected: 'bundle', views, facts }) as const;
const pprof = <N extends string, C extends number | null>(
  name: N,
  path: string,
  cap: C,
  kind: ArtifactKind | null,
  views: readonly ArtifactView[],
  facts: readonly string[] = [],
  expected: Expected = 'pprof',
) => ({ name, source: { from: 'endpoint', path }, cap, kind, expected, views, facts }) as const;
const PSI_ABSENT = 'PSI is not available (kernel without CONFIG_PSI, or booted with psi=0)';

/**
 * The table. Order matters twice: the bundle script reads system and process files in this order
 * (except maps and smaps, which it reads last: see bundleScript.ts), and `expectedArtifacts` lists
 * them in it.
 */
export const ARTIFACTS = {
  uname: { name: 'system/uname', source: { from: 'remote-command', command: 'uname -a' }, cap: 64 * KiB, kind: null, expected: 'bundle', views: ['overview'], facts: [] },
  osRelease: sys('system/os-release', '/etc/os-release', 'no /etc/os-release on this host'),
  cpuOnline: sys('system/cpu-online', '/sys/devices/system/cpu/online', 'no CPU online list', null, ['hostCpus']),
  meminfo: sys('system/meminfo', '/proc/meminfo', 'no /proc/meminfo'),
  loadavg: sys('system/loadavg', '/proc/loadavg', 'no /proc/loadavg'),
  // With proc/stat's starttime: the process's uptime, which cumulative profiles (alloc_space) are divided by.
  uptime: sys('system/uptime', '/proc/uptime', 'no /proc/uptime', 'uptime'),
  pressureCpu: sys('system/pressure-cpu', '/proc/pressure/cpu', PSI_ABSENT, 'psi', ['systemPsi']),
  pressureMemory: sys('system/pressure-memory', '/proc/pressure/memory', PSI_ABSENT, 'psi', ['systemPsi']),
  pressureIo: sys('system/pressure-io', '/proc/pressure/io', PSI_ABSENT, 'psi', ['systemPsi']),
  thpEnabled: sys('system/thp-enabled', '/sys/kernel/mm/transparent_hugepage/enabled', 'no transparent hugepage support in this kernel', null, ['thp']),
  thpDefrag: sys('system/thp-defrag', '/sys/kernel/mm/transparent_hugepage/defrag', 'no transparent hugepage support in this kernel', null, ['thp']),
  thpMaxPtesNone: sys('system/thp-max-ptes-none', '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none', 'no khugepaged settings in this kernel', null, ['thp']),
  overcommitMemory: sys('system/overcommit-memory', '/proc/sys/vm/overcommit_memory', 'no vm.overcommit_memory'),
  overcommitRatio: sys('system/overcommit-ratio', '/proc/sys/vm/overcommit_ratio', 'no vm.overcommit_ratio'),
  swappiness: sys('system/swappiness', '/proc/sys/vm/swappiness', 'no vm.swappiness'),
  kernelRelease: sys('system/kernel-release', '/proc/sys/kernel/osrelease', 'no kernel release'),
  schedDebug: {
    name: 'scheduler/sched_debug',
    source: { from: 'remote-file', path: '/sys/kernel/debug/sched/debug, else /proc/sched_debug' },
    cap: 64 * MiB,
    kind: 'sched_debug',
    expected: 'bundle',
    views: ['overview'],
    facts: ['runqueue'],
  },
  status: proc('status', MiB, 'status', ['overview'], ['status']),
  stat: proc('stat', MiB, 'stat'),
  statm: proc('statm', MiB, 'statm'),
  cmdline: proc('cmdline', MiB),
  environ: proc('environ', 4 * MiB, null, ['overview'], ['env']),
  limits: proc('limits', MiB, 'limits'),
  cgroup: proc('cgroup', MiB),
  sched: proc('sched', MiB, 'sched'),
  schedstat: proc('schedstat', MiB, 'schedstat'),
  io: proc('io', MiB),
  oomScore: proc('oom_score', KiB),
  oomScoreAdj: proc('oom_score_adj', KiB),
  smapsRollup: proc('smaps_rollup', MiB, 'smaps_rollup', ['overview', 'memory'], ['rollup']),
  maps: proc('maps', 64 * MiB, 'maps', ['overview', 'memory']),
  smaps: proc('smaps', 256 * MiB, 'smaps', ['overview', 'memory'], ['classes']),
  netTcp: proc('net/tcp', 16 * MiB),
  netTcp6: proc('net/tcp6', 16 * MiB),
  fd: { name: 'proc/fd', source: { from: 'remote-command', command: 'ls -l /proc/PID/fd' }, cap: 16 * MiB, kind: null, expected: 'bundle', views: ['overview'], facts: [] },
  threadComm: {
    pattern: /^task\/\d+\/comm$/,
    example: 'task/1234/comm',
    source: { from: 'remote-file', path: '/proc/PID/task/TID/comm' },
    cap: 256,
    kind: null,
    expected: 'never',
    views: ['overview', 'threads'],
    facts: [],
  },
  threadStat: {
    pattern: /^task\/\d+\/stat$/,
    example: 'task/1234/stat',
    source: { from: 'remote-file', path: '/proc/PID/task/TID/stat' },
    cap: 4 * KiB,
    kind: 'stat',
    expected: 'never',
    views: ['overview', 'threads'],
    facts: [],
  },
  threadSched: {
    pattern: /^task\/\d+\/sched$/,
    example: 'task/1234/sched',
    source: { from: 'remote-file', path: '/proc/PID/task/TID/sched' },
    cap: 64 * KiB,
    kind: 'sched',
    expected: 'never',
    views: ['overview', 'threads'],
    facts: ['threads'],
  },
  threadsMore: {
    name: 'task/more',
    source: { from: 'derived', what: 'a skipped marker when the process has more threads than the script reads' },
    cap: null,
    kind: null,
    expected: 'never',
    views: ['overview'],
    facts: [],
  },
  cgroupPath: {
    pattern: /^cgroup\/[^/]+\/\d+\/path$/,
    example: 'cgroup/v2/0/path',
    source: { from: 'derived', what: "the cgroup's path below its hierarchy's root, at each level" },
    cap: null,
    kind: null,
    expected: 'never',
    views: ['overview', 'memory'],
    facts: ['cgroup'],
  },
  cgroupPressure: {
    pattern: /^cgroup\/[^/]+\/\d+\/[a-z]+\.pressure$/,
    example: 'cgroup/v2/0/cpu.pressure',
    source: { from: 'remote-file', path: '/sys/fs/cgroup/…/FILE' },
    cap: MiB,
    kind: 'psi',
    expected: 'never',
    views: ['overview', 'memory'],
    facts: ['cgroup'],
  },
  cgroupFile: {
    pattern: /^cgroup\/[^/]+\/\d+\/[a-z0-9_.]+$/,
    example: 'cgroup/v1-memory/0/memory.limit_in_bytes',
    source: { from: 'remote-file', path: '/sys/fs/cgroup/…/FILE' },
    cap: MiB,
    kind: null,
    expected: 'never',
    views: ['overview', 'memory'],
    facts: ['cgroup'],
  },
  goroutines: pprof('go/goroutine-debug2.txt', '/debug/pprof/goroutine?debug=2', 64 * MiB, 'goroutines', ['overview', 'goroutines'], ['goroutines']),
  heap: pprof('go/heap-debug1.txt', '/debug/pprof/heap?debug=1', 64 * MiB, 'heap-debug1', ['overview', 'memory'], ['memStats']),
  allocs: pprof('go/allocs.pb.gz', '/debug/pprof/allocs', 64 * MiB, 'pprof', ['profiles']),
  threadcreate: pprof('go/threadcreate.pb.gz', '/debug/pprof/threadcreate', 16 * MiB, 'pprof', ['profiles']),
  mutex: pprof('go/mutex.pb.gz', '/debug/pprof/mutex', 16 * MiB, 'pprof', ['profiles']),
  block: pprof('go/block.pb.gz', '/debug/pprof/block', 16 * MiB, 'pprof', ['profiles']),
  cpu: pprof('go/cpu.pb.gz', '/debug/pprof/profile?seconds=N', 64 * MiB, 'pprof', ['profiles'], [], 'pprof-cpu'),
  // Capped by the capture's option (DEFAULT_TRACE_CAP in goArtifacts.ts); the Overview reads one of at most 64 MiB.
  trace: pprof('go/trace', '/debug/pprof/trace?seconds=N', null, null, ['overview', 'trace'], ['trace', 'GOMAXPROCS'], 'pprof-trace'),
  otherProfile: {
    pattern: /^go\/[^/]+\.pb\.gz$/,
    example: 'go/goroutine.pb.gz',
    source: { from: 'endpoint', path: '/debug/pprof/NAME' },
    cap: 64 * MiB,
    kind: 'pprof',
    expected: 'never',
    views: ['profiles'],
    facts: [],
  },
  metrics: pprof('go/metrics.txt', '/metrics', 8 * MiB, 'prometheus-text', ['overview', 'memory'], ['GOMAXPROCS', 'GOMEMLIMIT', 'GOGC'], 'endpoint'),
  expvar: pprof('go/expvar.json', '/debug/vars', 8 * MiB, 'expvar', ['overview', 'memory'], ['memStats'], 'endpoint'),
  buildinfo: {
    name: 'go/buildinfo',
    source: { from: 'remote-file', path: '/proc/PID/exe (the .go.buildinfo section only)' },
    cap: null,
    kind: 'buildinfo',
    expected: 'go-binary',
    views: ['overview'],
    facts: ['goVersion'],
  },
  runtimeVars: {
    name: 'go/runtime-vars.json',
    source: { from: 'derived', what: "GOMAXPROCS, the memory limit and GOGC read from /proc/PID/mem at addresses found in the binary's DWARF or symbols" },
    cap: null,
    kind: null,
    expected: 'go-binary',
    views: ['overview'],
    facts: ['GOMAXPROCS', 'GOMEMLIMIT', 'GOGC'],
  },
  nativeStacks: {
    name: 'stacks/native.txt',
    source: { from: 'remote-command', command: 'eu-stack -p PID (else pstack, gstack, gdb -batch)' },
    cap: 64 * MiB,
    kind: 'stacks',
    expected: 'stacks',
    views: ['overview', 'threads'],
    facts: ['threadStates'],
  },
  memProbes: {
    name: 'proc/mem-probes.json',
    source: { from: 'derived', what: 'the first 48 bytes of candidate anonymous mappings, read through /proc/PID/mem' },
    cap: null,
    kind: 'mem-probes',
    expected: 'late',
    views: ['overview', 'memory'],
    facts: ['classes'],
  },
  discovery: {
    name: 'meta/discovery.json',
    source: { from: 'derived', what: 'what the capture found: Go or not, the Go environment, cgroup path, container, pprof port, network route' },
    cap: null,
    kind: null,
    expected: 'late',
    views: ['overview'],
    facts: ['pprof', 'env'],
  },
} as const satisfies Record<string, ArtifactSpec>;

export type ArtifactId = keyof typeof ARTIFACTS;
type NamedIds = { [K in ArtifactId]: (typeof ARTIFACTS)[K] extends { readonly name: string } ? K : never }[ArtifactId];
/** The name of each artifact with one name, e.g. NAMES.smapsRollup === 'proc/smaps_rollup'. */
export type ArtifactNames = { readonly [K in NamedIds]: (typeof ARTIFACTS)[K] extends { readonly name: infer N } ? N : never };

const SPECS: readonly (readonly [ArtifactId, ArtifactSpec])[] = Object.entries(ARTIFACTS) as [ArtifactId, ArtifactSpec][];
const isNamed = (s: ArtifactSpec): s is NamedArtifact => 'name' in s;

export const NAMES: ArtifactNames = Object.fromEntries(SPECS.filter(([, s]) => isNamed(s)).map(([id, s]) => [id, (s as NamedArtifact).name])) as unknown as ArtifactNames;

const BY_NAME: ReadonlyMap<string, ArtifactSpec> = new Map(SPECS.filter(([, s]) => isNamed(s)).map(([, s]) => [(s as NamedArtifact).name, s]));
const FAMILIES: readonly ArtifactFamily[] = SPECS.map(([, s]) => s).filter((s): s is ArtifactFamily => !isNamed(s));

/** The registry row an artifact name belongs to: its own, else the first family it matches; null when unknown. */
export function specOf(name: string): ArtifactSpec | null {
  return BY_NAME.get(name) ?? FAMILIES.find((f) => f.pattern.test(name)) ?? null;
}

/** The kind of a session artifact from its name, or null for raw-only and unknown artifacts. */
export function kindOfArtifactName(name: string): ArtifactKind | null {
  return specOf(name)?.kind ?? null;
}

/** Bytes kept of an artifact (for the frame collector); `otherwise` when the registry sets no cap. */
export function capOf(name: string, otherwise: number): number {
  return specOf(name)?.cap ?? otherwise;
}

/** Whether a view reads the artifact: the views' artifact filters. */
export function artifactsUsedBy(view: ArtifactView): (name: string) => boolean {
  return (name) => specOf(name)?.views.includes(view) ?? false;
}

/** The rows with one name whose `expected` is one of `when`, in table order. */
export function namesExpected(...when: readonly Expected[]): string[] {
  return SPECS.map(([, s]) => s)
    .filter((s): s is NamedArtifact => isNamed(s) && when.includes(s.expected))
    .map((s) => s.name);
}

/**
 * Artifacts a capture must account for: read, or failed or skipped with a reason. The bundle's
 * always; pprof's (`pprof`: the fetches planned, cpu and trace among them when asked for) with the
 * /metrics and expvar endpoints beside them; the binary's for a Go target; native stacks when on;
 * and the memory probes and discovery last.
 */
export function expectedArtifacts(plan: { readonly pprof?: readonly string[]; readonly goBinary?: boolean; readonly stacks?: boolean } = {}): string[] {
  const pprof = plan.pprof ?? [];
  return [
    ...namesExpected('bundle'),
    ...pprof,
    ...(pprof.length > 0 ? namesExpected('endpoint') : []),
    ...(plan.goBinary ? namesExpected('go-binary') : []),
    ...(plan.stacks ? namesExpected('stacks') : []),
    ...namesExpected('late'),
  ];
}

/** Process files the bundle script reads (`proc/FILE` from /proc/PID/FILE), in table order, with their caps. */
export function bundleProcessFiles(): readonly (readonly [file: string, cap: number])[] {
  return SPECS.map(([, s]) => s)
    .filter((s): s is NamedArtifact => isNamed(s) && s.expected === 'bundle' && s.source.from === 'remote-file' && s.source.path.startsWith('/proc/PID/'))
    .map((s) => [s.name.slice('proc/'.length), s.cap!] as const);
}

/** Host files the bundle script reads: [artifact name, path, what to say when it does not exist]. */
export function bundleSystemFiles(): readonly (readonly [name: string, path: string, absent: string])[] {
  return SPECS.map(([, s]) => s).flatMap((s) =>
    isNamed(s) && s.expected === 'bundle' && s.source.from === 'remote-file' && s.source.absent !== undefined ? [[s.name, s.source.path, s.source.absent] as const] : [],
  );
}

/** cgroup v1 and v2 files read at every level of the process's cgroup path (cgroup/TAG/DEPTH/FILE). */
export const CGROUP_FILES = [
  // v2
  'cgroup.controllers',
  'memory.max',
  'memory.high',
  'memory.current',
  'memory.stat',
  'memory.events',
  'memory.pressure',
  'memory.swap.max',
  'cpu.max',
  'cpu.weight',
  'cpu.stat',
  'cpu.pressure',
  'cpuset.cpus.effective',
  'pids.max',
  'pids.current',
  'io.pressure',
  // v1
  'memory.limit_in_bytes',
  'memory.soft_limit_in_bytes',
  'memory.usage_in_bytes',
  'memory.max_usage_in_bytes',
  'memory.memsw.limit_in_bytes',
  'memory.oom_control',
  'memory.failcnt',
  'cpu.cfs_quota_us',
  'cpu.cfs_period_us',
  'cpu.shares',
  'cpuacct.usage',
  'cpuset.effective_cpus',
  'cpuset.cpus',
] as const;

/** Names of a per-thread file (task/TID/FILE) and of a cgroup level's file (cgroup/TAG/DEPTH/FILE). */
export const threadArtifact = (tid: number, file: 'comm' | 'stat' | 'sched'): string => `task/${tid}/${file}`;
export const cgroupArtifact = (tag: string, depth: number, file: string): string => `cgroup/${tag}/${depth}/${file}`;
/** Every cgroup artifact starts with this. */
export const CGROUP_PREFIX = 'cgroup/';
/** The TID of a per-thread artifact name, or null. */
export function threadOf(name: string, file: 'comm' | 'stat' | 'sched'): number | null {
  const m = /^task\/(\d+)\/([a-z]+)$/.exec(name);
  return m && m[2] === file ? Number(m[1]) : null;
}

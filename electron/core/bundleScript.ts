/**
 * The fast half of the diagnostic bundle in one POSIX sh script (dash,
 * busybox): system, scheduler, process, threads and the cgroup path with
 * all its ancestors. Only reads; the only values put into the text are the
 * PID (an integer) and caps; paths that come from the host (cgroup names)
 * stay in shell variables and are never evaluated.
 */
import { prelude } from './remoteScripts';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Process files read for every capture, and their caps. maps and smaps are read last in the
 * script (LAST_PROCESS_FILES), so the runtime's MemStats, fetched right after the script, are read
 * as close to the mappings as the capture allows: the attribution compares the two.
 */
export const PROCESS_FILES: ReadonlyArray<readonly [string, number]> = [
  ['status', MiB],
  ['stat', MiB],
  ['statm', MiB],
  ['cmdline', MiB],
  ['environ', 4 * MiB],
  ['limits', MiB],
  ['cgroup', MiB],
  ['sched', MiB],
  ['schedstat', MiB],
  ['io', MiB],
  ['oom_score', KiB],
  ['oom_score_adj', KiB],
  ['smaps_rollup', MiB],
  ['maps', 64 * MiB],
  ['smaps', 256 * MiB],
  ['net/tcp', 16 * MiB],
  ['net/tcp6', 16 * MiB],
];

/** System files: [artifact name, path, what to say when it does not exist]. */
export const SYSTEM_FILES: ReadonlyArray<readonly [string, string, string]> = [
  ['system/os-release', '/etc/os-release', 'no /etc/os-release on this host'],
  ['system/cpu-online', '/sys/devices/system/cpu/online', 'no CPU online list'],
  ['system/meminfo', '/proc/meminfo', 'no /proc/meminfo'],
  ['system/loadavg', '/proc/loadavg', 'no /proc/loadavg'],
  // With proc/stat's starttime: the process's uptime, which cumulative profiles (alloc_space) are divided by.
  ['system/uptime', '/proc/uptime', 'no /proc/uptime'],
  ['system/pressure-cpu', '/proc/pressure/cpu', 'PSI is not available (kernel without CONFIG_PSI, or booted with psi=0)'],
  ['system/pressure-memory', '/proc/pressure/memory', 'PSI is not available (kernel without CONFIG_PSI, or booted with psi=0)'],
  ['system/pressure-io', '/proc/pressure/io', 'PSI is not available (kernel without CONFIG_PSI, or booted with psi=0)'],
  ['system/thp-enabled', '/sys/kernel/mm/transparent_hugepage/enabled', 'no transparent hugepage support in this kernel'],
  ['system/thp-defrag', '/sys/kernel/mm/transparent_hugepage/defrag', 'no transparent hugepage support in this kernel'],
  ['system/thp-max-ptes-none', '/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none', 'no khugepaged settings in this kernel'],
  ['system/overcommit-memory', '/proc/sys/vm/overcommit_memory', 'no vm.overcommit_memory'],
  ['system/overcommit-ratio', '/proc/sys/vm/overcommit_ratio', 'no vm.overcommit_ratio'],
  ['system/swappiness', '/proc/sys/vm/swappiness', 'no vm.swappiness'],
  ['system/kernel-release', '/proc/sys/kernel/osrelease', 'no kernel release'],
];

/** cgroup v1 and v2 files read at every level of the process's cgroup path. */
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

const LAST_PROCESS_FILES: readonly string[] = ['maps', 'smaps'];

export const MAX_THREADS = 4096;
const MAX_CGROUP_DEPTH = 32;

export function bundleScript(nonce: string, pid: number, opts: { sudo?: boolean } = {}): string {
  if (!Number.isSafeInteger(pid) || pid < 1) throw new Error('bad pid');
  const P = `/proc/${pid}`;
  return [
    prelude(nonce, opts),
    `GS_SUDO='${opts.sudo ? 'sudo -n' : ''}'`,
    `P=${P}`,
    `if [ ! -d "$P" ]; then printf '@@GS1 %s GONE\\n' "$N"; exit 0; fi`,
    `gs_skip() { printf '@@GS1 %s SKIP %s %s\\n' "$N" "$1" "$(printf '%s' "$2" | base64 | tr -d '\\n')"; }`,
    `gs_text() { printf '@@GS1 %s BEGIN %s\\n' "$N" "$1"; printf '%s' "$2" | base64; printf '\\n@@GS1 %s END %s rc=0\\n' "$N" "$1"; }`,
    'gs_out() {',
    '  gs_n=$1; gs_c=$2; shift 2',
    `  printf '@@GS1 %s BEGIN %s\\n' "$N" "$gs_n"`,
    '  gs_e=$( { { $GS_SUDO "$@" || echo "gs-rc=$?" >&2; } | head -c "$gs_c" | base64; } 2>&1 >&3 3>&- ); gs_end "$gs_n"',
    '}',
    // --- system ---
    `gs_out system/uname ${64 * KiB + 1} uname -a`,
    ...SYSTEM_FILES.map(([name, path, absent]) => `if [ -e '${path}' ]; then gs_file '${name}' '${path}' ${MiB + 1}; else gs_skip '${name}' '${absent}'; fi`),
    // --- scheduler: debugfs from 5.13 on, /proc before; never mounted by us ---
    "if grep -q ' /sys/kernel/debug debugfs ' /proc/mounts 2>/dev/null; then gs_dbg=1; else gs_dbg=; fi",
    `if [ -e /sys/kernel/debug/sched/debug ] || { [ -n "$gs_dbg" ] && [ -n "$GS_SUDO" ]; }; then gs_file scheduler/sched_debug /sys/kernel/debug/sched/debug ${64 * MiB + 1}`,
    `elif [ -e /proc/sched_debug ]; then gs_file scheduler/sched_debug /proc/sched_debug ${64 * MiB + 1}`,
    `elif [ -n "$gs_dbg" ]; then gs_skip scheduler/sched_debug 'debugfs is mounted but /sys/kernel/debug is readable only by root: enable sudo -n for this host to read sched/debug'`,
    `else gs_skip scheduler/sched_debug 'no /proc/sched_debug (kernel 5.13+ moved it to debugfs) and debugfs is not mounted at /sys/kernel/debug; Gopherscope never mounts it'; fi`,
    // --- process ---
    ...PROCESS_FILES.filter(([f]) => !LAST_PROCESS_FILES.includes(f)).map(([f, cap]) => `gs_file 'proc/${f}' "$P/${f}" ${cap + 1}`),
    `gs_out proc/fd ${16 * MiB + 1} ls -l "$P/fd"`,
    // --- threads ---
    'gs_nt=0',
    'for t in "$P"/task/[0-9]*; do',
    '  tid=${t##*/}; case "$tid" in *[!0-9]*|"") continue;; esac',
    `  gs_nt=$((gs_nt+1)); if [ "$gs_nt" -gt ${MAX_THREADS} ]; then gs_skip task/more 'more than ${MAX_THREADS} threads: the rest were not read'; break; fi`,
    `  gs_file "task/$tid/comm" "$t/comm" ${256 + 1}`,
    `  gs_file "task/$tid/stat" "$t/stat" ${4 * KiB + 1}`,
    `  gs_file "task/$tid/sched" "$t/sched" ${64 * KiB + 1}`,
    'done',
    // --- cgroups: the process's path and every ancestor, per hierarchy ---
    'gs_cg_files() {',
    `  for f in ${CGROUP_FILES.join(' ')}; do`,
    `    [ -e "$2/$f" ] && gs_file "$1/$f" "$2/$f" ${MiB + 1}`,
    '  done; return 0',
    '}',
    'exec 4< "$P/cgroup"',
    'while IFS= read -r line <&4; do',
    '  rest=${line#*:}; ctrls=${rest%%:*}; cpath=${rest#*:}',
    '  if [ -z "$ctrls" ]; then',
    '    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then root=/sys/fs/cgroup; else root=/sys/fs/cgroup/unified; fi; tag=v2',
    '  else',
    '    case ",$ctrls," in *,memory,*) c=memory;; *,cpu,*) c=cpu;; *,cpuset,*) c=cpuset;; *,pids,*) c=pids;; *) continue;; esac',
    '    root=/sys/fs/cgroup/$c; tag=v1-$c',
    '  fi',
    '  [ -d "$root" ] || continue',
    '  d=$root$cpath; d=${d%/}; depth=0',
    '  while :; do',
    '    gs_text "cgroup/$tag/$depth/path" "${d#$root}"',
    '    gs_cg_files "cgroup/$tag/$depth" "$d"',
    '    [ "$d" = "$root" ] && break',
    `    d=\${d%/*}; depth=$((depth+1)); [ -z "$d" ] || [ "$depth" -gt ${MAX_CGROUP_DEPTH} ] && break`,
    '    case "$d" in "$root"*) ;; *) d=$root;; esac',
    '  done',
    'done',
    'exec 4<&-',
    // --- the mappings, last ---
    ...LAST_PROCESS_FILES.map((f) => `gs_file 'proc/${f}' "$P/${f}" ${PROCESS_FILES.find(([g]) => g === f)![1] + 1}`),
    `printf '@@GS1 %s DONE\\n' "$N"`,
  ].join('\n');
}

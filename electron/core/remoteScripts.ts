/**
 * Builders for the POSIX sh we run remotely. They are the only place shell
 * text is produced, and they take only validated numbers and names from a
 * fixed vocabulary: no string from a process, host or user is ever
 * interpolated into a command. The scripts only read; they write nothing on
 * the remote host.
 */
import { randomBytes } from 'node:crypto';
import { ARTIFACTS, bundleProcessFiles, bundleSystemFiles, capOf, CGROUP_FILES } from '../../shared/artifacts/registry';
import { artifactNameProblem } from '../../shared/capture/artifactName';
import { STACK_TOOLS, type StackTool } from '../../shared/capture/plan';

/**
 * Every command a script here runs under `sudo -n` when the host is set up for it, and so every
 * command the sudo probe checks (sudo.ts): head reads files (and cuts ranges), tail seeks into
 * executables and process memory, dd reads process memory, ls lists the fd table, readlink reads
 * a network namespace, nsenter enters one, and the stack tools attach. A test collects the commands
 * the scripts really put under sudo and holds them equal to this list.
 */
export const SUDO_COMMANDS = ['head', 'tail', 'dd', 'ls', 'readlink', 'nsenter', ...STACK_TOOLS] as const;
export type SudoCommand = (typeof SUDO_COMMANDS)[number];

/** The one way a command is put under sudo: `sudo -n CMD` (never prompts, never wants a tty) when privileged, else CMD. */
function asRoot(command: SudoCommand, sudo: boolean | undefined): string {
  return sudo ? `sudo -n ${command}` : command;
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

const NAME = /^[a-z0-9_./-]{1,128}$/;
const SAFE_PATH = /^\/(proc|sys|etc)\/[A-Za-z0-9_./-]*$/;

function checkInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got ${n}`);
  return n;
}
function checkName(name: string): string {
  if (!NAME.test(name) || artifactNameProblem(name) !== null) throw new Error(`artifact name ${JSON.stringify(name)} is not allowed`);
  return name;
}
function checkPath(path: string): string {
  if (!SAFE_PATH.test(path) || path.includes('..')) throw new Error(`path ${JSON.stringify(path)} is not allowed`);
  return path;
}

/**
 * Prelude: gs_file NAME PATH CAP prints a framed, base64-encoded copy of at
 * most CAP bytes of PATH; gs_range NAME PATH OFFSET LEN does the same for a
 * byte range. The reader's stderr (a failed open included: the input
 * redirection belongs to the reader, inside the captured group) goes into an
 * ERR frame and its exit status into the END frame.
 */
export function prelude(nonce: string, opts: { sudo?: boolean } = {}): string {
  if (!/^[0-9a-f]{8,64}$/.test(nonce)) throw new Error('bad nonce');
  // A failing reader reports its status on stderr as gs-rc=N, because a pipeline's status is
  // its last command's (base64), not the reader's. With sudo, the reader runs under `sudo -n`
  // (never prompts, never wants a tty) and opens the file itself.
  const read = opts.sudo ? `${asRoot('head', true)} -c "$3" "$2"` : 'head -c "$3" < "$2"';
  // tail is cut off by head once it has enough: its SIGPIPE (status 141) is success here.
  const tailRc = '|| { gs_t=$?; [ "$gs_t" -eq 141 ] || echo "gs-rc=$gs_t" >&2; }';
  const range = opts.sudo ? `{ ${asRoot('tail', true)} -c +"$3" "$2" ${tailRc}; } | head -c "$4"` : `{ tail -c +"$3" < "$2" ${tailRc}; } | head -c "$4"`;
  // dd seeks /proc/PID/mem to the address (skip counts blocks of bs) and reads count blocks: a plain read, no ptrace stop.
  const mem = `${asRoot('dd', opts.sudo)} if="/proc/$2/mem" bs="$3" skip="$4" count="$5"`;
  return [
    'LC_ALL=C; export LC_ALL',
    `N=${nonce}`,
    'exec 3>&1',
    'gs_err() { [ -n "$2" ] && printf \'@@GS1 %s ERR %s %s\\n\' "$N" "$1" "$(printf \'%s\' "$2" | head -c 300 | base64 | tr -d \'\\n\')"; return 0; }',
    'gs_end() {',
    '  gs_rc=0; case "$gs_e" in *gs-rc=*) gs_rc=${gs_e##*gs-rc=}; gs_e=${gs_e%gs-rc=*};; esac',
    '  printf \'\\n@@GS1 %s END %s rc=%s\\n\' "$N" "$1" "$gs_rc"; gs_err "$1" "$gs_e"',
    '}',
    'gs_file() {',
    '  printf \'@@GS1 %s BEGIN %s\\n\' "$N" "$1"',
    `  gs_e=$( { { ${read} || echo "gs-rc=$?" >&2; } | base64; } 2>&1 >&3 3>&- ); gs_end "$1"`,
    '}',
    'gs_range() {',
    '  printf \'@@GS1 %s BEGIN %s\\n\' "$N" "$1"',
    `  gs_e=$( { ${range} | base64; } 2>&1 >&3 3>&- ); gs_end "$1"`,
    '}',
    'gs_mem() {',
    '  printf \'@@GS1 %s BEGIN %s\\n\' "$N" "$1"',
    `  gs_e=$( { { ${mem} || echo "gs-rc=$?" >&2; } | base64; } 2>&1 >&3 3>&- ); gs_end "$1"`,
    '}',
  ].join('\n');
}

export interface FileItem {
  readonly name: string;
  readonly path: string;
  /** Bytes to keep; the script reads one more so the reader can tell the file was longer. */
  readonly cap: number;
}

export function fileLine(item: FileItem): string {
  return `gs_file '${checkName(item.name)}' '${checkPath(item.path)}' ${checkInt(item.cap, 'cap') + 1}`;
}

export function rangeLine(name: string, path: string, offset: number, length: number): string {
  return `gs_range '${checkName(name)}' '${checkPath(path)}' ${checkInt(offset, 'offset') + 1} ${checkInt(length, 'length')}`;
}

export const done = `printf '@@GS1 %s DONE\\n' "$N"`;

/** Every process's status, cmdline and the first bytes of its executable (ELF and program headers). */
export function processListScript(nonce: string, opts: { sudo?: boolean } = {}): string {
  return [
    prelude(nonce, opts),
    `gs_file 'etc/passwd' '/etc/passwd' ${256 * 1024 + 1}`,
    'for d in /proc/[0-9]*; do',
    '  p=${d#/proc/}',
    '  case "$p" in *[!0-9]*|"") continue;; esac',
    '  [ -r "$d/status" ] || continue',
    `  gs_file "p/$p/status" "$d/status" ${16 * 1024 + 1}`,
    `  gs_file "p/$p/stat" "$d/stat" ${4096 + 1}`,
    `  gs_file "p/$p/cmdline" "$d/cmdline" ${4096 + 1}`,
    `  gs_file "p/$p/exe" "$d/exe" ${2048 + 1}`,
    `  gs_file "p/$p/cgroup" "$d/cgroup" ${16 * 1024 + 1}`,
    'done',
    done,
  ].join('\n');
}

/** environ of the given processes, only to pick out the Go runtime settings locally. */
export function environScript(nonce: string, pids: readonly number[], opts: { sudo?: boolean } = {}): string {
  return [prelude(nonce, opts), ...pids.map((pid) => fileLine({ name: `p/${checkInt(pid, 'pid')}/environ`, path: `/proc/${pid}/environ`, cap: 256 * 1024 })), done].join('\n');
}

export interface ExeRange {
  readonly name: string;
  readonly pid: number;
  readonly offset: number;
  readonly length: number;
}

/** Byte ranges of processes' executables, always through /proc/PID/exe: the file the process runs, even if the path on disk was replaced or deleted. */
export function exeRangesScript(nonce: string, reads: readonly ExeRange[], opts: { sudo?: boolean } = {}): string {
  return readScript(nonce, { exeRanges: reads }, opts);
}

/** Largest block size (a power of two, at most 4096) dividing both the address and the length, so dd reads in few, aligned blocks. */
function memBlockSize(address: number, length: number): number {
  let bs = 4096;
  while (bs > 8 && (address % bs !== 0 || length % bs !== 0)) bs /= 2;
  return bs;
}

/**
 * One framed read of LENGTH bytes of process memory at ADDRESS through
 * /proc/PID/mem, with dd (a plain read: the target is not stopped). The
 * address and length must be multiples of 8; the read fails (rc != 0) when
 * the range is not mapped or the memory is not readable by this user.
 * dd's transfer statistics arrive in the ERR frame; see memReadError.
 */
export function memReadLine(name: string, pid: number, address: number, length: number): string {
  checkInt(address, 'address');
  checkInt(length, 'length');
  if (address % 8 !== 0 || length % 8 !== 0 || length === 0) throw new Error(`memory reads are 8-byte aligned: address ${address}, length ${length}`);
  if (length > 1024 * 1024) throw new Error(`memory reads are at most 1 MiB, asked for ${length}`);
  const bs = memBlockSize(address, length);
  return `gs_mem '${checkName(name)}' ${checkInt(pid, 'pid')} ${bs} ${address / bs} ${length / bs}`;
}

export interface MemRead {
  readonly name: string;
  readonly pid: number;
  readonly address: number;
  readonly length: number;
}

/** One round trip of reads: small files (auxv, maps), executable ranges and process memory, each in its own frame. */
export function readScript(
  nonce: string,
  parts: { readonly files?: readonly FileItem[]; readonly exeRanges?: readonly ExeRange[]; readonly mem?: readonly MemRead[] },
  opts: { sudo?: boolean } = {},
): string {
  return [
    prelude(nonce, opts),
    ...(parts.files ?? []).map(fileLine),
    ...(parts.exeRanges ?? []).map((r) => rangeLine(r.name, `/proc/${checkInt(r.pid, 'pid')}/exe`, r.offset, r.length)),
    ...(parts.mem ?? []).map((r) => memReadLine(r.name, r.pid, r.address, r.length)),
    done,
  ].join('\n');
}

/** dd's stderr without its transfer statistics and its warning about seeking a file of size 0: what is left is a real error. */
export function memReadError(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/records (in|out)$|bytes? .*copied|cannot skip to specified offset/.test(l))
    .join('; ');
}

/** The capture collector: a GONE frame when the process is missing, else one frame per file. */
export function captureScript(nonce: string, pid: number, items: readonly FileItem[], opts: { sudo?: boolean } = {}): string {
  checkInt(pid, 'pid');
  return [prelude(nonce, opts), `if [ ! -d /proc/${pid} ]; then printf '@@GS1 %s GONE\\n' "$N"; exit 0; fi`, ...items.map(fileLine), done].join('\n');
}

/**
 * Which network namespace the process is in against this session's, and what could reach into
 * it: nsenter, the privilege for it, and each forwarder of FORWARDERS the host has. Prints
 * `key=value` lines; reads only /proc and runs only `command -v`, `id`, `readlink` and `sudo -n -l`.
 */
export function netnsProbeScript(pid: number, opts: { sudo?: boolean } = {}): string {
  checkInt(pid, 'pid');
  const sudo = opts.sudo === true;
  return [
    'LC_ALL=C; export LC_ALL',
    'printf "self=%s\\n" "$(readlink /proc/$$/ns/net 2>/dev/null)"',
    `t=$(readlink /proc/${pid}/ns/net 2>/dev/null)`,
    `e=$(readlink /proc/${pid}/ns/net 2>&1 >/dev/null | head -c 200)`,
    ...(sudo ? [`if [ -z "$t" ]; then t=$(${asRoot('readlink', true)} /proc/${pid}/ns/net 2>/dev/null); fi`] : []),
    'printf "target=%s\\n" "$t"',
    'if [ -z "$t" ]; then printf "target-error=%s\\n" "$e" | tr -d "\\r" | head -n 1; fi',
    'u=$(id -u 2>/dev/null); printf "uid=%s\\n" "$u"',
    'n=$(command -v nsenter 2>/dev/null); printf "nsenter=%s\\n" "$n"',
    ...(sudo
      ? [
          'if [ "$u" != 0 ] && [ -n "$n" ]; then if ! command -v sudo >/dev/null 2>&1; then echo "sudo-nsenter=nosudo"; elif sudo -n -l "$n" >/dev/null 2>&1; then echo "sudo-nsenter=ok"; else echo "sudo-nsenter=denied"; fi; fi',
        ]
      : []),
    'command -v socat >/dev/null 2>&1 && echo "fw=socat"',
    'command -v busybox >/dev/null 2>&1 && busybox --list 2>/dev/null | grep -qx nc && echo "fw=busybox-nc"',
    'command -v bash >/dev/null 2>&1 && command -v cat >/dev/null 2>&1 && echo "fw=bash"',
    'exit 0',
  ].join('\n');
}

/**
 * One TCP stream to 127.0.0.1:PORT inside the network namespace of PID, as this command's stdin and
 * stdout: `nsenter -t PID -n` (as root, or under sudo -n) running the forwarder, killed after
 * timeoutS seconds whatever happens.
 */
export function forwarderCommand(route: { readonly pid: number; readonly forwarder: string; readonly sudo: boolean }, port: number, timeoutS: number): string {
  checkInt(route.pid, 'pid');
  checkInt(timeoutS, 'timeout');
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new Error(`port must be 1-65535, got ${port}`);
  let forward: string;
  switch (route.forwarder) {
    case 'socat':
      forward = `socat - TCP:127.0.0.1:${port}`;
      break;
    case 'busybox-nc':
      forward = `busybox nc 127.0.0.1 ${port}`;
      break;
    case 'bash':
      // A background job's stdin is /dev/null unless redirected, so the session's stdin is kept on
      // fd 4 for the writer; the reader runs in front and ends the command when the peer closes.
      forward = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} 4<&0 || exit 111; cat <&4 >&3 & cat <&3; kill $! 2>/dev/null; exit 0'`;
      break;
    default:
      throw new Error(`unknown forwarder ${JSON.stringify(route.forwarder)}`);
  }
  return `exec timeout -s KILL ${timeoutS} ${asRoot('nsenter', route.sudo)} -t ${route.pid} -n ${forward}`;
}

/**
 * The first `length` bytes at each address of the process's memory (/proc/PID/mem: a plain read,
 * no ptrace stop), one framed range read each, named mem/<hex address>. The addresses come from
 * the process's own maps and are checked integers; tail seeks to them and head stops the read.
 */
export function memProbeScript(nonce: string, pid: number, addresses: readonly number[], length: number, opts: { sudo?: boolean } = {}): string {
  checkInt(pid, 'pid');
  checkInt(length, 'length');
  return [
    prelude(nonce, opts),
    `if [ ! -d /proc/${pid} ]; then printf '@@GS1 %s GONE\\n' "$N"; exit 0; fi`,
    ...addresses.map((a) => rangeLine(`mem/${checkInt(a, 'address').toString(16)}`, `/proc/${pid}/mem`, a, length)),
    done,
  ].join('\n');
}

/**
 * Native stacks (stacks.ts): picks the first tool of `tools` the host has, prints `@@TOOL name` and
 * `@@PTRACE_SCOPE n`, then runs it on PID under `timeout -s KILL`, stderr with stdout.
 */
export function stacksScript(pid: number, tools: readonly StackTool[], timeoutS: number, opts: { sudo?: boolean } = {}): string {
  if (!Number.isSafeInteger(pid) || pid < 1) throw new Error('bad pid');
  checkInt(timeoutS, 'timeout');
  const known = tools.filter((t): t is StackTool => (STACK_TOOLS as readonly string[]).includes(t));
  const command = (tool: StackTool): string => {
    const run = asRoot(tool, opts.sudo);
    switch (tool) {
      case 'pstack':
      case 'gstack':
        return `${run} ${pid}`;
      case 'eu-stack':
        return `${run} -p ${pid}`;
      case 'gdb':
        return `${run} -batch -nx -q -p ${pid} -ex 'set pagination off' -ex 'thread apply all bt'`;
    }
  };
  return [
    'tool=',
    ...known.map((t) => `[ -z "$tool" ] && command -v ${t} >/dev/null 2>&1 && tool=${t}`),
    'if [ -z "$tool" ]; then echo "@@NOTOOL"; exit 0; fi',
    'echo "@@TOOL $tool"',
    `ps_scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo -); echo "@@PTRACE_SCOPE $ps_scope"`,
    'case "$tool" in',
    ...known.map((t) => `  ${t}) exec timeout -s KILL ${timeoutS} ${command(t)} 2>&1;;`),
    'esac',
  ].join('\n');
}

/**
 * The sudo probe (sudo.ts): the user, then for each command of SUDO_COMMANDS one line
 * `cmd NAME ok PATH`, `cmd NAME missing` or `cmd NAME denied PATH WHY`. `sudo -n -l CMD` answers
 * without running CMD and without ever asking for a password.
 */
export function sudoProbeScript(): string {
  return [
    'u=$(id -un 2>/dev/null || echo "?"); printf "user=%s\\n" "$u"',
    'if ! command -v sudo >/dev/null 2>&1; then echo "nosudo"; exit 0; fi',
    ...SUDO_COMMANDS.map(
      (c) =>
        `p=$(command -v ${c} 2>/dev/null); if [ -z "$p" ]; then echo "cmd ${c} missing"; else if out=$(sudo -n -l "$p" 2>&1); then echo "cmd ${c} ok $p"; else printf 'cmd ${c} denied %s %s\\n' "$p" "$(printf '%s' "$out" | tr '\\n' ' ' | head -c 200)"; fi; fi`,
    ),
  ].join('\n');
}

export const MAX_THREADS = 4096;
const MAX_CGROUP_DEPTH = 32;
/** Read last, so the runtime's MemStats, fetched right after the script, are read as close to the mappings as the capture allows: the attribution compares the two. */
const LAST_PROCESS_FILES: readonly string[] = [ARTIFACTS.maps.name, ARTIFACTS.smaps.name].map((n) => n.slice('proc/'.length));

/**
 * The fast half of the diagnostic bundle in one POSIX sh script (dash, busybox): system,
 * scheduler, process, threads and the cgroup path with all its ancestors, the files and caps of
 * shared/artifacts/registry.ts. Only reads; the only values put into the text are the PID (an
 * integer), caps and the registry's fixed names and paths; paths that come from the host (cgroup
 * names) stay in shell variables and are never evaluated.
 */
export function bundleScript(nonce: string, pid: number, opts: { sudo?: boolean } = {}): string {
  if (!Number.isSafeInteger(pid) || pid < 1) throw new Error('bad pid');
  const P = `/proc/${pid}`;
  const processFiles = bundleProcessFiles();
  const fd = ARTIFACTS.fd;
  const thread = (file: 'comm' | 'stat' | 'sched', cap: number) => `  gs_file "task/$tid/${file}" "$t/${file}" ${cap + 1}`;
  return [
    prelude(nonce, opts),
    `gs_root='${opts.sudo ? '1' : ''}'`,
    `P=${P}`,
    `if [ ! -d "$P" ]; then printf '@@GS1 %s GONE\\n' "$N"; exit 0; fi`,
    `gs_skip() { printf '@@GS1 %s SKIP %s %s\\n' "$N" "$1" "$(printf '%s' "$2" | base64 | tr -d '\\n')"; }`,
    `gs_text() { printf '@@GS1 %s BEGIN %s\\n' "$N" "$1"; printf '%s' "$2" | base64; printf '\\n@@GS1 %s END %s rc=0\\n' "$N" "$1"; }`,
    'gs_out() {',
    '  gs_n=$1; gs_c=$2; shift 2',
    `  printf '@@GS1 %s BEGIN %s\\n' "$N" "$gs_n"`,
    '  gs_e=$( { { "$@" || echo "gs-rc=$?" >&2; } | head -c "$gs_c" | base64; } 2>&1 >&3 3>&- ); gs_end "$gs_n"',
    '}',
    // --- system ---
    `gs_out ${checkName(ARTIFACTS.uname.name)} ${ARTIFACTS.uname.cap + 1} uname -a`,
    ...bundleSystemFiles().map(
      ([name, path, absent]) => `if [ -e '${checkPath(path)}' ]; then gs_file '${checkName(name)}' '${path}' ${capOf(name, 1024 * 1024) + 1}; else gs_skip '${name}' '${absent.replace(/'/g, '')}'; fi`,
    ),
    // --- scheduler: debugfs from 5.13 on, /proc before; never mounted by us ---
    "if grep -q ' /sys/kernel/debug debugfs ' /proc/mounts 2>/dev/null; then gs_dbg=1; else gs_dbg=; fi",
    `if [ -e /sys/kernel/debug/sched/debug ] || { [ -n "$gs_dbg" ] && [ -n "$gs_root" ]; }; then gs_file ${ARTIFACTS.schedDebug.name} /sys/kernel/debug/sched/debug ${ARTIFACTS.schedDebug.cap + 1}`,
    `elif [ -e /proc/sched_debug ]; then gs_file ${ARTIFACTS.schedDebug.name} /proc/sched_debug ${ARTIFACTS.schedDebug.cap + 1}`,
    `elif [ -n "$gs_dbg" ]; then gs_skip ${ARTIFACTS.schedDebug.name} 'debugfs is mounted but /sys/kernel/debug is readable only by root: enable sudo -n for this host to read sched/debug'`,
    `else gs_skip ${ARTIFACTS.schedDebug.name} 'no /proc/sched_debug (kernel 5.13+ moved it to debugfs) and debugfs is not mounted at /sys/kernel/debug; Gopherscope never mounts it'; fi`,
    // --- process ---
    ...processFiles.filter(([f]) => !LAST_PROCESS_FILES.includes(f)).map(([f, cap]) => `gs_file '${checkName(`proc/${f}`)}' "$P/${f}" ${cap + 1}`),
    `gs_out ${checkName(fd.name)} ${fd.cap + 1} ${asRoot('ls', opts.sudo)} -l "$P/fd"`,
    // --- threads ---
    'gs_nt=0',
    'for t in "$P"/task/[0-9]*; do',
    '  tid=${t##*/}; case "$tid" in *[!0-9]*|"") continue;; esac',
    `  gs_nt=$((gs_nt+1)); if [ "$gs_nt" -gt ${MAX_THREADS} ]; then gs_skip ${ARTIFACTS.threadsMore.name} 'more than ${MAX_THREADS} threads: the rest were not read'; break; fi`,
    thread('comm', ARTIFACTS.threadComm.cap),
    thread('stat', ARTIFACTS.threadStat.cap),
    thread('sched', ARTIFACTS.threadSched.cap),
    'done',
    // --- cgroups: the process's path and every ancestor, per hierarchy ---
    'gs_cg_files() {',
    `  for f in ${CGROUP_FILES.join(' ')}; do`,
    `    [ -e "$2/$f" ] && gs_file "$1/$f" "$2/$f" ${ARTIFACTS.cgroupFile.cap + 1}`,
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
    ...LAST_PROCESS_FILES.map((f) => `gs_file '${checkName(`proc/${f}`)}' "$P/${f}" ${processFiles.find(([g]) => g === f)![1] + 1}`),
    done,
  ].join('\n');
}

/**
 * Builders for the POSIX sh we run remotely. They are the only place shell
 * text is produced, and they take only validated numbers and names from a
 * fixed vocabulary: no string from a process, host or user is ever
 * interpolated into a command. The scripts only read; they write nothing on
 * the remote host.
 */
import { randomBytes } from 'node:crypto';

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
  if (!NAME.test(name)) throw new Error(`artifact name ${JSON.stringify(name)} is not allowed`);
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
  const read = opts.sudo ? 'sudo -n head -c "$3" "$2"' : 'head -c "$3" < "$2"';
  // tail is cut off by head once it has enough: its SIGPIPE (status 141) is success here.
  const tailRc = '|| { gs_t=$?; [ "$gs_t" -eq 141 ] || echo "gs-rc=$gs_t" >&2; }';
  const range = opts.sudo ? `{ sudo -n tail -c +"$3" "$2" ${tailRc}; } | head -c "$4"` : `{ tail -c +"$3" < "$2" ${tailRc}; } | head -c "$4"`;
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
    `  gs_file "p/$p/cmdline" "$d/cmdline" ${4096 + 1}`,
    `  gs_file "p/$p/exe" "$d/exe" ${2048 + 1}`,
    `  gs_file "p/$p/cgroup" "$d/cgroup" ${16 * 1024 + 1}`,
    'done',
    done,
  ].join('\n');
}

export function exeHeaderScript(nonce: string, pids: readonly number[], opts: { sudo?: boolean } = {}): string {
  return [prelude(nonce, opts), ...pids.map((pid) => fileLine({ name: `p/${checkInt(pid, 'pid')}/exe`, path: `/proc/${pid}/exe`, cap: 2048 })), done].join('\n');
}

/** environ of the given processes, only to pick out the Go runtime settings locally. */
export function environScript(nonce: string, pids: readonly number[], opts: { sudo?: boolean } = {}): string {
  return [prelude(nonce, opts), ...pids.map((pid) => fileLine({ name: `p/${checkInt(pid, 'pid')}/environ`, path: `/proc/${pid}/environ`, cap: 256 * 1024 })), done].join('\n');
}

export function buildInfoScript(nonce: string, reads: ReadonlyArray<{ pid: number; offset: number; length: number }>, opts: { sudo?: boolean } = {}): string {
  return [prelude(nonce, opts), ...reads.map((r) => rangeLine(`p/${checkInt(r.pid, 'pid')}/buildinfo`, `/proc/${r.pid}/exe`, r.offset, r.length)), done].join('\n');
}

/** The capture collector: a GONE frame when the process is missing, else one frame per file. */
export function captureScript(nonce: string, pid: number, items: readonly FileItem[], opts: { sudo?: boolean } = {}): string {
  checkInt(pid, 'pid');
  return [
    prelude(nonce, opts),
    `if [ ! -d /proc/${pid} ]; then printf '@@GS1 %s GONE\\n' "$N"; exit 0; fi`,
    ...items.map(fileLine),
    done,
  ].join('\n');
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

/**
 * Remote process listing with Go detection: one round trip reads every
 * process's status, cmdline and executable headers; goBinary.ts then reads
 * the section headers and the build info of the ELF executables in a few
 * more, for all processes at once. Binaries are never copied whole.
 */
import type { GoMark, ProcessInfo, ProcessList } from '../../shared/contract/api';
import { parseProcStatus } from '../../shared/parsers/procStatus';
import { collect, type CollectedFile, type CollectResult } from './frameCollector';
import { environScript, newNonce, processListScript } from './remoteScripts';
import { examineExecutables } from './goBinary';
import { containerOf, goEnvOf } from '../../shared/parsers/container';
import { cgroupPathOf } from '../../shared/parsers/cgroupPath';
import { redactCmdline } from '../../shared/redact/secrets';
import { isKernelThread } from '../../shared/analysis/processList';
import type { SshConnection } from './sshConnection';

/** The listing's round trip; under load a host may need longer, and then the list says it is partial. */
export const LIST_TIMEOUT_MS = 30_000;

/**
 * Every process of the host, or as many as were read: `partial` says why the list stopped short
 * (a timeout under load, a cancel, the output cap, a dropped connection), so a process missing
 * from it is never mistaken for one that does not exist.
 */
export async function listProcesses(conn: SshConnection, opts: { signal?: AbortSignal; sudo?: boolean; timeoutMs?: number } = {}): Promise<ProcessList> {
  const nonce = newNonce();
  const sudo = { sudo: opts.sudo === true };
  const timeoutMs = opts.timeoutMs ?? LIST_TIMEOUT_MS;
  const first = await collect(conn, processListScript(nonce, sudo), {
    nonce,
    timeoutMs,
    maxTotalBytes: 64 * 1024 * 1024,
    // The same caps as the script's reads, so a cut command line is known to be cut.
    capFor: (name) => (name.endsWith('/exe') ? 2048 : name.endsWith('/cmdline') || name.endsWith('/stat') ? 4096 : name === 'etc/passwd' ? 256 * 1024 : 16 * 1024),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const users = parsePasswd(first.files.get('etc/passwd')?.bytes.toString('utf8') ?? '');
  const pids = new Set<number>();
  for (const name of first.files.keys()) {
    const m = /^p\/(\d+)\//.exec(name);
    if (m) pids.add(Number(m[1]));
  }
  const marks = await detectGo(conn, [...pids], first.files, opts.signal, sudo);
  // Go processes: their runtime settings from environ. Only the GO* keys leave this function;
  // the rest of the environment is dropped here and never stored.
  const goPids = [...marks].filter(([, m]) => m.kind === 'go').map(([pid]) => pid);
  const goEnvs = new Map<number, Record<string, string>>();
  let envShort: string | null = null;
  if (goPids.length > 0) {
    const n3 = newNonce();
    const env = await collect(conn, environScript(n3, goPids, sudo), {
      nonce: n3,
      timeoutMs,
      maxTotalBytes: 64 * 1024 * 1024,
      capFor: () => 256 * 1024,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    for (const pid of goPids) {
      const f = env.files.get(`p/${pid}/environ`);
      if (f && f.rc === 0) goEnvs.set(pid, goEnvOf(f.bytes.toString('utf8')));
    }
    const why = shortOf(env, conn, timeoutMs);
    if (why) envShort = `the Go environment (GOMAXPROCS, GOMEMLIMIT, GOGC, GODEBUG) of some Go processes was not read: ${why}`;
  }

  const list: ProcessInfo[] = [];
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const statusFile = first.files.get(`p/${pid}/status`);
    if (!statusFile || statusFile.rc !== 0) continue; // exited between listing and reading
    const status = parseProcStatus(statusFile.bytes.toString('utf8'));
    if (!status.ok) continue;
    const cmdline = shownCommandLine(first.files.get(`p/${pid}/cmdline`));
    const uid = status.value.uids[0] ?? -1;
    const cgroupFile = first.files.get(`p/${pid}/cgroup`);
    const cgroupText = cgroupFile && cgroupFile.rc === 0 ? cgroupFile.bytes.toString('utf8') : undefined;
    const statFile = first.files.get(`p/${pid}/stat`);
    const exeFile = first.files.get(`p/${pid}/exe`);
    const kernelThread = isKernelThread({
      pid,
      ppid: status.value.ppid ?? 0,
      statText: statFile && statFile.rc === 0 ? statFile.bytes.toString('utf8') : null,
      exeMissing: exeFile !== undefined && exeFile.rc !== 0 && /no such file/i.test(exeFile.stderr),
    });
    list.push({
      pid,
      ppid: status.value.ppid ?? 0,
      uid,
      user: users.get(uid) ?? String(uid),
      comm: status.value.name,
      command: cmdline.length > 0 ? cmdline : `[${status.value.name}]`,
      rssKiB: status.value.vmRssKiB,
      threads: status.value.threads,
      go: kernelThread ? { kind: 'not-go', reason: 'a kernel thread: no executable' } : (marks.get(pid) ?? { kind: 'unknown', reason: 'executable not examined' }),
      ...(kernelThread ? { kernelThread } : {}),
      ...(goEnvs.has(pid) ? { goEnv: goEnvs.get(pid)! } : {}),
      ...(cgroupText ? { cgroupPath: cgroupPathOf(cgroupText) ?? undefined, container: containerOf(cgroupText) } : {}),
    });
  }
  const listShort = shortOf(first, conn, timeoutMs);
  const partial = [
    listShort ? `Only ${list.length} process${list.length === 1 ? '' : 'es'} were read: ${listShort}. A process missing from this list may still be running; refresh to read it again.` : null,
    envShort,
  ].filter((x): x is string => x !== null);
  return { processes: list, partial: partial.length > 0 ? partial.join(' Also, ') : null };
}

/** Why a collect ended before its script did, or null when it ran to the end. */
function shortOf(r: CollectResult, conn: SshConnection, timeoutMs: number): string | null {
  if (r.cancelled) return 'cancelled';
  if (r.timedOut) return `the host did not finish within ${timeoutMs / 1000} s (a loaded or slow host)`;
  if (r.truncatedStream) return 'the listing passed its output cap';
  if (!r.complete) return conn.isOpen ? `the listing stopped early${r.stderr ? ` (${r.stderr.trim().slice(0, 200)})` : ''}` : 'the SSH connection dropped';
  return null;
}

/**
 * Go marks for the given PIDs. `headers` may already hold their p/PID/exe
 * reads (the process list has them); missing ones are read here.
 */
export async function detectGo(
  conn: SshConnection,
  pids: readonly number[],
  headers: ReadonlyMap<string, CollectedFile> = new Map(),
  signal?: AbortSignal,
  script: { sudo?: boolean } = {},
): Promise<Map<number, GoMark>> {
  const facts = await examineExecutables(conn, pids, { headers, ...(signal ? { signal } : {}), ...(script.sudo ? { sudo: true } : {}) });
  return new Map([...facts].map(([pid, f]) => [pid, f.mark]));
}

/**
 * A command line as the process list shows it: masked with the same rules as a capture's
 * cmdline (shared/redact), arguments joined by spaces. A read cut at its cap loses its last,
 * partial argument rather than show part of a secret the rules could not recognise.
 */
export function shownCommandLine(file: CollectedFile | undefined): string {
  if (!file || file.rc !== 0) return '';
  let raw = file.bytes.toString('utf8');
  if (file.truncated) raw = raw.slice(0, raw.lastIndexOf('\0') + 1);
  raw = raw.replace(/\0+$/, '');
  if (raw.length === 0) return file.truncated ? '…' : '';
  return `${redactCmdline(raw).text.split('\0').join(' ')}${file.truncated ? ' …' : ''}`;
}

function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2]!)) users.set(Number(f[2]), f[0]!);
  }
  return users;
}

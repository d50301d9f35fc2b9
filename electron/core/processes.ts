/**
 * Remote process listing with Go detection, in two round trips: the first
 * reads every process's status, cmdline and executable headers; the second
 * reads a small byte range of each ELF's first writable segment, where the Go
 * linker puts .go.buildinfo. Binaries are never copied whole.
 */
import type { GoMark, ProcessInfo } from '../../shared/contract/api';
import { parseBuildInfo } from '../../shared/parsers/buildinfo';
import { firstWritableLoad, parseElfHeader } from '../../shared/parsers/elf';
import { parseProcStatus } from '../../shared/parsers/procStatus';
import { collect, type CollectedFile } from './frameCollector';
import { buildInfoScript, environScript, exeHeaderScript, newNonce, processListScript } from './remoteScripts';
import { containerOf, goEnvOf } from '../../shared/parsers/container';
import { cgroupPathOf } from '../../shared/parsers/cgroupPath';
import { redactCmdline } from '../../shared/redact/secrets';
import type { SshConnection } from './sshConnection';

const BUILDINFO_READ = 16 * 1024;

export async function listProcesses(conn: SshConnection, opts: { signal?: AbortSignal; sudo?: boolean } = {}): Promise<ProcessInfo[]> {
  const nonce = newNonce();
  const sudo = { sudo: opts.sudo === true };
  const first = await collect(conn, processListScript(nonce, sudo), {
    nonce,
    timeoutMs: 30_000,
    maxTotalBytes: 64 * 1024 * 1024,
    // The same caps as the script's reads, so a cut command line is known to be cut.
    capFor: (name) => (name.endsWith('/exe') ? 2048 : name.endsWith('/cmdline') ? 4096 : name === 'etc/passwd' ? 256 * 1024 : 16 * 1024),
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
  if (goPids.length > 0) {
    const n3 = newNonce();
    const env = await collect(conn, environScript(n3, goPids, sudo), { nonce: n3, timeoutMs: 30_000, maxTotalBytes: 64 * 1024 * 1024, capFor: () => 256 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) });
    for (const pid of goPids) {
      const f = env.files.get(`p/${pid}/environ`);
      if (f && f.rc === 0) goEnvs.set(pid, goEnvOf(f.bytes.toString('utf8')));
    }
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
    list.push({
      pid,
      ppid: status.value.ppid ?? 0,
      uid,
      user: users.get(uid) ?? String(uid),
      comm: status.value.name,
      command: cmdline.length > 0 ? cmdline : `[${status.value.name}]`,
      rssKiB: status.value.vmRssKiB,
      threads: status.value.threads,
      go: marks.get(pid) ?? { kind: 'unknown', reason: 'executable not examined' },
      ...(goEnvs.has(pid) ? { goEnv: goEnvs.get(pid)! } : {}),
      ...(cgroupText ? { cgroupPath: cgroupPathOf(cgroupText) ?? undefined, container: containerOf(cgroupText) } : {}),
    });
  }
  return list;
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
  const opts = signal ? { signal } : {};
  const missing = pids.filter((pid) => !headers.has(`p/${pid}/exe`));
  let files = headers;
  if (missing.length > 0) {
    const nonce = newNonce();
    const r = await collect(conn, exeHeaderScript(nonce, missing, script), { nonce, timeoutMs: 30_000, maxTotalBytes: 16 * 1024 * 1024, capFor: () => 2048, ...opts });
    files = new Map([...headers, ...r.files]);
  }
  const marks = new Map<number, GoMark>();
  const reads: Array<{ pid: number; offset: number; length: number }> = [];
  for (const pid of pids) {
    const mark = markFromHeader(files.get(`p/${pid}/exe`));
    if (mark.kind === 'read') reads.push({ pid, offset: mark.offset, length: BUILDINFO_READ });
    else marks.set(pid, mark.mark);
  }
  if (reads.length === 0) return marks;
  const nonce2 = newNonce();
  const second = await collect(conn, buildInfoScript(nonce2, reads, script), {
    nonce: nonce2,
    timeoutMs: 30_000,
    maxTotalBytes: 64 * 1024 * 1024,
    capFor: () => BUILDINFO_READ,
    ...opts,
  });
  for (const r of reads) {
    const f = second.files.get(`p/${r.pid}/buildinfo`);
    if (!f || f.rc !== 0) {
      marks.set(r.pid, { kind: 'unknown', reason: `could not read the data segment: ${f?.stderr || 'no answer'}` });
      continue;
    }
    const info = parseBuildInfo(new Uint8Array(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength));
    if (info.ok) {
      const mainModule = info.value.main?.path ?? info.value.path;
      marks.set(r.pid, { kind: 'go', goVersion: info.value.goVersion, ...(mainModule ? { mainModule } : {}), reason: 'Go build info found in the executable' });
    } else {
      marks.set(r.pid, { kind: 'not-go', reason: 'no Go build info at the start of the writable segment' });
    }
  }
  return marks;
}

function markFromHeader(exe: CollectedFile | undefined): { kind: 'read'; offset: number } | { kind: 'done'; mark: GoMark } {
  if (!exe) return { kind: 'done', mark: { kind: 'unknown', reason: 'executable not read' } };
  if (exe.rc !== 0 && /no such file/i.test(exe.stderr)) return { kind: 'done', mark: { kind: 'not-go', reason: 'no executable: a kernel thread, or the process exited' } };
  if (exe.rc !== 0 || exe.bytes.length === 0) {
    const why = exe.stderr.includes('ermission') ? 'permission denied reading /proc/PID/exe (another user; use sudo later)' : exe.bytes.length === 0 ? 'no executable (kernel thread or exited)' : exe.stderr || `read failed (rc ${exe.rc})`;
    return { kind: 'done', mark: { kind: 'unknown', reason: why } };
  }
  const elf = parseElfHeader(new Uint8Array(exe.bytes.buffer, exe.bytes.byteOffset, exe.bytes.byteLength));
  if (!elf.ok) return { kind: 'done', mark: { kind: 'not-go', reason: `not an ELF executable: ${elf.error.message}` } };
  const rw = firstWritableLoad(elf.value);
  if (!rw) return { kind: 'done', mark: { kind: 'not-go', reason: 'ELF without a writable PT_LOAD segment' } };
  return { kind: 'read', offset: rw.offset };
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

/**
 * The per-host sudo probe: does passwordless `sudo -n` work for every command a capture runs under
 * sudo (SUDO_COMMANDS, which remoteScripts.ts is held to)? `sudo -n -l CMD` answers without running
 * CMD and without ever asking for a password; no tty is requested.
 */
import type { SudoProbe } from '../../shared/contract/api';
import type { SshConnection } from './sshConnection';
import { SUDO_COMMANDS, sudoProbeScript } from './remoteScripts';

/** What each command is for, so the message says what a missing rule costs. */
const WHAT_FOR: Readonly<Record<(typeof SUDO_COMMANDS)[number], string>> = {
  head: 'reading /proc files of another user',
  tail: 'reading byte ranges of the executable and process memory',
  dd: 'reading the runtime variables from process memory',
  ls: 'the fd table (finding the pprof port)',
  readlink: "the process's network namespace",
  nsenter: "reaching a container's loopback",
  'eu-stack': 'native stacks',
  pstack: 'native stacks',
  gstack: 'native stacks',
  gdb: 'native stacks',
};

export async function probeSudo(conn: SshConnection): Promise<SudoProbe> {
  const r = await conn.exec(sudoProbeScript(), { timeoutMs: 15_000, maxBytes: 64 * 1024 });
  const lines = r.stdout.toString('utf8').split('\n');
  const user = lines.find((l) => l.startsWith('user='))?.slice(5) ?? '?';
  if (lines.includes('nosudo')) {
    return { ok: false, user, checks: [], summary: `sudo is not installed on this host; privileged reads will be marked permission-denied.` };
  }
  const paths = new Map<string, string>();
  const checks = SUDO_COMMANDS.map((command) => {
    const line = lines.find((l) => l.startsWith(`cmd ${command} `)) ?? '';
    const [, , verdict, path, ...why] = line.split(' ');
    if (path) paths.set(command, path);
    if (verdict === 'ok') return { command, allowed: true, installed: true, message: `allowed: ${path ?? command}` };
    if (verdict === 'missing') return { command, allowed: false, installed: false, message: `${command} is not installed (not needed unless used for ${WHAT_FOR[command]})` };
    const text = why.join(' ').trim();
    const message = line === '' ? 'no answer from the probe' : /password is required/i.test(text) ? 'sudo wants a password (Gopherscope never types one)' : text || 'not allowed';
    return { command, allowed: false, installed: true, message: `${message}; needed for ${WHAT_FOR[command]}` };
  });
  // A command the host does not have cannot be run with or without sudo: only the installed ones count.
  const denied = checks.filter((c) => c.installed && !c.allowed).map((c) => c.command);
  const allowed = checks.filter((c) => c.allowed).map((c) => c.command);
  const absent = checks.filter((c) => !c.installed).map((c) => c.command);
  const ok = denied.length === 0 && allowed.length > 0;
  const notInstalled = absent.length > 0 ? ` Not installed: ${absent.join(', ')}.` : '';
  return {
    ok,
    user,
    checks: checks.map(({ command, allowed: a, message }) => ({ command, allowed: a, message })),
    summary: ok
      ? `Passwordless sudo works for ${allowed.join(', ')} as ${user}.${notInstalled}`
      : `Passwordless sudo does not cover ${denied.join(', ')} for ${user}: ${denied.map((c) => `${c} (${WHAT_FOR[c]})`).join(', ')} will be marked permission-denied. To allow them, add a sudoers rule such as: ${user} ALL=(root) NOPASSWD: ${denied.map((c) => paths.get(c) ?? `/usr/bin/${c}`).join(', ')}.${notInstalled}`,
  };
}

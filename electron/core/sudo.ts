/**
 * The per-host sudo probe: does passwordless `sudo -n` work for the commands
 * privileged reads use? `sudo -n -l CMD` answers without running CMD and
 * without ever asking for a password; no tty is requested.
 */
import type { SudoProbe } from '../../shared/contract/api';
import type { SshConnection } from './sshConnection';

/** What privileged reads run under sudo: head and tail read files and executable ranges, dd reads process memory (/proc/PID/mem). */
export const PRIVILEGED_COMMANDS = ['head', 'tail', 'dd'] as const;

export async function probeSudo(conn: SshConnection): Promise<SudoProbe> {
  const script = [
    'u=$(id -un 2>/dev/null || echo "?"); printf "user=%s\\n" "$u"',
    'if ! command -v sudo >/dev/null 2>&1; then echo "nosudo"; exit 0; fi',
    ...PRIVILEGED_COMMANDS.map((c) => `p=$(command -v ${c} 2>/dev/null); if [ -z "$p" ]; then echo "cmd ${c} missing"; else if out=$(sudo -n -l "$p" 2>&1); then echo "cmd ${c} ok $p"; else printf 'cmd ${c} denied %s\\n' "$(printf '%s' "$out" | tr '\\n' ' ' | head -c 200)"; fi; fi`),
  ].join('\n');
  const r = await conn.exec(script, { timeoutMs: 15_000, maxBytes: 64 * 1024 });
  const lines = r.stdout.toString('utf8').split('\n');
  const user = lines.find((l) => l.startsWith('user='))?.slice(5) ?? '?';
  if (lines.includes('nosudo')) {
    return { ok: false, user, checks: [], summary: `sudo is not installed on this host; privileged reads will be marked permission-denied.` };
  }
  const checks = PRIVILEGED_COMMANDS.map((command) => {
    const line = lines.find((l) => l.startsWith(`cmd ${command} `)) ?? '';
    if (line.startsWith(`cmd ${command} ok`)) return { command, allowed: true, message: `allowed: ${line.split(' ')[3] ?? command}` };
    if (line.startsWith(`cmd ${command} missing`)) return { command, allowed: false, message: `${command} is not installed` };
    const why = line.replace(`cmd ${command} denied `, '').trim();
    return { command, allowed: false, message: /password is required/i.test(why) ? 'sudo wants a password (Gopherscope never types one)' : why || 'not allowed' };
  });
  const ok = checks.every((c) => c.allowed);
  const denied = checks.filter((c) => !c.allowed).map((c) => c.command);
  return {
    ok,
    user,
    checks,
    summary: ok
      ? `Passwordless sudo works for ${PRIVILEGED_COMMANDS.join(', ')} as ${user}.`
      : `Passwordless sudo does not cover ${denied.join(', ')} for ${user}. Privileged reads will be marked permission-denied. To allow them, add a sudoers rule such as: ${user} ALL=(root) NOPASSWD: ${denied.map((c) => `/usr/bin/${c}`).join(', ')}`,
  };
}

/**
 * Lab test users on this machine (the lab host, never a remote one): a
 * password for password and keyboard-interactive logins, and optionally a
 * sudoers rule for exactly the commands Gopherscope runs with `sudo -n`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { onTeardown } from './teardown';

export interface LabUser {
  readonly name: string;
  readonly password: string;
  remove(): void;
}

function commandPath(cmd: string): string {
  return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
}

export function ensureUser(name: string, opts: { password: string; sudoNoPasswd?: readonly string[] }): LabUser {
  if (!/^gs-[a-z0-9-]{1,20}$/.test(name)) throw new Error('lab users are named gs-…');
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
  }
  execFileSync('chpasswd', [], { input: `${name}:${opts.password}\n` });
  const sudoers = `/etc/sudoers.d/${name}`;
  if (opts.sudoNoPasswd && opts.sudoNoPasswd.length > 0) {
    if (!existsSync('/usr/bin/sudo')) throw new Error('sudo is not installed (apt-get install sudo)');
    const rule = `${name} ALL=(root) NOPASSWD: ${opts.sudoNoPasswd.map(commandPath).join(', ')}\n`;
    writeFileSync(sudoers, rule, { mode: 0o440 });
    execFileSync('visudo', ['-c', '-f', sudoers], { stdio: 'ignore' });
  } else {
    rmSync(sudoers, { force: true });
  }
  const remove = () => rmSync(sudoers, { force: true });
  onTeardown(`sudoers ${name}`, remove);
  return { name, password: opts.password, remove };
}

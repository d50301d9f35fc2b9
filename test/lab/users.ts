/**
 * Lab test users on this machine (the lab host, never a remote one): a
 * password for password and keyboard-interactive logins, and optionally a
 * sudoers rule for exactly the commands Gopherscope runs with `sudo -n`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The lab logs in as root through an alias account (uid 0, its own empty
 * home, bash): the machine's root may have a ~/.bashrc that hangs or prints
 * (pyenv's rehash lock, left behind when the fault tests kill sshd
 * mid-login, blocks every later login for a minute). Production hosts vary
 * the same way; the lab must not depend on this machine's dotfiles.
 */
export function ensureLabRoot(): string {
  const name = 'gs-root';
  const home = '/var/lib/gopherscope-lab/root';
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-o', '-u', '0', '-g', '0', '-M', '-d', home, '-s', '/bin/bash', name]);
  }
  // useradd leaves the password "!" (locked), and sshd refuses locked accounts even for keys; "*" means no password, not locked.
  execFileSync('usermod', ['-p', '*', name]);
  return name;
}

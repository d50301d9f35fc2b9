/**
 * Which process owns a capture or a temporary blob folder, as a token that
 * survives PID reuse: the boot id, the PID and the process's start time (on
 * Linux, from /proc). Another process sharing the data folder asks
 * `isRunning` before it calls a capture interrupted or sweeps its files.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly bootId: string;
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22); '-' where unknown. */
  readonly start: string;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function startOf(pid: number): string | null {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Fields after the command name, which may hold spaces and parentheses: the 3rd field is the first.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3] ?? null;
}

let self: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  self ??= { bootId: read('/proc/sys/kernel/random/boot_id')?.trim() || '-', pid: process.pid, start: startOf(process.pid) ?? '-' };
  return self;
}

export function identityToken(id: ProcessIdentity = currentProcess()): string {
  return `${id.bootId}.${id.pid}.${id.start}`;
}

export function parseIdentityToken(token: string): ProcessIdentity | null {
  const m = /^([0-9a-f-]{1,64})\.(\d{1,10})\.(\d{1,20}|-)$/.exec(token);
  return m ? { bootId: m[1]!, pid: Number(m[2]), start: m[3]! } : null;
}

/** False only when the process is certainly gone: another boot, no such PID, or a PID reused by a later process. */
export function isRunning(id: ProcessIdentity): boolean {
  const me = currentProcess();
  if (id.bootId !== me.bootId) return false;
  if (id.pid === me.pid) return id.start === me.start;
  if (me.start !== '-') {
    const start = startOf(id.pid);
    return start !== null && start === id.start;
  }
  // No /proc (macOS, Windows): the PID alone, which a reused PID can fool into "running".
  try {
    process.kill(id.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

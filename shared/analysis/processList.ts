/**
 * The process list's order and its kernel threads. A kernel thread has no
 * user memory and no executable: capturing one reads nothing of use and
 * ptrace refuses it, so the list marks it and the capture refuses it.
 */
import { parseProcStat } from '../parsers/procStat';

/** PF_KTHREAD in /proc/PID/stat's flags (field 9), include/linux/sched.h. */
export const PF_KTHREAD = 0x00200000;
/** kthreadd, the parent of every kernel thread but itself and the idle task. */
const KTHREADD = 2;

export interface KernelThreadFacts {
  readonly pid: number;
  readonly ppid: number;
  /** /proc/PID/stat's text, or null when it was not read. */
  readonly statText: string | null;
  /** Reading /proc/PID/exe failed with ENOENT (a kernel thread has no executable), as opposed to EACCES or success. */
  readonly exeMissing: boolean;
}

/**
 * The stat flags decide when they were read. Without them, a process with no executable that is
 * kthreadd or its child is one: inside a PID namespace PID 2 can be an ordinary process, which
 * has an executable.
 */
export function isKernelThread(f: KernelThreadFacts): boolean {
  const stat = f.statText === null ? null : parseProcStat(f.statText);
  if (stat?.ok && stat.value.rest.length > 5) return (stat.value.rest[9 - 4]! & PF_KTHREAD) !== 0;
  return f.exeMissing && (f.pid === KTHREADD || f.ppid === KTHREADD);
}

interface Orderable {
  readonly pid: number;
  readonly go: { readonly kind: 'go' | 'not-go' | 'unknown' };
  readonly kernelThread?: boolean | undefined;
}

/** Go processes first, then the other user processes, then kernel threads; by PID within each. */
export function orderProcesses<T extends Orderable>(list: readonly T[]): T[] {
  const rank = (p: T) => (p.kernelThread ? 2 : p.go.kind === 'go' ? 0 : 1);
  return [...list].sort((a, b) => rank(a) - rank(b) || a.pid - b.pid);
}

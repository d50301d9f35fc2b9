/**
 * The gopherscope CLI as its own process, for tests that need a real second
 * process, a crash to be visible, or its peak memory: output, exit, and the
 * highest VmHWM read from /proc while it ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTeardown } from './teardown';

export const CLI = join(import.meta.dirname, '..', '..', 'bin', 'gopherscope.mjs');

/** What Node prints when an uncaught error or rejection kills the process (a message naming SQLITE_FULL is not one). */
export const NODE_CRASH = /triggerUncaughtException|node:internal\/|\n\s+at \S/;

export interface CliRun {
  readonly child: ChildProcess;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; peakRssKiB: number }>;
}

function hwmKiB(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    if (stderr.length < 1 << 20) stderr += d;
  });
  const unregister = onTeardown(`cli ${child.pid}`, () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, hwmKiB(child.pid!))), 50);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; peakRssKiB: number }>((resolve) => {
    // 'close' comes after the exit and after the output pipes have drained.
    child.once('close', (code, signal) => {
      clearInterval(sampler);
      unregister();
      resolve({ code, signal, stdout, stderr, peakRssKiB: peak });
    });
  });
  return { child, stderr: () => stderr, done };
}

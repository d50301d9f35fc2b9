/**
 * /proc/uptime: "12345.67 54321.09", seconds since boot and the sum of the
 * CPUs' idle seconds. With /proc/PID/stat's start time it gives how long a
 * process has been running, which cumulative profiles (alloc_space counts
 * every allocation since the process started) are divided by.
 */
import type { ProcStat } from './procStat';
import { failed, parsed, type ParseResult } from './result';

export interface ProcUptime {
  readonly uptimeSeconds: number;
  /** Idle time summed over CPUs (so it can exceed uptimeSeconds). */
  readonly idleSeconds: number;
}

export function parseProcUptime(text: string): ParseResult<ProcUptime> {
  const first = (text.length > 256 ? text.slice(0, 256) : text).split('\n', 1)[0]!.trim();
  const m = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(first);
  if (!m) return failed({ message: `expected two numbers of seconds ("12345.67 54321.09"), found ${JSON.stringify(first.slice(0, 40))}; is this /proc/uptime?`, line: 1 });
  return parsed({ uptimeSeconds: Number(m[1]), idleSeconds: Number(m[2]) });
}

/**
 * Clock ticks per second of /proc/PID/stat's starttime: USER_HZ, which the kernel fixes at 100 on
 * x86-64 and arm64 whatever CONFIG_HZ is (`getconf CLK_TCK`). Assumed, not read from the host.
 */
export const ASSUMED_CLK_TCK = 100;

/** How long the process had been running when both files were read (the same capture), or why that is not known. */
export function processUptime(uptime: ProcUptime, stat: ProcStat): { readonly seconds: number } | { readonly seconds: null; readonly reason: string } {
  const started = stat.startTimeTicks / ASSUMED_CLK_TCK;
  const seconds = uptime.uptimeSeconds - started;
  // /proc/uptime has 10 ms resolution, so a process started in the same tick can read 0.
  if (!Number.isFinite(seconds) || seconds < 0)
    return {
      seconds: null,
      reason: `the process started ${started.toFixed(2)} s after boot, later than the host's uptime ${uptime.uptimeSeconds.toFixed(2)} s: the two files do not come from the same host and moment`,
    };
  if (seconds === 0) return { seconds: null, reason: 'the process had been running for less than the clock tick' };
  return { seconds };
}

/** What the session's memory card shows, computed from the raw smaps_rollup and cgroup artifacts. */
import { parseSmapsRollup } from '../../../shared/parsers/smapsRollup';

export interface MemorySummary {
  readonly rssKiB: number | null;
  readonly pssKiB: number | null;
  readonly swapKiB: number | null;
  readonly cgroupPath: string | null;
  readonly problems: readonly string[];
}

/**
 * /proc/PID/cgroup: where the memory limit lives. A v1 memory controller line
 * wins — on hybrid hosts the unified "0::" line exists too but holds no
 * memory controller; on pure v2 hosts the "0::" line is the only one.
 */
export function cgroupPathOf(text: string): string | null {
  let unified: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[2]!.split(',').includes('memory')) return m[3]!;
    if (m[1] === '0' && m[2] === '') unified = m[3]!;
  }
  return unified;
}

export function memorySummary(smapsRollup: string | null, cgroup: string | null): MemorySummary {
  const problems: string[] = [];
  let rssKiB: number | null = null;
  let pssKiB: number | null = null;
  let swapKiB: number | null = null;
  if (smapsRollup === null) problems.push('smaps_rollup was not captured');
  else {
    const r = parseSmapsRollup(smapsRollup);
    if (r.ok) ({ rssKiB, pssKiB, swapKiB } = r.value);
    else problems.push(`smaps_rollup: line ${r.error.line ?? '?'}: ${r.error.message}`);
  }
  const cgroupPath = cgroup === null ? null : cgroupPathOf(cgroup);
  if (cgroup === null) problems.push('cgroup was not captured');
  return { rssKiB, pssKiB, swapKiB, cgroupPath, problems };
}

/** What the session's memory card shows, computed from the raw smaps_rollup and cgroup artifacts. */
import { cgroupPathOf } from '../../../shared/parsers/cgroupPath';
import { parseSmapsRollup } from '../../../shared/parsers/smapsRollup';

export { cgroupPathOf };

export interface MemorySummary {
  readonly rssKiB: number | null;
  readonly pssKiB: number | null;
  readonly swapKiB: number | null;
  readonly cgroupPath: string | null;
  readonly problems: readonly string[];
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

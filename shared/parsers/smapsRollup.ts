/**
 * /proc/PID/smaps_rollup: a header line (address range and "[rollup]") then
 * "Key:   N kB" lines. Keys differ across kernels, so all are kept.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface SmapsRollup {
  readonly rssKiB: number | null;
  readonly pssKiB: number | null;
  readonly swapKiB: number | null;
  readonly fieldsKiB: Readonly<Record<string, number>>;
}

export function parseSmapsRollup(text: string): ParseResult<SmapsRollup> {
  const fieldsKiB: Record<string, number> = {};
  const warnings: ParseWarning[] = [];
  const lines = text.split('\n');
  if (lines.length > 1000) return failed({ message: `smaps_rollup has ${lines.length} lines; expected fewer than 50`, line: 1000 });
  lines.forEach((line, i) => {
    if (line.length === 0 || (i === 0 && /\[rollup\]/.test(line))) return;
    const m = /^([A-Za-z_]+[A-Za-z0-9_]*):\s+(\d+)\s+kB$/.exec(line);
    if (m) fieldsKiB[m[1]!] = Number(m[2]);
    else warnings.push({ message: `unrecognised line ${JSON.stringify(line.slice(0, 60))}`, line: i + 1 });
  });
  if (fieldsKiB.Rss === undefined) return failed({ message: 'no Rss: line; is this /proc/PID/smaps_rollup?', line: 1 }, warnings);
  return parsed({ rssKiB: fieldsKiB.Rss ?? null, pssKiB: fieldsKiB.Pss ?? null, swapKiB: fieldsKiB.Swap ?? null, fieldsKiB }, warnings);
}

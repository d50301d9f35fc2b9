/**
 * /proc/PID/status: "Key:\tvalue" lines. Sizes in kB are normalised to KiB
 * numbers; everything else is kept as text so new kernel fields survive.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface ProcStatus {
  readonly name: string;
  readonly state: string | null;
  readonly pid: number | null;
  readonly ppid: number | null;
  /** Real, effective, saved, filesystem uids. */
  readonly uids: readonly number[];
  readonly threads: number | null;
  readonly vmRssKiB: number | null;
  readonly vmSizeKiB: number | null;
  readonly vmSwapKiB: number | null;
  readonly fields: Readonly<Record<string, string>>;
}

const MAX_LINES = 10_000;

export function parseProcStatus(text: string): ParseResult<ProcStatus> {
  const fields: Record<string, string> = {};
  const warnings: ParseWarning[] = [];
  const lines = text.split('\n');
  if (lines.length > MAX_LINES) return failed({ message: `status has ${lines.length} lines; a real one has under 100`, line: MAX_LINES });
  lines.forEach((line, i) => {
    if (line.length === 0) return;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      warnings.push({ message: 'line without "Key:"', line: i + 1 });
      return;
    }
    fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  });
  if (fields.Name === undefined) return failed({ message: 'no Name: field; is this /proc/PID/status?', line: 1 }, warnings);
  const int = (k: string): number | null => {
    const v = fields[k];
    if (v === undefined) return null;
    const n = Number.parseInt(v, 10);
    return Number.isFinite(n) ? n : null;
  };
  const kib = (k: string): number | null => {
    const v = fields[k];
    if (v === undefined) return null;
    const m = /^(\d+)\s*kB$/.exec(v);
    return m ? Number(m[1]) : null;
  };
  return parsed(
    {
      name: fields.Name,
      state: fields.State ?? null,
      pid: int('Pid'),
      ppid: int('PPid'),
      uids: (fields.Uid ?? '').split(/\s+/).filter(Boolean).map(Number),
      threads: int('Threads'),
      vmRssKiB: kib('VmRSS'),
      vmSizeKiB: kib('VmSize'),
      vmSwapKiB: kib('VmSwap'),
      fields,
    },
    warnings,
  );
}

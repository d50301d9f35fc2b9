/**
 * /proc/PID/limits: a fixed-width table whose column positions come from
 * the header line ("Limit  Soft Limit  Hard Limit  Units"). Names contain
 * spaces ("Max open files"), so columns are cut at the header offsets
 * rather than split on whitespace.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface ProcLimit {
  readonly name: string;
  /** null means "unlimited". */
  readonly soft: number | null;
  readonly hard: number | null;
  readonly units: string;
}

export interface ProcLimits {
  readonly limits: readonly ProcLimit[];
}

export function parseProcLimits(text: string): ParseResult<ProcLimits> {
  const lines = text.split('\n', 200);
  const header = lines[0] ?? '';
  const softAt = header.indexOf('Soft Limit');
  const hardAt = header.indexOf('Hard Limit');
  const unitsAt = header.indexOf('Units');
  if (!header.startsWith('Limit') || softAt < 0 || hardAt < softAt) return failed({ message: 'expected the header "Limit  Soft Limit  Hard Limit  Units"; is this /proc/PID/limits?', line: 1 });
  const warnings: ParseWarning[] = [];
  const limits: ProcLimit[] = [];
  const value = (s: string): number | null | undefined => (s === 'unlimited' ? null : /^\d+$/.test(s) ? Number(s) : undefined);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const name = line.slice(0, softAt).trim();
    const soft = value(line.slice(softAt, hardAt).trim());
    const hard = value(line.slice(hardAt, unitsAt > 0 ? unitsAt : undefined).trim());
    if (!name || soft === undefined || hard === undefined) {
      warnings.push({ message: `unrecognised limit line ${JSON.stringify(line.slice(0, 60))}`, line: i + 1 });
      continue;
    }
    limits.push({ name, soft, hard, units: unitsAt > 0 ? line.slice(unitsAt).trim() : '' });
  }
  return parsed({ limits }, warnings);
}

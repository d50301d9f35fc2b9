/**
 * Pressure stall information (/proc/pressure/*, cgroup v2 *.pressure):
 * "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and a "full" line
 * (absent for CPU before 5.13).
 */
import { failed, parsed, type ParseResult } from './result';

export interface PsiLine {
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  /** Total stall time in microseconds. */
  readonly totalUs: number;
}

export interface Psi {
  readonly some: PsiLine | null;
  readonly full: PsiLine | null;
}

const LINE = /^(some|full) avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+) total=(\d+)$/;

export function parsePsi(text: string): ParseResult<Psi> {
  let some: PsiLine | null = null;
  let full: PsiLine | null = null;
  const lines = text.split('\n', 16);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const m = LINE.exec(line);
    if (!m) return failed({ message: `expected "some|full avg10=… avg60=… avg300=… total=…", got ${JSON.stringify(line.slice(0, 60))}`, line: i + 1 });
    const v = { avg10: Number(m[2]), avg60: Number(m[3]), avg300: Number(m[4]), totalUs: Number(m[5]) };
    if (m[1] === 'some') some = v;
    else full = v;
  }
  if (!some && !full) return failed({ message: 'no "some" or "full" line', line: 1 });
  return parsed({ some, full });
}

/** "some 1.2% / 0.4% / 0.1%, full 0.0% / 0.0% / 0.0%" (avg10 / avg60 / avg300), for one line of a view. */
export function psiSummary(p: Psi): string {
  const line = (kind: string, l: PsiLine | null) => (l ? `${kind} ${[l.avg10, l.avg60, l.avg300].map((v) => `${v.toFixed(1)}%`).join(' / ')}` : null);
  return [line('some', p.some), line('full', p.full)].filter((x) => x !== null).join(', ') || 'no data';
}

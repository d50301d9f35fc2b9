/**
 * /debug/pprof/heap?debug=1: the legacy text heap profile, then a
 * "# runtime.MemStats" block of "# Name = value" lines and "# MaxRSS = N"
 * (Go 1.20+). Stack, MSpan and MCache are "inuse / sys" pairs; PauseNs and
 * PauseEnd are 256-entry rings indexed by NumGC.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface MemStats {
  /** Plain counters by their MemStats name (Alloc, HeapSys, NextGC, NumGC, …). */
  readonly values: Readonly<Record<string, number>>;
  readonly stackInuse: number | null;
  readonly stackSys: number | null;
  readonly mspanInuse: number | null;
  readonly mspanSys: number | null;
  readonly mcacheInuse: number | null;
  readonly mcacheSys: number | null;
  /** The most recent GC pauses, newest first, in nanoseconds (at most 256). */
  readonly recentPausesNs: readonly number[];
  readonly gcCpuFraction: number | null;
  /** Peak resident set of the process in bytes (getrusage), when the runtime printed it. */
  readonly maxRssBytes: number | null;
}

export interface HeapProfileText {
  /** From the header "heap profile: inuseObjects: inuseBytes [allocObjects: allocBytes] @ heap/rate". */
  readonly inuseObjects: number | null;
  readonly inuseBytes: number | null;
  readonly allocObjects: number | null;
  readonly allocBytes: number | null;
  readonly sampleRate: number | null;
  readonly records: number;
  readonly memStats: MemStats | null;
}

const HEADER = /^heap profile: (\d+): (\d+) \[(\d+): (\d+)\] @ heap\/(\d+)/;

export function parseHeapDebug1(text: string): ParseResult<HeapProfileText> {
  const warnings: ParseWarning[] = [];
  const lines = text.split('\n');
  const h = HEADER.exec(lines[0] ?? '');
  let records = 0;
  const values: Record<string, number> = {};
  const pairs: Record<string, [number, number]> = {};
  let pauseNs: number[] = [];
  let inMemStats = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '# runtime.MemStats') {
      inMemStats = true;
      continue;
    }
    if (!inMemStats) {
      if (/^\d+: \d+ \[\d+: \d+\] @/.test(line)) records++;
      continue;
    }
    const m = /^# (\w+) = (.*)$/.exec(line);
    if (!m) continue;
    const [, key, raw] = m as unknown as [string, string, string];
    const pair = /^(\d+) \/ (\d+)$/.exec(raw);
    if (pair) pairs[key] = [Number(pair[1]), Number(pair[2])];
    else if (raw.startsWith('[')) {
      if (key === 'PauseNs') pauseNs = raw.slice(1, raw.indexOf(']') > 0 ? raw.indexOf(']') : undefined).trim().split(/\s+/).map(Number);
    } else if (raw === 'true' || raw === 'false') values[key] = raw === 'true' ? 1 : 0;
    else if (Number.isFinite(Number(raw))) values[key] = Number(raw);
    else warnings.push({ message: `MemStats ${key} has an unexpected value ${JSON.stringify(raw.slice(0, 40))}`, line: i + 1 });
  }
  if (!h && !inMemStats) return failed({ message: 'neither a "heap profile:" header nor a "# runtime.MemStats" block; is this heap?debug=1?', line: 1 });
  let memStats: MemStats | null = null;
  if (inMemStats) {
    const numGC = values.NumGC ?? 0;
    const recent: number[] = [];
    if (pauseNs.length === 256) {
      for (let k = 0; k < Math.min(numGC, 256); k++) recent.push(pauseNs[(numGC - 1 - k + 256 * 2) % 256]!);
    } else if (pauseNs.length > 0) warnings.push({ message: `PauseNs has ${pauseNs.length} entries, not 256` });
    memStats = {
      values,
      stackInuse: pairs.Stack?.[0] ?? null,
      stackSys: pairs.Stack?.[1] ?? null,
      mspanInuse: pairs.MSpan?.[0] ?? null,
      mspanSys: pairs.MSpan?.[1] ?? null,
      mcacheInuse: pairs.MCache?.[0] ?? null,
      mcacheSys: pairs.MCache?.[1] ?? null,
      recentPausesNs: recent,
      gcCpuFraction: values.GCCPUFraction ?? null,
      maxRssBytes: values.MaxRSS ?? null,
    };
  } else warnings.push({ message: 'no "# runtime.MemStats" block (the response was cut, or a proxy trimmed it)' });
  return parsed(
    {
      inuseObjects: h ? Number(h[1]) : null,
      inuseBytes: h ? Number(h[2]) : null,
      allocObjects: h ? Number(h[3]) : null,
      allocBytes: h ? Number(h[4]) : null,
      sampleRate: h ? Number(h[5]) : null,
      records,
      memStats,
    },
    warnings,
  );
}

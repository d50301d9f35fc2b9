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

/** The four figures of a heap profile record or total: live (in use) and allocated since start. */
export interface HeapFigures {
  readonly inuseObjects: number;
  readonly inuseBytes: number;
  readonly allocObjects: number;
  readonly allocBytes: number;
}

export interface HeapRecordFrame {
  /** As printed: hex, since a 64-bit address need not fit a JavaScript number. */
  readonly pc: string;
  readonly func: string;
  readonly file: string;
  readonly line: number;
}

export interface HeapRecord extends HeapFigures {
  /** 1-based line of the record in the text. */
  readonly line: number;
  /** The figures as printed: the sampled allocations only (the fields above are scaled). */
  readonly sampled: HeapFigures;
  /** Return addresses as printed, innermost first. */
  readonly stack: readonly string[];
  /** The "#\t0xPC\tfunc+0xoff\tfile:line" lines after the record, when the runtime symbolized them. */
  readonly frames: readonly HeapRecordFrame[];
}

export interface HeapProfileText {
  /**
   * Totals of the records scaled as `go tool pprof` scales a legacy heap profile: the runtime
   * records an allocation of S bytes with probability 1 - exp(-S/R) (R the MemProfileRate), so
   * each record's counts are divided by that probability at its average object size. Null when
   * the text has no profile header.
   */
  readonly inuseObjects: number | null;
  readonly inuseBytes: number | null;
  readonly allocObjects: number | null;
  readonly allocBytes: number | null;
  /** The header's figures as printed: sums of the sampled records, far below the real totals. */
  readonly header: HeapFigures | null;
  /** The header's "@ heap/N" number: Go writes 2 × MemProfileRate there. */
  readonly sampleRate: number | null;
  /** The sampling rate R the records were taken at (N/2 for "heap/N", as pprof reads it); null when not sampled or unknown. */
  readonly memProfileRate: number | null;
  readonly records: number;
  readonly samples: readonly HeapRecord[];
  readonly memStats: MemStats | null;
}

/** pprof's legacy header: "heap profile: 1: 2 [3: 4] @ heap/1048576" (and heap_v2/N, heapz_v2/N, heapprofile). */
const HEADER = /^heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\] *@ *(heap[_a-z0-9]*)\/?(\d*)/;
const RECORD = /^(-?\d+): *(-?\d+) *\[ *(\d+): *(\d+) *\] @((?: +0x[0-9a-f]+)*) *$/;
const FRAME = /^#\t(0x[0-9a-f]+)\t(.*?)(?:\+0x[0-9a-f]+)?\t(.*):(\d+)$/;

/**
 * A sampled (count, bytes) pair as `go tool pprof` unsamples it (google/pprof
 * profile/legacy_profile.go): divided by the probability 1 - exp(-avg/rate) that an object of the
 * pair's average size was sampled, then truncated to integers. A rate of 1 or less means every
 * allocation was recorded (or the rate is unknown): nothing to scale.
 */
export function unsampleHeap(count: number, bytes: number, rate: number): readonly [number, number] {
  if (count === 0 || bytes === 0) return [0, 0];
  if (rate <= 1) return [count, bytes];
  const scale = 1 / (1 - Math.exp(-bytes / count / rate));
  return [Math.trunc(count * scale), Math.trunc(bytes * scale)];
}

export function parseHeapDebug1(text: string): ParseResult<HeapProfileText> {
  const warnings: ParseWarning[] = [];
  const warn = (message: string, line: number) => {
    if (warnings.length < 100) warnings.push({ message, line });
  };
  const lines = text.split('\n');
  const h = HEADER.exec(lines[0] ?? '');
  // pprof: "heap" headers carry 2 × the rate; "heap_v2"/"heapz_v2" the rate; "heapprofile" is unsampled.
  const headerNumber = h && h[6] ? Number(h[6]) : null;
  const memProfileRate = !h || headerNumber === null ? null : h[5] === 'heap' ? headerNumber / 2 : h[5] === 'heap_v2' || h[5] === 'heapz_v2' ? headerNumber : null;
  if (h && memProfileRate === null && h[5] !== 'heapprofile') warn(`unknown heap profile format "${h[5]}${h[6] ? `/${h[6]}` : ''}": the records are shown unscaled`, 1);
  const rate = memProfileRate ?? 1;
  const samples: HeapRecord[] = [];
  let current: { stack: string[]; frames: HeapRecordFrame[] } | null = null;
  const values: Record<string, number> = {};
  const pairs: Record<string, [number, number]> = {};
  let pauseNs: number[] = [];
  let inMemStats = false;
  for (let i = h ? 1 : 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '# runtime.MemStats') {
      inMemStats = true;
      continue;
    }
    if (!inMemStats) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        const f = FRAME.exec(line);
        if (!current) warn('a frame line before any record', i + 1);
        else if (f) current.frames.push({ pc: f[1]!, func: f[2]!, file: f[3]!, line: Number(f[4]) });
        else warn(`a malformed frame line ${JSON.stringify(line.slice(0, 80))}`, i + 1);
        continue;
      }
      const r = RECORD.exec(line);
      if (!r) {
        warn(`expected a record "inuse objects: inuse bytes [alloc objects: alloc bytes] @ 0x…", found ${JSON.stringify(line.slice(0, 80))}`, i + 1);
        current = null;
        continue;
      }
      const sampled = { inuseObjects: Number(r[1]), inuseBytes: Number(r[2]), allocObjects: Number(r[3]), allocBytes: Number(r[4]) };
      if ((sampled.inuseObjects === 0 && sampled.inuseBytes !== 0) || (sampled.allocObjects === 0 && sampled.allocBytes !== 0))
        warn('a record with bytes but no objects (go tool pprof refuses it): taken as zero', i + 1);
      const [inuseObjects, inuseBytes] = unsampleHeap(sampled.inuseObjects, sampled.inuseBytes, rate);
      const [allocObjects, allocBytes] = unsampleHeap(sampled.allocObjects, sampled.allocBytes, rate);
      current = { stack: r[5]!.trim().split(/ +/).filter(Boolean), frames: [] };
      samples.push({ line: i + 1, sampled, inuseObjects, inuseBytes, allocObjects, allocBytes, stack: current.stack, frames: current.frames });
      continue;
    }
    const m = /^# (\w+) = (.*)$/.exec(line);
    if (!m) continue;
    const [, key, raw] = m as unknown as [string, string, string];
    const pair = /^(\d+) \/ (\d+)$/.exec(raw);
    if (pair) pairs[key] = [Number(pair[1]), Number(pair[2])];
    else if (raw.startsWith('[')) {
      if (key === 'PauseNs')
        pauseNs = raw
          .slice(1, raw.indexOf(']') > 0 ? raw.indexOf(']') : undefined)
          .trim()
          .split(/\s+/)
          .map(Number);
    } else if (raw === 'true' || raw === 'false') values[key] = raw === 'true' ? 1 : 0;
    else if (Number.isFinite(Number(raw))) values[key] = Number(raw);
    else warn(`MemStats ${key} has an unexpected value ${JSON.stringify(raw.slice(0, 40))}`, i + 1);
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
  const sum = (k: keyof HeapFigures) => (h ? samples.reduce((t, r) => t + r[k], 0) : null);
  return parsed(
    {
      inuseObjects: sum('inuseObjects'),
      inuseBytes: sum('inuseBytes'),
      allocObjects: sum('allocObjects'),
      allocBytes: sum('allocBytes'),
      header: h ? { inuseObjects: Number(h[1]), inuseBytes: Number(h[2]), allocObjects: Number(h[3]), allocBytes: Number(h[4]) } : null,
      sampleRate: headerNumber,
      memProfileRate,
      records: samples.length,
      samples,
      memStats,
    },
    warnings,
  );
}

/**
 * /proc/PID/smaps and /proc/PID/maps. A mapping header is
 * "start-end perms offset dev inode [name]"; smaps adds "Key: N kB" lines,
 * plus VmFlags and THPeligible, whose set differs by kernel. Unknown keys
 * are kept. Names cover [heap], [stack], [vdso], [anon: …] and
 * [anon: Go: …] (Go 1.25+ names its own mappings).
 */
import { createLineSplitter } from '../util/lines';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface Mapping {
  /** Addresses as bigint: 64-bit values do not fit a double exactly. */
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly offset: bigint;
  readonly dev: string;
  readonly inode: number;
  /** Path or pseudo-name, '' for anonymous mappings without a name. */
  readonly name: string;
  /** Size in KiB from the addresses (maps) or the Size: line (smaps). */
  readonly sizeKiB: number;
  /** smaps counters in KiB (Rss, Pss, Private_Dirty, Swap, LazyFree, AnonHugePages, …); empty for maps. */
  readonly kib: Readonly<Record<string, number>>;
  readonly vmFlags: readonly string[];
  /** 1-based line of the header, so views can point back at the raw artifact. */
  readonly line: number;
}

export interface MemoryMaps {
  readonly mappings: readonly Mapping[];
  readonly hasCounters: boolean;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x][-psS]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)\s*(.*)$/;
const FIELD = /^([A-Za-z_][A-Za-z0-9_]*):\s+(\d+) kB$/;
const MAX_WARNINGS = 100;

/** Parses smaps or maps text. Memory is linear in the number of mappings; each line is visited once. */
export function parseSmaps(text: string): ParseResult<MemoryMaps> {
  const p = createSmapsParser();
  p.push(text);
  return p.finish();
}

export interface SmapsParser {
  push(chunk: string): void;
  finish(): ParseResult<MemoryMaps>;
}

/** The same parser fed in pieces (a stream from disk or the wire); any chunking gives the same result. */
export function createSmapsParser(): SmapsParser {
  const mappings: Mapping[] = [];
  const warnings: ParseWarning[] = [];
  let current: { m: Omit<Mapping, 'kib' | 'vmFlags' | 'sizeKiB'> & { sizeKiB: number }; kib: Record<string, number>; vmFlags: string[] } | undefined;
  let hasCounters = false;
  let error: ParseResult<MemoryMaps> | null = null;
  let lineNo = 0;
  const warn = (message: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push({ message, line: lineNo });
  };
  const flush = () => {
    if (!current) return;
    const sizeKiB = current.kib.Size ?? current.m.sizeKiB;
    mappings.push({ ...current.m, sizeKiB, kib: current.kib, vmFlags: current.vmFlags });
    current = undefined;
  };
  const onLine = (line: string, n: number) => {
    lineNo = n;
    if (error || line.length === 0) return;
    const h = HEADER.exec(line);
    if (h) {
      flush();
      const start = BigInt(`0x${h[1]}`);
      const end = BigInt(`0x${h[2]}`);
      if (end < start) {
        if (mappings.length === 0) error = failed({ message: `mapping ends before it starts: ${line.slice(0, 40)}`, line: lineNo }, warnings);
        else warn('mapping ends before it starts; skipped');
        return;
      }
      current = {
        m: { start, end, perms: h[3]!, offset: BigInt(`0x${h[4]}`), dev: h[5]!, inode: Number(h[6]), name: h[7]!.trim(), sizeKiB: Number((end - start) / 1024n), line: lineNo },
        kib: {},
        vmFlags: [],
      };
      return;
    }
    if (!current) {
      if (mappings.length === 0) error = failed({ message: `expected a mapping header "start-end perms offset dev inode [name]", got ${JSON.stringify(line.slice(0, 60))}`, line: lineNo }, warnings);
      else warn(`unrecognised line ${JSON.stringify(line.slice(0, 60))}`);
      return;
    }
    const f = FIELD.exec(line);
    if (f) {
      current.kib[f[1]!] = Number(f[2]);
      hasCounters = true;
      return;
    }
    if (line.startsWith('VmFlags:')) {
      current.vmFlags = line.slice(8).trim().split(/\s+/).filter(Boolean);
      return;
    }
    if (/^[A-Za-z_]+:\s+\S+$/.test(line)) {
      // THPeligible:    0, ProtectionKey:  0 — numbers without kB; keep as counters.
      const [k, v] = line.split(/:\s+/);
      const n = Number(v);
      if (Number.isFinite(n)) current.kib[k!] = n;
      return;
    }
    warn(`unrecognised line ${JSON.stringify(line.slice(0, 60))}`);
  };
  const splitter = createLineSplitter(onLine, { maxLineLength: 64 * 1024, onOverlong: (n) => warnings.length < MAX_WARNINGS && warnings.push({ message: 'line longer than 64 KiB cut', line: n }) });
  return {
    push: (chunk) => splitter.push(chunk),
    finish() {
      splitter.end();
      if (error) return error;
      flush();
      if (mappings.length === 0) return failed({ message: 'no mappings: the file is empty', line: 1 }, warnings);
      return parsed({ mappings, hasCounters }, warnings);
    },
  };
}

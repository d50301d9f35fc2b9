/**
 * `proc/mem-probes.json`: the first bytes of a few anonymous mappings, read
 * through /proc/PID/mem (a plain read, no ptrace stop) so the classifier can
 * tell a glibc malloc heap (its heap_info header: ar_ptr, prev, size,
 * mprotect_size) or a glibc mmapped chunk (prev_size 0, size | IS_MMAPPED)
 * from a Go heap arena, which address ranges cannot do once Go 1.26
 * randomizes the heap base. The capture writes it; this is its model.
 *
 * A probe that could not be read keeps the reader's error; a probe step that
 * did not run says why in `skipped`. Nothing here is ever a guess.
 */
import { ARTIFACTS } from '../artifacts/registry';
import { failed, parsed, parseJsonObject, type ParseResult, type ParseWarning } from './result';

export const MEM_PROBES_ARTIFACT = ARTIFACTS.memProbes.name;
export const MEM_PROBES_FORMAT = 'gopherscope-mem-probes';
/** Bytes read at each address: six 64-bit words, glibc's heap_info (48 bytes since glibc 2.35, 32 before). */
export const MEM_PROBE_BYTES = 48;

export interface MemProbe {
  /** The mapping's start address. */
  readonly address: number;
  /** Little-endian 64-bit words read there (NaN for a word at or above 2^53), or null when the read failed. */
  readonly words: readonly number[] | null;
  /** The reader's error when it failed ("Permission denied", "Input/output error"). */
  readonly error: string | null;
}

export interface MemProbes {
  /** How the bytes were read: "tail" or "sudo -n tail". */
  readonly reader: string;
  /** Candidate mappings in the process, and how many of them were read (at most the cap). */
  readonly candidates: number;
  readonly cap: number;
  /** Why no probe was read at all (switched off, no candidates, capture cancelled), else null. */
  readonly skipped: string | null;
  readonly probes: readonly MemProbe[];
}

/** What the capture stores: the probes with their bytes as hex. */
export interface MemProbesDocument {
  readonly format: typeof MEM_PROBES_FORMAT;
  readonly version: 1;
  readonly reader: string;
  readonly candidates: number;
  readonly cap: number;
  readonly skipped: string | null;
  readonly probes: readonly { readonly address: string; readonly hex?: string; readonly error?: string }[];
}

const MAX_TEXT = 4 * 1024 * 1024;
const MAX_PROBES = 4096;

/** Little-endian 64-bit words of hex text; a word at or above 2^53 is NaN (no address or size is that large). */
export function wordsOfHex(hex: string): number[] {
  const words: number[] = [];
  for (let at = 0; at + 16 <= hex.length; at += 16) {
    let hi = 0;
    let lo = 0;
    for (let b = 7; b >= 0; b--) {
      const byte = parseInt(hex.slice(at + 2 * b, at + 2 * b + 2), 16);
      if (b >= 4) hi = hi * 256 + byte;
      else lo = lo * 256 + byte;
    }
    words.push(hi >= 0x200000 ? NaN : hi * 0x100000000 + lo);
  }
  return words;
}

export function parseMemProbes(text: string): ParseResult<MemProbes> {
  const doc = parseJsonObject(text, 'mem-probes.json', MAX_TEXT);
  if (!doc.ok) return doc;
  const o = doc.value;
  if (o.format !== MEM_PROBES_FORMAT) return failed({ message: `format is ${JSON.stringify(o.format)}, expected "${MEM_PROBES_FORMAT}"`, line: 1 });
  if (!Array.isArray(o.probes)) return failed({ message: '"probes" is not a list', line: 1 });
  const warnings: ParseWarning[] = [];
  if (o.probes.length > MAX_PROBES) warnings.push({ message: `${o.probes.length} probes; only the first ${MAX_PROBES} are used` });
  const probes: MemProbe[] = [];
  for (const [k, p] of o.probes.slice(0, MAX_PROBES).entries()) {
    const r = (p ?? {}) as Record<string, unknown>;
    if (typeof r.address !== 'string' || !/^[0-9a-f]{1,13}$/.test(r.address)) {
      warnings.push({ message: `probe ${k} has no hex address below 2^52; left out` });
      continue;
    }
    const address = parseInt(r.address, 16);
    if (typeof r.hex === 'string' && /^([0-9a-f]{2})*$/.test(r.hex)) probes.push({ address, words: wordsOfHex(r.hex), error: null });
    else probes.push({ address, words: null, error: typeof r.error === 'string' ? r.error.slice(0, 300) : 'no bytes and no error recorded' });
  }
  const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  return parsed(
    {
      reader: typeof o.reader === 'string' ? o.reader : 'unknown',
      candidates: count(o.candidates),
      cap: count(o.cap),
      skipped: typeof o.skipped === 'string' ? o.skipped : null,
      probes,
    },
    warnings,
  );
}

/**
 * The Go runtime's own variables, read from the live process's memory
 * (/proc/PID/mem, a plain read with no ptrace stop) at addresses found
 * through the binary's symbols and DWARF: `runtime.gomaxprocs`, and the
 * memory limit and GC percent in `runtime.gcController`. The capture stores
 * what it read as the artifact `go/runtime-vars.json`; this is its model.
 *
 * A value that could not be read is null with the reason in `skipped`
 * (stripped binary, unknown layout for that Go version, /proc/PID/mem not
 * readable without root): never a guess.
 */
import { ARTIFACTS } from '../artifacts/registry';
import { failed, parsed, parseJsonObject, type ParseResult } from './result';

export const RUNTIME_VARS_ARTIFACT = ARTIFACTS.runtimeVars.name;

export interface RuntimeVarRead<T> {
  /** The value as the runtime holds it, already interpreted (see each field). */
  readonly value: T;
  /** What was read: the symbol and field, e.g. "runtime.gcController.memoryLimit". */
  readonly symbol: string;
  /** The virtual address read, hex with 0x. */
  readonly address: string;
}

export interface RuntimeVars {
  /** The Go version whose layout was used (from the binary's build info). */
  readonly goVersion: string | null;
  /** runtime.gomaxprocs (int32). */
  readonly gomaxprocs: RuntimeVarRead<number> | null;
  /** gcController.memoryLimit (atomic int64); null value = math.MaxInt64, no limit. */
  readonly memoryLimitBytes: RuntimeVarRead<number | null> | null;
  /** gcController.gcPercent (atomic int32); null value = negative, GOGC=off. */
  readonly gcPercent: RuntimeVarRead<number | null> | null;
  /** Why a value is null: per variable name ('gomaxprocs', 'memoryLimitBytes', 'gcPercent') or 'all'. */
  readonly skipped: Readonly<Record<string, string>>;
  /** How the addresses were found (symbols, DWARF, a per-version table), for the evidence. */
  readonly method: string;
}

const MAX_BYTES = 256 * 1024;

function readVar<T>(raw: unknown, check: (v: unknown) => v is T, where: string): RuntimeVarRead<T> | null | string {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object') return `${where} is not an object`;
  const r = raw as Record<string, unknown>;
  if (!check(r.value)) return `${where}.value has the wrong type`;
  if (typeof r.symbol !== 'string' || typeof r.address !== 'string' || !/^0x[0-9a-f]+$/i.test(r.address)) return `${where} needs a symbol and a 0x address`;
  return { value: r.value, symbol: r.symbol, address: r.address };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isBytesOrNone = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
const isPercentOrOff = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

/** Parses `go/runtime-vars.json`. */
export function parseRuntimeVars(text: string): ParseResult<RuntimeVars> {
  const doc = parseJsonObject(text, 'runtime-vars.json', MAX_BYTES);
  if (!doc.ok) return doc;
  const o = doc.value;
  const gomaxprocs = readVar(o.gomaxprocs, isCount, 'gomaxprocs');
  const memoryLimitBytes = readVar(o.memoryLimitBytes, isBytesOrNone, 'memoryLimitBytes');
  const gcPercent = readVar(o.gcPercent, isPercentOrOff, 'gcPercent');
  for (const v of [gomaxprocs, memoryLimitBytes, gcPercent]) if (typeof v === 'string') return failed({ message: v, line: 1 });
  const skipped: Record<string, string> = {};
  if (o.skipped && typeof o.skipped === 'object') for (const [k, v] of Object.entries(o.skipped as Record<string, unknown>)) if (typeof v === 'string') skipped[k] = v;
  return parsed({
    goVersion: typeof o.goVersion === 'string' ? o.goVersion : null,
    gomaxprocs: gomaxprocs as RuntimeVarRead<number> | null,
    memoryLimitBytes: memoryLimitBytes as RuntimeVarRead<number | null> | null,
    gcPercent: gcPercent as RuntimeVarRead<number | null> | null,
    skipped,
    method: typeof o.method === 'string' ? o.method : 'unknown',
  });
}

/** Where each variable was found (runtime addresses, load bias applied) and the bytes read there. */
export interface RuntimeVarsReading {
  readonly goVersion: string | null;
  readonly method: string;
  readonly gomaxprocs?: { readonly address: number; readonly bytes: Uint8Array | null; readonly error?: string };
  readonly gcPercent?: { readonly address: number; readonly size: number; readonly bytes: Uint8Array | null; readonly error?: string };
  readonly memoryLimit?: { readonly address: number; readonly size: number; readonly bytes: Uint8Array | null; readonly error?: string };
  /** Reasons for variables that were not located (or for 'all'). */
  readonly skipped: Readonly<Record<string, string>>;
}

const MAX_INT64 = (1n << 63n) - 1n;
/** The runtime caps GOMAXPROCS far below this; a larger number means the bytes are not what the layout said. */
const MAX_PLAUSIBLE_PROCS = 1 << 20;

function littleEndian(bytes: Uint8Array, size: number): bigint | null {
  if (bytes.length < size) return null;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  const sign = 1n << BigInt(size * 8 - 1);
  return v >= sign ? v - (sign << 1n) : v;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * The model of go/runtime-vars.json from what was read: little-endian
 * integers as the runtime stores them (gomaxprocs int32; gcPercent int32,
 * negative = off; memoryLimit int64, MaxInt64 = no limit). A value that is
 * impossible for its variable is refused with the reason, never stored.
 */
export function interpretRuntimeVars(r: RuntimeVarsReading): RuntimeVars {
  const skipped: Record<string, string> = { ...r.skipped };
  let gomaxprocs: RuntimeVarRead<number> | null = null;
  let memoryLimitBytes: RuntimeVarRead<number | null> | null = null;
  let gcPercent: RuntimeVarRead<number | null> | null = null;
  const unread = (key: string, what: string, address: number, error: string | undefined) => {
    skipped[key] = `reading ${what} at ${hex(address)} from /proc/PID/mem failed${error ? `: ${error}` : ''}`;
  };
  if (r.gomaxprocs) {
    const v = r.gomaxprocs.bytes ? littleEndian(r.gomaxprocs.bytes, 4) : null;
    if (v === null) unread('gomaxprocs', 'runtime.gomaxprocs', r.gomaxprocs.address, r.gomaxprocs.error);
    else if (v < 1n || v > BigInt(MAX_PLAUSIBLE_PROCS)) skipped.gomaxprocs = `runtime.gomaxprocs read as ${v}, which no running Go program holds: the layout does not match this binary`;
    else gomaxprocs = { value: Number(v), symbol: 'runtime.gomaxprocs', address: hex(r.gomaxprocs.address) };
  }
  if (r.gcPercent) {
    const v = r.gcPercent.bytes ? littleEndian(r.gcPercent.bytes, r.gcPercent.size) : null;
    if (v === null) unread('gcPercent', 'runtime.gcController.gcPercent', r.gcPercent.address, r.gcPercent.error);
    else gcPercent = { value: v < 0n ? null : Number(v), symbol: 'runtime.gcController.gcPercent', address: hex(r.gcPercent.address) };
  }
  if (r.memoryLimit) {
    const v = r.memoryLimit.bytes ? littleEndian(r.memoryLimit.bytes, r.memoryLimit.size) : null;
    if (v === null) unread('memoryLimitBytes', 'runtime.gcController.memoryLimit', r.memoryLimit.address, r.memoryLimit.error);
    else if (v < 0n) skipped.memoryLimitBytes = `runtime.gcController.memoryLimit read as ${v}, which the runtime never holds: the layout does not match this binary`;
    else memoryLimitBytes = { value: v === MAX_INT64 ? null : Number(v), symbol: 'runtime.gcController.memoryLimit', address: hex(r.memoryLimit.address) };
  }
  return { goVersion: r.goVersion, gomaxprocs, memoryLimitBytes, gcPercent, skipped, method: r.method };
}

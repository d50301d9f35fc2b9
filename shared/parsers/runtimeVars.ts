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
import { failed, parsed, parseJsonObject, type ParseResult } from './result';

export const RUNTIME_VARS_ARTIFACT = 'go/runtime-vars.json';

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

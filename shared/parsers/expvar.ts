/**
 * expvar's `/debug/vars`: one JSON object whose standard members are
 * `cmdline` (os.Args) and `memstats` (runtime.MemStats); programs add their
 * own. Stored as `go/expvar.json` with only those two kept (the capture
 * redacts the command line and drops the values of the program's own
 * members, keeping their names). MemStats has no GOMAXPROCS, memory limit or
 * GC percent, so expvar is read for memory, not for the runtime settings.
 */
import { ARTIFACTS } from '../artifacts/registry';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export const EXPVAR_ARTIFACT = ARTIFACTS.expvar.name;

export interface Expvar {
  readonly cmdline: readonly string[] | null;
  /** MemStats' numeric members (HeapSys, StackSys, NextGC, …); the arrays (PauseNs, BySize) are left out. */
  readonly memstats: Readonly<Record<string, number>> | null;
  /** Names of the members other than cmdline and memstats. */
  readonly others: readonly string[];
}

const MAX_CHARS = 16 * 1024 * 1024;

/** "…at position 42" / "…(line 3 column 7)" in a JSON.parse message → where. */
function jsonErrorAt(text: string, message: string): { line: number; offset?: number } {
  const pos = /position (\d+)/.exec(message);
  if (pos) {
    const offset = Number(pos[1]);
    let line = 1;
    for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    return { line, offset };
  }
  const lc = /line (\d+) column (\d+)/.exec(message);
  return { line: lc ? Number(lc[1]) : 1 };
}

export function parseExpvar(text: string): ParseResult<Expvar> {
  if (text.length > MAX_CHARS) return failed({ message: `expvar JSON of ${text.length} characters is more than the ${MAX_CHARS} read`, offset: MAX_CHARS });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    return failed({ message: `not JSON: ${message}`, ...jsonErrorAt(text, message) });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed({ message: 'expected a JSON object of expvar members', line: 1 });
  const o = raw as Record<string, unknown>;
  const warnings: ParseWarning[] = [];
  let cmdline: string[] | null = null;
  if (o.cmdline !== undefined) {
    if (Array.isArray(o.cmdline) && o.cmdline.every((a) => typeof a === 'string')) cmdline = o.cmdline as string[];
    else warnings.push({ message: 'cmdline is not an array of strings; left out' });
  }
  let memstats: Record<string, number> | null = null;
  if (o.memstats !== undefined) {
    if (o.memstats && typeof o.memstats === 'object' && !Array.isArray(o.memstats)) {
      memstats = {};
      for (const [k, v] of Object.entries(o.memstats as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) memstats[k] = v;
    } else warnings.push({ message: 'memstats is not an object; left out' });
  }
  return parsed({ cmdline, memstats, others: Object.keys(o).filter((k) => k !== 'cmdline' && k !== 'memstats') }, warnings);
}

/**
 * The Prometheus text exposition format (version 0.0.4), as client_golang's
 * promhttp writes it: `# HELP` and `# TYPE` lines, then samples
 * `name{label="value",…} value [timestamp]`. A target's /metrics is stored as
 * `go/metrics.txt`; the settings resolver reads `go_sched_gomaxprocs_threads`,
 * `go_gc_gomemlimit_bytes` and `go_gc_gogc_percent` from it, and the memory
 * analysis its `go_memstats_*` series.
 *
 * A malformed line is a warning with its line and column, and is skipped, so
 * one bad series from a third-party collector does not hide the runtime's own;
 * a body that is not this format at all (HTML, JSON, binary) is an error at
 * its first line. Duplicate series are kept, with a warning, so a reader can
 * refuse an ambiguous value instead of picking one. Input, samples and
 * warnings are bounded.
 */
import { ARTIFACTS } from '../artifacts/registry';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export const METRICS_ARTIFACT = ARTIFACTS.metrics.name;

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs: number | null;
  /** 1-based line of the sample in the input. */
  readonly line: number;
}

export interface PromFamily {
  readonly name: string;
  readonly type: PromType;
  readonly help: string | null;
  readonly samples: readonly PromSample[];
}

export interface PromText {
  readonly families: readonly PromFamily[];
  readonly sampleCount: number;
  /** Samples past MAX_SAMPLES were not read. */
  readonly truncated: boolean;
}

const MAX_CHARS = 64 * 1024 * 1024;
const MAX_SAMPLES = 250_000;
const MAX_WARNINGS = 100;
const MAX_LABELS = 64;
const TYPES = new Set<PromType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);

/** A number as Go's strconv.ParseFloat reads it in this format (NaN and ±Inf included); null when it is not one. */
export function parsePromNumber(text: string): number | null {
  const t = text.trim();
  if (/^-?\d{1,15}$/.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

class LineError {
  constructor(
    readonly column: number,
    readonly message: string,
  ) {}
}

interface Parsed {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly timestampMs: number | null;
}

function lineError(i: number, message: string): never {
  throw new LineError(i + 1, message);
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

/** One sample line; throws LineError (caught by the caller, never escaping the parser) with the 1-based column. No closures: this runs once per line. */
function parseSampleLine(s: string): Parsed {
  const n = s.length;
  let i = 0;
  if (!isNameStart(s.charCodeAt(i))) lineError(i, `a metric name must start with a letter, "_" or ":", not ${JSON.stringify(s[i] ?? '')}`);
  while (i < n && isNameChar(s.charCodeAt(i))) i++;
  const name = s.slice(0, i);
  const labels: Record<string, string> = {};
  const afterName = i;
  i = skipSpace(s, i);
  if (s[i] !== '{') i = afterName;
  else {
    i++;
    let count = 0;
    for (;;) {
      i = skipSpace(s, i);
      if (s[i] === '}') {
        i++;
        break;
      }
      const ls = i;
      if (!isNameStart(s.charCodeAt(i)) || s[i] === ':') lineError(i, `expected a label name or "}", got ${JSON.stringify(s[i] ?? 'end of line')}`);
      while (i < n && isNameChar(s.charCodeAt(i)) && s[i] !== ':') i++;
      const label = s.slice(ls, i);
      i = skipSpace(s, i);
      if (s[i] !== '=') lineError(i, `expected "=" after label ${label}`);
      i = skipSpace(s, i + 1);
      if (s[i] !== '"') lineError(i, `expected a quoted value for label ${label}`);
      i++;
      let value = '';
      let from = i;
      for (;;) {
        if (i >= n) lineError(i, `the value of label ${label} is not closed with a quote`);
        const c = s.charCodeAt(i);
        if (c === 34) {
          value += s.slice(from, i);
          i++;
          break;
        }
        if (c === 92) {
          const e = s[i + 1];
          if (e !== '\\' && e !== '"' && e !== 'n') lineError(i, `unknown escape "\\${e ?? ''}" in the value of label ${label}`);
          value += s.slice(from, i) + (e === 'n' ? '\n' : e);
          i += 2;
          from = i;
          continue;
        }
        i++;
      }
      if (Object.prototype.hasOwnProperty.call(labels, label)) lineError(ls, `label ${label} appears twice`);
      if (++count > MAX_LABELS) lineError(ls, `more than ${MAX_LABELS} labels`);
      labels[label] = value;
      i = skipSpace(s, i);
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '}') {
        i++;
        break;
      }
      lineError(i, `expected "," or "}" after the value of label ${label}`);
    }
  }
  if (i < n && s[i] !== ' ' && s[i] !== '\t') lineError(i, `unexpected ${JSON.stringify(s[i])} after the metric name`);
  i = skipSpace(s, i);
  const vs = i;
  while (i < n && s[i] !== ' ' && s[i] !== '\t') i++;
  if (vs === i) lineError(i, `${name} has no value`);
  const value = parsePromNumber(s.slice(vs, i));
  if (value === null) lineError(vs, `${JSON.stringify(s.slice(vs, vs + 30))} is not a number`);
  i = skipSpace(s, i);
  let timestampMs: number | null = null;
  if (i < n) {
    const ts = i;
    while (i < n && s[i] !== ' ' && s[i] !== '\t') i++;
    const t = s.slice(ts, i);
    if (!/^-?\d+$/.test(t)) lineError(ts, `the timestamp ${JSON.stringify(t.slice(0, 30))} is not an integer of milliseconds`);
    timestampMs = Number(t);
    if (skipSpace(s, i) < n) lineError(i, 'unexpected text after the timestamp');
  }
  return { name, labels, value: value!, timestampMs };
}

/** HELP text escapes: \\ and \n. */
function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

export function parsePrometheusText(text: string): ParseResult<PromText> {
  const warnings: ParseWarning[] = [];
  let dropped = 0;
  const warn = (w: ParseWarning) => {
    if (warnings.length < MAX_WARNINGS) warnings.push(w);
    else dropped++;
  };
  const head = text.trimStart().slice(0, 1);
  if (head === '<' || head === '{' || head === '[')
    return failed({ message: `not the Prometheus text format: the body starts with ${JSON.stringify(text.trimStart().slice(0, 20))} (HTML or JSON)`, line: 1 });
  let body = text;
  if (body.length > MAX_CHARS) {
    body = body.slice(0, body.lastIndexOf('\n', MAX_CHARS) + 1);
    warn({ message: `only the first ${MAX_CHARS} characters were read`, line: 1 });
  }

  interface Building {
    name: string;
    type: PromType;
    help: string | null;
    samples: PromSample[];
    typeLine: number | null;
  }
  const families = new Map<string, Building>();
  const order: Building[] = [];
  const family = (name: string): Building => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: null, samples: [], typeLine: null };
      families.set(name, f);
      order.push(f);
    }
    return f;
  };
  /** The family a sample belongs to: its own name, or a histogram/summary it is a suffix series of. */
  const familyOf = (name: string): Building => {
    const own = families.get(name);
    if (own && own.typeLine !== null) return own;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (!name.endsWith(suffix)) continue;
      const base = families.get(name.slice(0, -suffix.length));
      if (base && SUFFIXES[base.type]?.includes(suffix)) return base;
    }
    return own ?? family(name);
  };
  const seen = new Set<string>();
  let sampleCount = 0;
  let truncated = false;
  let firstProblem: ParseWarning | null = null;
  let lineNo = 0;
  let at = 0;
  while (at < body.length) {
    const nl = body.indexOf('\n', at);
    if (nl < 0) {
      // The format ends every line with a line feed: a last line without one was cut mid-way (a capped or stalled download), and its value may be a prefix of the real one.
      if (body.slice(at).trim() !== '') warn({ message: `the last line has no line feed: the body was cut there, so it is not read (${JSON.stringify(body.slice(at, at + 60))})`, line: lineNo + 1 });
      break;
    }
    const end = nl;
    let line = body.slice(at, end);
    at = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(trimmed);
      if (!m) continue; // an ordinary comment
      const [, kind, name, rest] = m;
      if (!isNameStart(name!.charCodeAt(0)) || ![...name!].every((c) => isNameChar(c.charCodeAt(0)))) {
        const w = { message: `column ${trimmed.indexOf(name!) + 1}: ${JSON.stringify(name!.slice(0, 40))} is not a metric name`, line: lineNo };
        firstProblem ??= w;
        warn(w);
        continue;
      }
      const f = family(name!);
      if (kind === 'HELP') {
        if (f.help !== null) warn({ message: `a second HELP line for ${name}; the first is kept`, line: lineNo });
        else f.help = unescapeHelp(rest ?? '');
      } else {
        const t = (rest ?? '').trim() as PromType;
        if (!TYPES.has(t)) {
          const w = { message: `column ${trimmed.lastIndexOf(rest ?? '') + 1}: unknown metric type ${JSON.stringify((rest ?? '').slice(0, 20))} for ${name}`, line: lineNo };
          firstProblem ??= w;
          warn(w);
        } else if (f.typeLine !== null) warn({ message: `a second TYPE line for ${name} (the first is on line ${f.typeLine}); the first is kept`, line: lineNo });
        else if (f.samples.length > 0) warn({ message: `the TYPE line for ${name} comes after its samples`, line: lineNo });
        else {
          f.type = t;
          f.typeLine = lineNo;
        }
      }
      continue;
    }
    if (sampleCount >= MAX_SAMPLES) {
      truncated = true;
      break;
    }
    let p: Parsed;
    const indent = line.length - line.trimStart().length;
    try {
      p = parseSampleLine(indent ? line.slice(indent) : line);
    } catch (err) {
      const w = err instanceof LineError ? { message: `column ${err.column + indent}: ${err.message}`, line: lineNo } : { message: `unreadable line: ${String(err)}`, line: lineNo };
      firstProblem ??= w;
      warn(w);
      continue;
    }
    const labelNames = Object.keys(p.labels);
    const key =
      labelNames.length === 0
        ? `${p.name}{}`
        : `${p.name}{${labelNames
            .sort()
            .map((k) => `${k}=${JSON.stringify(p.labels[k])}`)
            .join(',')}}`;
    if (seen.has(key)) warn({ message: `series ${key.length > 120 ? `${key.slice(0, 120)}…` : key} appears again; both values are kept`, line: lineNo });
    else seen.add(key);
    familyOf(p.name).samples.push({ ...p, line: lineNo });
    sampleCount++;
  }
  if (dropped > 0) warnings.push({ message: `${dropped} more warnings not listed` });
  if (sampleCount === 0 && firstProblem) return failed(firstProblem, warnings);
  if (truncated) warnings.push({ message: `only the first ${MAX_SAMPLES} samples were read`, line: lineNo });
  return parsed({ families: order.map((f) => ({ name: f.name, type: f.type, help: f.help, samples: f.samples })), sampleCount, truncated }, warnings);
}

/** Every sample named `name` (a family's own series, or a histogram's _sum and the like). */
export function promSamples(model: PromText, name: string): PromSample[] {
  const out: PromSample[] = [];
  for (const f of model.families) {
    if (f.name !== name && !name.startsWith(f.name)) continue;
    for (const s of f.samples) if (s.name === name) out.push(s);
  }
  return out;
}

/**
 * pprof profiles (the gzipped protobuf every /debug/pprof endpoint serves
 * with debug=0): decoded with pprof-format, gunzipped with fflate under a
 * size cap so a gzip bomb stops with an error instead of filling memory.
 * The model keeps one frame table and samples as frame-index stacks (root
 * first), which is what both a flame graph and a top-N table need.
 */
import { Gunzip } from 'fflate';
import { Profile } from 'pprof-format';
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface PprofFrame {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

export interface PprofSample {
  /** Indexes into frames, root first; inlined calls expanded. */
  readonly stack: readonly number[];
  readonly values: readonly number[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface PprofProfile {
  readonly sampleTypes: readonly { readonly type: string; readonly unit: string }[];
  /** Index into sampleTypes that pprof shows by default. */
  readonly defaultIndex: number;
  readonly periodType: { readonly type: string; readonly unit: string } | null;
  readonly period: number;
  /**
   * When the profile was taken (Unix nanoseconds) and what it spans, as decimal strings: these
   * int64s (about 1.8e18 today) do not fit a JavaScript number exactly. "0" when not recorded.
   */
  readonly timeNanos: string;
  readonly durationNanos: string;
  readonly frames: readonly PprofFrame[];
  readonly samples: readonly PprofSample[];
}

const DEFAULT_MAX_INFLATED = 512 * 1024 * 1024;

/**
 * An int64 field as pprof-format decodes it: a number when its varint is short, else an unsigned
 * bigint, so a negative value (ten-byte two's complement, as in a diff profile) reads as ~1.8e19.
 */
function int64(v: number | bigint | undefined): bigint {
  if (v === undefined) return 0n;
  return typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(v);
}

export function gunzipCapped(bytes: Uint8Array, maxBytes: number): { ok: true; bytes: Uint8Array } | { ok: false; message: string } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let error: string | null = null;
  const g = new Gunzip((chunk) => {
    if (error) return;
    total += chunk.length;
    if (total > maxBytes) error = `inflates past ${maxBytes} bytes; refusing (a gzip bomb, or raise the cap)`;
    else chunks.push(chunk);
  });
  try {
    // Feed in slices so the cap is checked while inflating, not after.
    const step = 64 * 1024;
    for (let i = 0; i < bytes.length && !error; i += step) g.push(bytes.subarray(i, Math.min(bytes.length, i + step)), i + step >= bytes.length);
  } catch (e) {
    return { ok: false, message: `gzip: ${(e as Error).message}` };
  }
  if (error) return { ok: false, message: error };
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { ok: true, bytes: out };
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function parsePprof(input: Uint8Array, opts: { maxInflatedBytes?: number } = {}): ParseResult<PprofProfile> {
  let bytes = input;
  if (isGzip(bytes)) {
    const g = gunzipCapped(bytes, opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED);
    if (!g.ok) return failed({ message: g.message, offset: 0 });
    bytes = g.bytes;
  }
  if (bytes.length === 0) return failed({ message: 'empty profile', offset: 0 });
  let p: Profile;
  try {
    p = Profile.decode(bytes);
  } catch (e) {
    return failed({ message: `not a pprof protobuf: ${(e as Error).message}`, offset: 0 });
  }
  const warnings: ParseWarning[] = [];
  const strings = p.stringTable.strings;
  const str = (i: number | bigint): string => strings[Number(i)] ?? '';
  if (strings.length === 0 || strings[0] !== '') return failed({ message: 'the string table must start with the empty string; this is not a pprof profile', offset: 0 });
  const sampleTypes = p.sampleType.map((t) => ({ type: str(t.type), unit: str(t.unit) }));
  if (sampleTypes.length === 0) return failed({ message: 'no sample types; this is not a pprof profile', offset: 0 });

  const functions = new Map<number, { name: string; file: string }>();
  for (const f of p.function) functions.set(Number(f.id), { name: str(f.name) || str(f.systemName) || '?', file: str(f.filename) });
  const frames: PprofFrame[] = [];
  const frameIndex = new Map<string, number>();
  const frameOf = (name: string, file: string, line: number): number => {
    const key = `${name}\u0000${file}\u0000${line}`;
    let i = frameIndex.get(key);
    if (i === undefined) {
      i = frames.length;
      frames.push({ name, file, line });
      frameIndex.set(key, i);
    }
    return i;
  };
  // Location → frames leaf first (line[0] is the innermost inlined call).
  const locations = new Map<number, number[]>();
  for (const loc of p.location) {
    const ids: number[] = [];
    if (loc.line.length === 0) ids.push(frameOf(`0x${BigInt(loc.address).toString(16)}`, '', 0));
    for (const l of loc.line) {
      const fn = functions.get(Number(l.functionId));
      ids.push(frameOf(fn?.name ?? '?', fn?.file ?? '', Number(l.line)));
    }
    locations.set(Number(loc.id), ids);
  }
  const samples: PprofSample[] = [];
  let missing = 0;
  for (const s of p.sample) {
    const leafFirst: number[] = [];
    for (const id of s.locationId) {
      const f = locations.get(Number(id));
      if (f) leafFirst.push(...f);
      else missing++;
    }
    const labels: Record<string, string> = {};
    for (const l of s.label) labels[str(l.key)] = l.str ? str(l.str) : String(l.num);
    const values = s.value.map((v) => Number(int64(v)));
    if (values.length !== sampleTypes.length) warnings.push({ message: `a sample has ${values.length} values for ${sampleTypes.length} sample types` });
    samples.push({ stack: leafFirst.reverse(), values, labels });
  }
  if (missing > 0) warnings.push({ message: `${missing} sample locations refer to no location` });
  const defaultType = str(p.defaultSampleType);
  const defaultIndex = defaultType
    ? Math.max(
        0,
        sampleTypes.findIndex((t) => t.type === defaultType),
      )
    : sampleTypes.length - 1;
  return parsed(
    {
      sampleTypes,
      defaultIndex,
      periodType: p.periodType ? { type: str(p.periodType.type), unit: str(p.periodType.unit) } : null,
      period: Number(int64(p.period)),
      timeNanos: int64(p.timeNanos).toString(),
      durationNanos: int64(p.durationNanos).toString(),
      frames,
      samples,
    },
    warnings.slice(0, 100),
  );
}

export interface TopEntry {
  readonly frame: PprofFrame;
  readonly flat: number;
  readonly cum: number;
}

/** pprof's `top`: flat is the value where the function is the leaf, cum where it is anywhere on the stack (once per sample). */
export function pprofTop(p: PprofProfile, valueIndex: number, n = 50): TopEntry[] {
  const flat = new Map<string, number>();
  const cum = new Map<string, number>();
  const frameByName = new Map<string, PprofFrame>();
  for (const s of p.samples) {
    const v = s.values[valueIndex] ?? 0;
    if (v === 0 || s.stack.length === 0) continue;
    const leaf = p.frames[s.stack[s.stack.length - 1]!]!;
    flat.set(leaf.name, (flat.get(leaf.name) ?? 0) + v);
    const seen = new Set<string>();
    for (const i of s.stack) {
      const f = p.frames[i]!;
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      frameByName.set(f.name, frameByName.get(f.name) ?? f);
      cum.set(f.name, (cum.get(f.name) ?? 0) + v);
    }
  }
  return [...cum.keys()]
    .map((name) => ({ frame: frameByName.get(name)!, flat: flat.get(name) ?? 0, cum: cum.get(name)! }))
    .sort((a, b) => b.flat - a.flat || b.cum - a.cum || a.frame.name.localeCompare(b.frame.name))
    .slice(0, n);
}

export interface FlameNode {
  readonly name: string;
  /** Total including children. */
  value: number;
  self: number;
  readonly children: FlameNode[];
}

/** Merges stacks by function name into a call tree rooted at "all", for a flame graph. */
export function pprofFlame(p: PprofProfile, valueIndex: number): FlameNode {
  const root: FlameNode = { name: 'all', value: 0, self: 0, children: [] };
  const index = new Map<FlameNode, Map<string, FlameNode>>();
  for (const s of p.samples) {
    const v = s.values[valueIndex] ?? 0;
    if (v === 0) continue;
    let node = root;
    node.value += v;
    for (const i of s.stack) {
      const name = p.frames[i]!.name;
      let kids = index.get(node);
      if (!kids) index.set(node, (kids = new Map()));
      let child = kids.get(name);
      if (!child) {
        child = { name, value: 0, self: 0, children: [] };
        kids.set(name, child);
        node.children.push(child);
      }
      child.value += v;
      node = child;
    }
    node.self += v;
  }
  const sort = (n: FlameNode) => {
    n.children.sort((a, b) => b.value - a.value);
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}

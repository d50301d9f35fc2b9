/**
 * A stable, readable text rendering of any model, for golden tests and for
 * `gopherscope inspect`: keys in declaration order, bigint addresses in hex,
 * long arrays cut to their first items with a count of the rest, so a
 * golden diff shows what changed in words rather than in JSON noise.
 */
export interface DumpOptions {
  /** Items shown per array before "… N more". */
  readonly maxItems?: number;
  readonly maxDepth?: number;
  readonly maxString?: number;
  /** Print integer start/end/offset fields in hex (memory maps). */
  readonly hexAddresses?: boolean;
}

const ADDRESS_KEYS = new Set(['start', 'end', 'offset']);

export function dumpModel(value: unknown, opts: DumpOptions = {}): string {
  const addresses = opts.hexAddresses ?? false;
  const maxItems = opts.maxItems ?? 8;
  const maxDepth = opts.maxDepth ?? 8;
  const maxString = opts.maxString ?? 160;
  const out: string[] = [];
  const scalar = (v: unknown): string | null => {
    if (v === null) return 'null';
    if (v === undefined) return 'undefined';
    if (typeof v === 'bigint') return `0x${v.toString(16)}`;
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'string') return JSON.stringify(v.length > maxString ? `${v.slice(0, maxString)}…` : v);
    if (v instanceof Uint8Array) return `<${v.length} bytes>`;
    return null;
  };
  const walk = (v: unknown, indent: string, depth: number): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) return void out.push(`${indent}[]`);
      v.slice(0, maxItems).forEach((item, i) => {
        const s = scalar(item);
        if (s !== null) out.push(`${indent}- ${s}`);
        else if (depth >= maxDepth) out.push(`${indent}- …`);
        else {
          out.push(`${indent}- [${i}]`);
          walk(item, `${indent}  `, depth + 1);
        }
      });
      if (v.length > maxItems) out.push(`${indent}… ${v.length - maxItems} more`);
      return;
    }
    const entries = v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x] as const) : Object.entries(v as object);
    if (entries.length === 0) return void out.push(`${indent}{}`);
    for (const [k, x] of entries.slice(0, maxItems * 8)) {
      // Mapping addresses are numbers (exact when page-aligned); they read best in hex.
      const s = ADDRESS_KEYS.has(k) && typeof x === 'number' && Number.isInteger(x) && x >= 0 && addresses ? `0x${x.toString(16)}` : scalar(x);
      if (s !== null) out.push(`${indent}${k}: ${s}`);
      else if (depth >= maxDepth) out.push(`${indent}${k}: …`);
      else if (Array.isArray(x) && x.length > 0 && x.every((e) => scalar(e) !== null) && x.length <= 32) out.push(`${indent}${k}: [${x.map((e) => scalar(e)).join(', ')}]`);
      else {
        out.push(`${indent}${k}:${Array.isArray(x) ? ` (${x.length})` : ''}`);
        walk(x, `${indent}  `, depth + 1);
      }
    }
    if (entries.length > maxItems * 8) out.push(`${indent}… ${entries.length - maxItems * 8} more keys`);
  };
  const s = scalar(value);
  if (s !== null) return s;
  walk(value, '', 0);
  return out.join('\n');
}

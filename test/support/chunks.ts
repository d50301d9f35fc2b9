/**
 * Cuts an input at the given offsets (deduplicated, sorted), for the
 * property "a chunked read equals a whole read" that streaming parsers share.
 */
export function splitAt<T extends string | Uint8Array>(input: T, cuts: readonly number[]): T[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), input.length];
  return points.slice(1).map((end, i) => (typeof input === 'string' ? input.slice(points[i], end) : (input as Uint8Array).subarray(points[i], end)) as T);
}

/**
 * Every parser returns this instead of throwing: a model plus warnings, or a
 * positioned error. Callers can always show *where* input went wrong.
 */
export interface ParseWarning {
  readonly message: string;
  /** 1-based line for text formats. */
  readonly line?: number;
  /** 0-based byte offset for binary formats. */
  readonly offset?: number;
}

export type ParseError = ParseWarning;

export type ParseResult<T> =
  { readonly ok: true; readonly value: T; readonly warnings: readonly ParseWarning[] } | { readonly ok: false; readonly error: ParseError; readonly warnings: readonly ParseWarning[] };

export function parsed<T>(value: T, warnings: readonly ParseWarning[] = []): ParseResult<T> {
  return { ok: true, value, warnings };
}

export function failed<T>(error: ParseError, warnings: readonly ParseWarning[] = []): ParseResult<T> {
  return { ok: false, error, warnings };
}

/** A small JSON document that must be an object: its fields, or a positioned error (too large, not JSON, not an object). */
export function parseJsonObject(text: string, what: string, maxBytes: number): ParseResult<Record<string, unknown>> {
  if (text.length > maxBytes) return failed({ message: `${what} is ${text.length} bytes, more than the ${maxBytes} it can hold`, offset: maxBytes });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return failed({ message: `not JSON: ${(err as Error).message}`, line: 1 });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed({ message: 'expected a JSON object', line: 1 });
  return parsed(raw as Record<string, unknown>);
}

export function describeError(error: ParseError): string {
  const where = error.line !== undefined ? `line ${error.line}` : error.offset !== undefined ? `byte ${error.offset}` : 'input';
  return `${where}: ${error.message}`;
}

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

export interface ParseError extends ParseWarning {}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly ParseWarning[] }
  | { readonly ok: false; readonly error: ParseError; readonly warnings: readonly ParseWarning[] };

export function parsed<T>(value: T, warnings: readonly ParseWarning[] = []): ParseResult<T> {
  return { ok: true, value, warnings };
}

export function failed<T>(error: ParseError, warnings: readonly ParseWarning[] = []): ParseResult<T> {
  return { ok: false, error, warnings };
}

export function describeError(error: ParseError): string {
  const where = error.line !== undefined ? `line ${error.line}` : error.offset !== undefined ? `byte ${error.offset}` : 'input';
  return `${where}: ${error.message}`;
}

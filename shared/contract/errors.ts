/**
 * Errors cross the boundary as data, never as thrown objects, so both
 * transports can carry them and the UI can show what happened and what to do.
 */
export type ApiErrorCode =
  | 'invalid-input'
  | 'unknown-method'
  | 'not-found'
  | 'not-connected'
  | 'connect-refused'
  | 'connect-timeout'
  | 'dns'
  | 'auth-failed'
  | 'host-key'
  | 'process-gone'
  | 'remote-failed'
  | 'cancelled'
  | 'storage'
  /** A local tool the call needs (go tool trace) is missing or failed. */
  | 'tool-failed'
  | 'internal';

export interface ApiErrorData {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** What the user can do about it. */
  readonly hint?: string;
}

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly hint?: string;
  constructor(code: ApiErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.hint = hint;
  }
  toData(): ApiErrorData {
    return this.hint === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, hint: this.hint };
  }
  static from(data: ApiErrorData): ApiError {
    return new ApiError(data.code, data.message, data.hint);
  }
}

/** The envelope every transport carries for a reply. */
export type Reply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiErrorData };

/** The text of anything thrown: an Error's message, or the value itself. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function toErrorData(err: unknown): ApiErrorData {
  if (err instanceof ApiError) return err.toData();
  return { code: 'internal', message: messageOf(err) };
}

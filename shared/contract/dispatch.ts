/**
 * The server half of the contract: validates a raw request against the
 * schema and runs the handler. Both transports call this one function, so
 * validation cannot differ between desktop and browser mode.
 */
import { ApiError, toErrorData, type Reply } from './errors';
import { isMethodName, methods, type MethodInput, type MethodName, type MethodOutput } from './api';

export type Handlers = {
  [M in MethodName]: (input: MethodOutputInput<M>) => Promise<MethodOutput<M>>;
};
/** The parsed (defaults applied) input a handler receives. */
type MethodOutputInput<M extends MethodName> = import('zod').infer<(typeof methods)[M]['input']>;

export async function dispatch(handlers: Handlers, method: unknown, rawInput: unknown): Promise<Reply<unknown>> {
  if (!isMethodName(method)) {
    return { ok: false, error: { code: 'unknown-method', message: `Unknown method ${String(method).slice(0, 80)}` } };
  }
  const parsed = methods[method].input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(input)';
    return {
      ok: false,
      error: { code: 'invalid-input', message: `${method}: ${where}: ${issue?.message ?? 'invalid'}` },
    };
  }
  try {
    const handler = handlers[method] as (i: unknown) => Promise<unknown>;
    const value = await handler(parsed.data);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}

export type { MethodInput };
export { ApiError };

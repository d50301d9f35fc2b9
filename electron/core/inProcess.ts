import { createApi, type Api } from '../../shared/contract/client';
import { dispatch } from '../../shared/contract/dispatch';
import type { Backend } from './backendTypes';

/**
 * The contract without a wire, for the CLI and tests: calls still go through
 * dispatch(), so they get the same validation and defaults as IPC and
 * WebSocket callers.
 */
export function inProcessApi(backend: Backend): Api {
  return createApi({
    call: (method, input) => dispatch(backend.handlers, method, input),
    subscribe: (event, listener) =>
      backend.onEvent((name, payload) => {
        if (name === event) listener(payload);
      }),
  });
}

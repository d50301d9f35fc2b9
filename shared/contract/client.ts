/**
 * The client half of the contract: a transport-agnostic typed facade.
 * The renderer and tests see only `Api`; which wire carries it is decided
 * once at start-up.
 */
import { ApiError, type Reply } from './errors';
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from './api';

/** What a transport must provide. Both the preload bridge and the WebSocket client implement it. */
export interface Transport {
  call(method: MethodName, input: unknown): Promise<Reply<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

export interface Api {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createApi(transport: Transport): Api {
  return {
    async call(method, input) {
      const reply = await transport.call(method, input);
      if (!reply.ok) throw ApiError.from(reply.error);
      return reply.value as never;
    },
    on(event, listener) {
      return transport.subscribe(event, listener as (p: unknown) => void);
    },
  };
}

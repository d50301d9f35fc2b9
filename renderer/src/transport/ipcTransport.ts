/**
 * Desktop: the preload exposes one function per contract method on
 * window.gopherscope (keyed by method name) and `on(event, listener)`.
 */
import type { EventName, MethodName } from '../../../shared/contract/api';
import type { Reply } from '../../../shared/contract/errors';
import type { Transport } from '../../../shared/contract/client';

export interface PreloadBridge {
  readonly [method: string]: unknown;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

export function preloadBridge(): PreloadBridge | undefined {
  return (globalThis as { gopherscope?: PreloadBridge }).gopherscope;
}

export function createIpcTransport(bridge: PreloadBridge): Transport {
  return {
    call(method: MethodName, input: unknown) {
      const fn = bridge[method];
      if (typeof fn !== 'function') return Promise.resolve<Reply<unknown>>({ ok: false, error: { code: 'unknown-method', message: `The preload does not expose ${method}` } });
      return (fn as (i: unknown) => Promise<Reply<unknown>>)(input);
    },
    subscribe(event, listener) {
      return bridge.on(event, listener);
    },
  };
}

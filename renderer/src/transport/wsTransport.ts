/**
 * Browser mode: the contract over one WebSocket to the local backend. The
 * page is served under the server's per-instance path (/t/<token>/), and the
 * socket lives beside it (/t/<token>/ws), so the credential is only ever in
 * that path: never in a cookie or in storage another port could read.
 */
import type { EventName, MethodName } from '../../../shared/contract/api';
import type { Reply } from '../../../shared/contract/errors';
import type { Transport } from '../../../shared/contract/client';

/** The socket's URL, relative to the page's own path. */
export function socketUrl(page: string): string {
  const u = new URL('ws', page);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = '';
  u.hash = '';
  return u.href;
}

export function createWsTransport(): Transport {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const pending = new Map<number, (r: Reply<unknown>) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;
  let backoff = 250;

  const lost = (): Reply<unknown> => ({ ok: false, error: { code: 'internal', message: 'connection to backend lost', hint: 'Is `gopherscope serve` still running?' } });

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    if (opening) return opening;
    opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(socketUrl(location.href));
      ws.onopen = () => {
        socket = ws;
        opening = null;
        backoff = 250;
        resolve(ws);
      };
      ws.onmessage = (ev) => {
        let msg: { id?: number; reply?: Reply<unknown>; event?: EventName; payload?: unknown };
        try {
          msg = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        if (typeof msg.id === 'number' && msg.reply) {
          pending.get(msg.id)?.(msg.reply);
          pending.delete(msg.id);
        } else if (msg.event) {
          for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
        }
      };
      ws.onclose = () => {
        if (socket === ws) socket = null;
        opening = null;
        for (const [, done] of pending) done(lost());
        pending.clear();
        if (listeners.size > 0) {
          // Keep event subscriptions alive across a backend restart.
          setTimeout(() => void open().catch(() => undefined), backoff);
          backoff = Math.min(backoff * 2, 5000);
        }
        reject(new Error('socket closed'));
      };
    });
    return opening;
  };

  return {
    async call(method: MethodName, input: unknown) {
      let ws: WebSocket;
      try {
        ws = await open();
      } catch {
        return lost();
      }
      const id = nextId++;
      return new Promise<Reply<unknown>>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, input }));
      });
    },
    subscribe(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      void open().catch(() => undefined);
      return () => set!.delete(listener);
    },
  };
}

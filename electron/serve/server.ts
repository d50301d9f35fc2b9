/**
 * Browser mode: the same backend behind HTTP + WebSocket on 127.0.0.1.
 * Every request and socket must carry the random token printed in the URL
 * (query `token`, or the HttpOnly cookie set when the page first loads);
 * anything else gets a bare 401. The Host header is checked too, so a DNS
 * rebinding page cannot borrow the browser's cookie.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatch } from '../../shared/contract/dispatch';
import type { Backend } from '../core/backendTypes';

export interface ServerOptions {
  readonly backend: Backend;
  readonly staticDir: string;
  readonly host?: string;
  readonly port?: number;
  /** Binding to a non-loopback address exposes the backend to the network; it needs this explicit opt-in. */
  readonly allowNonLoopback?: boolean;
  readonly token?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const MAX_MESSAGE = 1024 * 1024;

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function tokenFrom(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const cookie = req.headers.cookie ?? '';
  const m = /(?:^|;\s*)gs_token=([A-Za-z0-9_-]+)/.exec(cookie);
  return m?.[1];
}

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.allowNonLoopback) {
    throw new Error(`Refusing to listen on ${host}: browser mode serves your SSH sessions and must stay on loopback. Pass --allow-non-loopback if you really mean it.`);
  }
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const staticRoot = resolve(opts.staticDir);
  let port = 0;

  const hostAllowed = (req: IncomingMessage): boolean => {
    const h = req.headers.host ?? '';
    return h === `${host}:${port}` || h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
  };
  const deny = (res: ServerResponse) => {
    res.writeHead(401, { 'Content-Type': 'text/plain', 'Content-Length': '12' });
    res.end('Unauthorized');
  };

  const server = createServer(async (req, res) => {
    if (!hostAllowed(req) || !sameToken(tokenFrom(req), token)) return deny(res);
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = resolve(join(staticRoot, rel));
    if (!file.startsWith(staticRoot + sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      const headers: Record<string, string> = {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': String(st.size),
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
      };
      if (url.searchParams.has('token')) headers['Set-Cookie'] = `gs_token=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(rel === '/index.html' ? 'The renderer is not built: run `npm run build` first.' : 'Not found');
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://${req.headers.host}`;
    if (url.pathname !== '/ws' || !hostAllowed(req) || !originOk || !sameToken(tokenFrom(req), token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', async (data) => {
      let msg: { id?: unknown; method?: unknown; input?: unknown };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return ws.send(JSON.stringify({ id: null, reply: { ok: false, error: { code: 'invalid-input', message: 'message is not JSON' } } }));
      }
      if (typeof msg.id !== 'number') return;
      const reply = await dispatch(opts.backend.handlers, msg.method, msg.input);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, reply }));
    });
  });
  const unsubscribe = opts.backend.onEvent((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    token,
    port,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

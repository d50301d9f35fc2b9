/**
 * Browser mode: the same backend behind HTTP + WebSocket on 127.0.0.1.
 * Everything is served under a per-instance path, /t/<random token>/: the
 * page, its assets (all relative) and the socket (/t/<token>/ws). Anything
 * else gets a bare 401. The credential lives only in that path, never in a
 * cookie: cookies are not scoped by port, so a cookie for 127.0.0.1 would be
 * sent to every other server on 127.0.0.1, and with it the whole API.
 * Responses carry Referrer-Policy: no-referrer so the path does not leave in
 * a Referer either. The Host header (against DNS rebinding) and the socket's
 * Origin are checked too. Session bundles move as a download and an upload
 * under the same path (bundleRoutes.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import type { Duplex } from 'node:stream';
import { join, resolve, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../shared/contract/api';
import type { Backend } from '../core/backendTypes';
import { FileGrants, dispatchFromPage } from '../core/fileGrants';
import { bundleRoutes } from './bundleRoutes';
import { CONTENT_SECURITY_POLICY, contentTypeOf } from '../contentPolicy';

export interface ServerOptions {
  readonly backend: Backend;
  readonly staticDir: string;
  readonly host?: string;
  readonly port?: number;
  readonly token?: string;
  /** Folders whose files the page may name as identity files (core/fileGrants.ts); default ~/.ssh. */
  readonly identityDirs?: readonly string[];
  /** The largest bundle the page may upload (bundleRoutes.ts); default DEFAULT_MAX_UPLOAD. */
  readonly maxUploadBytes?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_MESSAGE = 1024 * 1024;

/** Why browser mode stays on loopback, and how to reach it from another machine. */
export const LOOPBACK_ONLY =
  'browser mode serves your SSH sessions over plain HTTP and listens on loopback only. To use it from another machine, forward the same port over SSH: `gopherscope serve --port 8765` here, then `ssh -L 8765:127.0.0.1:8765 THIS_HOST` there and open the printed URL.';

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The request target as a URL, or null when it cannot be parsed (`//`, `/\\`, …). */
function targetOf(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://x');
  } catch {
    return null;
  }
}

/** The token segment of /t/<token>/…, and the path after it ('' for /t/<token> without the slash). */
function splitPrefix(pathname: string): { token: string; rest: string } | null {
  const m = /^\/t\/([^/]*)(\/.*)?$/s.exec(pathname);
  return m ? { token: m[1]!, rest: m[2] ?? '' } : null;
}

/** The decoded path, or null for a malformed escape or a NUL byte. */
function decodedPath(pathname: string): string | null {
  try {
    const p = decodeURIComponent(pathname);
    return p.includes('\0') ? null : p;
  } catch {
    return null;
  }
}

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  // There is no TLS here: on any other address the token and every SSH session would cross the network in clear.
  if (!isLoopback(host)) throw new Error(`Refusing to listen on ${host}: ${LOOPBACK_ONLY}`);
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const staticRoot = resolve(opts.staticDir);
  let port = 0;
  const grants = new FileGrants();
  const identityDirs = opts.identityDirs ?? [join(homedir(), '.ssh')];

  const hostAllowed = (req: IncomingMessage): boolean => {
    const h = req.headers.host ?? '';
    return h === `${host}:${port}` || h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
  };
  const deny = (res: ServerResponse) => {
    res.writeHead(401, { 'Content-Type': 'text/plain', 'Content-Length': '12' });
    res.end('Unauthorized');
  };

  const badRequest = (res: ServerResponse) => {
    res.writeHead(400, { 'Content-Type': 'text/plain', 'Content-Length': '11' });
    res.end('Bad Request');
  };

  const sockets = new Set<WebSocket>();
  const broadcast = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const bundles = bundleRoutes(opts.backend, { emit: broadcast, ...(opts.maxUploadBytes !== undefined ? { maxUploadBytes: opts.maxUploadBytes } : {}) });

  const serveRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = targetOf(req);
    if (!url) return badRequest(res);
    const inPrefix = splitPrefix(url.pathname);
    if (!hostAllowed(req) || !inPrefix || !sameToken(inPrefix.token, token)) return deny(res);
    if (inPrefix.rest === '') {
      // Relative asset URLs need the trailing slash.
      res.writeHead(308, { Location: `/t/${token}/`, 'Referrer-Policy': 'no-referrer' }).end();
      return;
    }
    if (await bundles.handle(req, res, inPrefix.rest, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    let rel = decodedPath(inPrefix.rest);
    if (rel === null) return badRequest(res);
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
        'Content-Type': contentTypeOf(file),
        'Content-Length': String(st.size),
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
      };
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return void res.end();
      // A file removed between stat and read ends this response, not the process.
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(rel === '/index.html' ? 'The renderer is not built: run `npm run build` first.' : 'Not found');
    }
  };

  // The handler is async: anything it throws must end this response, never reach the process.
  const server = createServer((req, res) => {
    serveRequest(req, res).catch((err: unknown) => {
      process.stderr.write(`browser mode: ${req.method} failed: ${(err as Error).message}\n`);
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal error');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const refuseUpgrade = (socket: Duplex, status: string) => {
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = targetOf(req);
    if (!url) return refuseUpgrade(socket, '400 Bad Request');
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://${req.headers.host}`;
    const inPrefix = splitPrefix(url.pathname);
    if (!inPrefix || inPrefix.rest !== '/ws' || !hostAllowed(req) || !originOk || !sameToken(inPrefix.token, token)) return refuseUpgrade(socket, '401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const reply = (ws: WebSocket, id: number | null, r: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, reply: r }));
  };
  const onMessage = async (ws: WebSocket, data: RawData): Promise<void> => {
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return reply(ws, null, { ok: false, error: { code: 'invalid-input', message: 'message is not JSON' } });
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return reply(ws, null, { ok: false, error: { code: 'invalid-input', message: 'message is not a {id, method, input} object' } });
    const { id, method, input } = msg as { id?: unknown; method?: unknown; input?: unknown };
    if (typeof id !== 'number' || !Number.isFinite(id)) return reply(ws, null, { ok: false, error: { code: 'invalid-input', message: 'message has no numeric id' } });
    reply(ws, id, await dispatchFromPage(opts.backend.handlers, grants, method, input, { identityDirs }));
  };

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    // ws closes the socket itself on a bad frame or an oversized message (1007, 1009) and then emits
    // 'error'; without a listener that error would end the process.
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      onMessage(ws, data).catch((err: unknown) => {
        process.stderr.write(`browser mode: a message failed: ${(err as Error).message}\n`);
        reply(ws, null, { ok: false, error: { code: 'internal', message: 'the message could not be handled' } });
      });
    });
  });
  const unsubscribe = opts.backend.onEvent(broadcast);

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/t/${token}/`,
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

/**
 * Reaching a service on the remote host's loopback (a Go process's pprof
 * endpoint) through an SSH direct-tcpip channel: nothing is exposed on the
 * network and nothing needs curl on the host.
 */
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { ApiError } from '../../shared/contract/errors';
import type { Bounds, SshConnection } from './sshConnection';

/** Opens a direct-tcpip channel to host:port on the remote side; the open is bounded by `bounds`. */
export function openTunnel(conn: SshConnection, port: number, host: string, bounds: Bounds): Promise<Duplex> {
  return conn.open<ClientChannel>(`a tunnel to ${host}:${port} on the host`, (cb) => conn.raw.forwardOut('127.0.0.1', 0, host, port, cb), bounds).catch((err: Error) => {
    throw err instanceof ApiError ? err : new ApiError('remote-failed', `Could not open a tunnel to ${host}:${port} on the host: ${err.message}`, 'Is something listening there, and does sshd allow TCP forwarding (AllowTcpForwarding)?');
  });
}

export interface TunnelResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly truncated: boolean;
}

/** GET over a tunnel with a body cap; `timeoutMs` and `signal` cover opening the tunnel and the whole exchange. */
export async function httpGetViaTunnel(conn: SshConnection, port: number, path: string, opts: { timeoutMs: number; maxBytes: number; signal?: AbortSignal }): Promise<TunnelResponse> {
  const bounds: Bounds = { deadline: Date.now() + opts.timeoutMs, signal: opts.signal };
  const tunnel = await openTunnel(conn, port, '127.0.0.1', bounds);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: ApiError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      tunnel.destroy();
      reject(err);
    };
    const onAbort = () => fail(new ApiError('cancelled', `Cancelled during GET 127.0.0.1:${port}${path}.`));
    const req = request({ createConnection: () => tunnel as never, host: '127.0.0.1', port, path, method: 'GET', headers: { Host: `127.0.0.1:${port}`, Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      res.on('data', (c: Buffer) => {
        if (truncated) return;
        const room = opts.maxBytes - size;
        if (c.length > room) {
          chunks.push(c.subarray(0, room));
          size += room;
          truncated = true;
          res.destroy();
          done();
          return;
        }
        chunks.push(c);
        size += c.length;
      });
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        tunnel.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
      };
      res.on('end', done);
      res.on('error', done);
    });
    const timer = setTimeout(() => fail(new ApiError('remote-failed', `No answer from 127.0.0.1:${port}${path} within ${opts.timeoutMs} ms.`)), Math.max(0, bounds.deadline - Date.now()));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    req.on('error', (err) => fail(new ApiError('remote-failed', `HTTP over the tunnel failed: ${err.message}`)));
    req.end();
  });
}

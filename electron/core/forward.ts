/**
 * Reaching a service on the remote host's loopback (a Go process's pprof
 * endpoint) through an SSH direct-tcpip channel: nothing is exposed on the
 * network and nothing needs curl on the host.
 */
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError } from '../../shared/contract/errors';
import type { SshConnection } from './sshConnection';

export function openTunnel(conn: SshConnection, port: number, host = '127.0.0.1'): Promise<Duplex> {
  return new Promise((resolve, reject) =>
    conn.raw.forwardOut('127.0.0.1', 0, host, port, (err, stream) =>
      err ? reject(new ApiError('remote-failed', `Could not open a tunnel to ${host}:${port} on the host: ${err.message}`, 'Is something listening there, and does sshd allow TCP forwarding (AllowTcpForwarding)?')) : resolve(stream),
    ),
  );
}

export interface TunnelResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly truncated: boolean;
  /** The answer stalled and `partial` was asked for: the body is what came before the timeout. */
  readonly timedOut?: boolean;
}

/**
 * GET over a tunnel with a timeout and a body cap. With `partial`, an answer that started but
 * stalls resolves with what came (timedOut), instead of failing: enough to recognise an endpoint.
 */
export async function httpGetViaTunnel(conn: SshConnection, port: number, path: string, opts: { timeoutMs: number; maxBytes: number; partial?: boolean }): Promise<TunnelResponse> {
  let started: (() => void) | null = null;
  const tunnel = await openTunnel(conn, port);
  return new Promise((resolve, reject) => {
    let settled = false;
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
      const done = (timedOut = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (timedOut) req.destroy();
        tunnel.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated, ...(timedOut ? { timedOut } : {}) });
      };
      if (opts.partial) started = () => done(true);
      res.on('end', () => done());
      res.on('error', () => done());
    });
    const timer = setTimeout(() => {
      if (started) return started();
      if (settled) return;
      settled = true;
      req.destroy();
      tunnel.destroy();
      reject(new ApiError('remote-failed', `No answer from 127.0.0.1:${port}${path} within ${opts.timeoutMs} ms.`));
    }, opts.timeoutMs);
    req.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tunnel.destroy();
      reject(new ApiError('remote-failed', `HTTP over the tunnel failed: ${err.message}`));
    });
    req.end();
  });
}

/**
 * A hostile SSH server on a free 127.0.0.1 port: ssh2's own Server, speaking
 * the real protocol, that lets any client in and then, for the requests the
 * test picks, never answers at all (no success, no failure). Everything else
 * is served: exec runs the command with `sh -c` here (this machine is the
 * "host"), direct-tcpip connects to the local port. Held requests can be
 * answered late, and the test can see whether the client closed the channel.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type Connection, type ServerChannel } from 'ssh2';
import { keygen, publicKeyOf } from './sshd';
import { onTeardown } from './teardown';

const { Server } = ssh2;

export type HostileRequest =
  | { readonly stage: 'session' }
  | { readonly stage: 'exec'; readonly command: string }
  | { readonly stage: 'pty' }
  | { readonly stage: 'shell' }
  | { readonly stage: 'direct-tcpip'; readonly port: number };

export interface HeldRequest {
  readonly request: HostileRequest;
  /** Answers it now (accepts), as a server that was merely very slow would. */
  answerLate(): void;
  /** Resolves when the client closes the channel this request belongs to. */
  readonly closedByClient: Promise<void>;
  readonly isClosedByClient: () => boolean;
}

export interface HostileSshd {
  readonly port: number;
  /** `type base64` for a known_hosts line. */
  readonly hostPublicKeyLine: string;
  readonly hostKeyFingerprint: string;
  /** Which requests get no answer; change it between steps. */
  hang: (r: HostileRequest) => boolean;
  readonly held: HeldRequest[];
  /** Every request received, answered or not, in order. */
  readonly seen: HostileRequest[];
  /** Resolves with the next held request. */
  nextHeld(): Promise<HeldRequest>;
  stop(): Promise<void>;
}

export async function startHostileSshd(hang: (r: HostileRequest) => boolean = () => false): Promise<HostileSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-hostile-'));
  const keyPath = join(dir, 'host_ed25519');
  keygen(keyPath, 'ed25519');
  const { publicKeyLine, fingerprint } = publicKeyOf(keyPath);
  const clients = new Set<Connection>();
  const waiters: Array<(h: HeldRequest) => void> = [];
  const self: HostileSshd = {
    port: 0,
    hostPublicKeyLine: publicKeyLine,
    hostKeyFingerprint: fingerprint,
    hang,
    held: [],
    seen: [],
    nextHeld: () => new Promise((resolve) => waiters.push(resolve)),
    stop: async () => {
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const hangs = (request: HostileRequest) => {
    self.seen.push(request);
    return self.hang(request);
  };
  const hold = (request: HostileRequest, answer: () => void, channelClosed: (cb: () => void) => void) => {
    let closed = false;
    const closedByClient = new Promise<void>((resolve) =>
      channelClosed(() => {
        closed = true;
        resolve();
      }),
    );
    const answerLate = () => {
      try {
        answer();
      } catch {
        // the client already closed the channel: nothing left to answer
      }
    };
    const h: HeldRequest = { request, answerLate, closedByClient, isClosedByClient: () => closed };
    self.held.push(h);
    waiters.shift()?.(h);
  };

  const server = new Server({ hostKeys: [readFileSync(keyPath)] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        // Session events are attached once the channel exists, whether it was opened at once or late.
        const serve = () => {
          const session = acceptSession();
          const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
          const onClose = (cb: () => void) => void sessionClosed.then(cb);
          session.on('pty', (accept) => {
            if (hangs({ stage: 'pty' })) hold({ stage: 'pty' }, () => accept?.(), onClose);
            else accept?.();
          });
          session.on('shell', (accept) => {
            if (hangs({ stage: 'shell' })) return hold({ stage: 'shell' }, () => void accept(), onClose);
            const ch = accept();
            ch.write('$ ');
            ch.on('data', () => undefined);
          });
          session.on('exec', (accept, _reject, info) => {
            const request = { stage: 'exec', command: info.command } as const;
            if (hangs(request)) return hold(request, () => void accept(), onClose);
            run(accept(), info.command);
          });
          return session;
        };
        if (!hangs({ stage: 'session' })) return void serve();
        let notify: (() => void) | undefined;
        hold(
          { stage: 'session' },
          () => void serve().once('close', () => notify?.()),
          (cb) => (notify = cb),
        );
      });
      client.on('tcpip', (accept, _reject, info) => {
        const request = { stage: 'direct-tcpip', port: info.destPort } as const;
        const open = () => {
          const ch = accept();
          const sock = netConnect(info.destPort, info.destIP);
          sock.on('error', () => ch.close());
          ch.pipe(sock).pipe(ch);
          return ch;
        };
        if (!hangs(request)) return void open();
        let notify: (() => void) | undefined;
        hold(
          request,
          () => open().once('close', () => notify?.()),
          (cb) => (notify = cb),
        );
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (self as { port: number }).port = (server.address() as { port: number }).port;
  const unregister = onTeardown(`hostile sshd ${self.port}`, () => {
    server.close();
    for (const c of clients) c.end();
    rmSync(dir, { recursive: true, force: true });
  });
  return self;
}

function run(ch: ServerChannel, command: string): void {
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(ch, { end: false });
  child.stderr.on('data', (d: Buffer) => ch.stderr.write(d));
  ch.on('close', () => child.kill('SIGKILL'));
  child.on('close', (code) => {
    ch.exit(code ?? 1);
    ch.end();
  });
}

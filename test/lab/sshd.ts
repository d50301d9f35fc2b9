/**
 * A real OpenSSH sshd on a free 127.0.0.1 port with freshly generated host
 * and client keys, in its own temp folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { onTeardown, stopChild } from './teardown';
import { ensureLabRoot } from './users';

export interface SshdOptions {
  readonly maxSessions?: number;
  readonly hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
  /** Reuse an existing host key (private key path). */
  readonly hostKeyPath?: string;
  /** Serve several existing host keys (private key paths), in this order; overrides hostKeyType/hostKeyPath. */
  readonly hostKeyPaths?: readonly string[];
  /** Listen on this port instead of a free one (to restart a server in place). */
  readonly port?: number;
  readonly extraConfig?: readonly string[];
  /** Password and keyboard-interactive logins through PAM (for a lab test user). */
  readonly passwordAuth?: boolean;
}

export interface Sshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** What `id -un` prints after logging in as user: 'root' for the lab's uid-0 alias. */
  readonly remoteUserName: string;
  readonly clientKeyPath: string;
  readonly hostKeyPath: string;
  readonly hostPublicKeyLine: string;
  readonly hostKeyFingerprint: string;
  /** Every host key the server offers, first first (the fields above describe the first). */
  readonly hostKeys: ReadonlyArray<{ readonly path: string; readonly publicKeyLine: string; readonly fingerprint: string }>;
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
  kill(): void;
}

export const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => {
  try {
    execFileSync(p, ['-V'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== 'ENOENT';
  }
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function keygen(path: string, type: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'gopherscope-lab', '-f', path]);
}

/** The `type base64` known_hosts form of a key pair's public half, and its SHA256 fingerprint. */
export function publicKeyOf(privateKeyPath: string): { publicKeyLine: string; fingerprint: string } {
  const pub = readFileSync(`${privateKeyPath}.pub`, 'utf8').trim().split(/\s+/);
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${privateKeyPath}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { publicKeyLine: `${pub[0]} ${pub[1]}`, fingerprint };
}

function readBanner(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error('no SSH banner'));
    }, timeoutMs);
    sock.on('data', (d) => {
      data += d;
      if (data.includes('\n')) {
        clearTimeout(t);
        sock.destroy();
        resolve(data.trim());
      }
    });
    sock.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  if (!SSHD) throw new Error('OpenSSH sshd is not installed (apt-get install openssh-server)');
  const dir = mkdtempSync(join(tmpdir(), 'gs-lab-sshd-'));
  const type = opts.hostKeyType ?? 'ed25519';
  const hostKeyPaths = opts.hostKeyPaths ?? [opts.hostKeyPath ?? join(dir, `ssh_host_${type}_key`)];
  if (!opts.hostKeyPaths && !opts.hostKeyPath) keygen(hostKeyPaths[0]!, type);
  const hostKeyPath = hostKeyPaths[0]!;
  const clientKeyPath = join(dir, 'client_ed25519');
  keygen(clientKeyPath, 'ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`), { mode: 0o644 });
  // sshd reads AuthorizedKeysFile as the logging-in user: lab test users must reach it.
  chmodSync(dir, 0o755);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = opts.port ?? (await freePort());
  // sshd keeps the first value it reads for a keyword, so extra settings go first to override.
  const config = [
    ...(opts.extraConfig ?? []),
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    ...hostKeyPaths.map((k) => `HostKey ${k}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    `PasswordAuthentication ${opts.passwordAuth ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${opts.passwordAuth ? 'yes' : 'no'}`,
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    // keyboard-interactive on Linux needs PAM; the key-only servers keep it off.
    `UsePAM ${opts.passwordAuth ? 'yes' : 'no'}`,
    `MaxSessions ${opts.maxSessions ?? 10}`,
    'LogLevel VERBOSE',
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  const unregister = onTeardown(`sshd ${port}`, () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr}`);
    try {
      const banner = await readBanner(port, 1000);
      if (banner.startsWith('SSH-2.0-')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not answer on 127.0.0.1:${port} within 10 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostKeys = hostKeyPaths.map((path) => ({ path, ...publicKeyOf(path) }));
  const { publicKeyLine: hostPublicKeyLine, fingerprint: hostKeyFingerprint } = hostKeys[0]!;
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().uid === 0 ? ensureLabRoot() : userInfo().username,
    remoteUserName: userInfo().username,
    clientKeyPath,
    hostKeyPath,
    hostPublicKeyLine,
    hostKeyFingerprint,
    hostKeys,
    dir,
    pid: child.pid!,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child);
      // Session children of sshd (one per connection) exit when their client goes.
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
    kill() {
      // The listener and its per-connection children, so clients see a dead peer, not a goodbye.
      for (const pid of [...descendants(child.pid!), child.pid!]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

/** PIDs whose ancestry leads to root, read from /proc/PID/stat. */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === root) {
        out.push(pid);
        break;
      }
    }
  }
  return out;
}

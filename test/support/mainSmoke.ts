/**
 * Runs mainSmoke.cjs on a built main bundle in a child Node process and returns its report. The
 * sample inputs cover every contract method (the type makes a new method a compile error here until
 * it has one); `<pick:PURPOSE>` stands for a handle from `files.pick`, whose dialog the stand-in
 * answers with the files set up below.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { methodNames, type MethodInput, type MethodName } from '../../shared/contract/api';

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}
export interface SmokeReport {
  readonly checks: readonly SmokeCheck[];
  /** The native files the bundle loaded (process.dlopen), as resolved here. */
  readonly dlopened: readonly string[];
  /** What the bundle itself require()d outside Node's own modules, and where it resolved. */
  readonly externals: ReadonlyArray<{ request: string; resolved: string | null; error?: string }>;
  readonly exitCode: number | null;
  readonly stderr: string;
}

const SAMPLES: { readonly [M in MethodName]: MethodInput<M> } = {
  'hosts.list': {},
  'hosts.add': { label: 'smoke', hostname: 'db-1', user: 'sre', identityFile: '<pick:identity-file>' },
  'hosts.remove': { hostId: 'no-such-host' },
  'hosts.trustKey': { hostId: 'no-such-host', keyBase64: 'AAAAC3NzaC1lZDI1NTE5AAAAIA' },
  'ssh.connect': { hostId: 'no-such-host' },
  'ssh.disconnect': { hostId: 'no-such-host' },
  'processes.list': { hostId: 'no-such-host' },
  'capture.start': { hostId: 'no-such-host', pid: 1 },
  'capture.cancel': { captureId: 'no-such-capture' },
  'sshConfig.read': { path: '<pick:ssh-config>' },
  'auth.respond': { promptId: 'no-such-prompt', answers: null },
  'ssh.states': {},
  'sudo.probe': { hostId: 'no-such-host' },
  'terminal.open': { hostId: 'no-such-host', cols: 80, rows: 24 },
  'terminal.input': { terminalId: 'no-such-terminal', data: 'x' },
  'terminal.resize': { terminalId: 'no-such-terminal', cols: 80, rows: 24 },
  'terminal.ack': { terminalId: 'no-such-terminal', chars: 1 },
  'terminal.flow': { terminalId: 'no-such-terminal' },
  'terminal.close': { terminalId: 'no-such-terminal' },
  'sessions.list': {},
  'sessions.update': { sessionId: 'no-such-session', notes: 'x' },
  'sessions.export': { sessionId: 'no-such-session', path: '<pick:export-bundle>' },
  'sessions.import': { path: '<pick:import-bundle>' },
  'files.pick': { purpose: 'identity-file' },
  'sessions.open': { sessionId: 'no-such-session' },
  'demo.open': {},
  'artifacts.read': { artifactId: 'no-such-artifact' },
  'tools.goTrace.status': {},
  'tools.goTrace.build': {},
  'tools.goTrace.open': { artifactId: 'no-such-artifact' },
  'tools.goTrace.close': { artifactIds: ['no-such-artifact'] },
};

export async function runMainSmoke(bundle: string, opts: { readonly nodeArgs?: readonly string[]; readonly timeoutMs?: number } = {}): Promise<SmokeReport> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), 'gs-main-smoke-'));
  try {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    const identity = join(home, '.ssh', 'id_smoke');
    writeFileSync(identity, 'not a key: the smoke test never connects\n', { mode: 0o600 });
    const sshConfig = join(home, '.ssh', 'config');
    writeFileSync(sshConfig, `Host box\n  HostName 10.0.0.1\n  User sre\n  IdentityFile ${identity}\n`);
    const notABundle = join(dir, 'not-a-bundle.tar.gz');
    writeFileSync(notABundle, 'plain text, not gzip');
    const config = {
      dataDir: join(dir, 'data'),
      home,
      methods: methodNames,
      samples: SAMPLES,
      picks: { 'identity-file': identity, 'ssh-config': sshConfig, 'import-bundle': notABundle, 'export-bundle': join(dir, 'export.tar.gz') },
      configIdentity: identity,
    };
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(import.meta.dirname, 'mainSmoke.cjs'), bundle, JSON.stringify(config)], {
      // HOME too: the backend's defaults (~/.ssh/known_hosts, ~/.ssh/config) must not read the real user's files.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const line = stdout.split('\n').find((l) => l.startsWith('SMOKE-REPORT '));
    if (!line)
      return {
        checks: [{ name: 'the smoke run reports', ok: false, detail: `exit ${exitCode}; stdout: ${stdout.slice(-2000)}; stderr: ${stderr.slice(-2000)}` }],
        dlopened: [],
        externals: [],
        exitCode,
        stderr,
      };
    const r = JSON.parse(line.slice('SMOKE-REPORT '.length)) as Omit<SmokeReport, 'exitCode' | 'stderr'>;
    return { ...r, exitCode, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks that failed, one line each, for assertion messages. */
export function smokeFailures(r: SmokeReport): string[] {
  return r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

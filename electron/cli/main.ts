/**
 * `gopherscope` on the command line: the same backend as the app, headless.
 * Progress and diagnostics go to stderr; results to stdout.
 */
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventPayload, Host } from '../../shared/contract/api';
import { ApiError } from '../../shared/contract/errors';
import { terminalField, terminalJson, terminalText } from '../../shared/util/terminalText';
import type { Backend } from '../core/backend';
import { defaultDataDir } from '../core/paths';
import { findAppRoot } from '../core/appRoot';
import { parseArgs, parseTarget, UsageError } from './args';

// Each command loads only what it uses (the backend with SQLite and ssh2, the parsers, the server),
// so `--help` and `inspect` start in about the time Node itself takes.
let inProcess: typeof import('../core/inProcess') | null = null;
const api = (b: Backend) => inProcess!.inProcessApi(b);

async function loadBackend(): Promise<typeof import('../core/backend')> {
  const [core, ip] = await Promise.all([import('../core/backend'), import('../core/inProcess')]);
  inProcess = ip;
  return core;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, hostKey: 3, connect: 4, processGone: 5 } as const;

const USAGE = `Usage:
  gopherscope serve [--port N] [--host 127.0.0.1] [--data-dir DIR] [--identity-dir DIR]
  gopherscope ps [user@]host[:port] [--identity FILE] [--jump SPEC] [--sudo] [--json]
  gopherscope capture [user@]host[:port] --pid N [--trace-seconds S] [--cpu-profile-seconds S] [--no-stacks]
                      [--no-process-memory] [--no-mem-probes] [--pprof-port PORT] [--sudo] [--identity FILE]
                      [--jump SPEC] [--out FILE]
  gopherscope trust [user@]host[:port] --fingerprint SHA256:... [--hop HOST:PORT] [--jump SPEC]
  gopherscope sessions [--json] [--data-dir DIR]
  gopherscope export SESSION_ID FILE [--data-dir DIR]
  gopherscope import FILE [--data-dir DIR]
  gopherscope inspect FILE [--kind KIND] [--json]
  gopherscope trace FILE [--json] [--perfetto OUT.json]
  gopherscope report SESSION_ID|BUNDLE [--json] [--data-dir DIR]

Host keys are checked against ~/.ssh/known_hosts and Gopherscope's own known_hosts
in the data folder (default ${defaultDataDir()}).`;

const SWITCHES = new Set(['json', 'allow-non-loopback', 'help', 'sudo', 'no-stacks', 'no-process-memory', 'no-mem-probes']);

// Host text (process names, command lines, prompts, reasons) can hold terminal control sequences:
// every line the CLI prints goes through terminalText, and each host value on a row through
// terminalField, so nothing from a host can retitle the terminal or forge a row.
function log(line: string): void {
  process.stderr.write(`${terminalText(line)}\n`);
}

function out(text: string): void {
  process.stdout.write(terminalText(text));
}

function outJson(value: unknown): void {
  process.stdout.write(`${terminalJson(JSON.stringify(value, null, 2))}\n`);
}

const field = terminalField;

async function withBackend<T>(dataDir: string, fn: (b: Backend) => Promise<T>): Promise<T> {
  const { createBackend } = await loadBackend();
  const backend = await createBackend({ dataDir, ...(process.env.GOPHERSCOPE_USER_KNOWN_HOSTS ? { userKnownHostsFile: process.env.GOPHERSCOPE_USER_KNOWN_HOSTS } : {}) });
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

interface HostFlags {
  readonly identity: string | undefined;
  /** ProxyJump, comma-separated as ssh -J takes it. */
  readonly jump: string | undefined;
  readonly sudo: boolean;
}

/** Finds or records the host so CLI captures show up in the app's library under it. */
async function hostFor(b: Backend, spec: string, flags: HostFlags): Promise<Host> {
  const t = parseTarget(spec, userInfo().username);
  const identityFile = flags.identity === undefined ? undefined : resolve(flags.identity);
  const jump = (flags.jump ?? '').split(',').map((j) => j.trim()).filter(Boolean);
  const hosts = await api(b).call('hosts.list', {});
  const found = hosts.find(
    (h) => h.hostname === t.hostname && h.port === t.port && h.user === t.user && h.identityFile === identityFile && h.jump.join(',') === jump.join(',') && h.useSudo === flags.sudo,
  );
  if (found) return found;
  return api(b).call('hosts.add', { label: `${t.user}@${t.hostname}:${t.port}`, hostname: t.hostname, port: t.port, user: t.user, ...(identityFile ? { identityFile } : {}), jump, useSudo: flags.sudo });
}

/** Answers auth prompts on the terminal, with input hidden; without a terminal, declines with advice. */
function promptOnTty(b: Backend): () => void {
  return b.onEvent((event, payload) => {
    if (event !== 'auth.prompt') return;
    const p = payload as EventPayload<'auth.prompt'>;
    void (async () => {
      if (!process.stdin.isTTY) {
        log(`${field(p.title)}: cannot ask without a terminal. Load the key into ssh-agent (ssh-add) or run interactively.`);
        await api(b).call('auth.respond', { promptId: p.promptId, answers: null });
        return;
      }
      if (p.instructions) log(p.instructions);
      const answers: string[] = [];
      for (const q of p.prompts) answers.push(await askHidden(`${field(p.title)} — ${field(q.prompt)} `, !q.echo));
      await api(b).call('auth.respond', { promptId: p.promptId, answers });
    })();
  });
}

function askHidden(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolveAnswer) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput?: (s: string) => void };
    let asked = false;
    if (hidden) {
      out._writeToOutput = (s: string) => {
        if (!asked) process.stderr.write(s);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolveAnswer(answer);
    });
    asked = true;
  });
}

class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function connect(b: Backend, host: Host): Promise<void> {
  log(`connecting to ${host.user}@${host.hostname}:${host.port}${host.jump.length ? ` via ${host.jump.join(' → ')}` : ''} …`);
  promptOnTty(b);
  const r = await api(b).call('ssh.connect', { hostId: host.id });
  const where = `${host.hostname}:${host.port}`;
  // A jump host's key problem is named as that hop, never as the target.
  const named = (hop: string) => `${hop}${hop !== where ? ` (a jump host on the way to ${where})` : ''}`;
  switch (r.status) {
    case 'connected':
      log(`connected (host key ${r.fingerprint})`);
      return;
    case 'unknown-host-key': {
      const hop = r.hop ?? where;
      const jumpFlag = host.jump.length ? ` --jump ${host.jump.join(',')}` : '';
      const hopFlag = hop !== where ? ` --hop ${hop}` : '';
      throw new ExitError(
        EXIT.hostKey,
        `The host key of ${named(hop)} is not known.\n  ${r.presented.keyType} ${r.presented.fingerprint}\nIf that fingerprint is right (compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that host), trust it with:\n  gopherscope trust ${host.user}@${where}${jumpFlag}${hopFlag} --fingerprint ${r.presented.fingerprint}\nor add it to ~/.ssh/known_hosts by connecting once with ssh.`,
      );
    }
    case 'changed-host-key':
      throw new ExitError(
        EXIT.hostKey,
        `REFUSED: the host key of ${named(r.hop ?? where)} has changed.\n  presented: ${r.presented.keyType} ${r.presented.fingerprint}\n${r.expected.map((e) => `  expected:  ${e.keyType} ${e.fingerprint} (${e.source})`).join('\n')}\nThis can mean someone is intercepting the connection. If the host was really re-keyed, remove the old line and trust the new key.`,
      );
    case 'revoked-host-key':
      throw new ExitError(EXIT.hostKey, `REFUSED: the host key of ${named(r.hop ?? where)} (${r.presented.fingerprint}) is marked @revoked in ${r.source}.`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return command ? EXIT.ok : EXIT.usage;
    }
    const args = parseArgs(rest, SWITCHES);
    const flag = (n: string) => {
      const v = args.flags.get(n);
      return typeof v === 'string' ? v : undefined;
    };
    const dataDir = resolve(flag('data-dir') ?? defaultDataDir());
    const hostFlags: HostFlags = { identity: flag('identity'), jump: flag('jump'), sudo: args.flags.has('sudo') };
    switch (command) {
      case 'serve': {
        const { isLoopback, LOOPBACK_ONLY } = await import('../serve/server');
        const host = flag('host') ?? '127.0.0.1';
        if (args.flags.has('allow-non-loopback')) throw new UsageError(`--allow-non-loopback was removed: ${LOOPBACK_ONLY}`);
        if (!isLoopback(host)) throw new UsageError(`cannot serve on ${host}: ${LOOPBACK_ONLY}`);
        return await serve(dataDir, host, Number(flag('port') ?? 0), flag('identity-dir'));
      }
      case 'ps':
        return await withBackend(dataDir, async (b) => {
          const spec = args.positionals[0];
          if (!spec) throw new UsageError('ps needs [user@]host[:port]');
          const host = await hostFor(b, spec, hostFlags);
          await connect(b, host);
          const list = await api(b).call('processes.list', { hostId: host.id });
          if (args.flags.has('json')) {
            outJson(list);
            return EXIT.ok;
          }
          out(`${'PID'.padStart(7)} ${'USER'.padEnd(10)} ${'RSS'.padStart(10)} ${'THR'.padStart(4)} GO          COMMAND\n`);
          for (const p of list) {
            const go = p.go.kind === 'go' ? field(p.go.goVersion ?? 'go') : p.go.kind === 'unknown' ? '?' : '-';
            const rss = p.rssKiB === null ? '-' : `${(p.rssKiB / 1024).toFixed(1)}M`;
            out(`${String(p.pid).padStart(7)} ${field(p.user).slice(0, 10).padEnd(10)} ${rss.padStart(10)} ${String(p.threads ?? '-').padStart(4)} ${go.padEnd(11)} ${field(p.command).slice(0, 120)}\n`);
          }
          return EXIT.ok;
        });
      case 'capture':
        return await withBackend(dataDir, async (b) => {
          const spec = args.positionals[0];
          const pid = Number(flag('pid'));
          if (!spec || !Number.isInteger(pid) || pid < 1) throw new UsageError('capture needs [user@]host[:port] and --pid N');
          const host = await hostFor(b, spec, hostFlags);
          await connect(b, host);
          const finished = new Promise<{ status: string; reason: string | null; sessionId: string }>((resolveDone) => {
            b.onEvent((event, payload) => {
              if (event === 'capture.progress') {
                const p = payload as { step: string; done: number; total: number };
                log(`[${p.done}/${p.total}] ${field(p.step)}`);
              } else if (event === 'capture.finished') resolveDone(payload as { status: string; reason: string | null; sessionId: string });
            });
          });
          const controller = new AbortController();
          const num = (name: string) => {
            const v = flag(name);
            if (v === undefined) return undefined;
            const n = Number(v);
            if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} needs a positive number`);
            return n;
          };
          const traceSeconds = num('trace-seconds');
          const cpuProfileSeconds = num('cpu-profile-seconds');
          const pprofPort = num('pprof-port');
          const { captureId } = await api(b).call('capture.start', {
            hostId: host.id,
            pid,
            stacks: !args.flags.has('no-stacks'),
            processMemory: !args.flags.has('no-process-memory'),
            memProbes: !args.flags.has('no-mem-probes'),
            ...(traceSeconds ? { traceSeconds } : {}),
            ...(cpuProfileSeconds ? { cpuProfileSeconds: Math.round(cpuProfileSeconds) } : {}),
            ...(pprofPort ? { pprofPort } : {}),
          });
          const onSigint = () => {
            log('cancelling …');
            controller.abort();
            void api(b).call('capture.cancel', { captureId });
          };
          process.once('SIGINT', onSigint);
          const done = await finished;
          process.off('SIGINT', onSigint);
          log(`session ${done.sessionId}: ${done.status}${done.reason ? ` (${field(done.reason)})` : ''}`);
          const outFile = flag('out');
          if (outFile && done.status !== 'failed') {
            const detail = await api(b).call('sessions.open', { sessionId: done.sessionId });
            const artifacts = [];
            for (const a of detail.artifacts) {
              const body = a.sha256 ? await api(b).call('artifacts.read', { artifactId: a.id, maxBytes: 64 * 1024 * 1024 }) : { text: '' };
              artifacts.push({ ...a, text: body.text });
            }
            await writeFile(outFile, JSON.stringify({ format: 'gopherscope-session-json', version: 1, session: { ...detail, artifacts } }, null, 2));
            log(`wrote ${outFile}`);
          }
          out(`${done.sessionId}\n`);
          return done.status === 'complete' ? EXIT.ok : done.status === 'failed' ? EXIT.failed : EXIT.failed;
        });
      case 'trust':
        return await withBackend(dataDir, async (b) => {
          const spec = args.positionals[0];
          const fp = flag('fingerprint');
          if (!spec || !fp) throw new UsageError('trust needs [user@]host[:port] and --fingerprint SHA256:...');
          const host = await hostFor(b, spec, hostFlags);
          const r = await api(b).call('ssh.connect', { hostId: host.id });
          if (r.status === 'connected') {
            log('already trusted');
            return EXIT.ok;
          }
          if (r.status !== 'unknown-host-key') throw new ExitError(EXIT.hostKey, `Not trusting: the host key is ${r.status.replace('-host-key', '')}; see \`gopherscope ps\` for details.`);
          const wantHop = flag('hop');
          if (wantHop && r.hop !== wantHop) throw new ExitError(EXIT.hostKey, `Not trusting: the unknown key belongs to ${r.hop}, not ${wantHop}.`);
          if (r.presented.fingerprint !== fp) throw new ExitError(EXIT.hostKey, `Not trusting: ${r.hop ?? 'the host'} presented ${r.presented.fingerprint}, not ${fp}.`);
          await api(b).call('hosts.trustKey', { hostId: host.id, keyBase64: r.presented.keyBase64, ...(r.hop ? { hop: r.hop } : {}) });
          log(`trusted ${r.presented.keyType} ${fp} for ${r.hop ?? `${host.hostname}:${host.port}`}`);
          return EXIT.ok;
        });
      case 'sessions':
        return await withBackend(dataDir, async (b) => {
          const list = await api(b).call('sessions.list', {});
          if (args.flags.has('json')) outJson(list);
          else for (const s of list) out(`${s.id}  ${s.startedAt}  ${s.status.padEnd(9)} ${field(s.hostLabel)}  pid ${s.pid} ${field(s.processName)} ${field(s.goVersion ?? '')}\n`);
          return EXIT.ok;
        });
      case 'export':
        return await withBackend(dataDir, async (b) => {
          const [id, file] = args.positionals;
          if (!id || !file) throw new UsageError('export needs SESSION_ID FILE');
          const r = await api(b).call('sessions.export', { sessionId: id, path: file });
          log(`wrote ${r.path}: ${r.artifacts} artifacts, ${r.bytes} bytes`);
          return EXIT.ok;
        });
      case 'import':
        return await withBackend(dataDir, async (b) => {
          const [file] = args.positionals;
          if (!file) throw new UsageError('import needs FILE');
          const r = await api(b).call('sessions.import', { path: file });
          log(r.alreadyPresent ? `session ${r.sessionId} was already in the library` : `imported session ${r.sessionId}`);
          out(`${r.sessionId}\n`);
          return EXIT.ok;
        });
      case 'inspect': {
        const [file] = args.positionals;
        if (!file) throw new UsageError('inspect needs a FILE');
        const { inspectFile } = await import('./inspect');
        const r = await inspectFile(file, { kind: flag('kind'), json: args.flags.has('json') });
        if (r.stdout) process.stdout.write(args.flags.has('json') ? terminalJson(r.stdout) : terminalText(r.stdout));
        if (r.stderr) log(r.stderr);
        return r.code === 2 ? EXIT.usage : r.code === 1 ? EXIT.failed : EXIT.ok;
      }
      case 'trace': {
        const [file] = args.positionals;
        if (!file) throw new UsageError('trace needs a FILE (a Go execution trace, e.g. from /debug/pprof/trace)');
        const { traceFile } = await import('./trace');
        const r = await traceFile(file, { json: args.flags.has('json'), perfetto: flag('perfetto') });
        if (r.stdout) process.stdout.write(args.flags.has('json') ? terminalJson(r.stdout) : terminalText(r.stdout));
        if (r.stderr) log(r.stderr);
        return r.code === 1 ? EXIT.failed : EXIT.ok;
      }
      case 'report': {
        const [target] = args.positionals;
        if (!target) throw new UsageError('report needs a SESSION_ID (see `gopherscope sessions`) or a BUNDLE file');
        const { reportCommand } = await import('./report');
        const r = await reportCommand(dataDir, target, args.flags.has('json'));
        if (r.stdout) process.stdout.write(args.flags.has('json') ? terminalJson(r.stdout) : terminalText(r.stdout));
        if (r.stderr) log(r.stderr);
        return r.code === 1 ? EXIT.failed : EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      log(`gopherscope: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof ExitError) {
      log(err.message);
      return err.code;
    }
    if (err instanceof ApiError) {
      log(`gopherscope: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}`);
      return err.code === 'process-gone' ? EXIT.processGone : ['connect-refused', 'connect-timeout', 'dns', 'auth-failed', 'not-connected'].includes(err.code) ? EXIT.connect : EXIT.failed;
    }
    log(`gopherscope: ${(err as Error).stack ?? String(err)}`);
    return EXIT.failed;
  }
}

async function serve(dataDir: string, host: string, port: number, identityDir: string | undefined): Promise<number> {
  const [{ createBackend }, { startServer }, { demoBundleIn }] = await Promise.all([loadBackend(), import('../serve/server'), import('../core/demo')]);
  const appRoot = findAppRoot(dirname(fileURLToPath(import.meta.url)));
  const backend = await createBackend({ dataDir, demoBundle: demoBundleIn(appRoot), ...(process.env.GOPHERSCOPE_USER_KNOWN_HOSTS ? { userKnownHostsFile: process.env.GOPHERSCOPE_USER_KNOWN_HOSTS } : {}) });
  const staticDir = join(appRoot, 'dist', 'renderer');
  const server = await startServer({ backend, staticDir, host, port, ...(identityDir ? { identityDirs: [resolve(identityDir)] } : {}) });
  out(`Gopherscope browser mode: ${server.url}\n`);
  log(`data folder: ${dataDir}`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await server.close();
  await backend.close();
  return EXIT.ok;
}

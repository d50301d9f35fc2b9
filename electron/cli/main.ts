/**
 * `gopherscope` on the command line: the same backend as the app, headless.
 * Progress and diagnostics go to stderr; results to stdout.
 */
import { existsSync } from 'node:fs';
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
import type { ImportedHost } from '../core/sshConfig';
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

/** Each command's usage, as `gopherscope COMMAND --help` prints it; `--help` prints them all. */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  serve: 'gopherscope serve [--port N] [--host 127.0.0.1] [--data-dir DIR] [--identity-dir DIR]',
  ps: 'gopherscope ps [user@]host[:port]|SSH_CONFIG_HOST [--identity FILE] [--jump SPEC] [--sudo] [--json] [--data-dir DIR]',
  capture: `gopherscope capture [user@]host[:port]|SSH_CONFIG_HOST --pid N [--out BUNDLE.tar.gz] [--trace-seconds S]
                      [--cpu-profile-seconds S] [--no-stacks] [--no-process-memory] [--no-mem-probes] [--pprof-port PORT]
                      [--sudo] [--identity FILE] [--jump SPEC] [--data-dir DIR]`,
  trust: 'gopherscope trust [user@]host[:port]|SSH_CONFIG_HOST --fingerprint SHA256:... [--hop HOST:PORT] [--jump SPEC] [--data-dir DIR]',
  sessions: 'gopherscope sessions [--json] [--data-dir DIR]',
  export: 'gopherscope export SESSION_ID FILE.tar.gz [--data-dir DIR]',
  import: 'gopherscope import FILE.tar.gz [--data-dir DIR]',
  inspect: 'gopherscope inspect FILE [--kind KIND] [--json]',
  trace: 'gopherscope trace FILE [--json] [--perfetto OUT.json]',
  report: 'gopherscope report SESSION_ID|BUNDLE.tar.gz [--json] [--data-dir DIR]',
};

const USAGE_NOTES = `--data-dir DIR is the library (sessions, hosts, known_hosts) shared with the desktop app;
default ${defaultDataDir()}. inspect and trace read only the FILE given.
A host name is read as ssh reads it: Host blocks of ~/.ssh/config give its HostName, User, Port,
IdentityFile and ProxyJump unless the command line does. Host keys are checked against
~/.ssh/known_hosts and Gopherscope's own known_hosts in the data folder.`;

const USAGE = `Usage:\n${Object.values(COMMAND_USAGE)
  .map((u) => `  ${u}`)
  .join('\n')}\n\n${USAGE_NOTES}`;

const usageOf = (command: string | undefined) => (command && COMMAND_USAGE[command] ? `Usage:\n  ${COMMAND_USAGE[command]}\n\n${USAGE_NOTES}` : USAGE);

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

/** ~/.ssh/config, or the file GOPHERSCOPE_SSH_CONFIG names (tests; a user with another config). */
const sshConfigFile = () => process.env.GOPHERSCOPE_SSH_CONFIG;

/** [user@]host[:port] with ~/.ssh/config applied to the host as ssh applies it; what the spec says itself wins. */
function resolveSpec(resolveSshHost: typeof import('../core/sshConfig').resolveSshHost, spec: string): { name: string; user: string; hostname: string; port: number; config: ImportedHost | null } {
  const t = parseTarget(spec, userInfo().username);
  const hostPart = spec.slice(spec.lastIndexOf('@') + 1);
  const explicitPort = /^\[[^\]]+\]:\d+$|^[^:]+:\d+$/.test(hostPart);
  const resolved = resolveSshHost(t.hostname, sshConfigFile());
  for (const w of resolved?.warnings ?? []) log(`~/.ssh/config: ${w}`);
  const c = resolved?.host ?? null;
  if (c?.unsupported.length) log(`~/.ssh/config for ${field(t.hostname)}: not applied (${c.unsupported.map(field).join('; ')}); Gopherscope connects without them`);
  return { name: t.hostname, user: spec.includes('@') ? t.user : (c?.user ?? t.user), hostname: c?.hostname ?? t.hostname, port: explicitPort ? t.port : (c?.port ?? t.port), config: c };
}

const specOf = (user: string, hostname: string, port: number) => `${user}@${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;

/**
 * Finds or records the host so CLI captures show up in the app's library under it. A new host is
 * labelled as the app labels one: the ~/.ssh/config alias, or else the host name (Add host's default).
 */
async function hostFor(b: Backend, spec: string, flags: HostFlags): Promise<Host> {
  const { resolveSshHost } = await import('../core/sshConfig');
  const t = resolveSpec(resolveSshHost, spec);
  const identityFile = flags.identity !== undefined ? resolve(flags.identity) : t.config?.identityFiles.find((f) => existsSync(f));
  // ProxyJump hops of the config may be aliases themselves, as ssh reads them.
  const jump =
    flags.jump !== undefined
      ? flags.jump
          .split(',')
          .map((j) => j.trim())
          .filter(Boolean)
      : (t.config?.proxyJump ?? []).map((hop) => {
          const h = resolveSpec(resolveSshHost, hop);
          return specOf(h.user, h.hostname, h.port);
        });
  const hosts = await api(b).call('hosts.list', {});
  const found = hosts.find(
    (h) => h.hostname === t.hostname && h.port === t.port && h.user === t.user && h.identityFile === identityFile && h.jump.join(',') === jump.join(',') && h.useSudo === flags.sudo,
  );
  if (found) return found;
  const strict = t.config?.strictHostKeyChecking;
  return api(b).call('hosts.add', {
    label: t.name,
    hostname: t.hostname,
    port: t.port,
    user: t.user,
    ...(identityFile ? { identityFile } : {}),
    ...(t.config?.identitiesOnly ? { identitiesOnly: true } : {}),
    jump,
    ...(strict === 'yes' || strict === 'accept-new' ? { strictHostKeyChecking: strict } : {}),
    useSudo: flags.sudo,
  });
}

/** A value as a POSIX shell word, for commands the CLI suggests. */
const shellWord = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

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

/** The session as a bundle file: `export`, and `capture --out`, write the same. */
async function exportTo(b: Backend, sessionId: string, file: string): Promise<void> {
  const r = await api(b).call('sessions.export', { sessionId, path: file });
  log(`wrote ${r.path}: ${r.artifacts} artifacts, ${r.bytes} bytes`);
}

class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** `dataDirFlag`: the --data-dir the user gave, repeated in the commands we suggest. */
async function connect(b: Backend, host: Host, dataDirFlag: string | undefined): Promise<void> {
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
      const dirFlag = dataDirFlag === undefined ? '' : ` --data-dir ${shellWord(dataDirFlag)}`;
      throw new ExitError(
        EXIT.hostKey,
        `The host key of ${named(hop)} is not known.\n  ${r.presented.keyType} ${r.presented.fingerprint}\nIf that fingerprint is right (compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on that host), trust it with:\n  gopherscope trust ${specOf(host.user, host.hostname, host.port)}${jumpFlag}${hopFlag}${dirFlag} --fingerprint ${r.presented.fingerprint}\nor add it to ~/.ssh/known_hosts by connecting once with ssh.`,
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
    if (args.flags.has('help')) {
      process.stdout.write(`${usageOf(command)}\n`);
      return EXIT.ok;
    }
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
          if (!spec) throw new UsageError('ps needs [user@]host[:port] or a ~/.ssh/config host');
          const host = await hostFor(b, spec, hostFlags);
          await connect(b, host, flag('data-dir'));
          const { processes: list, partial } = await api(b).call('processes.list', { hostId: host.id });
          // A partial list still prints what was read, says why on stderr, and exits 1: a PID missing from it may still run.
          if (partial) log(`warning: partial process list: ${field(partial)}`);
          const code = partial ? EXIT.failed : EXIT.ok;
          if (args.flags.has('json')) {
            outJson(list);
            return code;
          }
          out(`${'PID'.padStart(7)} ${'USER'.padEnd(10)} ${'RSS'.padStart(10)} ${'THR'.padStart(4)} GO          COMMAND\n`);
          for (const p of list) {
            const go = p.go.kind === 'go' ? field(p.go.goVersion ?? 'go') : p.go.kind === 'unknown' ? '?' : '-';
            const rss = p.rssKiB === null ? '-' : `${(p.rssKiB / 1024).toFixed(1)}M`;
            out(
              `${String(p.pid).padStart(7)} ${field(p.user).slice(0, 10).padEnd(10)} ${rss.padStart(10)} ${String(p.threads ?? '-').padStart(4)} ${go.padEnd(11)} ${field(p.command).slice(0, 120)}\n`,
            );
          }
          return code;
        });
      case 'capture':
        return await withBackend(dataDir, async (b) => {
          const spec = args.positionals[0];
          const pid = Number(flag('pid'));
          if (!spec || !Number.isInteger(pid) || pid < 1) throw new UsageError('capture needs [user@]host[:port] and --pid N');
          const host = await hostFor(b, spec, hostFlags);
          await connect(b, host, flag('data-dir'));
          const printed = new Set<string>();
          const finished = new Promise<{ status: string; reason: string | null; sessionId: string }>((resolveDone) => {
            b.onEvent((event, payload) => {
              if (event === 'capture.progress') {
                const p = payload as { step: string; done: number; total: number };
                // A step is reported when it starts and again when it ends: one line each.
                if (printed.has(p.step)) return;
                printed.add(p.step);
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
          if (outFile && done.status !== 'failed') await exportTo(b, done.sessionId, outFile);
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
          await exportTo(b, id, file);
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
      log(`gopherscope: ${err.message}\n\n${usageOf(command)}`);
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
  const backend = await createBackend({
    dataDir,
    demoBundle: demoBundleIn(appRoot),
    ...(process.env.GOPHERSCOPE_USER_KNOWN_HOSTS ? { userKnownHostsFile: process.env.GOPHERSCOPE_USER_KNOWN_HOSTS } : {}),
  });
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

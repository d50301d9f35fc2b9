/**
 * The backend: implements every contract method on top of the store, the
 * known_hosts files and one SSH connection per host (shared by listings,
 * captures and terminals). Electron main, browser mode, the CLI and the tests
 * all use this one object.
 */
import { NAMES } from '../../shared/artifacts/registry';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ConnectResult, EventName, EventPayload, Host, ProcessInfo } from '../../shared/contract/api';
import type { Handlers } from '../../shared/contract/dispatch';
import { ApiError, messageOf } from '../../shared/contract/errors';
import type { Backend, BackendOptions, EventListener } from './backendTypes';
import { exportSession, importBundle } from './bundles';
import { startCapture } from './capture';
import { openDemo } from './demo';
import { KnownHosts, fingerprintOf, keyTypeOf } from './knownHosts';
import { GoTraceTool } from './goTraceTool';
import { listProcesses } from './processes';
import { PromptBroker } from './prompts';
import { noSecretStore } from './secrets';
import { importSshConfig } from './sshConfig';
import { connectSsh, type ConnectOutcome, type SshConnection, type SshTarget } from './sshConnection';
import { Store } from './store';
import { probeSudo } from './sudo';
import { parseTargetSpec } from './targetSpec';
import { Terminals } from './terminals';

export type { Backend, BackendOptions } from './backendTypes';

const gzipAsync = promisify(gzip);

/** OpenSSH's default identities, tried when a host names none. */
export function defaultIdentities(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(homedir(), '.ssh', name)).filter((p) => existsSync(p));
}

function jumpTargets(host: Host): SshTarget[] {
  return host.jump.map((spec) => {
    const t = parseTargetSpec(spec, host.user);
    if (!t) throw new ApiError('invalid-input', `Cannot read jump hop ${JSON.stringify(spec)}; expected [user@]host[:port].`);
    return { ...t, ...(host.identityFile ? { identityFile: host.identityFile } : {}) };
  });
}

function toConnectResult(hostId: string, outcome: Extract<ConnectOutcome, { kind: 'host-key' }>): ConnectResult {
  const presented = { keyType: outcome.key.keyType, fingerprint: outcome.key.fingerprint, keyBase64: outcome.key.keyBase64 };
  const v = outcome.verdict;
  if (v.kind === 'unknown') return { status: 'unknown-host-key', hostId, presented, hop: outcome.hop, canTrust: outcome.canTrust, notes: [...v.notes] };
  if (v.kind === 'revoked') return { status: 'revoked-host-key', hostId, presented, source: `${v.entry.source}:${v.entry.line}`, hop: outcome.hop };
  return {
    status: 'changed-host-key',
    hostId,
    presented,
    hop: outcome.hop,
    expected: v.expected.map((e) => ({ keyType: e.keyType, fingerprint: fingerprintOf(e.keyBase64), source: `${e.source}:${e.line}` })),
  };
}

export async function createBackend(opts: BackendOptions): Promise<Backend> {
  const store = await Store.open(opts.dataDir);
  const knownHosts = new KnownHosts([opts.userKnownHostsFile ?? join(homedir(), '.ssh', 'known_hosts')], join(opts.dataDir, 'known_hosts'));
  const secrets = opts.secretStore ?? noSecretStore('Secrets are never stored outside the desktop app’s OS keychain; this mode asks each time.');
  const listeners = new Set<EventListener>();
  const connections = new Map<string, SshConnection>();
  const connecting = new Map<string, Promise<ConnectResult>>();
  const lastProcesses = new Map<string, Map<number, ProcessInfo>>();
  const captures = new Map<string, { controller: AbortController; done: Promise<void> }>();

  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const l of listeners) {
      try {
        l(event, payload);
      } catch {
        // a broken listener must not break the backend
      }
    }
  };
  const goTrace = new GoTraceTool();
  const prompts = new PromptBroker((p) => emit('auth.prompt', p), secrets);
  const terminals = new Terminals(
    (p) => emit('terminal.data', p),
    (p) => emit('terminal.exit', p),
  );

  const connection = (hostId: string): SshConnection => {
    const c = connections.get(hostId);
    if (!c || !c.isOpen) throw new ApiError('not-connected', 'Not connected to this host.', 'Connect to the host first.');
    return c;
  };
  const doConnect = async (hostId: string): Promise<ConnectResult> => {
    const host = await store.getHost(hostId);
    const existing = connections.get(hostId);
    if (existing?.isOpen) return { status: 'connected', hostId, fingerprint: '' };
    emit('ssh.state', { hostId, state: 'connecting', reason: null });
    let outcome: ConnectOutcome;
    try {
      outcome = await connectSsh(
        { hostname: host.hostname, port: host.port, user: host.user, identityFile: host.identityFile },
        {
          knownHosts,
          strictHostKeyChecking: host.strictHostKeyChecking,
          jumps: jumpTargets(host),
          prompt: prompts.forHost(hostId),
          agentSocket: opts.agentSocket ?? process.env.SSH_AUTH_SOCK,
          identitiesOnly: host.identitiesOnly,
          defaultIdentities: defaultIdentities(),
        },
      );
    } catch (err) {
      emit('ssh.state', { hostId, state: 'failed', reason: messageOf(err) });
      throw err;
    }
    if (outcome.kind === 'host-key') {
      emit('ssh.state', { hostId, state: 'failed', reason: `host key ${outcome.verdict.kind} for ${outcome.hop}` });
      return toConnectResult(hostId, outcome);
    }
    const conn = outcome.connection;
    connections.set(hostId, conn);
    conn.onClose((reason) => {
      if (connections.get(hostId) === conn) connections.delete(hostId);
      terminals.closeHost(hostId);
      emit('ssh.state', { hostId, state: 'disconnected', reason });
    });
    emit('ssh.state', { hostId, state: 'connected', reason: null });
    return { status: 'connected', hostId, fingerprint: outcome.key.fingerprint };
  };

  const handlers: Handlers = {
    'hosts.list': async () => store.listHosts(),
    'hosts.add': async (input) => store.addHost(input),
    'hosts.remove': async ({ hostId }) => {
      terminals.closeHost(hostId);
      connections.get(hostId)?.end();
      connections.delete(hostId);
      return { removed: await store.removeHost(hostId) };
    },
    'hosts.trustKey': async ({ hostId, keyBase64, hop }) => {
      const host = await store.getHost(hostId);
      if (host.strictHostKeyChecking === 'yes') {
        throw new ApiError(
          'host-key',
          'This host uses StrictHostKeyChecking=yes: keys are trusted only through known_hosts.',
          'Add the key to ~/.ssh/known_hosts after checking its fingerprint, or change the host’s setting.',
        );
      }
      const blob = Buffer.from(keyBase64, 'base64');
      const keyType = keyTypeOf(blob);
      if (keyType === 'unknown' || blob.toString('base64') !== keyBase64) throw new ApiError('invalid-input', 'That is not an SSH public key blob.');
      // Trust goes to the hop that presented this key: the target, or the jump host named by `hop`.
      const chain = [...jumpTargets(host), { hostname: host.hostname, port: host.port }];
      const target = hop === undefined ? chain[chain.length - 1]! : chain.find((c) => `${c.hostname}:${c.port}` === hop);
      if (!target) throw new ApiError('invalid-input', `${hop} is not a hop of this host's connection.`);
      await knownHosts.trust(target.hostname, target.port, keyType, keyBase64);
      return { fingerprint: fingerprintOf(keyBase64) };
    },
    'ssh.connect': async ({ hostId }) => {
      // One connection per host: concurrent connects share one attempt.
      const pending = connecting.get(hostId);
      if (pending) return pending;
      const p = doConnect(hostId).finally(() => connecting.delete(hostId));
      connecting.set(hostId, p);
      return p;
    },
    'ssh.disconnect': async ({ hostId }) => {
      const c = connections.get(hostId);
      connections.delete(hostId);
      terminals.closeHost(hostId);
      c?.end();
      if (c) emit('ssh.state', { hostId, state: 'disconnected', reason: 'disconnected by the user' });
      return { ok: c !== undefined };
    },
    'ssh.states': async () => [
      ...[...connections].filter(([, c]) => c.isOpen).map(([hostId]) => ({ hostId, state: 'connected' as const, reason: null })),
      ...[...connecting.keys()].filter((id) => !connections.get(id)?.isOpen).map((hostId) => ({ hostId, state: 'connecting' as const, reason: null })),
    ],
    'sshConfig.read': async ({ path }) => {
      const file = path ?? opts.sshConfigFile ?? join(homedir(), '.ssh', 'config');
      try {
        const r = importSshConfig(file);
        return { path: file, hosts: r.hosts.map((h) => ({ ...h, identityFiles: [...h.identityFiles], proxyJump: [...h.proxyJump], unsupported: [...h.unsupported] })), warnings: [...r.warnings] };
      } catch (err) {
        throw new ApiError('not-found', `Cannot read ${file}: ${(err as Error).message}`, 'Give the path of an OpenSSH client config file.');
      }
    },
    'auth.respond': async ({ promptId, answers, remember }) => ({ accepted: prompts.respond(promptId, answers, remember) }),
    'sudo.probe': async ({ hostId }) => probeSudo(connection(hostId)),
    'terminal.open': async ({ hostId, cols, rows }) => ({ terminalId: await terminals.open(hostId, connection(hostId), cols, rows) }),
    'terminal.input': async ({ terminalId, data }) => {
      terminals.input(terminalId, data);
      return { ok: true };
    },
    'terminal.resize': async ({ terminalId, cols, rows }) => {
      terminals.resize(terminalId, cols, rows);
      return { ok: true };
    },
    'terminal.ack': async ({ terminalId, chars }) => {
      terminals.ack(terminalId, chars);
      return { ok: true };
    },
    'terminal.flow': async ({ terminalId }) => terminals.flow(terminalId),
    'terminal.close': async ({ terminalId }) => {
      terminals.close(terminalId);
      return { ok: true };
    },
    'processes.list': async ({ hostId }) => {
      const host = await store.getHost(hostId);
      const list = await listProcesses(connection(hostId), { sudo: host.useSudo });
      lastProcesses.set(hostId, new Map(list.processes.map((p) => [p.pid, p])));
      return list;
    },
    'capture.start': async (request) => {
      const host = await store.getHost(request.hostId);
      const listed = lastProcesses.get(host.id)?.get(request.pid);
      const knownGo = listed?.go;
      const started = await startCapture({ conn: connection(host.id), store, host, request, ...(knownGo ? { knownGo } : {}), ...(listed?.kernelThread ? { knownKernelThread: true } : {}), emit });
      const done = started.done.finally(() => captures.delete(started.captureId));
      captures.set(started.captureId, { controller: started.controller, done });
      return { captureId: started.captureId, sessionId: started.sessionId };
    },
    'capture.cancel': async ({ captureId }) => {
      const c = captures.get(captureId);
      if (!c) return { cancelled: false };
      c.controller.abort();
      await c.done;
      return { cancelled: true };
    },
    'sessions.list': async (filter) => store.listSessions(filter),
    'sessions.update': async ({ sessionId, notes, tags }) => store.updateSession(sessionId, { notes, tags }),
    // Only the desktop app's main process has a dialog: ipcMain.ts answers this method itself.
    'files.pick': async () => {
      throw new ApiError(
        'invalid-input',
        'There is no file dialog here: only the desktop app can choose files for the page.',
        'In browser mode Export downloads a bundle and Import uploads one (or use the CLI: `gopherscope export SESSION FILE`, `gopherscope import FILE`); identity files go in the folder `gopherscope serve --identity-dir` names (default ~/.ssh).',
      );
    },
    'sessions.export': async ({ sessionId, path }) => ({ path: resolve(path), ...(await exportSession(store, sessionId, resolve(path))) }),
    'sessions.import': async ({ path, transferId }) =>
      importBundle(store, resolve(path), transferId === undefined ? undefined : (done, total) => emit('bundles.progress', { transferId, phase: 'import', done, total })),
    'sessions.open': async ({ sessionId }) => store.openSession(sessionId),
    'demo.open': async () => openDemo(store, opts.demoBundle),
    'artifacts.read': async ({ artifactId, maxBytes, encoding, offset }) => {
      const a = await store.getArtifact(artifactId);
      if (!a.sha256) return { text: '', sizeBytes: 0, truncated: false, encoding: encoding ?? 'text' };
      const limit = maxBytes ?? 16 * 1024 * 1024;
      const from = offset ?? 0;
      const { bytes, size } = await store.blobs.read(a.sha256, limit, from);
      if (encoding === 'base64') return { text: bytes.toString('base64'), sizeBytes: size, truncated: from + bytes.length < size, encoding };
      // zlib runs on libuv's thread pool, off the main thread; level 1 is fast and enough for /proc text.
      if (encoding === 'gzip-base64') return { text: (await gzipAsync(bytes, { level: 1 })).toString('base64'), sizeBytes: size, truncated: from + bytes.length < size, encoding };
      // NUL-separated files (environ, cmdline) read better one entry per line.
      const text = a.name === NAMES.environ || a.name === NAMES.cmdline ? bytes.toString('utf8').replace(/\0/g, '\n') : bytes.toString('utf8');
      return { text, sizeBytes: size, truncated: from + bytes.length < size, encoding: 'text' };
    },
    'tools.goTrace.status': async () => {
      const s = await goTrace.status();
      return { available: s.available, goVersion: s.goVersion, reason: s.reason };
    },
    'tools.goTrace.build': async () => {
      const b = await goTrace.build();
      return { goVersion: b.goVersion, durationMs: b.durationMs };
    },
    'tools.goTrace.close': async ({ artifactIds }) => {
      const keys: string[] = [];
      for (const id of artifactIds) {
        const a = await store.getArtifact(id).catch(() => null);
        if (a?.sha256) keys.push(a.sha256);
      }
      return { stopped: goTrace.close(keys) };
    },
    'tools.goTrace.open': async ({ artifactId }) => {
      const a = await store.getArtifact(artifactId);
      if (!a.sha256) throw new ApiError('not-found', `${a.name} has no stored content (${a.status}${a.reason ? `: ${a.reason}` : ''}).`);
      if (a.name !== NAMES.trace) throw new ApiError('invalid-input', `${a.name} is not an execution trace.`);
      const r = await goTrace.open(a.sha256, store.blobs.pathOf(a.sha256));
      if (!opts.openUrl) return { ...r, opened: false };
      return { ...r, opened: await opts.openUrl(r.url) };
    },
  };

  return {
    handlers,
    dataDir: opts.dataDir,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      goTrace.closeAll();
      prompts.cancelAll();
      terminals.closeAll();
      for (const c of captures.values()) c.controller.abort();
      await Promise.all([...captures.values()].map((c) => c.done.catch(() => undefined)));
      for (const c of connections.values()) c.end();
      connections.clear();
      await store.close();
    },
  };
}

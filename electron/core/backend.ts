/**
 * The backend: implements every contract method on top of the store, the
 * known_hosts files and one SSH connection per host. Electron main, browser
 * mode, the CLI and the tests all use this one object.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EventName, EventPayload, ProcessInfo } from '../../shared/contract/api';
import type { Handlers } from '../../shared/contract/dispatch';
import { ApiError } from '../../shared/contract/errors';
import type { Backend, BackendOptions, EventListener } from './backendTypes';
import { newCaptureId, runCapture } from './capture';
import { collect } from './frameCollector';
import { KnownHosts, fingerprintOf, keyTypeOf } from './knownHosts';
import { detectGo, listProcesses } from './processes';
import { newNonce, captureScript } from './remoteScripts';
import { connectSsh, type SshConnection } from './sshConnection';
import { Store } from './store';
import { parseProcStatus } from '../../shared/parsers/procStatus';

export type { Backend, BackendOptions } from './backendTypes';

/** OpenSSH's default identities, tried when a host names none. */
export function defaultIdentity(): string | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = join(homedir(), '.ssh', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function createBackend(opts: BackendOptions): Promise<Backend> {
  const store = await Store.open(opts.dataDir);
  const knownHosts = new KnownHosts([opts.userKnownHostsFile ?? join(homedir(), '.ssh', 'known_hosts')], join(opts.dataDir, 'known_hosts'));
  const listeners = new Set<EventListener>();
  const connections = new Map<string, SshConnection>();
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

  const connection = (hostId: string): SshConnection => {
    const c = connections.get(hostId);
    if (!c || !c.isOpen) throw new ApiError('not-connected', 'Not connected to this host.', 'Connect to the host first.');
    return c;
  };

  const handlers: Handlers = {
    'hosts.list': async () => store.listHosts(),
    'hosts.add': async (input) => store.addHost(input),
    'hosts.remove': async ({ hostId }) => {
      connections.get(hostId)?.end();
      connections.delete(hostId);
      return { removed: await store.removeHost(hostId) };
    },
    'hosts.trustKey': async ({ hostId, keyBase64 }) => {
      const host = await store.getHost(hostId);
      const blob = Buffer.from(keyBase64, 'base64');
      const keyType = keyTypeOf(blob);
      if (keyType === 'unknown' || blob.toString('base64') !== keyBase64) throw new ApiError('invalid-input', 'That is not an SSH public key blob.');
      await knownHosts.trust(host.hostname, host.port, keyType, keyBase64);
      return { fingerprint: fingerprintOf(keyBase64) };
    },
    'ssh.connect': async ({ hostId }) => {
      const host = await store.getHost(hostId);
      const existing = connections.get(hostId);
      if (existing?.isOpen) return { status: 'connected', hostId, fingerprint: '' };
      emit('ssh.state', { hostId, state: 'connecting', reason: null });
      let outcome;
      try {
        outcome = await connectSsh({ hostname: host.hostname, port: host.port, user: host.user, identityFile: host.identityFile ?? defaultIdentity() }, knownHosts);
      } catch (err) {
        emit('ssh.state', { hostId, state: 'failed', reason: err instanceof Error ? err.message : String(err) });
        throw err;
      }
      if (outcome.kind === 'host-key') {
        const presented = { keyType: outcome.key.keyType, fingerprint: outcome.key.fingerprint, keyBase64: outcome.key.keyBase64 };
        const v = outcome.verdict;
        emit('ssh.state', { hostId, state: 'failed', reason: `host key ${v.kind}` });
        if (v.kind === 'unknown') return { status: 'unknown-host-key', hostId, presented };
        if (v.kind === 'revoked') return { status: 'revoked-host-key', hostId, presented, source: `${v.entry.source}:${v.entry.line}` };
        return {
          status: 'changed-host-key',
          hostId,
          presented,
          expected: v.expected.map((e) => ({ keyType: e.keyType, fingerprint: fingerprintOf(e.keyBase64), source: `${e.source}:${e.line}` })),
        };
      }
      const conn = outcome.connection;
      connections.set(hostId, conn);
      conn.onClose((reason) => {
        if (connections.get(hostId) === conn) connections.delete(hostId);
        emit('ssh.state', { hostId, state: 'disconnected', reason });
      });
      emit('ssh.state', { hostId, state: 'connected', reason: null });
      return { status: 'connected', hostId, fingerprint: outcome.key.fingerprint };
    },
    'ssh.disconnect': async ({ hostId }) => {
      const c = connections.get(hostId);
      connections.delete(hostId);
      c?.end();
      if (c) emit('ssh.state', { hostId, state: 'disconnected', reason: 'disconnected by the user' });
      return { ok: c !== undefined };
    },
    'processes.list': async ({ hostId }) => {
      const list = await listProcesses(connection(hostId));
      lastProcesses.set(hostId, new Map(list.map((p) => [p.pid, p])));
      return list;
    },
    'capture.start': async ({ hostId, pid }) => {
      const host = await store.getHost(hostId);
      const conn = connection(hostId);
      // Check the process exists before any row is written, so a vanished PID leaves nothing behind.
      const nonce = newNonce();
      const probe = await collect(conn, captureScript(nonce, pid, [{ name: 'proc/status', path: `/proc/${pid}/status`, cap: 64 * 1024 }]), {
        nonce,
        timeoutMs: 15_000,
        maxTotalBytes: 1024 * 1024,
        capFor: () => 64 * 1024,
      });
      const status = probe.files.get('proc/status');
      if (probe.gone || !status || status.rc !== 0) {
        throw new ApiError('process-gone', `Process ${pid} does not exist on ${host.label}.`, 'Refresh the process list and pick a running process.');
      }
      const parsed = parseProcStatus(status.bytes.toString('utf8'));
      const goMark = lastProcesses.get(hostId)?.get(pid)?.go ?? (await detectGo(conn, [pid])).get(pid);
      const sessionId = await store.beginSession({
        hostId,
        hostLabel: host.label,
        pid,
        processName: parsed.ok ? parsed.value.name : `pid ${pid}`,
        goVersion: goMark?.goVersion ?? null,
      });
      const captureId = newCaptureId();
      const controller = new AbortController();
      const done = (async () => {
        try {
          const outcome = await runCapture(conn, store, sessionId, pid, controller.signal, {
            progress: (step, n, total) => emit('capture.progress', { captureId, sessionId, step, done: n, total }),
          });
          emit('capture.finished', { captureId, sessionId, status: outcome.status, reason: outcome.reason });
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          await store.finishSession(sessionId, 'failed', reason, []).catch(() => undefined);
          emit('capture.finished', { captureId, sessionId, status: 'failed', reason });
        } finally {
          captures.delete(captureId);
        }
      })();
      captures.set(captureId, { controller, done });
      return { captureId, sessionId };
    },
    'capture.cancel': async ({ captureId }) => {
      const c = captures.get(captureId);
      if (!c) return { cancelled: false };
      c.controller.abort();
      await c.done;
      return { cancelled: true };
    },
    'sessions.list': async () => store.listSessions(),
    'sessions.open': async ({ sessionId }) => store.openSession(sessionId),
    'artifacts.read': async ({ artifactId, maxBytes }) => {
      const a = await store.getArtifact(artifactId);
      if (!a.sha256) return { text: '', sizeBytes: 0, truncated: false };
      const limit = maxBytes ?? 16 * 1024 * 1024;
      const { bytes, size } = await store.blobs.read(a.sha256, limit);
      // NUL-separated files (environ, cmdline) read better one entry per line.
      const text = a.name === 'proc/environ' || a.name === 'proc/cmdline' ? bytes.toString('utf8').replace(/\0/g, '\n') : bytes.toString('utf8');
      return { text, sizeBytes: size, truncated: size > bytes.length };
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
      for (const c of captures.values()) c.controller.abort();
      await Promise.all([...captures.values()].map((c) => c.done.catch(() => undefined)));
      for (const c of connections.values()) c.end();
      connections.clear();
      await store.close();
    },
  };
}

/**
 * One capture of a lab target through the real backend into a data folder,
 * then the backend closed: for tests and benches that open the stored
 * session afterwards (offline) in browser mode.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodInput } from '../../shared/contract/api';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import type { Lab } from './lab';

export async function captureLabSession(
  lab: Lab,
  dataDir: string,
  input: Omit<MethodInput<'capture.start'>, 'hostId'>,
  /** Log in as another lab user (the lab's client key is authorized for every user), with or without sudo -n. */
  login: { user?: string; useSudo?: boolean } = {},
): Promise<{ sessionId: string; knownHosts: string }> {
  const knownHosts = join(dataDir, 'kh');
  writeFileSync(knownHosts, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
  const backend = await createBackend({ dataDir, userKnownHostsFile: knownHosts, agentSocket: '' });
  try {
    const api = inProcessApi(backend);
    const host = await api.call('hosts.add', {
      label: 'lab',
      hostname: '127.0.0.1',
      port: lab.sshd.port,
      user: login.user ?? lab.sshd.user,
      identityFile: lab.sshd.clientKeyPath,
      ...(login.useSudo ? { useSudo: true } : {}),
    });
    await api.call('ssh.connect', { hostId: host.id });
    const started = await api.call('capture.start', { hostId: host.id, ...input });
    await new Promise<void>((resolve) => api.on('capture.finished', (f) => f.captureId === started.captureId && resolve()));
    return { sessionId: started.sessionId, knownHosts };
  } finally {
    await backend.close();
  }
}

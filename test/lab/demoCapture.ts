/**
 * The first-run demo's incident, captured from the real lab through the real backend and exported
 * in the bundle format: the lab's service target in a cgroup of 0.5 CPU and 256 MiB, started with
 * GOMAXPROCS=8 (far above the quota: throttling), no GOMEMLIMIT, 5,000 goroutines parked forever
 * on one channel (a leak once they have waited a minute), a retained heap and steady garbage; with
 * native stacks, a CPU profile and a short execution trace, so every view has something to show.
 * A few credentials are planted in its environment: the capture redacts them, and the bundle's
 * redaction record names them (`DEMO_PLANTED` in test/support/demoIncident.ts; electron/core/demo.test.ts
 * greps the bundle for them).
 *
 * test/fixtures/regenerate-demo.ts writes demo/incident.tar.gz with it; the demo test runs it again
 * (test/integration/demo-bundle.test.ts) with a short settle to hold the committed bundle to what it produces.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { DEMO_ARGS, DEMO_GOMAXPROCS, DEMO_LIMITS, DEMO_PLANTED } from '../support/demoIncident';
import { createLab } from './lab';

export interface DemoCaptureOptions {
  /** How long the target runs before the capture: past a minute, its parked goroutines read as a leak. */
  readonly settleMs: number;
  readonly log?: (line: string) => void;
}

/** Captures the demo incident and exports it to `file`; returns the export's size and artifact count. */
export async function captureDemo(file: string, opts: DemoCaptureOptions): Promise<{ bytes: number; artifacts: number }> {
  const log = opts.log ?? (() => undefined);
  const lab = await createLab();
  const dir = mkdtempSync(join(tmpdir(), 'gs-demo-'));
  try {
    const target = await lab.startGoService({
      ...DEMO_LIMITS,
      args: DEMO_ARGS,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', GOMAXPROCS: String(DEMO_GOMAXPROCS), GODEBUG: 'madvdontneed=1', ...Object.fromEntries(DEMO_PLANTED.map((p) => [p.name, p.value])) },
    });
    log(`target ${target.pid} (${target.goVersion}) started; settling ${Math.round(opts.settleMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, opts.settleMs));
    const kh = join(dir, 'kh');
    writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
    const backend = await createBackend({ dataDir: join(dir, 'data'), userKnownHostsFile: kh, agentSocket: '' });
    try {
      const api = inProcessApi(backend);
      const host = await api.call('hosts.add', { label: 'demo-lab', hostname: '127.0.0.1', port: lab.sshd.port, user: lab.sshd.user, identityFile: lab.sshd.clientKeyPath });
      await api.call('ssh.connect', { hostId: host.id });
      const { captureId, sessionId } = await api.call('capture.start', {
        hostId: host.id,
        pid: target.pid,
        stacks: true,
        stackTools: ['eu-stack'],
        cpuProfileSeconds: 2,
        traceSeconds: 1,
        pprofPort: Number(target.pprofAddr!.split(':')[1]),
      });
      const finished = await new Promise<{ status: string; reason: string | null }>((resolve) => api.on('capture.finished', (f) => f.captureId === captureId && resolve(f)));
      if (finished.status !== 'complete') throw new Error(`the demo capture ended ${finished.status}: ${finished.reason}`);
      return await api.call('sessions.export', { sessionId, path: file });
    } finally {
      await backend.close();
    }
  } finally {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a lab target, inside its cgroup before the Go runtime starts (so
 * GOMAXPROCS and the heap limit see the container), and waits for READY.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { LabCgroup } from './cgroup';
import { onTeardown, stopChild } from './teardown';

export interface TargetOptions {
  readonly binary: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cgroup?: LabCgroup;
  readonly readyTimeoutMs?: number;
  /** Run as this user (uid and gid) instead of the lab's root, for tests of what another user can read. */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export interface RunningTarget {
  readonly pid: number;
  readonly pprofAddr: string | null;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

// The shell joins the cgroup with its own PID, then execs the target: the
// process is inside the limits from its first instruction. The cgroup files
// come from the environment, never from the command text.
const JOIN_AND_EXEC = 'for f in $GS_LAB_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; unset GS_LAB_CGROUP_PROCS; exec "$@"';

export async function startTarget(opts: TargetOptions): Promise<RunningTarget> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env };
  let child: ChildProcess;
  if (opts.cgroup) {
    env.GS_LAB_CGROUP_PROCS = opts.cgroup.procsFiles.join(' ');
    child = spawn('/bin/sh', ['-c', JOIN_AND_EXEC, 'sh', opts.binary, ...(opts.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    child = spawn(opts.binary, [...(opts.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}) });
  }
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    if (out.length < 1 << 20) out += d;
  });
  child.stderr!.on('data', (d) => {
    if (err.length < 1 << 20) err += d;
  });
  const unregister = onTeardown(`target ${child.pid}`, () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`target ${opts.binary} not READY in time; stdout: ${out} stderr: ${err}`)), opts.readyTimeoutMs ?? 15_000);
    const check = () => {
      if (/^READY$/m.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`target exited with ${code} before READY: ${err}${code === 97 ? ' (could not join the cgroup)' : ''}`));
    });
  });
  const pprof = /^PPROF_ADDR=(\S+)$/m.exec(out)?.[1] ?? null;
  return {
    pid: child.pid!,
    pprofAddr: pprof,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      await stopChild(child);
      unregister();
    },
  };
}

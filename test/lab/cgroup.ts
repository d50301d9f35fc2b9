/**
 * Real cgroups with a memory limit and a CPU quota for lab targets, on
 * cgroup v2 (unified, /sys/fs/cgroup/cgroup.controllers) or v1 (one
 * hierarchy per controller).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTeardown } from './teardown';

export interface CgroupOptions {
  readonly memoryMaxBytes?: number;
  readonly cpuQuotaUs?: number;
  readonly cpuPeriodUs?: number;
  readonly name?: string;
}

export interface LabCgroup {
  readonly version: 1 | 2;
  /** controller (memory, cpu; 'unified' on v2, and on a hybrid v1 host) → folder */
  readonly paths: Readonly<Record<string, string>>;
  /** As /proc/PID/cgroup shows it: the unified line on v2, the memory line on v1. */
  readonly relativePath: string;
  /** The file a PID is written to for it to join. */
  readonly procsFiles: readonly string[];
  addPid(pid: number): Promise<void>;
  destroy(): Promise<void>;
}

const ROOT = '/sys/fs/cgroup';

export function detectCgroupVersion(): 1 | 2 {
  return existsSync(join(ROOT, 'cgroup.controllers')) ? 2 : 1;
}

function v1Mount(controller: 'memory' | 'cpu'): string {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  for (const line of mounts) {
    const [, mnt, fstype, options] = line.split(' ');
    if (fstype === 'cgroup' && options?.split(',').includes(controller)) return mnt!;
  }
  throw new Error(`no cgroup v1 hierarchy with the ${controller} controller is mounted`);
}

/** A hybrid host's cgroup2 hierarchy (systemd mounts it at /sys/fs/cgroup/unified), or null. */
function hybridUnifiedMount(): string | null {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, mnt, fstype] = line.split(' ');
    if (fstype === 'cgroup2' && mnt) return mnt;
  }
  return null;
}

function tryWrite(file: string, value: string, what: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    throw new Error(`cannot set ${what} (${file} = ${value}): ${(err as Error).message}. The lab needs root and a writable cgroup hierarchy.`, { cause: err });
  }
}

function killAndRemove(dir: string, procsFile: string): void {
  for (let i = 0; i < 50 && existsSync(dir); i++) {
    let pids: string[] = [];
    try {
      pids = readFileSync(procsFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      // removed
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch {
      // busy while its last process exits; retry shortly
      const until = Date.now() + 20;
      while (Date.now() < until) {
        // short spin: teardown may run inside a synchronous exit handler
      }
    }
  }
}

export async function createCgroup(opts: CgroupOptions = {}): Promise<LabCgroup> {
  const name = opts.name ?? `gopherscope-lab-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const period = opts.cpuPeriodUs ?? 100_000;
  if (detectCgroupVersion() === 2) {
    const parent = join(ROOT, 'gopherscope-lab');
    if (!existsSync(parent)) mkdirSync(parent);
    const rootControllers = readFileSync(join(ROOT, 'cgroup.controllers'), 'utf8');
    for (const c of ['memory', 'cpu']) {
      if (!rootControllers.includes(c)) throw new Error(`cgroup v2 root lacks the ${c} controller`);
    }
    tryWrite(join(ROOT, 'cgroup.subtree_control'), '+memory +cpu', 'root subtree_control');
    tryWrite(join(parent, 'cgroup.subtree_control'), '+memory +cpu', 'lab subtree_control');
    const dir = join(parent, name);
    mkdirSync(dir);
    if (opts.memoryMaxBytes !== undefined) tryWrite(join(dir, 'memory.max'), String(opts.memoryMaxBytes), 'memory.max');
    if (opts.cpuQuotaUs !== undefined) tryWrite(join(dir, 'cpu.max'), `${opts.cpuQuotaUs} ${period}`, 'cpu.max');
    const procs = join(dir, 'cgroup.procs');
    const unregister = onTeardown(`cgroup ${dir}`, () => killAndRemove(dir, procs));
    return {
      version: 2,
      paths: { unified: dir },
      relativePath: `/gopherscope-lab/${name}`,
      procsFiles: [procs],
      async addPid(pid) {
        writeFileSync(procs, String(pid));
      },
      async destroy() {
        killAndRemove(dir, procs);
        unregister();
      },
    };
  }
  const memRoot = v1Mount('memory');
  const cpuRoot = v1Mount('cpu');
  const memDir = join(memRoot, 'gopherscope-lab', name);
  const cpuDir = join(cpuRoot, 'gopherscope-lab', name);
  mkdirSync(memDir, { recursive: true });
  mkdirSync(cpuDir, { recursive: true });
  // On a hybrid host the process also sits in the cgroup2 hierarchy, which holds no controller
  // but keeps pressure (PSI) per cgroup; systemd mirrors its tree there, and so does the lab, so
  // captures hold a real nested v2 hierarchy beside the v1 ones.
  const unifiedRoot = hybridUnifiedMount();
  const unifiedDir = unifiedRoot ? join(unifiedRoot, 'gopherscope-lab', name) : null;
  if (unifiedDir) mkdirSync(unifiedDir, { recursive: true });
  const procs = [join(memDir, 'cgroup.procs'), join(cpuDir, 'cgroup.procs'), ...(unifiedDir ? [join(unifiedDir, 'cgroup.procs')] : [])];
  const removeAll = () => {
    killAndRemove(memDir, procs[0]!);
    killAndRemove(cpuDir, procs[1]!);
    if (unifiedDir) killAndRemove(unifiedDir, procs[2]!);
  };
  const unregister = onTeardown(`cgroup ${name}`, removeAll);
  if (opts.memoryMaxBytes !== undefined) tryWrite(join(memDir, 'memory.limit_in_bytes'), String(opts.memoryMaxBytes), 'memory.limit_in_bytes');
  if (opts.cpuQuotaUs !== undefined) {
    tryWrite(join(cpuDir, 'cpu.cfs_period_us'), String(period), 'cpu.cfs_period_us');
    tryWrite(join(cpuDir, 'cpu.cfs_quota_us'), String(opts.cpuQuotaUs), 'cpu.cfs_quota_us');
  }
  return {
    version: 1,
    paths: { memory: memDir, cpu: cpuDir, ...(unifiedDir ? { unified: unifiedDir } : {}) },
    relativePath: `/gopherscope-lab/${name}`,
    procsFiles: procs,
    async addPid(pid) {
      for (const f of procs) writeFileSync(f, String(pid));
    },
    async destroy() {
      removeAll();
      unregister();
    },
  };
}

/**
 * The lab every integration and end-to-end test uses: one sshd plus any
 * number of Go targets in their own cgroups, all torn down by cleanup() —
 * and by exit handlers if the test process dies first.
 */
import { createCgroup, type CgroupOptions, type LabCgroup } from './cgroup';
import { startSshd, type Sshd, type SshdOptions } from './sshd';
import { startTarget, type RunningTarget } from './target';
import { buildTarget, type TargetName } from './targets';

export interface GoServiceOptions extends CgroupOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly goToolchain?: string;
  /** Which program of test/targets/ (default: service). */
  readonly target?: TargetName;
}

export interface LabTarget extends RunningTarget {
  readonly cgroup: LabCgroup;
  readonly goVersion: string;
  readonly binary: string;
}

export interface Lab {
  readonly sshd: Sshd;
  startGoService(opts?: GoServiceOptions): Promise<LabTarget>;
  cleanup(): Promise<void>;
}

export async function createLab(opts: { sshd?: SshdOptions } = {}): Promise<Lab> {
  const sshd = await startSshd(opts.sshd);
  const targets: LabTarget[] = [];
  return {
    sshd,
    async startGoService(o = {}) {
      const built = await buildTarget(o.target ?? 'service', o.goToolchain ? { goToolchain: o.goToolchain } : {});
      const cgroup = await createCgroup(o);
      try {
        const t = await startTarget({ binary: built.binary, args: o.args ?? [], env: o.env ?? {}, cgroup });
        const lt: LabTarget = { ...t, stdout: t.stdout, stderr: t.stderr, stop: t.stop, cgroup, goVersion: built.goVersion, binary: built.binary };
        targets.push(lt);
        return lt;
      } catch (err) {
        await cgroup.destroy();
        throw err;
      }
    },
    async cleanup() {
      for (const t of targets.splice(0)) {
        await t.stop().catch(() => undefined);
        await t.cgroup.destroy().catch(() => undefined);
      }
      await sshd.stop();
    },
  };
}

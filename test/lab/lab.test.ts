/** The lab itself: real sshd, real Go targets, real cgroups, and nothing left behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroupVersion } from './cgroup';
import { createLab } from './lab';
import { buildTarget } from './targets';

test('sshd accepts the lab key with strict host key checking, and the Go target runs inside its limits', async () => {
  const lab = await createLab();
  // Set once the target runs; the checks after the lab is cleaned up read them.
  let cgroupDirs: string[] | undefined;
  let pid: number | undefined;
  try {
    const kh = join(lab.sshd.dir, 'known_hosts_for_test');
    writeFileSync(kh, `[127.0.0.1]:${lab.sshd.port} ${lab.sshd.hostPublicKeyLine}\n`);
    const out = execFileSync(
      'ssh',
      ['-i', lab.sshd.clientKeyPath, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(lab.sshd.port), `${lab.sshd.user}@127.0.0.1`, 'echo ok'],
      { encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'ok');

    const t = await lab.startGoService({ memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 });
    pid = t.pid;
    cgroupDirs = Object.values(t.cgroup.paths);
    const cg = readFileSync(`/proc/${t.pid}/cgroup`, 'utf8');
    assert.ok(cg.includes(t.cgroup.relativePath), cg);
    if (t.cgroup.version === 2) {
      assert.equal(readFileSync(join(t.cgroup.paths.unified!, 'memory.max'), 'utf8').trim(), String(256 * 1024 * 1024));
      assert.equal(readFileSync(join(t.cgroup.paths.unified!, 'cpu.max'), 'utf8').trim(), '50000 100000');
    } else {
      assert.equal(readFileSync(join(t.cgroup.paths.memory!, 'memory.limit_in_bytes'), 'utf8').trim(), String(256 * 1024 * 1024));
      assert.equal(readFileSync(join(t.cgroup.paths.cpu!, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
      assert.equal(readFileSync(join(t.cgroup.paths.cpu!, 'cpu.cfs_period_us'), 'utf8').trim(), '100000');
      // A hybrid host: the process is in the same place in the cgroup2 hierarchy, as under systemd.
      if (t.cgroup.paths.unified) assert.match(cg, new RegExp(`^0::${t.cgroup.relativePath}$`, 'm'));
    }
    assert.ok(t.pprofAddr);
    const index = await (await fetch(`http://${t.pprofAddr}/debug/pprof/`)).text();
    assert.match(index, /goroutine/);
    assert.equal(t.cgroup.version, detectCgroupVersion());
  } finally {
    await lab.cleanup();
  }
  assert.ok(pid !== undefined && cgroupDirs !== undefined, 'the target started');
  assert.equal(existsSync(`/proc/${pid}`), false, 'target stopped');
  for (const d of cgroupDirs) assert.equal(existsSync(d), false, `${d} removed`);
  assert.equal(existsSync(lab.sshd.dir), false, 'sshd folder removed');
});

test('an older Go toolchain from the module proxy builds the same target', async () => {
  const built = await buildTarget('service', { goToolchain: 'go1.24.0' });
  assert.equal(built.goVersion, 'go1.24.0');
  const local = await buildTarget('service');
  assert.match(local.goVersion, /^go1\.\d+/);
  assert.notEqual(local.binary, built.binary);
});

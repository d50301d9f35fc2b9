import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { cpuListCount, parseCgroupFiles } from './cgroup';

const fixtures = join(import.meta.dirname, 'fixtures');

for (const go of ['go1.26', 'go1.24']) {
  test(`cgroup v1 files of a ${go} target read back the limits the lab set`, () => {
    const { limits, files } = JSON.parse(readFileSync(join(fixtures, `${go}.cgroup.json`), 'utf8'));
    const r = parseCgroupFiles(files);
    assert.ok(r.ok);
    const m = r.value;
    assert.ok(m.versions.includes('v1'));
    assert.equal(m.memory?.version, 'v1');
    assert.equal(m.memory?.limit?.value, limits.memoryMaxBytes);
    assert.match(m.memory?.limit?.path ?? '', /gopherscope-lab/);
    assert.ok((m.memory?.usageBytes ?? 0) > 0);
    assert.equal(m.cpu?.quotaUs, limits.cpuQuotaUs);
    assert.equal(m.cpu?.periodUs, limits.cpuPeriodUs);
    assert.equal(m.cpu?.limitCpus?.value, limits.cpuQuotaUs / limits.cpuPeriodUs);
    assert.ok(m.cpu?.nrPeriods !== null);
    // This lab host is hybrid: the controllers are on v1, and the process's cgroup2 cgroup (nested
    // as the lab made it) keeps its pressure, which the v1 models take.
    assert.deepEqual(m.versions, ['v2', 'v1']);
    assert.match(m.paths.v2 ?? '', /^\/gopherscope-lab\/gopherscope-lab-/);
    assert.equal(m.pressurePath, m.paths.v2);
    assert.ok(m.memory?.pressure?.some && m.cpu?.pressure?.some, 'memory and cpu pressure from the v2 cgroup');
    assert.equal(m.cpu?.pressure?.some?.totalUs, Number(/some .* total=(\d+)/.exec(files['cgroup/v2/0/cpu.pressure'])![1]));
    assert.ok(!m.missing.some((x) => x.includes('memory pressure')), m.missing.join('; '));
    assertGolden(join(fixtures, 'golden', `${go}.cgroup.txt`), dumpModel({ ...m, memory: m.memory && { ...m.memory, usageBytes: 'varies', stat: Object.keys(m.memory.stat).length } }));
  });
}

test('cgroup v2: the effective limit is the minimum over ancestors, with the cgroup that sets it', () => {
  // Written in the kernel's v2 file formats (Documentation/admin-guide/cgroup-v2.rst): this lab
  // host mounts memory and cpu on v1, so a v2 capture cannot come from it.
  const files = {
    'cgroup/v2/0/path': '/kubepods/burstable/pod1/c1',
    'cgroup/v2/0/memory.max': 'max\n',
    'cgroup/v2/0/memory.high': 'max\n',
    'cgroup/v2/0/memory.current': '104857600\n',
    'cgroup/v2/0/memory.stat': 'anon 83886080\nfile 10485760\nkernel 2097152\n',
    'cgroup/v2/0/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
    'cgroup/v2/0/memory.pressure': 'some avg10=1.50 avg60=0.20 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=100\n',
    'cgroup/v2/0/cpu.max': 'max 100000\n',
    'cgroup/v2/0/cpu.weight': '100\n',
    'cgroup/v2/0/cpu.stat': 'usage_usec 5000\nuser_usec 4000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 2500\n',
    'cgroup/v2/0/cpuset.cpus.effective': '0-3,8\n',
    'cgroup/v2/0/pids.max': 'max\n',
    'cgroup/v2/0/pids.current': '12\n',
    'cgroup/v2/1/path': '/kubepods/burstable/pod1',
    'cgroup/v2/1/memory.max': '536870912\n',
    'cgroup/v2/1/cpu.max': '150000 100000\n',
    'cgroup/v2/1/pids.max': '100\n',
    'cgroup/v2/2/path': '/kubepods/burstable',
    'cgroup/v2/2/memory.max': '1073741824\n',
    'cgroup/v2/3/path': '',
  };
  const r = parseCgroupFiles(files);
  assert.ok(r.ok);
  const m = r.value;
  assert.deepEqual(m.versions, ['v2']);
  assert.deepEqual(m.memory?.limit, { value: 536870912, path: '/kubepods/burstable/pod1' });
  assert.equal(m.memory?.high, null);
  assert.equal(m.memory?.oomKills, 1);
  assert.equal(m.memory?.kernelBytes, 2097152);
  assert.equal(m.memory?.pressure?.some?.avg10, 1.5);
  assert.deepEqual(m.cpu?.limitCpus, { value: 1.5, path: '/kubepods/burstable/pod1' });
  assert.equal(m.cpu?.nrThrottled, 4);
  assert.equal(m.cpu?.throttledUs, 2500);
  assert.deepEqual(m.cpuset, { cpus: '0-3,8', count: 5, path: '/kubepods/burstable/pod1/c1' });
  assert.deepEqual(m.pids?.max, { value: 100, path: '/kubepods/burstable/pod1' });
  assert.equal(m.pids?.current, 12);
});

test('no cgroup files: said, not guessed', () => {
  const r = parseCgroupFiles({});
  assert.ok(r.ok);
  assert.equal(r.value.memory, null);
  assert.match(r.value.missing.join(' '), /no cgroup files/);
  assert.equal(cpuListCount('0-1,x'), null);
});

test("cgroup on a hybrid host: pressure comes from the process's v2 cgroup, never from the v2 root (that is the host's)", () => {
  const v1 = {
    'cgroup/v1-memory/0/path': '/app',
    'cgroup/v1-memory/0/memory.limit_in_bytes': '1073741824\n',
    'cgroup/v1-memory/0/memory.usage_in_bytes': '1000\n',
    'cgroup/v1-memory/1/path': '',
    'cgroup/v1-cpu/0/path': '/app',
    'cgroup/v1-cpu/0/cpu.cfs_quota_us': '-1\n',
    'cgroup/v1-cpu/0/cpu.cfs_period_us': '100000\n',
  };
  const psiText = 'some avg10=30.00 avg60=12.00 avg300=3.00 total=999\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  const nested = parseCgroupFiles({ ...v1, 'cgroup/v2/0/path': '/app', 'cgroup/v2/0/cpu.pressure': psiText, 'cgroup/v2/0/memory.pressure': psiText, 'cgroup/v2/1/path': '' });
  assert.ok(nested.ok);
  assert.equal(nested.value.cpu?.version, 'v1');
  assert.equal(nested.value.cpu?.pressure?.some?.avg60, 12);
  assert.equal(nested.value.memory?.pressure?.some?.avg10, 30);
  assert.equal(nested.value.pressurePath, '/app');
  const atRoot = parseCgroupFiles({ ...v1, 'cgroup/v2/0/path': '', 'cgroup/v2/0/cpu.pressure': psiText, 'cgroup/v2/0/memory.pressure': psiText });
  assert.ok(atRoot.ok);
  assert.equal(atRoot.value.cpu?.pressure, null);
  assert.equal(atRoot.value.memory?.pressure, null);
  assert.equal(atRoot.value.pressurePath, null);
  assert.ok(atRoot.value.missing.some((x) => x.includes('memory pressure')));
});

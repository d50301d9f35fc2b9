import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupPathOf, memorySummary } from './memorySummary';

const ROLLUP = `00400000-7ffc9b216000 ---p 00000000 00:00 0                              [rollup]
Rss:                7740 kB
Pss:                6438 kB
Pss_Dirty:          6304 kB
Shared_Clean:       1436 kB
Swap:                 12 kB
SwapPss:              12 kB
Locked:                0 kB
`;

test('RSS, PSS and Swap come from smaps_rollup', () => {
  const s = memorySummary(ROLLUP, '0::/system.slice/api.service\n');
  assert.deepEqual([s.rssKiB, s.pssKiB, s.swapKiB], [7740, 6438, 12]);
  assert.equal(s.cgroupPath, '/system.slice/api.service');
  assert.deepEqual(s.problems, []);
});

test('cgroup v1 and hybrid hosts use the memory controller line; pure v2 the unified line', () => {
  assert.equal(cgroupPathOf('5:cpu,cpuacct:/a\n4:memory:/kubepods/pod1/c1\n1:name=systemd:/x\n'), '/kubepods/pod1/c1');
  assert.equal(cgroupPathOf('4:memory:/v1path\n0::/\n'), '/v1path');
  assert.equal(cgroupPathOf('0::/system.slice/api.service\n'), '/system.slice/api.service');
  assert.equal(cgroupPathOf(''), null);
});

test('missing or broken artifacts are reported, not guessed', () => {
  const s = memorySummary('garbage\n', null);
  assert.equal(s.rssKiB, null);
  assert.equal(s.problems.length, 2);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { containerOf, goEnvOf } from './container';

const id = 'a'.repeat(56) + '0123beef';

test('docker, containerd, cri-o and kubepods paths, cgroupfs and systemd drivers, v1 and v2', () => {
  assert.deepEqual(containerOf(`0::/system.slice/docker-${id}.scope\n`), { runtime: 'docker', id, podUid: null, qos: null, cgroupPath: `/system.slice/docker-${id}.scope` });
  assert.equal(containerOf(`12:memory:/docker/${id}\n0::/\n`)?.runtime, 'docker');
  const k8s = containerOf(`0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_aaaa_bbbb_cccc_123456789abc.slice/cri-containerd-${id}.scope\n`);
  assert.deepEqual([k8s?.runtime, k8s?.id, k8s?.podUid, k8s?.qos], ['containerd', id, '1b2c3d4e-aaaa-bbbb-cccc-123456789abc', 'burstable']);
  const crio = containerOf(`0::/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/crio-${id}.scope\n`);
  assert.deepEqual([crio?.runtime, crio?.qos], ['cri-o', 'guaranteed']);
  const v1 = containerOf(`4:memory:/kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/${id}\n`);
  assert.deepEqual([v1?.runtime, v1?.id, v1?.qos], ['unknown', id, 'besteffort']);
  assert.equal(containerOf('0::/user.slice/user-1000.slice/session-3.scope\n'), null);
  assert.equal(containerOf('0::/\n'), null);
});

test('Go settings from environ, nothing else', () => {
  assert.deepEqual(goEnvOf('PATH=/bin\0GOMAXPROCS=4\0GODEBUG=madvdontneed=1,gctrace=1\0GOGC=off\0API_KEY=x\0'), { GOMAXPROCS: '4', GODEBUG: 'madvdontneed=1,gctrace=1', GOGC: 'off' });
});

test('arbitrary text never throws', () => {
  fc.assert(fc.property(fc.string({ maxLength: 2000 }), (t) => void (containerOf(t), goEnvOf(t))), { numRuns: 300 });
});

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

// Shapes as kubelet, containerd, CRI-O, docker and podman write them (both cgroup drivers, v1 and v2),
// read from the host, where /proc/PID/cgroup shows the full path (a container's cgroup namespace hides it only inside).
const uid = '4b1c2d3e-5f60-4a7b-8c9d-0e1f2a3b4c5d';
const uidU = uid.replace(/-/g, '_');
const SHAPES: ReadonlyArray<readonly [string, string, Partial<{ runtime: string; id: string | null; podUid: string | null; qos: string | null }>]> = [
  [
    'kubelet systemd driver, containerd, burstable (v2)',
    `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uidU}.slice/cri-containerd-${id}.scope\n`,
    { runtime: 'containerd', id, podUid: uid, qos: 'burstable' },
  ],
  [
    'kubelet systemd driver, containerd, besteffort (v1 memory line among others)',
    `12:pids:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidU}.slice/cri-containerd-${id}.scope\n4:memory:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidU}.slice/cri-containerd-${id}.scope\n1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidU}.slice/cri-containerd-${id}.scope\n`,
    { runtime: 'containerd', id, podUid: uid, qos: 'besteffort' },
  ],
  [
    'kubelet systemd driver, guaranteed pod (directly under kubepods.slice)',
    `0::/kubepods.slice/kubepods-pod${uidU}.slice/cri-containerd-${id}.scope\n`,
    { runtime: 'containerd', podUid: uid, qos: 'guaranteed' },
  ],
  ['kubelet cgroupfs driver, containerd (v1): the runtime is not in the path', `11:memory:/kubepods/burstable/pod${uid}/${id}\n`, { runtime: 'unknown', id, podUid: uid, qos: 'burstable' }],
  ['kubelet cgroupfs driver (v2), guaranteed', `0::/kubepods/pod${uid}/${id}\n`, { runtime: 'unknown', id, podUid: uid, qos: 'guaranteed' }],
  ['CRI-O systemd driver', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uidU}.slice/crio-${id}.scope\n`, { runtime: 'cri-o', id, podUid: uid, qos: 'burstable' }],
  ['CRI-O container with a nested cgroup', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uidU}.slice/crio-${id}.scope/container\n`, { runtime: 'cri-o', id }],
  [
    'dockershim under kubepods (v1 systemd)',
    `9:memory:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidU}.slice/docker-${id}.scope\n`,
    { runtime: 'docker', id, podUid: uid, qos: 'besteffort' },
  ],
  [
    'kind: kubelet.slice prefix',
    `0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod${uidU}.slice/cri-containerd-${id}.scope\n`,
    { runtime: 'containerd', podUid: uid, qos: 'burstable' },
  ],
  [
    'a static pod: its UID is a 32-hex hash of the manifest',
    `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2a9f62a1a4b6e4c0b8f0e8ad8a8ad0a9.slice/cri-containerd-${id}.scope\n`,
    { runtime: 'containerd', podUid: '2a9f62a1a4b6e4c0b8f0e8ad8a8ad0a9', qos: 'burstable' },
  ],
  ['containerd cgroupsPath in systemd form taken literally', `0::/kubepods-besteffort-pod${uidU}.slice:cri-containerd:${id}\n`, { runtime: 'containerd', id, podUid: uid, qos: 'besteffort' }],
  ['docker systemd driver', `0::/system.slice/docker-${id}.scope\n`, { runtime: 'docker', id, podUid: null, qos: null }],
  ['docker cgroupfs driver (v1)', `8:memory:/docker/${id}\n`, { runtime: 'docker', id }],
  ['rootless docker', `0::/user.slice/user-1000.slice/user@1000.service/docker-${id}.scope\n`, { runtime: 'docker', id }],
  ['podman rootful (systemd)', `0::/machine.slice/libpod-${id}.scope/container\n`, { runtime: 'podman', id, podUid: null }],
  ['podman rootless', `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${id}.scope\n`, { runtime: 'podman', id }],
  ['podman cgroupfs', `0::/libpod_parent/libpod-${id}\n`, { runtime: 'podman', id }],
  ['nerdctl with systemd', `0::/system.slice/nerdctl-${id}.scope\n`, { runtime: 'containerd', id }],
];

for (const [name, text, want] of SHAPES) {
  test(`container shape: ${name}`, () => {
    const c = containerOf(text);
    assert.ok(c, `recognised: ${text}`);
    for (const [k, v] of Object.entries(want)) assert.equal(c[k as keyof typeof c], v, `${k} of ${text}`);
  });
}

test("not a container: systemd services, user sessions and the lab's own cgroups", () => {
  for (const t of ['0::/system.slice/sshd.service\n', '0::/user.slice/user-0.slice/session-1.scope\n', '4:memory:/gopherscope-lab/x\n0::/gopherscope-lab/x\n', '0::/init.scope\n'])
    assert.equal(containerOf(t), null, t);
});

test('Go settings from environ, nothing else', () => {
  assert.deepEqual(goEnvOf('PATH=/bin\0GOMAXPROCS=4\0GODEBUG=madvdontneed=1,gctrace=1\0GOGC=off\0API_KEY=x\0'), { GOMAXPROCS: '4', GODEBUG: 'madvdontneed=1,gctrace=1', GOGC: 'off' });
});

test('arbitrary text never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 2000 }), (t) => void (containerOf(t), goEnvOf(t))),
    { numRuns: 300 },
  );
});

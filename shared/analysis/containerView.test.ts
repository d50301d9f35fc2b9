import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerLabel, containerSummary } from './containerView';

const id = 'c'.repeat(52) + '0123456789ab';

test("the container and the route into its namespace, from meta/discovery.json, in the process list's words", () => {
  const meta = {
    isGo: true,
    cgroupPath: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod4b1c2d3e_5f60_4a7b_8c9d_0e1f2a3b4c5d.slice/cri-containerd-${id}.scope`,
    container: { runtime: 'containerd', id, podUid: '4b1c2d3e-5f60-4a7b-8c9d-0e1f2a3b4c5d', qos: 'burstable', cgroupPath: '/kubepods.slice/…' },
    pprofPort: 6060,
    network: { route: 'netns', netns: 'net:[4026532176]', forwarder: 'busybox-nc', sudo: false, description: "nsenter -t 42 -n with busybox nc into the process's network namespace net:[4026532176]" },
  };
  const s = containerSummary({ 'meta/discovery.json': JSON.stringify(meta) });
  assert.equal(s?.network?.route, 'netns');
  assert.equal(containerLabel(s!.container!), 'containerd cccccccccccc, pod 4b1c2d3e-5f60-4a7b-8c9d-0e1f2a3b4c5d, QoS burstable');
  assert.equal(containerLabel({ runtime: 'unknown', id: null, podUid: null, qos: 'guaranteed', cgroupPath: '/kubepods/pod…' }), 'container (runtime not in the cgroup path), QoS guaranteed');
});

test('an older capture, no container, or a record that is not ours: nothing is invented', () => {
  assert.equal(containerSummary({}), null);
  assert.equal(containerSummary({ 'meta/discovery.json': '{not json' }), null);
  const old = containerSummary({ 'meta/discovery.json': JSON.stringify({ isGo: true, cgroupPath: '/system.slice/x.service', container: null, pprofPort: null }) });
  assert.deepEqual(old, { container: null, cgroupPath: '/system.slice/x.service', network: null, source: 'meta/discovery.json' });
  const odd = containerSummary({ 'meta/discovery.json': JSON.stringify({ container: { runtime: 7 }, network: { route: 'teleport' } }) });
  assert.deepEqual([odd?.container, odd?.network], [null, null]);
});

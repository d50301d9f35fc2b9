/**
 * The route into a process's network namespace, decided from the probe's output, and the
 * forwarder command built from validated numbers only. The lab tests (test/integration/
 * netns-capture.test.ts) run the same code through a real sshd into real namespaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { decideRoute, describeRoute, parseNetnsProbe } from './forward';
import { forwarderCommand, netnsProbeScript } from './remoteScripts';

const probe = (lines: string[]) => parseNetnsProbe(lines.join('\n'));
const other = ['self=net:[4026531833]', 'target=net:[4026532176]', 'nsenter=/usr/bin/nsenter'];

test('the same namespace as the SSH session: the direct tunnel', () => {
  const d = decideRoute(42, probe(['self=net:[4026531833]', 'target=net:[4026531833]', 'uid=1000', 'nsenter=', 'fw=bash']));
  assert.deepEqual(d, { kind: 'route', route: { kind: 'direct', note: null } });
});

test('another namespace as root: nsenter with the first forwarder the host has, in FORWARDERS order', () => {
  const d = decideRoute(42, probe([...other, 'uid=0', 'fw=busybox-nc', 'fw=bash']));
  assert.deepEqual(d, { kind: 'route', route: { kind: 'netns', pid: 42, netns: 'net:[4026532176]', forwarder: 'busybox-nc', sudo: false } });
  assert.match(describeRoute((d as { route: Parameters<typeof describeRoute>[0] }).route), /^nsenter -t 42 -n with busybox nc into the process's network namespace net:\[4026532176\]$/);
  const restricted = decideRoute(42, probe([...other, 'uid=0', 'fw=socat', 'fw=busybox-nc', 'fw=bash']), { forwarders: ['bash'] });
  assert.equal(restricted.kind === 'route' && restricted.route.kind === 'netns' && restricted.route.forwarder, 'bash');
});

test('another namespace, not root: sudo -n nsenter when sudo allows it, else a refusal that names the rule', () => {
  const ok = decideRoute(42, probe([...other, 'uid=1000', 'sudo-nsenter=ok', 'fw=socat']), { sudo: true });
  assert.equal(ok.kind === 'route' && ok.route.kind === 'netns' && ok.route.sudo, true);
  const denied = decideRoute(42, probe([...other, 'uid=1000', 'sudo-nsenter=denied', 'fw=socat']), { sudo: true });
  assert.equal(denied.kind, 'refused');
  assert.match(
    (denied as { reason: string }).reason,
    /another network namespace \(net:\[4026532176\]; this SSH session is in net:\[4026531833\]\).*sudo -n does not allow \/usr\/bin\/nsenter.*NOPASSWD: \/usr\/bin\/nsenter/,
  );
  const noSudo = decideRoute(42, probe([...other, 'uid=1000', 'fw=socat']), {});
  assert.match((noSudo as { reason: string }).reason, /needs root: enable "use sudo -n"/);
});

test('no forwarder, or no nsenter: refused, saying what was looked for and that nothing is installed', () => {
  const none = decideRoute(42, probe([...other, 'uid=0']));
  assert.equal(none.kind, 'refused');
  assert.match((none as { reason: string }).reason, /No forwarder.*tried socat, busybox nc, bash's \/dev\/tcp.*installs nothing/);
  const notAllowed = decideRoute(42, probe([...other, 'uid=0', 'fw=bash']), { forwarders: ['socat'] });
  assert.match((notAllowed as { reason: string }).reason, /tried socat \(the host has bash, not allowed here\)/);
  const noNsenter = decideRoute(42, probe(['self=net:[1]', 'target=net:[2]', 'nsenter=', 'uid=0', 'fw=socat']));
  assert.match((noNsenter as { reason: string }).reason, /needs nsenter \(util-linux\)/);
});

test('a namespace that cannot be read: the direct tunnel, with the reason kept', () => {
  const d = decideRoute(42, probe(['self=net:[1]', 'target=', 'target-error=readlink: /proc/42/ns/net: Permission denied', 'uid=1000']));
  assert.equal(d.kind, 'route');
  const route = (d as { route: { kind: string; note: string } }).route;
  assert.equal(route.kind, 'direct');
  assert.match(route.note, /Permission denied.*enable sudo -n/);
});

test('probe output that is not ours is ignored, never trusted', () => {
  const p = probe(['self=net:[1]; rm -rf /', 'target=../../etc', 'fw=curl', 'fw=socat', 'uid=root']);
  assert.equal(p.self, null);
  assert.equal(p.target, null);
  assert.deepEqual(p.forwarders, ['socat']);
  assert.equal(p.uid, null);
});

test('forwarder commands are built from integers and a fixed vocabulary, and each is bounded by timeout', () => {
  assert.equal(forwarderCommand({ pid: 42, forwarder: 'socat', sudo: false }, 6060, 35), 'exec timeout -s KILL 35 nsenter -t 42 -n socat - TCP:127.0.0.1:6060');
  assert.equal(forwarderCommand({ pid: 42, forwarder: 'busybox-nc', sudo: true }, 8080, 10), 'exec timeout -s KILL 10 sudo -n nsenter -t 42 -n busybox nc 127.0.0.1 8080');
  assert.match(forwarderCommand({ pid: 42, forwarder: 'bash', sudo: false }, 2019, 10), /^exec timeout -s KILL 10 nsenter -t 42 -n bash -c 'exec 3<>\/dev\/tcp\/127\.0\.0\.1\/2019 4<&0/);
  assert.throws(() => forwarderCommand({ pid: 42, forwarder: 'curl', sudo: false }, 80, 10), /unknown forwarder/);
  assert.throws(() => forwarderCommand({ pid: -1, forwarder: 'socat', sudo: false }, 80, 10), /pid/);
  assert.throws(() => forwarderCommand({ pid: 42, forwarder: 'socat', sudo: false }, 70000, 10), /port/);
  assert.throws(() => forwarderCommand({ pid: 1.5, forwarder: 'socat', sudo: false }, 80, 10), /pid/);
  assert.throws(() => netnsProbeScript(Number.NaN), /pid/);
});

test(
  'the probe script is valid sh and, run here against this process, reports this namespace as its own',
  { skip: process.platform !== 'linux' && 'reads /proc/PID/ns/net, which only Linux has' },
  () => {
    const out = execFileSync('sh', ['-c', netnsProbeScript(process.pid)], { encoding: 'utf8' });
    const p = parseNetnsProbe(out);
    assert.ok(p.self);
    assert.equal(p.target, p.self);
    assert.deepEqual(decideRoute(process.pid, p), { kind: 'route', route: { kind: 'direct', note: null } });
  },
);

/**
 * The built preload bundle, run in a Node vm with a recording stand-in for
 * Electron's contextBridge and ipcRenderer (the Electron binary cannot run
 * here): one function per contract method, input validated before it is
 * sent, events validated before they reach the page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { methodNames } from '../../shared/contract/api';

/** Objects from the vm realm have other prototypes; compare their JSON. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
const bundle = join(import.meta.dirname, '..', '..', 'dist', 'electron', 'preload.cjs');

/** Stands for Electron's webUtils: a path only for the Files a drop or a file input gave, as Electron does. */
const droppedPaths = new WeakMap<object, string>();

function loadPreload() {
  const exposed: Record<string, Record<string, unknown>> = {};
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const handlers = new Map<string, (...a: unknown[]) => void>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return { ok: true, value: 'sent' };
      },
      on: (channel: string, h: (...a: unknown[]) => void) => handlers.set(channel, h),
    },
    webUtils: { getPathForFile: (f: object) => droppedPaths.get(f) ?? '' },
  };
  const module = { exports: {} };
  runInNewContext(readFileSync(bundle, 'utf8'), { require: (m: string) => (m === 'electron' ? electron : assert.fail(`preload required ${m}`)), module, exports: module.exports, console, File });
  return { bridge: exposed.gopherscope!, invoked, emit: (...a: unknown[]) => handlers.get('gs:event')!({}, ...a) };
}

test('one function per contract method, plus on() and grantDroppedFile()', () => {
  const { bridge } = loadPreload();
  assert.deepEqual(Object.keys(bridge).sort(), [...methodNames, 'on', 'grantDroppedFile'].sort());
  for (const m of methodNames) assert.equal(typeof bridge[m], 'function');
});

test('valid input is sent on one channel; invalid input never leaves the page', async () => {
  const { bridge, invoked } = loadPreload();
  const ok = await (bridge['hosts.add'] as (i: unknown) => Promise<unknown>)({ label: 'a', hostname: 'db-1', user: 'sre' });
  assert.deepEqual(plain(ok), { ok: true, value: 'sent' });
  assert.equal(invoked.length, 1);
  assert.equal(invoked[0]!.channel, 'gs:call');
  assert.equal(invoked[0]!.args[0], 'hosts.add');
  assert.deepEqual(plain(invoked[0]!.args[1]), { label: 'a', hostname: 'db-1', port: 22, user: 'sre', jump: [], strictHostKeyChecking: 'ask', identitiesOnly: false, useSudo: false });
  const bad = await (bridge['hosts.add'] as (i: unknown) => Promise<{ ok: boolean; error: { code: string } }>)({ label: 'a', hostname: '$(reboot)', user: 'sre' });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'invalid-input');
  assert.equal(invoked.length, 1, 'nothing sent');
});

test('events are filtered by name and validated by schema', () => {
  const { bridge, emit } = loadPreload();
  const seen: unknown[] = [];
  const off = (bridge.on as (e: string, l: (p: unknown) => void) => () => void)('ssh.state', (p) => seen.push(p));
  emit('ssh.state', { hostId: 'h1', state: 'connected', reason: null });
  emit('ssh.state', { hostId: 'h1', state: 'exploded', reason: null });
  emit('not.an.event', { x: 1 });
  assert.deepEqual(plain(seen), [{ hostId: 'h1', state: 'connected', reason: null }]);
  off();
  emit('ssh.state', { hostId: 'h1', state: 'disconnected', reason: null });
  assert.equal(seen.length, 1);
  assert.throws(() => (bridge.on as (e: string, l: unknown) => void)('fs.read', () => undefined));
});

test('a dropped file is sent to the main process by the path Electron gives it; a File the page made, or anything else, never leaves', async () => {
  const { bridge, invoked } = loadPreload();
  const grant = bridge.grantDroppedFile as (f: unknown) => Promise<{ ok: boolean; error?: { code: string; message: string } }>;
  const dropped = new File(['x'], 'session.tar.gz');
  droppedPaths.set(dropped, '/home/sre/Downloads/session.tar.gz');
  assert.deepEqual(plain(await grant(dropped)), { ok: true, value: 'sent' });
  assert.deepEqual(plain(invoked), [{ channel: 'gs:drop', args: ['/home/sre/Downloads/session.tar.gz'] }]);
  for (const forged of [new File(['x'], '/etc/passwd'), '/etc/passwd', { path: '/etc/passwd', name: 'passwd' }, null]) {
    const r = await grant(forged);
    assert.equal(r.ok, false);
    assert.match(r.error!.message, /Only a file dropped from your file manager/);
  }
  assert.equal(invoked.length, 1, 'nothing else sent');
});

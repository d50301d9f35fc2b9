/**
 * dispatch(), the one server-side entry both transports use: unknown methods and invalid input are
 * refused as data before any handler runs, the handler gets the parsed input with defaults applied,
 * and whatever a handler throws comes back as an error reply, never as an exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { dispatch, type Handlers } from './dispatch';

/** Handlers that record what reached them; only the methods a test calls are given. */
function recording(impl: Partial<Record<string, (input: unknown) => Promise<unknown>>>) {
  const calls: { method: string; input: unknown }[] = [];
  const handlers = new Proxy({} as Handlers, {
    get: (_t, method: string) => async (input: unknown) => {
      calls.push({ method, input });
      const f = impl[method];
      if (!f) throw new Error(`no handler for ${method} in this test`);
      return f(input);
    },
  });
  return { handlers, calls };
}

const host = {
  id: 'h1',
  label: 'lab',
  hostname: '127.0.0.1',
  port: 22,
  user: 'root',
  jump: [],
  strictHostKeyChecking: 'ask',
  identitiesOnly: false,
  useSudo: false,
  createdAt: '2026-12-03T00:00:00.000Z',
};

test('an unknown method is refused without running anything', async () => {
  const { handlers, calls } = recording({});
  for (const m of ['nope', '__proto__', 'constructor', 42, null, undefined, { method: 'hosts.list' }]) {
    const r = await dispatch(handlers, m, {});
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'unknown-method');
  }
  assert.equal(calls.length, 0);
});

test('invalid input is refused with the path of the first problem, before the handler runs', async () => {
  const { handlers, calls } = recording({ 'hosts.add': async () => host });
  const cases: [unknown, RegExp][] = [
    [{ label: 'x', hostname: 'h; rm -rf /', user: 'root' }, /^hosts\.add: hostname: /],
    [{ label: 'x', hostname: 'h', user: 'root', port: 70000 }, /^hosts\.add: port: /],
    [{ label: 'x', hostname: 'h', user: 'root', jump: ['a b'] }, /^hosts\.add: jump\.0: /],
    [{ hostname: 'h', user: 'root' }, /^hosts\.add: label: /],
    ['not an object', /^hosts\.add: \(input\): /],
  ];
  for (const [input, message] of cases) {
    const r = await dispatch(handlers, 'hosts.add', input);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'invalid-input');
    assert.match(!r.ok ? r.error.message : '', message);
  }
  assert.equal(calls.length, 0);
});

test('the handler receives the parsed input with the schema defaults, and its value is the reply', async () => {
  const { handlers, calls } = recording({ 'hosts.add': async () => host, 'hosts.list': async () => [host] });
  const r = await dispatch(handlers, 'hosts.add', { label: 'lab', hostname: '127.0.0.1', user: 'root', extra: 'dropped' });
  assert.deepEqual(r, { ok: true, value: host });
  assert.deepEqual(calls[0], {
    method: 'hosts.add',
    input: { label: 'lab', hostname: '127.0.0.1', port: 22, user: 'root', jump: [], strictHostKeyChecking: 'ask', identitiesOnly: false, useSudo: false },
  });
  // A missing input is an empty object, not undefined.
  assert.deepEqual(await dispatch(handlers, 'hosts.list', undefined), { ok: true, value: [host] });
  assert.deepEqual(calls[1], { method: 'hosts.list', input: {} });
});

test('what a handler throws comes back as error data: ApiError keeps its code and hint, anything else is internal', async () => {
  const { handlers } = recording({
    'ssh.connect': async () => {
      throw new ApiError('auth-failed', 'Authentication failed', 'load the key into ssh-agent');
    },
    'hosts.list': async () => {
      throw new TypeError('boom');
    },
    'sessions.list': async () => {
      throw 'a string';
    },
  });
  assert.deepEqual(await dispatch(handlers, 'ssh.connect', { hostId: 'h1' }), { ok: false, error: { code: 'auth-failed', message: 'Authentication failed', hint: 'load the key into ssh-agent' } });
  assert.deepEqual(await dispatch(handlers, 'hosts.list', {}), { ok: false, error: { code: 'internal', message: 'boom' } });
  assert.deepEqual(await dispatch(handlers, 'sessions.list', {}), { ok: false, error: { code: 'internal', message: 'a string' } });
});

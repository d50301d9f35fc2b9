import { test } from 'node:test';
import assert from 'node:assert/strict';
import { socketUrl } from './wsTransport';

test('the socket sits beside the page under its per-instance path, whatever the route', () => {
  assert.equal(socketUrl('http://127.0.0.1:4100/t/AbC_-9/'), 'ws://127.0.0.1:4100/t/AbC_-9/ws');
  assert.equal(socketUrl('http://127.0.0.1:4100/t/AbC_-9/index.html#/sessions/s1'), 'ws://127.0.0.1:4100/t/AbC_-9/ws');
  assert.equal(socketUrl('http://localhost:4100/t/AbC_-9/?x=1#/compare/a/b'), 'ws://localhost:4100/t/AbC_-9/ws');
  assert.equal(socketUrl('https://[::1]:4100/t/AbC_-9/'), 'wss://[::1]:4100/t/AbC_-9/ws');
});

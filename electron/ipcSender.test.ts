/**
 * The IPC sender check, both ways: our window's main frame on app://gopherscope is answered, and
 * every other frame, window, scheme, host or malformed URL is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { senderAllowed, type IpcSender } from './ipcSender';

const webContents = { id: 1 };
const win = { webContents };
const from = (url: string, o: Partial<{ sender: unknown; parent: unknown }> = {}): IpcSender => ({ sender: o.sender ?? webContents, senderFrame: { url, parent: o.parent ?? null } });

test('our window, main frame, our app:// page: allowed', () => {
  assert.equal(senderAllowed(from('app://gopherscope/index.html'), win), true);
  assert.equal(senderAllowed(from('app://gopherscope/index.html#/session/abc'), win), true);
  assert.equal(senderAllowed(from('app://gopherscope/'), win), true);
});

test('any other frame, window, origin or URL: refused', () => {
  const refused: [string, IpcSender, typeof win | null][] = [
    ['another webContents', from('app://gopherscope/index.html', { sender: { id: 2 } }), win],
    ['no window', from('app://gopherscope/index.html'), null],
    ['no frame', { sender: webContents, senderFrame: null }, win],
    ['a subframe of our page', from('app://gopherscope/index.html', { parent: {} }), win],
    ['https page', from('https://gopherscope/index.html'), win],
    ['file URL', from('file:///app/index.html'), win],
    ['another app host', from('app://evil/index.html'), win],
    ['a host that only starts with ours', from('app://gopherscope.evil/index.html'), win],
    ['user info before the host', from('app://gopherscope@evil/index.html'), win],
    ['credentials on our host', from('app://user:pw@gopherscope/index.html'), win],
    ['a port', from('app://gopherscope:8080/index.html'), win],
    ['about:blank', from('about:blank'), win],
    ['data URL', from('data:text/html,<script>1</script>'), win],
    ['malformed', from('app://[not a url'), win],
    ['empty', from(''), win],
  ];
  for (const [what, event, w] of refused) assert.equal(senderAllowed(event, w), false, what);
});

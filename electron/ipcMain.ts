/**
 * The only file in the main process that touches ipcMain. One channel
 * carries every contract call; the sender's frame must be our own app://
 * page, and the payload is validated by dispatch() before any handler runs.
 */
import { ipcMain, type BrowserWindow } from 'electron';
import { dispatch } from '../shared/contract/dispatch';
import type { Reply } from '../shared/contract/errors';
import type { Backend } from './core/backendTypes';
import { senderAllowed } from './ipcSender';

export { APP_ORIGIN } from './ipcSender';
export const CALL_CHANNEL = 'gs:call';
export const EVENT_CHANNEL = 'gs:event';

export function registerIpc(backend: Backend, getWindow: () => BrowserWindow | null): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown): Promise<Reply<unknown>> => {
    if (!senderAllowed(event, getWindow())) {
      return { ok: false, error: { code: 'invalid-input', message: 'IPC from an unexpected frame was refused.' } };
    }
    return dispatch(backend.handlers, method, input);
  });
  const unsubscribe = backend.onEvent((name, payload) => {
    const win = getWindow();
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(CALL_CHANNEL);
  };
}

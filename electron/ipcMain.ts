/**
 * The only file in the main process that touches ipcMain. One channel
 * carries every contract call; the sender's frame must be our own app://
 * page, and the payload is validated by dispatch() before any handler runs.
 * Paths never come from the page: `files.pick` opens the dialog here and
 * hands back an opaque handle (core/fileGrants.ts).
 */
import { app, dialog, ipcMain, type BrowserWindow } from 'electron';
import { statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { FilePurpose } from '../shared/contract/api';
import type { Reply } from '../shared/contract/errors';
import type { Backend } from './core/backendTypes';
import { FileGrants, dispatchFromPage } from './core/fileGrants';
import { senderAllowed } from './ipcSender';

export { APP_ORIGIN } from './ipcSender';
export const CALL_CHANNEL = 'gs:call';
export const EVENT_CHANNEL = 'gs:event';
/** The preload's grantDroppedFile: the path of a File the user dropped, from webUtils.getPathForFile. */
export const DROP_CHANNEL = 'gs:drop';

const BUNDLE_FILTERS = [{ name: 'Gopherscope bundle', extensions: ['gz', 'tgz'] }];

/** The native dialog for one purpose; the chosen path stays in this process. */
async function pick(win: BrowserWindow | null, grants: FileGrants, input: unknown): Promise<Reply<unknown>> {
  const parsed = FilePurpose.safeParse((input as { purpose?: unknown } | null)?.purpose);
  const rawName = (input as { suggestedName?: unknown } | null)?.suggestedName;
  if (!parsed.success || !win) return { ok: false, error: { code: 'invalid-input', message: 'files.pick: purpose: expected export-bundle, import-bundle, ssh-config or identity-file' } };
  const purpose = parsed.data;
  // The suggested name is only a default in the dialog the user still confirms; a path is cut to its last part.
  const suggested = typeof rawName === 'string' && rawName.length <= 200 ? basename(rawName) : 'session.tar.gz';
  const sshDir = join(app.getPath('home'), '.ssh');
  let path: string | undefined;
  if (purpose === 'export-bundle') {
    const r = await dialog.showSaveDialog(win, {
      title: 'Export session bundle',
      defaultPath: join(app.getPath('downloads'), suggested),
      filters: BUNDLE_FILTERS,
      properties: ['showOverwriteConfirmation', 'createDirectory'],
    });
    path = r.canceled ? undefined : r.filePath;
  } else {
    const title = purpose === 'import-bundle' ? 'Import session bundle' : purpose === 'ssh-config' ? 'Read an OpenSSH client config' : 'Choose an identity (private key) file';
    const r = await dialog.showOpenDialog(win, {
      title,
      defaultPath: purpose === 'import-bundle' ? app.getPath('downloads') : sshDir,
      properties: ['openFile', 'showHiddenFiles', 'dontAddToRecent'],
      ...(purpose === 'import-bundle' ? { filters: BUNDLE_FILTERS } : {}),
    });
    path = r.canceled ? undefined : r.filePaths[0];
  }
  if (!path) return { ok: true, value: { handle: null, name: '' } };
  return { ok: true, value: { handle: grants.grant(path, purpose), name: basename(path) } };
}

export function registerIpc(backend: Backend, getWindow: () => BrowserWindow | null): () => void {
  const grants = new FileGrants();
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown): Promise<Reply<unknown>> => {
    if (!senderAllowed(event, getWindow())) {
      return { ok: false, error: { code: 'invalid-input', message: 'IPC from an unexpected frame was refused.' } };
    }
    if (method === 'files.pick') return pick(getWindow(), grants, input);
    return dispatchFromPage(backend.handlers, grants, method, input);
  });
  // A drop grants only an import: the import reads the file and trusts none of it (core/bundles.ts).
  ipcMain.handle(DROP_CHANNEL, (event, path: unknown): Reply<unknown> => {
    if (!senderAllowed(event, getWindow())) return { ok: false, error: { code: 'invalid-input', message: 'IPC from an unexpected frame was refused.' } };
    let isFile: boolean;
    try {
      isFile = typeof path === 'string' && path.length <= 4096 && isAbsolute(path) && statSync(path).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) return { ok: false, error: { code: 'invalid-input', message: 'Only a regular file can be imported; a dropped folder is not a bundle.', hint: 'Drop one .tar.gz bundle.' } };
    return { ok: true, value: { handle: grants.grant(path as string, 'import-bundle'), name: basename(path as string) } };
  });
  const unsubscribe = backend.onEvent((name, payload) => {
    const win = getWindow();
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(CALL_CHANNEL);
    ipcMain.removeHandler(DROP_CHANNEL);
  };
}

/**
 * Which IPC calls the main process answers: only those from the main frame of our own window,
 * showing our own app:// page. Kept apart from ipcMain.ts (which holds the only ipcMain use) so
 * that it is a plain function of the event and the window, testable without Electron.
 */
export const APP_SCHEME = 'app:';
export const APP_HOST = 'gopherscope';
export const APP_ORIGIN = `${APP_SCHEME}//${APP_HOST}`;

/** The parts of Electron's IpcMainInvokeEvent and BrowserWindow this check reads. */
export interface IpcSender {
  readonly sender: unknown;
  readonly senderFrame: { readonly url: string; readonly parent?: unknown } | null | undefined;
}
export interface IpcWindow {
  readonly webContents: unknown;
}

export function senderAllowed(event: IpcSender, window: IpcWindow | null): boolean {
  const frame = event.senderFrame;
  if (!frame || !window || event.sender !== window.webContents) return false;
  // Subframes (an iframe the page might embed) do not get the API, even from our own origin.
  if (frame.parent) return false;
  try {
    // Node's URL gives origin "null" for schemes it does not know (app: among them), so the scheme
    // and host are compared instead: comparing origins refused every call from our own page.
    const url = new URL(frame.url);
    return url.protocol === APP_SCHEME && url.host === APP_HOST && url.username === '' && url.password === '' && url.port === '';
  } catch {
    return false;
  }
}

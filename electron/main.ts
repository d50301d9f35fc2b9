/**
 * Electron main: one window, app content from the app:// protocol (never
 * file://), and the security checklist — context isolation, sandbox, no node
 * integration, CSP, navigation, new windows and permissions denied; an https
 * link opens in the user's browser only after they confirm its address.
 */
import { app, BrowserWindow, dialog, net, protocol, safeStorage, session, shell } from 'electron';
import { statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBackend } from './core/backend';
import { demoBundleIn } from './core/demo';
import { safeStorageSecrets } from './core/safeSecrets';
import type { Backend } from './core/backendTypes';
import { CONTENT_SECURITY_POLICY, contentTypeOf } from './contentPolicy';
import { APP_ORIGIN, registerIpc } from './ipcMain';

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

function dataDirFromArgs(): string {
  const i = process.argv.indexOf('--data-dir');
  if (i >= 0 && process.argv[i + 1]) return resolve(process.argv[i + 1]!);
  const eq = process.argv.find((a) => a.startsWith('--data-dir='));
  return eq ? resolve(eq.slice('--data-dir='.length)) : app.getPath('userData');
}

const rendererRoot = resolve(__dirname, '..', 'renderer');
// The app's folder (app.asar when packaged): the bundle is dist/electron/main.cjs.
const appRoot = resolve(__dirname, '..', '..');
let mainWindow: BrowserWindow | null = null;
let backend: Backend | null = null;

/** The built renderer file an app:// URL names, or null for another host, a malformed escape, a NUL or a path outside the renderer. */
function appFile(rawUrl: string): string | null {
  try {
    const url = new URL(rawUrl);
    if (url.protocol !== 'app:' || url.host !== 'gopherscope' || url.username || url.password || url.port) return null;
    const decoded = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    if (decoded.includes('\0')) return null;
    const file = resolve(join(rendererRoot, normalize(decoded)));
    return file.startsWith(rendererRoot + sep) && statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function serveApp(): void {
  protocol.handle('app', async (request) => {
    const file = appFile(request.url);
    if (!file) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    return new Response(res.body, {
      status: 200,
      headers: { 'Content-Type': contentTypeOf(file), 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}

/** A link the page wants opened: only https, and only after the user confirms the address in a dialog of the main process. */
/**
 * The app's one way to the user's browser. `loopbackHttp` admits http://127.0.0.1 for addresses the
 * backend made itself (go tool trace's viewer), never for a URL the page names.
 */
async function openExternalAfterAsking(win: BrowserWindow | null, raw: string, opts: { loopbackHttp?: boolean } = {}): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  const allowed = url.protocol === 'https:' || (opts.loopbackHttp === true && url.protocol === 'http:' && url.hostname === '127.0.0.1');
  if (!allowed || url.username || url.password) return false;
  const options = {
    type: 'question' as const,
    title: 'Open link',
    message: 'Open this address in your web browser?',
    detail: url.href,
    buttons: ['Cancel', 'Open'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
  const { response } = await (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
  if (response !== 1) return false;
  await shell.openExternal(url.href);
  return true;
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Gopherscope',
    show: false,
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
      // A middle click would ask for a new window; it is denied anyway (setWindowOpenHandler), but not even asked.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    void openExternalAfterAsking(win, url);
    return { action: 'deny' };
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    serveApp();
    const dataDir = dataDirFromArgs();
    // openUrl is only for addresses the backend makes (go tool trace on 127.0.0.1), never one the page names; it asks too.
    backend = await createBackend({
      dataDir,
      demoBundle: demoBundleIn(appRoot),
      secretStore: safeStorageSecrets(safeStorage, join(dataDir, 'secrets.json')),
      openUrl: (url) => openExternalAfterAsking(mainWindow, url, { loopbackHttp: true }),
    });
    registerIpc(backend, () => mainWindow);
    mainWindow = createWindow();
    mainWindow.on('closed', () => (mainWindow = null));
    app.on('activate', () => {
      if (!mainWindow) mainWindow = createWindow();
    });
  });
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !backend) return;
    event.preventDefault();
    closing = true;
    void backend.close().finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

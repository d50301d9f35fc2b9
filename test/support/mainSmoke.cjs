'use strict';
/**
 * Runs a built Electron main bundle (dist/electron/main.cjs) in plain Node with a recording
 * stand-in for the `electron` module, drives it as Electron would (ready, IPC calls, navigation,
 * window.open, permission requests, quit) and prints one JSON report line: each check with ok and
 * a detail, and the native files the bundle loaded. Run as a child process (see mainSmoke.ts) so
 * a bundle that throws, exits or hangs at load is a failed check, not a crashed test runner. No
 * tsx here: the bundle loads through Node's own CommonJS loader, as Electron loads it.
 *
 * argv: BUNDLE CONFIG_JSON   (config: { dataDir, home, methods, samples, picks })
 */
const Module = require('node:module');
const { EventEmitter } = require('node:events');
const { readFileSync, existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const [bundle, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const checks = [];
const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail: String(detail) });
const dlopened = [];
const externals = [];
const rec = {
  appEvents: [],
  privileged: [],
  protocolHandlers: new Map(),
  windows: [],
  ipc: new Map(),
  permissionRequest: null,
  permissionCheck: null,
  safeStorage: [],
  shell: [],
  dialogs: [],
  quitCalls: 0,
  readyAt: null,
  errors: [],
};
let dialogResponse = 0;

function report(extra = {}) {
  process.stdout.write(`SMOKE-REPORT ${JSON.stringify({ checks, dlopened, externals, ...extra })}\n`);
}

// ---- the stand-in: the parts of Electron's main-process API, with Electron's rules where they matter ----
let ready = false;
let resolveReady;
const readyPromise = new Promise((r) => (resolveReady = r));
const app = new EventEmitter();
const appEmit = app.emit.bind(app);
app.emit = (name, ...a) => {
  rec.appEvents.push(name);
  return appEmit(name, ...a);
};
Object.assign(app, {
  requestSingleInstanceLock: () => (rec.singleInstance = true),
  whenReady: () => readyPromise,
  isReady: () => ready,
  getPath: (name) => ({ userData: join(config.dataDir, 'userData'), home: config.home, downloads: join(config.home, 'Downloads') })[name] ?? join(config.home, name),
  quit() {
    rec.quitCalls++;
    const e = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    app.emit('before-quit', e);
    if (e.defaultPrevented) return;
    app.emit('will-quit', { preventDefault() {} });
    app.emit('quit');
  },
});

let nextContentsId = 1;
class WebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextContentsId++;
    this.windowOpenHandler = null;
    this.loaded = [];
    this.sent = [];
  }
  setWindowOpenHandler(h) {
    this.windowOpenHandler = h;
  }
  loadURL(url) {
    this.loaded.push(url);
    return Promise.resolve();
  }
  send(channel, ...args) {
    this.sent.push({ channel, args });
  }
  isDestroyed() {
    return false;
  }
}
function createdContents() {
  const wc = new WebContents();
  app.emit('web-contents-created', { preventDefault() {} }, wc);
  return wc;
}
class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    if (!ready) rec.errors.push('BrowserWindow created before the app was ready (Electron throws)');
    this.options = options;
    this.webContents = createdContents();
    rec.windows.push(this);
  }
  loadURL(url) {
    return this.webContents.loadURL(url);
  }
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return false;
  }
}

const protocol = {
  registerSchemesAsPrivileged(list) {
    if (ready) rec.errors.push('registerSchemesAsPrivileged after ready (Electron ignores it)');
    rec.privileged.push(...list);
  },
  handle(scheme, fn) {
    if (!ready) rec.errors.push(`protocol.handle('${scheme}') before ready (Electron throws)`);
    rec.protocolHandlers.set(scheme, fn);
  },
};
const net = {
  async fetch(url) {
    const u = new URL(url);
    if (u.protocol !== 'file:') throw new Error(`stand-in net.fetch only serves file: URLs, got ${url}`);
    return new Response(readFileSync(require('node:url').fileURLToPath(u)));
  },
};
const defaultSession = {
  setPermissionRequestHandler: (h) => (rec.permissionRequest = h),
  setPermissionCheckHandler: (h) => (rec.permissionCheck = h),
};
const safeStorage = {
  isEncryptionAvailable: () => (rec.safeStorage.push('isEncryptionAvailable'), false),
  getSelectedStorageBackend: () => (rec.safeStorage.push('getSelectedStorageBackend'), 'basic_text'),
  encryptString: (s) => (rec.safeStorage.push('encryptString'), Buffer.from(s)),
  decryptString: (b) => (rec.safeStorage.push('decryptString'), b.toString()),
};
const shell = { openExternal: async (url) => void rec.shell.push(['openExternal', url]), openPath: async (p) => (rec.shell.push(['openPath', p]), '') };
const dialog = {
  async showMessageBox(win, opts) {
    rec.dialogs.push({ kind: 'message', opts });
    return { response: dialogResponse, checkboxChecked: false };
  },
  async showSaveDialog(win, opts) {
    rec.dialogs.push({ kind: 'save', opts });
    return { canceled: false, filePath: config.picks['export-bundle'] };
  },
  async showOpenDialog(win, opts) {
    rec.dialogs.push({ kind: 'open', opts });
    const purpose = /bundle/i.test(opts.title) ? 'import-bundle' : /config/i.test(opts.title) ? 'ssh-config' : 'identity-file';
    return { canceled: false, filePaths: [config.picks[purpose]] };
  },
};
const ipcMain = {
  handle(channel, fn) {
    if (rec.ipc.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    rec.ipc.set(channel, fn);
  },
  removeHandler: (channel) => rec.ipc.delete(channel),
  on() {},
};
const electron = { app, BrowserWindow, protocol, net, session: { defaultSession }, safeStorage, shell, dialog, ipcMain };

// ---- loading: electron is the stand-in; native files and the bundle's own externals are recorded ----
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'electron') return electron;
  if (parent && parent.filename === bundle && !request.startsWith('node:') && !Module.isBuiltin(request)) {
    try {
      externals.push({ request, resolved: Module._resolveFilename(request, parent, isMain) });
    } catch (err) {
      externals.push({ request, resolved: null, error: err.message });
    }
  }
  return load.apply(this, arguments);
};
const dlopen = process.dlopen;
process.dlopen = function (mod, filename, ...rest) {
  dlopened.push(filename);
  return dlopen.call(this, mod, filename, ...rest);
};
let dbCloses = 0;
try {
  const sqlite3 = Module.createRequire(bundle)('sqlite3');
  const close = sqlite3.Database.prototype.close;
  sqlite3.Database.prototype.close = function (...a) {
    dbCloses++;
    return close.apply(this, a);
  };
} catch {
  // the bundle's own require of sqlite3 reports this as a load failure
}

process.argv.push('--data-dir', config.dataDir);
const unhandled = [];
process.on('unhandledRejection', (err) => unhandled.push(String(err && err.stack ? err.stack : err)));
process.on('uncaughtException', (err) => {
  check('no uncaught exception', false, err && err.stack ? err.stack : err);
  report();
  process.exit(1);
});

const waitFor = async (what, cond, ms = 30_000) => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const APP = 'app://gopherscope';
const rendererRoot = resolve(dirname(bundle), '..', 'renderer');

async function main() {
  try {
    require(bundle);
    check('the bundle loads', true);
  } catch (err) {
    check('the bundle loads', false, err && err.stack ? err.stack : err);
    return;
  }
  check('single-instance lock asked for', rec.singleInstance === true);
  const appScheme = rec.privileged.find((s) => s.scheme === 'app');
  check(
    'app: registered as a standard, secure scheme before ready, without bypassCSP',
    appScheme && appScheme.privileges.standard && appScheme.privileges.secure && !appScheme.privileges.bypassCSP && !appScheme.privileges.corsEnabled,
    JSON.stringify(rec.privileged),
  );

  ready = true;
  rec.readyAt = Date.now();
  app.emit('ready', {}, {});
  resolveReady();
  try {
    await waitFor('the window', () => rec.windows.length > 0);
  } catch (err) {
    check('a window is created after ready', false, `${err.message}; unhandled: ${unhandled.join(' | ')}`);
    return;
  }
  const win = rec.windows[0];
  const wc = win.webContents;

  // webPreferences: the security checklist as data.
  const wp = win.options.webPreferences ?? {};
  const wants = { contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, webviewTag: false };
  const wrong = Object.entries(wants)
    .filter(([k, v]) => wp[k] !== v)
    .map(([k, v]) => `${k}=${JSON.stringify(wp[k])} (want ${v})`);
  for (const k of ['nodeIntegrationInSubFrames', 'allowRunningInsecureContent', 'experimentalFeatures']) if (wp[k] === true) wrong.push(`${k}=true`);
  if (wp.enableBlinkFeatures) wrong.push(`enableBlinkFeatures=${wp.enableBlinkFeatures}`);
  if (!/\bAuxclick\b/.test(wp.disableBlinkFeatures ?? '')) wrong.push(`disableBlinkFeatures=${JSON.stringify(wp.disableBlinkFeatures)} (want Auxclick: a middle click asks for no window)`);
  check('webPreferences hold the security checklist', wrong.length === 0, wrong.join(', '));
  check('the preload is the built preload.cjs beside main', wp.preload === join(dirname(bundle), 'preload.cjs') && existsSync(wp.preload), wp.preload);
  check('the window loads app://gopherscope/index.html', wc.loaded[0] === `${APP}/index.html`, JSON.stringify(wc.loaded));

  // app:// serves the built renderer, nothing else.
  const handler = rec.protocolHandlers.get('app');
  if (!handler) check('app:// has a protocol handler', false, [...rec.protocolHandlers.keys()].join(','));
  else {
    const get = async (url) => {
      try {
        const res = await handler(new Request(url));
        return { status: res.status, type: res.headers.get('content-type'), csp: res.headers.get('content-security-policy'), body: Buffer.from(await res.arrayBuffer()) };
      } catch (err) {
        return { status: -1, error: err.message };
      }
    };
    const index = await get(`${APP}/`);
    const indexFile = readFileSync(join(rendererRoot, 'index.html'));
    check(
      'app:// serves the built index.html with the CSP',
      index.status === 200 && index.body.equals(indexFile) && /text\/html/.test(index.type) && /default-src 'self'/.test(index.csp ?? ''),
      `status ${index.status} ${index.type}`,
    );
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(indexFile.toString());
    if (script) {
      const asset = await get(`${APP}/${script[1]}`);
      check(
        'app:// serves the renderer assets',
        asset.status === 200 && asset.body.equals(readFileSync(join(rendererRoot, script[1]))) && /javascript/.test(asset.type),
        `${script[1]}: ${asset.status} ${asset.type}`,
      );
    } else check('app:// serves the renderer assets', false, 'no script in index.html');
    const refused = [
      `${APP}/..%2f..%2fpackage.json`,
      `${APP}/%2e%2e/%2e%2e/package.json`,
      `${APP}/..%5c..%5cpackage.json`,
      `${APP}/%E0%A4%A`,
      `${APP}/index.html%00.js`,
      `${APP}/assets`,
      'app://other/index.html',
      'app://gopherscope:8080/index.html',
      `${APP}/no-such-file.js`,
    ];
    const leaks = [];
    for (const url of refused) {
      const r = await get(url);
      if (r.status !== 404) leaks.push(`${url} -> ${r.status}${r.error ? ` (${r.error})` : ''}`);
    }
    check('app:// refuses traversal, malformed URLs, other hosts and folders with 404', leaks.length === 0, leaks.join('; '));
  }

  // IPC: one handler; every contract method reaches its backend handler; foreign frames are refused.
  const call = rec.ipc.get('gs:call');
  if (!call) check('gs:call has an ipcMain handler', false, [...rec.ipc.keys()].join(','));
  else {
    const own = { sender: wc, senderFrame: { url: `${APP}/index.html`, parent: null } };
    const invoke = (event, method, input) => call(event, method, input);
    const missing = [];
    for (const method of config.methods) {
      let input = config.samples[method];
      if (input === undefined) {
        missing.push(`${method}: no sample input in the smoke test`);
        continue;
      }
      input = JSON.parse(JSON.stringify(input));
      for (const [k, v] of Object.entries(input)) {
        if (typeof v === 'string' && v.startsWith('<pick:')) {
          const picked = await invoke(own, 'files.pick', { purpose: v.slice(6, -1) });
          if (!picked.ok || !picked.value.handle) {
            missing.push(`${method}: files.pick ${v} failed: ${JSON.stringify(picked)}`);
            continue;
          }
          input[k] = picked.value.handle;
        }
      }
      const r = await invoke(own, method, input);
      const msg = r.ok ? '' : `${r.error.code}: ${r.error.message}`;
      if (!r.ok && (r.error.code === 'unknown-method' || /is not a function|may not name a file|Unknown method/.test(r.error.message))) missing.push(`${method}: ${msg}`);
    }
    check('every contract method reaches a handler through IPC', missing.length === 0, missing.join('; '));

    // The sample incident: the main process finds the bundle in the app's own files and imports it.
    const demo = await invoke(own, 'demo.open', {});
    const demoSession = demo.ok ? await invoke(own, 'sessions.open', { sessionId: demo.value.sessionId }) : null;
    check(
      "the sample incident imports from the app's own files (demo.open)",
      demo.ok && demoSession?.ok === true && demoSession.value.artifacts.length > 0 && demoSession.value.tags.includes('demo'),
      JSON.stringify(demoSession?.ok ? { artifacts: demoSession.value.artifacts.length, tags: demoSession.value.tags } : demo).slice(0, 500),
    );

    const before = await invoke(own, 'hosts.list', {});
    const foreign = [
      { name: 'another webContents', event: { sender: new WebContents(), senderFrame: { url: `${APP}/index.html`, parent: null } } },
      { name: 'a foreign origin', event: { sender: wc, senderFrame: { url: 'https://evil.example/', parent: null } } },
      { name: 'a subframe', event: { sender: wc, senderFrame: { url: `${APP}/index.html`, parent: {} } } },
      { name: 'no frame', event: { sender: wc, senderFrame: null } },
    ];
    const accepted = [];
    for (const f of foreign) {
      const r = await invoke(f.event, 'hosts.add', { label: `from ${f.name}`, hostname: 'db-1', user: 'sre' });
      if (r.ok) accepted.push(f.name);
      const p = await invoke(f.event, 'files.pick', { purpose: 'identity-file' });
      if (p.ok) accepted.push(`${f.name} (files.pick)`);
    }
    const after = await invoke(own, 'hosts.list', {});
    check('calls from a foreign frame are refused and never run', accepted.length === 0 && before.ok && after.ok && after.value.length === before.value.length, accepted.join(', '));

    // Paths: the page never names one.
    const named = [];
    const planted = join(config.dataDir, 'named-by-the-page.tar.gz');
    for (const [method, input] of [
      ['sessions.export', { sessionId: 'x', path: planted }],
      ['sessions.import', { path: join(config.home, '.bashrc') }],
      ['sshConfig.read', { path: '/etc/passwd' }],
      ['hosts.add', { label: 'k', hostname: 'db-1', user: 'sre', identityFile: join(config.home, '.ssh', 'id_ed25519') }],
    ]) {
      const r = await invoke(own, method, input);
      if (r.ok || !/may not name a file/.test(r.error.message)) named.push(`${method}: ${JSON.stringify(r).slice(0, 200)}`);
    }
    const other = await invoke(own, 'files.pick', { purpose: 'identity-file' });
    const crossed = other.ok ? await invoke(own, 'sessions.import', { path: other.value.handle }) : { ok: true };
    if (crossed.ok || !/may not name a file/.test(crossed.error.message)) named.push(`an identity-file handle was taken by sessions.import: ${JSON.stringify(crossed).slice(0, 200)}`);
    if (existsSync(planted)) named.push('the export named by the page was written');
    const cfg = await invoke(own, 'files.pick', { purpose: 'ssh-config' });
    const read = cfg.ok ? await invoke(own, 'sshConfig.read', { path: cfg.value.handle }) : cfg;
    const files = read.ok ? read.value.hosts.flatMap((h) => h.identityFiles) : [];
    if (!read.ok || files.length === 0 || files.some((f) => !f.startsWith('gs-file:'))) named.push(`sshConfig.read gave the page identity paths, not handles: ${JSON.stringify(read).slice(0, 300)}`);
    else {
      const added = await invoke(own, 'hosts.add', { label: 'from config', hostname: 'db-2', user: 'sre', identityFile: files[0] });
      if (!added.ok || added.value.identityFile !== require('node:path').basename(config.configIdentity))
        named.push(`the config's identity handle did not add the host with its path: ${JSON.stringify(added).slice(0, 300)}`);
    }
    check('paths named by the page are refused; only dialog handles of the same purpose pass', named.length === 0, named.join('; '));
  }

  // Navigation, new windows, webviews and permissions are denied.
  const nav = [];
  const fire = (target, name, ...args) => {
    const e = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    target.emit(name, e, ...args);
    return e.defaultPrevented;
  };
  for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/index.html', 'app://gopherscope.evil.example/']) {
    if (!fire(wc, 'will-navigate', url)) nav.push(`will-navigate ${url}`);
    if (!fire(wc, 'will-redirect', url)) nav.push(`will-redirect ${url}`);
  }
  if (fire(wc, 'will-navigate', `${APP}/index.html#/sessions`)) nav.push('our own page was refused');
  if (!fire(wc, 'will-attach-webview', {}, {})) nav.push('will-attach-webview allowed');
  const other = createdContents();
  if (!other.windowOpenHandler || other.windowOpenHandler({ url: 'https://example.com/' }).action !== 'deny') nav.push('a new webContents may open windows');
  if (!fire(other, 'will-attach-webview', {}, {})) nav.push('a new webContents may attach a webview');
  check('navigation away, redirects and webviews are denied', nav.length === 0, nav.join('; '));

  const opened = [];
  const dialogsBefore = rec.dialogs.length;
  const settle = () => new Promise((r) => setTimeout(r, 50));
  for (const url of ['https://go.dev/doc/gc-guide', 'http://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@example.com/']) {
    const r = wc.windowOpenHandler ? wc.windowOpenHandler({ url }) : { action: 'allow' };
    if (r.action !== 'deny') opened.push(`${url} opened a window`);
  }
  await settle();
  const asked = rec.dialogs.slice(dialogsBefore).filter((d) => d.kind === 'message');
  if (asked.length !== 1 || !String(asked[0].opts.detail ?? asked[0].opts.message).includes('https://go.dev/doc/gc-guide')) opened.push(`dialogs: ${JSON.stringify(asked.map((d) => d.opts))}`);
  if (rec.shell.length !== 0) opened.push(`opened without a yes: ${JSON.stringify(rec.shell)}`);
  dialogResponse = 1;
  wc.windowOpenHandler({ url: 'https://go.dev/doc/gc-guide' });
  await settle();
  if (JSON.stringify(rec.shell) !== JSON.stringify([['openExternal', 'https://go.dev/doc/gc-guide']])) opened.push(`after yes: ${JSON.stringify(rec.shell)}`);
  dialogResponse = 0;
  check('new windows are denied; only https opens, after a dialog naming the address', opened.length === 0, opened.join('; '));

  const perms = [];
  if (!rec.permissionRequest) perms.push('no permission request handler');
  else
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted = null;
      rec.permissionRequest(wc, p, (v) => (granted = v), {});
      if (granted !== false) perms.push(`${p}: ${granted}`);
    }
  if (!rec.permissionCheck) perms.push('no permission check handler');
  else if (rec.permissionCheck(wc, 'media', `${APP}`, {}) !== false) perms.push('permission check allows media');
  check('permission requests and checks are denied', perms.length === 0, perms.join('; '));

  check(
    'safeStorage is consulted before any secret is kept, and nothing is encrypted without a keyring',
    rec.safeStorage.includes('isEncryptionAvailable') && !rec.safeStorage.includes('encryptString'),
    rec.safeStorage.join(','),
  );
  check('nothing was done before ready that Electron refuses', rec.errors.length === 0, rec.errors.join('; '));

  // Quit: the backend and the store close before the app goes.
  const quitAt = rec.appEvents.length;
  app.quit();
  try {
    await waitFor('quit', () => rec.appEvents.slice(quitAt).includes('quit'), 20_000);
    const wal = join(config.dataDir, 'gopherscope.db-wal');
    check(
      'quitting closes the backend and the store, then quits',
      dbCloses >= 1 && rec.quitCalls >= 2 && !existsSync(wal),
      `db closes ${dbCloses}, quit calls ${rec.quitCalls}, WAL left: ${existsSync(wal)}`,
    );
  } catch (err) {
    check('quitting closes the backend and the store, then quits', false, `${err.message}; db closes ${dbCloses}; events ${rec.appEvents.slice(quitAt).join(',')}`);
  }
  check('no unhandled rejection', unhandled.length === 0, unhandled.join(' | '));
}

main().then(
  () => {
    report();
    process.exit(0);
  },
  (err) => {
    check('the smoke run finished', false, err && err.stack ? err.stack : err);
    report();
    process.exit(1);
  },
);

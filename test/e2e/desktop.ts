/**
 * The desktop app's real window, driven by playwright-core's Electron support: the built main
 * bundle (dist/electron/main.cjs, through package.json's "main") run by the Electron binary from
 * node_modules. Where that binary is absent (installed with ELECTRON_SKIP_BINARY_DOWNLOAD, as on
 * our machines) or there is no display, `desktopSkipReason()` says so and the tests skip with it.
 *
 * This is the development binary, not the packaged one: playwright attaches through
 * --inspect/--remote-debugging-port, which the packaged app's fuses switch off on purpose. The
 * packaged binary's fuses and asar are checked by build/check-fuses.mjs and build/check-asar.mjs.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..');

/**
 * The Electron executable as node_modules/electron/index.js finds it, read without requiring that
 * module: requiring it with the binary missing starts a download.
 */
export function electronExecutable(): string | null {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const full = override ? join(override, rel ?? 'electron') : rel ? join(pkg, 'dist', rel) : null;
  return full && existsSync(full) ? full : null;
}

/** Why the desktop window cannot be driven here, in one line, or null when it can. */
export function desktopSkipReason(): string | null {
  if (!electronExecutable())
    return 'Electron binary absent (node_modules/electron has no dist: installed with ELECTRON_SKIP_BINARY_DOWNLOAD); the desktop-window flows run in CI (.github/workflows/ci.yml)';
  if (!existsSync(join(root, 'dist', 'electron', 'main.cjs'))) return 'dist/electron/main.cjs is not built (npm run build)';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (DISPLAY unset): run under xvfb-run, as CI does';
  return null;
}

export interface Desktop {
  readonly app: ElectronApplication;
  readonly window: Page;
  readonly dataDir: string;
  /** What the main process wrote to stderr so far. */
  stderr(): string;
  /** Quits as a user does (the app closes the backend and the store first). */
  close(): Promise<void>;
}

/**
 * Starts the desktop app with its own data folder and its own HOME, so the user's
 * ~/.ssh/known_hosts, keys and Electron's userData (and its single-instance lock) are the test's.
 */
export async function launchDesktop(opts: { dataDir?: string } = {}): Promise<Desktop> {
  const executablePath = electronExecutable();
  if (!executablePath) throw new Error(desktopSkipReason() ?? 'no Electron binary');
  const home = mkdtempSync(join(tmpdir(), 'gs-desktop-home-'));
  mkdirSync(join(home, '.ssh'));
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'gs-desktop-data-'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ELECTRON_RUN_AS_NODE')) env[k] = v;
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ELECTRON_ENABLE_LOGGING: '1' });
  // Chromium refuses to run as root with its sandbox (the lab runs as root); the renderer is still
  // sandboxed by Electron's own `sandbox: true` (no Node, only the preload's bridge).
  const args = [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', root, '--data-dir', dataDir];
  const app = await _electron.launch({ executablePath, args, cwd: root, env, timeout: 60_000 });
  let stderr = '';
  app.process().stderr?.on('data', (d) => (stderr += d));
  const window = await app.firstWindow({ timeout: 60_000 });
  window.setDefaultTimeout(20_000);
  await window.waitForLoadState('domcontentloaded');
  return {
    app,
    window,
    dataDir,
    stderr: () => stderr,
    async close() {
      await app.close();
    },
  };
}

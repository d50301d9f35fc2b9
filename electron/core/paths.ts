import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/**
 * The per-OS app data folder, the same one Electron's app.getPath('userData')
 * gives for productName "Gopherscope", so the CLI, browser mode and the
 * desktop app share one session library.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GOPHERSCOPE_DATA_DIR) return env.GOPHERSCOPE_DATA_DIR;
  switch (platform()) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Gopherscope');
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Gopherscope');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Gopherscope');
  }
}

import { createApi, type Api } from '../../../shared/contract/client';
import { createIpcTransport, preloadBridge } from './ipcTransport';
import { createWsTransport } from './wsTransport';

/** The only place that decides which wire carries the contract. */
export function connectApi(): Api {
  const bridge = preloadBridge();
  return createApi(bridge ? createIpcTransport(bridge) : createWsTransport());
}

/** Only the desktop app has a file dialog (`files.pick`); in browser mode the page names identity files in the serve command's --identity-dir. */
export function hasFileDialog(): boolean {
  return preloadBridge() !== undefined;
}

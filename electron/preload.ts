/**
 * The only file that touches ipcRenderer. It exposes one function per
 * contract method on window.gopherscope, validating input before it leaves
 * the page and event payloads before they reach it. Bundled into one file
 * because sandboxed preloads cannot require modules.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { events, isEventName, methodNames, methods, type EventName } from '../shared/contract/api';
import type { Reply } from '../shared/contract/errors';

const CALL_CHANNEL = 'gs:call';
const EVENT_CHANNEL = 'gs:event';
const DROP_CHANNEL = 'gs:drop';

const bridge: Record<string, unknown> = {};
for (const method of methodNames) {
  bridge[method] = (input: unknown): Promise<Reply<unknown>> => {
    const parsed = methods[method].input.safeParse(input ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return Promise.resolve({ ok: false, error: { code: 'invalid-input', message: `${method}: ${issue?.path.join('.') || '(input)'}: ${issue?.message ?? 'invalid'}` } });
    }
    return ipcRenderer.invoke(CALL_CHANNEL, method, parsed.data) as Promise<Reply<unknown>>;
  };
}

type Listener = (payload: unknown) => void;
const listeners = new Map<EventName, Set<Listener>>();
ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (!isEventName(name)) return;
  const parsed = events[name].safeParse(payload);
  if (!parsed.success) return;
  for (const l of listeners.get(name) ?? []) l(parsed.data);
});

bridge.on = (name: unknown, listener: unknown): (() => void) => {
  if (!isEventName(name) || typeof listener !== 'function') throw new TypeError('gopherscope.on(event, listener): unknown event or listener');
  let set = listeners.get(name);
  if (!set) listeners.set(name, (set = new Set()));
  const l = listener as Listener;
  set.add(l);
  return () => set!.delete(l);
};

/**
 * A file dropped onto the window (or picked in a file input) becomes an import-bundle handle. The
 * page hands over only the File object; its path comes from Electron, which gives one only to a
 * File the user dropped or chose, never to one page script made. The path goes to the main process,
 * which grants a handle good for one sessions.import.
 */
bridge.grantDroppedFile = async (file: unknown): Promise<Reply<unknown>> => {
  let path: string;
  try {
    path = file instanceof File ? webUtils.getPathForFile(file) : '';
  } catch {
    path = '';
  }
  if (!path) return { ok: false, error: { code: 'invalid-input', message: 'Only a file dropped from your file manager can be imported this way.', hint: 'Use Import… to choose the file.' } };
  return ipcRenderer.invoke(DROP_CHANNEL, path) as Promise<Reply<unknown>>;
};

contextBridge.exposeInMainWorld('gopherscope', bridge);

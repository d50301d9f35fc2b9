import type { EventName, EventPayload } from '../../shared/contract/api';
import type { Handlers } from '../../shared/contract/dispatch';
import type { SecretStore } from './secrets';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/**
 * The backend as every host process sees it: Electron main, browser-mode
 * server, CLI and tests all construct one with createBackend() from
 * ./backend and talk to it only through these members.
 */
export interface Backend {
  readonly handlers: Handlers;
  /** Subscribe to every backend event; returns an unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Disconnects SSH, waits for captures to settle, closes the database. */
  close(): Promise<void>;
  readonly dataDir: string;
}

export interface BackendOptions {
  /** Where the SQLite database, blobs and the app's known_hosts live. */
  readonly dataDir: string;
  /** The user's OpenSSH known_hosts, read-only; default ~/.ssh/known_hosts. */
  readonly userKnownHostsFile?: string;
  /** The user's ~/.ssh/config, for sshConfig.read. */
  readonly sshConfigFile?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK. */
  readonly agentSocket?: string;
  /** Where remembered secrets may go; default: none (browser mode, CLI). */
  readonly secretStore?: SecretStore;
  /** The sample incident bundle shipped with the app (core/demo.ts), for demo.open; none: demo.open says so. */
  readonly demoBundle?: string;
  /** Opens an address the backend made itself (go tool trace's loopback viewer) in the user's browser, after asking: the desktop app's shell; absent in browser mode, where the page shows a link. Resolves whether it was opened. */
  readonly openUrl?: (url: string) => Promise<boolean>;
}

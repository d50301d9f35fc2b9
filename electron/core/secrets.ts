/**
 * Where remembered passphrases and passwords may live. Never in plaintext:
 * the desktop app supplies an implementation backed by Electron safeStorage,
 * and only when its backend really encrypts; browser mode and the CLI have
 * none, and say why.
 */
export interface SecretStore {
  /** False means "remember" must be refused; reason says why, in words for the user. */
  readonly available: boolean;
  readonly reason: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export function noSecretStore(reason: string): SecretStore {
  return {
    available: false,
    reason,
    get: async () => undefined,
    set: async () => {
      throw new Error(reason);
    },
    delete: async () => undefined,
  };
}

/**
 * Remembered secrets for the desktop app, encrypted by Electron safeStorage
 * (the OS keychain). On Linux, safeStorage silently falls back to the
 * "basic_text" backend when no keyring runs; that is obfuscation, not
 * encryption, so we refuse to remember anything there and say why.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretStore } from './secrets';

/** The part of Electron's safeStorage we use (passed in, so this module needs no Electron at test time). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export function safeStorageSecrets(safe: SafeStorageLike, file: string, platform: string = process.platform): SecretStore {
  let available = false;
  let reason = '';
  if (!safe.isEncryptionAvailable()) {
    reason = 'The operating system offers no encryption for stored secrets, so Gopherscope will not remember them.';
  } else if (platform === 'linux' && ['basic_text', 'unknown'].includes(safe.getSelectedStorageBackend?.() ?? 'unknown')) {
    reason = 'No keyring (gnome-libsecret or KWallet) is running, so Electron would only obfuscate secrets (basic_text). Gopherscope refuses to remember them; start a keyring or use ssh-agent.';
  } else {
    available = true;
    reason = 'Kept encrypted by the operating system keychain.';
  }
  const load = (): Record<string, string> => {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  const save = (all: Record<string, string>) => {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, JSON.stringify(all), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  };
  return {
    available,
    reason,
    async get(key) {
      if (!available) return undefined;
      const v = load()[key];
      if (v === undefined) return undefined;
      try {
        return safe.decryptString(Buffer.from(v, 'base64'));
      } catch {
        return undefined;
      }
    },
    async set(key, value) {
      if (!available) throw new Error(reason);
      save({ ...load(), [key]: safe.encryptString(value).toString('base64') });
    },
    async delete(key) {
      const all = load();
      delete all[key];
      save(all);
    },
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safeStorageSecrets, type SafeStorageLike } from './safeSecrets';

/** A stand-in keychain with real AES-GCM, as safeStorage's keyring backends provide. */
function keychain(backend: string, available = true): SafeStorageLike {
  const key = randomBytes(32);
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(buf) {
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
      d.setAuthTag(buf.subarray(12, 28));
      return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

test('with a real keyring, secrets round-trip and never hit the disk in plaintext', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gs-secrets-')), 'secrets.json');
  const store = safeStorageSecrets(keychain('gnome_libsecret'), file, 'linux');
  assert.equal(store.available, true);
  await store.set('password:root@db:22', 'hunter2-very-secret');
  assert.equal(await store.get('password:root@db:22'), 'hunter2-very-secret');
  assert.equal(readFileSync(file, 'utf8').includes('hunter2'), false);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  await store.delete('password:root@db:22');
  assert.equal(await store.get('password:root@db:22'), undefined);
});

test('Linux basic_text is refused with the reason; no encryption at all too', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gs-secrets-')), 'secrets.json');
  const basic = safeStorageSecrets(keychain('basic_text'), file, 'linux');
  assert.equal(basic.available, false);
  assert.match(basic.reason, /basic_text/);
  await assert.rejects(basic.set('k', 'v'), /basic_text/);
  const none = safeStorageSecrets(keychain('basic_text', false), file, 'darwin');
  assert.equal(none.available, false);
  const mac = safeStorageSecrets(keychain('unknown'), file, 'darwin');
  assert.equal(mac.available, true, 'macOS Keychain does not report a Linux backend');
});

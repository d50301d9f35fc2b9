/**
 * OpenSSH known_hosts semantics: plain and hashed (|1|salt|hmac) host
 * fields, [host]:port for non-22 ports, `*` `?` and `!` patterns, and the
 * @revoked / @cert-authority markers. We read the user's file read-only and
 * write accepted keys only to the app's own file.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  readonly source: string;
  readonly line: number;
  readonly marker: 'revoked' | 'cert-authority' | null;
  readonly hostField: string;
  readonly keyType: string;
  readonly keyBase64: string;
}

export interface PresentedKey {
  readonly keyType: string;
  readonly keyBase64: string;
  readonly fingerprint: string;
}

export type HostKeyVerdict =
  | { readonly kind: 'trusted'; readonly entry: KnownHostEntry }
  | { readonly kind: 'unknown'; readonly notes: readonly string[] }
  | { readonly kind: 'changed'; readonly expected: readonly KnownHostEntry[] }
  | { readonly kind: 'revoked'; readonly entry: KnownHostEntry };

export function fingerprintOf(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The key type is the first SSH string inside the key blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function presentedKey(blob: Buffer): PresentedKey {
  const keyBase64 = blob.toString('base64');
  return { keyType: keyTypeOf(blob), keyBase64, fingerprint: fingerprintOf(keyBase64) };
}

export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string, source: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: OpenSSH ignores the line too
    }
    const [hostField, keyType, keyBase64] = fields;
    if (!hostField || !keyType || !keyBase64) continue;
    entries.push({ source, line: i + 1, marker, hostField, keyType, keyBase64 });
  }
  return entries;
}

function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 'i');
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|'); // '', '1', salt, hash
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = parts[3]!;
  return createHmac('sha1', salt).update(name).digest('base64') === expected;
}

/** OpenSSH match_hostname(): any negated pattern that matches vetoes the line. */
export function hostFieldMatches(hostField: string, host: string, port: number): boolean {
  const name = hostPattern(host, port);
  if (hostField.startsWith('|1|')) return hashedMatches(hostField, name);
  let positive = false;
  for (const pattern of hostField.split(',')) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(glob).test(name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

export class KnownHosts {
  constructor(
    /** Files read, in order: the user's OpenSSH file(s) first, then the app's own. */
    private readonly readFiles: readonly string[],
    /** Where keys the user trusts through Gopherscope are appended. */
    readonly appFile: string,
  ) {}

  async entries(): Promise<KnownHostEntry[]> {
    const all: KnownHostEntry[] = [];
    for (const file of [...this.readFiles, this.appFile]) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // a missing known_hosts file is normal
      }
      all.push(...parseKnownHosts(text, file));
    }
    return all;
  }

  async verify(host: string, port: number, key: PresentedKey): Promise<HostKeyVerdict> {
    const entries = await this.entries();
    const notes: string[] = [];
    for (const e of entries) {
      if (e.marker === 'revoked' && e.keyBase64 === key.keyBase64) return { kind: 'revoked', entry: e };
    }
    const forHost = entries.filter((e) => hostFieldMatches(e.hostField, host, port));
    for (const e of forHost) {
      if (e.marker === 'cert-authority') notes.push(`${e.source}:${e.line}: @cert-authority entries are not supported yet; the host key is checked against plain entries only`);
    }
    const plain = forHost.filter((e) => e.marker === null);
    const exact = plain.find((e) => e.keyBase64 === key.keyBase64);
    if (exact) return { kind: 'trusted', entry: exact };
    // OpenSSH treats a different key of the same type as a change; other key types mean "unknown for this type".
    const sameType = plain.filter((e) => e.keyType === key.keyType);
    if (sameType.length > 0) return { kind: 'changed', expected: sameType };
    return { kind: 'unknown', notes };
  }

  async trust(host: string, port: number, keyType: string, keyBase64: string): Promise<void> {
    await mkdir(dirname(this.appFile), { recursive: true, mode: 0o700 });
    await appendFile(this.appFile, `${hostPattern(host, port)} ${keyType} ${keyBase64}\n`, { mode: 0o600 });
  }
}

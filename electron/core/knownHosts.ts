/**
 * OpenSSH known_hosts semantics: plain and hashed (|1|salt|hmac) host
 * fields, [host]:port for non-22 ports, `*` `?` and `!` patterns, and the
 * @revoked / @cert-authority markers. We read the user's file read-only and
 * write accepted keys only to the app's own file. As in OpenSSH, a host with
 * any key on record (of any type) is never "unknown": another key is a change.
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

/**
 * The server host-key algorithms to offer when these key types are on record for the host: their
 * algorithms first, then ssh2's defaults, as OpenSSH's order_hostkeyalgs() does, so a host known by
 * its RSA key presents that key rather than a newer type the client would have to call a change.
 * In ssh2's `algorithms.serverHostKey` form (remove, then prepend, applied to its default list);
 * undefined when nothing is on record (ssh2's defaults).
 */
export function hostKeyAlgorithmsFor(knownTypes: readonly string[]): { remove: string[]; prepend: string[] } | undefined {
  const known = new Set(knownTypes);
  const first = HOST_KEY_ALGORITHMS.filter(([type]) => known.has(type)).flatMap(([, algs]) => algs);
  return first.length > 0 ? { remove: first, prepend: first } : undefined;
}

/** known_hosts key type → the host-key algorithms that present it, in ssh2's default preference order. */
const HOST_KEY_ALGORITHMS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['ssh-ed25519', ['ssh-ed25519']],
  ['ecdsa-sha2-nistp256', ['ecdsa-sha2-nistp256']],
  ['ecdsa-sha2-nistp384', ['ecdsa-sha2-nistp384']],
  ['ecdsa-sha2-nistp521', ['ecdsa-sha2-nistp521']],
  // An RSA key signs with any of these (RFC 8332); known_hosts stores it as ssh-rsa.
  ['ssh-rsa', ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']],
];

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

  /** Plain (unmarked) entries for host:port; @revoked and @cert-authority lines are not host keys. */
  private static plainFor(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
    return entries.filter((e) => e.marker === null && hostFieldMatches(e.hostField, host, port));
  }

  /** Key types on record for host:port, in file order without repeats (for ordering host-key algorithms). */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    return [...new Set(KnownHosts.plainFor(await this.entries(), host, port).map((e) => e.keyType))];
  }

  async verify(host: string, port: number, key: PresentedKey): Promise<HostKeyVerdict> {
    const entries = await this.entries();
    const notes: string[] = [];
    for (const e of entries) {
      if (e.marker === 'revoked' && e.keyBase64 === key.keyBase64) return { kind: 'revoked', entry: e };
    }
    for (const e of entries) {
      if (e.marker === 'cert-authority' && hostFieldMatches(e.hostField, host, port))
        notes.push(`${e.source}:${e.line}: @cert-authority entries are not supported yet; the host key is checked against plain entries only`);
    }
    const plain = KnownHosts.plainFor(entries, host, port);
    const exact = plain.find((e) => e.keyBase64 === key.keyBase64);
    if (exact) return { kind: 'trusted', entry: exact };
    // Any key on record for this host, of this type or another, makes a different key a change, as
    // OpenSSH says "REMOTE HOST IDENTIFICATION HAS CHANGED" for both. Counting another type as
    // "unknown" would let an impostor with an RSA key pass as a new host under accept-new.
    // Keys of the presented type are listed first.
    if (plain.length > 0) return { kind: 'changed', expected: [...plain.filter((e) => e.keyType === key.keyType), ...plain.filter((e) => e.keyType !== key.keyType)] };
    return { kind: 'unknown', notes };
  }

  async trust(host: string, port: number, keyType: string, keyBase64: string): Promise<void> {
    await mkdir(dirname(this.appFile), { recursive: true, mode: 0o700 });
    await appendFile(this.appFile, `${hostPattern(host, port)} ${keyType} ${keyBase64}\n`, { mode: 0o600 });
  }
}

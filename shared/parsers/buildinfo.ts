/**
 * Go build info (`.go.buildinfo`), pointer-free format (Go 1.18+): a 32-byte
 * header with the magic at a 16-byte-aligned offset, then two
 * uvarint-length-prefixed strings: runtime.buildVersion and runtime.modinfo.
 * Format: debug/buildinfo and ../shared/reference/go-runtime-facts.md §5.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';
import { decodeUtf8 } from '../util/utf8';

export interface GoModule {
  readonly path: string;
  readonly version: string;
  readonly sum?: string;
  readonly replacedBy?: { readonly path: string; readonly version: string; readonly sum?: string };
}

export interface GoBuildInfo {
  readonly goVersion: string;
  /** Main package path (`path` line). */
  readonly path?: string;
  readonly main?: GoModule;
  readonly deps: readonly GoModule[];
  readonly settings: Readonly<Record<string, string>>;
  /** True when the strings ran past the bytes we were given. */
  readonly truncated: boolean;
}

const MAGIC = [0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a]; // "\xff Go buildinf:"
const MODINFO_SENTINEL_LEN = 16;

export function findBuildInfoMagic(bytes: Uint8Array): number {
  outer: for (let at = 0; at + 32 <= bytes.length; at += 16) {
    for (let i = 0; i < MAGIC.length; i++) if (bytes[at + i] !== MAGIC[i]) continue outer;
    return at;
  }
  return -1;
}

function readUvarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: at + i + 1 };
    scale *= 128;
  }
  return undefined;
}

export function parseBuildInfo(bytes: Uint8Array): ParseResult<GoBuildInfo> {
  const at = findBuildInfoMagic(bytes);
  if (at < 0) return failed({ message: 'no Go build info magic ("\\xff Go buildinf:") at any 16-byte boundary', offset: 0 });
  const flags = bytes[at + 15] ?? 0;
  if ((flags & 2) === 0) {
    return failed({ message: 'pre-Go 1.18 build info (pointer format) is not supported yet', offset: at + 15 });
  }
  const warnings: ParseWarning[] = [];
  let truncated = false;
  const readString = (pos: number, what: string): { text: string; next: number } | undefined => {
    const len = readUvarint(bytes, pos);
    if (!len) {
      truncated = true;
      warnings.push({ message: `${what} length runs past the bytes read`, offset: pos });
      return undefined;
    }
    const end = len.next + len.value;
    if (end > bytes.length) {
      truncated = true;
      warnings.push({ message: `${what} (${len.value} bytes) runs past the bytes read`, offset: len.next });
      return { text: decodeUtf8(bytes.subarray(len.next)), next: bytes.length };
    }
    return { text: decodeUtf8(bytes.subarray(len.next, end)), next: end };
  };
  const version = readString(at + 32, 'Go version');
  if (!version) return failed({ message: 'Go version string is missing', offset: at + 32 }, warnings);
  if (!/^go\d/.test(version.text) && !/^devel/.test(version.text)) {
    warnings.push({ message: `unexpected Go version string ${JSON.stringify(version.text.slice(0, 40))}`, offset: at + 32 });
  }
  const mod = truncated ? undefined : readString(version.next, 'module info');
  const modText = mod ? stripSentinels(mod.text) : '';
  return parsed({ goVersion: version.text, ...parseModInfo(modText), truncated }, warnings);
}

function stripSentinels(mod: string): string {
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') return mod.slice(MODINFO_SENTINEL_LEN, mod.length - MODINFO_SENTINEL_LEN);
  return '';
}

function unquote(s: string): string {
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}

export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion' | 'truncated'> {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings: Record<string, string> = {};
  let last: 'main' | 'dep' | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path':
        path = f[1];
        break;
      case 'mod':
        main = { path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) };
        last = 'main';
        break;
      case 'dep':
        deps.push({ path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) });
        last = 'dep';
        break;
      case '=>': {
        const replacedBy = { path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) };
        if (last === 'main' && main) main = { ...main, replacedBy };
        else if (last === 'dep' && deps.length > 0) deps[deps.length - 1] = { ...deps[deps.length - 1]!, replacedBy };
        break;
      }
      case 'build': {
        const kv = line.slice('build\t'.length);
        const eq = kv.startsWith('"') ? kv.indexOf('=', kv.indexOf('"', 1)) : kv.indexOf('=');
        if (eq > 0) settings[unquote(kv.slice(0, eq))] = unquote(kv.slice(eq + 1));
        break;
      }
      default:
        break;
    }
  }
  return { ...(path !== undefined ? { path } : {}), ...(main ? { main } : {}), deps, settings };
}

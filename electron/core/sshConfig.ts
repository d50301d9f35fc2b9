/**
 * Import hosts from OpenSSH's ~/.ssh/config, parsed with the ssh-config
 * package. Include is expanded in place (as ssh does, with globs, relative
 * paths resolved against ~/.ssh, and a depth limit); every concrete Host
 * alias is computed with OpenSSH's first-value-wins rule. Directives we
 * cannot honour yet are reported per host instead of being dropped.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';

export interface ImportedHost {
  readonly alias: string;
  readonly hostname: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** ProxyJump hops in the order ssh would use them, each as [user@]host[:port]. */
  readonly proxyJump: readonly string[];
  readonly strictHostKeyChecking: string | undefined;
  /** Directives that matter but are not supported: the user must know the import is not equivalent. */
  readonly unsupported: readonly string[];
}

export interface ConfigImport {
  readonly hosts: readonly ImportedHost[];
  readonly warnings: readonly string[];
}

const MAX_INCLUDE_DEPTH = 16;

/** Directives whose absence would change how or where ssh connects. */
const UNSUPPORTED = ['proxycommand', 'localcommand', 'certificatefile', 'pkcs11provider', 'securitykeyprovider', 'knownhostscommand', 'remotecommand', 'hostkeyalias', 'canonicalizehostname'];

function expandTilde(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

function globFiles(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const dir = dirname(pattern);
  const re = new RegExp(
    `^${basename(pattern)
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  try {
    return readdirSync(dir)
      .filter((n) => re.test(n))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

function inline(file: string, home: string, depth: number, warnings: string[]): string {
  if (depth > MAX_INCLUDE_DEPTH) {
    warnings.push(`${file}: Include nested more than ${MAX_INCLUDE_DEPTH} deep; stopped`);
    return '';
  }
  let text: string;
  try {
    if (!statSync(file).isFile()) return '';
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (depth > 0) warnings.push(`${file}: ${(err as Error).message}`);
    else throw err;
    return '';
  }
  const sshDir = join(home, '.ssh');
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s*include\s+(.+)$/i.exec(line);
      if (!m) return line;
      return m[1]!
        .trim()
        .split(/\s+/)
        .map((spec) => spec.replace(/^"(.*)"$/, '$1'))
        .flatMap((spec) => {
          const p = expandTilde(spec, home);
          return globFiles(isAbsolute(p) ? p : join(sshDir, p));
        })
        .map((f) => inline(f, home, depth + 1, warnings))
        .join('\n');
    })
    .join('\n');
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** What ssh would use for `alias`: OpenSSH's first-value-wins over every matching Host block. */
function hostOf(config: SSHConfig, alias: string, home: string): ImportedHost {
  const c = config.compute(alias, { ignoreCase: true, matchExec: false }) as Record<string, string | string[]>;
  const unsupported = UNSUPPORTED.filter((k) => c[k] !== undefined).map((k) => `${k}: ${String(first(c[k]))}`);
  const jump = first(c.proxyjump);
  const portText = first(c.port);
  const port = portText ? Number(portText) : 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) unsupported.push(`port: ${portText} is not a valid port`);
  const identityFiles = (Array.isArray(c.identityfile) ? c.identityfile : c.identityfile ? [c.identityfile] : []).map((p) => expandTilde(p, home));
  return {
    alias,
    hostname: (first(c.hostname) ?? alias).replace(/%h/g, alias),
    port: Number.isInteger(port) ? port : 22,
    user: first(c.user),
    identityFiles,
    identitiesOnly: /^yes$/i.test(first(c.identitiesonly) ?? ''),
    proxyJump:
      jump && !/^none$/i.test(jump)
        ? jump
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    strictHostKeyChecking: first(c.stricthostkeychecking),
    unsupported,
  };
}

/**
 * A name as `ssh NAME` reads it: whatever Host blocks match it (wildcards included), or null when
 * there is no config file. A name no block mentions comes back as itself, with `Host *` applied.
 */
export function resolveSshHost(name: string, file = join(homedir(), '.ssh', 'config'), home = homedir()): { host: ImportedHost; warnings: readonly string[] } | null {
  const warnings: string[] = [];
  let text: string;
  try {
    text = inline(file, home, 0, warnings);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return { host: hostOf(SSHConfig.parse(text), name, home), warnings };
}

export function importSshConfig(file = join(homedir(), '.ssh', 'config'), home = homedir()): ConfigImport {
  const warnings: string[] = [];
  const text = inline(file, home, 0, warnings);
  const config = SSHConfig.parse(text);
  const aliases: string[] = [];
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || !/^host$/i.test(line.param)) continue;
    const values = Array.isArray(line.value) ? line.value : String(line.value).split(/\s+/);
    for (const v of values) {
      const alias = typeof v === 'string' ? v : (v as { val: string }).val;
      if (!alias || /[*?!]/.test(alias) || aliases.includes(alias)) continue;
      aliases.push(alias);
    }
  }
  if (config.some((l) => l.type === SSHConfig.DIRECTIVE && /^match$/i.test(l.param))) {
    warnings.push('Match blocks are evaluated without `exec` criteria (never run from an import)');
  }
  const hosts = aliases.map((alias) => hostOf(config, alias, home));
  return { hosts, warnings };
}

/**
 * Secret masking for environ and cmdline before anything is stored.
 * Names follow the gitleaks generic-api-key idea (key, secret, token, passw,
 * cred, auth); values are matched by shape (AWS keys, GitHub tokens, JWTs,
 * URLs with credentials, PEM blocks). We record which rule fired, never the value.
 */

export interface Redaction {
  /** Variable name for environ, `argv[N]` for cmdline. */
  readonly key: string;
  readonly rule: string;
}

const SECRET_NAME = /(key|secret|token|passw|(?:^|_)pwd(?:$|_)|cred|auth|private|session|cookie|signature|salt)/i;
/** Names that match SECRET_NAME by accident but are well known and harmless. */
const HARMLESS_NAMES = new Set(['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'XAUTHORITY', 'KEYTIMEOUT', 'GPG_AGENT_INFO']);

const VALUE_RULES: ReadonlyArray<{ readonly rule: string; readonly re: RegExp }> = [
  { rule: 'pem-private-key', re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { rule: 'aws-access-key-id', re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/ },
  { rule: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/ },
  { rule: 'jwt', re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/ },
  { rule: 'url-credentials', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i },
  { rule: 'slack-token', re: /\bxox[baprs]-[A-Za-z0-9-]{10,}/ },
];

export function masked(rule: string): string {
  return `[REDACTED:${rule}]`;
}

export function secretValueRule(value: string): string | undefined {
  for (const { rule, re } of VALUE_RULES) if (re.test(value)) return rule;
  return undefined;
}

export function secretNameRule(name: string): string | undefined {
  if (HARMLESS_NAMES.has(name)) return undefined;
  return SECRET_NAME.test(name) ? 'secret-name' : undefined;
}

/**
 * Redact a NUL-separated environ block. Names are kept; a value is masked
 * when its name looks secret or the value looks like a credential.
 */
export function redactEnviron(raw: string): { text: string; redactions: Redaction[] } {
  const redactions: Redaction[] = [];
  const out: string[] = [];
  for (const entry of raw.split('\0')) {
    if (entry.length === 0) {
      out.push(entry);
      continue;
    }
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const value = eq < 0 ? '' : entry.slice(eq + 1);
    const rule = (value.length > 0 ? secretNameRule(name) : undefined) ?? secretValueRule(value);
    if (rule && eq >= 0) {
      out.push(`${name}=${masked(rule)}`);
      redactions.push({ key: name, rule });
    } else {
      out.push(entry);
    }
  }
  return { text: out.join('\0'), redactions };
}

const FLAG_WITH_VALUE = /^(--?[A-Za-z0-9][A-Za-z0-9_.-]*)=(.*)$/s;

/**
 * Redact a NUL-separated cmdline. `--password=x` and `--password x` forms are
 * masked by flag name; any argument shaped like a credential is masked by value.
 */
export function redactCmdline(raw: string): { text: string; redactions: Redaction[] } {
  const args = raw.split('\0');
  const redactions: Redaction[] = [];
  let maskNext: string | undefined;
  const out = args.map((arg, i) => {
    if (maskNext && arg.length > 0 && !arg.startsWith('-')) {
      redactions.push({ key: `argv[${i}]`, rule: maskNext });
      maskNext = undefined;
      return masked('secret-flag');
    }
    maskNext = undefined;
    const flag = FLAG_WITH_VALUE.exec(arg);
    if (flag) {
      const [, name = '', value = ''] = flag;
      const rule = (secretNameRule(name.replace(/^-+/, '')) ? 'secret-flag' : undefined) ?? secretValueRule(value);
      if (rule) {
        redactions.push({ key: `argv[${i}]`, rule });
        return `${name}=${masked(rule)}`;
      }
      return arg;
    }
    if (/^--?[A-Za-z]/.test(arg) && secretNameRule(arg.replace(/^-+/, ''))) {
      maskNext = 'secret-flag';
      return arg;
    }
    const rule = secretValueRule(arg);
    if (rule) {
      redactions.push({ key: `argv[${i}]`, rule });
      return masked(rule);
    }
    return arg;
  });
  return { text: out.join('\0'), redactions };
}

/**
 * expvar's /debug/vars before storage: the command line masked as cmdline is, MemStats kept, and
 * the program's own members dropped (their values can be anything, credentials included) with
 * their names recorded. null when the body is not a JSON object: nothing of it can be kept safely.
 */
export function redactExpvar(raw: string): { text: string; redactions: Redaction[] } | null {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const redactions: Redaction[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    if (name === 'memstats') out.memstats = value;
    else if (name === 'cmdline' && Array.isArray(value) && value.every((a) => typeof a === 'string')) {
      const r = redactCmdline(value.join('\0'));
      out.cmdline = r.text.split('\0');
      redactions.push(...r.redactions.map((x) => ({ key: `cmdline ${x.key}`, rule: x.rule })));
    } else redactions.push({ key: name, rule: 'expvar-member-not-kept' });
  }
  return { text: `${JSON.stringify(out)}\n`, redactions };
}

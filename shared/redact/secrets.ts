/**
 * Secret masking for environ and cmdline before anything is stored or shown
 * (capture blobs, exports, `capture --out`, the process list). Two kinds of
 * rule, after gitleaks' rule set:
 * - by name: a variable, flag or KEY=VALUE argument whose name has a secret
 *   word in it (pass, password, passphrase, pwd, pw, secret, token, key, auth,
 *   cred, dsn, session, cookie, webhook, ...), split into words on _ - . and
 *   camelCase, so DB_PASS, PASSPHRASE, SENTRY_DSN, STRIPE_SK, dbPassword and
 *   -Djavax.net.ssl.keyStorePassword all match and TOKENIZER_MODEL does not;
 * - by value: credentials recognisable by shape whatever their name (URLs
 *   with any user info, DSNs and connection strings, Authorization headers,
 *   PEM keys, JWTs, and the prefixed tokens of well-known services).
 * A matching value is masked whole. The record says which name or argument
 * was masked and by which rule, never the value.
 */

export interface Redaction {
  /** Variable name for environ, `argv[N]` for cmdline. */
  readonly key: string;
  readonly rule: string;
}

/** Words that make a name secret on their own. */
const SECRET_WORDS = new Set([
  'pass',
  'passwd',
  'password',
  'passwords',
  'passphrase',
  'passin',
  'passout',
  'pwd',
  'pw',
  'secret',
  'secrets',
  'token',
  'tokens',
  'key',
  'keys',
  'apikey',
  'auth',
  'authorization',
  'bearer',
  'jwt',
  'cred',
  'creds',
  'credential',
  'credentials',
  'private',
  'privkey',
  'session',
  'cookie',
  'signature',
  'salt',
  'dsn',
  'sk',
  'psk',
  'hmac',
  'otp',
  'sas',
  'webhook',
  'connstr',
]);
/** Endings that make a compound word secret: dbpass, apikey, authtoken, keystorepassword, oauth. */
const SECRET_ENDINGS = ['pass', 'passwd', 'password', 'passphrase', 'pwd', 'secret', 'token', 'key', 'auth', 'creds'];
/** Compound words with a secret ending that are not secrets. */
const NOT_SECRET_WORDS = new Set(['bypass', 'compass', 'surpass', 'monkey', 'turkey', 'donkey', 'hotkey']);
/** Names that match by accident and are well known and harmless (or are the tool's own input). */
const HARMLESS_NAMES = new Set(['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'XAUTHORITY', 'KEYTIMEOUT', 'GPG_AGENT_INFO', 'GOPRIVATE', 'DBUS_SESSION_BUS_ADDRESS', 'SESSION_MANAGER']);
const HARMLESS_NAME_PATTERN = /^XDG_SESSION_[A-Z_]+$/;
/** A name whose last word says it holds where a secret is, not the secret: kept when the value is a plain path. */
const LOCATION_WORDS = new Set(['file', 'path', 'dir', 'directory', 'sock', 'socket']);
const PLAIN_PATH = /^[\w./~-]+$/;

/** The words of a name: split on separators and camelCase, lower-cased. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function secretWord(w: string): boolean {
  if (SECRET_WORDS.has(w)) return true;
  if (NOT_SECRET_WORDS.has(w)) return false;
  return SECRET_ENDINGS.some((e) => w.length > e.length && w.endsWith(e));
}

export function secretNameRule(name: string, value?: string): string | undefined {
  if (HARMLESS_NAMES.has(name) || HARMLESS_NAME_PATTERN.test(name)) return undefined;
  const words = nameWords(name);
  if (!words.some(secretWord)) return undefined;
  if (value !== undefined && LOCATION_WORDS.has(words[words.length - 1]!) && PLAIN_PATH.test(value)) return undefined;
  return 'secret-name';
}

/** Credential shapes, recognised in a value whatever its name. */
const VALUE_RULES: ReadonlyArray<{ readonly rule: string; readonly re: RegExp }> = [
  { rule: 'pem-private-key', re: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/ },
  { rule: 'url-credentials', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s@]*@/i },
  { rule: 'go-mysql-dsn', re: /^[\w.-]*:[^\s]*@(?:(?:tcp|tcp6|udp|unix)\(|\/)/ },
  { rule: 'authorization-header', re: /\b(?:proxy-)?authorization\s*[:=]\s*\S/i },
  { rule: 'bearer-token', re: /\bbearer\s+[\w.~+/=-]{8,}/i },
  { rule: 'api-key-header', re: /\bx-[\w-]*(?:key|token|secret|auth)[\w-]*\s*:\s*\S/i },
  // An assignment inside the value: libpq and ADO connection strings, Azure's AccountKey=, JSON or YAML settings.
  {
    rule: 'embedded-secret',
    re: /(?:^|[^\w])[\w.-]*?(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|account[_.-]?key|shared[_.-]?access[_.-]?key|credentials?)["']?\s*[=:]\s*["']?[^\s"',;&]{3,}/i,
  },
  { rule: 'openssl-pass', re: /^pass:./ },
  { rule: 'aws-access-key-id', re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/ },
  { rule: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,})/ },
  { rule: 'gitlab-token', re: /\b(?:gl(?:pat|dt|rt|ptt|cbt|ft|imt|oas|soat|agent|ffct)-[\w-]{20,}|GR1348941[\w-]{20,})/ },
  { rule: 'slack-token', re: /\b(?:xox[abposre]-[\w-]{10,}|xapp-\d-[\w-]{10,})/ },
  { rule: 'slack-webhook', re: /hooks\.slack\.com\/(?:services|workflows|triggers)\//i },
  { rule: 'stripe-key', re: /\b(?:(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})/ },
  { rule: 'gcp-api-key', re: /\bAIza[\w-]{30,}/ },
  { rule: 'sendgrid-key', re: /\bSG\.[\w-]{16,}\.[\w-]{16,}/ },
  { rule: 'twilio-key', re: /\bSK[0-9a-fA-F]{32}\b/ },
  { rule: 'npm-token', re: /\bnpm_[A-Za-z0-9]{30,}/ },
  { rule: 'pypi-token', re: /\bpypi-AgEIcHlwaS5vcmc[\w-]{20,}/ },
  { rule: 'vault-token', re: /\bhv[sbr]\.[\w-]{24,}/ },
  { rule: 'digitalocean-token', re: /\bdo[opr]_v1_[a-f0-9]{64}\b/ },
  { rule: 'openai-key', re: /\bsk-(?:proj-|svcacct-|admin-)?[\w-]{10,}T3BlbkFJ/ },
  { rule: 'anthropic-key', re: /\bsk-ant-(?:api|admin)\d{2}-[\w-]{20,}/ },
  { rule: 'shopify-token', re: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/ },
  { rule: 'huggingface-token', re: /\b(?:hf|api_org)_[A-Za-z]{30,}\b/ },
  { rule: 'databricks-token', re: /\bdapi[a-f0-9]{32}\b/ },
  { rule: 'grafana-token', re: /\b(?:glc_[A-Za-z0-9+/]{32,}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})/ },
  { rule: 'sentry-token', re: /\bsntry[us]_[\w+/=]{20,}/ },
  { rule: 'telegram-bot-token', re: /\b\d{5,16}:A[\w-]{30,40}\b/ },
  { rule: 'age-secret-key', re: /\bAGE-SECRET-KEY-1[0-9A-Z]{50,}/ },
  { rule: 'jwt', re: /\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*/ },
];

export function masked(rule: string): string {
  return `[REDACTED:${rule}]`;
}

export function secretValueRule(value: string): string | undefined {
  for (const { rule, re } of VALUE_RULES) if (re.test(value)) return rule;
  return undefined;
}

/**
 * Redact a NUL-separated environ block. Names are kept; a value is masked
 * when its name looks secret or the value looks like a credential.
 */
export function redactEnviron(raw: string): { text: string; redactions: Redaction[] } {
  const redactions: Redaction[] = [];
  const out: string[] = [];
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      // Not NAME=VALUE (or the empty tail): a bare word can still be a credential.
      const rule = entry.length > 0 ? secretValueRule(entry) : undefined;
      if (rule) redactions.push({ key: '(no name)', rule });
      out.push(rule ? masked(rule) : entry);
      continue;
    }
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    const rule = (value.length > 0 ? secretNameRule(name, value) : undefined) ?? secretValueRule(value);
    if (rule) {
      out.push(`${name}=${masked(rule)}`);
      redactions.push({ key: name, rule });
    } else {
      out.push(entry);
    }
  }
  return { text: out.join('\0'), redactions };
}

const FLAG_WITH_VALUE = /^(--?[A-Za-z0-9][A-Za-z0-9_.-]*)=(.*)$/s;
const BARE_FLAG = /^--?[A-Za-z][A-Za-z0-9_.-]*$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
/** mysql and its tools take the password glued to -p (`-pSECRET`). */
const MYSQL_FAMILY = /^(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlbinlog|mysqlpump|mysqlslap|mysqlsh|mysql_upgrade|mariadb(?:-[a-z]+)?)$/;
/** Programs whose short option takes the password as the next argument. */
const PASSWORD_OPTION: Readonly<Record<string, readonly string[]>> = {
  sshpass: ['-p'],
  'redis-cli': ['-a'],
  mongo: ['-p'],
  mongosh: ['-p'],
  mongodump: ['-p'],
  mongorestore: ['-p'],
  mongoexport: ['-p'],
  mongoimport: ['-p'],
};
/** `-u`/`--user` with user:password (curl, wget and friends); a uid:gid pair is left alone. */
const USER_OPTION = new Set(['-u', '--user', '--proxy-user']);

/**
 * `-pVALUE` for a program not known to take a glued password: a password when VALUE has a digit
 * or a symbol, or is in capitals (`-pS3cret`, `-pPASSWORD`); a Go-style flag (`-pprof`,
 * `-pprof-addr`, `-printVersion`), a port or an address (`-p8080`, `-p127.0.0.1:80`) is left alone.
 */
function gluedPassword(value: string): boolean {
  if (/^[\d.:]+$/.test(value) || /^[a-z]+(?:[-_.][a-z]+)*$/.test(value)) return false;
  return /[^A-Za-z]/.test(value) || /^[A-Z]{2,}$/.test(value);
}

/**
 * Redact a NUL-separated cmdline. By name: `--password=x`, `--password x`,
 * `-Dx.password=x`, `PGPASSWORD=x` as an argument, `-pSECRET`, `-u user:pw`;
 * by value: any argument shaped like a credential (a header, a URL with user
 * info, a token).
 */
export function redactCmdline(raw: string): { text: string; redactions: Redaction[] } {
  const args = raw.split('\0');
  const program = (args[0] ?? '').split('/').pop() ?? '';
  const redactions: Redaction[] = [];
  let maskNext: string | undefined;
  const mask = (i: number, rule: string, shown: string) => {
    redactions.push({ key: `argv[${i}]`, rule });
    return shown;
  };
  const out = args.map((arg, i) => {
    if (i === 0 || arg.length === 0) {
      maskNext = undefined;
      const rule = arg.length > 0 ? secretValueRule(arg) : undefined;
      return rule ? mask(i, rule, masked(rule)) : arg;
    }
    if (maskNext && !BARE_FLAG.test(arg) && !FLAG_WITH_VALUE.test(arg)) {
      const rule = maskNext;
      maskNext = undefined;
      return mask(i, rule, masked(rule));
    }
    maskNext = undefined;
    const flag = FLAG_WITH_VALUE.exec(arg);
    if (flag) {
      const [, name = '', value = ''] = flag;
      const rule = (secretNameRule(name.replace(/^-+/, ''), value) ? 'secret-flag' : undefined) ?? secretValueRule(value);
      return rule ? mask(i, rule, `${name}=${masked(rule)}`) : arg;
    }
    const glued = /^-p(.+)$/s.exec(arg);
    if (glued && (MYSQL_FAMILY.test(program) || gluedPassword(glued[1]!))) return mask(i, 'password-option', `-p${masked('password-option')}`);
    if (BARE_FLAG.test(arg)) {
      if (secretNameRule(arg.replace(/^-+/, ''), args[i + 1])) maskNext = 'secret-flag';
      else if (PASSWORD_OPTION[program]?.includes(arg)) maskNext = 'password-option';
      else if (USER_OPTION.has(arg) && /^[^:\s]+:(?!\d+$)./.test(args[i + 1] ?? '')) maskNext = 'user-password';
      return arg;
    }
    const assignment = ASSIGNMENT.exec(arg);
    if (assignment) {
      const [, name = '', value = ''] = assignment;
      const rule = (value.length > 0 ? secretNameRule(name, value) : undefined) ?? secretValueRule(value);
      if (rule) return mask(i, rule, `${name}=${masked(rule)}`);
    }
    const rule = secretValueRule(arg);
    return rule ? mask(i, rule, masked(rule)) : arg;
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactCmdline, redactEnviron, secretNameRule } from './secrets';
import { HARMLESS_ENV, PLANTED_ARGS, PLANTED_ENV, plantedArguments, plantedEnvironment } from '../../test/support/secretCorpus';

test('environ: secret names are masked, names kept, harmless values untouched', () => {
  const raw = ['PATH=/usr/bin', 'DB_PASSWORD=hunter2', 'API_TOKEN=abc', 'GOMAXPROCS=4', 'SSH_AUTH_SOCK=/tmp/a', 'PWD=/srv', 'DB_PWD=x', ''].join('\0');
  const { text, redactions } = redactEnviron(raw);
  assert.equal(
    text,
    ['PATH=/usr/bin', 'DB_PASSWORD=[REDACTED:secret-name]', 'API_TOKEN=[REDACTED:secret-name]', 'GOMAXPROCS=4', 'SSH_AUTH_SOCK=/tmp/a', 'PWD=/srv', 'DB_PWD=[REDACTED:secret-name]', ''].join('\0'),
  );
  assert.deepEqual(redactions, [
    { key: 'DB_PASSWORD', rule: 'secret-name' },
    { key: 'API_TOKEN', rule: 'secret-name' },
    { key: 'DB_PWD', rule: 'secret-name' },
  ]);
  assert.ok(!text.includes('hunter2'));
});

test('environ: credential-shaped values are masked whatever their name', () => {
  const aws = 'AKIA' + 'ABCDEFGHIJKLMNOP';
  const gh = 'ghp_' + 'a'.repeat(36);
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  const raw = [`A=${aws}`, `B=${gh}`, `C=${jwt}`, 'D=postgres://app:s3cret@db:5432/x', 'E=-----BEGIN RSA PRIVATE KEY-----\nMII'].join('\0');
  const { text, redactions } = redactEnviron(raw);
  for (const secret of [aws, gh, jwt, 's3cret', 'MII']) assert.ok(!text.includes(secret), secret);
  assert.deepEqual(
    redactions.map((r) => r.rule),
    ['aws-access-key-id', 'github-token', 'jwt', 'url-credentials', 'pem-private-key'],
  );
});

test('cmdline: --flag=value and --flag value forms', () => {
  const raw = ['/srv/app', '--password=hunter2', '--token', 'abc123', '--port=8080', 'postgres://u:pw@h/db', ''].join('\0');
  const { text, redactions } = redactCmdline(raw);
  assert.ok(!text.includes('hunter2') && !text.includes('abc123') && !text.includes(':pw@'));
  assert.ok(text.includes('--port=8080'));
  assert.deepEqual(redactions, [
    { key: 'argv[1]', rule: 'secret-flag' },
    { key: 'argv[3]', rule: 'secret-flag' },
    { key: 'argv[5]', rule: 'url-credentials' },
  ]);
});

test('the planted-secret corpus: every shape masked and recorded by name or argument, harmless settings kept', () => {
  const environ = [...Object.entries(plantedEnvironment()).map(([k, v]) => `${k}=${v}`), 'PATH=/usr/local/bin:/usr/bin:/bin', ''].join('\0');
  const env = redactEnviron(environ);
  const argv = ['/srv/service', '-goroutines', '4', '--', ...plantedArguments(), ''].join('\0');
  const cmd = redactCmdline(argv);
  for (const p of [...PLANTED_ENV, ...PLANTED_ARGS]) {
    assert.ok(!env.text.includes(p.secret), `${p.id} leaks in environ`);
    assert.ok(!cmd.text.includes(p.secret), `${p.id} leaks in cmdline`);
  }
  const keys = new Set(env.redactions.map((r) => r.key));
  for (const p of PLANTED_ENV) assert.ok(keys.has(p.name), `${p.id} not recorded`);
  assert.equal(env.redactions.length, PLANTED_ENV.length, JSON.stringify(env.redactions.filter((r) => !PLANTED_ENV.some((p) => p.name === r.key))));
  for (const [k, v] of Object.entries(HARMLESS_ENV)) assert.ok(env.text.split('\0').includes(`${k}=${v}`), `${k} was masked`);
  assert.ok(env.text.includes('PATH=/usr/local/bin:/usr/bin:/bin'));
  // One record per planted argument shape, each naming the argument that held the secret.
  assert.equal(cmd.redactions.length, PLANTED_ARGS.length, JSON.stringify(cmd.redactions));
  const shown = cmd.text.split('\0');
  for (const r of cmd.redactions) assert.match(shown[Number(/\d+/.exec(r.key)![0])]!, /\[REDACTED:/);
  assert.deepEqual(shown.slice(0, 4), ['/srv/service', '-goroutines', '4', '--']);
});

test('names: words split on separators and camelCase; harmless look-alikes and file locations kept', () => {
  for (const name of [
    'DB_PASS',
    'PASSPHRASE',
    'SENTRY_DSN',
    'STRIPE_SK',
    'dbPassword',
    'javax.net.ssl.keyStorePassword',
    'PGPASSWORD',
    'MYSQL_PWD',
    'oauthToken',
    'X_API_KEY',
    'apikey',
    'DEPLOY_WEBHOOK',
  ])
    assert.equal(secretNameRule(name, 'v'), 'secret-name', name);
  for (const name of ['PATH', 'GOMAXPROCS', 'GOMEMLIMIT', 'GOGC', 'GODEBUG', 'GOTRACEBACK', 'GOPRIVATE', 'TOKENIZER_MODEL', 'KEYBOARD_LAYOUT', 'BYPASS_CACHE', 'PWD', 'XDG_SESSION_TYPE', 'AUTHOR'])
    assert.equal(secretNameRule(name, 'v'), undefined, name);
  assert.equal(secretNameRule('TLS_KEY_FILE', '/etc/ssl/private/server.key'), undefined);
  assert.equal(secretNameRule('TLS_KEY_FILE', 'inline secret text'), 'secret-name');
});

test('cmdline: program-specific password options, and flags that only look like them', () => {
  const r = (argv: string[]) => redactCmdline(argv.join('\0')).text.split('\0');
  assert.deepEqual(r(['mysql', '-uroot', '-phunter', 'db']), ['mysql', '-uroot', '-p[REDACTED:password-option]', 'db']);
  assert.deepEqual(r(['/usr/bin/redis-cli', '-a', 'hunter', 'ping']), ['/usr/bin/redis-cli', '-a', '[REDACTED:password-option]', 'ping']);
  assert.deepEqual(r(['sshpass', '-p', 'hunter', 'ssh', 'h']), ['sshpass', '-p', '[REDACTED:password-option]', 'ssh', 'h']);
  assert.deepEqual(r(['curl', '-u', 'me:hunter', 'https://x']), ['curl', '-u', '[REDACTED:user-password]', 'https://x']);
  assert.deepEqual(r(['docker', 'run', '-u', '1000:1000', 'img']), ['docker', 'run', '-u', '1000:1000', 'img']);
  assert.deepEqual(r(['app', '-pprof', '127.0.0.1:0', '-p8080', '-printVersion', '-pprof-addr', ':6060']), ['app', '-pprof', '127.0.0.1:0', '-p8080', '-printVersion', '-pprof-addr', ':6060']);
  assert.deepEqual(r(['app', '--key-file', '/etc/app/key.pem', '--token', '--verbose']), ['app', '--key-file', '/etc/app/key.pem', '--token', '--verbose']);
});

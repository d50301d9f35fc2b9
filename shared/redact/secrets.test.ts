import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactCmdline, redactEnviron } from './secrets';

test('environ: secret names are masked, names kept, harmless values untouched', () => {
  const raw = ['PATH=/usr/bin', 'DB_PASSWORD=hunter2', 'API_TOKEN=abc', 'GOMAXPROCS=4', 'SSH_AUTH_SOCK=/tmp/a', 'PWD=/srv', 'DB_PWD=x', ''].join('\0');
  const { text, redactions } = redactEnviron(raw);
  assert.equal(text, ['PATH=/usr/bin', 'DB_PASSWORD=[REDACTED:secret-name]', 'API_TOKEN=[REDACTED:secret-name]', 'GOMAXPROCS=4', 'SSH_AUTH_SOCK=/tmp/a', 'PWD=/srv', 'DB_PWD=[REDACTED:secret-name]', ''].join('\0'));
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

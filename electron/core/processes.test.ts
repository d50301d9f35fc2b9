import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CollectedFile } from './frameCollector';
import { shownCommandLine } from './processes';

const file = (text: string, truncated = false): CollectedFile => ({ name: 'p/1/cmdline', bytes: Buffer.from(text), rc: 0, truncated, stderr: '', durationMs: 0 });

test('the process list masks command lines with the capture rules', () => {
  assert.equal(shownCommandLine(file('mysql\0-uroot\0-pHunter2\0db\0')), 'mysql -uroot -p[REDACTED:password-option] db');
  assert.equal(shownCommandLine(file('env\0PGPASSWORD=hunter2\0psql\0')), 'env PGPASSWORD=[REDACTED:secret-name] psql');
  assert.equal(shownCommandLine(file('curl\0-H\0Authorization: Bearer abcdefghijkl\0https://x\0')), 'curl -H [REDACTED:authorization-header] https://x');
  assert.equal(shownCommandLine(file('/srv/app\0--api-key\0k3y-value\0')), '/srv/app --api-key [REDACTED:secret-flag]');
});

test('a command line cut at its cap loses its partial last argument, so no half of a secret shows', () => {
  // Cut inside the URL's password: the rules cannot see it is a URL with credentials any more.
  assert.equal(shownCommandLine(file('/srv/app\0--verbose\0postgres://u:hunt', true)), '/srv/app --verbose …');
  assert.equal(shownCommandLine(file('/srv/app-with-a-very-long-name', true)), '…');
});

test('a kernel thread or an unreadable cmdline shows nothing (the list falls back to [comm])', () => {
  assert.equal(shownCommandLine(file('')), '');
  assert.equal(shownCommandLine(undefined), '');
  assert.equal(shownCommandLine({ ...file('x\0'), rc: 1 }), '');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importSshConfig, resolveSshHost } from './sshConfig';

/** Builds a home folder with a realistic ~/.ssh/config spread over Include files. */
function fixtureHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'gs-sshcfg-'));
  mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
  writeFileSync(
    join(home, '.ssh', 'config'),
    [
      'Include conf.d/*.conf',
      'Host bastion',
      '  HostName bastion.example.com',
      '  User jump',
      '  Port 2222',
      'Host web-*',
      '  User deploy',
      '  ProxyJump bastion',
      'Host web-1 web-2',
      '  HostName %h.internal',
      'Host legacy',
      '  ProxyCommand ssh -W %h:%p old-bastion',
      'Host *',
      '  IdentityFile ~/.ssh/id_ed25519',
      '  IdentitiesOnly yes',
      '',
    ].join('\n'),
  );
  writeFileSync(join(home, '.ssh', 'conf.d', 'db.conf'), ['Host db', '  HostName 10.0.0.5', '  ProxyJump jump@bastion.example.com:2222,deploy@web-1', ''].join('\n'));
  return home;
}

/** OpenSSH's own answer: `ssh -G alias` prints the computed configuration. */
function sshG(home: string, alias: string): Map<string, string> {
  const out = execFileSync('ssh', ['-F', join(home, '.ssh', 'config'), '-G', alias], { encoding: 'utf8', env: { ...process.env, HOME: home } });
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && !m.has(line.slice(0, sp))) m.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return m;
}

test('imported hosts agree with `ssh -G` on hostname, port, user and ProxyJump', () => {
  const home = fixtureHome();
  const { hosts, warnings } = importSshConfig(join(home, '.ssh', 'config'), home);
  assert.deepEqual(warnings, []);
  assert.deepEqual(hosts.map((h) => h.alias).sort(), ['bastion', 'db', 'legacy', 'web-1', 'web-2']);
  for (const h of hosts) {
    const g = sshG(home, h.alias);
    assert.equal(h.hostname, g.get('hostname'), `${h.alias} hostname`);
    assert.equal(String(h.port), g.get('port'), `${h.alias} port`);
    if (h.user !== undefined) assert.equal(h.user, g.get('user'), `${h.alias} user`);
    assert.equal(h.proxyJump.join(','), g.get('proxyjump') ?? '', `${h.alias} proxyjump`);
    assert.equal(h.identitiesOnly, g.get('identitiesonly') === 'yes');
  }
});

test('unsupported directives are reported per host', () => {
  const home = fixtureHome();
  const { hosts } = importSshConfig(join(home, '.ssh', 'config'), home);
  assert.deepEqual(hosts.find((h) => h.alias === 'legacy')?.unsupported, ['proxycommand: ssh -W %h:%p old-bastion']);
  assert.deepEqual(hosts.find((h) => h.alias === 'db')?.unsupported, []);
});

test('Include is expanded and loops stop at the depth limit', () => {
  const home = mkdtempSync(join(tmpdir(), 'gs-sshcfg-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'config'), 'Include config\nHost a\n  HostName a.example\n');
  const r = importSshConfig(join(home, '.ssh', 'config'), home);
  assert.ok(r.warnings.some((w) => /nested more than 16/.test(w)));
  assert.equal(r.hosts.find((h) => h.alias === 'a')?.hostname, 'a.example');
});

test('any name resolves as `ssh -G NAME` reads it: wildcard-only blocks, Include, and names no block mentions', () => {
  const home = fixtureHome();
  const file = join(home, '.ssh', 'config');
  for (const name of ['web-3', 'db', 'bastion', 'nowhere.example']) {
    const r = resolveSshHost(name, file, home);
    assert.ok(r, name);
    assert.deepEqual(r.warnings, []);
    const g = sshG(home, name);
    assert.equal(r.host.hostname, g.get('hostname'), `${name} hostname`);
    assert.equal(String(r.host.port), g.get('port'), `${name} port`);
    if (r.host.user !== undefined) assert.equal(r.host.user, g.get('user'), `${name} user`);
    assert.equal(r.host.proxyJump.join(','), g.get('proxyjump') ?? '', `${name} proxyjump`);
    assert.deepEqual(r.host.identityFiles, [join(home, '.ssh', 'id_ed25519')], `${name} identity (Host *)`);
  }
  assert.equal(resolveSshHost('web-3', file, home)?.host.user, 'deploy');
  assert.equal(resolveSshHost('anything', join(home, '.ssh', 'no-such-config'), home), null);
});

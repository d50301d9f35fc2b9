import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownHosts, fingerprintOf, hostFieldMatches, hostKeyAlgorithmsFor, parseKnownHosts } from './knownHosts';

function keypair(dir: string, name: string): { type: string; blob: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const [type, blob] = readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ');
  return { type: type!, blob: blob! };
}

test('fingerprints match ssh-keygen -lf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-kh-'));
  const k = keypair(dir, 'a');
  const fp = execFileSync('ssh-keygen', ['-lf', join(dir, 'a.pub')], { encoding: 'utf8' }).split(' ')[1];
  assert.equal(fingerprintOf(k.blob), fp);
});

test('patterns: [host]:port, wildcards, negation', () => {
  assert.ok(hostFieldMatches('[127.0.0.1]:2222', '127.0.0.1', 2222));
  assert.ok(!hostFieldMatches('127.0.0.1', '127.0.0.1', 2222));
  assert.ok(hostFieldMatches('127.0.0.1', '127.0.0.1', 22));
  assert.ok(hostFieldMatches('*.prod.example,db?', 'api.prod.example', 22));
  assert.ok(hostFieldMatches('*.prod.example,db?', 'db1', 22));
  assert.ok(!hostFieldMatches('*.prod.example,!bastion.prod.example', 'bastion.prod.example', 22));
  assert.ok(!hostFieldMatches('*.prod.example', 'prod.example.evil', 22));
});

test('hashed entries written by ssh-keygen -H are matched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-kh-'));
  const k = keypair(dir, 'h');
  const file = join(dir, 'known_hosts');
  writeFileSync(file, `[10.1.2.3]:2200 ${k.type} ${k.blob}\nother.example ${k.type} ${k.blob}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
  assert.ok(
    entries.every((e) => e.hostField.startsWith('|1|')),
    'hashed by ssh-keygen',
  );
  assert.ok(hostFieldMatches(entries[0]!.hostField, '10.1.2.3', 2200));
  assert.ok(!hostFieldMatches(entries[0]!.hostField, '10.1.2.3', 22));
  assert.ok(hostFieldMatches(entries[1]!.hostField, 'other.example', 22));
});

test('verify: trusted, unknown, changed with file and line, revoked, cert-authority noted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-kh-'));
  const good = keypair(dir, 'good');
  const old = keypair(dir, 'old');
  const bad = keypair(dir, 'bad');
  const user = join(dir, 'user_known_hosts');
  writeFileSync(
    user,
    [
      '# comment',
      `@cert-authority *.example ${good.type} ${good.blob}`,
      `changed.example ${old.type} ${old.blob}`,
      `@revoked * ${bad.type} ${bad.blob}`,
      `good.example ${good.type} ${good.blob}`,
      '',
    ].join('\n'),
  );
  const kh = new KnownHosts([user], join(dir, 'app_known_hosts'));
  const present = (k: { type: string; blob: string }) => ({ keyType: k.type, keyBase64: k.blob, fingerprint: fingerprintOf(k.blob) });
  assert.equal((await kh.verify('good.example', 22, present(good))).kind, 'trusted');
  const changed = await kh.verify('changed.example', 22, present(good));
  assert.equal(changed.kind, 'changed');
  assert.ok(changed.kind === 'changed' && changed.expected[0]!.line === 3 && changed.expected[0]!.source === user);
  const revoked = await kh.verify('good.example', 22, present(bad));
  assert.equal(revoked.kind, 'revoked');
  const unknown = await kh.verify('new.example', 22, present(good));
  assert.equal(unknown.kind, 'unknown');
  assert.ok(unknown.kind === 'unknown' && /@cert-authority entries are not supported yet/.test(unknown.notes.join()));
  await kh.trust('new.example', 2222, good.type, good.blob);
  assert.equal((await kh.verify('new.example', 2222, present(good))).kind, 'trusted');
  assert.match(readFileSync(join(dir, 'app_known_hosts'), 'utf8'), /^\[new\.example\]:2222 ssh-ed25519 /);
});

test('verify: a stored key of another type for the host means changed (OpenSSH: "REMOTE HOST IDENTIFICATION HAS CHANGED"), in either file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-kh-'));
  const ed = keypair(dir, 'ed');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'rsa')]);
  const [rsaType, rsaBlob] = readFileSync(join(dir, 'rsa.pub'), 'utf8').split(' ');
  const rsa = { type: rsaType!, blob: rsaBlob! };
  const present = (k: { type: string; blob: string }) => ({ keyType: k.type, keyBase64: k.blob, fingerprint: fingerprintOf(k.blob) });
  const user = join(dir, 'user_known_hosts');
  writeFileSync(
    user,
    [`[db.example]:2200 ${ed.type} ${ed.blob}`, `@cert-authority [ca.example]:2200 ${ed.type} ${ed.blob}`, `*.pattern.example,!skip.pattern.example ${ed.type} ${ed.blob}`, ''].join('\n'),
  );
  execFileSync('ssh-keygen', ['-H', '-f', user], { stdio: 'ignore' });
  const app = join(dir, 'app_known_hosts');
  const kh = new KnownHosts([user], app);
  // hashed [host]:port entry in the user's file
  const viaHashed = await kh.verify('db.example', 2200, present(rsa));
  assert.equal(viaHashed.kind, 'changed');
  assert.ok(viaHashed.kind === 'changed' && viaHashed.expected.length === 1 && viaHashed.expected[0]!.keyType === ed.type && viaHashed.expected[0]!.source === user);
  // a pattern entry; its negation still vetoes
  assert.equal((await kh.verify('api.pattern.example', 22, present(rsa))).kind, 'changed');
  assert.equal((await kh.verify('skip.pattern.example', 22, present(rsa))).kind, 'unknown');
  // an entry of the app's own file counts the same
  await kh.trust('app.example', 22, rsa.type, rsa.blob);
  const viaApp = await kh.verify('app.example', 22, present(ed));
  assert.ok(viaApp.kind === 'changed' && viaApp.expected[0]!.source === app && viaApp.expected[0]!.keyType === rsa.type);
  // a CA line is not a host key: a plain key of another type stays unknown (and is noted)
  assert.equal((await kh.verify('ca.example', 2200, present(rsa))).kind, 'unknown');
  // @revoked still wins over everything
  writeFileSync(user, `@revoked * ${rsa.type} ${rsa.blob}\n`, { flag: 'a' });
  assert.equal((await kh.verify('db.example', 2200, present(rsa))).kind, 'revoked');
});

test('host-key algorithms: the known types first in ssh2 preference order (RSA as its three signature algorithms), nothing on record = defaults', async () => {
  assert.equal(hostKeyAlgorithmsFor([]), undefined);
  const order = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  assert.deepEqual(hostKeyAlgorithmsFor(['ssh-rsa']), { remove: order, prepend: order });
  const both = ['ecdsa-sha2-nistp384', ...order];
  assert.deepEqual(hostKeyAlgorithmsFor(['ssh-rsa', 'ecdsa-sha2-nistp384', 'sk-ssh-ed25519@openssh.com']), { remove: both, prepend: both });
  const dir = mkdtempSync(join(tmpdir(), 'gs-kh-'));
  const k = keypair(dir, 'k');
  const user = join(dir, 'user_known_hosts');
  writeFileSync(user, `@cert-authority h.example ssh-rsa AAAA\nh.example ${k.type} ${k.blob}\nh.example ${k.type} ${k.blob}\n`);
  assert.deepEqual(await new KnownHosts([user], join(dir, 'app')).knownKeyTypes('h.example', 22), ['ssh-ed25519']);
});

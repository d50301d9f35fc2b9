/**
 * The commands the scripts really run under `sudo -n` are exactly SUDO_COMMANDS, the list the sudo
 * probe checks: every builder is run with sudo on, and the word after each `sudo -n` is collected.
 * A new builder must be added here (the test fails on an exported builder it does not call).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORWARDERS, STACK_TOOLS } from '../../shared/capture/plan';
import * as scripts from './remoteScripts';

const nonce = 'ab'.repeat(12);
const sudo = { sudo: true };

/** Every exported builder of shell text, run with sudo on and every variant it has. */
const BUILT: Record<string, () => string[]> = {
  prelude: () => [scripts.prelude(nonce, sudo)],
  fileLine: () => [scripts.fileLine({ name: 'proc/status', path: '/proc/1/status', cap: 10 })],
  rangeLine: () => [scripts.rangeLine('exe', '/proc/1/exe', 0, 16)],
  memReadLine: () => [scripts.memReadLine('m', 1, 4096, 8)],
  processListScript: () => [scripts.processListScript(nonce, sudo)],
  environScript: () => [scripts.environScript(nonce, [1, 2], sudo)],
  exeRangesScript: () => [scripts.exeRangesScript(nonce, [{ name: 'h', pid: 1, offset: 0, length: 64 }], sudo)],
  readScript: () => [
    scripts.readScript(
      nonce,
      { files: [{ name: 'proc/auxv', path: '/proc/1/auxv', cap: 4096 }], exeRanges: [{ name: 'h', pid: 1, offset: 0, length: 64 }], mem: [{ name: 'm', pid: 1, address: 4096, length: 8 }] },
      sudo,
    ),
  ],
  captureScript: () => [scripts.captureScript(nonce, 1, [{ name: 'proc/status', path: '/proc/1/status', cap: 10 }], sudo)],
  netnsProbeScript: () => [scripts.netnsProbeScript(1, sudo)],
  forwarderCommand: () => FORWARDERS.map((forwarder) => scripts.forwarderCommand({ pid: 1, forwarder, sudo: true }, 6060, 30)),
  memProbeScript: () => [scripts.memProbeScript(nonce, 1, [4096, 8192], 48, sudo)],
  stacksScript: () => [scripts.stacksScript(1, STACK_TOOLS, 30, sudo)],
  sudoProbeScript: () => [scripts.sudoProbeScript()],
  bundleScript: () => [scripts.bundleScript(nonce, 1, sudo)],
};
const NOT_SHELL = new Set(['newNonce', 'memReadError', 'done', 'SUDO_COMMANDS', 'MAX_THREADS']);

test('every exported builder is run by this test', () => {
  const unknown = Object.keys(scripts).filter((k) => !(k in BUILT) && !NOT_SHELL.has(k));
  assert.deepEqual(unknown, [], 'add the new builder to BUILT in remoteScripts.test.ts');
});

test('the commands run under sudo -n are exactly SUDO_COMMANDS', () => {
  const used = new Set<string>();
  for (const build of Object.values(BUILT)) for (const text of build()) for (const m of text.matchAll(/sudo -n (?!-l |for )([A-Za-z0-9_.-]+)/g)) used.add(m[1]!);
  assert.deepEqual([...used].sort(), [...scripts.SUDO_COMMANDS].sort());
});

test('without sudo, no script runs sudo except the probe asking sudo -n -l', () => {
  const plain = [
    scripts.bundleScript(nonce, 1),
    scripts.readScript(nonce, { mem: [{ name: 'm', pid: 1, address: 4096, length: 8 }] }),
    scripts.stacksScript(1, STACK_TOOLS, 30),
    scripts.netnsProbeScript(1),
    scripts.memProbeScript(nonce, 1, [4096], 48),
  ];
  for (const text of plain) assert.doesNotMatch(text, /sudo -n (?!for )/);
  for (const line of scripts.sudoProbeScript().split('\n')) if (line.includes('sudo -n')) assert.match(line, /sudo -n -l /);
});

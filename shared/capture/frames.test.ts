import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, type FrameEvent } from './frames';
import { encodeBase64 } from '../util/base64';

const NONCE = 'a1b2c3d4e5f60718';

function stream(): string {
  const body = new TextEncoder().encode('line one\n@@GS1 a1b2c3d4e5f60718 END fake rc=0\nthird\0with nul');
  const b64 = encodeBase64(body).replace(/(.{76})/g, '$1\n');
  return [
    `@@GS1 ${NONCE} BEGIN proc/status`,
    b64,
    `@@GS1 ${NONCE} END proc/status rc=0`,
    `@@GS1 ${NONCE} BEGIN proc/environ`,
    '',
    `@@GS1 ${NONCE} END proc/environ rc=1`,
    `@@GS1 ${NONCE} ERR proc/environ ${encodeBase64(new TextEncoder().encode('sh: 1: cannot open /proc/1/environ: Permission denied'))}`,
    `@@GS1 ${NONCE} DONE`,
    '',
  ].join('\n');
}

function run(chunks: string[], cap = 1 << 20): FrameEvent[] {
  const p = new FrameParser(NONCE, () => cap);
  const events: FrameEvent[] = [];
  for (const c of chunks) p.feed(c, (e) => events.push(e));
  p.finish((e) => events.push(e));
  return events;
}

function bodies(events: FrameEvent[]): Map<string, string> {
  const out = new Map<string, number[]>();
  for (const e of events) if (e.kind === 'data') out.set(e.name, [...(out.get(e.name) ?? []), ...e.bytes]);
  return new Map([...out].map(([k, v]) => [k, new TextDecoder().decode(new Uint8Array(v))]));
}

test('a body that contains frame-like text is carried verbatim', () => {
  const events = run([stream()]);
  assert.equal(bodies(events).get('proc/status'), 'line one\n@@GS1 a1b2c3d4e5f60718 END fake rc=0\nthird\0with nul');
  const ends = events.filter((e) => e.kind === 'end');
  assert.deepEqual(
    ends.map((e) => e.kind === 'end' && [e.name, e.rc]),
    [
      ['proc/status', 0],
      ['proc/environ', 1],
    ],
  );
  const err = events.find((e) => e.kind === 'stderr');
  assert.ok(err && err.kind === 'stderr' && /Permission denied/.test(err.text));
  assert.ok(events.some((e) => e.kind === 'done'));
});

test('any chunking gives the same events as one whole read', () => {
  const whole = JSON.stringify(run([stream()]), (_k, v) => (v instanceof Uint8Array ? [...v] : v));
  const text = stream();
  for (const size of [1, 2, 3, 7, 64, 77]) {
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
    const got = run(chunks);
    assert.deepEqual(bodies(got), bodies(run([text])), `chunk size ${size}`);
    assert.equal(got.filter((e) => e.kind !== 'data').length, JSON.parse(whole).filter((e: FrameEvent) => e.kind !== 'data').length);
  }
});

test('a body over its cap is cut and marked truncated', () => {
  const events = run([stream()], 5);
  assert.equal(bodies(events).get('proc/status'), 'line ');
  const end = events.find((e) => e.kind === 'end' && e.name === 'proc/status');
  assert.ok(end && end.kind === 'end' && end.truncated && end.size === 5);
});

test('frames with another nonce are noise, not boundaries', () => {
  const forged = `@@GS1 ffffffffffffffff BEGIN proc/x\n@@GS1 ffffffffffffffff DONE\n`;
  const events = run([forged]);
  assert.ok(events.every((e) => e.kind === 'noise'));
});

test('an endless line without newline stays bounded', () => {
  const p = new FrameParser(NONCE, () => 10);
  const events: FrameEvent[] = [];
  const junk = 'x'.repeat(10_000);
  for (let i = 0; i < 100; i++) p.feed(junk, (e) => events.push(e));
  assert.ok(events.filter((e) => e.kind === 'noise').length >= 1);
});

test('names with empty, . or .. segments, absolute names and a second copy of a name are refused with the reason, their bodies skipped', () => {
  const body = encodeBase64(new TextEncoder().encode('body'));
  const frame = (name: string) => [`@@GS1 ${NONCE} BEGIN ${name}`, body, `@@GS1 ${NONCE} END ${name} rc=0`];
  const bad = ['proc/../../x', '..', '.', '/etc/x', 'proc//x', 'proc/', './x', 'Proc/x', `${'a'.repeat(129)}`];
  const lines = [...frame('proc/status'), ...bad.flatMap(frame), ...frame('proc/status'), `@@GS1 ${NONCE} SKIP proc/status ${body}`, ...frame('proc/stat'), `@@GS1 ${NONCE} DONE`];
  const events = run([`${lines.join('\n')}\n`]);
  const refused = events.filter((e) => e.kind === 'refused').map((e) => (e.kind === 'refused' ? e.reason : ''));
  assert.equal(refused.length, bad.length + 2);
  assert.match(refused[0]!, /^"proc\/\.\.\/\.\.\/x" is not a valid artifact name \(it has a \.\. segment\)$/);
  assert.match(refused[3]!, /absolute/);
  assert.match(refused[4]!, /empty segment/);
  assert.deepEqual(refused.slice(-2), ['proc/status was sent twice; the second copy was not stored', 'proc/status was sent twice; the second copy was not stored']);
  assert.deepEqual(
    events.filter((e) => e.kind === 'begin' || e.kind === 'end').map((e) => `${e.kind} ${'name' in e ? e.name : ''}`),
    ['begin proc/status', 'end proc/status', 'begin proc/stat', 'end proc/stat'],
  );
  assert.ok(!events.some((e) => e.kind === 'noise'), 'refused bodies are skipped, not reported line by line');
  assert.ok(events.some((e) => e.kind === 'done'));
});

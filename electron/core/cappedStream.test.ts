/**
 * The capped stream that exec, tunnels and pprof downloads share: the cap cuts the chunk that
 * crosses it and keeps nothing after, the deadline and the cancel each end it once, and after it
 * settled neither fires. Timers are real and short; nothing here depends on the machine being idle
 * except that a 20 ms timer fires at some point after 20 ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CappedStream } from './cappedStream';

const FAR = () => Date.now() + 60_000;
const counting = () => {
  const calls = { timeout: 0, abort: 0 };
  return { calls, ends: { onTimeout: () => void calls.timeout++, onAbort: () => void calls.abort++ } };
};

test('the cap: chunks within it pass whole, the one crossing it is cut, nothing is kept after', () => {
  const s = new CappedStream({ maxBytes: 10, deadline: FAR() });
  assert.deepEqual([...s.take(Buffer.from('abcd'))], [...Buffer.from('abcd')]);
  assert.equal(s.truncated, false);
  assert.equal(s.take(Buffer.from('efghij')).toString(), 'efghij');
  assert.equal(s.bytes, 10);
  assert.equal(s.truncated, false, 'exactly at the cap is not truncated');
  assert.equal(s.take(Buffer.alloc(0)).length, 0);
  assert.equal(s.truncated, false, 'an empty chunk at the cap does not cut');
  assert.equal(s.take(Buffer.from('k')).length, 0);
  assert.equal(s.truncated, true);
  const t = new CappedStream({ maxBytes: 5, deadline: FAR() });
  const cut = t.take(Buffer.from('0123456789'));
  assert.ok(Buffer.isBuffer(cut), 'a Buffer in, a Buffer out');
  assert.equal(cut.toString(), '01234');
  assert.equal(t.truncated, true);
  assert.equal(t.bytes, 5);
  assert.equal(t.take(Buffer.from('x')).length, 0);
  assert.equal(t.bytes, 5);
  assert.ok(t.settle());
});

test('the deadline calls onTimeout once, not before the deadline, and the stream settles once', async () => {
  const { calls, ends } = counting();
  const t0 = Date.now();
  let at = 0;
  const s = new CappedStream({ maxBytes: 1, deadline: t0 + 20 }).arm({ ...ends, onTimeout: () => ((at = Date.now()), ends.onTimeout()) });
  while (calls.timeout === 0) await sleep(5);
  assert.ok(at - t0 >= 19, `fired after ${at - t0} ms`);
  assert.equal(s.settle(), true);
  assert.equal(s.settle(), false);
  assert.equal(s.settled, true);
  await sleep(30);
  assert.deepEqual(calls, { timeout: 1, abort: 0 });
});

test('a deadline already past times out at once (on the next turn), not never', async () => {
  const { calls, ends } = counting();
  const s = new CappedStream({ maxBytes: 1, deadline: Date.now() - 1000 }).arm(ends);
  await sleep(1);
  assert.equal(calls.timeout, 1);
  s.settle();
});

test('settled first: neither the deadline nor a later abort fires, and take keeps nothing', async () => {
  const { calls, ends } = counting();
  const ac = new AbortController();
  const s = new CappedStream({ maxBytes: 100, deadline: Date.now() + 15, signal: ac.signal }).arm(ends);
  assert.equal(s.take(Buffer.from('ab')).length, 2);
  assert.equal(s.settle(), true);
  ac.abort();
  await sleep(40);
  assert.deepEqual(calls, { timeout: 0, abort: 0 });
  assert.equal(s.take(Buffer.from('cd')).length, 0);
  assert.equal(s.bytes, 2);
  assert.equal(s.truncated, false);
});

test('abort: onAbort runs once when the signal fires, and at arm time when it had fired already', async () => {
  const { calls, ends } = counting();
  const ac = new AbortController();
  const s = new CappedStream({ maxBytes: 1, deadline: FAR(), signal: ac.signal }).arm(ends);
  assert.equal(calls.abort, 0);
  ac.abort();
  ac.abort();
  assert.equal(calls.abort, 1);
  assert.ok(s.settle());

  const before = counting();
  const early = new AbortController();
  early.abort();
  let settledInHandler = false;
  const e = new CappedStream({ maxBytes: 1, deadline: FAR(), signal: early.signal });
  // The handler may use the stream: it is armed after it was made.
  e.arm({
    ...before.ends,
    onAbort: () => {
      before.ends.onAbort();
      settledInHandler = e.settle();
    },
  });
  assert.equal(before.calls.abort, 1);
  assert.equal(settledInHandler, true);
  assert.equal(e.settle(), false);
  await sleep(1);
  assert.deepEqual(before.calls, { timeout: 0, abort: 1 });
});

test('settling removes the abort listener and clears the timer (nothing keeps the process alive)', () => {
  const ac = new AbortController();
  let listeners = 0;
  const signal = ac.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...a: Parameters<typeof add>) => (listeners++, add(...a))) as typeof add;
  signal.removeEventListener = ((...a: Parameters<typeof remove>) => (listeners--, remove(...a))) as typeof remove;
  const s = new CappedStream({ maxBytes: 1, deadline: FAR(), signal }).arm(counting().ends);
  assert.equal(listeners, 1);
  s.settle();
  assert.equal(listeners, 0);
});

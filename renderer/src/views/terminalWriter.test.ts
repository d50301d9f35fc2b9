import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK_BATCH_CHARS, DRAW_INTERVAL_MS, IDLE_RELEASE_MS, MAX_BATCH_CHARS, TerminalWriter, type WriterTarget } from './terminalWriter';

/** A stand-in for xterm with a hand-driven clock: writes wait until `parse()`, renders until `render()`. */
function fakeTerminal(opts: { canHold?: boolean } = {}) {
  let now = 0;
  const timers: { at: number; cb: () => void }[] = [];
  const writes: { data: string; parsed: () => void }[] = [];
  const written: string[] = [];
  const holds: boolean[] = [];
  const acks: number[] = [];
  let held = false;
  let renderWaiters: (() => void)[] = [];
  const target: WriterTarget = {
    write: (data, parsed) => {
      writes.push({ data, parsed });
      written.push(data);
    },
    holdDrawing:
      opts.canHold === false
        ? null
        : (hold) => {
            held = hold;
            holds.push(hold);
          },
    afterRender: (cb) => renderWaiters.push(cb),
    now: () => now,
    schedule: (cb, ms) => {
      const timer = { at: now + ms, cb };
      timers.push(timer);
      return () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    ack: (chars) => acks.push(chars),
  };
  return {
    target,
    writes,
    written,
    holds,
    acks,
    get held() {
      return held;
    },
    /** xterm finishes parsing the oldest write after `ms`. */
    parse(ms = 1) {
      now += ms;
      writes.shift()!.parsed();
    },
    /** A frame is drawn (only if drawing is not held, as xterm does). */
    render() {
      if (held) return;
      const w = renderWaiters;
      renderWaiters = [];
      for (const cb of w) cb();
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.cb();
      }
    },
  };
}

const chunk = (i: number, n = 64 * 1024) => String(i % 10).repeat(n);

test('output reaches xterm in order, one write at a time, joined into batches of at most MAX_BATCH_CHARS', () => {
  const f = fakeTerminal();
  const w = new TerminalWriter(f.target);
  const sent: string[] = [];
  for (let i = 0; i < 10; i++) {
    const c = chunk(i, 40_000);
    sent.push(c);
    w.push(c);
    assert.ok(f.writes.length <= 1, 'never more than one write in xterm at a time');
  }
  while (f.writes.length > 0) f.parse();
  assert.equal(f.written.join(''), sent.join(''));
  assert.ok(
    f.written.every((b, i) => i === 0 || b.length <= MAX_BATCH_CHARS),
    'batches stay within the cap',
  );
  assert.ok(f.written.length < sent.length, `events were joined (${f.written.length} writes for ${sent.length} events)`);
});

test('every parsed character is acknowledged once: in batches as parsed, the rest by flushAck', () => {
  const f = fakeTerminal();
  const w = new TerminalWriter(f.target);
  let total = 0;
  for (let i = 0; i < 50; i++) {
    const c = 'x'.repeat(100 + i * 37);
    total += c.length;
    w.push(c);
    if (i % 3 === 0) while (f.writes.length > 0) f.parse();
  }
  while (f.writes.length > 0) f.parse();
  assert.ok(f.acks.slice(0, -1).every((a) => a >= ACK_BATCH_CHARS));
  w.flushAck();
  assert.equal(
    f.acks.reduce((a, b) => a + b, 0),
    total,
  );
  w.flushAck();
  assert.equal(
    f.acks.reduce((a, b) => a + b, 0),
    total,
    'nothing acknowledged twice',
  );
});

test('a flood is parsed with drawing held, drawn once per interval, and drawn at its end', () => {
  const f = fakeTerminal();
  const w = new TerminalWriter(f.target);
  const frameTimes: number[] = [];
  let t = 0;
  // 8 MiB at 64 KiB per event, each batch parsed in 10 ms: about 1.3 s of flood.
  for (let i = 0; i < 128; i++) {
    w.push(chunk(i));
    if (f.writes.length > 0) {
      f.parse(10);
      t += 10;
    }
    if (!f.held) {
      frameTimes.push(t);
      f.render();
    }
  }
  while (f.writes.length > 0) {
    f.parse(10);
    t += 10;
    if (!f.held) f.render();
  }
  assert.ok(w.stats.heldBatches > w.stats.batches * 0.7, `most of the flood is held: ${JSON.stringify(w.stats)}`);
  assert.ok(w.stats.floodFrames >= 10, `frames are drawn during the flood: ${JSON.stringify(w.stats)}`);
  for (let i = 1; i < frameTimes.length; i++) assert.ok(frameTimes[i]! - frameTimes[i - 1]! <= DRAW_INTERVAL_MS + 20, `a frame at least every interval: ${frameTimes.join(',')}`);
  assert.equal(f.held, true, 'still held right after the last batch');
  f.advance(IDLE_RELEASE_MS);
  assert.equal(f.held, false, 'the end of the flood is drawn');
});

test('interactive output (small pieces, far apart) is never held', () => {
  const f = fakeTerminal();
  const w = new TerminalWriter(f.target);
  for (let i = 0; i < 200; i++) {
    w.push('$ ls\r\nREADME.md  go.mod  main.go\r\n');
    f.parse(1);
    f.advance(50);
  }
  assert.deepEqual(f.holds, []);
  assert.equal(w.stats.heldBatches, 0);
});

test('a terminal that cannot hold its drawing still gets all output, unpaced', () => {
  const f = fakeTerminal({ canHold: false });
  const w = new TerminalWriter(f.target);
  for (let i = 0; i < 20; i++) w.push(chunk(i));
  while (f.writes.length > 0) f.parse(10);
  assert.equal(f.written.join('').length, 20 * 64 * 1024);
  assert.equal(w.stats.heldBatches, 0);
});

test('the queue is bounded by what the backend sends unacknowledged, and dispose drops it', () => {
  const f = fakeTerminal();
  const w = new TerminalWriter(f.target);
  for (let i = 0; i < 8; i++) w.push(chunk(i));
  assert.equal(w.stats.maxQueued, 8 * 64 * 1024 - f.written[0]!.length);
  w.dispose();
  f.parse();
  w.push('more');
  assert.equal(f.writes.length, 0, 'nothing is written after dispose');
});

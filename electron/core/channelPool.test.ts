/**
 * The channel pool against a fake transport: a server with a MaxSessions of its own that opens a
 * channel at once, refuses beyond its limit, or holds an open until told. What it shows: callers
 * queue in order, a refusal lowers the limit only when other channels are open, a wait in the queue
 * ends at the caller's deadline or cancel and leaves the queue clean, and closing the connection
 * ends every wait. The same code runs through a real sshd in test/integration/ssh-hostile.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../shared/contract/errors';
import { ChannelPool, type Bounds, type ChannelTransport } from './channelPool';
import { ChannelRefused } from './sshErrors';

interface FakeChannel {
  readonly command: string;
  close(): void;
}

/** A server that allows `maxSessions` channels at once and refuses more, as sshd does ("open failed"). */
class FakeServer implements ChannelTransport<FakeChannel> {
  open = 0;
  opened: string[] = [];
  refusals = 0;
  constructor(private maxSessions: number) {}
  async openExec(command: string): Promise<FakeChannel> {
    await Promise.resolve();
    if (this.open >= this.maxSessions) {
      this.refusals++;
      throw new ChannelRefused('open failed');
    }
    this.open++;
    this.opened.push(command);
    let closed = false;
    return {
      command,
      close: () => {
        if (closed) return;
        closed = true;
        this.open--;
      },
    };
  }
}

const later = (ms = 60_000): Bounds => ({ deadline: Date.now() + ms });
const code = (err: unknown) => (err instanceof ApiError ? err.code : `not an ApiError: ${String(err)}`);

test('queueing: beyond the limit callers wait, and get slots in the order they asked', async () => {
  const server = new FakeServer(10);
  const pool = new ChannelPool(server, 'box', 2);
  const a = await pool.openExec('a', later());
  const b = await pool.openExec('b', later());
  assert.equal(pool.inUse, 2);
  const order: string[] = [];
  const c = pool.openExec('c', later()).then((h) => (order.push('c'), h));
  const d = pool.openExec('d', later()).then((h) => (order.push('d'), h));
  await sleep(10);
  assert.deepEqual(order, [], 'nobody got a slot while both were held');
  assert.equal(server.opened.length, 2, 'the queued callers opened nothing on the server');
  a.channel.close();
  a.release();
  a.release();
  const hc = await c;
  assert.deepEqual(order, ['c'], 'one release, one slot: a second release call gives nothing back');
  b.channel.close();
  b.release();
  const hd = await d;
  assert.deepEqual(order, ['c', 'd']);
  assert.equal(pool.inUse, 2);
  hc.release();
  hd.release();
  assert.equal(pool.inUse, 0);
  assert.equal(pool.limit, 2);
});

test('MaxSessions fallback: a refusal while channels are open lowers the limit to their number and waits for one', async () => {
  const server = new FakeServer(3);
  const pool = new ChannelPool(server, 'box', 8);
  const held = await Promise.all(['a', 'b', 'c'].map((c) => pool.openExec(c, later())));
  let fourth: { channel: FakeChannel; release(): void } | null = null;
  const p = pool.openExec('d', later()).then((h) => (fourth = h));
  while (server.refusals === 0) await sleep(1);
  await sleep(10);
  assert.equal(pool.limit, 3, 'the limit learned from the refusal');
  assert.equal(fourth, null, 'the refused caller waits for a slot instead of failing');
  assert.equal(pool.inUse, 3);
  held[0]!.channel.close();
  held[0]!.release();
  await p;
  assert.equal(fourth!.channel.command, 'd');
  assert.equal(server.refusals, 1, 'after learning, it did not ask the server beyond its limit again');
  // Later callers queue at the learned limit without asking the server.
  const e = pool.openExec('e', later(50));
  await assert.rejects(e, (err) => code(err) === 'remote-failed' && /all 3 are in use/.test((err as Error).message));
  assert.equal(server.refusals, 1);
  for (const h of [held[1]!, held[2]!, fourth!]) {
    h.channel.close();
    h.release();
  }
  assert.equal(pool.inUse, 0);
});

test('a refusal with no other channel open is the answer: an ApiError, and the limit stays', async () => {
  const pool = new ChannelPool(new FakeServer(0), 'box', 8);
  await assert.rejects(pool.openExec('a', later()), (err) => code(err) === 'remote-failed' && /refused an exec channel: open failed/.test((err as Error).message));
  assert.equal(pool.limit, 8);
  assert.equal(pool.inUse, 0, 'the slot was given back');
});

test('other errors of the transport pass through as they are, and free the slot', async () => {
  const boom = new ApiError('remote-failed', 'the server did not answer');
  const pool = new ChannelPool<FakeChannel>({ openExec: () => Promise.reject(boom) }, 'box', 1);
  await assert.rejects(pool.openExec('a', later()), (err) => err === boom);
  assert.equal(pool.inUse, 0);
});

test('timeout: a wait in the queue ends at the deadline, leaves the queue, and a later release skips it', async () => {
  const pool = new ChannelPool(new FakeServer(10), 'box', 1);
  const a = await pool.openExec('a', later());
  const t0 = Date.now();
  await assert.rejects(pool.openExec('late', later(30)), (err) => code(err) === 'remote-failed' && /No channel to box became free within 1 s: all 1 are in use/.test((err as Error).message));
  assert.ok(Date.now() - t0 >= 25, 'not before its deadline');
  const next = pool.openExec('next', later());
  a.release();
  const n = await next;
  assert.equal(n.channel.command, 'next');
  assert.equal(pool.inUse, 1);
  n.release();
});

test('a deadline already past while the pool is full fails at once, not never', async () => {
  const pool = new ChannelPool(new FakeServer(10), 'box', 1);
  const a = await pool.openExec('a', later());
  await assert.rejects(pool.openExec('b', { deadline: Date.now() - 1 }), (err) => code(err) === 'remote-failed');
  a.release();
});

test('abort: cancelling a queued caller rejects it as cancelled and frees its place; an aborted signal never queues', async () => {
  const pool = new ChannelPool(new FakeServer(10), 'box', 1);
  const a = await pool.openExec('a', later());
  const ac = new AbortController();
  const queued = pool.openExec('q', { deadline: Date.now() + 60_000, signal: ac.signal });
  const behind = pool.openExec('behind', later());
  await sleep(5);
  ac.abort();
  await assert.rejects(queued, (err) => code(err) === 'cancelled' && /free channel on box/.test((err as Error).message));
  const gone = new AbortController();
  gone.abort();
  await assert.rejects(pool.openExec('x', { deadline: Date.now() + 60_000, signal: gone.signal }), (err) => code(err) === 'cancelled');
  a.release();
  assert.equal((await behind).channel.command, 'behind', 'the slot went to the caller behind the cancelled one');
  assert.equal(pool.inUse, 1);
});

test('closing the connection ends every wait at once with not-connected, and no slot is handed out after', async () => {
  const pool = new ChannelPool(new FakeServer(10), 'box', 1);
  const a = await pool.openExec('a', later());
  const waits = [pool.openExec('b', later()), pool.acquire(later())];
  await sleep(5);
  pool.close('the server ended the connection');
  for (const w of waits) await assert.rejects(w, (err) => code(err) === 'not-connected' && /Not connected to box: the server ended the connection/.test((err as Error).message));
  await assert.rejects(pool.openExec('c', later()), (err) => code(err) === 'not-connected');
  a.release();
  assert.equal(pool.isOpen, false);
  assert.equal(pool.reason, 'the server ended the connection');
});

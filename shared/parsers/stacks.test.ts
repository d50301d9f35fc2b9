import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { parseNativeStacks } from './stacks';

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

const groupsDump = (s: ReturnType<typeof parseNativeStacks>) => {
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  return dumpModel({ tool: s.value.tool, threads: s.value.threads.length, groups: s.value.groups.map((g) => ({ count: g.count, state: g.state, top: g.funcs.slice(0, 4) })) });
};

test('eu-stack and gdb of the same lab target give the same threads and the same pt-pmp groups', () => {
  const eu = parseNativeStacks(read('go1.26.eu-stack.txt'));
  const gdb = parseNativeStacks(read('go1.26.gdb.txt'));
  assert.ok(eu.ok && gdb.ok);
  assert.equal(eu.value.tool, 'eu-stack');
  assert.equal(gdb.value.tool, 'gdb');
  assert.equal(eu.value.threads.length, gdb.value.threads.length);
  assert.ok(eu.value.threads.length >= 6, 'four locked threads plus the runtime ones');
  // the four -threads goroutines are locked to their own M and park in the scheduler
  assert.ok(eu.value.groups.some((g) => g.count >= 4 && /idle M/.test(g.state)));
  assert.ok(eu.value.threads.every((t) => t.frames.length > 0 && t.frames.every((f) => f.func !== '')));
  assert.ok(eu.value.threads.some((t) => t.frames.some((f) => f.goRuntime && f.func === 'runtime.futex')), 'abi0 suffixes normalised');
  assert.ok(gdb.value.threads.some((t) => t.frames.some((f) => f.file !== null && f.line !== null)));
  assert.ok(gdb.value.threads.every((t) => t.name !== null), 'new gdb prints thread names');
  assertGolden(join(fixtures, 'golden', 'go1.26.eu-stack.txt'), groupsDump(eu));
  assertGolden(join(fixtures, 'golden', 'go1.26.gdb.txt'), groupsDump(gdb));
  assertGolden(join(fixtures, 'golden', 'go1.24.eu-stack.txt'), groupsDump(parseNativeStacks(read('go1.24.eu-stack.txt'))));
});

test('old gdb and pstack layouts: "Thread N (Thread 0x… (LWP n))", frames "from lib"', () => {
  const text = [
    'Thread 2 (Thread 0x7f1c2a1ff700 (LWP 1235)):',
    '#0  0x00007f1c2b0e3f9d in nanosleep () from /lib64/libc.so.6',
    '#1  0x0000000000401136 in worker (arg=0x0) at app.c:12',
    '#2  0x00007f1c2b3d7ea5 in start_thread () from /lib64/libpthread.so.0',
    'Thread 1 (Thread 0x7f1c2b9f5740 (LWP 1234)):',
    '#0  0x00007f1c2b0e3f9d in nanosleep () from /lib64/libc.so.6',
    '#1  0x0000000000401190 in main () at app.c:30',
  ].join('\n');
  const r = parseNativeStacks(text);
  assert.ok(r.ok);
  assert.deepEqual(r.value.threads.map((t) => t.tid), [1234, 1235]);
  assert.deepEqual(r.value.threads[1]!.frames[0], { pc: '0x00007f1c2b0e3f9d', func: 'nanosleep', file: null, line: null, module: '/lib64/libc.so.6', goRuntime: false });
  assert.equal(r.value.threads[1]!.frames[1]!.line, 12);
  assert.equal(r.value.groups.length, 2);
});

test('identical stacks are one group with a count', () => {
  const t = (tid: number) => `TID ${tid}:\n#0  0x1 runtime.futex.abi0\n#1  0x2 runtime.notesleep\n#2  0x3 runtime.stopm\n#3  0x4 runtime.findRunnable\n`;
  const r = parseNativeStacks(`PID 9 - process\n${t(9)}${t(10)}${t(11)}`);
  assert.ok(r.ok);
  assert.equal(r.value.pid, 9);
  assert.equal(r.value.groups.length, 1);
  assert.equal(r.value.groups[0]!.count, 3);
  assert.deepEqual(r.value.groups[0]!.tids, [9, 10, 11]);
});

test('something else gives a positioned error', () => {
  const r = parseNativeStacks('ptrace: Operation not permitted.\n');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.line === 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKernelThread, orderProcesses } from './processList';

// Real lines from this lab machine's /proc: kthreadd (flags 0x208040), a kworker child of it, and an ordinary process.
const KTHREADD_STAT = '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 14 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
const KWORKER_STAT = '10 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 14 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
const USER_STAT =
  '1 (process_api) S 0 0 0 0 -1 4194560 246891 415801260 0 38085 710 1192 2148576 603391 10 -10 15 0 14 47726592 3303 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

test('a kernel thread is known by PF_KTHREAD in its stat flags', () => {
  assert.equal(isKernelThread({ pid: 2, ppid: 0, statText: KTHREADD_STAT, exeMissing: true }), true);
  assert.equal(isKernelThread({ pid: 10, ppid: 2, statText: KWORKER_STAT, exeMissing: true }), true);
  assert.equal(isKernelThread({ pid: 1, ppid: 0, statText: USER_STAT, exeMissing: false }), false);
});

test('the flags decide over the parent: PID 2 inside a PID namespace can be an ordinary process', () => {
  const child = USER_STAT.replace(/^1 \(process_api\) S 0/, '40 (sh) S 2');
  assert.equal(isKernelThread({ pid: 40, ppid: 2, statText: child, exeMissing: false }), false);
});

test('without stat, kthreadd and its children with no executable are kernel threads; an unreadable executable alone is not', () => {
  assert.equal(isKernelThread({ pid: 77, ppid: 2, statText: null, exeMissing: true }), true);
  assert.equal(isKernelThread({ pid: 2, ppid: 0, statText: 'garbage', exeMissing: true }), true);
  assert.equal(isKernelThread({ pid: 77, ppid: 2, statText: null, exeMissing: false }), false, 'a child of PID 2 with an executable (a PID namespace)');
  assert.equal(isKernelThread({ pid: 500, ppid: 1, statText: null, exeMissing: true }), false, 'exited or unlinked, not a kernel thread');
});

test('Go processes first, then other user processes, kernel threads last, by PID within each', () => {
  const p = (pid: number, kind: 'go' | 'not-go' | 'unknown', kernelThread = false) => ({ pid, go: { kind }, kernelThread });
  const list = [p(2, 'unknown', true), p(1, 'not-go'), p(900, 'go'), p(77, 'unknown', true), p(300, 'unknown'), p(120, 'go'), p(45, 'not-go')];
  assert.deepEqual(
    orderProcesses(list).map((x) => x.pid),
    [120, 900, 1, 45, 300, 2, 77],
  );
  assert.deepEqual(
    list.map((x) => x.pid),
    [2, 1, 900, 77, 300, 120, 45],
    'the input is left as it was',
  );
});

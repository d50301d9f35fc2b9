import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { parseNativeStacks, ptPmpEuFrame, ptPmpGdbFrame } from './stacks';

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
  assert.ok(
    eu.value.threads.some((t) => t.frames.some((f) => f.goRuntime && f.func === 'runtime.futex')),
    'abi0 suffixes normalised',
  );
  assert.ok(gdb.value.threads.some((t) => t.frames.some((f) => f.file !== null && f.line !== null)));
  assert.ok(
    gdb.value.threads.every((t) => t.name !== null),
    'new gdb prints thread names',
  );
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
  assert.deepEqual(
    r.value.threads.map((t) => t.tid),
    [1234, 1235],
  );
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

const ptPmp = join(fixtures, 'pt-pmp');
/** pt-pmp prints "%7d key" lines sorted by count only; compare them as a multiset. */
const ptPmpLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().replace(/^(\d+) +/, '$1 '))
    .sort();

const samples = readdirSync(ptPmp).filter((f) => f.endsWith('.in'));
test('pt-pmp has samples here', () => assert.ok(samples.length >= 7, samples.join(', ')));
for (const sample of samples) {
  test(`pt-pmp's sample ${sample}: our groups are pt-pmp's lines, with its counts`, () => {
    const r = parseNativeStacks(readFileSync(join(ptPmp, sample), 'utf8'));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const expected = ptPmpLines(readFileSync(join(ptPmp, sample.replace(/\.in$/, '.out')), 'utf8'));
    assert.deepEqual(r.value.groups.map((g) => `${g.count} ${g.key}`).sort(), expected);
    assert.equal(
      r.value.groups.reduce((n, g) => n + g.count, 0),
      r.value.threads.length,
    );
  });
}

test('stacks that differ only in their unnamed frames stay apart (pt-pmp: 14 groups, not 11)', () => {
  const r = parseNativeStacks(readFileSync(join(ptPmp, 'stacktrace006-gdb-readnever.in'), 'utf8'));
  assert.ok(r.ok);
  assert.equal(r.value.groups.length, 14);
  const futex = r.value.groups.filter((g) => g.funcs[0] === '__futex_abstimed_wait_cancelable64' && g.funcs.slice(1).every((f) => f === '??'));
  assert.deepEqual(
    futex.map((g) => g.count).sort((a, b) => b - a),
    [12, 6, 5],
    'by how many unnamed frames follow',
  );
});

test('pt-pmp frame names: libraries, source files, unnamed frames by library and address', () => {
  const st = { tfile: '' };
  assert.equal(ptPmpGdbFrame('#0  0x00007f2763e91117 in __futex_abstimed_wait_cancelable64 () from /lib/x86_64-linux-gnu/libc.so.6', st), '__futex_abstimed_wait_cancelable64(libc.so.6)');
  assert.equal(ptPmpGdbFrame('#1  0x00007f272bd28088 in ?? ()', st), '::??');
  assert.equal(ptPmpGdbFrame('#20 0x00007f27642dc253 in ?? () from /lib/x86_64-linux-gnu/libstdc++.so.6', st), 'libstdc++::??(libstdc++.so.6)');
  assert.equal(ptPmpGdbFrame('#5  0x0000000000000000 in ?? ()', st), '??');
  assert.equal(
    ptPmpGdbFrame('#19 0x000055be69c480e6 in std::thread::_State_impl<std::thread::_Invoker<std::tuple<Detached_thread, void (*)(unsigned long), unsigned long> > >::_M_run() ()', st),
    'std::thread::_State_impl::_M_run',
  );
  assert.equal(ptPmpEuFrame('#8  0x00007f27642dc253 ??() - /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30'), '??(libstdc++.so.6.0.30)');
  assert.equal(ptPmpEuFrame('#2  0x000055be68770708 mysqld_main(int, char**) - /x/bin/mysqld   /src/sql/conn_handler/connection_acceptor.h:64:75'), 'mysqld_main(connection_acceptor.h:64:75)');
  assert.equal(ptPmpEuFrame('#0  0x00007f2763f18bcf __poll - /usr/lib/x86_64-linux-gnu/libc.so.6   ../sysdeps/unix/sysv/linux/poll.c:29:10'), '__poll');
  assert.equal(ptPmpEuFrame('#4  0x00007f2763e29e40 __libc_start_main@@GLIBC_2.34 - /usr/lib/x86_64-linux-gnu/libc.so.6   ../csu/libc-start.c:392:3'), '__libc_start_main');
  assert.equal(ptPmpEuFrame('#7  0x00007fff54635838'), '??');
});

test('eu-stack frames keep their module and, with -s, their source position', () => {
  const r = parseNativeStacks(
    [
      'PID 3441765 - process',
      'TID 3441765:',
      '#0  0x00007f2763f18bcf __poll - /usr/lib/x86_64-linux-gnu/libc.so.6   ../sysdeps/unix/sysv/linux/poll.c:29:10',
      '#1  0x000055be68a34432 Mysqld_socket_listener::listen_for_connection_event() - /x/bin/mysqld   /usr/include/x86_64-linux-gnu/bits/poll2.h:39:10',
      '#2  0x000055be6859cfb5 _start - /x/bin/mysqld',
    ].join('\n'),
  );
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.threads[0]!.frames.map((f) => [f.func, f.module, f.file, f.line]),
    [
      ['__poll', '/usr/lib/x86_64-linux-gnu/libc.so.6', '../sysdeps/unix/sysv/linux/poll.c', 29],
      ['Mysqld_socket_listener::listen_for_connection_event', '/x/bin/mysqld', '/usr/include/x86_64-linux-gnu/bits/poll2.h', 39],
      ['_start', '/x/bin/mysqld', null, null],
    ],
  );
  assert.equal(r.value.groups[0]!.key, '__poll,Mysqld_socket_listener::listen_for_connection_event(poll2.h:39:10),_start(mysqld)');
});

test('pt-pmp frame rendering never throws on arbitrary frame lines', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (tail) => {
      ptPmpGdbFrame(`#1 ${tail}`, { tfile: '' });
      ptPmpEuFrame(`#1 ${tail}`);
      void parseNativeStacks(`Thread 1 (LWP 2):\n#0 ${tail}\n`);
      void parseNativeStacks(`PID 1 - process\nTID 1:\n#0 ${tail}\n`);
    }),
    { numRuns: 500 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { parseGoroutineDump } from './goroutines';

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

for (const go of ['go1.26', 'go1.24']) {
  test(`goroutine?debug=2 of a ${go} lab target, grouped by state and stack`, () => {
    const r = parseGoroutineDump(read(`${go}.goroutines.txt`));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.warnings, []);
    assert.ok(r.value.goroutines.length >= 40 + 4);
    // the target parks its 40 goroutines in four ways, ten of each: four groups
    const parked = r.value.groups.filter((g) => g.count === 10 && g.createdBy?.func === 'main.main');
    assert.equal(parked.length, 4);
    assert.ok(parked.every((g) => g.createdBy?.parent === 1));
    assert.deepEqual(parked.map((g) => g.state).sort(), ['chan receive', 'chan receive', 'select', 'sleep']);
    assert.ok(r.value.goroutines.filter((g) => g.lockedToThread).length >= 4, 'the -threads goroutines are locked to their threads');
    assert.ok(r.value.goroutines.every((g) => g.frames.every((f) => f.file !== '' && f.line > 0)));
    assertGolden(join(fixtures, 'golden', `${go}.goroutines.txt`), dumpModel({ total: r.value.goroutines.length, states: r.value.states, groups: r.value.groups.map((g) => ({ state: g.state, count: g.count, locked: g.lockedCount, top: g.frames.slice(0, 2).map((f) => f.func), createdBy: g.createdBy?.func ?? null })) }));
  });
}

test('a SIGQUIT traceback: wait minutes, gp= headers, elided frames, ancestors, cgo, registers', () => {
  const text = [
    'SIGQUIT: quit',
    'PC=0x46e1a3 m=0 sigcode=0',
    '',
    'goroutine 0 gp=0x9a7c40 m=0 mp=0x9a8a60 [idle]:',
    'runtime.futex(0x9a8ba0, 0x80, 0x0, 0x0, 0x0, 0x0)',
    '\truntime/sys_linux_amd64.s:557 +0x23 fp=0x7ffd sp=0x7ffc pc=0x46e1a3',
    '',
    'goroutine 7 gp=0xc000102000 m=nil [chan receive, 12 minutes, locked to thread]:',
    'main.worker(...)',
    '\t/src/app/main.go:40',
    'main.loop(0xc000010000?)',
    '\t/src/app/main.go:33 +0x2a',
    '...additional frames elided...',
    'created by main.main in goroutine 1',
    '\t/src/app/main.go:20 +0x4b',
    '[originating from goroutine 1]:',
    'main.main()',
    '\t/src/app/main.go:20 +0x4b',
    '',
    'goroutine 8 [syscall, 3 minutes]:',
    'runtime.cgocall(0x4a1b20, 0xc00005ef30)',
    '\truntime/cgocall.go:167 +0x4b fp=0xc00005ef08 sp=0xc00005eed0 pc=0x40a50b',
    'main._Cfunc_sleep(0x3c)',
    '\t_cgo_gotypes.go:55 +0x3f',
    'created by main.main',
    '\t/src/app/main.go:21 +0x5c',
    '',
    'rax    0xca',
    'rbx    0x9a8ba0',
  ].join('\n');
  const r = parseGoroutineDump(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.match(r.value.preamble, /^SIGQUIT: quit/);
  const [g0, g7, g8] = r.value.goroutines;
  assert.equal(g0!.state, 'idle');
  assert.deepEqual([g7!.id, g7!.state, g7!.waitMinutes, g7!.lockedToThread, g7!.elided], [7, 'chan receive', 12, true, true]);
  assert.deepEqual(g7!.frames.map((f) => [f.func, f.args, f.line]), [['main.worker', '(...)', 40], ['main.loop', '(0xc000010000?)', 33]]);
  assert.deepEqual(g7!.createdBy, { func: 'main.main', file: '/src/app/main.go', line: 20, parent: 1 });
  assert.deepEqual(g7!.ancestors, [1]);
  assert.equal(g8!.cgo, true);
  assert.equal(g8!.createdBy?.parent, null, 'pre-1.21 dumps name no parent');
  assert.equal(r.value.groups.find((g) => g.state === 'chan receive')?.maxWaitMinutes, 12);
});

test('methods with pointer receivers keep their names', () => {
  const r = parseGoroutineDump('goroutine 1 [select]:\nnet/http.(*conn).serve(0xc0001, {0x7ae, 0xc0002})\n\tnet/http/server.go:2067 +0x690\n');
  assert.ok(r.ok);
  assert.equal(r.value.goroutines[0]!.frames[0]!.func, 'net/http.(*conn).serve');
});

test('not a dump: a positioned error', () => {
  const r = parseGoroutineDump('hello\n');
  assert.equal(r.ok, false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
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
    assertGolden(
      join(fixtures, 'golden', `${go}.goroutines.txt`),
      dumpModel({
        total: r.value.goroutines.length,
        states: r.value.states,
        groups: r.value.groups.map((g) => ({ state: g.state, count: g.count, locked: g.lockedCount, top: g.frames.slice(0, 2).map((f) => f.func), createdBy: g.createdBy?.func ?? null })),
      }),
    );
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
  assert.deepEqual(
    g7!.frames.map((f) => [f.func, f.args, f.line]),
    [
      ['main.worker', '(...)', 40],
      ['main.loop', '(0xc000010000?)', 33],
    ],
  );
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

const gsp = join(import.meta.dirname, 'fixtures', 'gostackparse');
interface GspGoroutine {
  ID: number;
  State: string;
  Wait: number;
  LockedToThread: boolean;
  Stack: { Func: string; File: string; Line: number }[];
  FramesElided: boolean;
  CreatedBy: { Func: string; File: string; Line: number } | null;
}
const gspCases = readdirSync(gsp).filter((f) => f.endsWith('.txt'));
test('gostackparse fixtures are here', () => assert.ok(gspCases.length >= 12, gspCases.join(', ')));
for (const name of gspCases) {
  test(`gostackparse's ${name}: a warning on every line it reports an error on, the same goroutines where it reports none`, () => {
    const golden = JSON.parse(readFileSync(join(gsp, name.replace(/\.txt$/, '.golden.json')), 'utf8')) as { Errors: string[] | null; Goroutines: GspGoroutine[] | null };
    const text = readFileSync(join(gsp, name), 'utf8');
    const r = parseGoroutineDump(text);
    const errorLines = (golden.Errors ?? []).map((e) => Number(/on line (\d+)/.exec(e)![1]));
    if (text.trim() === '') {
      // gostackparse reads nothing from nothing; we say it is not a dump, at line 1.
      assert.ok(!r.ok && r.error.line === 1);
      return;
    }
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(
      r.warnings.map((w) => w.line),
      errorLines,
      JSON.stringify(r.warnings),
    );
    if (errorLines.length > 0) return;
    assert.deepEqual(
      // gostackparse's Wait is a time.Duration in nanoseconds.
      r.value.goroutines.map((g) => ({
        ID: g.id,
        State: g.state,
        Wait: g.waitMinutes * 60e9,
        LockedToThread: g.lockedToThread,
        Stack: g.frames.map((f) => ({ Func: f.func, File: f.file, Line: f.line })),
        FramesElided: g.elided,
        CreatedBy: g.createdBy && { Func: g.createdBy.func, File: g.createdBy.file, Line: g.createdBy.line },
      })),
      (golden.Goroutines ?? []).map((g) => ({
        ID: g.ID,
        State: g.State,
        Wait: g.Wait,
        LockedToThread: g.LockedToThread,
        Stack: g.Stack.map((f) => ({ Func: f.Func, File: f.File, Line: f.Line })),
        FramesElided: g.FramesElided,
        CreatedBy: g.CreatedBy && { Func: g.CreatedBy.Func, File: g.CreatedBy.File, Line: g.CreatedBy.Line },
      })),
    );
  });
}

test('malformed blocks keep what they have, and say where', () => {
  const r = parseGoroutineDump(['goroutine 2 [running]:', 'main.main)(', '\t/example/main.go:152 +0x3d2', 'main.helper()', '', 'goroutine 3 [select]:', ''].join('\n'));
  assert.ok(r.ok);
  assert.deepEqual(
    r.warnings.map((w) => [w.line, w.message.slice(0, 40)]),
    [
      [2, 'expected a call "name(args)", found "mai'],
      [5, 'the call "main.helper()" has no "\tfile:l'],
      [7, 'goroutine 3 has no frames (the dump was '],
    ],
  );
  assert.deepEqual(
    r.value.goroutines[0]!.frames.map((f) => [f.func, f.file, f.line]),
    [
      ['main.main)(', '/example/main.go', 152],
      ['main.helper', '', 0],
    ],
  );
});

test('malformed dumps never throw and every warning has a line inside the text', () => {
  const base = readFileSync(join(gsp, 'waitsince.txt'), 'utf8');
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 40 }), fc.constantFrom('', '\n', ')(', '\t', 'created by x', 'goroutine 9 [running]:\n', 'f()\n')), { maxLength: 10 }),
      (edits) => {
        let t = base;
        for (const [at, len, ins] of edits) t = t.slice(0, at) + ins + t.slice(at + len);
        const r = parseGoroutineDump(t);
        const lines = t.split('\n').length + 1;
        for (const w of r.warnings) assert.ok(w.line !== undefined && w.line >= 1 && w.line <= lines, `${w.line} of ${lines}`);
      },
    ),
    { numRuns: 300 },
  );
});

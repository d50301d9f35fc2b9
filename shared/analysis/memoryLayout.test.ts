import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { parseSmaps } from '../parsers/smaps';
import { dumpModel } from '../util/dump';
import { classifiedAt, classifyMemory, layoutRecord, type MemoryLayout } from './memoryLayout';

const fixtures = join(import.meta.dirname, '..', 'parsers', 'fixtures');

function layoutOf(text: string, opts = {}): { layout: MemoryLayout; names: string[] } {
  const r = parseSmaps(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return { layout: classifyMemory(r.value, opts), names: Array.from(r.value.name, (k) => r.value.names[k]!) };
}

const readable = (l: MemoryLayout) =>
  dumpModel({
    isGo: l.isGo,
    goEvidence: l.goEvidence,
    totals: l.totals.map((t) => `${t.class}: ${t.mappings} mappings`),
    regions: l.regions.map((r) => `${r.class} ${r.mappings} mappings`),
  }, { maxItems: 40 });

for (const [go, hint] of [['go1.26', 'randomized heap base'], ['go1.24', 'Go arena hint address']] as const) {
  test(`every mapping of a ${go} target gets a class and a reason; the heap is found (${hint})`, () => {
    const { layout } = layoutOf(readFileSync(join(fixtures, `${go}.smaps.txt`), 'utf8'));
    assert.equal(layout.isGo, true);
    assert.match(layout.goEvidence, go === 'go1.24' ? /0xc000000000/ : /randomized heap base/);
    assert.ok(layoutRecord(layout).mappings.every((m) => m.reason.length > 0));
    const heap = layout.totals.find((t) => t.class === 'go-heap');
    assert.ok(heap && heap.kib.Rss >= 16 * 1024, 'the 16 MiB the target retains is in Go heap arenas');
    for (const c of ['binary-text', 'binary-rodata', 'binary-data', 'kernel', 'thread-stack'] as const) assert.ok(layout.totals.some((t) => t.class === c), c);
    const sum = layout.totals.reduce((a, t) => a + t.kib.Rss, 0);
    assert.equal(sum, layout.grandTotal.Rss);
    assertGolden(join(fixtures, 'golden', `${go}.memory-layout.txt`), readable(layout));
  });
}

test('Go 1.25+ names, glibc arenas, pthread stacks, libraries, shm and the brk heap', () => {
  const lines = [
    '00400000-00500000 r-xp 00000000 08:01 7 /srv/app',
    '00500000-00600000 r--p 00100000 08:01 7 /srv/app',
    '00600000-00610000 rw-p 00200000 08:01 7 /srv/app',
    '00610000-00640000 rw-p 00000000 00:00 0 ',
    '01000000-01100000 rw-p 00000000 00:00 0 [heap]',
    '3a0000000000-3a0004000000 rw-p 00000000 00:00 0 [anon: Go: heap]',
    '7f0000000000-7f0000100000 rw-p 00000000 00:00 0 [anon: Go: page alloc]',
    '7f1000000000-7f1000021000 rw-p 00000000 00:00 0 ',
    '7f1000021000-7f1004000000 ---p 00000000 00:00 0 ',
    '7f2000000000-7f2000001000 ---p 00000000 00:00 0 ',
    '7f2000001000-7f2000801000 rw-p 00000000 00:00 0 ',
    '7f3000000000-7f3000020000 r-xp 00000000 08:01 9 /usr/lib/libc.so.6',
    '7f3000020000-7f3000030000 rw-p 00020000 08:01 9 /usr/lib/libc.so.6',
    '7f4000000000-7f4000010000 rw-s 00000000 00:05 11 /dev/shm/ring',
    '7f5000000000-7f5000010000 r--p 00000000 08:01 12 /etc/data.bin',
    '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]',
  ].join('\n');
  const { layout } = layoutOf(lines, { isGo: true });
  assert.deepEqual(layoutRecord(layout).mappings.map((m) => m.class), [
    'binary-text', 'binary-rodata', 'binary-data', 'binary-bss', 'cgo-malloc', 'go-heap', 'go-metadata',
    'cgo-malloc', 'cgo-malloc', 'thread-stack', 'thread-stack', 'shared-library', 'shared-library', 'shm', 'file-data', 'thread-stack',
  ]);
  assert.match(classifiedAt(layout, 6).reason, /"page alloc"/);
  assert.match(classifiedAt(layout, 7).reason, /glibc malloc arena/);
  assert.match(classifiedAt(layout, 9).reason, /guard page/);
});

test('a C program is not taken for Go', () => {
  const { layout } = layoutOf(['55d0c0000000-55d0c0001000 r-xp 00000000 08:01 3 /usr/bin/cat', '7f1000000000-7f1000021000 rw-p 00000000 00:00 0 '].join('\n'));
  assert.equal(layout.isGo, false);
  assert.equal(classifiedAt(layout, 1).class, 'anon-other');
});

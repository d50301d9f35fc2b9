import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { parseMemProbes, type MemProbes } from '../parsers/memProbes';
import { parseSmaps, type MemoryMaps } from '../parsers/smaps';
import { dumpModel } from '../util/dump';
import { attributeMemory } from './memoryAttribution';
import { classifiedAt, classifyMemory, layoutRecord, memProbeCandidates, nextChunkProbes, type ClassifyOptions, type MemoryClass, type MemoryLayout } from './memoryLayout';

const fixtures = join(import.meta.dirname, '..', 'parsers', 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const MiB = 1024 * 1024;

function mapsOf(text: string): MemoryMaps {
  const r = parseSmaps(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}
const layoutOf = (text: string, opts: ClassifyOptions = {}): MemoryLayout => classifyMemory(mapsOf(text), opts);
const classes = (l: MemoryLayout) => layoutRecord(l).mappings.map((m) => m.class);
const indexAt = (m: MemoryMaps, hex: string) => Array.from(m.start).indexOf(parseInt(hex, 16));

const readable = (l: MemoryLayout) =>
  dumpModel(
    {
      isGo: l.isGo,
      goEvidence: l.goEvidence,
      totals: l.totals.map((t) => `${t.class}: ${t.mappings} mappings`),
      regions: l.regions.map((r) => `${r.class} ${r.mappings} mappings`),
    },
    { maxItems: 40 },
  );

/** Probes as the capture stores them, from [hex address, words] pairs (or an error). */
function probesOf(entries: readonly (readonly [string, readonly bigint[] | string])[]): MemProbes {
  const hex = (words: readonly bigint[]) => words.map((w) => Buffer.from(new BigUint64Array([w]).buffer).toString('hex')).join('');
  const doc = {
    format: 'gopherscope-mem-probes',
    version: 1,
    reader: 'tail',
    candidates: entries.length,
    cap: 128,
    skipped: null,
    probes: entries.map(([address, v]) => (typeof v === 'string' ? { address, error: v } : { address, hex: hex(v) })),
  };
  const r = parseMemProbes(JSON.stringify(doc));
  assert.ok(r.ok);
  return r.value;
}

for (const [go, hint] of [
  ['go1.26', 'randomized heap base'],
  ['go1.24', 'Go arena hint address'],
] as const) {
  test(`every mapping of a ${go} target gets a class and a reason; the heap is found (${hint}); the Go classes match its MemStats`, () => {
    const maps = mapsOf(fixture(`${go}.smaps.txt`));
    const layout = classifyMemory(maps);
    assert.equal(layout.isGo, true);
    assert.match(layout.goEvidence, go === 'go1.24' ? /0xc000000000/ : /randomized heap base/);
    assert.ok(layoutRecord(layout).mappings.every((m) => m.reason.length > 0));
    const heap = layout.totals.find((t) => t.class === 'go-heap');
    assert.ok(heap && heap.kib.Rss >= 16 * 1024, 'the 16 MiB the target retains is in Go heap arenas');
    for (const c of ['binary', 'kernel', 'thread-stacks'] as const)
      assert.ok(
        layout.totals.some((t) => t.class === c),
        c,
      );
    const sum = layout.totals.reduce((a, t) => a + t.kib.Rss, 0);
    assert.equal(sum, layout.grandTotal.Rss);
    assertGolden(join(fixtures, 'golden', `${go}.memory-layout.txt`), readable(layout));

    // With the same capture's MemStats: the leftover anonymous memory is the runtime's metadata, and every Go class is within the tolerance.
    const { layout: l2, attribution } = attributeMemory(maps, { 'go/heap-debug1.txt': fixture(`${go}.heap-debug1.txt`) }, { isGo: true, goVersion: go });
    assert.ok(l2.totals.some((t) => t.class === 'go-metadata'));
    assert.ok(!l2.totals.some((t) => t.class === 'anon-unknown'), 'a static Go binary has no anonymous memory of unknown owner');
    for (const r of attribution.rows) assert.equal(r.within, true, `${r.key}: ${r.mappedBytes} mapped against ${r.runtimeBytes} (${r.runtimeWhat})`);
    const reserved = attribution.classes.reduce((a, c) => a + c.reservedBytes, 0);
    assert.ok(reserved > 1024 * MiB, "the arenas' tails and the page-allocator reservations are reserved, apart from mapped memory");
    assert.ok(attribution.classes.every((c) => c.rssBytes <= c.mappedBytes + c.reservedBytes));
  });
}

test('a cgo target under load (lab capture): glibc malloc heaps are c-malloc by their heap_info, the Go classes reconcile with MemStats', () => {
  const maps = mapsOf(fixture('cgo-go1.26.smaps.txt'));
  const files = { 'go/heap-debug1.txt': fixture('cgo-go1.26.heap-debug1.txt'), 'proc/mem-probes.json': fixture('cgo-go1.26.mem-probes.json') };
  const { layout, attribution } = attributeMemory(maps, files, { isGo: true, goVersion: 'go1.26.8' });
  const probes = parseMemProbes(files['proc/mem-probes.json']);
  assert.ok(probes.ok);
  // Every probe that reads as glibc's heap_info (ar_ptr = start + 48, prev 0) marks a c-malloc mapping.
  const heapInfos = probes.value.probes.filter((p) => p.words && p.words[1] === 0 && p.words[0] === p.address + 48);
  assert.ok(heapInfos.length >= 8, `the C threads made their own arenas (${heapInfos.length} heaps)`);
  for (const p of heapInfos) {
    const i = indexAt(maps, p.address.toString(16));
    assert.equal(classifiedAt(layout, i).class, 'c-malloc', `heap at 0x${p.address.toString(16)}`);
    // The heap's reserved tail goes with it.
    assert.equal(maps.perms[i + 1], 0);
    assert.equal(classifiedAt(layout, i + 1).class, 'c-malloc');
  }
  assert.match(layout.probeSummary, new RegExp(`${heapInfos.length} glibc malloc heaps`));
  for (const r of attribution.rows) assert.equal(r.within, true, `${r.key}: ${r.mappedBytes} mapped against ${r.runtimeBytes} (${r.runtimeWhat})`);
  const c = attribution.classes.find((x) => x.class === 'c-malloc')!;
  assert.ok(c.reservedBytes > heapInfos.length * 60 * MiB, 'each heap reserves most of its 64 MiB');
  assert.ok(c.mappedBytes < 64 * MiB && c.rssBytes <= c.mappedBytes, 'only the heads are usable and resident');
  assert.ok(attribution.classes.find((x) => x.class === 'thread-stacks')!.mappings >= 2 * 12, 'the C threads and the locked Go threads have stacks with guards');
  assertGolden(join(fixtures, 'golden', 'cgo-go1.26.memory-layout.txt'), readable(layout));
});

test('bad input: an unreadable /proc/PID/mem leaves the ambiguous heaps "unknown anonymous" with the reason, never a Go class', () => {
  const maps = mapsOf(fixture('cgo-go1.26.smaps.txt'));
  const good = parseMemProbes(fixture('cgo-go1.26.mem-probes.json'));
  assert.ok(good.ok);
  const denied = probesOf(good.value.probes.map((p) => [p.address.toString(16), "tail: cannot open '/proc/4242/mem' for reading: Permission denied"] as const));
  const heap = { 'go/heap-debug1.txt': fixture('cgo-go1.26.heap-debug1.txt') };
  const withGood = attributeMemory(maps, { ...heap, 'proc/mem-probes.json': fixture('cgo-go1.26.mem-probes.json') }, { isGo: true, goVersion: 'go1.26.8' }).layout;
  for (const [name, layout] of [
    ['denied', classifyMemory(maps, { isGo: true, goMinor: 26, probes: denied })],
    ['none', classifyMemory(maps, { isGo: true, goMinor: 26, probes: null })],
    ['garbage', attributeMemory(maps, { ...heap, 'proc/mem-probes.json': '{"format": "gopherscope-mem-probes", "probes": 7' }, { isGo: true, goVersion: 'go1.26.8' }).layout],
  ] as const) {
    let unknown = 0;
    for (const p of good.value.probes) {
      const i = indexAt(maps, p.address.toString(16));
      if (i < 0 || maps.start[i]! % (64 * MiB) !== 0) continue;
      const c = classifiedAt(layout, i);
      // What the probes showed to be glibc is never taken for Go without them.
      if (classifiedAt(withGood, i).class === 'c-malloc') assert.ok(!c.class.startsWith('go-'), `${name}: 0x${p.address.toString(16)} is ${c.class}`);
      if (c.class === 'anon-unknown') {
        unknown++;
        assert.match(c.reason, name === 'denied' ? /Permission denied/ : /no memory probes|not read/, `${name}: ${c.reason}`);
      }
    }
    assert.ok(unknown >= 8, `${name}: ${unknown} heaps left unknown`);
  }
});

test('Go 1.25+ names, a glibc heap by its header, pthread stacks, library bss, shm and the brk heap', () => {
  const text = [
    '00400000-00500000 r-xp 00000000 08:01 7 /srv/app',
    '00500000-00600000 r--p 00100000 08:01 7 /srv/app',
    '00600000-00610000 rw-p 00200000 08:01 7 /srv/app',
    '00610000-00640000 rw-p 00000000 00:00 0 ',
    '01000000-01100000 rw-p 00000000 00:00 0 [heap]',
    '3a0000000000-3a0004000000 rw-p 00000000 00:00 0 [anon: Go: heap]',
    '7f0000000000-7f0000100000 rw-p 00000000 00:00 0 [anon: Go: page alloc]',
    '7f0000100000-7f0000200000 rw-p 00000000 00:00 0 [anon: Go: OS thread stack]',
    '7f1000000000-7f1000021000 rw-p 00000000 00:00 0 ',
    '7f1000021000-7f1004000000 ---p 00000000 00:00 0 ',
    '7f2000000000-7f2000001000 ---p 00000000 00:00 0 ',
    '7f2000001000-7f2000801000 rw-p 00000000 00:00 0 ',
    '7f3000000000-7f3000020000 r-xp 00000000 08:01 9 /usr/lib/libc.so.6',
    '7f3000020000-7f3000030000 rw-p 00020000 08:01 9 /usr/lib/libc.so.6',
    '7f3000030000-7f3000034000 rw-p 00000000 00:00 0 ',
    '7f4000000000-7f4000010000 rw-s 00000000 00:05 11 /dev/shm/ring',
    '7f5000000000-7f5000010000 r--p 00000000 08:01 12 /etc/data.bin',
    '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]',
  ].join('\n');
  const probes = probesOf([['7f1000000000', [0x7f1000000030n, 0n, 0x21000n, 0x21000n, 0x1000n, 0n]]]);
  const layout = layoutOf(text, { isGo: true, probes });
  assert.deepEqual(classes(layout), [
    'binary',
    'binary',
    'binary',
    'binary',
    'c-malloc',
    'go-heap',
    'go-metadata',
    'go-stacks',
    'c-malloc',
    'c-malloc',
    'thread-stacks',
    'thread-stacks',
    'shared-libraries',
    'shared-libraries',
    'shared-libraries',
    'shm',
    'file',
    'thread-stacks',
  ]);
  assert.match(classifiedAt(layout, 6).reason, /"page alloc"/);
  assert.match(classifiedAt(layout, 8).reason, /heap_info/);
  assert.match(classifiedAt(layout, 10).reason, /guard page/);
  assert.match(classifiedAt(layout, 14).reason, /bss\) of the shared library libc\.so\.6/);
  assert.equal(layout.totals.find((t) => t.class === 'c-malloc')!.kib.Reserved, 64 * 1024 - 132);
});

test("64 MiB-aligned anonymous memory: Go 1.26's reserved head, a hint address before 1.26, a process without glibc, a probe that is no heap_info", () => {
  const libc = '7f3000000000-7f3000020000 r-xp 00000000 08:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6';
  const exe = '00400000-00500000 r-xp 00000000 08:01 7 /srv/app';
  // Go 1.26: a reserved head, the heap, the rest of the 64 MiB reserved; glibc heaps start read-write.
  const randomized = ['1a2b08000000-1a2b08c00000 ---p 00000000 00:00 0 ', '1a2b08c00000-1a2b09000000 rw-p 00000000 00:00 0 ', '1a2b09000000-1a2b0c000000 ---p 00000000 00:00 0 '];
  assert.deepEqual(classes(layoutOf([exe, ...randomized, libc].join('\n'), { isGo: true, goMinor: 26 })), ['binary', 'go-heap', 'go-heap', 'go-heap', 'shared-libraries']);
  assert.match(layoutOf([exe, ...randomized].join('\n')).goEvidence, /Go 1\.26's randomized heap base/);
  // Shaped like a glibc heap: at the hint address it is Go's before 1.26, and unknown from 1.26 on.
  const hinted = ['c000000000-c000400000 rw-p 00000000 00:00 0 ', 'c000400000-c004000000 ---p 00000000 00:00 0 '];
  assert.deepEqual(classes(layoutOf([exe, ...hinted, libc].join('\n'), { isGo: true, goMinor: 24 })), ['binary', 'go-heap', 'go-heap', 'shared-libraries']);
  const at126 = layoutOf([exe, ...hinted, libc].join('\n'), { isGo: true, goMinor: 26 });
  assert.deepEqual(classes(at126), ['binary', 'anon-unknown', 'anon-unknown', 'shared-libraries']);
  assert.match(classifiedAt(at126, 1).reason, /shaped like both a Go heap arena and a glibc malloc heap; the session has no memory probes/);
  // Up in the mmap area: unknown with glibc mapped; Go's without any glibc; Go's when the probe shows no heap_info.
  const high = ['7f1000000000-7f1000400000 rw-p 00000000 00:00 0 ', '7f1000400000-7f1004000000 ---p 00000000 00:00 0 '];
  assert.deepEqual(classes(layoutOf([exe, ...high, libc].join('\n'), { isGo: true, goMinor: 26 })), ['binary', 'anon-unknown', 'anon-unknown', 'shared-libraries']);
  assert.deepEqual(classes(layoutOf([exe, ...high].join('\n'), { isGo: true, goMinor: 26 })), ['binary', 'go-heap', 'go-heap']);
  const notHeapInfo = probesOf([['7f1000000000', [0xc000123456n, 0n, 0x1234n, 0n, 0n, 0n]]]);
  assert.deepEqual(classes(layoutOf([exe, ...high, libc].join('\n'), { isGo: true, goMinor: 26, probes: notHeapInfo })), ['binary', 'go-heap', 'go-heap', 'shared-libraries']);
  // Not a Go process: the glibc shape is glibc's.
  assert.deepEqual(classes(layoutOf([exe, ...high, libc].join('\n'), { isGo: false })), ['binary', 'c-malloc', 'c-malloc', 'shared-libraries']);
});

test('merged mappings: a thread stack merged with the memory above it, and glibc mmapped blocks merged together, become parts', () => {
  const text = [
    '00400000-00500000 r-xp 00000000 08:01 7 /srv/app',
    // Two ordinary pthread stacks of 8 MiB, then one whose 8 MiB stack the kernel merged with 32 MiB above it.
    '7f0000000000-7f0000001000 ---p 00000000 00:00 0 ',
    '7f0000001000-7f0000801000 rw-p 00000000 00:00 0 ',
    '7f0000801000-7f0000802000 ---p 00000000 00:00 0 ',
    '7f0000802000-7f0001002000 rw-p 00000000 00:00 0 ',
    '7f0001002000-7f0001003000 ---p 00000000 00:00 0 ',
    '7f0001003000-7f0003803000 rw-p 00000000 00:00 0 ',
    // Three 1 MiB + 4 KiB blocks glibc mmapped, merged into one mapping, then 1 MiB of something else.
    '7f1000000000-7f1000403000 rw-p 00000000 00:00 0 ',
    '7f2000000000-7f2000020000 r-xp 00000000 08:01 9 /usr/lib/libc.so.6',
  ].join('\n');
  const maps = mapsOf(text);
  const block = 0x101000n;
  const chain: [string, bigint[]][] = [0n, 1n, 2n].map((k) => [(0x7f1000000000n + k * block).toString(16), [0n, block + 2n, 0n, 0n, 0n, 0n]]);
  // The capture probes the first header, then follows the chain a round at a time.
  assert.deepEqual(nextChunkProbes(maps, probesOf([chain[0]!]).probes), [0x7f1000000000 + 0x101000]);
  const layout = classifyMemory(maps, { isGo: true, goMinor: 26, probes: probesOf(chain), goOffHeap: { bytes: 33 * MiB, tolerance: 8 * MiB, what: 'test' } });
  assert.deepEqual(classes(layout), ['binary', 'thread-stacks', 'thread-stacks', 'thread-stacks', 'thread-stacks', 'thread-stacks', 'go-metadata', 'go-metadata', 'shared-libraries']);
  const total = (c: MemoryClass) => layout.totals.find((t) => t.class === c)!.kib;
  assert.equal(total('thread-stacks').Size, 3 * (8 * 1024 + 4), 'three stacks and their guards');
  assert.equal(total('c-malloc').Size, (3 * 0x101000) / 1024, 'the three blocks, by their headers');
  assert.equal(total('go-metadata').Size, 32 * 1024 + 1024);
  assert.match(classifiedAt(layout, 6).reason, /first 8\.0 MiB above the guard page are a thread stack/);
  assert.match(classifiedAt(layout, 7).reason, /first 3\.0 MiB are blocks glibc malloc mmapped/);
  assert.equal(layout.parts.length, 2);
});

test('leftover anonymous memory is Go metadata only when it fits in what MemStats says the runtime mapped', () => {
  const text = ['00400000-00500000 r-xp 00000000 08:01 7 /srv/app', '7f0000000000-7f0002400000 rw-p 00000000 00:00 0 ', '7f0010000000-7f0010001000 r--p 00000000 00:00 0 '].join('\n');
  assert.deepEqual(classes(layoutOf(text, { isGo: true, goOffHeap: { bytes: 36 * MiB, tolerance: 8 * MiB, what: 'MemStats' } })), ['binary', 'go-metadata', 'go-metadata']);
  const over = layoutOf(text, { isGo: true, goOffHeap: { bytes: 20 * MiB, tolerance: 8 * MiB, what: 'MemStats' } });
  assert.deepEqual(classes(over), ['binary', 'anon-unknown', 'anon-unknown']);
  assert.match(classifiedAt(over, 1).reason, /more than the runtime's off-heap metadata \(20\.0 MiB: MemStats\) by 16\.0 MiB/);
  assert.match(classifiedAt(layoutOf(text, { isGo: true }), 1).reason, /no MemStats to reconcile with/);
});

test('a C program is not taken for Go', () => {
  const layout = layoutOf(['55d0c0000000-55d0c0001000 r-xp 00000000 08:01 3 /usr/bin/cat', '7f1000000000-7f1000021000 rw-p 00000000 00:00 0 '].join('\n'));
  assert.equal(layout.isGo, false);
  assert.equal(classifiedAt(layout, 1).class, 'anon-unknown');
});

test('probe candidates: readable anonymous mappings on a 64 MiB boundary first, then the largest read-write ones from 128 KiB, within the cap', () => {
  const maps = mapsOf(fixture('cgo-go1.26.smaps.txt'));
  const all = memProbeCandidates(maps, 1000);
  const aligned = all.addresses.filter((a) => a % (64 * MiB) === 0);
  assert.ok(aligned.length >= 15);
  const few = memProbeCandidates(maps, 5);
  assert.equal(few.addresses.length, 5);
  assert.equal(few.candidates, all.candidates);
  assert.ok(
    few.addresses.every((a) => a % (64 * MiB) === 0),
    'the aligned ones come first',
  );
});

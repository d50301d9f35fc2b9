import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { splitAt } from '../../test/support/chunks';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { classifyMemory } from '../analysis/memoryLayout';
import { counterOf, countersOf, createSmapsParser, mappingAt, mappingRecords, parseSmaps, type MemoryMaps } from './smaps';

const namesOf = (m: MemoryMaps) => Array.from(m.name, (k) => m.names[k]!);

/**
 * Fed whole, lines go through the fast paths wherever they can; fed one byte at a time, every line
 * is first carried whole and then read by the general path. Both must give the same model.
 */
function assertFastPathsReadAsLineByLine(input: string | Uint8Array): ReturnType<typeof parseSmaps> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const whole = parseSmaps(bytes);
  const p = createSmapsParser();
  for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1));
  assert.deepEqual(p.finish(), whole);
  return whole;
}

const fixtures = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

for (const go of ['go1.26', 'go1.24']) {
  test(`smaps and maps of a ${go} lab target`, () => {
    const smaps = parseSmaps(read(`${go}.smaps.txt`));
    assert.ok(smaps.ok, smaps.ok ? '' : smaps.error.message);
    assert.equal(smaps.value.hasCounters, true);
    assert.deepEqual(smaps.warnings, []);
    let rss = 0;
    for (let i = 0; i < smaps.value.count; i++) rss += counterOf(smaps.value, i, 'Rss') ?? 0;
    assert.ok(rss > 0);
    assert.ok(namesOf(smaps.value).includes('[vdso]') && namesOf(smaps.value).includes('[stack]'));
    const maps = parseSmaps(read(`${go}.maps.txt`));
    assert.ok(maps.ok);
    assert.equal(maps.value.hasCounters, false);
    assertGolden(
      join(fixtures, 'golden', `${go}.smaps.txt`),
      dumpModel({ mappings: mappingRecords(smaps.value), counterKeys: smaps.value.counterKeys, hasCounters: smaps.value.hasCounters }, { maxItems: 4, hexAddresses: true }),
    );
  });
}

test('old and new kernel field sets, and every kind of name', () => {
  const text = [
    '00400000-00401000 r-xp 00000000 08:01 42 /usr/bin/app',
    'Size:                  4 kB',
    'Rss:                   4 kB',
    'Pss:                   4 kB',
    'VmFlags: rd ex mr mw me',
    '7f0000000000-7f0000001000 rw-p 00000000 00:00 0    [anon: Go: heap]',
    'Size:                  4 kB',
    'KernelPageSize:        4 kB',
    'Rss:                   4 kB',
    'Pss_Dirty:             4 kB',
    'LazyFree:              0 kB',
    'THPeligible:    0',
    'ProtectionKey:         0',
    '7f0000001000-7f0000002000 rw-p 00000000 00:00 0    [anon:some buffer]',
    'Size:                  4 kB',
    '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0    [stack]',
    'Size:                132 kB',
    '',
  ].join('\n');
  const r = parseSmaps(text);
  assert.ok(r.ok);
  assert.deepEqual(namesOf(r.value), ['/usr/bin/app', '[anon: Go: heap]', '[anon:some buffer]', '[stack]']);
  assert.deepEqual(mappingAt(r.value, 0).vmFlags, ['rd', 'ex', 'mr', 'mw', 'me']);
  assert.equal(counterOf(r.value, 1, 'THPeligible'), 0);
  assert.equal(counterOf(r.value, 1, 'Pss_Dirty'), 4);
  assert.equal(mappingAt(r.value, 3).sizeKiB, 132);
  assert.equal(mappingAt(r.value, 0).perms, 'r-xp');
  assert.equal(mappingAt(r.value, 0).dev, '08:01');
  assert.deepEqual(r.warnings, []);
});

test('counters a mapping lacks or lists out of order, a counter first seen late, and values too big for the table', () => {
  const text = [
    '00400000-00401000 r-xp 00000000 08:01 42 /usr/bin/app',
    'Size:                  4 kB',
    'Rss:                   4 kB',
    'Pss:                   2 kB',
    '7f0000000000-7f0000001000 rw-p 00000000 00:00 0',
    'Pss:                   1 kB',
    'Size:                  4 kB',
    // 16 TiB, 2^34 KiB: more than the table's four bytes hold.
    '100000000000-200000000000 ---p 00000000 00:00 0',
    'Size:         17179869184 kB',
    'Rss:                   0 kB',
    'Swap:                  8 kB',
    'ProtectionKey:        -1',
    '',
  ].join('\n');
  const r = parseSmaps(text);
  assert.ok(r.ok);
  const m = r.value;
  assert.deepEqual(m.counterKeys, ['Size', 'Rss', 'Pss', 'Swap', 'ProtectionKey']);
  assert.deepEqual(countersOf(m, 0), { Size: 4, Rss: 4, Pss: 2 });
  assert.deepEqual(countersOf(m, 1), { Size: 4, Pss: 1 });
  assert.equal(counterOf(m, 1, 'Rss'), undefined);
  assert.equal(counterOf(m, 0, 'Swap'), undefined);
  // The big value was stored before Swap widened the table: it moved with its row.
  assert.deepEqual(countersOf(m, 2), { Size: 17179869184, Rss: 0, Swap: 8, ProtectionKey: -1 });
  assert.equal(mappingAt(m, 2).sizeKiB, 17179869184);
  assert.equal(mappingAt(m, 2).start, 0x100000000000);
  assert.equal(classifyMemory(m).grandTotal.Size, 17179869184 + 8);
  assert.deepEqual(r.warnings, []);
});

test('errors say where', () => {
  const r = parseSmaps('Rss: 4 kB\n');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.line === 1 && /mapping header/.test(r.error.message));
  const e = parseSmaps('');
  assert.equal(e.ok, false);
});

test('a chunked read equals a whole read', () => {
  const text = read('go1.26.smaps.txt');
  const whole = parseSmaps(text);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 40 }), fc.option(fc.nat(), { nil: undefined }), (cuts, expectedBytes) => {
      // A size hint, right or wrong, only changes how the columns grow.
      const p = createSmapsParser({ expectedBytes });
      for (const piece of splitAt(text, cuts)) p.push(piece);
      assert.deepEqual(p.finish(), whole);
    }),
    { numRuns: 100 },
  );
});

test('bytes cut anywhere, even inside a UTF-8 name, parse like the whole text', () => {
  const text = `${read('go1.26.smaps.txt')}7f0000000000-7f0000001000 r--p 00000000 08:01 42                         /tmp/naïve-日本.so\nSize:                  4 kB\nRss:                   4 kB\n`;
  const whole = parseSmaps(text);
  assert.ok(whole.ok);
  assert.equal(mappingAt(whole.value, whole.value.count - 1).name, '/tmp/naïve-日本.so');
  const bytes = new TextEncoder().encode(text);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
      const p = createSmapsParser();
      for (const piece of splitAt(bytes, cuts)) p.push(piece);
      assert.deepEqual(p.finish(), whole);
    }),
    { numRuns: 100 },
  );
});

test('lines over 64 KiB, a name or a VmFlags list, are cut with a warning, whole or chunked', () => {
  const text = `00400000-00401000 r-xp 00000000 08:01 42 /${'a'.repeat(70_000)}\nSize:                  4 kB\nVmFlags: ${'rd '.repeat(30_000)}\n`;
  const whole = parseSmaps(text);
  assert.ok(whole.ok);
  const m = mappingAt(whole.value, 0);
  assert.ok(m.name.startsWith('/aaa') && m.name.length < 64 * 1024);
  // The cut may fall inside the last flag.
  assert.ok(m.vmFlags.length > 1000 && m.vmFlags.slice(0, -1).every((f) => f === 'rd'));
  assert.equal(counterOf(whole.value, 0, 'Size'), 4);
  assert.deepEqual(
    whole.warnings.map((w) => `${w.line}: ${w.message}`),
    ['1: line longer than 64 KiB cut', '3: line longer than 64 KiB cut'],
  );
  const p = createSmapsParser();
  for (const piece of splitAt(text, [10, 40_000, 70_010, 70_050, 100_000])) p.push(piece);
  assert.deepEqual(p.finish(), whole);
});

test('a counter value read on the fast path (learned layout, four bytes at a time) reads as it does on the first mapping, byte by byte', () => {
  const header = (a: number) => `${(0x10000 + a * 0x1000).toString(16).padStart(8, '0')}-${(0x11000 + a * 0x1000).toString(16).padStart(8, '0')} rw-p 00000000 00:00 0 \n`;
  // The first mapping teaches the layout; the kernel's "%-16s%8lu kB" puts the value in bytes 16-23.
  const learned = `${header(0)}Size:                  4 kB\nRss:                   4 kB\n`;
  const valueOf = (m: MemoryMaps, i: number) => [counterOf(m, i, 'Rss'), counterOf(m, i, 'Size')];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(' ', '0', '1', '7', '9', '+', '-', '/', ':', '!', 'k', '\t', '0', ' '), { minLength: 8, maxLength: 8 }), (chars) => {
      const field = chars.join('');
      const line = `Rss:            ${field} kB\n`;
      // Slow path: the value's line in the first mapping, before any layout is learned.
      const slow = parseSmaps(`${header(0)}Size:                  4 kB\n${line}`);
      const fast = parseSmaps(`${learned}${header(1)}Size:                  4 kB\n${line}`);
      assert.equal(slow.ok, true);
      assert.equal(fast.ok, true);
      if (!slow.ok || !fast.ok) return;
      assert.deepEqual(valueOf(fast.value, 1), valueOf(slow.value, 0), JSON.stringify(field));
      assert.equal(fast.warnings.length, slow.warnings.length, JSON.stringify(field));
    }),
    { numRuns: 2000 },
  );
  // The shapes the kernel prints, and one that only looks like them.
  for (const [field, want] of [
    ['       0', 0],
    ['       7', 7],
    ['    1234', 1234],
    ['12345678', 12345678],
    [' 1234567', 1234567],
    ['  12 345', undefined],
    ['     +12', undefined],
  ] as const) {
    const r = parseSmaps(`${learned}${header(1)}Size:                  4 kB\nRss:            ${field} kB\n`);
    assert.ok(r.ok);
    assert.equal(counterOf(r.value, 1, 'Rss'), want, field);
  }
});

test('the fast paths (counter runs, headers read in place, known VmFlags lines) read as the line-by-line path does', () => {
  const hex = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => v.toString(16));
  const header = fc
    .tuple(
      hex,
      hex,
      fc.constantFrom('r-xp', 'rw-p', '---p', 'r--s', 'rwxS', 'r?xp'),
      hex,
      fc.constantFrom('00:00', 'fe:00', '103:02', '1234:56789', ':00', '00:', '0:0'),
      fc.constantFrom('0', '42', '123456789012'),
      fc.constantFrom('', ' ', '   ', '\t', '                          '),
      fc.constantFrom('', '[heap]', '/usr/lib/libc.so.6', 'x y', '\tz', 'name ', 'name\t', '[anon: Go: heap]', `nul${'\0'.repeat(15)}x`, '/tmp/\u{1f9ab}'),
      fc.constantFrom('', '\r'),
    )
    .map(([a, b, perms, off, dev, inode, gap, name, cr]) => {
      const [lo, hi] = BigInt(`0x${a}`) <= BigInt(`0x${b}`) ? [a, b] : [b, a];
      return `${lo}-${hi} ${perms} ${off} ${dev} ${inode}${gap}${name}${cr}\n`;
    });
  const counter = fc
    .tuple(
      fc.constantFrom('Size', 'Rss', 'Pss', 'Swap', 'LazyFree', 'KernelPageSize', 'THPeligible', 'Odd_Key'),
      fc.constantFrom(0, 4, 1234, 12345678, 4294967294, 17179869184),
      fc.constantFrom(' kB', ''),
      fc.boolean(),
    )
    .map(([key, v, unit, padded]) => (padded ? `${`${key}:`.padEnd(16)}${String(v).padStart(8)}${unit}\n` : `${key}:\t${v}${unit}\n`));
  // Lines with a run of NUL bytes hold an 8-byte word that is a zero as a double, which the
  // recent-lines caches do not keep.
  const flags = fc.constantFrom(
    'VmFlags: rd wr mr mw me ac \n',
    'VmFlags: rd mr mw me ac \n',
    'VmFlags: rd ex mr mw me \n',
    'VmFlags: rd wr mr mw me ac sd\n',
    'VmFlags:\n',
    'VmFlags: rd\r\n',
    `VmFlags: rd${'\0'.repeat(15)} wr \n`,
  );
  // Mostly the kernel's full layout, so runs are learned and then broken in places.
  const full = ['Size', 'Rss', 'Pss', 'Swap', 'LazyFree'].map((k) => `${`${k}:`.padEnd(16)}${'4'.padStart(8)} kB\n`).join('');
  const mapping = fc
    .tuple(
      header,
      fc.oneof(
        fc.constant(full),
        fc.array(counter, { maxLength: 7 }).map((l) => l.join('')),
      ),
      fc.option(flags, { nil: '' }),
    )
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(fc.array(mapping, { minLength: 1, maxLength: 8 }), (mappings) => {
      assertFastPathsReadAsLineByLine(mappings.join(''));
    }),
    { numRuns: 1500 },
  );
});

test('a repeated line is matched eight bytes at a time only where equal doubles mean equal bytes: +0 and -0 differ', () => {
  // Two VmFlags lines alike but for bytes 16-23: eight NULs (+0 as a double) in the first, seven
  // NULs and 0x80 (-0, which equals +0) in the second. Matched as doubles, the second would be
  // taken for the first.
  const header = (k: number) => `${(0x1000 * (k + 1)).toString(16)}-${(0x1000 * (k + 2)).toString(16)} rw-p 00000000 00:00 0 \nSize:                  4 kB\n`;
  const flags = (last: number) => [...new TextEncoder().encode('VmFlags: rd wr \0'), 0, 0, 0, 0, 0, 0, 0, last, ...new TextEncoder().encode(' mr mw me ac \n')];
  const bytes = Uint8Array.from([...new TextEncoder().encode(header(0)), ...flags(0), ...new TextEncoder().encode(header(1)), ...flags(0x80), ...new TextEncoder().encode(header(2)), ...flags(0)]);
  const r = assertFastPathsReadAsLineByLine(bytes);
  assert.ok(r.ok);
  assert.deepEqual(Array.from(r.value.vmFlags), [1, 2, 1]);
});

test('contiguous headers (a start read as the previous end, by its words) read as the line-by-line path does', () => {
  // Ends of 1 to 16 digits, each the next start or not, with and without counters between.
  const step = fc.record({ digits: fc.integer({ min: 1, max: 16 }), gap: fc.boolean(), counters: fc.boolean(), grow: fc.bigInt({ min: 0n, max: 1n << 20n }) });
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.array(step, { minLength: 1, maxLength: 12 }), (base, steps) => {
      let text = '';
      let at = base;
      for (const st of steps) {
        const start = st.gap ? at + 0x1000n : at;
        const end = start + st.grow;
        const hex = (v: bigint) => v.toString(16).padStart(st.digits, '0');
        text += `${hex(start)}-${hex(end)} rw-p 00000000 00:00 0 \n`;
        if (st.counters) text += `Size:           ${'4'.padStart(8)} kB\nRss:            ${'0'.padStart(8)} kB\n`;
        at = end;
      }
      assertFastPathsReadAsLineByLine(text);
    }),
    { numRuns: 1000 },
  );
});

test('a counter column starts 16 bits wide and widens on the first value that does not fit, keeping what came before', () => {
  const header = (a: number) => `${(0x10000 + a * 0x1000).toString(16).padStart(8, '0')}-${(0x11000 + a * 0x1000).toString(16).padStart(8, '0')} rw-p 00000000 00:00 0 \n`;
  const line = (key: string, v: number | string) => `${`${key}:`.padEnd(16)}${String(v).padStart(8)} kB\n`;
  const text = [
    header(0) + line('Size', 4) + line('Rss', 4),
    header(1) + line('Size', 4), // lacks Rss: marked absent in the 16-bit column
    header(2) + line('Size', 4) + `Rss:    ${2 ** 40} kB\n`, // beyond 32 bits: kept in bigCounters
    header(3) + line('Size', 4) + line('Rss', 65533), // the largest value 16 bits hold
    header(4) + line('Size', 4) + line('Rss', 65534), // the first that does not: widens
    header(5) + line('Size', 4) + line('Rss', 7),
  ].join('');
  // Whole and a byte at a time, the same.
  const r = assertFastPathsReadAsLineByLine(text);
  assert.ok(r.ok);
  const rss = r.value.counterKeys.indexOf('Rss');
  assert.equal(r.value.counters[rss]!.BYTES_PER_ELEMENT, 4);
  assert.equal(r.value.counters[r.value.counterKeys.indexOf('Size')]!.BYTES_PER_ELEMENT, 2);
  assert.deepEqual(
    Array.from({ length: 6 }, (_, i) => counterOf(r.value, i, 'Rss')),
    [4, undefined, 2 ** 40, 65533, 65534, 7],
  );
});

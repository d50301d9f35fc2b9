import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseBuildInfo } from './buildinfo';
import { firstWritableLoad, parseElfHeader } from './elf';

// Regenerate with: node --import tsx test/fixtures/regenerate.ts
const fixtures = join(import.meta.dirname, 'fixtures');
const load = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));
const expected = JSON.parse(readFileSync(join(fixtures, 'service.expected.json'), 'utf8')) as Array<{
  toolchain: string;
  goVersion: string;
  mainPath: string;
  headerFile: string;
  segmentFile: string;
}>;

for (const fx of expected) {
  test(`${fx.toolchain}: ELF header leads to the writable segment, and build info parses`, () => {
    const elf = parseElfHeader(load(fx.headerFile));
    assert.ok(elf.ok, elf.ok ? '' : elf.error.message);
    assert.equal(elf.value.class, 64);
    const rw = firstWritableLoad(elf.value);
    assert.ok(rw, 'a writable PT_LOAD');
    const info = parseBuildInfo(load(fx.segmentFile));
    assert.ok(info.ok, info.ok ? '' : info.error.message);
    assert.equal(info.value.goVersion, fx.goVersion);
    assert.equal(info.value.main?.path, fx.mainPath);
    assert.equal(info.value.settings.GOOS, 'linux');
    assert.equal(info.value.settings.GOARCH, 'amd64');
    assert.ok('CGO_ENABLED' in info.value.settings);
    assert.equal(info.value.truncated, false);
  });
}

test('a short read keeps the version and says it was cut', () => {
  const seg = load(expected[0]!.segmentFile);
  const info = parseBuildInfo(seg.subarray(0, 48));
  assert.ok(info.ok);
  assert.equal(info.value.goVersion, expected[0]!.goVersion);
  assert.equal(info.value.truncated, true);
  assert.ok(info.warnings.length > 0);
});

test('bytes without the magic give a positioned error', () => {
  const info = parseBuildInfo(new Uint8Array(4096));
  assert.equal(info.ok, false);
  assert.ok(!info.ok && info.error.offset === 0);
  const elf = parseElfHeader(new TextEncoder().encode('#!/bin/sh\necho hi\n'.padEnd(64)));
  assert.equal(elf.ok, false);
});

test('arbitrary and mutated input never throws', () => {
  const seg = load(expected[0]!.segmentFile);
  const head = load(expected[0]!.headerFile);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      parseBuildInfo(bytes);
      parseElfHeader(bytes);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.nat(seg.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(seg.length), (at, value, cut) => {
      const m = seg.slice(0, Math.max(cut, 1));
      if (at < m.length) m[at] = value;
      parseBuildInfo(m);
      const h = head.slice();
      h[at % h.length] = value;
      parseElfHeader(h);
    }),
    { numRuns: 500 },
  );
});

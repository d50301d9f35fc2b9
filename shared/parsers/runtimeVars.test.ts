import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { interpretRuntimeVars, parseRuntimeVars } from './runtimeVars';

const le = (v: bigint, size: number) => {
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
};

test('values as the runtime stores them: MaxInt64 is no limit, a negative GC percent is off', () => {
  const v = interpretRuntimeVars({
    goVersion: 'go1.26.8',
    method: 'DWARF v5',
    skipped: {},
    gomaxprocs: { address: 0x5a2ec0, bytes: le(3n, 4) },
    gcPercent: { address: 0x5a3b40, size: 4, bytes: le(-1n, 4) },
    memoryLimit: { address: 0x5a3b48, size: 8, bytes: le((1n << 63n) - 1n, 8) },
  });
  assert.deepEqual(v.gomaxprocs, { value: 3, symbol: 'runtime.gomaxprocs', address: '0x5a2ec0' });
  assert.deepEqual(v.gcPercent, { value: null, symbol: 'runtime.gcController.gcPercent', address: '0x5a3b40' });
  assert.deepEqual(v.memoryLimitBytes, { value: null, symbol: 'runtime.gcController.memoryLimit', address: '0x5a3b48' });
  const back = parseRuntimeVars(JSON.stringify(v));
  assert.ok(back.ok);
  assert.deepEqual(back.value, v);
});

test('a failed read or an impossible value is a labelled skip, never a number', () => {
  const v = interpretRuntimeVars({
    goVersion: 'go1.24.0',
    method: 'symbols',
    skipped: { gcPercent: 'no DWARF' },
    gomaxprocs: { address: 0x1000, bytes: le(0n, 4) },
    memoryLimit: { address: 0x1008, size: 8, bytes: null, error: 'Permission denied' },
  });
  assert.equal(v.gomaxprocs, null);
  assert.match(v.skipped.gomaxprocs!, /read as 0/);
  assert.equal(v.memoryLimitBytes, null);
  assert.match(v.skipped.memoryLimitBytes!, /at 0x1008 .*Permission denied/);
  assert.equal(v.skipped.gcPercent, 'no DWARF');
  assert.ok(parseRuntimeVars(JSON.stringify(v)).ok);
});

test('any bytes give a model parseRuntimeVars accepts', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b, c) => {
      const v = interpretRuntimeVars({
        goVersion: null,
        method: 'm',
        skipped: {},
        gomaxprocs: { address: 8, bytes: a },
        gcPercent: { address: 16, size: 4, bytes: b },
        memoryLimit: { address: 24, size: 8, bytes: c },
      });
      const r = parseRuntimeVars(JSON.stringify(v));
      assert.ok(r.ok, r.ok ? '' : r.error.message);
    }),
    { numRuns: 300 },
  );
});

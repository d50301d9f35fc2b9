/**
 * `gopherscope trace` as a user runs it: the real CLI entry point on lab
 * traces: the text report, --json, a Perfetto export that parses as the
 * trace-event format, and a truncated file that prints what came before
 * and where the damage is, with a failing exit code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'shared', 'trace', 'fixtures');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'gopherscope.mjs'), 'trace', ...args], { encoding: 'utf8', timeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'gs-cli-trace-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a trace is summarized as text and as JSON; the counts are the oracle-checked ones', () => {
  const file = join(fixtures, 'go1.26.trace');
  const oracle = JSON.parse(readFileSync(join(fixtures, 'go1.26.oracle.json'), 'utf8')) as { events: number; gcs: unknown[] };
  const text = cli(file);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^Go execution trace, format 1\.26: /);
  assert.match(text.stdout, new RegExp(`${oracle.events.toLocaleString('en-US')} events`));
  assert.match(text.stdout, new RegExp(`GC: ${oracle.gcs.length} cycles`));
  assert.match(text.stdout, /Scheduling latency \(runnable to running\): \d+, p50 /);
  const json = cli(file, '--json');
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; summary: { events: number; gc: { cycles: unknown[] } } };
  assert.equal(parsed.ok, true);
  assert.equal(parsed.summary.events, oracle.events);
  assert.equal(parsed.summary.gc.cycles.length, oracle.gcs.length);
});

test('--perfetto writes the Chrome trace-event format: P tracks with goroutine slices, GC and STW tracks, counters', () => {
  const out = join(dir, 'go1.25.json');
  const r = cli(join(fixtures, 'go1.25.trace'), '--perfetto', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /ui\.perfetto\.dev/);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { ph: string; name: string; tid?: number; ts?: number; dur?: number; args?: { name?: string } }[] };
  const ev = doc.traceEvents;
  const trackNames = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name!);
  assert.ok(trackNames.includes('GC') && trackNames.includes('stop-the-world') && trackNames.some((n) => /^P\d+$/.test(n)), trackNames.join(', '));
  const slices = ev.filter((e) => e.ph === 'X');
  assert.ok(slices.some((e) => /^G\d+$/.test(e.name)) && slices.some((e) => e.name === 'GC') && slices.some((e) => e.name.startsWith('STW: ')));
  assert.ok(
    slices.every((e) => e.ts! >= 0 && e.dur! >= 0),
    'slices have non-negative times',
  );
  const counters = new Set(ev.filter((e) => e.ph === 'C').map((e) => e.name));
  for (const c of ['heap live (bytes)', 'heap goal (bytes)', 'goroutines', 'GOMAXPROCS']) assert.ok(counters.has(c), c);
});

test('a truncated trace: exit 1, the byte offset, and the summary of the generations before it', () => {
  const bytes = readFileSync(join(fixtures, 'go1.26.trace'));
  const cut = join(dir, 'cut.trace');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 50));
  const r = cli(cut);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /at byte \d+: .*truncated/);
  assert.match(r.stderr, /complete generations before it/);
  assert.match(r.stdout, /^Go execution trace/);
  const missing = cli(join(dir, 'nope.trace'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such file/);
  const old = join(dir, 'old.trace');
  writeFileSync(old, 'go 1.19 trace\0\0\0\x01\x02\x03');
  const o = cli(old);
  assert.equal(o.status, 1);
  assert.match(o.stderr, /Go 1\.19 trace: the format before Go 1\.22/);
});

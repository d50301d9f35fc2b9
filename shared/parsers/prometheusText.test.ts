/**
 * The Prometheus text format on a real client_golang /metrics (the lab's
 * settings target in a 256 MiB, 0.5-CPU cgroup with automaxprocs and
 * automemlimit; regenerate with test/fixtures/regenerate-metrics.ts), and on
 * the ways an endpoint can be wrong: malformed lines with their line and
 * column, a body that is not this format, duplicate series, a cut last line,
 * and input past the bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parsePromNumber, parsePrometheusText, promSamples } from './prometheusText';

const fixtures = join(import.meta.dirname, 'fixtures');
const text = readFileSync(join(fixtures, 'settings.metrics.txt'), 'utf8');
const expected = JSON.parse(readFileSync(join(fixtures, 'settings.expected.json'), 'utf8')) as { gomaxprocs: number; gomemlimit: number; gogc: number };

test('a real client_golang /metrics: every sample read, the runtime settings equal what the target printed', () => {
  const r = parsePrometheusText(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.warnings, []);
  const sampleLines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
  assert.equal(r.value.sampleCount, sampleLines);
  const one = (name: string) => {
    const s = promSamples(r.value, name);
    assert.equal(s.length, 1, name);
    return s[0]!.value;
  };
  assert.equal(one('go_sched_gomaxprocs_threads'), expected.gomaxprocs);
  assert.equal(one('go_gc_gomemlimit_bytes'), expected.gomemlimit);
  assert.equal(one('go_gc_gogc_percent'), expected.gogc);
  const gcDuration = r.value.families.find((f) => f.name === 'go_gc_duration_seconds')!;
  assert.equal(gcDuration.type, 'summary');
  assert.ok(gcDuration.samples.some((s) => s.name === 'go_gc_duration_seconds_sum') && gcDuration.samples.some((s) => s.labels.quantile === '0.5'), 'a summary keeps its quantiles, _sum and _count');
  assert.match(r.value.families.find((f) => f.name === 'go_sched_gomaxprocs_threads')!.help ?? '', /GOMAXPROCS/);
  assert.ok(promSamples(r.value, 'go_memstats_heap_sys_bytes')[0]!.value > 0);
});

test('malformed lines are skipped with their line and column; the good ones around them are kept', () => {
  const r = parsePrometheusText(['# TYPE a gauge', 'a 1', 'b{x="unclosed 2', 'c{x="1",x="2"} 3', 'd{1x="v"} 4', 'e five', 'f{x="\\q"} 6', 'g 7 notatime', '9h 8', 'i{x="ok",} 9', ''].join('\n'));
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.families.flatMap((f) => f.samples.map((s) => [s.name, s.value])),
    [
      ['a', 1],
      ['i', 9],
    ],
  );
  const at = r.warnings.map((w) => `${w.line}: ${w.message}`);
  assert.deepEqual(at, [
    '3: column 16: the value of label x is not closed with a quote',
    '4: column 9: label x appears twice',
    '5: column 3: expected a label name or "}", got "1"',
    '6: column 3: "five" is not a number',
    '7: column 6: unknown escape "\\q" in the value of label x',
    '8: column 5: the timestamp "notatime" is not an integer of milliseconds',
    '9: column 1: a metric name must start with a letter, "_" or ":", not "9"',
  ]);
});

test('values, escapes and timestamps as client_golang writes them', () => {
  const r = parsePrometheusText('# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{path="/a\\"b\\\\c\\nd"} +Inf 1700000000000\nm{path="x"} NaN\nm{path="y"} -1.5e-3\nm{path="z"}\t2.4159191e+08\n');
  assert.ok(r.ok);
  const f = r.value.families[0]!;
  assert.equal(f.help, 'a \\ b\nc');
  assert.deepEqual(f.samples[0]!.labels, { path: '/a"b\\c\nd' });
  assert.equal(f.samples[0]!.value, Infinity);
  assert.equal(f.samples[0]!.timestampMs, 1700000000000);
  assert.ok(Number.isNaN(f.samples[1]!.value));
  assert.equal(f.samples[2]!.value, -0.0015);
  assert.equal(f.samples[3]!.value, 241591910, 'the shortest float text of a byte count reads back exactly');
  assert.equal(parsePromNumber('1.8446744073709552e+19'), 2 ** 64);
  assert.equal(parsePromNumber('0x10'), null);
});

test('a body that is not the format is an error at line 1; a duplicate series is kept twice with a warning', () => {
  for (const body of ['<html><body>404 page not found</body></html>\n', '{"cmdline": []}\n']) {
    const r = parsePrometheusText(body);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.line, 1);
  }
  const bad = parsePrometheusText('this is not metrics at all\n');
  assert.equal(bad.ok, false, 'nothing readable: the first problem is the error');
  const dup = parsePrometheusText('# TYPE go_gc_gogc_percent gauge\ngo_gc_gogc_percent 100\ngo_gc_gogc_percent 50\n');
  assert.ok(dup.ok);
  assert.deepEqual(
    promSamples(dup.value, 'go_gc_gogc_percent').map((s) => s.value),
    [100, 50],
  );
  assert.match(dup.warnings[0]!.message, /go_gc_gogc_percent\{\} appears again/);
  assert.equal(dup.warnings[0]!.line, 3);
});

test('a body cut mid-line (a capped or stalled download): the cut line is not read as a shorter number', () => {
  const cut = text.slice(0, text.indexOf('go_sched_gomaxprocs_threads ') + 'go_sched_gomaxprocs_threads '.length);
  const r = parsePrometheusText(`${text.slice(0, text.indexOf('\n') + 1)}go_memstats_heap_sys_bytes 12`);
  assert.ok(r.ok);
  assert.equal(promSamples(r.value, 'go_memstats_heap_sys_bytes').length, 0);
  assert.match(r.warnings.at(-1)!.message, /no line feed: the body was cut/);
  const c = parsePrometheusText(cut);
  assert.ok(c.ok);
  assert.equal(promSamples(c.value, 'go_sched_gomaxprocs_threads').length, 0);
});

test('bounded: samples past the limit are not read, warnings past 100 are counted', () => {
  const many = 'x 1\n'.repeat(250_010);
  const r = parsePrometheusText(many);
  assert.ok(r.ok);
  assert.equal(r.value.sampleCount, 250_000);
  assert.equal(r.value.truncated, true);
  const noisy = parsePrometheusText(`ok 1\n${'bad line here\n'.repeat(250)}`);
  assert.ok(noisy.ok);
  assert.equal(noisy.warnings.length, 101);
  assert.match(noisy.warnings.at(-1)!.message, /^150 more warnings not listed/);
});

test('arbitrary text never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 3000 }), (t) => {
      parsePrometheusText(t);
      parsePrometheusText(`# TYPE a histogram\n${t}\n`);
    }),
    { numRuns: 400 },
  );
});

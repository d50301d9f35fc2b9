/**
 * `gopherscope inspect` as a user runs it: the real CLI entry point on the
 * lab-captured fixtures, kinds recognised from content, positioned errors
 * and exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'shared', 'parsers', 'fixtures');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'gopherscope.mjs'), 'inspect', ...args], { encoding: 'utf8', timeout: 60_000 });

test('every captured artifact kind is recognised from its content and printed as its model', () => {
  const expect: Record<string, string> = {
    'go1.26.smaps.txt': 'smaps',
    'go1.26.maps.txt': 'maps',
    'go1.26.smaps_rollup.txt': 'smaps_rollup',
    'service.status.txt': 'status',
    'go1.26.stat.txt': 'stat',
    'go1.26.statm.txt': 'statm',
    'go1.26.limits.txt': 'limits',
    'go1.26.schedstat.txt': 'schedstat',
    'go1.26.uptime.txt': 'uptime',
    'go1.26.sched.txt': 'sched',
    'sched_debug.txt': 'sched_debug',
    'go1.26.eu-stack.txt': 'stacks',
    'go1.26.gdb.txt': 'stacks',
    'go1.26.goroutines.txt': 'goroutines',
    'go1.26.heap-debug1.txt': 'heap-debug1',
    'go1.26.runtime-log.txt': 'runtime-log',
    'go1.26.allocs.pb.gz': 'pprof',
    'service-local.rwseg.bin': 'buildinfo',
    'go1.26.cgroup.json': 'cgroup-files',
    'settings.metrics.txt': 'prometheus-text',
    'settings.expvar.json': 'expvar',
  };
  for (const [file, kind] of Object.entries(expect)) {
    const r = cli(join(fixtures, file));
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.equal(r.stdout.split('\n')[0], `kind: ${kind}`, file);
  }
  const smaps = cli(join(fixtures, 'go1.24.smaps.txt'), '--json');
  assert.equal(smaps.status, 0);
  const doc = JSON.parse(smaps.stdout);
  assert.equal(doc.kind, 'smaps');
  assert.equal(doc.model.layout.isGo, true);
  assert.ok(doc.model.layout.totals.some((t: { class: string }) => t.class === 'go-heap'));
  assert.equal(doc.model.maps.mappings[0].start, '0x400000');
});

test('a parse error is positioned and exits non-zero; unknown kinds and files say so', () => {
  const wrong = cli(join(fixtures, 'go1.26.stat.txt'), '--kind', 'smaps');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /go1\.26\.stat\.txt: smaps: line 1: expected a mapping header/);
  const unknown = cli(join(root, 'package.json'));
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /cannot tell what kind of artifact this is; give --kind/);
  assert.equal(cli(join(fixtures, 'go1.26.stat.txt'), '--kind', 'nonsense').status, 2);
  assert.match(cli(join(fixtures, 'nope.txt')).stderr, /no such file/);
});

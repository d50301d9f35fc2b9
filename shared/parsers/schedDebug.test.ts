import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertGolden } from '../../test/support/golden';
import { dumpModel } from '../util/dump';
import { parseSchedDebug } from './schedDebug';

const fixtures = join(import.meta.dirname, 'fixtures');

test('sched debug v0.11 from the lab kernel', () => {
  const r = parseSchedDebug(readFileSync(join(fixtures, 'sched_debug.txt'), 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.value.version, 'v0.11');
  assert.ok(r.value.cpus.length >= 1);
  const cpu = r.value.cpus[0]!;
  assert.ok(cpu.fields.nr_switches! > 0);
  assert.ok(cpu.runQueues.some((q) => q.kind === 'cfs' && q.group === '/'));
  assert.ok(cpu.tasks.length > 0 && cpu.tasks.every((t) => t.pid > 0 && t.comm !== ''));
  assert.ok('base_slice' in r.value.sysctls);
  assertGolden(
    join(fixtures, 'golden', 'sched_debug.txt'),
    dumpModel({
      version: r.value.version,
      sysctls: Object.keys(r.value.sysctls),
      cpus: r.value.cpus.map((c) => ({
        cpu: c.cpu,
        fields: Object.keys(c.fields),
        runQueues: c.runQueues.map((q) => `${q.kind} ${q.group}`).slice(0, 4),
        taskColumns: Object.keys(c.tasks[0]?.columns ?? {}),
      })),
    }),
  );
});

test('an older v0.10 table without the state column, a running task marked R, and a name with spaces', () => {
  const text = [
    'Sched Debug Version: v0.10, 4.19.0-21-amd64 #1',
    'ktime                                   : 123.456',
    '',
    'sysctl_sched',
    '  .sysctl_sched_latency                    : 24.000000',
    '  .sysctl_sched_min_granularity            : 3.000000',
    '',
    'cpu#0, 2400.000 MHz',
    '  .nr_running                    : 2',
    '  .nr_switches                   : 1000',
    '',
    'cfs_rq[0]:/system.slice',
    '  .exec_clock                    : 10.5',
    '  .nr_running                    : 1',
    '',
    'runnable tasks:',
    '            task   PID         tree-key  switches  prio     wait-time             sum-exec        sum-sleep',
    '-----------------------------------------------------------------------------------------------------------',
    ' R        service  1234     100.000000       55   120         0.000000         5.000000         0.000000 0 0 /',
    '     kworker/0:1 H    12      90.000000       10   100         0.000000         1.000000         0.000000 0 0 /',
  ].join('\n');
  const r = parseSchedDebug(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.sysctls.latency, '24.000000');
  assert.equal(r.value.cpus[0]!.runQueues[0]!.group, '/system.slice');
  const [a, b] = r.value.cpus[0]!.tasks;
  assert.deepEqual([a!.state, a!.comm, a!.pid, a!.columns.switches], ['R', 'service', 1234, '55']);
  assert.deepEqual([b!.state, b!.comm, b!.pid], ['', 'kworker/0:1 H', 12]);
});

test('not sched debug: a positioned error', () => {
  assert.equal(parseSchedDebug('hello').ok, false);
});

/**
 * Memory attribution against a real cgo target in a real cgroup, captured
 * through the real sshd: C threads and locked Go threads malloc at once, so
 * glibc makes its 64 MiB arenas beside the Go heap. The glibc heaps must be
 * classed c-malloc (their heap_info read through /proc/PID/mem), the Go
 * classes must reconcile with the target's own MemStats within the stated
 * tolerance, and reserved address space must be reported apart. Without
 * read access to /proc/PID/mem (a sudoers rule that covers head, not tail)
 * the same heaps must stay "unknown anonymous" with the reason, never a Go class.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMemProbes } from '../../shared/parsers/memProbes';
import { buildMemoryView } from '../../shared/analysis/views/memory';
import { createLab, type Lab, type LabTarget } from '../lab/lab';
import { captureMemoryAttribution } from '../lab/memoryAttribution';
import { ensureUser } from '../lab/users';

const MiB = 1024 * 1024;
let lab: Lab;
let target: LabTarget;

before(async () => {
  lab = await createLab();
  target = await lab.startGoService({ target: 'cgomalloc', memoryMaxBytes: 512 * MiB, cpuQuotaUs: 100_000, cpuPeriodUs: 100_000, args: ['-c-threads', '12', '-go-callers', '4', '-c-big', '4'] });
  // The C threads make their arenas on their first mallocs; give them a moment under load.
  await new Promise((r) => setTimeout(r, 1500));
});
after(async () => {
  await lab?.cleanup();
});

const pprofPort = () => Number(target.pprofAddr!.split(':')[1]);
const ALIGN = 64 * MiB;

test('glibc malloc heaps are c-malloc, the Go classes reconcile with MemStats, reserved space is apart (report --json)', async () => {
  const r = await captureMemoryAttribution(lab, target.pid, { capture: { pprofPort: pprofPort() } });
  assert.equal(r.artifacts.get('proc/mem-probes.json')?.status, 'ok', r.artifacts.get('proc/mem-probes.json')?.reason ?? '');
  const probes = parseMemProbes(r.files['proc/mem-probes.json']!);
  assert.ok(probes.ok);
  const heapInfos = probes.value.probes.filter((p) => p.words && p.words[1] === 0 && (p.words[0] === p.address + 48 || p.words[0] === p.address + 32));
  assert.ok(heapInfos.length >= 8, `the C threads made glibc arenas: ${heapInfos.length} heap_info headers among ${probes.value.probes.length} probes`);

  // Each heap's mappings are c-malloc in the Memory view's table, built from the same artifacts.
  const view = buildMemoryView(r.files, { isGo: true, goVersion: r.session.goVersion ?? target.goVersion });
  const t = view.table;
  for (const p of heapInfos) {
    const i = Array.from(t.start).indexOf(p.address);
    assert.ok(i >= 0, `0x${p.address.toString(16)} is a mapping`);
    for (let j = i; j < t.length && t.start[j]! < p.address + ALIGN; j++)
      assert.equal(t.classes[t.class[j]!], 'c-malloc', `mapping 0x${t.start[j]!.toString(16)} of the heap at 0x${p.address.toString(16)}: ${t.reasons[t.reason[j]!]}`);
  }

  // report --json: memoryClasses, and the Go classes within the tolerance of the target's MemStats.
  const classes = new Map(r.report.memoryClasses!.map((c) => [c.class, c]));
  for (const id of ['go-heap', 'go-metadata', 'go-stacks', 'c-malloc', 'thread-stacks', 'binary', 'shared-libraries', 'file', 'anon-unknown']) assert.ok(classes.has(id as never), id);
  assert.ok(classes.get('c-malloc')!.reservedBytes >= heapInfos.length * 60 * MiB, 'each glibc heap reserves most of its 64 MiB');
  assert.ok(classes.get('c-malloc')!.mappedBytes > 0 && classes.get('c-malloc')!.mappedBytes < heapInfos.length * 8 * MiB);
  assert.equal(r.attribution.runtimeSource?.artifact, 'go/heap-debug1.txt');
  for (const row of r.attribution.rows)
    assert.equal(
      row.within,
      true,
      `${row.key}: ${(row.mappedBytes / MiB).toFixed(1)} MiB in smaps against ${row.runtimeWhat} = ${((row.runtimeBytes ?? NaN) / MiB).toFixed(1)} MiB (tolerance ${((row.toleranceBytes ?? NaN) / MiB).toFixed(1)} MiB)`,
    );
  // Reserved address space is a figure beside the waterfall, never part of RSS.
  const reserved = r.report.memory.rows.find((x) => x.key === 'reserved');
  assert.equal(reserved?.kind, 'aside');
  assert.equal(
    reserved?.bytes,
    r.report.memoryClasses!.reduce((a, c) => a + c.reservedBytes, 0),
  );
  assert.ok(reserved!.bytes! > (r.report.memory.rssBytes ?? 0), 'far more is reserved than resident');
  assert.ok(r.report.memory.rows.some((x) => x.key === 'attribution-go-heap' && /within the tolerance/.test(x.label)));
});

test('bad input: an unreadable /proc/PID/mem gives a labelled, failed probe artifact; the heaps are unknown anonymous with the reason, never Go', async () => {
  // A lab user whose sudoers rule covers head but not tail: smaps and maps are read as root
  // (sudo -n head), the probes' ranges are not (sudo -n tail wants a password).
  const user = ensureUser('gs-lab-headonly', { password: 'x-Unused-3', sudoNoPasswd: ['head'] });
  const r = await captureMemoryAttribution(lab, target.pid, { capture: { pprofPort: pprofPort() }, user: user.name, useSudo: true });
  assert.equal(r.artifacts.get('proc/smaps')?.status, 'ok', 'smaps is read through sudo -n head');
  const art = r.artifacts.get('proc/mem-probes.json')!;
  assert.equal(art.status, 'failed');
  assert.match(art.reason ?? '', /none of the \d+ reads of \/proc\/\d+\/mem succeeded: .*password is required.*sudo -n/);
  const view = buildMemoryView(r.files, { isGo: true, goVersion: target.goVersion });
  const t = view.table;
  let unknown = 0;
  for (let i = 0; i < t.length; i++) {
    // The glibc heaps' shape: read-write from a 64 MiB boundary, then reserved.
    if (t.start[i]! % ALIGN !== 0 || t.names[t.name[i]!] !== '' || t.permsList[t.perms[i]!] !== 'rw-p' || i + 1 >= t.length || t.permsList[t.perms[i + 1]!] !== '---p') continue;
    const cls = t.classes[t.class[i]!]!;
    assert.ok(!cls.startsWith('go-'), `0x${t.start[i]!.toString(16)} was guessed to be ${cls}: ${t.reasons[t.reason[i]!]}`);
    if (cls === 'anon-unknown') {
      unknown++;
      assert.match(t.reasons[t.reason[i]!]!, /could not be read \(.*password is required/);
    }
  }
  assert.ok(unknown >= 8, `${unknown} heaps left unknown`);
  assert.match(view.attribution!.probeSummary, /0 of \d+ memory probes read/);
});

/**
 * The registry is the one place artifact names are spelled: no source file of shared/, electron/
 * or renderer/ (tests aside) holds a quoted string that is an artifact's name. Consumers import
 * ARTIFACTS (or a constant derived from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ARTIFACTS, ARTIFACT_VIEWS, artifactsUsedBy, expectedArtifacts, NAMES, specOf, threadOf, type ArtifactSpec } from './registry';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', 'fixtures'].includes(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

test('no source file outside the registry spells an artifact name', () => {
  const found: string[] = [];
  for (const file of ['shared', 'electron', 'renderer'].flatMap((d) => sources(join(root, d)))) {
    const rel = relative(root, file);
    if (rel === join('shared', 'artifacts', 'registry.ts')) continue;
    // Comments may name artifacts (they document); code may not.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
      .replace(/(^|\s)\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
    for (const m of text.matchAll(/(['"`])([a-z]+\/[a-z0-9_./-]+)\1/g)) {
      if (specOf(m[2]!) !== null) found.push(`${rel}:${text.slice(0, m.index).split('\n').length}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, [], 'import the name from shared/artifacts/registry.ts');
});

test('expected artifacts: the bundle always, the Go ones only when planned, the late ones last', () => {
  const base = expectedArtifacts();
  assert.ok(base.includes(NAMES.smapsRollup) && base.includes(NAMES.uname) && base.includes(NAMES.fd));
  assert.deepEqual(base.slice(-2), [NAMES.memProbes, NAMES.discovery]);
  for (const go of [NAMES.heap, NAMES.metrics, NAMES.buildinfo, NAMES.nativeStacks]) assert.ok(!base.includes(go), go);
  const all = expectedArtifacts({ pprof: [NAMES.heap], goBinary: true, stacks: true });
  for (const go of [NAMES.heap, NAMES.metrics, NAMES.expvar, NAMES.buildinfo, NAMES.runtimeVars, NAMES.nativeStacks]) assert.ok(all.includes(go), go);
  assert.equal(new Set(all).size, all.length, 'no name twice');
});

test('views: each view reads at least one artifact, and the filters follow the table', () => {
  for (const view of ARTIFACT_VIEWS)
    assert.ok(
      Object.values(ARTIFACTS as Record<string, ArtifactSpec>).some((s) => s.views.includes(view)),
      view,
    );
  const memory = artifactsUsedBy('memory');
  assert.ok(memory(NAMES.smaps) && memory('cgroup/v2/0/memory.max') && memory(NAMES.memProbes));
  assert.ok(!memory(NAMES.goroutines) && !memory('task/12/stat'));
  const threads = artifactsUsedBy('threads');
  assert.ok(threads('task/12/stat') && threads('task/12/comm') && threads(NAMES.nativeStacks) && !threads(NAMES.smaps));
  assert.ok(artifactsUsedBy('profiles')('go/goroutine.pb.gz') && !artifactsUsedBy('overview')(NAMES.allocs));
  assert.equal(threadOf('task/12/sched', 'sched'), 12);
  assert.equal(threadOf('task/12/stat', 'sched'), null);
});

/**
 * Kind detection on every lab-captured fixture: by content (what `inspect` does with a file) and by
 * the artifact name the capture stores it under (what a session does) give the same kind, and that
 * kind's parser reads the fixture. A fixture missing from the table fails the test, so a new format
 * cannot arrive without saying how it is recognised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detectKind, kindOfArtifactName, parseArtifact, PARSERS, type ArtifactKind } from './artifactKinds';
import { ARTIFACT_KINDS, ARTIFACTS, capOf, specOf, type ArtifactSpec } from '../artifacts/registry';
import { artifactNameProblem } from '../capture/artifactName';

const fixtures = join(import.meta.dirname, 'fixtures');

/** Fixture file → [the artifact name a capture stores it under (null: no single artifact), its kind (null: not parsed alone)]. */
function expected(file: string): readonly [string | null, ArtifactKind | null] | undefined {
  const byVersion: Record<string, readonly [string | null, ArtifactKind | null]> = {
    'smaps.txt': ['proc/smaps', 'smaps'],
    'maps.txt': ['proc/maps', 'maps'],
    'smaps_rollup.txt': ['proc/smaps_rollup', 'smaps_rollup'],
    'stat.txt': ['proc/stat', 'stat'],
    'statm.txt': ['proc/statm', 'statm'],
    'limits.txt': ['proc/limits', 'limits'],
    'schedstat.txt': ['proc/schedstat', 'schedstat'],
    'sched.txt': ['proc/sched', 'sched'],
    'eu-stack.txt': ['stacks/native.txt', 'stacks'],
    'gdb.txt': ['stacks/native.txt', 'stacks'],
    'goroutines.txt': ['go/goroutine-debug2.txt', 'goroutines'],
    'heap-debug1.txt': ['go/heap-debug1.txt', 'heap-debug1'],
    'allocs.pb.gz': ['go/allocs.pb.gz', 'pprof'],
    'cpu.pb.gz': ['go/cpu.pb.gz', 'pprof'],
    'threadcreate.pb.gz': ['go/threadcreate.pb.gz', 'pprof'],
    'uptime.txt': ['system/uptime', 'uptime'],
    // A busy target's heap profile, and what `go tool pprof -proto` makes of it (the oracle).
    'heap-debug1-busy.txt': ['go/heap-debug1.txt', 'heap-debug1'],
    'heap-debug1-busy.go-tool-pprof.pb.gz': [null, 'pprof'],
    // The target's stderr, not an artifact a capture stores.
    'runtime-log.txt': [null, 'runtime-log'],
    // Every cgroup file of a capture in one JSON document (inspect's cgroup-files form).
    'cgroup.json': [null, 'cgroup-files'],
  };
  const v = /^go1\.\d+\.(.+)$/.exec(file);
  if (v) return byVersion[v[1]!];
  const other: Record<string, readonly [string | null, ArtifactKind | null]> = {
    'sched_debug.txt': ['scheduler/sched_debug', 'sched_debug'],
    'pressure-cpu.txt': ['system/pressure-cpu', 'psi'],
    'cgroup.cpu.pressure.txt': ['cgroup/v2/0/cpu.pressure', 'psi'],
    'service.status.txt': ['proc/status', 'status'],
    'service.smaps_rollup.txt': ['proc/smaps_rollup', 'smaps_rollup'],
    // The start of the binary's writable segment, where .go.buildinfo sits.
    'service-local.rwseg.bin': [null, 'buildinfo'],
    'service-go1.24.0.rwseg.bin': [null, 'buildinfo'],
    // The first 2 KiB of the ELF file: recognised as a binary, whose build info is further on.
    'service-local.elfhead.bin': [null, 'buildinfo'],
    'service-go1.24.0.elfhead.bin': [null, 'buildinfo'],
    // What the fixtures above must read as (the regenerate script's record), not an artifact.
    'service.expected.json': [null, null],
    // The settings target (automaxprocs, automemlimit, client_golang) in 256 MiB / 0.5 CPU.
    'settings.metrics.txt': ['go/metrics.txt', 'prometheus-text'],
    'settings.expvar.json': ['go/expvar.json', 'expvar'],
    'settings.buildinfo.bin': ['go/buildinfo', 'buildinfo'],
    'settings.expected.json': [null, null],
    // A cgo target with glibc malloc arenas beside the Go heap, and the probes that tell them apart.
    'cgo-go1.26.smaps.txt': ['proc/smaps', 'smaps'],
    'cgo-go1.26.heap-debug1.txt': ['go/heap-debug1.txt', 'heap-debug1'],
    'cgo-go1.26.mem-probes.json': ['proc/mem-probes.json', 'mem-probes'],
  };
  return other[file];
}

const files = readdirSync(fixtures).filter((f) => statSync(join(fixtures, f)).isFile());

test('every fixture has a row saying its artifact name and kind', () => {
  const missing = files.filter((f) => expected(f) === undefined);
  assert.deepEqual(missing, [], 'add these fixtures to the table in artifactKinds.test.ts');
});

for (const file of files) {
  const e = expected(file);
  if (!e) continue;
  const [name, kind] = e;
  test(`${file}: ${kind ?? 'no kind'} by content${name ? ` and as ${name}` : ''}`, () => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, file)));
    assert.equal(detectKind(bytes), kind, 'detected from its content');
    if (name) assert.equal(kindOfArtifactName(name), kind, 'detected from its artifact name');
    // ELF headers are recognised as binaries but hold no build info in their first 2 KiB.
    if (kind && !file.endsWith('.elfhead.bin')) {
      const r = parseArtifact(kind, bytes);
      assert.ok(r.ok, `${kind} parser: ${r.ok ? '' : r.error.message}`);
    }
  });
}

test('names: threads, cgroup pressure and profiles are recognised; raw-only artifacts are not', () => {
  assert.equal(kindOfArtifactName('task/1234/stat'), 'stat');
  assert.equal(kindOfArtifactName('task/1234/sched'), 'sched');
  assert.equal(kindOfArtifactName('task/1234/comm'), null);
  assert.equal(kindOfArtifactName('cgroup/v2/0/memory.pressure'), 'psi');
  assert.equal(kindOfArtifactName('go/mutex.pb.gz'), 'pprof');
  for (const raw of ['proc/environ', 'proc/cmdline', 'proc/fd', 'system/uname', 'meta/discovery.json', 'go/trace']) assert.equal(kindOfArtifactName(raw), null, raw);
});

test('content: nothing recognisable is null, not a guess', () => {
  for (const text of ['', 'hello world\n', '{"a":1}', '\u0000\u0001\u0002', 'some text\nsome avg10=1.00']) assert.equal(detectKind(new TextEncoder().encode(text)), null, JSON.stringify(text));
});

/**
 * Exported parse functions that are not a kind of their own, with why. Every other `parse…` export
 * of shared/parsers must be a row of PARSERS: a new format cannot arrive unregistered.
 */
const NOT_KINDS: Readonly<Record<string, string>> = {
  parseArtifact: 'the dispatcher over PARSERS itself',
  parsed: 'the ParseResult constructor',
  parseCgroupFiles: "read through the 'cgroup-files' kind (a name → text map, not one file)",
  parseRuntimeVars: 'go/runtime-vars.json: written by our own capture (captureBinary.ts), read by settings.ts; no lab fixture to detect it by yet',
  parseProcNetTcp: "proc/net/tcp: read during capture to find the target's listening ports; no lab fixture yet",
  parseElfHeader: 'ELF pieces, read range by range from /proc/PID/exe during capture',
  parseSectionHeaders: 'ELF pieces, read range by range from /proc/PID/exe during capture',
  parseNotes: 'ELF pieces, read range by range from /proc/PID/exe during capture',
  parseAuxv: '/proc/PID/auxv, read during capture for the load bias',
  parseAbbrevTable: 'a DWARF piece, fed unit by unit',
  parseUnitHeader: 'a DWARF piece, fed unit by unit',
  parseModInfo: "a piece of buildinfo's parser",
  parseKeyValues: 'a helper of the /proc key-value parsers',
  parseJsonObject: 'a helper of the JSON artifact parsers',
  parsePromNumber: "a piece of prometheusText's parser",
};

test('every exported parser is registered for a kind, or listed with the reason it is not', () => {
  const source = readFileSync(join(import.meta.dirname, 'artifactKinds.ts'), 'utf8');
  const table = source.slice(source.indexOf('export const PARSERS'));
  const unregistered: string[] = [];
  for (const f of readdirSync(import.meta.dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(import.meta.dirname, f), 'utf8').matchAll(/^export (?:async )?function (parse\w*)/gm)) {
      const name = m[1]!;
      if (NOT_KINDS[name] === undefined && !new RegExp(`\\b${name}\\b`).test(table)) unregistered.push(`${f}: ${name}`);
    }
  }
  assert.deepEqual(unregistered, [], 'add a kind (registry ARTIFACT_KINDS, PARSERS, detectKind and a fixture row) or a NOT_KINDS reason');
  assert.deepEqual(Object.keys(PARSERS).sort(), [...ARTIFACT_KINDS].sort());
});

test('every kind is detected by content on at least one fixture, and every kind a registry row names is checked by name on one', () => {
  const rows = files.map(expected).filter((e): e is readonly [string | null, ArtifactKind | null] => e !== undefined);
  const byContent = new Set(rows.map(([, k]) => k));
  const byName = new Set(rows.filter(([n]) => n !== null).map(([, k]) => k));
  // The kinds only `inspect` reads (no session artifact holds them alone).
  const inspectOnly = new Set<ArtifactKind>(['runtime-log', 'cgroup-files']);
  for (const kind of ARTIFACT_KINDS) {
    assert.ok(byContent.has(kind), `no fixture is detected as ${kind}`);
    if (!inspectOnly.has(kind)) assert.ok(byName.has(kind), `no fixture row names an artifact of kind ${kind}`);
  }
  const registryKinds = new Set(
    Object.values(ARTIFACTS as Record<string, ArtifactSpec>)
      .map((s) => s.kind)
      .filter((k) => k !== null),
  );
  for (const kind of ARTIFACT_KINDS) assert.equal(registryKinds.has(kind), !inspectOnly.has(kind), `${kind}: a registry row ${inspectOnly.has(kind) ? 'should not' : 'should'} name it`);
});

test("registry: names are valid artifact names; each family's example is its own; caps are positive", () => {
  for (const [id, spec] of Object.entries(ARTIFACTS as Record<string, ArtifactSpec>)) {
    const name = 'name' in spec ? spec.name : spec.example;
    assert.equal(artifactNameProblem(name), null, `${id}: ${name}`);
    assert.equal(specOf(name), spec, `${id}: ${name} resolves to another row`);
    if (spec.cap !== null) {
      assert.ok(spec.cap > 0, id);
      assert.equal(capOf(name, -1), spec.cap, id);
    }
    if ('pattern' in spec) assert.ok(spec.pattern.test(spec.example), id);
  }
  assert.equal(specOf('not/an-artifact'), null);
});

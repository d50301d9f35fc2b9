/**
 * `gopherscope inspect FILE [--kind KIND] [--json]`: any single artifact
 * file through the same shared parsers the app uses. The kind comes from
 * the content unless given; smaps also gets the Go memory classification.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ARTIFACT_KINDS, detectKind, isArtifactKind, parseArtifact, type ArtifactKind } from '../../shared/parsers/artifactKinds';
import { createSmapsParser, mappingRecords, type MemoryMaps } from '../../shared/parsers/smaps';
import { describeError, type ParseResult } from '../../shared/parsers/result';
import { FILE_CHUNK, fileChunks } from '../core/fileChunks';
import { readAheadChunks } from '../core/readAhead';
import { classifyMemory, layoutRecord } from '../../shared/analysis/memoryLayout';
import { dumpModel } from '../../shared/util/dump';

/** Refuse inputs beyond this: inspect reads the file whole, but for smaps and maps. */
const MAX_FILE = 1024 * 1024 * 1024;

/**
 * smaps or maps streamed from an open file into the parser, 1 MiB at a time (`first`, when given,
 * is the file's first chunk, already read): a process with 100,000 mappings has a 70 MB smaps,
 * which is then never held whole. A large one is read ahead on a worker thread while this one
 * parses (core/readAhead.ts).
 */
export function parseSmapsFile(fd: number, size: number, first?: Uint8Array): ParseResult<MemoryMaps> {
  const parser = createSmapsParser({ expectedBytes: size });
  if (first) parser.push(first);
  for (const chunk of readAheadChunks(fd, { start: first?.length ?? 0, sizeHint: size })) parser.push(chunk);
  return parser.finish();
}

export interface InspectOutcome {
  readonly code: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

export async function inspectFile(file: string, opts: { kind?: string; json?: boolean }): Promise<InspectOutcome> {
  if (opts.kind !== undefined && !isArtifactKind(opts.kind)) return { code: 2, stdout: '', stderr: `unknown --kind ${opts.kind}; one of: ${ARTIFACT_KINDS.join(', ')}` };
  let kind: ArtifactKind | null;
  let r: ParseResult<unknown>;
  try {
    const fd = openSync(file, 'r');
    try {
      const { size } = fstatSync(fd);
      // The kind is told from the first chunk (as much as detectKind looks at): smaps and maps then
      // stream on from there; every other kind is read whole.
      const first = new Uint8Array(Math.min(size, FILE_CHUNK));
      const bytesRead = readSync(fd, first, 0, first.length, 0);
      const head = first.subarray(0, bytesRead);
      // A session bundle (`export`, `capture --out`) is gzip, as pprof is: named before any artifact parser sees it.
      if (opts.kind === undefined && head[0] === 0x1f && head[1] === 0x8b) {
        const bundle = await describeBundle(file, opts.json === true);
        if (bundle) return bundle;
      }
      kind = (opts.kind as ArtifactKind | undefined) ?? detectKind(head);
      if (!kind) return { code: 1, stdout: '', stderr: `${file}: cannot tell what kind of artifact this is; give --kind (${ARTIFACT_KINDS.join(', ')})` };
      if (kind === 'smaps' || kind === 'maps') r = parseSmapsFile(fd, size, head);
      else {
        if (size > MAX_FILE) return { code: 1, stdout: '', stderr: `${file}: ${size} bytes is more than inspect reads (1 GiB)` };
        const bytes = new Uint8Array(size);
        bytes.set(head);
        let at = head.length;
        for (const chunk of fileChunks(fd, { start: at })) {
          if (at + chunk.length > bytes.length) return { code: 1, stdout: '', stderr: `${file}: the file grew while it was read` };
          bytes.set(chunk, at);
          at += chunk.length;
        }
        r = parseArtifact(kind, bytes.subarray(0, at));
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return { code: 1, stdout: '', stderr: `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
  const warnings = r.warnings.map((w) => `${file}: warning: ${describeError(w)}`).join('\n');
  if (!r.ok) return { code: 1, stdout: '', stderr: [`${file}: ${kind}: ${describeError(r.error)}`, warnings].filter(Boolean).join('\n') };
  // smaps keeps its counters in a table; print each mapping with its own, as the file has them.
  const maps = kind === 'smaps' || kind === 'maps' ? (r.value as MemoryMaps) : null;
  const model = maps ? { maps: { mappings: mappingRecords(maps), hasCounters: maps.hasCounters }, layout: layoutRecord(classifyMemory(maps)) } : r.value;
  const stdout = opts.json
    ? JSON.stringify(
        { kind, model, warnings: r.warnings },
        (k, v) => (typeof v === 'bigint' || (maps && typeof v === 'number' && (k === 'start' || k === 'end' || k === 'offset')) ? `0x${v.toString(16)}` : v),
        1,
      )
    : `kind: ${kind}\n${dumpModel(model, { maxItems: 20, hexAddresses: kind === 'smaps' || kind === 'maps' })}`;
  return { code: 0, stdout: `${stdout}\n`, stderr: warnings };
}

/** A Gopherscope session bundle: what it holds and what to do with it, or null when the file is not one. */
async function describeBundle(file: string, json: boolean): Promise<InspectOutcome | null> {
  // Loaded only for gzip input: tar and the contract's schemas stay out of inspect's start otherwise.
  const { peekBundle } = await import('../core/bundles');
  const r = await peekBundle(file);
  if (!r) return null;
  if ('problem' in r) return { code: 1, stdout: '', stderr: `${file}: a Gopherscope session bundle this version cannot read: ${r.problem}` };
  const m = r.manifest;
  const stored = m.artifacts.filter((a) => a.sha256);
  const bytes = stored.reduce((n, a) => n + a.sizeBytes, 0);
  const next = `a whole session, not one artifact: \`gopherscope report ${file}\` reads it, \`gopherscope import ${file}\` adds it to the library`;
  if (json) return { code: 0, stdout: `${JSON.stringify({ kind: 'gopherscope-bundle', model: m, warnings: [] }, null, 1)}\n`, stderr: next };
  const s = m.session;
  const lines = [
    'kind: gopherscope-bundle',
    `session: ${s.id} (${s.status}${s.statusReason ? `: ${s.statusReason}` : ''})`,
    `process: ${s.processName} pid ${s.pid} on ${s.hostLabel}, ${s.goVersion ?? 'Go version unknown'}`,
    `captured: ${s.startedAt}${s.finishedAt ? ` to ${s.finishedAt}` : ''}; exported ${m.exportedAt}`,
    `artifacts: ${stored.length} stored (${bytes} bytes), ${m.artifacts.length - stored.length} not captured`,
    `redactions: ${m.redactions.length}`,
    ...stored.map((a) => `  ${a.name}  ${a.sizeBytes} bytes${a.status !== 'ok' ? `  ${a.status}` : ''}`),
  ];
  return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: next };
}

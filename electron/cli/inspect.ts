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
    ? JSON.stringify({ kind, model, warnings: r.warnings }, (k, v) => (typeof v === 'bigint' || (maps && typeof v === 'number' && (k === 'start' || k === 'end' || k === 'offset')) ? `0x${v.toString(16)}` : v), 1)
    : `kind: ${kind}\n${dumpModel(model, { maxItems: 20, hexAddresses: kind === 'smaps' || kind === 'maps' })}`;
  return { code: 0, stdout: `${stdout}\n`, stderr: warnings };
}

/**
 * `gopherscope inspect FILE [--kind KIND] [--json]`: any single artifact
 * file through the same shared parsers the app uses. The kind comes from
 * the content unless given; smaps also gets the Go memory classification.
 */
import { open } from 'node:fs/promises';
import { ARTIFACT_KINDS, detectKind, isArtifactKind, parseArtifact, type ArtifactKind } from '../../shared/parsers/artifactKinds';
import { mappingRecords, type MemoryMaps } from '../../shared/parsers/smaps';
import { describeError } from '../../shared/parsers/result';
import { classifyMemory, layoutRecord } from '../../shared/analysis/memoryLayout';
import { dumpModel } from '../../shared/util/dump';

/** Refuse inputs beyond this: inspect reads the file whole. */
const MAX_FILE = 1024 * 1024 * 1024;

export interface InspectOutcome {
  readonly code: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

export async function inspectFile(file: string, opts: { kind?: string; json?: boolean }): Promise<InspectOutcome> {
  if (opts.kind !== undefined && !isArtifactKind(opts.kind)) return { code: 2, stdout: '', stderr: `unknown --kind ${opts.kind}; one of: ${ARTIFACT_KINDS.join(', ')}` };
  let bytes: Uint8Array;
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > MAX_FILE) return { code: 1, stdout: '', stderr: `${file}: ${size} bytes is more than inspect reads (1 GiB)` };
      const buf = Buffer.alloc(size);
      await fh.read(buf, 0, size, 0);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, size);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { code: 1, stdout: '', stderr: `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
  const kind: ArtifactKind | null = (opts.kind as ArtifactKind | undefined) ?? detectKind(bytes);
  if (!kind) return { code: 1, stdout: '', stderr: `${file}: cannot tell what kind of artifact this is; give --kind (${ARTIFACT_KINDS.join(', ')})` };
  const r = parseArtifact(kind, bytes);
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

/**
 * What a process's executable is, read remotely in byte ranges through
 * /proc/PID/exe (the file the process runs, even when the path on disk was
 * replaced or deleted), for many processes at once, one SSH round trip per
 * step: the ELF and program headers; the section header table and the
 * section names; then the Go build info from the `.go.buildinfo` section, or,
 * with no section headers (or Go runtime sections but no such section), from
 * a scan of the writable segments for the 16-byte-aligned magic in capped
 * chunks. The binary is never copied whole. The sections found are kept for
 * the reads that follow (symbols and DWARF for process memory).
 */
import type { GoMark } from '../../shared/contract/api';
import { findBuildInfoMagic, parseBuildInfo, type GoBuildInfo } from '../../shared/parsers/buildinfo';
import {
  buildIdOf,
  nameSections,
  parseElfHeader,
  parseSectionHeaders,
  sectionNamesSection,
  sectionTableRange,
  SHT_NOBITS,
  writableLoads,
  type ElfHeader,
  type ElfSection,
} from '../../shared/parsers/elf';
import { collect, type CollectedFile } from './frameCollector';
import { exeRangesScript, newNonce, type ExeRange } from './remoteScripts';
import type { SshConnection } from './sshConnection';

export interface ExeFacts {
  readonly mark: GoMark;
  readonly elf?: ElfHeader;
  /** Named sections, when the section header table could be read. */
  readonly sections?: readonly ElfSection[];
  /** Why there are no sections, when there are none. */
  readonly sectionsMissing?: string;
  /** File offset of the "\xff Go buildinf:" magic. */
  readonly buildInfoOffset?: number;
  readonly buildInfo?: GoBuildInfo;
  /** The build info blob as read from the magic on (at most buildInfoBytes). */
  readonly buildInfoBytes?: Uint8Array;
  /** Go or GNU build ID from the note sections, when asked for. */
  readonly buildId?: string | null;
}

export interface ExamineOptions {
  readonly signal?: AbortSignal;
  readonly sudo?: boolean;
  /** Header reads already made (p/PID/exe from the process list), to reuse. */
  readonly headers?: ReadonlyMap<string, CollectedFile>;
  /** Bytes of build info to read from the magic (16 KiB is enough for the version; a capture keeps up to 64 KiB). */
  readonly buildInfoBytes?: number;
  /** Also read the note sections for the build ID. */
  readonly buildId?: boolean;
}

/** The first read of an executable: the ELF header, program headers and, with Go's own linker (1.26+), the section headers too. */
export const HEADER_BYTES = 4096;
const MAX_SECTION_TABLE = 256 * 1024;
const MAX_NAMES = 64 * 1024;
/** Before the section table, where external linkers put the names section: read with the table, it usually saves a round trip. */
const NAMES_GUESS = 4096;
const SCAN_CHUNK = 1024 * 1024;
const SCAN_CAP = 8 * 1024 * 1024;
const GO_SECTIONS = ['.gopclntab', '.note.go.buildid', '.go.buildinfo', '.gosymtab'];
const TIMEOUT_MS = 30_000;

type Step =
  | { kind: 'done'; facts: ExeFacts }
  | { kind: 'header'; bytes?: Uint8Array }
  | { kind: 'table'; elf: ElfHeader; bytes?: Uint8Array; bytesAt?: number }
  | { kind: 'names'; elf: ElfHeader; raw: Array<ElfSection & { nameOffset: number }>; names: ElfSection }
  | { kind: 'scan'; elf: ElfHeader; sections?: ElfSection[]; sectionsMissing?: string; ranges: Array<{ offset: number; end: number }>; scanned: number; why: string }
  | { kind: 'buildinfo'; elf: ElfHeader; sections?: ElfSection[]; sectionsMissing?: string; offset: number; how: string };

function u8(f: CollectedFile): Uint8Array {
  return new Uint8Array(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
}

function readFailure(f: CollectedFile | undefined, what: string): string {
  if (!f) return `${what}: no answer`;
  const e = f.stderr.trim();
  if (/permission denied|password is required|not allowed/i.test(e)) return `permission denied reading /proc/PID/exe (another user's process: enable sudo -n for this host)`;
  if (/no such file/i.test(e)) return 'the process exited';
  return `${what}: ${e || `read failed (rc ${f.rc})`}`;
}

/** Examines the executables of `pids`; every PID gets facts with a mark and its reason. */
export async function examineExecutables(conn: SshConnection, pids: readonly number[], opts: ExamineOptions = {}): Promise<Map<number, ExeFacts>> {
  const buildInfoBytes = opts.buildInfoBytes ?? 16 * 1024;
  const state = new Map<number, Step>();
  for (const pid of pids) {
    const h = opts.headers?.get(`p/${pid}/exe`);
    state.set(pid, h ? headerStep(h) : { kind: 'header' });
  }
  const read = async (reads: Array<ExeRange & { readonly cap?: number }>): Promise<Map<string, CollectedFile>> => {
    if (reads.length === 0) return new Map();
    const nonce = newNonce();
    const r = await collect(conn, exeRangesScript(nonce, reads, opts.sudo ? { sudo: true } : {}), {
      nonce,
      timeoutMs: TIMEOUT_MS,
      maxTotalBytes: 256 * 1024 * 1024,
      capFor: (name) => reads.find((x) => x.name === name)?.length ?? 0,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return r.files;
  };

  // At most: header, table, names, a few scan rounds, build info, notes.
  for (let round = 0; round < 4 + SCAN_CAP / SCAN_CHUNK + 2; round++) {
    const reads: ExeRange[] = [];
    for (const [pid, s] of state) {
      const name = (what: string) => `p/${pid}/${what}`;
      if (s.kind === 'header' && !s.bytes) reads.push({ name: name('head'), pid, offset: 0, length: HEADER_BYTES });
      else if (s.kind === 'table' && !s.bytes) {
        const t = sectionTableRange(s.elf)!;
        const from = Math.max(0, t.offset - NAMES_GUESS);
        reads.push({ name: name('table'), pid, offset: from, length: t.offset + t.length - from });
      } else if (s.kind === 'names') reads.push({ name: name('names'), pid, offset: s.names.offset, length: Math.min(s.names.size, MAX_NAMES) });
      else if (s.kind === 'scan') {
        const next = s.ranges[0];
        if (next) reads.push({ name: name('scan'), pid, offset: next.offset, length: Math.min(next.end - next.offset, SCAN_CHUNK + 32) });
      } else if (s.kind === 'buildinfo') reads.push({ name: name('buildinfo'), pid, offset: s.offset, length: buildInfoBytes });
    }
    if (reads.length === 0) break;
    if (opts.signal?.aborted) break;
    const files = await read(reads);
    for (const [pid, s] of state) state.set(pid, advance(pid, s, files, reads));
  }
  const out = new Map<number, ExeFacts>();
  for (const [pid, s] of state) {
    out.set(pid, s.kind === 'done' ? s.facts : { mark: { kind: 'unknown', reason: opts.signal?.aborted ? 'cancelled' : 'the executable could not be examined in the reads allowed' } });
  }
  if (opts.buildId) await addBuildIds(out, read);
  return out;
}

function headerStep(f: CollectedFile): Step {
  if (f.rc !== 0 && /no such file/i.test(f.stderr)) return { kind: 'done', facts: { mark: { kind: 'not-go', reason: 'no executable: a kernel thread, or the process exited' } } };
  if (f.rc !== 0) return { kind: 'done', facts: { mark: { kind: 'unknown', reason: readFailure(f, 'reading the ELF header') } } };
  if (f.bytes.length === 0) return { kind: 'done', facts: { mark: { kind: 'not-go', reason: 'no executable (kernel thread or exited)' } } };
  return fromHeader(u8(f));
}

function fromHeader(bytes: Uint8Array): Step {
  const elf = parseElfHeader(bytes);
  if (!elf.ok) return { kind: 'done', facts: { mark: { kind: 'not-go', reason: `not an ELF executable: ${elf.error.message}` } } };
  const t = sectionTableRange(elf.value);
  if (!t) return scanStep(elf.value, undefined, 'the binary has no section headers');
  if (t.length > MAX_SECTION_TABLE) return scanStep(elf.value, undefined, `its section header table (${t.length} bytes) is larger than the ${MAX_SECTION_TABLE} read`);
  if (t.offset + t.length <= bytes.length) return tableStep(elf.value, bytes.subarray(t.offset, t.offset + t.length), bytes, 0);
  return { kind: 'table', elf: elf.value };
}

/** The table is in hand: name the sections from bytes already read, or ask for the names section. */
function tableStep(elf: ElfHeader, table: Uint8Array, around: Uint8Array, aroundAt: number): Step {
  const raw = parseSectionHeaders(elf, table);
  if (!raw.ok) return scanStep(elf, undefined, `its section headers do not parse (${raw.error.message})`);
  const names = sectionNamesSection(elf, raw.value);
  if (!names) return scanStep(elf, undefined, 'its section headers have no names section');
  const end = names.offset + Math.min(names.size, MAX_NAMES);
  if (names.offset >= aroundAt && end <= aroundAt + around.length) return sectionsStep(elf, nameSections(raw.value, around.subarray(names.offset - aroundAt, end - aroundAt)));
  return { kind: 'names', elf, raw: raw.value, names };
}

function sectionsStep(elf: ElfHeader, sections: ElfSection[]): Step {
  const bi = sections.find((s) => s.name === '.go.buildinfo' && s.type !== SHT_NOBITS && s.size > 0);
  if (bi) return { kind: 'buildinfo', elf, sections, offset: bi.offset, how: 'in the .go.buildinfo section' };
  const goSections = sections.filter((s) => GO_SECTIONS.includes(s.name)).map((s) => s.name);
  if (goSections.length === 0) return { kind: 'done', facts: { mark: { kind: 'not-go', reason: 'no .go.buildinfo section and no Go runtime section (.gopclntab)' }, elf, sections } };
  return scanStep(elf, sections, `it has Go runtime sections (${goSections.join(', ')}) but no .go.buildinfo section`);
}

function scanStep(elf: ElfHeader, sections: ElfSection[] | undefined, why: string): Step {
  const ranges = writableLoads(elf).map((p) => ({ offset: p.offset - (p.offset % 16), end: p.offset + p.fileSize }));
  if (ranges.length === 0)
    return { kind: 'done', facts: { mark: { kind: 'not-go', reason: `${why}, and no writable segment to search for Go build info` }, elf, ...(sections ? { sections } : { sectionsMissing: why }) } };
  return { kind: 'scan', elf, ...(sections ? { sections } : { sectionsMissing: why }), ranges, scanned: 0, why };
}

function advance(pid: number, s: Step, files: ReadonlyMap<string, CollectedFile>, reads: readonly ExeRange[]): Step {
  const file = (what: string) => files.get(`p/${pid}/${what}`);
  const failedRead = (what: string, f: CollectedFile | undefined, elf?: ElfHeader): Step => ({
    kind: 'done',
    facts: { mark: { kind: 'unknown', reason: readFailure(f, what) }, ...(elf ? { elf } : {}) },
  });
  switch (s.kind) {
    case 'done':
      return s;
    case 'header': {
      const f = file('head');
      return f ? headerStep(f) : failedRead('reading the ELF header', f);
    }
    case 'table': {
      const f = file('table');
      if (!f || f.rc !== 0) return failedRead('reading the section headers', f, s.elf);
      const req = reads.find((r) => r.name === `p/${pid}/table`)!;
      const t = sectionTableRange(s.elf)!;
      const bytes = u8(f);
      return tableStep(s.elf, bytes.subarray(t.offset - req.offset), bytes, req.offset);
    }
    case 'names': {
      const f = file('names');
      if (!f || f.rc !== 0) return failedRead('reading the section names', f, s.elf);
      return sectionsStep(s.elf, nameSections(s.raw, u8(f)));
    }
    case 'scan': {
      const f = file('scan');
      if (!f || f.rc !== 0) return failedRead('reading a writable segment', f, s.elf);
      const req = reads.find((r) => r.name === `p/${pid}/scan`)!;
      const bytes = u8(f);
      const at = findBuildInfoMagic(bytes);
      const keep = { ...(s.sections ? { sections: s.sections } : {}), ...(s.sectionsMissing ? { sectionsMissing: s.sectionsMissing } : {}) };
      if (at >= 0) return { kind: 'buildinfo', elf: s.elf, ...keep, offset: req.offset + at, how: `by scanning the writable segments (${s.why})` };
      const scanned = s.scanned + bytes.length;
      const [first, ...rest] = s.ranges;
      // The next chunk overlaps this one by 32 bytes, so a header across the boundary is seen whole.
      const nextOffset = req.offset + Math.max(16, bytes.length - 32);
      const ranges = first && nextOffset < first.end && bytes.length === req.length ? [{ offset: nextOffset - (nextOffset % 16), end: first.end }, ...rest] : rest;
      if (scanned >= SCAN_CAP || ranges.length === 0) {
        const goSections = s.sections?.some((x) => GO_SECTIONS.includes(x.name));
        const mark: GoMark = goSections
          ? { kind: 'go', reason: `Go runtime sections found, but no build info in the first ${Math.round(scanned / 1024)} KiB of the writable segments (${s.why}); the Go version is unknown` }
          : { kind: 'not-go', reason: `no Go build info in the first ${Math.round(scanned / 1024)} KiB of the writable segments (${s.why})` };
        return { kind: 'done', facts: { mark, elf: s.elf, ...keep } };
      }
      return { ...s, ranges, scanned };
    }
    case 'buildinfo': {
      const f = file('buildinfo');
      if (!f || f.rc !== 0) return failedRead('reading the build info', f, s.elf);
      const bytes = u8(f);
      const keep = { ...(s.sections ? { sections: s.sections } : {}), ...(s.sectionsMissing ? { sectionsMissing: s.sectionsMissing } : {}) };
      const at = findBuildInfoMagic(bytes);
      if (at < 0) {
        // The section holds no magic where the Go linker puts it: say so, and try the segments.
        return scanStep(s.elf, s.sections, `the .go.buildinfo section at ${s.offset} holds no build info magic`);
      }
      const blob = bytes.subarray(at);
      const info = parseBuildInfo(blob);
      const offset = s.offset + at;
      if (!info.ok) {
        const old = /pre-Go 1\.18/.test(info.error.message);
        return {
          kind: 'done',
          facts: {
            mark: {
              kind: 'go',
              reason: old ? `Go build info ${s.how}, in the pre-Go 1.18 pointer format: the version is not read` : `Go build info magic ${s.how}, but it does not parse: ${info.error.message}`,
            },
            elf: s.elf,
            ...keep,
            buildInfoOffset: offset,
          },
        };
      }
      const mainModule = info.value.main?.path ?? info.value.path;
      const mainVersion = info.value.main?.version;
      return {
        kind: 'done',
        facts: {
          mark: { kind: 'go', goVersion: info.value.goVersion, ...(mainModule ? { mainModule } : {}), ...(mainVersion ? { mainVersion } : {}), reason: `Go build info found ${s.how}` },
          elf: s.elf,
          ...keep,
          buildInfoOffset: offset,
          buildInfo: info.value,
          buildInfoBytes: trimBuildInfo(blob),
        },
      };
    }
  }
}

/** The blob up to the end of its two strings (header, version, module info), or as read when those run past the bytes. */
function trimBuildInfo(blob: Uint8Array): Uint8Array {
  let at = 32;
  for (let s = 0; s < 2; s++) {
    let len = 0;
    let scale = 1;
    let i = 0;
    for (; i < 10; i++) {
      const b = blob[at + i];
      if (b === undefined) return blob.slice();
      len += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    at += i + 1 + len;
    if (at > blob.length) return blob.slice();
  }
  return blob.slice(0, at);
}

async function addBuildIds(out: Map<number, ExeFacts>, read: (reads: ExeRange[]) => Promise<Map<string, CollectedFile>>): Promise<void> {
  const reads: ExeRange[] = [];
  for (const [pid, f] of out) {
    const notes = f.sections?.filter((s) => s.name === '.note.go.buildid' || s.name === '.note.gnu.build-id') ?? [];
    notes.forEach((s, i) => reads.push({ name: `p/${pid}/note${i}`, pid, offset: s.offset, length: Math.min(s.size, 4096) }));
  }
  const files = await read(reads);
  for (const [pid, f] of out) {
    if (!f.elf || !f.sections) continue;
    let id: string | null = null;
    for (let i = 0; id === null; i++) {
      const n = files.get(`p/${pid}/note${i}`);
      if (!n) break;
      if (n.rc === 0) id = buildIdOf(f.elf, u8(n));
    }
    out.set(pid, { ...f, buildId: id });
  }
}

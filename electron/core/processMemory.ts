/**
 * The Go runtime's own GOMAXPROCS, memory limit and GC percent, read from
 * the live process's memory with no ptrace stop: the variables are located
 * in the binary's DWARF (streamed from /proc/PID/exe in chunks, inflated as
 * they come, and stopped as soon as the runtime's entries are found; capped
 * and timed out) or, without DWARF, in its symbol table (gomaxprocs only:
 * the struct layout needs DWARF); a PIE's load bias comes from
 * /proc/PID/auxv (AT_ENTRY minus e_entry); then one round trip reads the
 * values with dd from /proc/PID/mem, as root or through `sudo -n`.
 * Whatever cannot be done is a labelled skip in the result, never a number.
 */
import { AT_ENTRY, ET_DYN, findSymbols, SHT_NOBITS, SHT_SYMTAB, parseAuxv, sectionContents, SectionInflater, type ElfHeader, type ElfSection } from '../../shared/parsers/elf';
import { GoRuntimeLayoutFinder, type GoRuntimeLayout } from '../../shared/parsers/goRuntimeLayout';
import { interpretRuntimeVars, type RuntimeVars, type RuntimeVarsReading } from '../../shared/parsers/runtimeVars';
import { messageOf } from '../../shared/contract/errors';
import { collect, type CollectedFile } from './frameCollector';
import type { ExeFacts } from './goBinary';
import { memReadError, newNonce, readScript, type ExeRange, type FileItem, type MemRead } from './remoteScripts';
import type { SshConnection } from './sshConnection';

export interface RuntimeVarsOptions {
  readonly sudo?: boolean;
  readonly signal?: AbortSignal;
  /** Compressed DWARF bytes read at most (default 64 MiB). */
  readonly maxDebugBytes?: number;
  /** For the DWARF read (default 120 s). */
  readonly timeoutMs?: number;
  readonly onProgress?: (text: string) => void;
  /** Use (and fill) the per-build-ID layout cache (default true). */
  readonly layoutCache?: boolean;
}

const MiB = 1024 * 1024;
const CHUNK = MiB;
const MAX_SMALL_SECTION = 16 * MiB;
const MAX_INFLATED = 1024 * MiB;
const mib = (n: number) => (n / MiB).toFixed(1);

/** Layouts by build ID, for this process's lifetime: a second capture of the same build skips the DWARF read. */
const layoutCache = new Map<string, { layout: GoRuntimeLayout; method: string }>();

type Located = { layout: GoRuntimeLayout; method: string } | { skip: string };

export async function readRuntimeVars(conn: SshConnection, pid: number, exe: ExeFacts, opts: RuntimeVarsOptions = {}): Promise<RuntimeVars> {
  const goVersion = exe.mark.goVersion ?? null;
  const skipAll = (why: string): RuntimeVars => interpretRuntimeVars({ goVersion, method: 'none', skipped: { all: why } });
  const elf = exe.elf;
  if (!elf) return skipAll('the executable could not be read');
  if (!elf.littleEndian) return skipAll('big-endian binaries are not read');
  if (!exe.sections) return skipAll(`the binary has no readable section headers (${exe.sectionsMissing ?? 'stripped'}), so its symbols and DWARF cannot be found`);
  const sections = exe.sections;
  const useCache = opts.layoutCache !== false && exe.buildId;
  const cached = useCache ? layoutCache.get(exe.buildId!) : undefined;
  let located: Located;
  let bias = 0;
  const auxv: FileItem[] = elf.type === ET_DYN ? [{ name: 'auxv', path: `/proc/${pid}/auxv`, cap: 4096 }] : [];
  if (cached) {
    located = { layout: cached.layout, method: `${cached.method} (layout cached for build ID ${exe.buildId})` };
    if (auxv.length > 0) {
      const r = await run(conn, { files: auxv }, opts, 15_000);
      const b = loadBias(elf, r.get('auxv'));
      if (typeof b === 'string') return skipAll(b);
      bias = b;
    }
  } else {
    const found = await locate(conn, pid, elf, sections, auxv, opts);
    if (typeof found.bias === 'string') return skipAll(found.bias);
    bias = found.bias;
    located = found.located;
    if ('layout' in located && useCache && located.layout.gcPercent && located.layout.memoryLimit && located.layout.gomaxprocs) {
      if (layoutCache.size >= 64) layoutCache.delete(layoutCache.keys().next().value!);
      layoutCache.set(exe.buildId!, located);
    }
  }
  if ('skip' in located) return skipAll(located.skip);
  const { layout, method } = located;

  const skipped: Record<string, string> = {};
  if (!layout.gomaxprocs) skipped.gomaxprocs = layout.missing.gomaxprocs ?? 'runtime.gomaxprocs was not found';
  if (!layout.gcController || !layout.gcPercent) skipped.gcPercent = layout.missing.gcPercent ?? layout.missing.gcController ?? 'runtime.gcController was not found';
  if (!layout.gcController || !layout.memoryLimit) skipped.memoryLimitBytes = layout.missing.memoryLimit ?? layout.missing.gcController ?? 'runtime.gcController was not found';

  const reads: MemRead[] = [];
  const span = (address: number, size: number) => {
    const start = address - (address % 8);
    return { start, length: Math.ceil((address + size - start) / 8) * 8 };
  };
  const gmp = layout.gomaxprocs ? { address: layout.gomaxprocs.address + bias, size: 4 } : null;
  const gcp = layout.gcController && layout.gcPercent ? { address: layout.gcController.address + bias + layout.gcPercent.offset, size: layout.gcPercent.size } : null;
  const mem = layout.gcController && layout.memoryLimit ? { address: layout.gcController.address + bias + layout.memoryLimit.offset, size: layout.memoryLimit.size } : null;
  const named = [
    ['gomaxprocs', gmp],
    ['gcpercent', gcp],
    ['memlimit', mem],
  ] as const;
  for (const [name, v] of named) {
    if (!v) continue;
    const s = span(v.address, v.size);
    reads.push({ name: `mem/${name}`, pid, address: s.start, length: s.length });
  }
  if (reads.length === 0) return interpretRuntimeVars({ goVersion, method, skipped });
  opts.onProgress?.('reading the values from /proc/PID/mem');
  const files = await run(conn, { mem: reads }, opts, 15_000);
  const valueOf = (name: string, v: { address: number; size: number }) => {
    const f = files.get(`mem/${name}`);
    const off = v.address % 8;
    if (!f || f.rc !== 0 || f.bytes.length < off + v.size) return { address: v.address, size: v.size, bytes: null, error: memError(f) };
    return { address: v.address, size: v.size, bytes: new Uint8Array(f.bytes.subarray(off, off + v.size)) };
  };
  const reading: RuntimeVarsReading = {
    goVersion,
    method: `${method}; ${bias ? `PIE load bias 0x${bias.toString(16)} from /proc/PID/auxv; ` : ''}values read from /proc/PID/mem (a plain read, the process is not stopped)`,
    skipped,
    ...(gmp ? { gomaxprocs: valueOf('gomaxprocs', gmp) } : {}),
    ...(gcp ? { gcPercent: valueOf('gcpercent', gcp) } : {}),
    ...(mem ? { memoryLimit: valueOf('memlimit', mem) } : {}),
  };
  // One failure for every read (no permission, above all) is one reason, not three.
  const failures = reads.map((r) => files.get(r.name)).map((f) => (!f || f.rc !== 0 ? memError(f) : null));
  if (failures.every((e) => e !== null) && new Set(failures).size === 1) {
    return interpretRuntimeVars({ goVersion, method: reading.method, skipped: { all: `/proc/PID/mem could not be read: ${failures[0]}` } });
  }
  return interpretRuntimeVars(reading);
}

function memError(f: CollectedFile | undefined): string {
  if (!f) return 'no answer';
  const e = memReadError(f.stderr);
  if (/permission denied|password is required|not allowed|operation not permitted/i.test(e)) {
    return `${e}. A process's memory and auxv are readable only by root, or by its own user where the ptrace rules allow: enable "use sudo -n" for this host (a sudoers rule for head, tail and dd)`;
  }
  return e || `dd exited with ${f.rc}`;
}

type ReadParts = Parameters<typeof readScript>[1];

/**
 * One collect round trip of reads, with its own nonce. A round that fails (no channel within the time, a dropped
 * connection) gives the files it got and the reason, so each caller labels its skip; a cancel still throws.
 */
async function run(
  conn: SshConnection,
  parts: ReadParts,
  opts: RuntimeVarsOptions,
  timeoutMs: number,
  extra: { signal?: AbortSignal; onFile?: (f: CollectedFile) => void; capFor?: (name: string) => number } = {},
): Promise<Map<string, CollectedFile> & { error?: string }> {
  const nonce = newNonce();
  const signal = extra.signal ?? opts.signal;
  try {
    const r = await collect(conn, readScript(nonce, parts, opts.sudo ? { sudo: true } : {}), {
      nonce,
      timeoutMs,
      maxTotalBytes: 512 * MiB,
      capFor: extra.capFor ?? (() => MAX_SMALL_SECTION),
      ...(signal ? { signal } : {}),
      ...(extra.onFile ? { onFile: extra.onFile } : {}),
    });
    return r.files;
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    return Object.assign(new Map<string, CollectedFile>(), { error: messageOf(e) });
  }
}

function loadBias(elf: ElfHeader, f: CollectedFile | undefined): number | string {
  if (!f || f.rc !== 0) return `reading /proc/PID/auxv for the load bias of this position-independent binary failed: ${f ? memError(f) : 'no answer'}`;
  const entry = parseAuxv(elf, new Uint8Array(f.bytes)).get(AT_ENTRY);
  if (entry === undefined) return '/proc/PID/auxv has no AT_ENTRY, so the load bias of this position-independent binary is unknown';
  const bias = entry - elf.entry;
  if (bias < 0 || bias % 4096 !== 0)
    return `AT_ENTRY 0x${entry.toString(16)} and e_entry 0x${elf.entry.toString(16)} give no page-aligned load bias: /proc/PID/exe is not the binary this process runs`;
  return bias;
}

const sectionNamed = (sections: readonly ElfSection[], ...names: string[]) => {
  for (const n of names) {
    const s = sections.find((x) => x.name === n && x.size > 0 && x.type !== SHT_NOBITS);
    if (s) return s;
  }
  return undefined;
};

async function locate(
  conn: SshConnection,
  pid: number,
  elf: ElfHeader,
  sections: readonly ElfSection[],
  auxv: FileItem[],
  opts: RuntimeVarsOptions,
): Promise<{ located: Located; bias: number | string }> {
  const info = sectionNamed(sections, '.debug_info', '.zdebug_info');
  const abbrev = sectionNamed(sections, '.debug_abbrev', '.zdebug_abbrev');
  const addr = sectionNamed(sections, '.debug_addr', '.zdebug_addr');
  const symtab = sections.find((s) => s.name === '.symtab' && s.type === SHT_SYMTAB && s.size > 0);
  const strtab = symtab ? sections[symtab.link] : undefined;
  const dwarfParts = info && abbrev ? [abbrev, ...(addr ? [addr] : [])].map((s, i) => ({ name: i === 0 ? 'abbrev' : 'addr', pid, offset: s.offset, length: Math.min(s.size, MAX_SMALL_SECTION) })) : [];
  const first =
    auxv.length + dwarfParts.length > 0 ? await run(conn, { files: auxv, exeRanges: dwarfParts }, opts, 30_000) : (new Map<string, CollectedFile>() as Map<string, CollectedFile> & { error?: string });
  const bias = auxv.length > 0 ? loadBias(elf, first.get('auxv')) : 0;

  let dwarf: Located | null = null;
  if (info && abbrev) {
    const ab = first.get('abbrev');
    const abBytes = ab && ab.rc === 0 ? sectionContents(elf, abbrev, new Uint8Array(ab.bytes), 64 * MiB) : null;
    const ad = first.get('addr');
    const addrBytes = addr && ad && ad.rc === 0 ? sectionContents(elf, addr, new Uint8Array(ad.bytes), 64 * MiB) : null;
    if (!abBytes) dwarf = { skip: `reading .debug_abbrev failed: ${ab?.stderr.trim() || first.error || 'no answer'}` };
    else if (!abBytes.ok) dwarf = { skip: `.debug_abbrev: ${abBytes.error.message}` };
    else dwarf = await streamInfo(conn, pid, elf, info, abBytes.value, addrBytes?.ok ? addrBytes.value : undefined, opts);
    if ('layout' in dwarf && dwarf.layout.gomaxprocs && dwarf.layout.gcController) return { located: dwarf, bias };
  }
  if (symtab && strtab) {
    const why = !dwarf ? 'no DWARF in the binary (built with -ldflags=-w, or its debug sections stripped)' : 'skip' in dwarf ? `DWARF unusable: ${dwarf.skip}` : dwarf.method;
    return { located: await fromSymbols(conn, pid, elf, symtab, strtab, opts, dwarf && 'layout' in dwarf ? dwarf.layout : null, why), bias };
  }
  return { located: dwarf ?? { skip: 'the binary is stripped: it has neither a symbol table nor DWARF, so the runtime variables cannot be located' }, bias };
}

/** Addresses from .symtab; field offsets only from DWARF (`partial`), never guessed. */
async function fromSymbols(
  conn: SshConnection,
  pid: number,
  elf: ElfHeader,
  symtab: ElfSection,
  strtab: ElfSection,
  opts: RuntimeVarsOptions,
  partial: GoRuntimeLayout | null,
  why: string,
): Promise<Located> {
  const cap = 64 * MiB;
  if (symtab.size + strtab.size > cap) return { skip: `${why}; the symbol table (${mib(symtab.size + strtab.size)} MiB) is larger than the ${mib(cap)} MiB read` };
  opts.onProgress?.(`reading the symbol table (${mib(symtab.size + strtab.size)} MiB)`);
  const files = await run(
    conn,
    {
      exeRanges: [
        { name: 'symtab', pid, offset: symtab.offset, length: symtab.size },
        { name: 'strtab', pid, offset: strtab.offset, length: strtab.size },
      ],
    },
    opts,
    opts.timeoutMs ?? 120_000,
    { capFor: () => cap },
  );
  const st = files.get('symtab');
  const ss = files.get('strtab');
  if (!st || st.rc !== 0 || !ss || ss.rc !== 0) return { skip: `${why}; reading the symbol table failed: ${(st?.stderr || ss?.stderr || files.error || 'no answer').trim()}` };
  const syms = findSymbols(elf, new Uint8Array(st.bytes), new Uint8Array(ss.bytes), ['runtime.gomaxprocs', 'runtime.gcController']);
  const g = syms.get('runtime.gomaxprocs');
  const c = syms.get('runtime.gcController');
  const noDwarf = `${why}: the layout of runtime.gcControllerState is unknown without DWARF`;
  const layout: GoRuntimeLayout = {
    dwarfVersion: partial?.dwarfVersion ?? null,
    gomaxprocs: partial?.gomaxprocs ?? (g && g.size === 4 ? { address: g.value, symbol: 'runtime.gomaxprocs', size: 4 } : null),
    gcController: partial?.gcController ?? (c ? { address: c.value, symbol: 'runtime.gcController' } : null),
    gcPercent: partial?.gcPercent ?? null,
    memoryLimit: partial?.memoryLimit ?? null,
    missing: {
      ...(partial?.missing ?? {}),
      ...(g ? {} : { gomaxprocs: 'runtime.gomaxprocs is in neither the DWARF nor the symbol table' }),
      ...(g && g.size !== 4 ? { gomaxprocs: `runtime.gomaxprocs has size ${g.size} in the symbol table, not 4` } : {}),
      ...(c ? {} : { gcController: 'runtime.gcController is in neither the DWARF nor the symbol table' }),
      ...(partial?.gcPercent ? {} : { gcPercent: partial?.missing.gcPercent ?? noDwarf }),
      ...(partial?.memoryLimit ? {} : { memoryLimit: partial?.missing.memoryLimit ?? noDwarf }),
    },
    infoBytesRead: partial?.infoBytesRead ?? 0,
  };
  return { layout, method: `${why}; addresses from the ELF symbol table` };
}

/** Streams .debug_info in 1 MiB chunks through the inflater into the finder, and stops the read once it is complete. */
async function streamInfo(conn: SshConnection, pid: number, elf: ElfHeader, info: ElfSection, abbrev: Uint8Array, debugAddr: Uint8Array | undefined, opts: RuntimeVarsOptions): Promise<Located> {
  const cap = opts.maxDebugBytes ?? 64 * MiB;
  const finder = new GoRuntimeLayoutFinder(abbrev, debugAddr ? { debugAddr } : {});
  const inflater = new SectionInflater(elf, info, (d) => finder.push(d), MAX_INFLATED);
  const total = Math.min(info.size, cap);
  const reads: ExeRange[] = [];
  for (let off = 0, i = 0; off < total; off += CHUNK, i++) reads.push({ name: `info/${i}`, pid, offset: info.offset + off, length: Math.min(CHUNK, total - off) });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort);
  let read = 0;
  let next = 0;
  let failure: string | null = null;
  let lostWith: string | null = null;
  const started = Date.now();
  try {
    const got = await run(conn, { exeRanges: reads }, opts, opts.timeoutMs ?? 120_000, {
      signal: stop.signal,
      capFor: () => CHUNK,
      onFile: (f) => {
        if (finder.complete || failure) return;
        if (f.name !== `info/${next}` || f.rc !== 0) {
          failure = `reading .debug_info at ${read} failed: ${f.stderr.trim() || `rc ${f.rc}`}`;
          stop.abort();
          return;
        }
        next++;
        read += f.bytes.length;
        inflater.push(new Uint8Array(f.bytes), read >= info.size);
        opts.onProgress?.(`DWARF: ${mib(read)} of ${mib(info.size)} MiB read${info.size > cap ? ` (capped at ${mib(cap)} MiB)` : ''}`);
        if (inflater.error) failure = inflater.error;
        if (finder.complete || failure || finder.error) stop.abort();
      },
    });
    // A channel or read that times out is a shorter read, reported below with how far it got, never a failed capture.
    if (got.error && !stop.signal.aborted) lostWith = got.error;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (opts.signal?.aborted) return { skip: 'cancelled' };
  const layout = finder.finish();
  const how = `DWARF${layout.ok && layout.value.dwarfVersion ? ` v${layout.value.dwarfVersion}` : ''} (.debug_info: ${mib(read)} of ${mib(info.size)} MiB read in ${((Date.now() - started) / 1000).toFixed(1)} s${finder.complete ? ', stopped once the runtime entries were found' : ''})`;
  if (finder.complete && layout.ok) return { layout: layout.value, method: how };
  if (failure) return { skip: `${failure} (${how})` };
  if (read < info.size && !finder.complete) {
    const why =
      read >= cap
        ? `the runtime's entries are not in the first ${mib(cap)} MiB of .debug_info (the cap)`
        : `the read of .debug_info stopped at ${mib(read)} of ${mib(info.size)} MiB (timeout or dropped connection)${lostWith ? `: ${lostWith}` : ''}`;
    if (layout.ok && (layout.value.gomaxprocs || layout.value.gcController)) return { layout: layout.value, method: `${how}; ${why}` };
    return { skip: why };
  }
  if (!layout.ok) return { skip: `the DWARF does not parse: ${layout.error.message} at .debug_info offset ${layout.error.offset ?? '?'}` };
  return { layout: layout.value, method: how };
}

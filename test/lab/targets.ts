/**
 * Builds the lab's Go targets from test/targets/ with the machine's Go, or
 * an older release through GOTOOLCHAIN (fetched from the module proxy).
 * Binaries are cached by toolchain and source hash, so reruns are instant.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBuildInfoMagic } from '../../shared/parsers/buildinfo';
import { firstWritableLoad, parseElfHeader } from '../../shared/parsers/elf';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const cacheDir = join(root, '.lab', 'bin');

export interface BuiltTarget {
  readonly binary: string;
  /** As `go version BINARY` reports it, e.g. go1.26.8. */
  readonly goVersion: string;
}

function sourceHash(dir: string): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(go|mod|sum)$/.test(name)) continue;
    h.update(name).update(readFileSync(join(dir, name)));
  }
  return h.digest('hex').slice(0, 16);
}

export function goBinary(): string {
  for (const p of ['/usr/local/go/bin/go', '/usr/bin/go']) if (existsSync(p)) return p;
  return 'go';
}

export async function goVersionOf(binary: string): Promise<string> {
  const { stdout } = await run(goBinary(), ['version', binary]);
  const m = /:\s+(go\S+)/.exec(stdout);
  if (!m) throw new Error(`cannot read the Go version of ${binary}: ${stdout}`);
  return m[1]!;
}

const inflight = new Map<string, Promise<BuiltTarget>>();

/** Every Go release the lab builds targets with: the machine's Go ('local') and older ones through GOTOOLCHAIN (cached by the module proxy's download cache). */
export const LAB_TOOLCHAINS = ['go1.22.12', 'go1.23.12', 'go1.24.0', 'go1.25.5', 'local'] as const;

/**
 * How a target is built, for the Go-detection and process-memory tests:
 * - static: CGO_ENABLED=0, Go's own linker (the default)
 * - cgo: CGO_ENABLED=1 with the target's little C file: external linking, dynamically linked
 * - pie: -buildmode=pie (position independent: loaded at a random base)
 * - nodwarf: -ldflags=-w (symbols, no DWARF)
 * - stripped: -ldflags='-s -w', then strip (no symbols, no DWARF; section headers kept)
 * - noshdr: stripped, then the section header table dropped from the ELF header (as sstrip does)
 */
export type BuildVariant = 'static' | 'cgo' | 'pie' | 'nodwarf' | 'stripped' | 'noshdr';
export const BUILD_VARIANTS: readonly BuildVariant[] = ['static', 'cgo', 'pie', 'nodwarf', 'stripped', 'noshdr'];

/** `service` has no dependencies; `settings` takes automaxprocs, automemlimit and client_golang from the module proxy (go.sum pins them); `inprocess` sets the runtime's values in-process; `oddname` runs under a hostile name; `cgomalloc` is built with cgo and mallocs from C threads. */
export type TargetName = 'service' | 'settings' | 'inprocess' | 'oddname' | 'cgomalloc';
/** Targets built with cgo whatever the variant: `cgomalloc` mallocs from C threads. */
const ALWAYS_CGO: ReadonlySet<TargetName> = new Set(['cgomalloc']);

function buildArgs(variant: BuildVariant): string[] {
  switch (variant) {
    case 'pie':
      return ['-buildmode=pie'];
    case 'nodwarf':
      return ['-ldflags=-w'];
    case 'stripped':
    case 'noshdr':
      return ['-ldflags=-s -w'];
    default:
      return [];
  }
}

/** Zeroes e_shoff, e_shnum and e_shstrndx of an ELF64 file: the kernel never reads section headers, so it still runs. */
function dropSectionHeaders(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) throw new Error(`${file} is not an ELF64 file`);
    h.writeBigUInt64LE(0n, 0x28);
    h.writeUInt16LE(0, 0x3c);
    h.writeUInt16LE(0, 0x3e);
    writeSync(fd, h, 0, 64, 0);
  } finally {
    closeSync(fd);
  }
}

export function buildTarget(name: TargetName, opts: { goToolchain?: string; variant?: BuildVariant } = {}): Promise<BuiltTarget> {
  const src = join(root, 'test', 'targets', name);
  const toolchain = opts.goToolchain ?? 'local';
  const variant = opts.variant ?? 'static';
  const out = join(cacheDir, `${name}-${toolchain}${variant === 'static' ? '' : `-${variant}`}-${sourceHash(src)}`);
  const key = out;
  const existing = inflight.get(key);
  if (existing) return existing;
  const p = (async () => {
    if (!existsSync(out)) {
      mkdirSync(cacheDir, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: variant === 'cgo' || ALWAYS_CGO.has(name) ? '1' : '0', GOFLAGS: '-trimpath' };
      env.GOTOOLCHAIN = opts.goToolchain ?? 'local';
      try {
        await run(goBinary(), ['build', ...buildArgs(variant), '-o', `${out}.tmp`, '.'], { cwd: src, env, timeout: 600_000 });
        if (variant === 'stripped' || variant === 'noshdr') await run('strip', [`${out}.tmp`]);
        if (variant === 'noshdr') dropSectionHeaders(`${out}.tmp`);
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`building test/targets/${name} (${variant}) with ${toolchain} failed: ${e.stderr || e.message}`, { cause: err });
      }
      await run('mv', [`${out}.tmp`, out]);
    }
    return { binary: out, goVersion: await goVersionOf(out) };
  })();
  inflight.set(key, p);
  return p;
}

function readRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    return new Uint8Array(buf.subarray(0, readSync(fd, buf, 0, length, offset)));
  } finally {
    closeSync(fd);
  }
}

/** A binary's build info as the capture's go/buildinfo artifact holds it: from the magic in the first writable segment, at most 64 KiB. */
export function buildInfoBlobOf(binary: string): Uint8Array {
  const elf = parseElfHeader(readRange(binary, 0, 4096));
  if (!elf.ok) throw new Error(`${binary}: ${elf.error.message}`);
  const rw = firstWritableLoad(elf.value);
  if (!rw) throw new Error(`${binary}: no writable segment`);
  const segment = readRange(binary, rw.offset, 64 * 1024);
  const at = findBuildInfoMagic(segment);
  if (at < 0) throw new Error(`${binary}: no build info in the writable segment`);
  return segment.subarray(at);
}

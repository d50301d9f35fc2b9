/**
 * The ELF/DWARF oracle (test/oracle/dwarf): Go's own debug/elf, debug/dwarf
 * and debug/buildinfo reading a binary, for our parsers' tests to compare
 * with. Standard library only; built once per source hash into .lab/bin.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goBinary } from './targets';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

export interface OracleBinary {
  readonly sections: ReadonlyArray<{ name: string; type: number; flags: number; addr: number; offset: number; size: number }>;
  readonly symbols: Readonly<Record<string, { value: number; size: number }>>;
  readonly buildId: string;
  readonly goVersion: string;
  readonly mainPath: string;
  readonly dwarf: { gomaxprocs: number | null; gcController: number | null; gcPercent: { offset: number; size: number } | null; memoryLimit: { offset: number; size: number } | null } | null;
  readonly dwarfError?: string;
  readonly entry: number;
  readonly type: string;
}

let built: Promise<string> | undefined;

export function buildDwarfOracle(): Promise<string> {
  built ??= (async () => {
    const src = join(root, 'test', 'oracle', 'dwarf');
    const hash = createHash('sha256')
      .update(readFileSync(join(src, 'main.go')))
      .digest('hex')
      .slice(0, 12);
    const out = join(root, '.lab', 'bin', `dwarf-oracle-${hash}`);
    if (!existsSync(out)) {
      mkdirSync(join(root, '.lab', 'bin'), { recursive: true });
      await run(goBinary(), ['build', '-o', `${out}.tmp`, '.'], { cwd: src, env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' }, timeout: 600_000 });
      await run('mv', [`${out}.tmp`, out]);
    }
    return out;
  })();
  return built;
}

/** What Go's own packages read from each binary. */
export async function runDwarfOracle(binaries: readonly string[]): Promise<Record<string, OracleBinary>> {
  const oracle = await buildDwarfOracle();
  const { stdout } = await run(oracle, [...binaries], { maxBuffer: 64 << 20, timeout: 120_000 });
  return JSON.parse(stdout) as Record<string, OracleBinary>;
}

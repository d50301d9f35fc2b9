/**
 * Builds the lab's Go targets from test/targets/ with the machine's Go, or
 * an older release through GOTOOLCHAIN (fetched from the module proxy).
 * Binaries are cached by toolchain and source hash, so reruns are instant.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

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

/** The lab's Go programs: `service` is pure Go (CGO_ENABLED=0, static); `cgomalloc` is built with cgo and mallocs from C threads. */
export type TargetName = 'service' | 'cgomalloc';
const CGO: Readonly<Record<TargetName, boolean>> = { service: false, cgomalloc: true };

export function buildTarget(name: TargetName, opts: { goToolchain?: string } = {}): Promise<BuiltTarget> {
  const src = join(root, 'test', 'targets', name);
  const toolchain = opts.goToolchain ?? 'local';
  const out = join(cacheDir, `${name}-${toolchain}-${sourceHash(src)}`);
  const key = out;
  const existing = inflight.get(key);
  if (existing) return existing;
  const p = (async () => {
    if (!existsSync(out)) {
      mkdirSync(cacheDir, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: CGO[name] ? '1' : '0', GOFLAGS: '-trimpath' };
      env.GOTOOLCHAIN = opts.goToolchain ?? 'local';
      try {
        await run(goBinary(), ['build', '-o', `${out}.tmp`, '.'], { cwd: src, env, timeout: 600_000 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`building test/targets/${name} with ${toolchain} failed: ${e.stderr || e.message}`);
      }
      await run('mv', [`${out}.tmp`, out]);
    }
    return { binary: out, goVersion: await goVersionOf(out) };
  })();
  inflight.set(key, p);
  return p;
}

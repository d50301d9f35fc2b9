/**
 * Bundles as an attacker makes them (tar entries, manifests) and as another
 * tool unpacks them (Python's tarfile, which writes members wherever their
 * names point).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Header } from 'tar';

export function tarEntry(path: string, body: Buffer | string, type: 'File' | 'SymbolicLink' = 'File', linkpath?: string): Buffer {
  const data = Buffer.from(body);
  const header = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size: type === 'File' ? data.length : 0, mtime: new Date(0), type, ...(linkpath ? { linkpath } : {}) }).encode(header, 0);
  if (type !== 'File') return header;
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

export function manifestFor(artifacts: ReadonlyArray<{ name: string; sizeBytes: number; sha256: string | null }>, sessionId = 'crafted-1'): string {
  return JSON.stringify({
    format: 'gopherscope-bundle',
    schemaVersion: 1,
    exportedAt: '2026-01-01T00:00:00Z',
    session: { id: sessionId, hostLabel: 'x', pid: 1, processName: 'x', goVersion: null, status: 'complete', statusReason: null, startedAt: '2026-01-01T00:00:00Z', finishedAt: null },
    redactions: [],
    artifacts: artifacts.map((a) => ({ ...a, status: 'ok', reason: null, durationMs: 1 })),
  });
}

/** Lists a .tar.gz's members and extracts them into `out` with Python's tarfile.extractall (no filter). */
export function pythonExtract(file: string, out: string): string[] {
  const py = "import sys, tarfile\nt = tarfile.open(sys.argv[1], 'r:gz')\nprint('\\n'.join(t.getnames()))\nt.extractall(sys.argv[2])\n";
  return execFileSync('python3', ['-c', py, file, out], { encoding: 'utf8' }).trim().split('\n');
}

/** Every file under dir, relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

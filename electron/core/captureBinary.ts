/**
 * The capture's binary half for a Go process: its build info blob as
 * `go/buildinfo` (read from /proc/PID/exe, from the magic on, at most
 * 64 KiB) and, unless switched off, the runtime's own GOMAXPROCS, memory
 * limit and GC percent read from process memory as `go/runtime-vars.json`
 * (see processMemory.ts). Both are stored even when they say "could not":
 * the reason is the evidence.
 */
import { ARTIFACTS } from '../../shared/artifacts/registry';
import { RUNTIME_VARS_ARTIFACT, type RuntimeVars } from '../../shared/parsers/runtimeVars';
import { examineExecutables } from './goBinary';
import { readRuntimeVars } from './processMemory';
import type { SshConnection } from './sshConnection';
import type { NewArtifact, Store } from './store';

export const BUILDINFO_ARTIFACT = ARTIFACTS.buildinfo.name;
const BUILDINFO_BYTES = 64 * 1024;

/** Every capture of a Go process accounts for these (read, failed or skipped, with the reason). */
export const BINARY_ARTIFACTS: readonly string[] = [BUILDINFO_ARTIFACT, RUNTIME_VARS_ARTIFACT];

export async function captureGoBinary(
  conn: SshConnection,
  store: Store,
  pid: number,
  opts: { readonly sudo?: boolean; readonly processMemory: boolean; readonly signal: AbortSignal; readonly progress: (step: string) => void },
  save: (a: NewArtifact) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const exe = (await examineExecutables(conn, [pid], { ...(opts.sudo ? { sudo: true } : {}), signal: opts.signal, buildInfoBytes: BUILDINFO_BYTES, buildId: opts.processMemory })).get(pid)!;
  const blob = exe.buildInfoBytes;
  if (blob && blob.length > 0) {
    const put = await store.blobs.put(Buffer.from(blob));
    await save({
      name: BUILDINFO_ARTIFACT,
      status: exe.buildInfo?.truncated ? 'truncated' : 'ok',
      reason: `${exe.mark.reason}: ${blob.length} bytes from offset ${exe.buildInfoOffset} of /proc/${pid}/exe${exe.buildInfo?.truncated ? `, cut at ${BUILDINFO_BYTES} bytes` : ''}`,
      sizeBytes: blob.length,
      durationMs: Date.now() - started,
      sha256: put.sha256,
    });
  } else {
    await save({ name: BUILDINFO_ARTIFACT, status: 'failed', reason: exe.mark.reason, sizeBytes: 0, durationMs: Date.now() - started, sha256: null });
  }

  if (!opts.processMemory) {
    await save({
      name: RUNTIME_VARS_ARTIFACT,
      status: 'skipped',
      reason: 'reading the runtime variables from process memory was switched off for this capture',
      sizeBytes: 0,
      durationMs: null,
      sha256: null,
    });
    return;
  }
  const t0 = Date.now();
  const vars = await readRuntimeVars(conn, pid, exe, { ...(opts.sudo ? { sudo: true } : {}), signal: opts.signal, onProgress: (text) => opts.progress(`${RUNTIME_VARS_ARTIFACT}: ${text}`) });
  const body = Buffer.from(`${JSON.stringify(vars, null, 2)}\n`);
  const put = await store.blobs.put(body);
  await save({ name: RUNTIME_VARS_ARTIFACT, status: 'ok', reason: summarize(vars), sizeBytes: body.length, durationMs: Date.now() - t0, sha256: put.sha256 });
}

/** One line for the artifact list: what was read, and what was not and why. */
export function summarize(v: RuntimeVars): string {
  const read: string[] = [];
  if (v.gomaxprocs) read.push(`GOMAXPROCS ${v.gomaxprocs.value}`);
  if (v.memoryLimitBytes) read.push(`memory limit ${v.memoryLimitBytes.value === null ? 'none' : `${v.memoryLimitBytes.value} bytes`}`);
  if (v.gcPercent) read.push(`GC percent ${v.gcPercent.value === null ? 'off' : v.gcPercent.value}`);
  const skipped = Object.entries(v.skipped).map(([k, why]) => `${k === 'all' ? 'all' : k} skipped: ${why}`);
  return [read.length > 0 ? `read ${read.join(', ')}` : 'nothing read', ...skipped].join('; ').slice(0, 2000);
}

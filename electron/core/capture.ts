/**
 * The minimal capture: one SSH round trip reads the process's files through
 * the framed collector. Each artifact's blob is fsynced before its row is
 * written, and the session is finalised in one transaction, so a crash or a
 * dropped connection leaves a partial session whose saved artifacts are
 * intact and whose missing ones say why.
 */
import { randomUUID } from 'node:crypto';
import type { ArtifactStatus } from '../../shared/contract/api';
import { ApiError } from '../../shared/contract/errors';
import { redactCmdline, redactEnviron, type Redaction } from '../../shared/redact/secrets';
import { collect, type CollectedFile } from './frameCollector';
import { captureScript, newNonce, type FileItem } from './remoteScripts';
import type { SshConnection } from './sshConnection';
import type { NewArtifact, Store } from './store';

const MiB = 1024 * 1024;

/** What the walking-skeleton bundle reads, in order: small files first so a drop loses the least. */
export function bundleItems(pid: number): FileItem[] {
  const p = `/proc/${pid}`;
  return [
    { name: 'proc/status', path: `${p}/status`, cap: MiB },
    { name: 'proc/stat', path: `${p}/stat`, cap: MiB },
    { name: 'proc/statm', path: `${p}/statm`, cap: MiB },
    { name: 'proc/cmdline', path: `${p}/cmdline`, cap: MiB },
    { name: 'proc/environ', path: `${p}/environ`, cap: 4 * MiB },
    { name: 'proc/limits', path: `${p}/limits`, cap: MiB },
    { name: 'proc/cgroup', path: `${p}/cgroup`, cap: MiB },
    { name: 'proc/smaps_rollup', path: `${p}/smaps_rollup`, cap: MiB },
    { name: 'proc/maps', path: `${p}/maps`, cap: 64 * MiB },
    { name: 'proc/smaps', path: `${p}/smaps`, cap: 256 * MiB },
  ];
}

export interface CaptureCallbacks {
  progress(step: string, done: number, total: number): void;
}

export interface CaptureOutcome {
  readonly status: 'complete' | 'partial' | 'failed';
  readonly reason: string | null;
  /** False when the session row was removed because nothing of it existed (process gone). */
  readonly kept: boolean;
}

const REDACTORS: Record<string, (raw: string) => { text: string; redactions: Redaction[] }> = {
  'proc/environ': redactEnviron,
  'proc/cmdline': redactCmdline,
};

function statusOf(file: CollectedFile): { status: ArtifactStatus; reason: string | null } {
  if (file.rc !== 0) {
    const why = file.stderr.replace(/^.*?:\s*/, '') || `read failed with exit status ${file.rc}`;
    const hint = /permission denied|password is required|not allowed/i.test(file.stderr) ? ' (needs the same user as the process, or root: enable "use sudo -n" for this host and run the sudo probe)' : '';
    return { status: 'failed', reason: `${why}${hint}` };
  }
  if (file.truncated) return { status: 'truncated', reason: 'output cap reached; the rest was not read' };
  return { status: 'ok', reason: null };
}

export async function runCapture(
  conn: SshConnection,
  store: Store,
  sessionId: string,
  pid: number,
  signal: AbortSignal,
  cb: CaptureCallbacks,
  script: { sudo?: boolean } = {},
): Promise<CaptureOutcome> {
  const items = bundleItems(pid);
  const caps = new Map(items.map((i) => [i.name, i.cap]));
  const saved = new Set<string>();
  const nonce = newNonce();
  let done = 0;
  cb.progress('starting', 0, items.length);

  const save = async (file: CollectedFile) => {
    let { status, reason } = statusOf(file);
    let body: Buffer = file.bytes;
    let redactions: Redaction[] = [];
    const redactor = REDACTORS[file.name];
    if (redactor && body.length > 0) {
      const r = redactor(body.toString('utf8'));
      body = Buffer.from(r.text, 'utf8');
      redactions = r.redactions;
    }
    let sha256: string | null = null;
    if (body.length > 0 || status === 'ok') {
      const blob = await store.blobs.put(body);
      sha256 = blob.sha256;
    }
    const artifact: NewArtifact = { name: file.name, status, reason, sizeBytes: body.length, durationMs: file.durationMs, sha256 };
    await store.addArtifact(sessionId, artifact, redactions);
    saved.add(file.name);
    done++;
    cb.progress(file.name, done, items.length);
  };

  let result;
  try {
    result = await collect(conn, captureScript(nonce, pid, items, script), {
      nonce,
      timeoutMs: 120_000,
      maxTotalBytes: 512 * MiB,
      capFor: (name) => caps.get(name) ?? MiB,
      signal,
      onBegin: (name) => cb.progress(name, done, items.length),
      onFile: save,
    });
  } catch (err) {
    const reason = err instanceof ApiError ? err.message : `capture failed: ${(err as Error).message}`;
    await finish(store, sessionId, items, saved, 'partial', reason);
    return { status: saved.size > 0 ? 'partial' : 'failed', reason, kept: true };
  }

  if (result.gone) {
    await store.deleteSession(sessionId);
    return { status: 'failed', reason: `Process ${pid} no longer exists on the host.`, kept: false };
  }
  let status: CaptureOutcome['status'] = 'complete';
  let reason: string | null = null;
  if (result.cancelled) {
    status = 'partial';
    reason = 'cancelled by the user';
  } else if (result.timedOut) {
    status = 'partial';
    reason = 'the capture timed out';
  } else if (!result.complete) {
    status = 'partial';
    reason = conn.isOpen ? `the collector stopped early${result.stderr ? `: ${result.stderr.trim().slice(0, 300)}` : ''}` : 'the SSH connection dropped during capture';
  }
  await finish(store, sessionId, items, saved, status, reason);
  return { status, reason, kept: true };
}

async function finish(store: Store, sessionId: string, items: readonly FileItem[], saved: ReadonlySet<string>, status: 'complete' | 'partial' | 'failed', reason: string | null): Promise<void> {
  const missing: NewArtifact[] = items
    .filter((i) => !saved.has(i.name))
    .map((i) => ({ name: i.name, status: 'failed' as const, reason: `not captured: ${reason ?? 'no data received'}`, sizeBytes: 0, durationMs: null, sha256: null }));
  await store.finishSession(sessionId, status, reason, missing);
}

export function newCaptureId(): string {
  return randomUUID();
}

/**
 * Runs a framed collector script over SSH and hands back each artifact as it
 * completes, with its bytes, exit status, stderr and timing.
 */
import { FrameParser, type FrameEvent } from '../../shared/capture/frames';
import type { SshConnection } from './sshConnection';

export interface CollectedFile {
  readonly name: string;
  readonly bytes: Buffer;
  readonly rc: number;
  readonly truncated: boolean;
  readonly stderr: string;
  readonly durationMs: number;
  /** Set when the collector chose not to read it, with the reason. */
  readonly skipped?: string;
}

export interface CollectOptions {
  readonly nonce: string;
  readonly timeoutMs: number;
  readonly maxTotalBytes: number;
  readonly capFor: (name: string) => number;
  readonly signal?: AbortSignal;
  readonly onBegin?: (name: string) => void;
  /** Called when an artifact's END frame arrives; ERR frames for it may still follow and are reported in the next call's stderr only if attached before. */
  readonly onFile?: (file: CollectedFile) => void | Promise<void>;
}

export interface CollectResult {
  readonly files: Map<string, CollectedFile>;
  readonly gone: boolean;
  readonly complete: boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly truncatedStream: boolean;
  readonly openArtifact: string | undefined;
  readonly stderr: string;
  readonly code: number | null;
}

export async function collect(conn: SshConnection, script: string, opts: CollectOptions): Promise<CollectResult> {
  const parser = new FrameParser(opts.nonce, opts.capFor);
  const files = new Map<string, CollectedFile>();
  let gone = false;
  let complete = false;
  let current: { name: string; chunks: Buffer[]; started: number } | undefined;
  let pendingFile: CollectedFile | undefined;
  const queue: Array<Promise<void>> = [];
  const flush = () => {
    if (!pendingFile) return;
    const f = pendingFile;
    pendingFile = undefined;
    files.set(f.name, f);
    if (opts.onFile) queue.push(Promise.resolve(opts.onFile(f)));
  };
  const emit = (e: FrameEvent) => {
    switch (e.kind) {
      case 'begin':
        flush();
        current = { name: e.name, chunks: [], started: Date.now() };
        opts.onBegin?.(e.name);
        break;
      case 'data':
        current?.chunks.push(Buffer.from(e.bytes));
        break;
      case 'end':
        if (current) {
          pendingFile = { name: e.name, bytes: Buffer.concat(current.chunks), rc: e.rc, truncated: e.truncated, stderr: '', durationMs: Date.now() - current.started };
          current = undefined;
        }
        break;
      case 'stderr':
        if (pendingFile && pendingFile.name === e.name) pendingFile = { ...pendingFile, stderr: e.text };
        break;
      case 'skip':
        flush();
        pendingFile = { name: e.name, bytes: Buffer.alloc(0), rc: 0, truncated: false, stderr: '', durationMs: 0, skipped: e.reason };
        flush();
        break;
      case 'gone':
        gone = true;
        break;
      case 'done':
        flush();
        complete = true;
        break;
      case 'noise':
        break;
    }
  };
  const decoder = new TextDecoder();
  const result = await conn.exec(script, {
    timeoutMs: opts.timeoutMs,
    maxBytes: opts.maxTotalBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onStdout: (chunk) => parser.feed(decoder.decode(chunk, { stream: true }), emit),
  });
  const openArtifact = parser.finish(emit);
  flush();
  await Promise.all(queue);
  return {
    files,
    gone,
    complete,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    truncatedStream: result.truncated,
    openArtifact,
    stderr: result.stderr,
    code: result.code,
  };
}

/**
 * Runs a framed collector script over SSH and hands back each artifact as it
 * completes, with its bytes, exit status, stderr and timing.
 *
 * With onFile, each file is handed over when it ends and released as soon as
 * onFile settles; the SSH channel is paused while handed-over files wait to be
 * stored beyond a byte or count budget, so memory is one artifact being read
 * plus that budget, however much the host sends. The first onFile failure
 * stops the stream and is thrown once every handed-over file has settled.
 * Without onFile, every file is kept in `files` (small reads only).
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
  /** Every file, when no onFile was given; empty otherwise (each was handed to onFile and released). */
  readonly files: Map<string, CollectedFile>;
  readonly gone: boolean;
  readonly complete: boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly truncatedStream: boolean;
  readonly openArtifact: string | undefined;
  /** Frames the parser refused (invalid or repeated names), first ones first; refusedCount counts all. */
  readonly refused: readonly string[];
  readonly refusedCount: number;
  readonly stderr: string;
  readonly code: number | null;
}

/** Handed-over bytes (and files) waiting for onFile before the channel is paused. */
const UNSTORED_BYTES = 32 * 1024 * 1024;
const UNSTORED_FILES = 256;
const REFUSALS_KEPT = 10;

/** An artifact's body as it arrives (one small piece per base64 line), copied into a few growing blocks. */
class Body {
  private readonly blocks: Buffer[] = [];
  private used = 0;
  size = 0;

  add(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.length) {
      let last = this.blocks[this.blocks.length - 1];
      if (!last || this.used === last.length) {
        last = Buffer.allocUnsafe(Math.min(1024 * 1024, 4096 << Math.min(this.blocks.length, 8)));
        this.blocks.push(last);
        this.used = 0;
      }
      const n = Math.min(bytes.length - from, last.length - this.used);
      last.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      this.size += n;
    }
  }

  /** The body as one exact-size buffer. */
  take(): Buffer {
    return Buffer.concat(this.blocks, this.size);
  }
}

export async function collect(conn: SshConnection, script: string, opts: CollectOptions): Promise<CollectResult> {
  const parser = new FrameParser(opts.nonce, opts.capFor);
  const files = new Map<string, CollectedFile>();
  let gone = false;
  let complete = false;
  let current: { name: string; body: Body; started: number } | undefined;
  let pendingFile: CollectedFile | undefined;
  const refused: string[] = [];
  let refusedCount = 0;

  // Files handed to onFile and not settled yet, and the flow control they drive.
  const unsettled = new Set<Promise<void>>();
  let unstoredBytes = 0;
  let failure: unknown;
  let flow: { pause(): void; resume(): void } | undefined;
  let paused = false;
  const stop = new AbortController();
  const onCallerAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();
  // A paused channel would hold back its close: once stopping, let the rest flow (it is ignored).
  stop.signal.addEventListener(
    'abort',
    () => {
      if (!paused) return;
      paused = false;
      flow?.resume();
    },
    { once: true },
  );
  const steer = () => {
    const over = failure === undefined && (unstoredBytes > UNSTORED_BYTES || unsettled.size > UNSTORED_FILES);
    const under = unstoredBytes <= UNSTORED_BYTES / 2 && unsettled.size <= UNSTORED_FILES / 2;
    if (over && !paused) {
      paused = true;
      flow?.pause();
    } else if (paused && (under || failure !== undefined)) {
      paused = false;
      flow?.resume();
    }
  };
  const hand = (f: CollectedFile) => {
    // After a failure nothing more is stored: the stream is being stopped.
    if (failure !== undefined) return;
    unstoredBytes += f.bytes.length;
    const settled = Promise.resolve()
      .then(() => opts.onFile!(f))
      .then(
        () => undefined,
        (err: unknown) => {
          if (failure === undefined) {
            failure = err ?? new Error('storing an artifact failed');
            stop.abort();
          }
        },
      )
      .finally(() => {
        unstoredBytes -= f.bytes.length;
        unsettled.delete(settled);
        steer();
      });
    unsettled.add(settled);
    steer();
  };

  const flush = () => {
    if (!pendingFile) return;
    const f = pendingFile;
    pendingFile = undefined;
    if (opts.onFile) hand(f);
    else files.set(f.name, f);
  };
  const emit = (e: FrameEvent) => {
    switch (e.kind) {
      case 'begin':
        flush();
        current = { name: e.name, body: new Body(), started: Date.now() };
        opts.onBegin?.(e.name);
        break;
      case 'data':
        current?.body.add(e.bytes);
        break;
      case 'end':
        if (current) {
          pendingFile = { name: e.name, bytes: current.body.take(), rc: e.rc, truncated: e.truncated, stderr: '', durationMs: Date.now() - current.started };
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
      case 'refused':
        refusedCount++;
        if (refused.length < REFUSALS_KEPT) refused.push(e.reason);
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
  try {
    const result = await conn.exec(script, {
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxTotalBytes,
      signal: stop.signal,
      onFlow: (f) => {
        flow = f;
        if (paused) f.pause();
      },
      onStdout: (chunk) => {
        if (failure === undefined) parser.feed(decoder.decode(chunk, { stream: true }), emit);
      },
    });
    const openArtifact = failure === undefined ? parser.finish(emit) : undefined;
    flush();
    while (unsettled.size > 0) await Promise.all(unsettled);
    if (failure !== undefined) throw failure;
    return {
      files,
      gone,
      complete,
      timedOut: result.timedOut,
      cancelled: result.cancelled,
      truncatedStream: result.truncated,
      openArtifact,
      refused,
      refusedCount,
      stderr: result.stderr,
      code: result.code,
    };
  } finally {
    // exec can fail (the connection dropped) while files are still being stored: they settle before we return.
    while (unsettled.size > 0) await Promise.all(unsettled);
    opts.signal?.removeEventListener('abort', onCallerAbort);
  }
}

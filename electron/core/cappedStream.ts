/**
 * What every bounded read of a remote stream shares — an exec's stdout, an HTTP body over a tunnel,
 * a pprof download into a blob: a byte cap, a deadline, a cancel signal, and an end that happens
 * once, whichever of them (or the stream's own end) comes first. Each caller keeps what it does on
 * a timeout or a cancel (close the channel, destroy the tunnel) and what it resolves with.
 */

export interface StreamLimits {
  /** Bytes kept; the chunk that crosses it is cut and the stream marked truncated. */
  readonly maxBytes: number;
  /** Epoch ms; onTimeout runs then unless the stream has settled. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

export interface StreamEnds {
  onTimeout(): void;
  onAbort(): void;
}

export class CappedStream {
  private kept = 0;
  private cut = false;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private ends: StreamEnds | null = null;
  private readonly abortListener = () => {
    if (!this.done) this.ends?.onAbort();
  };

  constructor(private readonly limits: StreamLimits) {}

  /**
   * Starts the deadline and listens for the cancel; an already aborted signal calls onAbort now.
   * Apart from the constructor so that the handlers may use the stream (and what the caller built
   * after it) when they run.
   */
  arm(ends: StreamEnds): this {
    if (this.ends || this.done) return this;
    this.ends = ends;
    this.timer = setTimeout(
      () => {
        if (!this.done) ends.onTimeout();
      },
      Math.max(0, this.limits.deadline - Date.now()),
    );
    this.limits.signal?.addEventListener('abort', this.abortListener, { once: true });
    if (this.limits.signal?.aborted) this.abortListener();
    return this;
  }

  /** The part of `chunk` within the cap: all of it, its head when it crosses the cap, nothing once cut or settled. */
  take<T extends Uint8Array>(chunk: T): T {
    if (this.cut || this.done) return chunk.subarray(0, 0) as T;
    const room = this.limits.maxBytes - this.kept;
    if (chunk.length <= room) {
      this.kept += chunk.length;
      return chunk;
    }
    this.cut = true;
    this.kept += Math.max(0, room);
    return chunk.subarray(0, Math.max(0, room)) as T;
  }

  /** Bytes taken so far. */
  get bytes(): number {
    return this.kept;
  }

  /** Whether the cap cut the stream. */
  get truncated(): boolean {
    return this.cut;
  }

  get settled(): boolean {
    return this.done;
  }

  /** Ends it: true for the first call only, which stops the timer and the listener; later calls are false. */
  settle(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    this.limits.signal?.removeEventListener('abort', this.abortListener);
    return true;
  }
}

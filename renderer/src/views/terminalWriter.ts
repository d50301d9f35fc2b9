/**
 * Feeds a terminal's output to xterm one batch at a time, paces drawing while output floods in, and
 * acknowledges what xterm has parsed (the backend pauses the SSH channel on unacknowledged output).
 *
 * - Batching: events that arrive while xterm parses the previous batch are joined into one write,
 *   so a flood costs one write and one callback per batch rather than per event.
 * - Pacing: a flood (a batch of FLOOD_CHARS or more) is parsed with drawing held, and drawing is
 *   released for one frame every DRAW_INTERVAL_MS and when the flood ends. The screen then shows
 *   about ten frames a second of a `cat` instead of sixty, and the parser gets the time the
 *   renderer (or a software GPU) would spend drawing lines that scroll away unseen.
 */

/** Joined events per write: big enough to amortize a write, small enough to keep acks flowing. */
export const MAX_BATCH_CHARS = 128 * 1024;
/** Output at this many characters per DRAW_INTERVAL_MS (320 KB/s) or more is a flood: held drawing pays off. Typed commands, prompts and listings stay far below. */
export const FLOOD_CHARS = 32 * 1024;
/** During a flood, one drawn frame per interval. */
export const DRAW_INTERVAL_MS = 100;
/** When the queue runs dry during a flood, drawing stays held this long in case more follows at once. */
export const IDLE_RELEASE_MS = 15;
/** Acknowledge parsed characters in batches, like VS Code's CharCountAckSize; smaller remainders go on a timer. */
export const ACK_BATCH_CHARS = 5_000;

export interface WriterTarget {
  /** xterm's write: `parsed` runs once xterm has parsed `data`. */
  write(data: string, parsed: () => void): void;
  /** Hold or release drawing (release redraws); null where the terminal cannot hold, so nothing is paced. */
  readonly holdDrawing: ((hold: boolean) => void) | null;
  /** Runs `cb` once, after the terminal next draws its rows (never, while it draws nothing, e.g. hidden). */
  afterRender(cb: () => void): void;
  now(): number;
  /** setTimeout; returns a function that cancels it. */
  schedule(cb: () => void, ms: number): () => void;
  /** Tells the backend these characters are parsed (terminal.ack). */
  ack(chars: number): void;
}

export class TerminalWriter {
  private readonly queue: string[] = [];
  private queuedChars = 0;
  private writing = false;
  private holding = false;
  /** Drawing was released for one frame during a flood; hold again once it is drawn. */
  private awaitingRender = false;
  private lastDrawn = 0;
  private unacked = 0;
  private disposed = false;
  private cancelIdleRelease: (() => void) | null = null;
  /** Characters written since `rateSince`, to tell a flood from interactive output. */
  private rateChars = 0;
  private rateSince = 0;
  /** Batches written, those parsed with drawing held, frames released during floods, frames drawn (counted by the pane), and the most characters ever queued here, for tests and the bench. */
  readonly stats = { batches: 0, heldBatches: 0, floodFrames: 0, renders: 0, maxQueued: 0 };

  constructor(private readonly target: WriterTarget) {}

  push(data: string): void {
    if (this.disposed || data.length === 0) return;
    this.queue.push(data);
    this.queuedChars += data.length;
    if (this.queuedChars > this.stats.maxQueued) this.stats.maxQueued = this.queuedChars;
    if (!this.writing) this.feed();
  }

  /** Acknowledges what is parsed but not yet acknowledged (the periodic flush of small remainders). */
  flushAck(): void {
    if (this.unacked === 0 || this.disposed) return;
    const chars = this.unacked;
    this.unacked = 0;
    this.target.ack(chars);
  }

  dispose(): void {
    this.disposed = true;
    this.cancelIdleRelease?.();
    this.queue.length = 0;
    this.queuedChars = 0;
  }

  private take(): string {
    let batch = '';
    while (this.queue.length > 0 && (batch.length === 0 || batch.length + this.queue[0]!.length <= MAX_BATCH_CHARS)) batch += this.queue.shift()!;
    this.queuedChars -= batch.length;
    return batch;
  }

  private feed(): void {
    if (this.disposed) return;
    if (this.queue.length === 0) {
      this.writing = false;
      if (this.holding) this.cancelIdleRelease ??= this.target.schedule(() => ((this.cancelIdleRelease = null), this.release()), IDLE_RELEASE_MS);
      return;
    }
    this.writing = true;
    this.cancelIdleRelease?.();
    this.cancelIdleRelease = null;
    const batch = this.take();
    const now = this.target.now();
    if (now - this.rateSince > DRAW_INTERVAL_MS) {
      this.rateSince = now;
      this.rateChars = 0;
    }
    this.rateChars += batch.length;
    const hold = this.target.holdDrawing;
    const flood = hold !== null && this.rateChars >= FLOOD_CHARS;
    if (flood && !this.holding && !this.awaitingRender) {
      this.holding = true;
      hold(true);
    }
    this.stats.batches++;
    if (this.holding) this.stats.heldBatches++;
    this.target.write(batch, () => this.parsed(batch.length));
  }

  private parsed(chars: number): void {
    if (this.disposed) return;
    this.unacked += chars;
    if (this.unacked >= ACK_BATCH_CHARS) this.flushAck();
    if (this.holding && this.target.now() - this.lastDrawn >= DRAW_INTERVAL_MS) {
      // Let one frame be drawn and hold again once it is; parsing goes on meanwhile.
      this.release();
      this.stats.floodFrames++;
      this.awaitingRender = true;
      this.target.afterRender(() => {
        this.awaitingRender = false;
        if (!this.writing || this.holding || this.disposed) return;
        this.holding = true;
        this.target.holdDrawing?.(true);
      });
    }
    this.feed();
  }

  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.lastDrawn = this.target.now();
    this.target.holdDrawing?.(false);
  }
}

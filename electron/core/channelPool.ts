/**
 * Session channels on one connection, never more at once than the server allows: callers queue
 * for a slot in order, the wait counts against their deadline and stops on their cancel, and a
 * refusal while other channels are open is the server's MaxSessions speaking: the limit is
 * lowered to what was open and the caller queues again. It knows channels only through
 * `ChannelTransport`, so its unit tests run it against a fake (channelPool.test.ts) while the lab
 * tests run it through a real sshd (test/integration/ssh*.test.ts).
 */
import { ApiError } from '../../shared/contract/errors';
import { ChannelRefused, cancelledWhile, seconds } from './sshErrors';

/** A deadline (epoch ms) and a cancel for one wait on the server. */
export interface Bounds {
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

/** What the pool needs of a connection: a way to open one exec channel. */
export interface ChannelTransport<C> {
  /**
   * Opens a session channel running `command` under `bounds`. A server's refusal of the channel
   * itself rejects with ChannelRefused; anything else is passed on as it is.
   */
  openExec(command: string, bounds: Bounds): Promise<C>;
}

/** A channel and its slot: call release when the channel is done. */
export interface HeldChannel<C> {
  readonly channel: C;
  release(): void;
}

export class ChannelPool<C> {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  private closeReason: string | null = null;

  constructor(
    private readonly transport: ChannelTransport<C>,
    /** The host's name, for messages. */
    private readonly host: string,
    /** Channels open at once; sshd's default MaxSessions is 10. */
    private maxChannels = 8,
  ) {}

  /** Slots in use. */
  get inUse(): number {
    return this.active;
  }

  /** Channels open at once; lowered when the server refuses one (its MaxSessions). */
  get limit(): number {
    return this.maxChannels;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Why the connection is gone, or null while open (or when it was closed on purpose). */
  get reason(): string | null {
    return this.closeReason;
  }

  /** The connection is gone: queued callers learn at once, instead of waiting for slots never given back. */
  close(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const wake of this.waiting.splice(0)) wake();
  }

  notConnected(): ApiError {
    return new ApiError('not-connected', `Not connected to ${this.host}: ${this.closeReason ?? 'closed'}.`, 'Connect again.');
  }

  /** A slot, in turn; call the result to give it back (more calls do nothing). */
  async acquire(bounds: Bounds): Promise<() => void> {
    while (this.active >= this.maxChannels) {
      if (this.closed) throw this.notConnected();
      if (bounds.signal?.aborted) throw cancelledWhile(`a free channel on ${this.host}`);
      await this.wait(bounds);
    }
    if (this.closed) throw this.notConnected();
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }

  private wait(bounds: Bounds): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        bounds.signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const wake = () => {
        leave();
        resolve();
      };
      const fail = (err: ApiError) => {
        leave();
        reject(err);
      };
      const onAbort = () => fail(cancelledWhile(`a free channel on ${this.host}`));
      const waitMs = bounds.deadline - Date.now();
      const timer = setTimeout(
        () =>
          fail(
            new ApiError(
              'remote-failed',
              `No channel to ${this.host} became free within ${seconds(waitMs)}: all ${this.maxChannels} are in use.`,
              'Wait for running captures or terminals to finish, or close some.',
            ),
          ),
        Math.max(0, waitMs),
      );
      bounds.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(wake);
    });
  }

  /**
   * An exec channel and its slot. A refusal while other channels are open lowers the limit to
   * their number and waits for one of them; a refusal with none open is the server's answer.
   */
  async openExec(command: string, bounds: Bounds): Promise<HeldChannel<C>> {
    for (;;) {
      if (this.closed) throw this.notConnected();
      const release = await this.acquire(bounds);
      try {
        return { channel: await this.transport.openExec(command, bounds), release };
      } catch (err) {
        release();
        if (err instanceof ChannelRefused && this.active > 0) {
          this.maxChannels = Math.max(1, this.active);
          continue;
        }
        throw err instanceof ChannelRefused ? new ApiError('remote-failed', `The server refused an exec channel: ${err.message}`) : err;
      }
    }
  }
}

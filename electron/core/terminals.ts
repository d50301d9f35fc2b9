/**
 * Interactive shells over ssh2 ptys, batched and flow-controlled end to end:
 * output is coalesced for a few milliseconds into one event, and the SSH
 * stream is paused while the renderer has more than HIGH_WATERMARK characters
 * it has not yet acknowledged as written to the screen (VS Code's
 * FlowControlConstants use the same shape). A `cat` of a huge file therefore
 * runs at the speed the screen can draw, with bounded memory on both sides.
 */
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { EventPayload, MethodOutput } from '../../shared/contract/api';
import { ApiError } from '../../shared/contract/errors';
import type { SshConnection } from './sshConnection';

/**
 * Pause above HIGH, resume below LOW. The gap keeps the renderer busy while an acknowledgement
 * travels back and the channel refills (VS Code's 100,000/5,000 drained the pipe on every cycle and
 * left the renderer idle a third of the time); HIGH bounds what the transport and renderer hold.
 */
export const HIGH_WATERMARK_CHARS = 512 * 1024;
export const LOW_WATERMARK_CHARS = 256 * 1024;
const BATCH_MS = 5;
const MAX_EVENT_CHARS = 64 * 1024;
const OPEN_TIMEOUT_MS = 15_000;

interface Terminal {
  readonly id: string;
  readonly hostId: string;
  readonly stream: ClientChannel;
  readonly release: () => void;
  unacked: number;
  paused: boolean;
  /** Flow-control counters, for `terminal.flow`. */
  maxUnacked: number;
  pauses: number;
  chars: number;
  buffer: string;
  timer: NodeJS.Timeout | null;
  closed: boolean;
}

export class Terminals {
  private readonly terminals = new Map<string, Terminal>();

  constructor(
    private readonly emitData: (p: EventPayload<'terminal.data'>) => void,
    private readonly emitExit: (p: EventPayload<'terminal.exit'>) => void,
  ) {}

  /** Waiting for a channel slot, the channel, the pty and the shell requests all count against `timeoutMs`. */
  async open(hostId: string, conn: SshConnection, cols: number, rows: number, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const bounds = { deadline: Date.now() + (opts.timeoutMs ?? OPEN_TIMEOUT_MS), signal: opts.signal };
    const release = await conn.acquireChannel(bounds);
    let stream: ClientChannel;
    try {
      stream = await conn
        .open<ClientChannel>('a shell with a pty', (cb) => conn.raw.shell({ term: 'xterm-256color', cols, rows }, cb), bounds)
        .catch((err: Error) => {
          throw err instanceof ApiError ? err : new ApiError('remote-failed', `The server refused a shell: ${err.message}`);
        });
    } catch (err) {
      release();
      throw err;
    }
    const id = randomUUID();
    const t: Terminal = { id, hostId, stream, release, unacked: 0, paused: false, maxUnacked: 0, pauses: 0, chars: 0, buffer: '', timer: null, closed: false };
    this.terminals.set(id, t);
    const decoder = new StringDecoder('utf8');
    const onData = (chunk: Buffer) => this.push(t, decoder.write(chunk));
    stream.on('data', onData);
    stream.stderr.on('data', onData);
    let exitCode: number | null = null;
    stream.on('exit', (code: number | null) => {
      exitCode = code;
    });
    stream.on('close', () => this.finish(t, exitCode, exitCode === null ? 'the connection closed' : `the shell exited with ${exitCode}`));
    return id;
  }

  private push(t: Terminal, text: string): void {
    if (text.length === 0 || t.closed) return;
    t.buffer += text;
    t.unacked += text.length;
    t.chars += text.length;
    if (t.unacked > t.maxUnacked) t.maxUnacked = t.unacked;
    if (!t.paused && t.unacked > HIGH_WATERMARK_CHARS) {
      t.paused = true;
      t.pauses++;
      t.stream.pause();
      t.stream.stderr.pause();
    }
    if (t.buffer.length >= MAX_EVENT_CHARS) this.flush(t);
    else t.timer ??= setTimeout(() => this.flush(t), BATCH_MS);
  }

  private flush(t: Terminal): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
    while (t.buffer.length > 0) {
      const data = t.buffer.slice(0, MAX_EVENT_CHARS);
      t.buffer = t.buffer.slice(data.length);
      this.emitData({ terminalId: t.id, data });
    }
  }

  private get(id: string): Terminal {
    const t = this.terminals.get(id);
    if (!t || t.closed) throw new ApiError('not-found', 'That terminal is closed.', 'Open a new terminal.');
    return t;
  }

  input(id: string, data: string): void {
    this.get(id).stream.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    // ssh2's setWindow(rows, cols, height, width) sends the window-change request.
    this.get(id).stream.setWindow(rows, cols, 0, 0);
  }

  ack(id: string, chars: number): void {
    const t = this.terminals.get(id);
    if (!t) return;
    t.unacked = Math.max(0, t.unacked - chars);
    if (t.paused && t.unacked < LOW_WATERMARK_CHARS) {
      t.paused = false;
      t.stream.resume();
      t.stream.stderr.resume();
    }
  }

  /** Flow-control counters: characters sent and not yet acknowledged (now and at most), whether the channel is paused and how often it was. */
  flow(id: string): MethodOutput<'terminal.flow'> {
    const t = this.get(id);
    return { unacked: t.unacked, maxUnacked: t.maxUnacked, paused: t.paused, pauses: t.pauses, chars: t.chars };
  }

  close(id: string): void {
    const t = this.terminals.get(id);
    if (!t || t.closed) return;
    t.stream.close();
    this.finish(t, null, 'closed by the user');
  }

  closeHost(hostId: string): void {
    for (const t of this.terminals.values()) if (t.hostId === hostId) this.close(t.id);
  }

  private finish(t: Terminal, code: number | null, reason: string): void {
    if (t.closed) return;
    this.flush(t);
    t.closed = true;
    t.release();
    this.terminals.delete(t.id);
    this.emitExit({ terminalId: t.id, code, reason });
  }

  closeAll(): void {
    for (const t of [...this.terminals.values()]) this.close(t.id);
  }
}

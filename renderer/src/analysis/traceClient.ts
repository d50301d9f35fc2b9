/**
 * The UI side of the trace worker: streams a trace artifact from the backend
 * to the worker in chunks (a few in flight, the worker acknowledging each, so
 * neither side holds the file), then fetches the bytes of the generations a
 * zoomed-in window needs for its detail.
 */
import type { Api } from '../../../shared/contract/client';
import { TRACE_HEADER_BYTES, generationsFor, type TimelineDetail, type TimelineOverview } from '../../../shared/trace/timeline';
import { readRange, readSpan } from './viewsClient';

export type TraceWorkerRequest =
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'finish' }
  | { readonly type: 'detail'; readonly id: number; readonly header: Uint8Array; readonly body: Uint8Array; readonly fromNs: number; readonly toNs: number };
export type TraceWorkerResponse =
  | { readonly type: 'ack'; readonly bytes: number }
  | { readonly type: 'overview'; readonly overview: TimelineOverview }
  | { readonly type: 'detail'; readonly id: number; readonly detail: TimelineDetail }
  | { readonly type: 'error'; readonly message: string };

/** The detail of a window is read only when its generations add up to at most this. */
export const MAX_DETAIL_BYTES = 64 * 1024 * 1024;
/**
 * The trace streams in chunks smaller than the views' 8 MiB: each one is decoded on the UI thread,
 * and smaller pieces keep those tasks short while the timeline loads.
 */
const TRACE_CHUNK = 4 * 1024 * 1024;
/** Chunks sent to the worker and not yet acknowledged, at most. */
const UNACKED = 2;

export class TraceTimelineClient {
  private readonly worker = new Worker(new URL('./trace.worker.ts', import.meta.url), { type: 'module' });
  private readonly listeners = new Set<(m: TraceWorkerResponse) => void>();
  private nextId = 1;
  private header: Uint8Array | null = null;

  constructor(
    private readonly api: Api,
    private readonly artifactId: string,
    private readonly sizeBytes: number,
  ) {
    this.worker.onmessage = (e: MessageEvent<TraceWorkerResponse>) => this.listeners.forEach((l) => l(e.data));
    this.worker.onerror = (e) => this.listeners.forEach((l) => l({ type: 'error', message: `the trace worker failed: ${e.message}` }));
  }

  private next<T>(pick: (m: TraceWorkerResponse) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const l = (m: TraceWorkerResponse) => {
        if (m.type === 'error') {
          this.listeners.delete(l);
          reject(new Error(m.message));
          return;
        }
        const v = pick(m);
        if (v !== undefined) {
          this.listeners.delete(l);
          resolve(v);
        }
      };
      this.listeners.add(l);
    });
  }

  /** Reads the whole trace through the worker; `progress` gets the bytes the worker has read. */
  async load(progress: (bytes: number, total: number) => void, cancelled: () => boolean): Promise<TimelineOverview> {
    const total = this.sizeBytes;
    let acked = 0;
    let sent = 0;
    const onAck = (m: TraceWorkerResponse) => {
      if (m.type === 'ack') {
        acked = m.bytes;
        progress(acked, total);
      }
    };
    this.listeners.add(onAck);
    try {
      // Reads run ahead of the worker by a couple of chunks; each is posted in order.
      const reads: Promise<Uint8Array>[] = [];
      let nextOffset = 0;
      const fill = () => {
        while (reads.length < 3 && nextOffset < total) {
          reads.push(readRange(this.api, this.artifactId, nextOffset, Math.min(TRACE_CHUNK, total - nextOffset)));
          nextOffset += TRACE_CHUNK;
        }
      };
      fill();
      let chunks = 0;
      while (reads.length > 0) {
        if (cancelled()) throw new Error('cancelled');
        const bytes = await reads.shift()!;
        fill();
        if (!this.header) this.header = bytes.slice(0, TRACE_HEADER_BYTES);
        while (chunks - Math.ceil(acked / TRACE_CHUNK) >= UNACKED) await this.next((m) => (m.type === 'ack' ? true : undefined));
        sent += bytes.length;
        this.worker.postMessage({ type: 'chunk', bytes } satisfies TraceWorkerRequest, [bytes.buffer as ArrayBuffer]);
        chunks++;
      }
      const done = this.next((m) => (m.type === 'overview' ? m.overview : undefined));
      this.worker.postMessage({ type: 'finish' } satisfies TraceWorkerRequest);
      const overview = await done;
      if (sent === 0) throw new Error('the trace artifact is empty');
      return overview;
    } finally {
      this.listeners.delete(onAck);
    }
  }

  /**
   * The exact intervals around [fromNs, toNs], read from the generations that cover it; null when
   * they are more than MAX_DETAIL_BYTES (the caller asks the user to zoom in).
   */
  async detail(overview: TimelineOverview, fromNs: number, toNs: number): Promise<TimelineDetail | null> {
    const range = generationsFor(overview, fromNs, toNs);
    if (!range || range.bytes > MAX_DETAIL_BYTES || !this.header) return null;
    const body = await readSpan(this.api, this.artifactId, range.offset, range.bytes);
    const id = this.nextId++;
    const done = this.next((m) => (m.type === 'detail' && m.id === id ? m.detail : undefined));
    const header = this.header.slice();
    this.worker.postMessage({ type: 'detail', id, header, body, fromNs: range.firstNs, toNs: range.lastNs } satisfies TraceWorkerRequest, [body.buffer, header.buffer]);
    return done;
  }

  dispose(): void {
    this.worker.terminate();
    this.listeners.clear();
  }
}

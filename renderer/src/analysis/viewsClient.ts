/**
 * The UI side of the views worker: fetches a session's artifacts through
 * the contract (binary and large ones as base64 chunks, decoded here into
 * transferable bytes) and asks the worker for a view model.
 */
import type { SessionDetail } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import { VIEWS, type ViewModels, type ViewRequests, type WorkerViewId } from '../../../shared/analysis/views';
import { TRUNCATED } from '../../../shared/analysis/artifactContent';
import { decodeBase64 } from '../../../shared/util/base64';

/** A large text artifact as it crossed the wire: gzip members, one per range read, inflated in the worker. */
export interface GzipParts {
  readonly gzip: readonly Uint8Array[];
  readonly size: number;
}
export type LoadedFile = string | Uint8Array | GzipParts;

/** What the UI thread posts to the views worker: a row of the views table, its artifacts and its request. */
export interface ViewRequest<V extends WorkerViewId = WorkerViewId> {
  readonly id: number;
  readonly view: V;
  readonly files: Record<string, LoadedFile>;
  readonly request: ViewRequests[V];
  /** A view of two sessions (compare): the second one's files ("files" is the first, before). */
  readonly filesAfter?: Record<string, LoadedFile>;
}
export type ViewResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly model: unknown;
      readonly ms: number;
      /** The worker's time per step (inflating the artifacts, building the model), for performance measures. */
      readonly steps: Readonly<Record<string, number>>;
    }
  | { readonly id: number; readonly ok: false; readonly error: string; readonly ms: number };

export type { ViewModels, ViewRequests, WorkerViewId } from '../../../shared/analysis/views';

/**
 * Two workers, by the row's lane: the Overview and Compare join every artifact of a session, which
 * takes a while on a large one; on their own worker they never hold up a tab the user opens meanwhile.
 */
type WorkerLane = 'views' | 'analysis';
const workers = new Map<WorkerLane, Worker>();
let nextId = 1;
const pending = new Map<number, { resolve: (m: unknown) => void; reject: (e: Error) => void; lane: WorkerLane; view: WorkerViewId }>();

function getWorker(lane: WorkerLane): Worker {
  const existing = workers.get(lane);
  if (existing) return existing;
  const worker = new Worker(new URL('./views.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<ViewResponse>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if (e.data.ok) {
      // The worker's steps as measures on this thread's timeline (gs-memory-inflate, …), ending now:
      // the worker's clock has another origin, so only their durations carry over.
      const end = performance.now();
      for (const [step, ms] of Object.entries(e.data.steps)) performance.measure(`gs-${p.view}-${step}`, { end, duration: ms });
      p.resolve(e.data.model);
    } else p.reject(new Error(e.data.error));
  };
  worker.onerror = (e) => {
    for (const [id, p] of pending) {
      if (p.lane !== lane) continue;
      p.reject(new Error(`the analysis worker failed: ${e.message}`));
      pending.delete(id);
    }
    workers.delete(lane);
  };
  workers.set(lane, worker);
  return worker;
}

const BINARY = /\.pb\.gz$|^go\/trace$|^go\/buildinfo$/;

/** What was not read whole at capture, by artifact (name → "truncated: why"), for the analysis to say. */
export function artifactStatusOf(session: SessionDetail): Record<string, string> {
  return Object.fromEntries(session.artifacts.filter((a) => a.status !== 'ok').map((a) => [a.name, `${a.status}${a.reason ? `: ${a.reason}` : ''}`]));
}

/** Larger artifacts are read in chunks of this size, as bytes, and assembled without a string copy. */
export const CHUNK = 8 * 1024 * 1024;
/** What a view reads of one artifact at most; beyond it the view says it shows a prefix. */
const MAX_ARTIFACT = 1024 * 1024 * 1024;

type NativeBase64 = { fromBase64?: (s: string) => Uint8Array };
/** Chromium's native decoder when present (much faster than a JS loop), else the shared one. */
function base64Bytes(text: string): Uint8Array {
  const native = (Uint8Array as unknown as NativeBase64).fromBase64;
  return native ? native(text) : decodeBase64(text).bytes;
}

/** Bytes [offset, offset + length) of an artifact (fewer at its end), through the contract. */
export async function readRange(api: Api, artifactId: string, offset: number, length: number): Promise<Uint8Array> {
  const t0 = performance.now();
  const r = await api.call('artifacts.read', { artifactId, offset, maxBytes: length, encoding: 'base64' });
  const t1 = performance.now();
  const part = base64Bytes(r.text);
  performance.measure('gs-read-chunk', { start: t0, end: t1 });
  performance.measure('gs-decode-chunk', { start: t1 });
  return part;
}

/** Bytes [from, from + length) of an artifact, read CHUNK at a time (a few chunks in flight) into one buffer. */
export async function readSpan(api: Api, artifactId: string, from: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const offsets: number[] = [];
  for (let o = 0; o < length; o += CHUNK) offsets.push(o);
  let next = 0;
  let filled = 0;
  const reader = async () => {
    while (next < offsets.length) {
      const offset = offsets[next++]!;
      const part = await readRange(api, artifactId, from + offset, Math.min(CHUNK, length - offset));
      out.set(part.subarray(0, length - offset), offset);
      filled += part.length;
    }
  };
  await Promise.all([reader(), reader(), reader()]);
  return filled < length ? out.subarray(0, filled) : out;
}

/** One artifact as bytes, up to MAX_ARTIFACT. */
async function readBytes(api: Api, artifactId: string, size: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const total = Math.min(size, MAX_ARTIFACT);
  return { bytes: await readSpan(api, artifactId, 0, total), truncated: total < size };
}

/** Large text artifacts are read gzipped in ranges of this size (the contract's maximum is 64 MiB). */
const GZIP_RANGE = 32 * 1024 * 1024;

/**
 * A large text artifact, gzipped by the backend range by range: /proc text shrinks 10-50x, so a
 * 70 MB smaps crosses the WebSocket as a few MB; the worker inflates it.
 */
async function readGzipped(api: Api, artifactId: string, size: number): Promise<{ parts: GzipParts; truncated: boolean }> {
  const total = Math.min(size, MAX_ARTIFACT);
  const offsets: number[] = [];
  for (let o = 0; o < total; o += GZIP_RANGE) offsets.push(o);
  const gzip = await Promise.all(
    offsets.map(async (offset) => {
      const t0 = performance.now();
      const r = await api.call('artifacts.read', { artifactId, offset, maxBytes: Math.min(GZIP_RANGE, total - offset), encoding: 'gzip-base64' });
      performance.measure('gs-read-chunk', { start: t0 });
      return base64Bytes(r.text);
    }),
  );
  return { parts: { gzip, size: total }, truncated: total < size };
}

/** Reads the matching artifacts of a session (at most `concurrency` at a time). */
export async function loadArtifacts(api: Api, session: SessionDetail, want: (name: string) => boolean, concurrency = 16): Promise<Record<string, LoadedFile>> {
  const list = session.artifacts.filter((a) => a.sha256 && want(a.name));
  const files: Record<string, LoadedFile> = {};
  const truncated = (name: string, read: number, size: number) => {
    files[TRUNCATED] = `${(files[TRUNCATED] as string | undefined) ?? ''}${name} (first ${Math.round(read / 1024 / 1024)} MiB of ${Math.round(size / 1024 / 1024)} MiB)\n`;
  };
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const a = list[next++]!;
      const binary = BINARY.test(a.name);
      if (a.sizeBytes > CHUNK && !binary) {
        const r = await readGzipped(api, a.id, a.sizeBytes);
        files[a.name] = r.parts;
        if (r.truncated) truncated(a.name, r.parts.size, a.sizeBytes);
        continue;
      }
      if (binary) {
        const r = await readBytes(api, a.id, a.sizeBytes);
        files[a.name] = r.bytes;
        if (r.truncated) truncated(a.name, r.bytes.length, a.sizeBytes);
        continue;
      }
      const r = await api.call('artifacts.read', { artifactId: a.id, maxBytes: CHUNK, encoding: 'text' });
      files[a.name] = r.text;
      if (r.truncated) truncated(a.name, CHUNK, r.sizeBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  return files;
}

export function requestView<V extends WorkerViewId>(view: V, files: Record<string, LoadedFile>, request: ViewRequests[V], filesAfter?: Record<string, LoadedFile>): Promise<ViewModels[V]> {
  const id = nextId++;
  const lane: WorkerLane = VIEWS[view].lane === 'analysis' ? 'analysis' : 'views';
  const w = getWorker(lane);
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (m: unknown) => void, reject, lane, view });
    const transfer = [...Object.values(files), ...Object.values(filesAfter ?? {})]
      .flatMap((v) => (v instanceof Uint8Array ? [v] : typeof v === 'string' ? [] : v.gzip))
      .map((v) => v.buffer as ArrayBuffer);
    w.postMessage({ id, view, files, request, ...(filesAfter ? { filesAfter } : {}) } satisfies ViewRequest<V>, [...new Set(transfer)]);
  });
}

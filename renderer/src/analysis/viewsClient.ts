/**
 * The UI side of the views worker: fetches a session's artifacts through
 * the contract (binary ones as base64, decoded here into transferable
 * bytes) and asks the worker for a view model.
 */
import type { SessionDetail } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { GoroutinesView, MemoryView, ProfileView, ThreadsView } from '../../../shared/analysis/sessionViews';
import { decodeBase64 } from '../../../shared/util/base64';

export type ViewName = 'memory' | 'threads' | 'goroutines' | 'profile';
export interface ViewRequest {
  readonly id: number;
  readonly view: ViewName;
  readonly files: Record<string, string | Uint8Array>;
  readonly isGo?: boolean;
  readonly profile?: string;
  readonly valueIndex?: number;
}
export type ViewResponse = { readonly id: number; readonly ok: true; readonly model: unknown; readonly ms: number } | { readonly id: number; readonly ok: false; readonly error: string; readonly ms: number };

export interface ViewModels {
  memory: MemoryView;
  threads: ThreadsView;
  goroutines: GoroutinesView;
  profile: ProfileView;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (m: unknown) => void; reject: (e: Error) => void }>();

function getWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./views.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<ViewResponse>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if (e.data.ok) p.resolve(e.data.model);
    else p.reject(new Error(e.data.error));
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`the analysis worker failed: ${e.message}`));
    pending.clear();
    worker = null;
  };
  return worker;
}

import { TRUNCATED } from '../../../shared/analysis/sessionViews';

const BINARY = /\.pb\.gz$|^go\/trace$/;

/** Reads the matching artifacts of a session (at most `concurrency` at a time). */
export async function loadArtifacts(api: Api, session: SessionDetail, want: (name: string) => boolean, concurrency = 16): Promise<Record<string, string | Uint8Array>> {
  const list = session.artifacts.filter((a) => a.sha256 && want(a.name));
  const files: Record<string, string | Uint8Array> = {};
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const a = list[next++]!;
      const binary = BINARY.test(a.name);
      const r = await api.call('artifacts.read', { artifactId: a.id, maxBytes: 64 * 1024 * 1024, encoding: binary ? 'base64' : 'text' });
      files[a.name] = binary ? decodeBase64(r.text).bytes : r.text;
      // The views must say when they show a prefix: the contract reads at most 64 MiB at once.
      if (r.truncated) files[TRUNCATED] = `${(files[TRUNCATED] as string | undefined) ?? ''}${a.name} (first ${Math.round(r.text.length / 1024 / 1024)} MiB of ${Math.round(r.sizeBytes / 1024 / 1024)} MiB)\n`;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  return files;
}

export function requestView<V extends ViewName>(view: V, files: Record<string, string | Uint8Array>, extra: { isGo?: boolean; profile?: string; valueIndex?: number } = {}): Promise<ViewModels[V]> {
  const id = nextId++;
  const w = getWorker();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (m: unknown) => void, reject });
    const transfer = Object.values(files).filter((v): v is Uint8Array => v instanceof Uint8Array).map((v) => v.buffer as ArrayBuffer);
    w.postMessage({ id, view, files, ...extra } satisfies ViewRequest, [...new Set(transfer)]);
  });
}

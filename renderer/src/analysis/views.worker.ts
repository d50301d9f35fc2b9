/// <reference lib="webworker" />
/**
 * Parsing and classification off the UI thread: the views post raw
 * artifacts here and get plain view models back.
 */
import { buildCompareView, buildGoroutinesView, buildMemoryView, buildOverviewView, buildProfileView, buildThreadsView, mappingTableBuffers } from '../../../shared/analysis/sessionViews';
import type { GzipParts, LoadedFile, ViewRequest, ViewResponse } from './viewsClient';

const scope = self as unknown as { onmessage: ((e: MessageEvent<ViewRequest>) => void) | null; postMessage(m: ViewResponse, transfer?: Transferable[]): void };

/**
 * Inflates gzip members (one per range read, each at most 32 MiB inflated) into one buffer of the
 * known size, never past it. Each member is collected natively in one step: reading the stream
 * piece by piece costs an await per 64 KiB.
 */
async function gunzip(parts: GzipParts): Promise<Uint8Array> {
  const out = new Uint8Array(parts.size);
  let o = 0;
  for (const p of parts.gzip) {
    const inflated = new Uint8Array(await new Response(new Blob([p as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    const n = Math.min(inflated.length, out.length - o);
    out.set(inflated.subarray(0, n), o);
    o += n;
  }
  return o < out.length ? out.subarray(0, o) : out;
}

scope.onmessage = async (e) => {
  const req = e.data;
  const started = performance.now();
  try {
    const inflate = async (loaded: Record<string, LoadedFile>) => {
      const out: Record<string, string | Uint8Array> = {};
      for (const [name, v] of Object.entries(loaded)) out[name] = typeof v === 'string' || v instanceof Uint8Array ? v : await gunzip(v);
      return out;
    };
    const files = await inflate(req.files);
    const inflated = performance.now();
    const model =
      req.view === 'memory'
        ? buildMemoryView(files, { isGo: req.isGo })
        : req.view === 'threads'
          ? buildThreadsView(files)
          : req.view === 'goroutines'
            ? buildGoroutinesView(files)
            : req.view === 'overview'
              ? buildOverviewView(files, { goVersion: req.goVersion ?? null })
              : req.view === 'compare'
                ? buildCompareView({ files, goVersion: req.goVersion ?? null }, { files: await inflate(req.filesAfter ?? {}), goVersion: req.goVersionAfter ?? null })
                : buildProfileView(files[req.profile ?? ''] as Uint8Array | undefined, req.valueIndex);
    // The mapping table's columns move to the UI thread without a copy.
    const built = performance.now();
    scope.postMessage({ id: req.id, ok: true, model, ms: built - started, steps: { inflate: inflated - started, build: built - inflated } }, 'table' in model ? mappingTableBuffers(model.table) : []);
  } catch (err) {
    scope.postMessage({ id: req.id, ok: false, error: (err as Error).message, ms: performance.now() - started });
  }
};

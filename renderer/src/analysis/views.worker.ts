/// <reference lib="webworker" />
/**
 * Parsing and classification off the UI thread: the views post raw
 * artifacts here and get plain view models back.
 */
import { buildView, viewTransfer } from '../../../shared/analysis/views';
import type { ArtifactContent } from '../../../shared/analysis/artifactContent';
import type { GzipParts, LoadedFile, ViewRequest, ViewResponse } from './viewsClient';

const scope = self as unknown as { onmessage: ((e: MessageEvent<ViewRequest>) => void) | null; postMessage(m: ViewResponse, transfer?: Transferable[]): void };

/**
 * Inflates gzip members (one per range read, each at most 32 MiB inflated) up to the known size,
 * never past it, and hands them on as pieces: joining them would hold the artifact twice. Each
 * member is collected natively in one step: reading the stream piece by piece costs an await per
 * 64 KiB.
 */
async function gunzip(parts: GzipParts): Promise<Uint8Array | Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  let left = parts.size;
  for (const p of parts.gzip) {
    if (left <= 0) break;
    const inflated = new Uint8Array(await new Response(new Blob([p as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    pieces.push(inflated.length > left ? inflated.subarray(0, left) : inflated);
    left -= inflated.length;
  }
  return pieces.length === 1 ? pieces[0]! : pieces;
}

scope.onmessage = async (e) => {
  const req = e.data;
  const started = performance.now();
  try {
    const inflate = async (loaded: Record<string, LoadedFile>) => {
      const out: Record<string, ArtifactContent> = {};
      for (const [name, v] of Object.entries(loaded)) out[name] = typeof v === 'string' || v instanceof Uint8Array ? v : await gunzip(v);
      return out;
    };
    const files = await inflate(req.files);
    const inflated = performance.now();
    // Every view is a row of the views table; the row builds the model and names the buffers that
    // move to the UI thread without a copy (the Memory view's mapping table).
    const model = buildView(req.view, files, req.request, await inflate(req.filesAfter ?? {}));
    const built = performance.now();
    scope.postMessage({ id: req.id, ok: true, model, ms: built - started, steps: { inflate: inflated - started, build: built - inflated } }, viewTransfer(req.view, model));
  } catch (err) {
    scope.postMessage({ id: req.id, ok: false, error: (err as Error).message, ms: performance.now() - started });
  }
};

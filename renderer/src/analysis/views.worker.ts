/// <reference lib="webworker" />
/**
 * Parsing and classification off the UI thread: the views post raw
 * artifacts here and get plain view models back.
 */
import { buildGoroutinesView, buildMemoryView, buildProfileView, buildThreadsView, type ArtifactFiles } from '../../../shared/analysis/sessionViews';
import type { ViewRequest, ViewResponse } from './viewsClient';

const scope = self as unknown as { onmessage: ((e: MessageEvent<ViewRequest>) => void) | null; postMessage(m: ViewResponse): void };

scope.onmessage = (e) => {
  const req = e.data;
  const started = performance.now();
  try {
    const files: ArtifactFiles = req.files;
    const model =
      req.view === 'memory'
        ? buildMemoryView(files, { isGo: req.isGo })
        : req.view === 'threads'
          ? buildThreadsView(files)
          : req.view === 'goroutines'
            ? buildGoroutinesView(files)
            : buildProfileView(files[req.profile ?? ''] as Uint8Array | undefined, req.valueIndex);
    scope.postMessage({ id: req.id, ok: true, model, ms: performance.now() - started });
  } catch (err) {
    scope.postMessage({ id: req.id, ok: false, error: (err as Error).message, ms: performance.now() - started });
  }
};

/**
 * How a session bundle's bytes move, decided by the transport like the rest of the wire. The views
 * ask for an export or an import and hear progress as the contract's `bundles.progress` events; the
 * page never names a path on the backend's machine.
 *
 * Desktop: `files.pick` opens the native dialog in the main process and hands back a handle, which
 * `sessions.export`/`sessions.import` take. A dropped file becomes a handle through the preload,
 * which asks Electron for the path of a File the user dropped (webUtils.getPathForFile): page script
 * can hand over a File object, but only a real drop or file input gives one a path.
 * Browser mode: an export is a download of `bundles/<id>.tar.gz` and an import an upload to
 * `bundles/import`, both beside the page under its per-instance path (electron/serve/bundleRoutes.ts).
 */
import { bundleFileName, type MethodOutput } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import { ApiError, type Reply } from '../../../shared/contract/errors';
import { preloadBridge, type PreloadBridge } from './ipcTransport';

export type ImportResult = MethodOutput<'sessions.import'>;

export interface BundleTransfer {
  /** True where Import opens a native dialog; false where the page must pick the file itself (an upload). */
  readonly hasDialog: boolean;
  /** Writes the session's bundle where the user chooses; null when they cancelled the dialog. */
  exportBundle(sessionId: string): Promise<{ name: string; bytes: number | null } | null>;
  /** Imports from the native dialog ('dialog', desktop only) or a File the user picked or dropped; null when cancelled. */
  importBundle(source: 'dialog' | File, transferId: string): Promise<ImportResult | null>;
}

function desktop(api: Api, bridge: PreloadBridge): BundleTransfer {
  return {
    hasDialog: true,
    async exportBundle(sessionId) {
      const picked = await api.call('files.pick', { purpose: 'export-bundle', suggestedName: bundleFileName(sessionId) });
      if (!picked.handle) return null;
      const r = await api.call('sessions.export', { sessionId, path: picked.handle });
      return { name: r.path, bytes: r.bytes };
    },
    async importBundle(source, transferId) {
      let handle: string | null;
      if (source === 'dialog') {
        handle = (await api.call('files.pick', { purpose: 'import-bundle' })).handle;
      } else {
        const grant = bridge.grantDroppedFile;
        if (typeof grant !== 'function') throw new ApiError('internal', 'The preload cannot take a dropped file.');
        const reply = (await grant(source)) as Reply<{ handle: string }>;
        if (!reply.ok) throw ApiError.from(reply.error);
        handle = reply.value.handle;
      }
      if (!handle) return null;
      return api.call('sessions.import', { path: handle, transferId });
    },
  };
}

function browser(): BundleTransfer {
  return {
    hasDialog: false,
    async exportBundle(sessionId) {
      // A link beside the page (relative: the token is in the page's own path); the browser streams it to disk.
      const a = document.createElement('a');
      a.href = `bundles/${encodeURIComponent(sessionId)}.tar.gz`;
      a.download = bundleFileName(sessionId);
      a.rel = 'noopener';
      document.body.append(a);
      a.click();
      a.remove();
      return { name: a.download, bytes: null };
    },
    async importBundle(source, transferId) {
      if (source === 'dialog') throw new ApiError('invalid-input', 'Browser mode has no file dialog.', 'Choose the file with Import, or drop it onto the window.');
      const res = await fetch(`bundles/import?transfer=${encodeURIComponent(transferId)}&name=${encodeURIComponent(source.name)}`, {
        method: 'POST',
        body: source,
        headers: { 'Content-Type': 'application/octet-stream' },
      }).catch(() => null);
      if (!res) throw new ApiError('internal', `The upload of ${source.name} failed: the backend did not answer.`, 'Is `gopherscope serve` still running?');
      let reply: Reply<ImportResult>;
      try {
        reply = (await res.json()) as Reply<ImportResult>;
      } catch {
        throw new ApiError('internal', `The upload of ${source.name} failed (HTTP ${res.status}).`);
      }
      if (!reply.ok) throw ApiError.from(reply.error);
      return reply.value;
    },
  };
}

export function bundleTransfer(api: Api): BundleTransfer {
  const bridge = preloadBridge();
  return bridge ? desktop(api, bridge) : browser();
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventPayload, RedactionRecord } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';
import { formatBytes } from '../format';
import { navigate } from '../route';
import { bundleTransfer } from '../transport/bundles';

/**
 * Export: the session's redaction record first (what was masked before anything was stored, so the
 * person sending the file knows what it holds), then the bundle written through the transport.
 */
export function ExportButton({ api, sessionId, report, disabled = false }: { api: Api; sessionId: string; report: ErrorReporter; disabled?: boolean }) {
  const [record, setRecord] = useState<readonly RedactionRecord[] | null>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  // A session still being captured has no bundle yet (the backend refuses it too; a download could not say why).
  const [capturing, setCapturing] = useState(false);
  const show = async () => {
    setDone(null);
    setRecord(null);
    setOpen(true);
    try {
      const s = await api.call('sessions.open', { sessionId });
      setCapturing(s.status === 'capturing');
      setRecord(s.redactions);
    } catch (err) {
      setOpen(false);
      report(err);
    }
  };
  const write = async () => {
    setBusy(true);
    try {
      const r = await bundleTransfer(api).exportBundle(sessionId);
      if (r) setDone(r.bytes === null ? `Downloading ${r.name}.` : `Saved ${r.name} (${formatBytes(r.bytes)}).`);
    } catch (err) {
      report(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button onClick={() => void show()} disabled={disabled} data-testid="export-open" title={disabled ? 'Tick one session to export it' : 'Write this session to one .tar.gz bundle'}>
        Export…
      </button>
      {open && (
        <div className="modal-backdrop">
          <div className="modal wide" role="dialog" aria-modal="true" data-testid="export-dialog">
            <h2>Export session bundle</h2>
            {record === null ? (
              <p className="muted">Reading the redaction record…</p>
            ) : (
              <>
                <p data-testid="redaction-summary">
                  {record.length === 0
                    ? 'Nothing was redacted in this session: no environment variable or command-line argument matched a secret rule.'
                    : `${record.length} value${record.length === 1 ? ' was' : 's were'} masked before storage. The bundle holds only the masked text; the values themselves were never stored.`}
                </p>
                {record.length > 0 && (
                  <div className="scroll-box">
                    <table className="table">
                      <thead>
                        <tr>
                          <th>Artifact</th>
                          <th>Variable or argument</th>
                          <th>Rule</th>
                        </tr>
                      </thead>
                      <tbody>
                        {record.map((r, i) => (
                          <tr key={i} data-testid="redaction-row">
                            <td className="mono">{r.artifact}</td>
                            <td className="mono">{r.key}</td>
                            <td>{r.rule}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
                <p className="muted small">
                  Everything else the capture read (memory maps, stacks, profiles, the trace) is in the bundle as it was read. Check it before sending it outside your team.
                </p>
              </>
            )}
            {capturing && <p className="muted">This session is still being captured: export it when the capture has finished.</p>}
            {done && (
              <p className="ok" data-testid="export-done">
                {done}
              </p>
            )}
            <div className="buttons">
              <button onClick={() => setOpen(false)} data-testid="export-close">
                {done ? 'Close' : 'Cancel'}
              </button>
              <button className="primary" disabled={record === null || busy || capturing} onClick={() => void write()} data-testid="export-confirm">
                {busy ? 'Exporting…' : bundleTransfer(api).hasDialog ? 'Save bundle…' : 'Download bundle'}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

type Progress = Omit<EventPayload<'bundles.progress'>, 'transferId'> & { readonly name: string };

/** One import at a time, from the dialog, a picked file or a drop; the imported session opens. */
export function useBundleImport(api: Api, report: ErrorReporter) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const current = useRef<string | null>(null);
  useEffect(
    () =>
      api.on('bundles.progress', (p) => {
        if (p.transferId === current.current) setProgress((was) => ({ name: was?.name ?? '', phase: p.phase, done: p.done, total: p.total }));
      }),
    [api],
  );
  const start = useCallback(
    async (source: 'dialog' | File) => {
      if (current.current) return report(new Error('Another import is still running; wait for it to finish.'));
      const transferId = `import-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      current.current = transferId;
      setProgress({ name: source === 'dialog' ? '' : source.name, phase: source === 'dialog' ? 'import' : 'upload', done: 0, total: source === 'dialog' ? null : source.size });
      try {
        const r = await bundleTransfer(api).importBundle(source, transferId);
        if (r) navigate({ view: 'session', sessionId: r.sessionId });
      } catch (err) {
        report(err);
      } finally {
        current.current = null;
        setProgress(null);
      }
    },
    [api, report],
  );
  return { start, progress };
}

export function ImportProgress({ progress }: { progress: Progress | null }) {
  if (!progress) return null;
  const pct = progress.total ? Math.min(100, Math.round((100 * progress.done) / progress.total)) : null;
  return (
    <div className="import-progress" data-testid="import-progress" role="status">
      {progress.phase === 'upload' ? 'Uploading' : 'Importing'} {progress.name || 'bundle'}
      {progress.total ? ` — ${formatBytes(progress.done)} of ${formatBytes(progress.total)}` : ''}
      {pct !== null && <progress max={100} value={pct} />}
    </div>
  );
}

/** The Import button: the native dialog on the desktop, the page's own file chooser (an upload) in browser mode. */
export function ImportButton({ api, start }: { api: Api; start: (source: 'dialog' | File) => Promise<void> }) {
  const input = useRef<HTMLInputElement>(null);
  const dialog = bundleTransfer(api).hasDialog;
  return (
    <>
      <button onClick={() => (dialog ? void start('dialog') : input.current?.click())} data-testid="import-open" title="Import a session bundle (.tar.gz); you can also drop one onto the window">
        Import…
      </button>
      {!dialog && (
        <input
          ref={input}
          type="file"
          accept=".gz,.tgz,application/gzip"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void start(f);
          }}
        />
      )}
    </>
  );
}

/** Drops onto the window are imports: only files, one at a time. */
export function useDropImport(start: (source: File) => Promise<void>): boolean {
  const [over, setOver] = useState(false);
  useEffect(() => {
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setOver(true);
    };
    const onLeave = (e: DragEvent) => {
      if (e.relatedTarget === null) setOver(false);
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setOver(false);
      const f = e.dataTransfer?.files[0];
      if (f) void start(f);
    };
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [start]);
  return over;
}

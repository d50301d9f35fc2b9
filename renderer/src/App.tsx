import { Suspense, lazy, useCallback, useState } from 'react';
import type { Api } from '../../shared/contract/client';
import { ApiError, messageOf } from '../../shared/contract/errors';
import { href, useRoute } from './route';
import { HostsView } from './views/HostsView';
import { ProcessesView } from './views/ProcessesView';
import { LibraryView } from './views/LibraryView';
import { SessionView } from './views/SessionView';
import { CompareView } from './views/CompareView';
import { AuthPromptDialog } from './views/AuthPromptDialog';
import { ImportProgress, useBundleImport, useDropImport } from './views/Bundles';

// xterm is large and only needed once a terminal opens.
const TerminalsView = lazy(() => import('./views/TerminalsView').then((m) => ({ default: m.TerminalsView })));

export interface ErrorReporter {
  (err: unknown): void;
}

export function App({ api }: { api: Api }) {
  const route = useRoute();
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const report = useCallback<ErrorReporter>((err) => {
    if (err instanceof ApiError) setError({ message: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    else setError({ message: messageOf(err) });
  }, []);
  const imports = useBundleImport(api, report);
  const dropping = useDropImport(imports.start);
  return (
    <div className={`app ${dropping ? 'dropping' : ''}`}>
      <nav className="sidebar">
        <div className="brand">Gopherscope</div>
        <a href={href({ view: 'hosts' })} data-testid="nav-hosts" className={route.view === 'hosts' || route.view === 'processes' || route.view === 'terminal' ? 'active' : ''}>
          Hosts
        </a>
        <a href={href({ view: 'sessions' })} data-testid="nav-library" className={route.view === 'sessions' || route.view === 'session' || route.view === 'compare' ? 'active' : ''}>
          Library
        </a>
      </nav>
      <main className="content">
        <ImportProgress progress={imports.progress} />
        {error && (
          <div className="error-banner" data-testid="error-banner" role="alert">
            <div>
              <strong>{error.message}</strong>
              {error.hint && <div className="hint">{error.hint}</div>}
            </div>
            <button onClick={() => setError(null)} aria-label="Dismiss">
              ×
            </button>
          </div>
        )}
        {route.view === 'hosts' && <HostsView api={api} report={report} />}
        {route.view === 'processes' && <ProcessesView key={route.hostId} api={api} hostId={route.hostId} report={report} />}
        {route.view === 'terminal' && (
          <Suspense fallback={<div className="muted">Loading terminal…</div>}>
            <TerminalsView key={route.hostId} api={api} hostId={route.hostId} report={report} />
          </Suspense>
        )}
        {route.view === 'sessions' && <LibraryView api={api} report={report} importBundle={imports.start} />}
        {route.view === 'compare' && <CompareView key={`${route.before}/${route.after}`} api={api} before={route.before} after={route.after} report={report} />}
        {route.view === 'session' && <SessionView key={route.sessionId} api={api} sessionId={route.sessionId} report={report} />}
      </main>
      <AuthPromptDialog api={api} report={report} />
    </div>
  );
}

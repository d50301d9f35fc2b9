import { useEffect, useState } from 'react';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import { loadArtifacts, requestView, type ViewModels, type ViewRequests, type WorkerViewId } from '../../analysis/viewsClient';

export type ViewState<V extends WorkerViewId> =
  { readonly status: 'loading'; readonly step: string } | { readonly status: 'ready'; readonly model: ViewModels[V]; readonly ms: number } | { readonly status: 'error'; readonly message: string };

/** Loads the artifacts a view needs and builds its model in the worker; marks first paint with performance marks. */
export function useView<V extends WorkerViewId>(api: Api, session: SessionDetail, view: V, want: (name: string) => boolean, request: ViewRequests[V], deps: readonly unknown[] = []): ViewState<V> {
  const [state, setState] = useState<ViewState<V>>({ status: 'loading', step: 'reading artifacts' });
  useEffect(() => {
    let live = true;
    setState({ status: 'loading', step: 'reading artifacts' });
    performance.mark(`gs-${view}-open`);
    (async () => {
      const files = await loadArtifacts(api, session, want);
      if (!live) return;
      performance.measure(`gs-${view}-read`, `gs-${view}-open`);
      setState({ status: 'loading', step: 'parsing in the background' });
      const t0 = performance.now();
      const model = await requestView(view, files, request);
      performance.measure(`gs-${view}-model`, { start: t0 });
      if (live) setState({ status: 'ready', model, ms: performance.now() - t0 });
    })().catch((err: unknown) => live && setState({ status: 'error', message: (err as Error).message }));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, session.id, view, ...deps]);
  useEffect(() => {
    if (state.status !== 'ready') return;
    // After React commits and the browser paints: the "first paint" of the view.
    const id = requestAnimationFrame(() => {
      performance.mark(`gs-${view}-painted`);
      performance.measure(`gs-${view}-open-to-paint`, `gs-${view}-open`, `gs-${view}-painted`);
    });
    return () => cancelAnimationFrame(id);
  }, [state.status, view]);
  return state;
}

export function ViewStatus({ state }: { state: { status: 'loading'; step: string } | { status: 'error'; message: string } }) {
  if (state.status === 'loading')
    return (
      <div className="muted" data-testid="view-loading">
        Loading: {state.step}…
      </div>
    );
  return (
    <div className="error-inline" data-testid="view-error">
      {state.message}
    </div>
  );
}

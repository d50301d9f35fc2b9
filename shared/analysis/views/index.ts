/**
 * The table of views: one row per view, in the order of the session tabs. The views worker
 * dispatches through it (`buildView`), the session tabs and the Overview's evidence links are its
 * rows with a tab, and the renderer's request and model types are derived from it. Adding a view
 * is a file beside this one (its request type, builder and model type) and a row here; the React
 * component that draws it is the only other part (see ARCHITECTURE.md, "How to add a view").
 *
 * View models are plain structured-clonable data, built synchronously, so the renderer builds them
 * in a Web Worker and tests build them in Node.
 */
import type { ArtifactFiles } from '../artifactContent';
import { buildComparison } from './compare';
import { buildGoroutinesView, type GoroutinesRequest } from './goroutines';
import { buildMemoryView, mappingTableBuffers, type MemoryView } from './memory';
import { buildOverviewView } from './overview';
import { buildProfilesView } from './profiles';
import { buildSettingsView } from './settings';
import { buildThreadsView, type ThreadsRequest } from './threads';

/**
 * Where a view's model is built: `views` (the tabs' worker), `analysis` (a second worker for the
 * views that join every artifact of a session, so they never hold up a tab opened meanwhile), or
 * `trace` (renderer/src/analysis/trace.worker.ts, which builds the timeline as the trace streams in;
 * such a row has no `build`).
 */
export type Lane = 'views' | 'analysis' | 'trace';

export interface ViewRow<Request, Model> {
  /** The session tab's label, or null for a view shown elsewhere (Compare, the Trace tab's header). */
  readonly tab: string | null;
  readonly lane: Lane;
  /** The model from the session's artifacts (and, for a view of two sessions, the second one's). */
  readonly build: ((files: ArtifactFiles, request: Request, filesAfter: ArtifactFiles) => Model) | null;
  /** The model's buffers that move to the UI thread without a copy. */
  readonly transfer?: (model: Model) => ArrayBuffer[];
}

/** What every row is, whatever its request and model (a builder's request may be any type, so `never` here). */
type AnyViewRow = Omit<ViewRow<never, unknown>, 'transfer'> & { readonly transfer?: (model: never) => ArrayBuffer[] };

export const VIEWS = {
  overview: { tab: 'Overview', lane: 'analysis', build: buildOverviewView },
  memory: { tab: 'Memory', lane: 'views', build: buildMemoryView, transfer: (m: MemoryView) => mappingTableBuffers(m.table) },
  threads: { tab: 'Threads', lane: 'views', build: (files: ArtifactFiles, _: ThreadsRequest) => buildThreadsView(files) },
  goroutines: { tab: 'Goroutines', lane: 'views', build: (files: ArtifactFiles, _: GoroutinesRequest) => buildGoroutinesView(files) },
  profiles: { tab: 'Profiles', lane: 'views', build: buildProfilesView },
  trace: { tab: 'Trace', lane: 'trace', build: null },
  settings: { tab: null, lane: 'views', build: buildSettingsView },
  compare: { tab: null, lane: 'analysis', build: buildComparison },
} as const satisfies Readonly<Record<string, AnyViewRow>>;

type Views = typeof VIEWS;
export type ViewId = keyof Views;
/** The views the views worker builds (every row with a builder). */
export type WorkerViewId = { [K in ViewId]: Views[K]['build'] extends null ? never : K }[ViewId];
/** The session tabs (every row with a tab), which are also what an evidence item can link to. */
export type SessionTab = { [K in ViewId]: Views[K]['tab'] extends string ? K : never }[ViewId];

type BuildOf<K extends WorkerViewId> = NonNullable<Views[K]['build']>;
/** Each worker view's request, as its builder takes it. */
export type ViewRequests = { [K in WorkerViewId]: NonNullable<Parameters<BuildOf<K>>[1]> };
/** Each worker view's model, as its builder returns it. */
export type ViewModels = { [K in WorkerViewId]: ReturnType<BuildOf<K>> };

/** The session tabs in order: id and label. */
export const SESSION_TABS: readonly (readonly [SessionTab, string])[] = (Object.keys(VIEWS) as ViewId[]).flatMap((id) => {
  const tab = VIEWS[id].tab;
  return tab === null ? [] : [[id as SessionTab, tab] as const];
});

/** Builds a worker view's model: the one dispatch the views worker (and tests) go through. */
export function buildView<V extends WorkerViewId>(view: V, files: ArtifactFiles, request: ViewRequests[V], filesAfter: ArtifactFiles = {}): ViewModels[V] {
  const build = VIEWS[view].build as unknown as ViewRow<ViewRequests[V], ViewModels[V]>['build'];
  if (!build) throw new Error(`the view ${view} is not built by the views worker`);
  return build(files, request, filesAfter);
}

/** The buffers of a model that move to the UI thread without a copy (none for most views). */
export function viewTransfer<V extends WorkerViewId>(view: V, model: ViewModels[V]): ArrayBuffer[] {
  const row = VIEWS[view] as unknown as ViewRow<ViewRequests[V], ViewModels[V]>;
  return row.transfer ? row.transfer(model) : [];
}

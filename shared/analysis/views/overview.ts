/** The Overview: every artifact gathered into evidence, reconciled, and the recommendations ranked. */
import { NAMES } from '../../artifacts/registry';
import { summarizeTrace, type TraceSummary } from '../../trace/summary';
import { artifactChunks, TRUNCATED, type ArtifactContent, type ArtifactFiles } from '../artifactContent';
import { containerSummary, type ContainerSummary } from '../containerView';
import { gatherEvidence } from '../evidence';
import { analyzeSession, type SessionReport } from '../recommendations';

/** Traces up to this size are summarized for the Overview; larger ones only in the Trace tab. */
export const OVERVIEW_TRACE_MAX = 64 * 1024 * 1024;

export interface OverviewView extends SessionReport {
  /** Why the trace's evidence is or is not part of the advice. */
  readonly traceNote: string | null;
  /** The container the process ran in and how its loopback was reached (null: no discovery record). */
  readonly container: ContainerSummary | null;
}

/** The Overview's request: the session's Go version and which artifacts were not read whole (name → "truncated: why"). */
export interface OverviewRequest {
  readonly goVersion?: string | null;
  readonly artifactStatus?: Readonly<Record<string, string>>;
}

/**
 * The Overview: evidence from every artifact, reconciled, and the recommendations ranked.
 * `artifactStatus` says which artifacts were not read whole (name → "truncated: why").
 */
export function buildOverviewView(files: ArtifactFiles, opts: OverviewRequest = {}): OverviewView {
  const traceChunks = artifactChunks(files[NAMES.trace]);
  let trace: TraceSummary | null = null;
  let traceNote: string | null = null;
  if (traceChunks) {
    const r = summarizeTrace(traceChunks);
    trace = r.summary;
    if (!r.ok) traceNote = `the trace is damaged at byte ${r.error.offset} (${r.error.message}); its evidence covers what came before`;
  }
  const rest: Record<string, ArtifactContent> = {};
  for (const [k, v] of Object.entries(files)) if (k !== NAMES.trace && k !== TRUNCATED) rest[k] = v;
  if (traceChunks && !trace) traceNote = 'the trace could not be read';
  return {
    ...analyzeSession(gatherEvidence(rest, { goVersion: opts.goVersion ?? null, trace, ...(opts.artifactStatus ? { artifactStatus: opts.artifactStatus } : {}) })),
    traceNote,
    container: containerSummary(files),
  };
}

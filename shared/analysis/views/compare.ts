/** Compare: two sessions, before and after a change. */
import type { ArtifactFiles } from '../artifactContent';
import { compareSessions, type CompareView } from '../compare';
import { buildOverviewView, type OverviewView } from './overview';

/** One side of a comparison: its artifacts, its Go version and what was not read whole. */
export interface CompareSide {
  readonly files: ArtifactFiles;
  readonly goVersion: string | null;
  readonly artifactStatus?: Readonly<Record<string, string>>;
}

/** The comparison and each side's Overview. */
export type ComparisonView = CompareView & { readonly before: OverviewView; readonly after: OverviewView };

/** Compare's request: each side's Go version and what was not read whole; the after side's artifacts come apart from the before side's. */
export interface CompareRequest {
  readonly goVersion?: string | null;
  readonly artifactStatus?: Readonly<Record<string, string>>;
  readonly goVersionAfter?: string | null;
  readonly artifactStatusAfter?: Readonly<Record<string, string>>;
}

/** Before and after: each side's Overview analysis, then the deltas (see compare.ts). */
export function buildCompareView(before: CompareSide, after: CompareSide): ComparisonView {
  const b = buildOverviewView(before.files, { goVersion: before.goVersion, ...(before.artifactStatus ? { artifactStatus: before.artifactStatus } : {}) });
  const a = buildOverviewView(after.files, { goVersion: after.goVersion, ...(after.artifactStatus ? { artifactStatus: after.artifactStatus } : {}) });
  return { ...compareSessions({ report: b, files: before.files }, { report: a, files: after.files }), before: b, after: a };
}

/** The request's two sides: `files` before, `filesAfter` after. */
export function buildComparison(files: ArtifactFiles, request: CompareRequest, filesAfter: ArtifactFiles): ComparisonView {
  const side = (f: ArtifactFiles, goVersion: string | null | undefined, artifactStatus: Readonly<Record<string, string>> | undefined): CompareSide => ({
    files: f,
    goVersion: goVersion ?? null,
    ...(artifactStatus ? { artifactStatus } : {}),
  });
  return buildCompareView(side(files, request.goVersion, request.artifactStatus), side(filesAfter, request.goVersionAfter, request.artifactStatusAfter));
}

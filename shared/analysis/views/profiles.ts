/** The Profiles view: one pprof profile's sample types, top functions and flame graph. */
import { parsePprof, pprofFlame, pprofTop, type FlameNode } from '../../parsers/pprof';
import { describeError } from '../../parsers/result';
import type { ArtifactFiles } from '../artifactContent';

export interface ProfileView {
  readonly error: string | null;
  readonly sampleTypes: readonly { readonly type: string; readonly unit: string }[];
  readonly valueIndex: number;
  readonly top: readonly { readonly name: string; readonly file: string; readonly flat: number; readonly cum: number }[];
  readonly flame: FlameNode | null;
  readonly total: number;
}

export function buildProfileView(bytes: Uint8Array | undefined, valueIndex?: number): ProfileView {
  if (!bytes) return { error: 'this profile was not captured', sampleTypes: [], valueIndex: 0, top: [], flame: null, total: 0 };
  const r = parsePprof(bytes);
  if (!r.ok) return { error: `pprof: ${describeError(r.error)}`, sampleTypes: [], valueIndex: 0, top: [], flame: null, total: 0 };
  const idx = valueIndex !== undefined && valueIndex < r.value.sampleTypes.length ? valueIndex : r.value.defaultIndex;
  const flame = pprofFlame(r.value, idx);
  return {
    error: null,
    sampleTypes: r.value.sampleTypes,
    valueIndex: idx,
    top: pprofTop(r.value, idx, 100).map((e) => ({ name: e.frame.name, file: e.frame.file, flat: e.flat, cum: e.cum })),
    flame,
    total: flame.value,
  };
}

/** The Profiles view's request: which profile (artifact name) and which of its sample types (default: the profile's own). */
export interface ProfilesRequest {
  readonly profile?: string;
  readonly valueIndex?: number;
}

/** The profile the request names, from the artifacts. */
export function buildProfilesView(files: ArtifactFiles, request: ProfilesRequest): ProfileView {
  return buildProfileView(files[request.profile ?? ''] as Uint8Array | undefined, request.valueIndex);
}

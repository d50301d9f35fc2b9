/** The settings in effect on their own, for a view that shows only them (the Trace tab's header). */
import type { ArtifactFiles } from '../artifactContent';
import { gatherSettings } from '../evidence';
import type { EffectiveSettings, TraceSettingsFacts } from '../settings';

/** Artifacts the settings read, for a view that shows only them (the Trace tab's header). */
export const SETTINGS_ARTIFACTS = /^(meta\/discovery\.json|proc\/status|system\/cpu-online|go\/metrics\.txt|go\/buildinfo|go\/runtime-vars\.json|cgroup\/.*)$/;

/** The settings' request: the session's Go version, the trace's own facts when the view has read the trace, and what was not read whole. */
export interface SettingsRequest {
  readonly goVersion?: string | null;
  readonly trace?: TraceSettingsFacts | null;
  readonly artifactStatus?: Readonly<Record<string, string>>;
}

/** The settings alone, resolved exactly as the Overview resolves them, with the trace's own facts when the view has the trace. */
export function buildSettingsView(files: ArtifactFiles, opts: SettingsRequest = {}): EffectiveSettings {
  return gatherSettings(files, opts);
}

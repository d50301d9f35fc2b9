/** The Goroutines view: the debug=2 dump's states and groups, each with its text to search. */
import { NAMES } from '../../artifacts/registry';
import { parseGoroutineDump, type GoFrame, type Goroutine } from '../../parsers/goroutines';
import { describeError } from '../../parsers/result';
import { artifactText, type ArtifactFiles } from '../artifactContent';

export interface GoroutinesView {
  readonly error: string | null;
  readonly total: number;
  readonly states: readonly { readonly state: string; readonly count: number }[];
  readonly groups: readonly {
    readonly state: string;
    readonly count: number;
    readonly maxWaitMinutes: number;
    readonly lockedCount: number;
    readonly ids: readonly number[];
    readonly frames: readonly GoFrame[];
    readonly createdBy: Goroutine['createdBy'];
    readonly search: string;
  }[];
}

/** The Goroutines view takes nothing but the artifacts. */
export type GoroutinesRequest = Readonly<Record<string, never>>;

export function buildGoroutinesView(files: ArtifactFiles): GoroutinesView {
  const t = artifactText(files[NAMES.goroutines]);
  if (t === undefined) return { error: 'no goroutine dump in this session (no pprof endpoint was found)', total: 0, states: [], groups: [] };
  const r = parseGoroutineDump(t);
  if (!r.ok) return { error: `goroutine dump: ${describeError(r.error)}`, total: 0, states: [], groups: [] };
  return {
    error: null,
    total: r.value.goroutines.length,
    states: r.value.states,
    groups: r.value.groups.map((g) => ({
      state: g.state,
      count: g.count,
      maxWaitMinutes: g.maxWaitMinutes,
      lockedCount: g.lockedCount,
      ids: g.ids.slice(0, 200),
      frames: g.frames,
      createdBy: g.createdBy,
      search: `${g.state}\n${g.frames.map((f) => `${f.func} ${f.file}`).join('\n')}\n${g.createdBy?.func ?? ''}`.toLowerCase(),
    })),
  };
}

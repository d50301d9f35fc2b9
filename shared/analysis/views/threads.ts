/** The Threads view: native stack groups and every thread's state, CPU ticks and context switches. */
import { NAMES } from '../../artifacts/registry';
import { parseProcSched } from '../../parsers/procSched';
import { parseProcStat } from '../../parsers/procStat';
import { describeError } from '../../parsers/result';
import { parseNativeStacks } from '../../parsers/stacks';
import { artifactText, type ArtifactFiles } from '../artifactContent';

export interface ThreadRow {
  readonly tid: number;
  readonly comm: string;
  readonly state: string;
  readonly utimeTicks: number | null;
  readonly stimeTicks: number | null;
  readonly processor: number | null;
  readonly voluntarySwitches: number | null;
  readonly involuntarySwitches: number | null;
  readonly groupIndex: number | null;
}

export interface ThreadsView {
  readonly error: string | null;
  readonly tool: string | null;
  readonly groups: readonly {
    readonly count: number;
    readonly state: string;
    readonly tids: readonly number[];
    readonly frames: readonly { readonly func: string; readonly file: string | null; readonly line: number | null; readonly goRuntime: boolean }[];
  }[];
  readonly threads: readonly ThreadRow[];
}

/** The Threads view takes nothing but the artifacts. */
export type ThreadsRequest = Readonly<Record<string, never>>;

export function buildThreadsView(files: ArtifactFiles): ThreadsView {
  const stacksText = artifactText(files[NAMES.nativeStacks]);
  const stacks = stacksText ? parseNativeStacks(stacksText) : null;
  const groups = stacks?.ok
    ? stacks.value.groups.map((g) => ({ count: g.count, state: g.state, tids: g.tids, frames: g.frames.map((f) => ({ func: f.func, file: f.file, line: f.line, goRuntime: f.goRuntime })) }))
    : [];
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => g.tids.forEach((t) => groupOf.set(t, i)));
  // One pass over the names: tid → file → text (a lookup per thread would be quadratic at 4,096 threads).
  const byTid = new Map<number, Map<string, string>>();
  for (const [k, v] of Object.entries(files)) {
    const m = /(?:^|\/)task\/(\d+)\/(\w+)$/.exec(k);
    if (!m || typeof v !== 'string') continue;
    const tid = Number(m[1]);
    let per = byTid.get(tid);
    if (!per) byTid.set(tid, (per = new Map()));
    per.set(m[2]!, v);
  }
  const tids = byTid.keys();
  const find = (tid: number, f: string) => byTid.get(tid)?.get(f);
  const threads = [...tids]
    .sort((a, b) => a - b)
    .map((tid): ThreadRow => {
      const st = find(tid, 'stat');
      const stat = st ? parseProcStat(st) : null;
      const sc = find(tid, 'sched');
      const sched = sc ? parseProcSched(sc) : null;
      return {
        tid,
        comm: (find(tid, 'comm') ?? (stat?.ok ? stat.value.comm : '')).trim(),
        state: stat?.ok ? stat.value.state : '?',
        utimeTicks: stat?.ok ? stat.value.utimeTicks : null,
        stimeTicks: stat?.ok ? stat.value.stimeTicks : null,
        processor: stat?.ok ? stat.value.processor : null,
        voluntarySwitches: sched?.ok ? sched.value.voluntarySwitches : null,
        involuntarySwitches: sched?.ok ? sched.value.involuntarySwitches : null,
        groupIndex: groupOf.get(tid) ?? null,
      };
    });
  const error = !stacksText ? 'no native stacks in this session (stacks were off, or no stack tool was installed)' : stacks && !stacks.ok ? `stacks: ${describeError(stacks.error)}` : null;
  return { error, tool: stacks?.ok ? stacks.value.tool : null, groups, threads };
}

/**
 * Goroutine dumps: /debug/pprof/goroutine?debug=2 and the tracebacks a Go
 * program prints on panic or SIGQUIT (GOTRACEBACK=all/system/crash). A
 * header is "goroutine N [state, W minutes, locked to thread]:"; Go 1.23+
 * may add "gp=… m=… mp=…" before the bracket. Then pairs of lines
 * "func(args)" / "\tfile:line +0xoff", "...additional frames elided...",
 * "created by F in goroutine M" (Go 1.21+; older dumps omit the parent),
 * and with GODEBUG=tracebackancestors "[originating from goroutine K]:".
 * Anything outside goroutine blocks (panic message, registers) is skipped.
 * A malformed block (a function line that is not "name(args)", a function
 * or "created by" without its file:line, a header without frames) is kept as
 * far as it goes, with a warning on the line where gostackparse reports its
 * error.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface GoFrame {
  readonly func: string;
  readonly file: string;
  readonly line: number;
  /** The argument list as printed, "(...)" for inlined frames. */
  readonly args: string;
}

export interface Goroutine {
  readonly id: number;
  /** "chan receive", "select", "IO wait", "running", "syscall", … */
  readonly state: string;
  readonly waitMinutes: number;
  readonly lockedToThread: boolean;
  readonly frames: readonly GoFrame[];
  readonly elided: boolean;
  readonly createdBy: { readonly func: string; readonly file: string; readonly line: number; readonly parent: number | null } | null;
  /** Goroutine IDs from "[originating from goroutine K]" (GODEBUG=tracebackancestors). */
  readonly ancestors: readonly number[];
  /** At least one frame is C code reached through cgo. */
  readonly cgo: boolean;
  /** 1-based line of the header in the dump. */
  readonly line: number;
}

export interface GoroutineGroup {
  readonly state: string;
  /** "func file:line" top to bottom, plus the creator; the grouping key. */
  readonly key: string;
  readonly count: number;
  readonly ids: readonly number[];
  readonly maxWaitMinutes: number;
  readonly lockedCount: number;
  readonly frames: readonly GoFrame[];
  readonly createdBy: Goroutine['createdBy'];
}

export interface GoroutineDump {
  readonly goroutines: readonly Goroutine[];
  readonly groups: readonly GoroutineGroup[];
  /** Count per state, most common first. */
  readonly states: readonly { readonly state: string; readonly count: number }[];
  /** The panic or signal message before the first goroutine, if any. */
  readonly preamble: string;
}

const HEADER = /^goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\]]*)\]:$/;
const ORIGIN = /^\[originating from goroutine (\d+)\]:$/;
const LOCATION = /^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?$/;
const CREATED = /^created by (.+?)(?: in goroutine (\d+))?$/;
const MAX_PREAMBLE = 4096;
/** Shared by every goroutine without tracebackancestors, which is nearly all of them. */
const NO_ANCESTORS: readonly number[] = Object.freeze([]);

function splitState(raw: string): { state: string; waitMinutes: number; lockedToThread: boolean } {
  if (!raw.includes(', ')) return { state: raw, waitMinutes: 0, lockedToThread: false };
  let waitMinutes = 0;
  let locked = false;
  const parts = raw.split(', ');
  let state = parts[0] ?? '';
  for (const p of parts.slice(1)) {
    const m = /^(\d+) minutes?$/.exec(p);
    if (m) waitMinutes = Number(m[1]);
    else if (p === 'locked to thread') locked = true;
    else state += `, ${p}`; // e.g. "syscall, 5 minutes" handled above; keep unknown qualifiers
  }
  return { state, waitMinutes, lockedToThread: locked };
}

/** "pkg.(*T).Method(0x1, {0x2, 0x3})" → ["pkg.(*T).Method", "(0x1, {0x2, 0x3})"]. */
function splitCall(line: string): [string, string] {
  if (!line.endsWith(')')) return [line, ''];
  let depth = 0;
  for (let i = line.length - 1; i >= 0; i--) {
    const c = line[i];
    if (c === ')') depth++;
    else if (c === '(') {
      depth--;
      if (depth === 0) {
        // "(*T)" inside the name is preceded by '.', an argument list is not.
        if (i > 0 && line[i - 1] === '.') return [line, ''];
        return [line.slice(0, i), line.slice(i)];
      }
    }
  }
  return [line, ''];
}

export function parseGoroutineDump(text: string): ParseResult<GoroutineDump> {
  const goroutines: Goroutine[] = [];
  const warnings: ParseWarning[] = [];
  const warn = (message: string, line: number) => {
    if (warnings.length < 100) warnings.push({ message, line });
  };
  let preamble = '';
  // The goroutine being read is the model object itself, filled in place: one allocation per
  // goroutine instead of a builder and a copy (100,000 goroutines made that the GC's main work).
  type Building = { -readonly [K in keyof Goroutine]: Goroutine[K] } & { frames: GoFrame[] };
  let cur: Building | null = null;
  let pendingFunc: string | null = null;
  let inAncestor = false;
  // Dumps repeat the same frames across thousands of goroutines: one object per distinct
  // (function line, location line) pair keeps memory and GC proportional to distinct frames.
  const frameCache = new Map<string, Map<string, GoFrame>>();
  const creatorCache = new Map<string, Map<string, NonNullable<Goroutine['createdBy']>>>();
  const stateCache = new Map<string, ReturnType<typeof splitState>>();
  const bareFrame = (funcLine: string): GoFrame => {
    const [func, args] = splitCall(funcLine);
    return { func, args, file: '', line: 0 };
  };
  /** The function line waiting for its location gets none: `at` is the line where it was expected. */
  const unlocated = (at: number) => {
    const funcLine = pendingFunc!;
    pendingFunc = null;
    warn(`${funcLine.startsWith('created by ') ? `"${funcLine.slice(0, 80)}"` : `the call ${JSON.stringify(funcLine.slice(0, 80))}`} has no "\tfile:line" after it`, at);
    if (!funcLine.startsWith('created by ')) cur!.frames.push(bareFrame(funcLine));
  };
  /** The block ends at line `at` (a blank line, the next header, or the end of the text). */
  const flush = (at: number) => {
    if (!cur) return;
    if (pendingFunc) unlocated(at);
    if (cur.frames.length === 0 && cur.createdBy === null && cur.ancestors === NO_ANCESTORS) warn(`goroutine ${cur.id} has no frames (the dump was cut, or its stack was not printed)`, cur.line + 1);
    inAncestor = false;
    goroutines.push(cur);
    cur = null;
  };
  /** "goroutine N [state]:" without a regex for the common shape; null when it is not one. */
  const header = (line: string): { id: number; rawState: string } | null => {
    const open = line.indexOf(' [', 10);
    if (open < 0 || !line.endsWith(']:')) return null;
    const idEnd = line.indexOf(' ', 10);
    const id = Number(line.slice(10, idEnd));
    if (idEnd === open && Number.isSafeInteger(id) && idEnd > 10) return { id, rawState: line.slice(open + 2, -2) };
    const h = HEADER.exec(line);
    return h ? { id: Number(h[1]), rawState: h[2]! } : null;
  };
  let pos = 0;
  let n = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const raw = text.slice(pos, nl);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    pos = nl + 1;
    n++;
    const c0 = line.charCodeAt(0);
    // Cheap first-character dispatch before any regex: most lines are frames ("func(" / "\tfile:line").
    const h = c0 === 103 /* g */ && line.startsWith('goroutine ') ? header(line) : null;
    if (h) {
      flush(n);
      let st = stateCache.get(h.rawState);
      if (!st) stateCache.set(h.rawState, (st = splitState(h.rawState)));
      cur = { id: h.id, state: st.state, waitMinutes: st.waitMinutes, lockedToThread: st.lockedToThread, frames: [], elided: false, createdBy: null, ancestors: NO_ANCESTORS, cgo: false, line: n };
      continue;
    }
    if (!cur) {
      if (goroutines.length === 0 && preamble.length < MAX_PREAMBLE) preamble += `${line}\n`;
      continue;
    }
    if (line === '') {
      if (pendingFunc) unlocated(n);
      else if (cur.frames.length === 0 && cur.createdBy === null && cur.ancestors === NO_ANCESTORS && !inAncestor) flush(n);
      continue;
    }
    const origin = c0 === 91 /* [ */ ? ORIGIN.exec(line) : null;
    if (origin) {
      if (cur.ancestors === NO_ANCESTORS) cur.ancestors = [];
      (cur.ancestors as number[]).push(Number(origin[1]));
      inAncestor = true;
      continue;
    }
    if (inAncestor) continue; // ancestor frames describe the parent's stack at creation
    if (c0 === 9 /* \t */ && pendingFunc !== null) {
      const funcLine = pendingFunc;
      if (funcLine.startsWith('created by ')) {
        let inner = creatorCache.get(funcLine);
        let created = inner?.get(line);
        if (!created) {
          const loc = LOCATION.exec(line);
          if (!loc) {
            warn(`unrecognised location line ${JSON.stringify(line.slice(0, 60))}`, n);
            continue;
          }
          const c = CREATED.exec(funcLine)!;
          created = { func: c[1]!, file: loc[1]!, line: Number(loc[2]), parent: c[2] ? Number(c[2]) : null };
          if (!inner) creatorCache.set(funcLine, (inner = new Map()));
          inner.set(line, created);
        }
        pendingFunc = null;
        cur.createdBy = created;
        continue;
      }
      let inner = frameCache.get(funcLine);
      let frame = inner?.get(line);
      if (!frame) {
        const loc = LOCATION.exec(line);
        if (!loc) {
          warn(`unrecognised location line ${JSON.stringify(line.slice(0, 60))}`, n);
          continue;
        }
        const [func, args] = splitCall(funcLine);
        frame = { func, args, file: loc[1]!, line: Number(loc[2]) };
        if (!inner) frameCache.set(funcLine, (inner = new Map()));
        inner.set(line, frame);
      }
      pendingFunc = null;
      cur.frames.push(frame);
      if (frame.func === 'runtime.cgocall' || frame.func === 'runtime.asmcgocall' || frame.func.startsWith('_cgo_')) cur.cgo = true;
      continue;
    }
    if (c0 === 9 && pendingFunc === null && LOCATION.test(line)) {
      warn('a file:line without a function line before it', n);
      continue;
    }
    if (line.startsWith('...') && line.includes('frames elided')) {
      cur.elided = true;
      continue;
    }
    if (line.startsWith('\t')) {
      warn(`unrecognised location line ${JSON.stringify(line.slice(0, 60))}`, n);
      continue;
    }
    if (!line.includes('(') && (/^(r[a-z0-9]+|rip|rflags|cs|fs|gs|PC|pc|sp|lr)\s*[= ]\s*0x/i.test(line) || /^(SIGQUIT|SIG[A-Z]+|PC=|signal arrived|\[signal )/.test(line))) {
      flush(n);
      continue;
    }
    if (pendingFunc) unlocated(n);
    // A frame is "name(args)"; "created by name" ends the block. Anything else is kept as printed, with a warning.
    // (A line seen before as a frame was checked then.)
    if (!frameCache.has(line) && !line.startsWith('created by ') && (!line.endsWith(')') || splitCall(line)[1] === ''))
      warn(`expected a call "name(args)", found ${JSON.stringify(line.slice(0, 80))}`, n);
    pendingFunc = line;
  }
  flush(n + 1);
  if (goroutines.length === 0) {
    return failed({ message: 'no "goroutine N [state]:" header found; is this a goroutine dump (debug=2) or a Go traceback?', line: 1 }, warnings);
  }
  return parsed({ goroutines, groups: groupGoroutines(goroutines), states: countStates(goroutines), preamble: preamble.trimEnd() }, warnings);
}

function countStates(gs: readonly Goroutine[]): GoroutineDump['states'] {
  const m = new Map<string, number>();
  for (const g of gs) m.set(g.state, (m.get(g.state) ?? 0) + 1);
  return [...m.entries()].map(([state, count]) => ({ state, count })).sort((a, b) => b.count - a.count || a.state.localeCompare(b.state));
}

/** Same state, same frames (function and line) and same creator form one group, as panicparse does in its exact mode. */
export function groupGoroutines(gs: readonly Goroutine[]): GoroutineGroup[] {
  const groups = new Map<string, { state: string; key: string; ids: number[]; maxWait: number; locked: number; frames: readonly GoFrame[]; createdBy: Goroutine['createdBy'] }>();
  // Frames and creators get small integer ids by content (once per distinct object), so a
  // goroutine's key is a short string of ids rather than its whole stack text.
  const idOfObject = new Map<object, number>();
  const idOfText = new Map<string, number>();
  const idOf = (o: object, text: () => string): number => {
    let id = idOfObject.get(o);
    if (id === undefined) {
      const t = text();
      id = idOfText.get(t);
      if (id === undefined) idOfText.set(t, (id = idOfText.size));
      idOfObject.set(o, id);
    }
    return id;
  };
  for (const g of gs) {
    let key = g.state;
    for (const f of g.frames) key += `,${idOf(f, () => `${f.func} ${f.file}:${f.line}`)}`;
    if (g.createdBy) key += `|${idOf(g.createdBy, () => `${g.createdBy!.func} ${g.createdBy!.file}:${g.createdBy!.line}`)}`;
    const e = groups.get(key);
    if (e) {
      e.ids.push(g.id);
      if (g.waitMinutes > e.maxWait) e.maxWait = g.waitMinutes;
      if (g.lockedToThread) e.locked++;
    } else groups.set(key, { state: g.state, key, ids: [g.id], maxWait: g.waitMinutes, locked: g.lockedToThread ? 1 : 0, frames: g.frames, createdBy: g.createdBy });
  }
  return [...groups.values()]
    .map((e) => ({ state: e.state, key: e.key, count: e.ids.length, ids: e.ids, maxWaitMinutes: e.maxWait, lockedCount: e.locked, frames: e.frames, createdBy: e.createdBy }))
    .sort((a, b) => b.count - a.count || b.maxWaitMinutes - a.maxWaitMinutes || a.ids[0]! - b.ids[0]!);
}

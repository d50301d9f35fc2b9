/**
 * Native thread stacks from eu-stack, gdb's `thread apply all bt` (old and
 * new gdb, and the pstack/gstack wrappers, which print the same thing), as
 * threads of frames, then aggregated into identical-stack groups with
 * counts, the way pt-pmp does. Go runtime frames are marked so views can
 * tell "parked in the scheduler" from "in a syscall" at a glance.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export type StackTool = 'eu-stack' | 'gdb';

export interface NativeFrame {
  readonly pc: string | null;
  /** Function name; '??' when the tool could not name it. */
  readonly func: string;
  readonly file: string | null;
  readonly line: number | null;
  /** Shared object for frames gdb reports "from /lib/…". */
  readonly module: string | null;
  readonly goRuntime: boolean;
}

export interface NativeThread {
  readonly tid: number;
  readonly name: string | null;
  readonly frames: readonly NativeFrame[];
}

export interface StackGroup {
  /** Function names top to bottom: the grouping key. */
  readonly funcs: readonly string[];
  readonly count: number;
  readonly tids: readonly number[];
  readonly frames: readonly NativeFrame[];
  /** A short description of where these threads wait, from the top frames. */
  readonly state: string;
}

export interface NativeStacks {
  readonly tool: StackTool;
  readonly pid: number | null;
  readonly threads: readonly NativeThread[];
  readonly groups: readonly StackGroup[];
}

const MAX_LINES = 5_000_000;

export function isGoRuntimeFunc(func: string): boolean {
  return /^(runtime|internal\/runtime|runtime\/internal)[./]/.test(func) || func.startsWith('gosave_systemstack_switch') || func.startsWith('runtime·');
}

/** "runtime.futex.abi0" → "runtime.futex"; gdb prints the same function without the ABI suffix. */
function normalizeFunc(func: string): string {
  return func.replace(/\.abi[01]$/, '');
}

/** What a stack is doing, judged from its innermost frames. */
export function describeNativeStack(funcs: readonly string[]): string {
  const top = funcs.slice(0, 8).join(' ');
  if (/runtime\.(stopm|stoplockedm|mPark|notesleep)/.test(top) && /runtime\.(findRunnable|schedule|park_m|stoplockedm|templateThread)/.test(top)) return 'idle M (parked in the scheduler)';
  if (/runtime\.netpoll|EpollWait/.test(top)) return 'netpoller (epoll_wait)';
  if (/runtime\.(usleep|sysmon)/.test(top) && /runtime\.sysmon/.test(top)) return 'sysmon';
  if (/runtime\.gcBgMarkWorker|runtime\.gcDrain/.test(top)) return 'GC worker';
  if (/syscall\.|Syscall6?|^__GI_|epoll_wait|poll|read|write|nanosleep|futex/.test(funcs[0] ?? '')) return `in ${funcs[0]}`;
  return funcs[0] ? `running ${funcs[0]}` : 'no frames';
}

export function parseNativeStacks(text: string): ParseResult<NativeStacks> {
  if (/^(PID \d+ - process|TID \d+:)/m.test(text.slice(0, 4096))) return parseEuStack(text);
  if (/^Thread \d+ \(/m.test(text)) return parseGdb(text);
  const first = text.split('\n', 1)[0] ?? '';
  return failed({ message: `not eu-stack ("PID N - process", "TID N:") or gdb ("Thread N (…):") output; starts with ${JSON.stringify(first.slice(0, 60))}`, line: 1 });
}

function lines(text: string, visit: (line: string, n: number) => boolean | void): number {
  let pos = 0;
  let n = 0;
  while (pos < text.length && n < MAX_LINES) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    n++;
    if (visit(text.slice(pos, nl), n) === false) break;
    pos = nl + 1;
  }
  return n;
}

function parseEuStack(text: string): ParseResult<NativeStacks> {
  const threads: NativeThread[] = [];
  const warnings: ParseWarning[] = [];
  let pid: number | null = null;
  let cur: { tid: number; frames: NativeFrame[] } | null = null;
  const flush = () => {
    if (cur) threads.push({ tid: cur.tid, name: null, frames: cur.frames });
    cur = null;
  };
  lines(text, (line, n) => {
    let m: RegExpExecArray | null;
    if ((m = /^PID (\d+) - process/.exec(line))) pid = Number(m[1]);
    else if ((m = /^TID (\d+):/.exec(line))) {
      flush();
      cur = { tid: Number(m[1]), frames: [] };
    } else if ((m = /^#(\d+)\s+(0x[0-9a-f]+)(?:\s+(\S+))?(?:\s+-\s+(\S+))?/.exec(line))) {
      if (!cur) {
        warnings.push({ message: 'frame before any "TID N:" line', line: n });
        return;
      }
      const func = normalizeFunc(m[3] ?? '??');
      cur.frames.push({ pc: m[2]!, func, file: null, line: null, module: m[4] ?? null, goRuntime: isGoRuntimeFunc(func) });
    } else if (line.startsWith('eu-stack:')) {
      if (warnings.length < 100) warnings.push({ message: line.slice(0, 200), line: n });
    } else if (line.trim() !== '' && warnings.length < 100) warnings.push({ message: `unrecognised line ${JSON.stringify(line.slice(0, 60))}`, line: n });
  });
  flush();
  return parsed({ tool: 'eu-stack', pid, threads, groups: groupStacks(threads) }, warnings);
}

// "#1  0x000000000044b290 in runtime.futexsleep (addr=…) at runtime/os_linux.go:73"
// "#0  runtime.futex () at runtime/sys_linux_amd64.s:570"
// "#0  0x00007f… in poll () from /lib64/libc.so.6"
const GDB_FRAME = /^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(.+?)(?: \(.*?\))?(?: at (\S+?):(\d+)| from (\S+))?$/;

function parseGdb(text: string): ParseResult<NativeStacks> {
  const threads: NativeThread[] = [];
  const warnings: ParseWarning[] = [];
  let cur: { tid: number; name: string | null; frames: NativeFrame[] } | null = null;
  const flush = () => {
    if (cur) threads.push(cur);
    cur = null;
  };
  lines(text, (line, n) => {
    // New gdb: Thread 10 (LWP 18519 "name"):  / Thread 2 (Thread 0x7f… (LWP 1235) "name"):  / old: Thread 2 (Thread 0x7f… (LWP 1235)):
    const t = /^Thread \d+ \((?:Thread 0x[0-9a-f]+ \()?LWP (\d+)\)?(?: "(.*)")?\)?:/.exec(line);
    if (t) {
      flush();
      cur = { tid: Number(t[1]), name: t[2] ?? null, frames: [] };
      return;
    }
    if (!line.startsWith('#')) return; // gdb chatter: [New LWP …], source lines, warnings
    if (!cur) return; // frames printed for the current thread before `thread apply` are repeated below
    const m = GDB_FRAME.exec(line);
    if (!m) {
      if (warnings.length < 100) warnings.push({ message: `unrecognised frame ${JSON.stringify(line.slice(0, 60))}`, line: n });
      return;
    }
    const func = normalizeFunc(m[3]!.trim());
    cur.frames.push({ pc: m[2] ?? null, func, file: m[4] ?? null, line: m[5] ? Number(m[5]) : null, module: m[6] ?? null, goRuntime: isGoRuntimeFunc(func) });
  });
  flush();
  if (threads.length === 0) return failed({ message: 'gdb output without any "Thread N (LWP …)" block', line: 1 }, warnings);
  // gdb lists threads highest number first; present them by TID like eu-stack.
  threads.sort((a, b) => a.tid - b.tid);
  return parsed({ tool: 'gdb', pid: null, threads, groups: groupStacks(threads) }, warnings);
}

/** Identical function sequences form one group; the final unnamed frames (stack ends, "??") do not split groups. */
export function groupStacks(threads: readonly NativeThread[]): StackGroup[] {
  const groups = new Map<string, { funcs: string[]; tids: number[]; frames: readonly NativeFrame[] }>();
  for (const t of threads) {
    const funcs = t.frames.map((f) => f.func);
    while (funcs.length > 0 && funcs[funcs.length - 1] === '??') funcs.pop();
    const key = funcs.join('\n');
    const g = groups.get(key);
    if (g) g.tids.push(t.tid);
    else groups.set(key, { funcs, tids: [t.tid], frames: t.frames });
  }
  return [...groups.values()]
    .map((g) => ({ funcs: g.funcs, count: g.tids.length, tids: g.tids, frames: g.frames, state: describeNativeStack(g.funcs) }))
    .sort((a, b) => b.count - a.count || a.funcs.join().localeCompare(b.funcs.join()));
}

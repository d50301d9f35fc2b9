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
  /** The stack as pt-pmp writes it (its grouping key): see ptPmpFrame. */
  readonly key: string;
}

export interface StackGroup {
  /**
   * pt-pmp's line for these threads: each frame's function, with the library or the source file
   * (when the tool printed an absolute path), and unnamed frames as "??", "::??" or "LIB::??" by
   * where they are. Threads are grouped by it, so stacks that differ only in their unnamed frames
   * stay apart, as pt-pmp keeps them.
   */
  readonly key: string;
  /** Function names top to bottom. */
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
  let cur: { tid: number; frames: NativeFrame[]; tokens: string[] } | null = null;
  const flush = () => {
    if (cur) threads.push({ tid: cur.tid, name: null, frames: cur.frames, key: cur.tokens.join(',') });
    cur = null;
  };
  lines(text, (line, n) => {
    let m: RegExpExecArray | null;
    if ((m = /^PID (\d+) - process/.exec(line))) pid = Number(m[1]);
    else if ((m = /^TID (\d+):/.exec(line))) {
      flush();
      cur = { tid: Number(m[1]), frames: [], tokens: [] };
    } else if ((m = /^#\d+\s+(0x[0-9a-f]+)(?:\s+(.*))?$/.exec(line))) {
      if (!cur) {
        warnings.push({ message: 'frame before any "TID N:" line', line: n });
        return;
      }
      // "#3  0x… name(args) - /path/module   /src/file.cc:2529:14": the module, and the source position when eu-stack printed one (-s).
      const rest = m[2] ?? '';
      const dash = rest.indexOf(' - ');
      const where =
        dash >= 0
          ? rest
              .slice(dash + 3)
              .trim()
              .split(/\s+/)
          : [];
      const token = (dash >= 0 ? rest.slice(0, dash) : rest).trim().split(/\s+/, 1)[0] ?? '';
      const func = normalizeFunc(token.replace(/\(.*$/, '') || '??');
      const src = where[1] ? /^(.*?):(\d+)(?::\d+)?$/.exec(where[1]) : null;
      cur.frames.push({ pc: m[1]!, func, file: src ? src[1]! : null, line: src ? Number(src[2]) : null, module: where[0] ?? null, goRuntime: isGoRuntimeFunc(func) });
      cur.tokens.push(ptPmpEuFrame(line));
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
  let cur: { tid: number; name: string | null; frames: NativeFrame[]; tokens: string[] } | null = null;
  const pmp = { tfile: '' };
  const flush = () => {
    if (cur) threads.push({ tid: cur.tid, name: cur.name, frames: cur.frames, key: cur.tokens.join(',') });
    cur = null;
  };
  lines(text, (line, n) => {
    // New gdb: Thread 10 (LWP 18519 "name"):  / Thread 2 (Thread 0x7f… (LWP 1235) "name"):  / old: Thread 2 (Thread 0x7f… (LWP 1235)):
    // and older still, the pthread id in decimal: Thread 2408 (Thread 1098357056 (LWP 5557)):
    const t = /^Thread \d+ \((?:Thread (?:0x[0-9a-f]+|\d+) \()?LWP (\d+)\)?(?: "(.*)")?\)?:/.exec(line);
    if (t) {
      flush();
      cur = { tid: Number(t[1]), name: t[2] ?? null, frames: [], tokens: [] };
      return;
    }
    if (!line.startsWith('#')) return; // gdb chatter: [New LWP …], source lines, warnings
    if (!cur) return; // frames printed for the current thread before `thread apply` are repeated below
    cur.tokens.push(ptPmpGdbFrame(line, pmp));
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

/** awk's fields: the line split on runs of blanks, $1 first; '' past the end. */
function awkFields(line: string): string[] {
  return line.trim().split(/[ \t]+/);
}

/** awk's `fname`: a name, then "(basename)" when the frame's last field is an absolute path (a library, or a source file and line); names with "@@" lose the version and the file. */
function withFile(targ: string, last: string): string {
  if (targ.includes('@@')) return targ.slice(0, targ.indexOf('@@'));
  return last.startsWith('/') ? `${targ}(${last.slice(last.lastIndexOf('/') + 1)})` : targ;
}

/**
 * One gdb frame line as pt-pmp's aggregate_stacktrace (percona-toolkit bin/pt-pmp) writes it:
 * the function from "in NAME" with templates, argument lists, void/const and spaces removed when
 * it has any; an unnamed frame "??" at a non-zero address becomes "LIB::??" (the library's name up
 * to its first dot, or "::??" without one), at address zero stays "??"; a frame without an address
 * is its second field. The file appended is pt-pmp's `tfile`, which lives on from frame to frame
 * (and thread to thread) of one dump, as in pt-pmp: a frame with an address sets it to its last
 * field, unless its name starts with void or const; a frame without one (an inlined call) only
 * when its last field is an absolute path (PT-2211), else it shows the file of the frame before.
 * So, as with pt-pmp, such a frame can take a file from the frame printed before it.
 */
export function ptPmpGdbFrame(line: string, state: { tfile: string }): string {
  const f = awkFields(line);
  const $ = (i: number) => f[i - 1] ?? '';
  const last = $(f.length);
  let targ: string;
  if ($(2).includes('0x')) {
    if (/void|const/.test($(4))) targ = $(5);
    else {
      targ = $(4);
      state.tfile = last;
    }
    if (/[<(]/.test(targ)) {
      // awk's index() is 0 when absent, so substr starts at character 4 either way.
      targ = line.slice(line.indexOf(' in ') + 4);
      if (targ.includes(' from ')) targ = targ.slice(0, targ.indexOf(' from '));
      if (targ.includes(' at ')) targ = targ.slice(0, targ.indexOf(' at '));
      for (let prev = ''; targ.includes('>::') && prev !== targ;) {
        prev = targ;
        targ = targ.replace(/<[^<>]*>/g, '');
      }
      for (let prev = ''; targ.includes('(') && prev !== targ;) {
        prev = targ;
        targ = targ.replace(/\([^()]*\)/g, '');
      }
      targ = targ.replace(/ ?(void|const) ?/g, '').replace(/ /g, '');
    } else if (targ.includes('??') && /[1-9]/.test($(2))) {
      const lib = last.slice(last.lastIndexOf('/') + 1);
      targ = `${lib.includes('.') ? lib.slice(0, lib.indexOf('.')) : ''}::??`;
    }
  } else {
    targ = $(2);
    if (last.startsWith('/')) state.tfile = last;
  }
  return withFile(targ, state.tfile);
}

/**
 * One eu-stack frame line ("#N 0xPC name(args) - /module   /src/file.c:12:3") as pt-pmp -d eu
 * writes it (stacktrace006-eu-deu.out): the name's first word without its argument list (eu-stack
 * prints an unnamed frame in a module as "??()"), then "(basename)" of the last field when that is
 * an absolute path. A bare address (a frame eu-stack could not place in any module, as at the
 * bottom of Go's threads) is "??" here.
 */
export function ptPmpEuFrame(line: string): string {
  const f = awkFields(line);
  if (f.length < 3) return '??';
  const name = f[2] !== '-' ? f[2]!.replace(/\(.*$/, '') : '';
  return withFile(name, f[f.length - 1]!);
}

/** Threads with the same pt-pmp line form one group, in pt-pmp's order: most threads first. */
export function groupStacks(threads: readonly NativeThread[]): StackGroup[] {
  const groups = new Map<string, { key: string; tids: number[]; frames: readonly NativeFrame[] }>();
  for (const t of threads) {
    const g = groups.get(t.key);
    if (g) g.tids.push(t.tid);
    else groups.set(t.key, { key: t.key, tids: [t.tid], frames: t.frames });
  }
  return [...groups.values()]
    .map((g) => {
      const funcs = g.frames.map((f) => f.func);
      return { key: g.key, funcs, count: g.tids.length, tids: g.tids, frames: g.frames, state: describeNativeStack(funcs) };
    })
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/**
 * The Go 1.22+ execution trace wire format's event table: numeric type,
 * name and argument count, per trace version (1.22, 1.23, 1.25, 1.26; Go
 * 1.24 writes the 1.23 format). The numbers are the order of the iota block
 * in golang.org/x/exp/trace/internal/tracev2/events.go; see
 * ../shared/reference/go-runtime-facts.md §1.5.
 */

export const Ev = {
  EventBatch: 1,
  Stacks: 2,
  Stack: 3,
  Strings: 4,
  String: 5,
  CPUSamples: 6,
  CPUSample: 7,
  Frequency: 8,
  ProcsChange: 9,
  ProcStart: 10,
  ProcStop: 11,
  ProcSteal: 12,
  ProcStatus: 13,
  GoCreate: 14,
  GoCreateSyscall: 15,
  GoStart: 16,
  GoDestroy: 17,
  GoDestroySyscall: 18,
  GoStop: 19,
  GoBlock: 20,
  GoUnblock: 21,
  GoSyscallBegin: 22,
  GoSyscallEnd: 23,
  GoSyscallEndBlocked: 24,
  GoStatus: 25,
  STWBegin: 26,
  STWEnd: 27,
  GCActive: 28,
  GCBegin: 29,
  GCEnd: 30,
  GCSweepActive: 31,
  GCSweepBegin: 32,
  GCSweepEnd: 33,
  GCMarkAssistActive: 34,
  GCMarkAssistBegin: 35,
  GCMarkAssistEnd: 36,
  HeapAlloc: 37,
  HeapGoal: 38,
  GoLabel: 39,
  UserTaskBegin: 40,
  UserTaskEnd: 41,
  UserRegionBegin: 42,
  UserRegionEnd: 43,
  UserLog: 44,
  GoSwitch: 45,
  GoSwitchDestroy: 46,
  GoCreateBlocked: 47,
  GoStatusStack: 48,
  ExperimentalBatch: 49,
  Sync: 50,
  ClockSnapshot: 51,
  EndOfGeneration: 52,
} as const;

/** Timed events: [name, number of uvarint arguments including the leading timestamp delta]. */
const TIMED: Readonly<Record<number, readonly [string, number]>> = {
  9: ['ProcsChange', 3],
  10: ['ProcStart', 3],
  11: ['ProcStop', 1],
  12: ['ProcSteal', 4],
  13: ['ProcStatus', 3],
  14: ['GoCreate', 4],
  15: ['GoCreateSyscall', 2],
  16: ['GoStart', 3],
  17: ['GoDestroy', 1],
  18: ['GoDestroySyscall', 1],
  19: ['GoStop', 3],
  20: ['GoBlock', 3],
  21: ['GoUnblock', 4],
  22: ['GoSyscallBegin', 3],
  23: ['GoSyscallEnd', 1],
  24: ['GoSyscallEndBlocked', 1],
  25: ['GoStatus', 4],
  26: ['STWBegin', 3],
  27: ['STWEnd', 1],
  28: ['GCActive', 2],
  29: ['GCBegin', 3],
  30: ['GCEnd', 2],
  31: ['GCSweepActive', 2],
  32: ['GCSweepBegin', 2],
  33: ['GCSweepEnd', 3],
  34: ['GCMarkAssistActive', 2],
  35: ['GCMarkAssistBegin', 2],
  36: ['GCMarkAssistEnd', 1],
  37: ['HeapAlloc', 2],
  38: ['HeapGoal', 2],
  39: ['GoLabel', 2],
  40: ['UserTaskBegin', 5],
  41: ['UserTaskEnd', 3],
  42: ['UserRegionBegin', 4],
  43: ['UserRegionEnd', 4],
  44: ['UserLog', 5],
  45: ['GoSwitch', 3],
  46: ['GoSwitchDestroy', 3],
  47: ['GoCreateBlocked', 4],
  48: ['GoStatusStack', 5],
  51: ['ClockSnapshot', 4],
  // The AllocFree experiment (GODEBUG=traceallocfree=1), numbered from MaxEvent+1 = 128.
  128: ['Span', 4],
  129: ['SpanAlloc', 4],
  130: ['SpanFree', 2],
  131: ['HeapObject', 3],
  132: ['HeapObjectAlloc', 3],
  133: ['HeapObjectFree', 2],
  134: ['GoroutineStack', 3],
  135: ['GoroutineStackAlloc', 3],
  136: ['GoroutineStackFree', 2],
};

/** Trace format versions of the new tracer and the last event type each defines. */
export const WIRE_VERSIONS: Readonly<Record<number, number>> = { 22: Ev.UserLog, 23: Ev.ExperimentalBatch, 25: Ev.ClockSnapshot, 26: Ev.EndOfGeneration };
/** The old tracer's formats (Go 1.11-1.21), recognised by version and reported, not parsed. */
export const OLD_VERSIONS: readonly number[] = [11, 19, 21];

/** Argument counts indexed by event type; 0 for types that are not timed events. */
export const ARG_COUNT: Uint8Array = (() => {
  const a = new Uint8Array(256);
  for (const [t, [, n]] of Object.entries(TIMED)) a[Number(t)] = n;
  return a;
})();

export function eventName(type: number): string {
  return TIMED[type]?.[0] ?? Object.entries(Ev).find(([, v]) => v === type)?.[0] ?? `Invalid(${type})`;
}

/** What golang.org/x/exp/trace reports each wire event as (its EventKind), for counts that can be compared. */
export const KIND_OF: Readonly<Record<number, string>> = (() => {
  const k: Record<number, string> = {};
  const set = (kind: string, ...types: number[]) => types.forEach((t) => (k[t] = kind));
  set('StackSample', Ev.CPUSample);
  set('Metric', Ev.ProcsChange, Ev.HeapAlloc, Ev.HeapGoal);
  set(
    'StateTransition',
    Ev.ProcStart,
    Ev.ProcStop,
    Ev.ProcSteal,
    Ev.ProcStatus,
    Ev.GoCreate,
    Ev.GoCreateSyscall,
    Ev.GoStart,
    Ev.GoDestroy,
    Ev.GoDestroySyscall,
    Ev.GoStop,
    Ev.GoBlock,
    Ev.GoUnblock,
    Ev.GoSyscallBegin,
    Ev.GoSyscallEnd,
    Ev.GoSyscallEndBlocked,
    Ev.GoStatus,
    Ev.GoSwitch,
    Ev.GoSwitchDestroy,
    Ev.GoCreateBlocked,
    Ev.GoStatusStack,
  );
  set('RangeBegin', Ev.STWBegin, Ev.GCBegin, Ev.GCSweepBegin, Ev.GCMarkAssistBegin);
  set('RangeActive', Ev.GCActive, Ev.GCSweepActive, Ev.GCMarkAssistActive);
  set('RangeEnd', Ev.STWEnd, Ev.GCEnd, Ev.GCSweepEnd, Ev.GCMarkAssistEnd);
  set('Label', Ev.GoLabel);
  set('TaskBegin', Ev.UserTaskBegin);
  set('TaskEnd', Ev.UserTaskEnd);
  set('RegionBegin', Ev.UserRegionBegin);
  set('RegionEnd', Ev.UserRegionEnd);
  set('Log', Ev.UserLog);
  for (let t = 128; t <= 136; t++) k[t] = 'Experimental';
  return k;
})();

/** Goroutine status values in GoStatus events. */
export const GoStatus = { Bad: 0, Runnable: 1, Running: 2, Syscall: 3, Waiting: 4 } as const;
/** Proc status values in ProcStatus events. */
export const ProcStatus = { Bad: 0, Running: 1, Idle: 2, Syscall: 3, SyscallAbandoned: 4 } as const;

export const MAX_BATCH_SIZE = 64 << 10;
export const MAX_STRING_SIZE = 1 << 10;
export const MAX_FRAMES_PER_STACK = 128;

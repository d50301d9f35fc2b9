/**
 * The trace summary as text for a terminal (`gopherscope trace FILE`):
 * the numbers an SRE reads first, pauses, GC cost, scheduling latency,
 * where goroutines block and what they syscall, each with its stack.
 */
import type { PauseStats, StackTotal, TraceSummary } from './summary';

/** A duration in the unit that reads best: 1.23 s, 4.56 ms, 7.8 µs, 90 ns. */
export const formatDuration = (ns: number): string =>
  ns >= 1e9 ? `${(ns / 1e9).toFixed(2)} s` : ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${Math.round(ns)} ns`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const pct = (f: number) => `${(f * 100).toFixed(1)}%`;
const pauses = (p: PauseStats) =>
  p.count === 0 ? 'none' : `${p.count}, p50 ${formatDuration(p.p50Ns)}, p99 ${formatDuration(p.p99Ns)}, max ${formatDuration(p.maxNs)}, total ${formatDuration(p.totalNs)}`;

function stacks(rows: readonly StackTotal[], n: number): string[] {
  return rows
    .slice(0, n)
    .flatMap((r) => [`    ${formatDuration(r.totalNs)} in ${r.count}:`, ...(r.frames.length === 0 ? ['      (no stack)'] : r.frames.slice(0, 4).map((f) => `      ${f.func} ${f.file}:${f.line}`))]);
}

export function formatTraceSummary(s: TraceSummary): string {
  const lines: string[] = [];
  lines.push(`Go execution trace, format 1.${s.version ?? '?'}: ${mib(s.bytes)}, ${s.events.toLocaleString('en-US')} events, ${s.generations} generations, ${formatDuration(s.durationNs)}`);
  lines.push(
    `GOMAXPROCS ${s.gomaxprocs.initial ?? 'unknown'}${s.gomaxprocs.changes.length > 0 ? `, changed ${s.gomaxprocs.changes.length} times (to ${[...new Set(s.gomaxprocs.changes.map((c) => c.value))].join(', ')})` : ''}`,
  );
  lines.push('');
  const partial = s.gc.cycles.filter((c) => c.partial !== null).length;
  lines.push(
    `GC: ${s.gc.cycles.length} cycles${partial > 0 ? ` (${partial} cut by the trace's start or end)` : ''}${s.durationNs > 0 ? `, ${(s.gc.cycles.length / (s.durationNs / 1e9)).toFixed(1)}/s` : ''}`,
  );
  lines.push(
    `  GC CPU ${s.gc.cpuFraction === null ? 'unknown (no GOMAXPROCS in the trace)' : `${pct(s.gc.cpuFraction)} of GOMAXPROCS × duration`}: mark workers ${formatDuration(s.gc.workerNs)}, mark assists ${formatDuration(s.gc.assistNs)} running (${s.gc.assists.count} assists${s.gc.assists.partial > 0 ? `, ${s.gc.assists.partial} cut by the trace's edges` : ''}, ${formatDuration(s.gc.assists.wallNs)} inside them), GC pauses × GOMAXPROCS; idle mark workers ${formatDuration(s.gc.idleWorkerNs)} not counted`,
  );
  lines.push(`  GC pauses (sweep and mark termination): ${pauses(s.gc.pauses)}`);
  for (const r of s.stwByReason) lines.push(`  stop-the-world "${r.reason}": ${pauses(r)}`);
  const live = s.heap.live.at(-1);
  const goal = s.heap.goal.at(-1);
  if (live || goal) lines.push(`  heap live ${live ? mib(live.value) : '?'}, goal ${goal ? mib(goal.value) : '?'} at the end`);
  lines.push('');
  lines.push(`Goroutines: at most ${s.goroutines.max}`);
  lines.push(`Scheduling latency (runnable to running): ${pauses(s.schedLatency)}`);
  for (const w of s.schedLatency.worst.slice(0, 3))
    lines.push(`  G${w.g} waited ${formatDuration(w.latencyNs)}${w.frames[0] ? `, made runnable at ${w.frames[0].func} ${w.frames[0].file}:${w.frames[0].line}` : ''}`);
  lines.push(`Blocking by reason:`);
  for (const r of s.blocking.byReason.slice(0, 8)) lines.push(`  ${r.reason}: ${r.count} times, ${formatDuration(r.totalNs)}`);
  lines.push(`  heaviest stacks:`, ...stacks(s.blocking.byStack, 3));
  lines.push(
    `Syscalls: ${s.syscalls.count}${s.syscalls.partial > 0 ? ` (${s.syscalls.partial} under way at the trace's start or end, counted up to it)` : ''}, ${formatDuration(s.syscalls.totalNs)}`,
    ...stacks(s.syscalls.byStack, 3),
  );
  lines.push(`P utilization: ${s.procs.map((p) => `P${p.p} ${pct(p.utilization)}`).join(', ') || 'none'}`);
  if (s.cpuSamples.count > 0) {
    lines.push(`CPU samples: ${s.cpuSamples.count}; top functions (self):`);
    for (const e of s.cpuSamples.top.slice(0, 8)) lines.push(`  ${e.self} ${e.func}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Drawing the trace timeline on a canvas, and finding what is under the
 * pointer. A frame costs O(canvas width) per lane when drawn from the
 * overview's levels of detail, and O(intervals in view) when drawn from a
 * window's detail, which is used only while a lane has few enough intervals
 * in view; so zoom and pan stay smooth on a 200 MB trace.
 */
import type { GcCycle, StwPause, TraceRange } from '../../../../shared/trace/summary';
import { firstEndingAfter, intervalAt, type TimelineDetail, type TimelineLane, type TimelineOverview, type TimelineTrack } from '../../../../shared/trace/timeline';
import { formatDuration } from '../../../../shared/trace/report';

export const GUTTER = 96;
const AXIS = 22;
const LANE = 20;

export type RowKind = 'gc' | 'stw' | 'goroutines' | 'heap' | 'lane';
export interface Row {
  readonly kind: RowKind;
  readonly label: string;
  readonly y: number;
  readonly h: number;
  readonly lane: TimelineLane | null;
}

export interface Window {
  readonly fromNs: number;
  readonly toNs: number;
}

export function layoutRows(o: TimelineOverview): { rows: Row[]; height: number } {
  const rows: Row[] = [];
  let y = AXIS;
  const add = (kind: RowKind, label: string, h: number, lane: TimelineLane | null = null) => {
    rows.push({ kind, label, y, h, lane });
    y += h + 2;
  };
  add('gc', 'GC', 16);
  add('stw', 'STW', 16);
  add('goroutines', 'Goroutines', 56);
  add('heap', 'Heap', 56);
  for (const l of o.lanes) add('lane', l.kind === 'proc' ? `P${l.id}` : `M${l.id}`, LANE, l);
  return { rows, height: y + 4 };
}

/** The detail covers the whole window, so its intervals and series can stand for it. */
export function detailCovers(d: TimelineDetail | null, w: Window): d is TimelineDetail {
  return d !== null && d.fromNs <= w.fromNs && d.toNs >= w.toNs;
}

function trackOf(d: TimelineDetail, lane: TimelineLane, syscalls = false): TimelineTrack | undefined {
  return lane.kind === 'proc' ? d.procs.get(lane.id) : syscalls ? d.threadSyscalls.get(lane.id) : d.threadRuns.get(lane.id);
}

/** Intervals of a track in view, counted with two binary searches. */
function inView(t: TimelineTrack, w: Window): [number, number] {
  const a = firstEndingAfter(t, w.fromNs);
  let lo = a;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.start[mid]! < w.toNs) lo = mid + 1;
    else hi = mid;
  }
  return [a, lo];
}

/** Whether a lane is drawn from exact intervals (few enough in view) rather than its levels of detail. */
export function laneUsesDetail(d: TimelineDetail | null, lane: TimelineLane, w: Window, width: number): boolean {
  if (!detailCovers(d, w)) return false;
  const t = trackOf(d, lane);
  if (!t) return true;
  const [a, b] = inView(t, w);
  return b - a <= width * 3;
}

function hue(g: number): string {
  const h = (Math.imul(g, 2654435761) >>> 0) % 360;
  return `hsl(${h}, 55%, 62%)`;
}

function niceStep(ns: number): number {
  const p = 10 ** Math.floor(Math.log10(ns));
  for (const m of [1, 2, 5, 10]) if (m * p >= ns) return m * p;
  return 10 * p;
}

/** Ranges (sorted by start) in view, drawn at least one pixel wide. */
function drawRanges(g: CanvasRenderingContext2D, list: readonly TraceRange[], w: Window, x: (t: number) => number, y: number, h: number, color: string) {
  g.fillStyle = color;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = list[mid]!;
    if (r.startNs + r.durationNs < w.fromNs) lo = mid + 1;
    else hi = mid;
  }
  // Ranges can nest a little (a pause begins inside the previous one's pixel); step back a few.
  let lastPx = -1;
  for (let i = Math.max(0, lo - 4); i < list.length; i++) {
    const r = list[i]!;
    if (r.startNs > w.toNs) break;
    const x0 = x(r.startNs);
    const x1 = x(r.startNs + r.durationNs);
    // Thousands of pauses share pixels when the whole trace is in view: one rectangle per pixel.
    if (x1 - x0 < 1 && Math.floor(x0) === lastPx) continue;
    lastPx = Math.floor(x1);
    g.fillRect(x0, y, Math.max(1, x1 - x0), h);
  }
}

export interface DrawInput {
  readonly overview: TimelineOverview;
  readonly detail: TimelineDetail | null;
  readonly rows: readonly Row[];
  readonly window: Window;
  readonly width: number;
  readonly height: number;
  readonly selected: { readonly lane: TimelineLane; readonly index: number } | null;
}

export function drawTimeline(g: CanvasRenderingContext2D, input: DrawInput): void {
  const { overview: o, detail, rows, window: w, width, height } = input;
  const plot = width - GUTTER;
  const nsPerPx = (w.toNs - w.fromNs) / plot;
  const x = (t: number) => GUTTER + (t - w.fromNs) / nsPerPx;
  g.clearRect(0, 0, width, height);
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';

  // Time axis, relative to the trace start.
  const step = niceStep(nsPerPx * 90);
  g.fillStyle = '#555';
  g.strokeStyle = '#e3e5e8';
  g.beginPath();
  for (let t = Math.ceil((w.fromNs - o.firstNs) / step) * step; t + o.firstNs <= w.toNs; t += step) {
    const px = Math.round(x(t + o.firstNs)) + 0.5;
    g.moveTo(px, AXIS - 4);
    g.lineTo(px, height);
    g.fillText(formatDuration(t), px + 3, AXIS / 2);
  }
  g.stroke();

  const covered = detailCovers(detail, w) ? detail : null;
  for (const row of rows) {
    g.fillStyle = '#333';
    g.fillText(row.label, 6, row.y + row.h / 2);
    g.save();
    g.beginPath();
    g.rect(GUTTER, row.y, plot, row.h);
    g.clip();
    if (row.kind === 'gc') drawRanges(g, o.summary.gc.cycles, w, x, row.y + 2, row.h - 4, '#9b7ed9');
    else if (row.kind === 'stw') drawRanges(g, o.summary.stw, w, x, row.y + 2, row.h - 4, '#d64545');
    else if (row.kind === 'goroutines') drawGoroutines(g, input, covered, x, row);
    else if (row.kind === 'heap') drawHeap(g, input, covered, x, row);
    else if (row.lane) drawLane(g, input, row.lane, x, nsPerPx, row);
    g.restore();
  }
}

function drawGoroutines(g: CanvasRenderingContext2D, input: DrawInput, covered: TimelineDetail | null, x: (t: number) => number, row: Row) {
  const series = covered?.goroutines ?? input.overview.summary.goroutines.series;
  const max = Math.max(1, input.overview.summary.goroutines.max);
  const colors = ['#3a9d5d', '#e0a030', '#4a7fd6', '#c9cdd3'] as const;
  const w = input.window;
  let lastPx = -1;
  for (let i = 0; i < series.length; i++) {
    const p = series[i]!;
    const next = series[i + 1]?.tNs ?? input.overview.lastNs;
    if (next < w.fromNs || p.tNs > w.toNs) continue;
    const x0 = x(p.tNs);
    if (x(next) - x0 < 1 && Math.floor(x0) === lastPx) continue;
    lastPx = Math.floor(x0);
    const x1 = Math.max(x0 + 1, x(next));
    let y = row.y + row.h;
    const values = [p.running, p.runnable, p.syscall, p.waiting];
    values.forEach((v, k) => {
      const h = (v / max) * row.h;
      g.fillStyle = colors[k]!;
      g.fillRect(x0, y - h, x1 - x0, h);
      y -= h;
    });
  }
}

function drawHeap(g: CanvasRenderingContext2D, input: DrawInput, covered: TimelineDetail | null, x: (t: number) => number, row: Row) {
  const s = input.overview.summary;
  const live = covered?.heap ?? s.heap.live;
  const max = Math.max(1, s.metrics['/gc/heap/goal:bytes']?.max ?? 0, s.metrics['/memory/classes/heap/objects:bytes']?.max ?? 0);
  const w = input.window;
  let lastPx = -1;
  g.fillStyle = '#7fb3e6';
  for (let i = 0; i < live.length; i++) {
    const p = live[i]!;
    const next = live[i + 1]?.tNs ?? input.overview.lastNs;
    if (next < w.fromNs || p.tNs > w.toNs) continue;
    const x0 = x(p.tNs);
    if (x(next) - x0 < 1 && Math.floor(x0) === lastPx) continue;
    lastPx = Math.floor(x0);
    const h = (p.value / max) * row.h;
    g.fillRect(x0, row.y + row.h - h, Math.max(1, x(next) - x0), h);
  }
  g.strokeStyle = '#c0392b';
  g.beginPath();
  s.heap.goal.forEach((p, i) => {
    const next = s.heap.goal[i + 1]?.tNs ?? input.overview.lastNs;
    const y = row.y + row.h - (p.value / max) * row.h + 0.5;
    g.moveTo(x(p.tNs), y);
    g.lineTo(x(next), y);
  });
  g.stroke();
}

function drawLane(g: CanvasRenderingContext2D, input: DrawInput, lane: TimelineLane, x: (t: number) => number, nsPerPx: number, row: Row) {
  const { detail, window: w, width } = input;
  if (laneUsesDetail(detail, lane, w, width) && detail) {
    const runs = trackOf(detail, lane);
    if (runs) drawTrack(g, runs, w, x, row.y + 1, row.h - 2, true, input.selected?.lane === lane ? input.selected.index : -1);
    if (lane.kind === 'thread') {
      const sys = trackOf(detail, lane, true);
      if (sys) {
        g.globalAlpha = 0.85;
        drawTrack(g, sys, w, x, row.y + row.h / 2, row.h / 2 - 1, false, -1, '#4a7fd6');
        g.globalAlpha = 1;
      }
    }
    return;
  }
  drawLevels(g, input.overview, lane.busy, w, x, nsPerPx, row, lane.kind === 'proc' ? '#2f8f83' : '#8aa58f');
  if (lane.syscall) drawLevels(g, input.overview, lane.syscall, w, x, nsPerPx, { ...row, h: row.h / 2, y: row.y + row.h / 2 }, '#4a7fd6');
}

/** One bar per pixel from the level whose buckets are at most a pixel wide: height is how busy. */
function drawLevels(g: CanvasRenderingContext2D, o: TimelineOverview, levels: readonly Uint8Array[], w: Window, x: (t: number) => number, nsPerPx: number, row: Row, color: string) {
  const k = Math.max(0, Math.min(levels.length - 1, Math.floor(Math.log2(nsPerPx / o.bucketNs))));
  const level = levels[k]!;
  const bucket = o.bucketNs * 2 ** k;
  const x0 = Math.max(GUTTER, Math.floor(x(o.firstNs)));
  const x1 = Math.min(Math.ceil(x(o.lastNs)), GUTTER + (w.toNs - w.fromNs) / nsPerPx);
  g.fillStyle = color;
  for (let px = x0; px < x1; px++) {
    const t0 = w.fromNs + (px - GUTTER) * nsPerPx;
    let i = Math.floor((t0 - o.firstNs) / bucket);
    const last = Math.min(level.length - 1, Math.floor((t0 + nsPerPx - o.firstNs) / bucket));
    if (i < 0) i = 0;
    let sum = 0;
    let n = 0;
    for (; i <= last; i++, n++) sum += level[i]!;
    if (n === 0 || sum === 0) continue;
    const h = Math.max(1, (sum / n / 255) * row.h);
    g.fillRect(px, row.y + row.h - h, 1, h);
  }
}

function drawTrack(g: CanvasRenderingContext2D, t: TimelineTrack, w: Window, x: (t: number) => number, y: number, h: number, byGoroutine: boolean, selected: number, color = '#8aa58f') {
  const [a, b] = inView(t, w);
  let lastPx = -1;
  for (let i = a; i < b; i++) {
    const x0 = x(t.start[i]!);
    const x1 = x(t.end[i]!);
    if (x1 - x0 < 1) {
      // Sub-pixel intervals share their pixel: draw it once.
      const px = Math.floor(x0);
      if (px === lastPx) continue;
      lastPx = px;
      g.fillStyle = byGoroutine ? '#6b9c93' : color;
      g.fillRect(px, y, 1, h);
      continue;
    }
    g.fillStyle = byGoroutine ? hue(t.g[i]!) : color;
    g.fillRect(x0, y, x1 - x0, h);
    if (byGoroutine && x1 - x0 > 40) {
      g.fillStyle = '#111';
      g.fillText(`G${t.g[i]}`, Math.max(x0, GUTTER) + 3, y + h / 2);
    }
    lastPx = Math.floor(x1);
  }
  if (selected >= a && selected < b) {
    g.strokeStyle = '#000';
    g.lineWidth = 2;
    g.strokeRect(x(t.start[selected]!), y, Math.max(2, x(t.end[selected]!) - x(t.start[selected]!)), h);
    g.lineWidth = 1;
  }
}

export type Hit =
  | { readonly kind: 'interval'; readonly lane: TimelineLane; readonly syscall: boolean; readonly index: number; readonly track: TimelineTrack; readonly text: string }
  | { readonly kind: 'gc'; readonly cycle: GcCycle; readonly text: string }
  | { readonly kind: 'stw'; readonly pause: StwPause; readonly text: string }
  | { readonly kind: 'text'; readonly text: string };

function rangeAt<T extends TraceRange>(list: readonly T[], t: number, slack: number): T | undefined {
  let best: T | undefined;
  for (const r of list) {
    if (r.startNs - slack > t) break;
    if (r.startNs + r.durationNs + slack >= t) best = r;
  }
  return best;
}

/** What is under the pointer at (px, py), described in words. */
export function hitTest(input: DrawInput, px: number, py: number): Hit | null {
  const { overview: o, detail, rows, window: w, width } = input;
  if (px < GUTTER) return null;
  const row = rows.find((r) => py >= r.y && py < r.y + r.h);
  if (!row) return null;
  const nsPerPx = (w.toNs - w.fromNs) / (width - GUTTER);
  const t = w.fromNs + (px - GUTTER) * nsPerPx;
  const at = `at ${formatDuration(t - o.firstNs)}`;
  if (row.kind === 'gc') {
    const c = rangeAt(o.summary.gc.cycles, t, nsPerPx);
    return c
      ? {
          kind: 'gc',
          cycle: c,
          text: `GC cycle ${c.seq}: ${formatDuration(c.durationNs)}; sweep termination ${c.sweepTerminationNs === null ? '—' : formatDuration(c.sweepTerminationNs)}, mark termination ${c.markTerminationNs === null ? '—' : formatDuration(c.markTerminationNs)}`,
        }
      : { kind: 'text', text: `no GC ${at}` };
  }
  if (row.kind === 'stw') {
    const p = rangeAt(o.summary.stw, t, nsPerPx);
    return p ? { kind: 'stw', pause: p, text: `stop-the-world (${p.reason}): ${formatDuration(p.durationNs)}` } : { kind: 'text', text: `no stop-the-world ${at}` };
  }
  const covered = detailCovers(detail, w) ? detail : null;
  if (row.kind === 'goroutines') {
    const s = covered?.goroutines ?? o.summary.goroutines.series;
    const p = [...s].reverse().find((q) => q.tNs <= t);
    return { kind: 'text', text: p ? `goroutines ${at}: ${p.running} running, ${p.runnable} runnable, ${p.syscall} in syscalls, ${p.waiting} waiting` : `goroutines ${at}: —` };
  }
  if (row.kind === 'heap') {
    const live = [...(covered?.heap ?? o.summary.heap.live)].reverse().find((q) => q.tNs <= t);
    const goal = [...o.summary.heap.goal].reverse().find((q) => q.tNs <= t);
    const mib = (b: number | undefined) => (b === undefined ? '—' : `${(b / 1024 / 1024).toFixed(1)} MiB`);
    return { kind: 'text', text: `heap ${at}: live ${mib(live?.value)}, goal ${mib(goal?.value)}` };
  }
  const lane = row.lane!;
  const name = lane.kind === 'proc' ? `P${lane.id}` : `thread M${lane.id}`;
  if (laneUsesDetail(detail, lane, w, width) && detail) {
    const sys = lane.kind === 'thread' && py >= row.y + row.h / 2 ? trackOf(detail, lane, true) : undefined;
    for (const [track, syscall] of [
      [sys, true],
      [trackOf(detail, lane), false],
    ] as const) {
      if (!track) continue;
      const i = intervalAt(track, t, nsPerPx * 2);
      if (i < 0) continue;
      const stop = detail.stops[track.stop[i]!];
      const d = formatDuration(track.end[i]! - track.start[i]!);
      const text = syscall ? `${name}: G${track.g[i]} in a system call for ${d}` : `${name}: G${track.g[i]} ran ${d} from ${formatDuration(track.start[i]! - o.firstNs)}, then ${stop?.why ?? '—'}`;
      return { kind: 'interval', lane, syscall, index: i, track, text: `${text} (click for its stack)` };
    }
    return { kind: 'text', text: `${name} idle ${at}` };
  }
  const k = Math.max(0, Math.min(lane.busy.length - 1, Math.floor(Math.log2(nsPerPx / o.bucketNs))));
  const bucket = o.bucketNs * 2 ** k;
  const v = lane.busy[k]![Math.floor((t - o.firstNs) / bucket)] ?? 0;
  return { kind: 'text', text: `${name} ${at}: busy ${Math.round((v / 255) * 100)}% of ${formatDuration(bucket)}; zoom in for goroutines` };
}

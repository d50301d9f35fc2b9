/**
 * What the Trace view's pointer finds, on the timeline of a real trace: rows are stacked in a fixed
 * order with a lane per P and thread, and hitTest names the GC cycle, the pause, the goroutine
 * interval (from the window's detail) or the busy share (from the overview) under a point, using
 * the same pixel-to-time mapping the drawing uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTimelineDetail, createTimelineReader, type TimelineOverview } from '../../../../shared/trace/timeline';
import { GUTTER, hitTest, layoutRows, type DrawInput } from './timelineDraw';

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'trace', 'fixtures', 'go1.26.trace')));
const overview: TimelineOverview = (() => {
  const r = createTimelineReader();
  r.push(bytes);
  return r.finish();
})();
const WIDTH = 1096;
const plot = WIDTH - GUTTER;
const whole = { fromNs: overview.firstNs, toNs: overview.lastNs };
const { rows, height } = layoutRows(overview);
const input = (o: Partial<DrawInput> = {}): DrawInput => ({ overview, detail: null, rows, window: whole, width: WIDTH, height, selected: null, ...o });
/** The x of time t in window w, as the drawing computes it. */
const xOf = (t: number, w = whole) => GUTTER + ((t - w.fromNs) / (w.toNs - w.fromNs)) * plot;
const rowOf = (kind: string, label?: string) => rows.find((r) => r.kind === kind && (label === undefined || r.label === label))!;

test('layoutRows: GC, STW, goroutines and heap first, then one lane per P and thread, without overlap', () => {
  assert.deepEqual(
    rows.slice(0, 4).map((r) => r.kind),
    ['gc', 'stw', 'goroutines', 'heap'],
  );
  const lanes = rows.slice(4);
  assert.equal(lanes.length, overview.lanes.length);
  assert.ok(overview.lanes.some((l) => l.kind === 'proc') && overview.lanes.some((l) => l.kind === 'thread'), 'the fixture has P and thread lanes');
  lanes.forEach((r, i) => {
    const l = overview.lanes[i]!;
    assert.equal(r.lane, l);
    assert.equal(r.label, l.kind === 'proc' ? `P${l.id}` : `M${l.id}`);
  });
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.y >= rows[i - 1]!.y + rows[i - 1]!.h, `row ${i} overlaps the one above`);
  assert.ok(height >= rows.at(-1)!.y + rows.at(-1)!.h);
});

test('hitTest: nothing in the gutter or below the last row', () => {
  assert.equal(hitTest(input(), GUTTER - 1, rowOf('gc').y + 1), null);
  assert.equal(hitTest(input(), GUTTER + 10, height + 50), null);
});

test('hitTest: the GC row names the cycle under the pointer, and says when there is none', () => {
  const cycle = overview.summary.gc.cycles.find((c) => c.durationNs > 0)!;
  assert.ok(cycle, 'the fixture has a GC cycle');
  const y = rowOf('gc').y + 2;
  const hit = hitTest(input(), xOf(cycle.startNs + cycle.durationNs / 2), y);
  assert.equal(hit?.kind, 'gc');
  assert.equal(hit?.kind === 'gc' && hit.cycle.seq, cycle.seq);
  assert.match(hit!.text, new RegExp(`^GC cycle ${cycle.seq}: `));
  // Zoomed into a stretch between two cycles (or before the first), the row has nothing to name.
  const edges = [overview.firstNs, ...overview.summary.gc.cycles.flatMap((c) => [c.startNs, c.startNs + c.durationNs]), overview.lastNs];
  let gap: { fromNs: number; toNs: number } | null = null;
  for (let i = 0; i + 1 < edges.length; i += 2) if (edges[i + 1]! - edges[i]! > 1_000_000) gap = { fromNs: edges[i]! + 200_000, toNs: edges[i + 1]! - 200_000 };
  assert.ok(gap, 'the fixture has a millisecond without GC');
  const none = hitTest(input({ window: gap }), GUTTER + plot / 2, y);
  assert.equal(none?.kind, 'text');
  assert.match(none!.text, /^no GC at /);
});

test('hitTest: the STW row names the pause and its reason', () => {
  const pause = overview.summary.stw[0]!;
  assert.ok(pause, 'the fixture has a stop-the-world pause');
  const w = { fromNs: pause.startNs - 1000, toNs: pause.startNs + pause.durationNs + 1000 };
  const hit = hitTest(input({ window: w }), xOf(pause.startNs + pause.durationNs / 2, w), rowOf('stw').y + 2);
  assert.equal(hit?.kind, 'stw');
  assert.match(hit!.text, new RegExp(`^stop-the-world \\(${pause.reason.replace(/[()]/g, '\\$&')}\\)`));
});

test('hitTest: a lane at whole-trace zoom gives the busy share of its bucket from the overview', () => {
  const laneRow = rows.find((r) => r.kind === 'lane' && r.lane!.kind === 'proc')!;
  const hit = hitTest(input(), GUTTER + plot / 2, laneRow.y + 2);
  assert.equal(hit?.kind, 'text');
  assert.match(hit!.text, new RegExp(`^${laneRow.label} at .*: busy \\d+% of .*; zoom in for goroutines$`));
});

test('hitTest: zoomed into a window with its detail, a lane names the goroutine interval under the pointer', () => {
  const detail = buildTimelineDetail([bytes], overview.firstNs, overview.lastNs);
  // The longest interval of any P lane, so that it covers pixels at any zoom used here.
  let best: { row: (typeof rows)[number]; start: number; end: number; g: number } | null = null;
  for (const row of rows) {
    if (row.kind !== 'lane' || row.lane!.kind !== 'proc') continue;
    const track = detail.procs.get(row.lane!.id);
    if (!track) continue;
    for (let i = 0; i < track.length; i++) {
      const d = track.end[i]! - track.start[i]!;
      if (!best || d > best.end - best.start) best = { row, start: track.start[i]!, end: track.end[i]!, g: track.g[i]! };
    }
  }
  assert.ok(best, 'the fixture has goroutine intervals on a P');
  const w = { fromNs: best.start - (best.end - best.start), toNs: best.end + (best.end - best.start) };
  const hit = hitTest(input({ detail, window: w }), xOf((best.start + best.end) / 2, w), best.row.y + 2);
  assert.equal(hit?.kind, 'interval');
  assert.match(hit!.text, new RegExp(`^${best.row.label}: G${best.g} ran `));
  assert.match(hit!.text, /\(click for its stack\)$/);
});

/**
 * An icicle (root on top) on a canvas, shared by the Profiles flame graph
 * and Compare's differential one: size the canvas, draw each node as wide
 * as its value's share of its parent, label the wide ones, and keep the
 * boxes for hit testing.
 */
export const ICICLE_ROW = 18;

export interface IcicleBox<N> {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly node: N;
}

export function drawIcicle<N extends { readonly name: string; readonly children: readonly N[] }>(
  c: HTMLCanvasElement,
  root: N,
  opts: { readonly maxDepth: number; readonly value: (n: N) => number; readonly fill: (n: N) => string },
): IcicleBox<N>[] {
  const width = c.clientWidth || 800;
  const depthOf = (n: N): number => 1 + n.children.reduce((a, k) => Math.max(a, depthOf(k)), 0);
  const depth = Math.min(depthOf(root), opts.maxDepth);
  const dpr = window.devicePixelRatio || 1;
  c.width = width * dpr;
  c.height = depth * ICICLE_ROW * dpr;
  c.style.height = `${depth * ICICLE_ROW}px`;
  const boxes: IcicleBox<N>[] = [];
  const g = c.getContext('2d');
  if (!g) return boxes;
  g.scale(dpr, dpr);
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  const draw = (n: N, x: number, w: number, d: number) => {
    const v = opts.value(n);
    if (w < 0.5 || d >= depth || v === 0) return;
    const y = d * ICICLE_ROW;
    g.fillStyle = opts.fill(n);
    g.fillRect(x, y, Math.max(0.5, w - 0.5), ICICLE_ROW - 1);
    if (w > 30) {
      g.save();
      g.beginPath();
      g.rect(x, y, w - 2, ICICLE_ROW);
      g.clip();
      g.fillStyle = '#111';
      g.fillText(n.name, x + 3, y + ICICLE_ROW / 2);
      g.restore();
    }
    boxes.push({ x, y, w, node: n });
    let cx = x;
    for (const k of n.children) {
      const kw = (opts.value(k) / v) * w;
      draw(k, cx, kw, d + 1);
      cx += kw;
    }
  };
  draw(root, 0, width, 0);
  return boxes;
}

/** The node under the pointer. */
export function icicleAt<N>(boxes: readonly IcicleBox<N>[], e: { readonly clientX: number; readonly clientY: number; readonly currentTarget: Element }): N | undefined {
  const r = e.currentTarget.getBoundingClientRect();
  const x = e.clientX - r.left;
  const y = e.clientY - r.top;
  return boxes.find((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + ICICLE_ROW)?.node;
}

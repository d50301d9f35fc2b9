import { useEffect, useRef, useState } from 'react';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import type { FlameNode } from '../../../../shared/parsers/pprof';
import { formatBytes } from '../../format';
import { useView, ViewStatus } from './useView';

function formatValue(v: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'nanoseconds') return v >= 1e9 ? `${(v / 1e9).toFixed(2)} s` : `${(v / 1e6).toFixed(2)} ms`;
  return String(v);
}

export function ProfilesView({ api, session }: { api: Api; session: SessionDetail }) {
  const profiles = session.artifacts.filter((a) => /\.pb\.gz$/.test(a.name) && a.sha256).map((a) => a.name);
  const [profile, setProfile] = useState(profiles.includes('go/cpu.pb.gz') ? 'go/cpu.pb.gz' : (profiles[0] ?? ''));
  const [valueIndex, setValueIndex] = useState<number | undefined>(undefined);
  const state = useView(api, session, 'profile', (n) => n === profile, { profile, valueIndex }, [profile, valueIndex]);
  if (profiles.length === 0) return <div className="muted" data-testid="view-error">No pprof profiles in this session (no pprof endpoint was found).</div>;
  return (
    <div data-testid="profiles-view">
      <div className="chips">
        {profiles.map((p) => (
          <button key={p} className={`chip ${p === profile ? 'on' : ''}`} onClick={() => { setProfile(p); setValueIndex(undefined); }} data-testid="profile-choice">
            {p.replace(/^go\//, '').replace(/\.pb\.gz$/, '')}
          </button>
        ))}
      </div>
      {state.status !== 'ready' ? (
        <ViewStatus state={state} />
      ) : state.model.error ? (
        <div className="error-inline" data-testid="view-error">{state.model.error}</div>
      ) : (
        <>
          <label>
            sample type{' '}
            <select value={state.model.valueIndex} onChange={(e) => setValueIndex(Number(e.target.value))} data-testid="profile-sample-type">
              {state.model.sampleTypes.map((t, i) => (
                <option key={i} value={i}>
                  {t.type} ({t.unit})
                </option>
              ))}
            </select>
          </label>
          {state.model.flame && state.model.total > 0 ? <FlameGraph root={state.model.flame} unit={state.model.sampleTypes[state.model.valueIndex]?.unit ?? ''} /> : <p className="muted">No samples of this type.</p>}
          <table className="table compact" data-testid="profile-top">
            <thead>
              <tr>
                <th>flat</th>
                <th>flat%</th>
                <th>cum</th>
                <th>cum%</th>
                <th>function</th>
              </tr>
            </thead>
            <tbody>
              {state.model.top.slice(0, 50).map((e) => {
                const unit = state.model.sampleTypes[state.model.valueIndex]?.unit ?? '';
                const pct = (v: number) => (state.model.total ? `${((v / state.model.total) * 100).toFixed(1)}%` : '—');
                return (
                  <tr key={e.name}>
                    <td>{formatValue(e.flat, unit)}</td>
                    <td>{pct(e.flat)}</td>
                    <td>{formatValue(e.cum, unit)}</td>
                    <td>{pct(e.cum)}</td>
                    <td className="mono" title={e.file}>
                      {e.name}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

const ROW = 18;

/** An icicle (root on top) on a canvas; click zooms into a frame, click the root to zoom out. */
function FlameGraph({ root, unit }: { root: FlameNode; unit: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [focus, setFocus] = useState<FlameNode>(root);
  const [hover, setHover] = useState<string>('');
  const boxes = useRef<{ x: number; y: number; w: number; node: FlameNode }[]>([]);
  useEffect(() => setFocus(root), [root]);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const width = c.clientWidth || 800;
    const depthOf = (n: FlameNode): number => 1 + n.children.reduce((a, k) => Math.max(a, depthOf(k)), 0);
    const depth = Math.min(depthOf(focus), 200);
    const dpr = window.devicePixelRatio || 1;
    c.width = width * dpr;
    c.height = depth * ROW * dpr;
    c.style.height = `${depth * ROW}px`;
    const g = c.getContext('2d');
    if (!g) return;
    g.scale(dpr, dpr);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    boxes.current = [];
    const draw = (n: FlameNode, x: number, w: number, d: number) => {
      if (w < 0.5 || d >= depth) return;
      let h = 0;
      for (let i = 0; i < n.name.length; i++) h = (h * 31 + n.name.charCodeAt(i)) | 0;
      g.fillStyle = n.name.startsWith('runtime.') ? `hsl(200, 45%, ${70 + (h & 7)}%)` : `hsl(${20 + (Math.abs(h) % 40)}, 80%, ${60 + (h & 7)}%)`;
      g.fillRect(x, d * ROW, Math.max(0.5, w - 0.5), ROW - 1);
      if (w > 30) {
        g.fillStyle = '#111';
        g.save();
        g.beginPath();
        g.rect(x, d * ROW, w - 2, ROW);
        g.clip();
        g.fillText(n.name, x + 3, d * ROW + ROW / 2);
        g.restore();
      }
      boxes.current.push({ x, y: d * ROW, w, node: n });
      let cx = x;
      for (const k of n.children) {
        const kw = (k.value / n.value) * w;
        draw(k, cx, kw, d + 1);
        cx += kw;
      }
    };
    draw(focus, 0, width, 0);
  }, [focus]);
  const at = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    return boxes.current.find((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + ROW)?.node;
  };
  return (
    <div className="card">
      <div className="muted small" data-testid="flame-hover">{hover || 'hover a frame; click to zoom, click the top bar to zoom out'}</div>
      <canvas
        ref={canvas}
        className="flame"
        data-testid="flame-graph"
        onMouseMove={(e) => {
          const n = at(e);
          setHover(n ? `${n.name}: ${formatValue(n.value, unit)} (${((n.value / root.value) * 100).toFixed(1)}%), self ${formatValue(n.self, unit)}` : '');
        }}
        onClick={(e) => {
          const n = at(e);
          if (!n) return;
          setFocus(n === focus ? root : n);
        }}
      />
    </div>
  );
}

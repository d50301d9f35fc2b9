import { artifactsUsedBy, NAMES } from '../../../../shared/artifacts/registry';
import { useEffect, useRef, useState } from 'react';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import type { FlameNode } from '../../../../shared/parsers/pprof';
import { formatSampleValue } from '../../format';
import { drawIcicle, icicleAt, type IcicleBox } from '../icicle';
import { useView, ViewStatus } from './useView';

const isProfile = artifactsUsedBy('profiles');

export function ProfilesView({ api, session }: { api: Api; session: SessionDetail }) {
  const profiles = session.artifacts.filter((a) => isProfile(a.name) && a.sha256).map((a) => a.name);
  const [profile, setProfile] = useState(profiles.includes(NAMES.cpu) ? NAMES.cpu : (profiles[0] ?? ''));
  const [valueIndex, setValueIndex] = useState<number | undefined>(undefined);
  const state = useView(api, session, 'profiles', (n) => n === profile, { profile, valueIndex }, [profile, valueIndex]);
  if (profiles.length === 0)
    return (
      <div className="muted" data-testid="view-error">
        No pprof profiles in this session (no pprof endpoint was found).
      </div>
    );
  return (
    <div data-testid="profiles-view">
      <div className="chips">
        {profiles.map((p) => (
          <button
            key={p}
            className={`chip ${p === profile ? 'on' : ''}`}
            onClick={() => {
              setProfile(p);
              setValueIndex(undefined);
            }}
            data-testid="profile-choice"
          >
            {p.replace(/^go\//, '').replace(/\.pb\.gz$/, '')}
          </button>
        ))}
      </div>
      {state.status !== 'ready' ? (
        <ViewStatus state={state} />
      ) : state.model.error ? (
        <div className="error-inline" data-testid="view-error">
          {state.model.error}
        </div>
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
          {state.model.flame && state.model.total > 0 ? (
            <FlameGraph root={state.model.flame} unit={state.model.sampleTypes[state.model.valueIndex]?.unit ?? ''} />
          ) : (
            <p className="muted">No samples of this type.</p>
          )}
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
                    <td>{formatSampleValue(e.flat, unit)}</td>
                    <td>{pct(e.flat)}</td>
                    <td>{formatSampleValue(e.cum, unit)}</td>
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

/** An icicle (root on top); click zooms into a frame, click the root to zoom out. */
function FlameGraph({ root, unit }: { root: FlameNode; unit: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [focus, setFocus] = useState<FlameNode>(root);
  const [hover, setHover] = useState<string>('');
  const boxes = useRef<IcicleBox<FlameNode>[]>([]);
  useEffect(() => setFocus(root), [root]);
  useEffect(() => {
    if (!canvas.current) return;
    boxes.current = drawIcicle(canvas.current, focus, {
      maxDepth: 200,
      value: (n) => n.value,
      fill: (n) => {
        let h = 0;
        for (let i = 0; i < n.name.length; i++) h = (h * 31 + n.name.charCodeAt(i)) | 0;
        return n.name.startsWith('runtime.') ? `hsl(200, 45%, ${70 + (h & 7)}%)` : `hsl(${20 + (Math.abs(h) % 40)}, 80%, ${60 + (h & 7)}%)`;
      },
    });
  }, [focus]);
  return (
    <div className="card">
      <div className="muted small" data-testid="flame-hover">
        {hover || 'hover a frame; click to zoom, click the top bar to zoom out'}
      </div>
      <canvas
        ref={canvas}
        className="flame"
        data-testid="flame-graph"
        onMouseMove={(e) => {
          const n = icicleAt(boxes.current, e);
          setHover(n ? `${n.name}: ${formatSampleValue(n.value, unit)} (${((n.value / root.value) * 100).toFixed(1)}%), self ${formatSampleValue(n.self, unit)}` : '');
        }}
        onClick={(e) => {
          const n = icicleAt(boxes.current, e);
          if (!n) return;
          setFocus(n === focus ? root : n);
        }}
      />
    </div>
  );
}

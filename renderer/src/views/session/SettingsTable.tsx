import type { EffectiveSettings, Reading, Setting } from '../../../../shared/analysis/settings';
import { formatSettingValue, SOURCE_LABEL } from '../../../../shared/analysis/settings';

/**
 * GOMAXPROCS, GOMEMLIMIT, GOGC and the GODEBUG keys as the session's settings have them: the
 * value in effect with its source, the weaker sources as evidence, and what could not be known.
 * The Overview and the Trace tab show this same table from the same resolver.
 */
export function SettingsTable({ settings: s }: { settings: EffectiveSettings }) {
  const rows: { label: string; setting: Setting<number | string | null>; extra?: string | undefined; ignored?: string }[] = [
    {
      label: 'GOMAXPROCS',
      setting: s.GOMAXPROCS,
      extra: `follows quota changes: ${s.GOMAXPROCS.followsQuota === null ? 'unknown' : s.GOMAXPROCS.followsQuota ? 'yes' : 'no'} (${s.GOMAXPROCS.followsQuotaWhy})`,
    },
    { label: 'GOMEMLIMIT', setting: s.GOMEMLIMIT },
    { label: 'GOGC', setting: s.GOGC },
    ...s.GODEBUG.map((g) => ({
      label: `GODEBUG ${g.key}`,
      setting: g,
      extra: g.noEffect ?? undefined,
      ...(g.noEffect?.startsWith('ignored') ? { ignored: g.readings.find((r) => r.source === 'environment')?.value ?? '' } : {}),
    })),
  ];
  const missing = Object.entries(s.sourcesRead).filter(([, why]) => why !== null);
  return (
    <div className="card" data-testid="settings">
      <h2>Runtime settings in effect</h2>
      <table className="table compact">
        <thead>
          <tr>
            <th>setting</th>
            <th>value</th>
            <th>source</th>
            <th>other sources and notes</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ label, setting: x, extra, ignored }) => {
            const eff = x.effective;
            return (
              <tr key={label} data-testid="setting" data-name={label} data-value={eff ? String(eff.value) : ''} data-source={eff?.source ?? ''} title={eff ? `${eff.artifact}: ${eff.detail}` : ''}>
                <td className="mono">{label}</td>
                <td className="mono" data-testid="setting-value">
                  {ignored !== undefined ? `${ignored} (ignored)` : eff ? formatSettingValue(x.name, eff.value) : 'unknown'}
                </td>
                <td className="small" data-testid="setting-source">
                  {eff ? `${SOURCE_LABEL[eff.source]}: ${eff.detail}` : (x.notes[0] ?? 'no source could say')}
                </td>
                <td className="muted small">
                  {x.readings
                    .filter((r) => r !== eff)
                    .map((r: Reading<number | string | null>) => `${SOURCE_LABEL[r.source]} ${formatSettingValue(x.name, r.value)}`)
                    .join('; ')}
                  {extra && <div>{extra}</div>}
                  {(eff ? x.notes : x.notes.slice(1)).map((n) => (
                    <div key={n}>{n}</div>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {missing.length > 0 && <div className="muted small">Not in this session: {missing.map(([src, why]) => `${SOURCE_LABEL[src as keyof typeof SOURCE_LABEL]} (${why})`).join('; ')}.</div>}
      {s.notes.length > 0 && <div className="muted small">{s.notes.join('; ')}</div>}
    </div>
  );
}

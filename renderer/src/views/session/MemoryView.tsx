import { artifactsUsedBy } from '../../../../shared/artifacts/registry';
import { useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { SessionDetail } from '../../../../shared/contract/api';
import type { Api } from '../../../../shared/contract/client';
import { MEMORY_CLASSES, type MemoryClass } from '../../../../shared/analysis/memoryLayout';
import { hexAddress, type MappingTable as Table, type MemoryView as Model } from '../../../../shared/analysis/views/memory';
import { psiSummary } from '../../../../shared/parsers/psi';
import { formatBytes, formatKiB } from '../../format';
import { useView, ViewStatus } from './useView';

export const CLASS_COLORS: Readonly<Record<MemoryClass, string>> = {
  'go-heap': '#2f80ed',
  'go-metadata': '#9b51e0',
  'go-stacks': '#56a0d3',
  'c-malloc': '#f2c94c',
  'thread-stacks': '#eb5757',
  binary: '#27ae60',
  'shared-libraries': '#f2994a',
  file: '#56ccf2',
  shm: '#bb6bd9',
  kernel: '#bdbdbd',
  'anon-unknown': '#828282',
};
const label = (c: MemoryClass) => MEMORY_CLASSES.find((x) => x.id === c)?.label ?? c;

const wantMemory = artifactsUsedBy('memory');

export function MemoryView({ api, session }: { api: Api; session: SessionDetail }) {
  const state = useView(api, session, 'memory', wantMemory, { isGo: session.goVersion ? true : undefined, goVersion: session.goVersion });
  if (state.status !== 'ready') return <ViewStatus state={state} />;
  const m = state.model;
  if (m.error)
    return (
      <div className="error-inline" data-testid="view-error">
        {m.error}
      </div>
    );
  return (
    <div data-testid="memory-view">
      <p className="muted" data-testid="memory-go-evidence">
        {m.isGo ? 'Go process' : 'Not recognised as Go'}: {m.goEvidence}. {m.table.length} mappings, RSS {formatKiB(m.grandTotal?.Rss)}.
      </p>
      {m.warnings.length > 0 && (
        <div className="probe warn" data-testid="memory-warnings">
          {m.warnings.map((w) => (
            <div key={w}>{w}</div>
          ))}
        </div>
      )}
      <AddressStrip model={m} />
      <div className="split">
        <div className="card">
          <h2>Resident memory by class</h2>
          <Treemap model={m} />
        </div>
        <CgroupCard model={m} />
      </div>
      <div className="card">
        <ClassTable model={m} />
      </div>
      <AttributionCard model={m} />
      <MappingTable table={m.table} />
    </div>
  );
}

function AddressStrip({ model }: { model: Model }) {
  // Sizes span 4 KiB to terabytes of reservation: widths on a log scale keep every region visible.
  const weights = model.regions.map((r) => Math.log2(Math.max(4, r.sizeKiB)));
  const sum = weights.reduce((a, b) => a + b, 0) || 1;
  return (
    <div className="card">
      <h2>Address space</h2>
      <div className="strip" data-testid="address-strip">
        {model.regions.map((r, i) => (
          <div
            key={`${r.start}-${i}`}
            className="strip-cell"
            style={{ width: `${(weights[i]! / sum) * 100}%`, background: CLASS_COLORS[r.class] }}
            title={`${label(r.class)}\n0x${r.start}–0x${r.end}\n${formatKiB(r.sizeKiB)} mapped, ${formatKiB(r.rssKiB)} resident, ${r.mappings} mapping(s)`}
          />
        ))}
      </div>
      <div className="muted small">low addresses on the left; widths are log-scaled by size</div>
    </div>
  );
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Squarified enough for a dozen classes: split the longer side in proportion, largest first. */
function layoutTreemap(items: readonly { key: string; value: number }[], rect: Rect): (Rect & { key: string })[] {
  if (items.length === 0) return [];
  if (items.length === 1) return [{ ...rect, key: items[0]!.key }];
  const total = items.reduce((a, b) => a + b.value, 0);
  let acc = 0;
  let cut = 0;
  while (cut < items.length - 1 && acc + items[cut]!.value <= total / 2) acc += items[cut++]!.value;
  if (cut === 0) acc = items[cut++]!.value;
  const f = total > 0 ? acc / total : 0.5;
  const [a, b]: [Rect, Rect] =
    rect.w >= rect.h
      ? [
          { ...rect, w: rect.w * f },
          { ...rect, x: rect.x + rect.w * f, w: rect.w * (1 - f) },
        ]
      : [
          { ...rect, h: rect.h * f },
          { ...rect, y: rect.y + rect.h * f, h: rect.h * (1 - f) },
        ];
  return [...layoutTreemap(items.slice(0, cut), a), ...layoutTreemap(items.slice(cut), b)];
}

function Treemap({ model }: { model: Model }) {
  const items = model.totals
    .filter((t) => t.kib.Rss > 0)
    .map((t) => ({ key: t.class, value: t.kib.Rss }))
    .sort((a, b) => b.value - a.value);
  const cells = layoutTreemap(items, { x: 0, y: 0, w: 100, h: 100 });
  return (
    <div className="treemap" data-testid="memory-treemap">
      {cells.map((c) => {
        const t = model.totals.find((x) => x.class === c.key)!;
        return (
          <div
            key={c.key}
            className="treemap-cell"
            style={{ left: `${c.x}%`, top: `${c.y}%`, width: `${c.w}%`, height: `${c.h}%`, background: CLASS_COLORS[t.class] }}
            title={`${label(t.class)}: ${formatKiB(t.kib.Rss)} resident`}
          >
            {c.w > 12 && c.h > 10 && (
              <span>
                {label(t.class)}
                <br />
                {formatKiB(t.kib.Rss)}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

function ClassTable({ model }: { model: Model }) {
  return (
    // Ten columns across the page: they fit at 1440 px; on a narrower window the table scrolls
    // sideways rather than hiding its last columns.
    <div className="table-scroll" data-testid="memory-classes-scroll">
      <table className="table compact" data-testid="memory-classes">
        <thead>
          <tr>
            <th>Class</th>
            <th className="num">Maps</th>
            <th className="num" title="address space with some access (Size of the mappings that are not ---p)">
              Mapped
            </th>
            <th className="num" title="reserved address space: ---p mappings, never resident">
              Reserved
            </th>
            <th className="num">RSS</th>
            <th className="num">PSS</th>
            <th className="num">Private dirty</th>
            <th className="num">Swap</th>
            <th className="num">LazyFree</th>
            <th className="num">THP</th>
          </tr>
        </thead>
        <tbody>
          {model.totals.map((t) => (
            <tr key={t.class} data-testid={`memory-class-${t.class}`}>
              <td>
                <span className="swatch" style={{ background: CLASS_COLORS[t.class] }} /> {label(t.class)}
              </td>
              <td className="num">{t.mappings}</td>
              <td className="num">{formatKiB(t.kib.Size - t.kib.Reserved)}</td>
              <td className="num">{formatKiB(t.kib.Reserved)}</td>
              <td className="num">{formatKiB(t.kib.Rss)}</td>
              <td className="num">{formatKiB(t.kib.Pss)}</td>
              <td className="num">{formatKiB(t.kib.Private_Dirty)}</td>
              <td className="num">{formatKiB(t.kib.Swap)}</td>
              <td className="num">{formatKiB(t.kib.LazyFree)}</td>
              <td className="num">{formatKiB(t.kib.AnonHugePages)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The Go classes as the mappings show them, against what the runtime says it mapped (MemStats), with the difference. */
function AttributionCard({ model }: { model: Model }) {
  const a = model.attribution;
  if (!a) return null;
  const signed = (b: number) => `${b < 0 ? '−' : '+'}${formatBytes(Math.abs(b))}`;
  return (
    <div className="card" data-testid="memory-attribution">
      <h2>Go classes against the runtime</h2>
      {a.rows.length === 0 ? (
        <p className="muted">Not a Go process: no runtime totals to compare with.</p>
      ) : (
        <table className="table compact">
          <thead>
            <tr>
              <th>Go class</th>
              <th className="num">Mapped (smaps)</th>
              <th className="num">Resident</th>
              <th className="num">Reserved</th>
              <th>The runtime says</th>
              <th className="num">Difference</th>
            </tr>
          </thead>
          <tbody>
            {a.rows.map((r) => (
              <tr key={r.key} data-testid={`attribution-${r.key}`} data-within={r.within === null ? '' : String(r.within)}>
                <td>{r.label}</td>
                <td className="num">{formatBytes(r.mappedBytes)}</td>
                <td className="num">{formatBytes(r.rssBytes)}</td>
                <td className="num">{formatBytes(r.reservedBytes)}</td>
                <td className="small">{r.runtimeBytes === null ? 'unknown (no MemStats in this session)' : `${formatBytes(r.runtimeBytes)} = ${r.runtimeWhat}`}</td>
                <td className={`num ${r.within === false ? 'warn' : ''}`} title={r.toleranceBytes === null ? undefined : `tolerance ±${formatBytes(r.toleranceBytes)}`}>
                  {r.differenceBytes === null ? '—' : `${signed(r.differenceBytes)} ${r.within ? '(within tolerance)' : '(outside tolerance)'}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="muted small" data-testid="attribution-notes">
        {a.runtimeSource
          ? `Runtime totals from ${a.runtimeSource.artifact} (${a.runtimeSource.detail}); a difference is ${a.tolerance}.`
          : 'No MemStats, expvar or metrics in this session: the Go classes are not checked against the runtime.'}{' '}
        Reserved (---p) address space is never resident and is not in RSS. {a.probeSummary}.{a.notes.length > 0 && ` ${a.notes.join('; ')}.`}
      </div>
    </div>
  );
}

function CgroupCard({ model }: { model: Model }) {
  const c = model.cgroup;
  const mem = c?.memory;
  const cpu = c?.cpu;
  const ms = model.memStats;
  const rss = (model.rollup?.rssKiB ?? model.grandTotal?.Rss ?? 0) * 1024;
  const limit = mem?.limit?.value ?? null;
  const pressureTitle = c?.pressurePath ? `avg10 / avg60 / avg300, from the *.pressure files of cgroup ${c.pressurePath}` : undefined;
  return (
    <div className="card" data-testid="cgroup-card">
      <h2>Container limits</h2>
      {!c || (!mem && !cpu) ? (
        <p className="muted">{c?.missing.join('; ') || 'No cgroup files in this session.'}</p>
      ) : (
        <dl className="facts">
          <dt>cgroup</dt>
          <dd className="mono small">
            {Object.entries(c.paths)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')}
          </dd>
          <dt>memory limit</dt>
          <dd data-testid="cgroup-memory-limit">{limit !== null ? `${formatBytes(limit)} (set by ${mem!.limit!.path})` : 'none'}</dd>
          {limit !== null && (
            <>
              <dt>RSS / limit</dt>
              <dd>
                <div className="bar" title={`${formatBytes(rss)} of ${formatBytes(limit)}`}>
                  <div style={{ width: `${Math.min(100, (rss / limit) * 100)}%` }} />
                </div>
                {((rss / limit) * 100).toFixed(1)}%
              </dd>
            </>
          )}
          <dt>cgroup usage</dt>
          <dd>
            {mem?.usageBytes != null ? formatBytes(mem.usageBytes) : '—'} (anon {mem?.anonBytes != null ? formatBytes(mem.anonBytes) : '—'}, file{' '}
            {mem?.fileBytes != null ? formatBytes(mem.fileBytes) : '—'}, kernel {mem?.kernelBytes != null ? formatBytes(mem.kernelBytes) : '—'})
          </dd>
          <dt>memory.high</dt>
          <dd>{mem?.high ? formatBytes(mem.high.value) : 'none'}</dd>
          <dt>OOM kills</dt>
          <dd>{mem?.oomKills ?? '—'}</dd>
          <dt>memory pressure</dt>
          <dd data-testid="cgroup-memory-pressure" title={pressureTitle}>
            {mem?.pressure ? psiSummary(mem.pressure) : '—'}
          </dd>
          <dt>CPU limit</dt>
          <dd data-testid="cgroup-cpu-limit">{cpu?.limitCpus ? `${cpu.limitCpus.value.toFixed(2)} CPUs (set by ${cpu.limitCpus.path})` : 'none'}</dd>
          <dt>throttled</dt>
          <dd>{cpu?.nrThrottled != null ? `${cpu.nrThrottled} of ${cpu.nrPeriods} periods, ${((cpu.throttledUs ?? 0) / 1000).toFixed(1)} ms` : '—'}</dd>
          <dt>CPU pressure</dt>
          <dd data-testid="cgroup-cpu-pressure" title={pressureTitle}>
            {cpu?.pressure ? psiSummary(cpu.pressure) : '—'}
          </dd>
          <dt>cpuset</dt>
          <dd>{c.cpuset ? `${c.cpuset.cpus} (${c.cpuset.count} CPUs)` : '—'}</dd>
        </dl>
      )}
      {ms && (
        <>
          <h2>Go runtime (MemStats)</h2>
          <dl className="facts" data-testid="memstats">
            <dt>HeapAlloc / HeapSys</dt>
            <dd>
              {formatBytes(ms.values.HeapAlloc ?? 0)} / {formatBytes(ms.values.HeapSys ?? 0)}
            </dd>
            <dt>HeapReleased</dt>
            <dd>{formatBytes(ms.values.HeapReleased ?? 0)}</dd>
            <dt>Stacks</dt>
            <dd>{formatBytes(ms.stackSys ?? 0)}</dd>
            <dt>NextGC</dt>
            <dd>{formatBytes(ms.values.NextGC ?? 0)}</dd>
            <dt>GCs</dt>
            <dd>
              {ms.values.NumGC ?? 0}, GC CPU {((ms.gcCpuFraction ?? 0) * 100).toFixed(2)}%
            </dd>
            {ms.maxRssBytes !== null && (
              <>
                <dt>MaxRSS</dt>
                <dd>{formatBytes(ms.maxRssBytes)}</dd>
              </>
            )}
          </dl>
        </>
      )}
    </div>
  );
}

type SortKey = 'start' | 'sizeKiB' | 'rssKiB' | 'pssKiB' | 'privateDirtyKiB' | 'swapKiB' | 'class' | 'name';

const NUMERIC = ['sizeKiB', 'rssKiB', 'pssKiB', 'privateDirtyKiB', 'swapKiB'] as const;

function MappingTable({ table: t }: { table: Table }) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'start', desc: false });
  // Addresses as text only once a filter needs them, then kept for the next keystroke.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- a new cache for each table: t is its key, not an input
  const hexCache = useMemo(() => ({ list: null as string[] | null }), [t]);
  // Row indexes, filtered and sorted over the columns; smaps is already in address order.
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    let list: number[] = Array.from({ length: t.length }, (_, i) => i);
    if (f) {
      const nameHit = t.names.map((n) => n.toLowerCase().includes(f));
      const classHit = t.classes.map((c) => c.includes(f));
      const permsHit = t.permsList.map((p) => p.includes(f));
      const hex = (hexCache.list ??= Array.from(t.start, hexAddress));
      list = list.filter((i) => nameHit[t.name[i]!] || classHit[t.class[i]!] || permsHit[t.perms[i]!] || hex[i]!.includes(f));
    }
    const k = sort.key;
    const sign = sort.desc ? -1 : 1;
    if (k === 'start') {
      if (sort.desc) list.reverse();
    } else if ((NUMERIC as readonly string[]).includes(k)) {
      const col = t[k as (typeof NUMERIC)[number]];
      list.sort((a, b) => sign * (col[a]! - col[b]!) || a - b);
    } else {
      const text = k === 'class' ? (i: number) => t.classes[t.class[i]!]! : (i: number) => t.names[t.name[i]!]!;
      list.sort((a, b) => sign * text(a).localeCompare(text(b)) || a - b);
    }
    return list;
  }, [t, hexCache, filter, sort]);
  const parent = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: shown.length, getScrollElement: () => parent.current, estimateSize: () => 24, overscan: 20 });
  const head = (key: SortKey, text: string) => (
    <div className={`th clickable ${sort.key === key ? 'sorted' : ''}`} onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key !== 'start' && key !== 'name' && key !== 'class' })}>
      {text}
      {sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}
    </div>
  );
  return (
    <div className="card">
      <h2>
        Mappings <span className="muted">{shown.length === t.length ? t.length : `${shown.length} of ${t.length}`}</span>
      </h2>
      <input className="filter" placeholder="filter by name, class, address or perms" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="mapping-filter" />
      <div className="vrow vhead">
        {head('start', 'Address')}
        <div className="th">Perms</div>
        {head('sizeKiB', 'Size')}
        {head('rssKiB', 'RSS')}
        {head('pssKiB', 'PSS')}
        {head('privateDirtyKiB', 'Priv. dirty')}
        {head('swapKiB', 'Swap')}
        {head('class', 'Class')}
        {head('name', 'Name')}
      </div>
      <div ref={parent} className="vscroll" data-testid="mapping-table">
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((item) => {
            const i = shown[item.index]!;
            const cls = t.classes[t.class[i]!]!;
            return (
              <div
                key={item.key}
                className="vrow"
                data-testid="mapping-row"
                style={{ position: 'absolute', top: 0, transform: `translateY(${item.start}px)`, height: item.size }}
                title={t.reasons[t.reason[i]!]}
              >
                <div className="mono">{hexAddress(t.start[i]!)}</div>
                <div className="mono">{t.permsList[t.perms[i]!]}</div>
                <div>{formatKiB(t.sizeKiB[i])}</div>
                <div>{formatKiB(t.rssKiB[i])}</div>
                <div>{formatKiB(t.pssKiB[i])}</div>
                <div>{formatKiB(t.privateDirtyKiB[i])}</div>
                <div>{formatKiB(t.swapKiB[i])}</div>
                <div>
                  <span className="swatch" style={{ background: CLASS_COLORS[cls] }} /> {label(cls)}
                </div>
                <div className="mono ellipsis">{t.names[t.name[i]!] || '(anonymous)'}</div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/**
 * The session report as text for a terminal (`gopherscope report`): the
 * health line, each recommendation with its evidence and the change, then
 * the memory waterfall and the CPU picture. Values that can come from the
 * host (evidence, labels, notes, the lines of a change) are printed through
 * terminalField, so they stay on their own line and drive no terminal.
 */
import type { SessionReport } from './recommendations';
import { describeSetting, formatSettingValue, SOURCE_LABEL, type EffectiveSettings, type Setting } from './settings';
import { terminalField as f } from '../util/terminalText';

const mib = (b: number | null) => (b === null ? 'unknown' : `${(b / 1024 / 1024).toFixed(1)} MiB`);

export function formatSessionReport(r: SessionReport, title: string): string {
  const out: string[] = [
    `${title}`,
    `health: ${r.health}${r.recommendations.length ? ` (${r.recommendations.length} recommendation${r.recommendations.length === 1 ? '' : 's'})` : ' (no recommendations)'}`,
    '',
  ];
  for (const rec of r.recommendations) {
    out.push(`[${rec.severity}] ${rec.id}: ${f(rec.title)}`);
    for (const ev of rec.evidence) out.push(`    ${f(ev.label)}: ${f(String(ev.value))}${ev.source ? `  (${f(ev.source.artifact)}: ${f(ev.source.detail)})` : ''}`);
    out.push(`  change (${rec.change.kind}):`, ...rec.change.diff.split('\n').map((l) => `    ${f(l)}`));
    out.push(`  trade-off: ${f(rec.tradeoff)}`, `  applies to: ${rec.goVersions}`, `  see: ${rec.references.join(' ')}`, '');
  }
  out.push(...formatSettings(r.settings), '');
  out.push('memory:');
  for (const row of r.memory.rows)
    out.push(
      `  ${'  '.repeat(row.level)}${row.kind === 'line' ? '— ' : row.kind === 'limit' ? '▲ ' : row.kind === 'aside' ? '· ' : ''}${f(row.label)}: ${mib(row.bytes)}${row.source ? `  (${f(row.source.artifact)})` : ''}`,
    );
  if (r.memoryClasses) {
    out.push('', 'memory classes (mapped = mappings with any access; reserved = ---p, never resident):');
    for (const c of r.memoryClasses)
      if (c.mappings > 0)
        out.push(
          `  ${c.class.padEnd(17)} ${String(c.mappings).padStart(6)} mappings  mapped ${mib(c.mappedBytes).padStart(11)}  reserved ${mib(c.reservedBytes).padStart(11)}  resident ${mib(c.rssBytes).padStart(11)}`,
        );
    const a = r.memory.attribution;
    if (a?.probeSummary) out.push(`  ${a.probeSummary}`);
  }
  const c = r.cpu;
  out.push('', 'cpu:');
  out.push(`  quota: ${c.quotaCpus === null ? 'none or unknown' : `${c.quotaCpus.toFixed(2)} CPUs`}; host CPUs: ${c.hostCpus ?? 'unknown'}`);
  out.push(`  GOMAXPROCS: ${c.gomaxprocsHow}`);
  out.push(`  follows quota changes: ${c.followsQuota === null ? 'unknown' : c.followsQuota ? 'yes' : 'no'} (${c.followsQuotaWhy})`);
  out.push(
    `  threads: ${c.threads ?? 'unknown'}; throttled: ${c.throttledRatio === null ? 'unknown' : `${(c.throttledRatio * 100).toFixed(1)}% of periods, ${c.throttledSeconds?.toFixed(2) ?? '?'} s`}`,
  );
  if (c.threadStates) out.push(`  threads by state (native stacks): ${c.threadStates.map((t) => `${t.count} ${f(t.state)}`).join(', ')}`);
  if (c.runqueueMax !== null) out.push(`  runqueue depth: max ${c.runqueueMax}, mean ${c.runqueueMean!.toFixed(2)} per CPU`);
  if (c.procUtilization) out.push(`  P utilization (trace): ${c.procUtilization.map((p) => `P${p.p} ${(p.utilization * 100).toFixed(0)}%`).join(', ')}`);
  if (r.notes.length) out.push('', 'notes:', ...r.notes.map((n) => `  ${f(n)}`));
  return `${out.join('\n')}\n`;
}

/** The settings block: each value in effect with its source, the weaker readings, and what could not be known. */
export function formatSettings(s: EffectiveSettings): string[] {
  const out = ['settings (the value in effect and its source; weaker sources below it):'];
  const one = (label: string, x: Setting<number | string | null>, extra?: string) => {
    out.push(`  ${label}: ${describeSetting(x)}${extra ? `; ${extra}` : ''}`);
    for (const r of x.readings) if (r !== x.effective) out.push(`      ${SOURCE_LABEL[r.source]}: ${formatSettingValue(x.name, r.value)} (${r.detail})`);
    for (const n of x.effective ? x.notes : x.notes.slice(1)) out.push(`      note: ${n}`);
  };
  one('GOMAXPROCS', s.GOMAXPROCS, `follows quota changes: ${s.GOMAXPROCS.followsQuota === null ? 'unknown' : s.GOMAXPROCS.followsQuota ? 'yes' : 'no'} (${s.GOMAXPROCS.followsQuotaWhy})`);
  one('GOMEMLIMIT', s.GOMEMLIMIT);
  one('GOGC', s.GOGC);
  for (const g of s.GODEBUG) {
    const envValue = g.readings.find((r) => r.source === 'environment');
    if (g.noEffect?.startsWith('ignored')) out.push(`  GODEBUG ${g.key}=${envValue?.value ?? ''}: ${g.noEffect}`);
    else one(`GODEBUG ${g.key}`, g, g.noEffect ?? undefined);
  }
  const missing = Object.entries(s.sourcesRead).filter(([, why]) => why !== null);
  if (missing.length) out.push(`  sources not in this session: ${missing.map(([src, why]) => `${SOURCE_LABEL[src as keyof typeof SOURCE_LABEL]} (${why})`).join('; ')}`);
  return out;
}

/**
 * The session report as text for a terminal (`gopherscope report`): the
 * health line, each recommendation with its evidence and the change, then
 * the memory waterfall and the CPU picture.
 */
import type { SessionReport } from './recommendations';

const mib = (b: number | null) => (b === null ? 'unknown' : `${(b / 1024 / 1024).toFixed(1)} MiB`);

export function formatSessionReport(r: SessionReport, title: string): string {
  const out: string[] = [`${title}`, `health: ${r.health}${r.recommendations.length ? ` (${r.recommendations.length} recommendation${r.recommendations.length === 1 ? '' : 's'})` : ' (no recommendations)'}`, ''];
  for (const rec of r.recommendations) {
    out.push(`[${rec.severity}] ${rec.id}: ${rec.title}`);
    for (const ev of rec.evidence) out.push(`    ${ev.label}: ${ev.value}${ev.source ? `  (${ev.source.artifact}: ${ev.source.detail})` : ''}`);
    out.push(`  change (${rec.change.kind}):`, ...rec.change.diff.split('\n').map((l) => `    ${l}`));
    out.push(`  trade-off: ${rec.tradeoff}`, `  applies to: ${rec.goVersions}`, `  see: ${rec.references.join(' ')}`, '');
  }
  out.push('memory:');
  for (const row of r.memory.rows) out.push(`  ${'  '.repeat(row.level)}${row.kind === 'line' ? '— ' : row.kind === 'limit' ? '▲ ' : row.kind === 'aside' ? '· ' : ''}${row.label}: ${mib(row.bytes)}${row.source ? `  (${row.source.artifact})` : ''}`);
  if (r.memoryClasses) {
    out.push('', 'memory classes (mapped = mappings with any access; reserved = ---p, never resident):');
    for (const c of r.memoryClasses) if (c.mappings > 0) out.push(`  ${c.class.padEnd(17)} ${String(c.mappings).padStart(6)} mappings  mapped ${mib(c.mappedBytes).padStart(11)}  reserved ${mib(c.reservedBytes).padStart(11)}  resident ${mib(c.rssBytes).padStart(11)}`);
    const a = r.memory.attribution;
    if (a?.probeSummary) out.push(`  ${a.probeSummary}`);
  }
  const c = r.cpu;
  out.push('', 'cpu:');
  out.push(`  quota: ${c.quotaCpus === null ? 'none or unknown' : `${c.quotaCpus.toFixed(2)} CPUs`}; host CPUs: ${c.hostCpus ?? 'unknown'}`);
  out.push(`  GOMAXPROCS: ${c.gomaxprocs ?? 'unknown'} (${c.gomaxprocsHow})${c.followsQuota === null ? '' : c.followsQuota ? '; follows quota changes' : '; fixed'}`);
  out.push(`  threads: ${c.threads ?? 'unknown'}; throttled: ${c.throttledRatio === null ? 'unknown' : `${(c.throttledRatio * 100).toFixed(1)}% of periods, ${c.throttledSeconds?.toFixed(2) ?? '?'} s`}`);
  if (c.threadStates) out.push(`  threads by state (native stacks): ${c.threadStates.map((t) => `${t.count} ${t.state}`).join(', ')}`);
  if (c.runqueueMax !== null) out.push(`  runqueue depth: max ${c.runqueueMax}, mean ${c.runqueueMean!.toFixed(2)} per CPU`);
  if (c.procUtilization) out.push(`  P utilization (trace): ${c.procUtilization.map((p) => `P${p.p} ${(p.utilization * 100).toFixed(0)}%`).join(', ')}`);
  if (r.notes.length) out.push('', 'notes:', ...r.notes.map((n) => `  ${n}`));
  return `${out.join('\n')}\n`;
}

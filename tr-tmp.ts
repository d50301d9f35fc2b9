import { openSync, readSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { summarizeTrace } from './shared/trace/summary';
function* chunks(f: string) { const fd = openSync(f, 'r'); const b = Buffer.allocUnsafe(1 << 20); for (let n = readSync(fd, b); n > 0; n = readSync(fd, b)) yield b.subarray(0, n); closeSync(fd); }
for (const v of process.argv.slice(2)) {
  const f = `/tmp/traces/${v}.trace`;
  const t0 = performance.now();
  const r = summarizeTrace(chunks(f));
  const ms = performance.now() - t0;
  const o = JSON.parse(execFileSync('/tmp/oracle', [f], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  const s = r.summary;
  console.log(v, r.ok ? 'ok' : JSON.stringify(r.error), `ours ${ms.toFixed(0)} ms, oracle ${o.readMs} ms`);
  console.log(' events', s.events, o.events, ' gens', s.generations, o.generations, ' first', s.firstNs - o.firstNs, ' last', s.lastNs - o.lastNs);
  for (const k of new Set([...Object.keys(s.byKind), ...Object.keys(o.byKind)])) if (s.byKind[k] !== o.byKind[k]) console.log('  kind', k, s.byKind[k], o.byKind[k]);
  console.log(' gcs', s.gc.cycles.length, o.gcs.length, ' stw', s.stw.length, o.stws.length);
  let bad = 0; let maxd = 0;
  s.gc.cycles.forEach((c, i) => { const d = Math.abs(c.durationNs - (o.gcs[i]?.durationNs ?? NaN)); maxd = Math.max(maxd, d); if (!(d <= 1000)) bad++; });
  console.log(' gc dur mismatches', bad, 'max diff', maxd);
  bad = 0; maxd = 0;
  s.stw.forEach((c, i) => { const oo = o.stws[i]; const d = Math.abs(c.durationNs - (oo?.durationNs ?? NaN)); maxd = Math.max(maxd, d); if (!(d <= 1000) || `stop-the-world (${c.reason})` !== oo.name) bad++; });
  console.log(' stw mismatches', bad, 'max diff', maxd);
  for (const [k, m] of Object.entries(o.metrics) as any) { const ms = (s.metrics as any)[k]; if (!ms || ms.count !== m.count || ms.last !== m.last) console.log('  metric', k, JSON.stringify(ms), JSON.stringify(m)); }
}

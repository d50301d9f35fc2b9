/**
 * A goroutine dump of 100,000 goroutines from a real lab target
 * (goroutine?debug=2), parsed and grouped by us and by the two Go peers,
 * DataDog/gostackparse and maruel/panicparse (bench/peers/goroutines, built
 * here with the machine's Go from the module proxy), side by side in one
 * run on the same file. Each side reads the file itself; best of 3.
 *
 *   node --import tsx bench/goroutine-dump.ts [goroutines]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGoroutineDump } from '../shared/parsers/goroutines';
import { startTarget } from '../test/lab/target';
import { buildTarget } from '../test/lab/targets';

const n = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'gs-bench-goroutines-'));
const dump = join(dir, 'goroutines.txt');
const built = await buildTarget('service');
const t = await startTarget({ binary: built.binary, args: ['-goroutines', String(n)], readyTimeoutMs: 60_000 });
try {
  const res = await fetch(`http://${t.pprofAddr}/debug/pprof/goroutine?debug=2`);
  writeFileSync(dump, Buffer.from(await res.arrayBuffer()));
} finally {
  await t.stop();
}
const peer = join(dir, 'peer');
execFileSync('go', ['build', '-o', peer, '.'], { cwd: join(import.meta.dirname, 'peers', 'goroutines'), stdio: 'inherit' });
const peers = JSON.parse(execFileSync(peer, [dump], { encoding: 'utf8', maxBuffer: 1 << 20 })) as { tool: string; goroutines: number; groups: number; ms: number }[];

let ours = { ms: Infinity, goroutines: 0, groups: 0 };
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const r = parseGoroutineDump(readFileSync(dump, 'utf8'));
  const ms = performance.now() - t0;
  if (!r.ok) throw new Error(r.error.message);
  if (ms < ours.ms) ours = { ms, goroutines: r.value.goroutines.length, groups: r.value.groups.length };
}
const size = readFileSync(dump).length;
console.log(`goroutine dump: ${ours.goroutines} goroutines, ${(size / 1024 / 1024).toFixed(1)} MiB, read + parse + group, best of 3, one run on 2 noisy cores:`);
for (const p of peers) console.log(`  ${p.tool.padEnd(14)} ${p.ms.toFixed(0).padStart(6)} ms  (${p.goroutines} goroutines, ${p.groups} groups)`);
console.log(`  ${'gopherscope'.padEnd(14)} ${ours.ms.toFixed(0).padStart(6)} ms  (${ours.goroutines} goroutines, ${ours.groups} groups)`);
const fastest = peers.reduce((a, b) => (a.ms < b.ms ? a : b));
console.log(`  ratio ours/${fastest.tool}: ${(ours.ms / fastest.ms).toFixed(2)}x (goal: at most 1.00x)`);

/**
 * How long each stack tool stops the target, measured by the target itself:
 * a goroutine records the largest gap between 1 ms ticks (/debug/maxgap).
 * Every available tool, at 50 and 500 threads, side by side in one run.
 *
 *   node --import tsx bench/stack-pause.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_TOOLS, type StackTool } from '../shared/capture/plan';
import { KnownHosts } from '../electron/core/knownHosts';
import { captureStacks } from '../electron/core/stacks';
import { connectSsh } from '../electron/core/sshConnection';
import { startSshd } from '../test/lab/sshd';
import { startTarget } from '../test/lab/target';
import { buildTarget } from '../test/lab/targets';

const sshd = await startSshd();
writeFileSync(join(sshd.dir, 'kh'), `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
const outcome = await connectSsh(
  { hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath },
  { knownHosts: new KnownHosts([join(sshd.dir, 'kh')], join(sshd.dir, 'app')) },
);
if (outcome.kind !== 'connected') throw new Error('cannot connect to the lab sshd');
const conn = outcome.connection;
const built = await buildTarget('service');
const rows: string[] = [];
const results: Record<string, Record<number, number>> = {};
try {
  for (const threads of [50, 500]) {
    const t = await startTarget({ binary: built.binary, args: ['-threads', String(threads), '-goroutines', '100', '-alloc-rate', '0'] });
    try {
      const gap = async (reset: boolean) => {
        const r = await fetch(`http://${t.pprofAddr}/debug/maxgap${reset ? '?reset=1' : ''}`);
        return ((await r.json()) as { maxGapNs: number }).maxGapNs / 1e6;
      };
      await new Promise((r) => setTimeout(r, 1000));
      await gap(true);
      await new Promise((r) => setTimeout(r, 1000));
      const idle = await gap(true);
      rows.push(`${threads} threads, idle baseline: largest tick gap ${idle.toFixed(1)} ms`);
      for (const tool of STACK_TOOLS) {
        const samples: number[] = [];
        let ran: StackTool | null = null;
        for (let i = 0; i < 3; i++) {
          await gap(true);
          const st = await captureStacks(conn, t.pid, { tools: [tool] });
          if (st.tool === null) break;
          ran = st.tool;
          await new Promise((r) => setTimeout(r, 50));
          samples.push(await gap(true));
        }
        if (!ran) {
          rows.push(`  ${tool.padEnd(8)} not installed`);
          continue;
        }
        samples.sort((a, b) => a - b);
        const median = samples[1] ?? samples[0]!;
        (results[tool] ??= {})[threads] = median;
        rows.push(`  ${tool.padEnd(8)} pause (largest tick gap) median of 3: ${median.toFixed(1)} ms  [${samples.map((s) => s.toFixed(1)).join(', ')}]`);
      }
    } finally {
      await t.stop();
    }
  }
} finally {
  conn.end();
  await sshd.stop();
}
console.log('target pause by stack tool, measured by the target (one run, 2 noisy cores):');
for (const r of rows) console.log(r);
const ranked = Object.entries(results).sort((a, b) => (a[1][500] ?? Infinity) - (b[1][500] ?? Infinity));
if (ranked.length > 0) console.log(`smallest pause at 500 threads: ${ranked[0]![0]}; default order: ${STACK_TOOLS.join(', ')}`);

/**
 * What every CLI command pays before it does anything: `gopherscope --help` and `gopherscope
 * inspect` of a small file (a 1 KiB /proc/PID/limits), each a fresh process as a user runs it,
 * against `node -e 0` (Node's own start), side by side and interleaved. Five rounds of 15 runs;
 * each round prints the medians and the ratios, and the end the range over the rounds. Also the
 * same two commands run from the TypeScript sources through tsx, as the CLI did before the bundle.
 *
 *   npm run build && node --import tsx bench/cli-startup.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'gopherscope.mjs');
if (!existsSync(join(root, 'dist', 'cli', 'main.mjs'))) throw new Error('run `npm run build` first: the bench measures the bundle');
const small = join(root, 'shared', 'parsers', 'fixtures', 'go1.26.limits.txt');

interface Side {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}
const sides: Side[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'gopherscope --help', args: [cli, '--help'] },
  { name: 'gopherscope inspect limits', args: [cli, 'inspect', small] },
];
const fromSource: Side[] = [
  { name: '--help from source (tsx)', args: [cli, '--help'], env: { ...process.env, GOPHERSCOPE_CLI_FROM_SOURCE: '1' } },
  { name: 'inspect from source (tsx)', args: [cli, 'inspect', small], env: { ...process.env, GOPHERSCOPE_CLI_FROM_SOURCE: '1' } },
];

function once(s: Side): { ms: number; maxRssKiB: number } {
  // /usr/bin/time reports the child's own peak RSS; the wall time is taken around the spawn, which
  // costs the same for every side.
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...s.args], { encoding: 'utf8', env: s.env ?? process.env });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${s.name} failed: ${r.stderr}`);
  return { ms, maxRssKiB: Number(r.stderr.trim().split('\n').at(-1)) };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rounds = 5;
const perRound = 15;
const ratios: Record<string, number[]> = {};
const rss: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  const times: Record<string, number[]> = {};
  for (let i = 0; i < perRound; i++) {
    for (const s of sides) {
      const m = once(s);
      (times[s.name] ??= []).push(m.ms);
      (rss[s.name] ??= []).push(m.maxRssKiB);
    }
  }
  const base = median(times[sides[0]!.name]!);
  const line = sides.map((s) => `${s.name} ${median(times[s.name]!).toFixed(0)} ms`).join(', ');
  for (const s of sides.slice(1)) (ratios[s.name] ??= []).push(median(times[s.name]!) / base);
  console.log(
    `round ${r + 1}: ${line}; ratios ${sides
      .slice(1)
      .map((s) => `${(median(times[s.name]!) / base).toFixed(2)}x`)
      .join(', ')}`,
  );
}
for (const s of sides.slice(1)) {
  const rs = ratios[s.name]!;
  console.log(
    `${s.name}: ${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)}x node -e 0 over ${rounds} rounds (median of ${perRound} runs each), peak RSS ${(median(rss[s.name]!) / 1024).toFixed(0)} MiB`,
  );
}
console.log(`node -e 0 peak RSS ${(median(rss['node -e 0']!) / 1024).toFixed(0)} MiB`);
for (const s of fromSource) {
  const ms: number[] = [];
  const kib: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = once(s);
    ms.push(m.ms);
    kib.push(m.maxRssKiB);
  }
  console.log(`${s.name}: median ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)}), peak RSS ${(median(kib) / 1024).toFixed(0)} MiB`);
}

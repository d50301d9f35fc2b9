/**
 * A session's artifacts for the settings and rules tests: the lab's cgroup
 * files of a 256 MiB / 0.5-CPU target, the lab settings target's build info
 * (automaxprocs v1.6.0, automemlimit v1.0.2) and /metrics, with the
 * environment, metrics and runtime variables each test chooses; and Go's
 * build info blob written by hand for the versions the lab does not build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Files } from '../../shared/analysis/evidence';

const fx = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'parsers', 'fixtures', name));
export const MiB = 1024 * 1024;
/** The lab's cgroup files of a target with 256 MiB and 0.5 CPU (hybrid v1 host, its own v2 cgroup for pressure). */
export const cgroup256: Record<string, string> = (() => {
  const doc = JSON.parse(fx('go1.26.cgroup.json').toString('utf8')) as { files?: Record<string, string> } & Record<string, string>;
  return doc.files ?? doc;
})();
export const realBuildInfo = new Uint8Array(fx('settings.buildinfo.bin'));
export const realMetrics = fx('settings.metrics.txt').toString('utf8');
export const CADDY_ENV = { GODEBUG: 'madvdontneed=1,asyncpreemptoff=1,loadstall=1', GOMAXPROCS: '8' };

export const metricsText = (procs: string, limit: string, gogc: string) =>
  `# TYPE go_gc_gogc_percent gauge\ngo_gc_gogc_percent ${gogc}\n# TYPE go_gc_gomemlimit_bytes gauge\ngo_gc_gomemlimit_bytes ${limit}\n# TYPE go_sched_gomaxprocs_threads gauge\ngo_sched_gomaxprocs_threads ${procs}\n`;

/** Go's build info blob, pointer-free format: header, then the version and modinfo strings. */
export function buildInfoBytes(goVersion: string, modinfo: string): Uint8Array {
  const enc = new TextEncoder();
  const uvarint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  const sentinel = new Uint8Array(16).fill(0x30);
  const mod = new Uint8Array([...sentinel, ...enc.encode(modinfo), ...sentinel]);
  mod[mod.length - 17] = 0x0a;
  const header = new Uint8Array(32);
  header.set([0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a], 0);
  header[14] = 8;
  header[15] = 2;
  const v = enc.encode(goVersion);
  return new Uint8Array([...header, ...uvarint(v.length), ...v, ...uvarint(mod.length), ...mod]);
}

export function session(
  o: { env?: Record<string, string> | null; metrics?: string; buildInfo?: Uint8Array | null; runtimeVars?: unknown; cgroup?: Record<string, string> | null; cpus?: string } = {},
): Files {
  const files: Record<string, string | Uint8Array> = {
    'meta/discovery.json': JSON.stringify({ isGo: true, goEnv: o.env === undefined ? CADDY_ENV : o.env, pprofPort: 2019 }),
    'proc/status': `Name:\tcaddy\nThreads:\t12\nCpus_allowed_list:\t${o.cpus ?? '0-1'}\n`,
    'system/cpu-online': `${o.cpus ?? '0-1'}\n`,
    ...(o.cgroup === null ? {} : (o.cgroup ?? cgroup256)),
  };
  if (o.buildInfo !== null) files['go/buildinfo'] = o.buildInfo ?? realBuildInfo;
  if (o.metrics !== undefined) files['go/metrics.txt'] = o.metrics;
  if (o.runtimeVars !== undefined) files['go/runtime-vars.json'] = JSON.stringify(o.runtimeVars);
  return files;
}

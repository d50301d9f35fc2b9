/**
 * Real third-party Go services in lab containers (container.ts), each with what it says about
 * itself: its start-up log lines and its own metrics endpoint, read by the test (never through
 * Gopherscope) as the oracle the tool's findings are checked against.
 *
 * `startRealService(name, opts)` is the API tests and benches use:
 * - caddy: Caddy v2.11.9, admin API (/metrics, /debug/pprof/, /debug/vars) on the container's
 *   127.0.0.1:2019, a static site on 127.0.0.1:8080;
 * - kine: kine v0.17.5 on SQLite through mattn/go-sqlite3 (cgo), etcd gRPC on 127.0.0.1:2379,
 *   /metrics and pprof on 127.0.0.1:8080; `load()` drives concurrent gRPC creates and lists;
 * - nats: nats-server v2.15.3, clients on 4222, monitoring (/varz) on 8222 and pprof on 6060,
 *   all on the container's loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CgroupOptions } from './cgroup';
import { startContainer, type LabContainer } from './container';
import { buildThirdParty, THIRD_PARTY, type ThirdPartyName } from './thirdParty';

export interface RealServiceOptions extends CgroupOptions {
  /** Extra environment (GOMAXPROCS, GODEBUG, ...), on top of HOME and PATH. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What the service says about itself. Null where it does not say. */
export interface ServiceOracle {
  /** GOMAXPROCS as the service's own endpoint reports it (go_sched_gomaxprocs_threads, /varz gomaxprocs). */
  readonly gomaxprocs: number | null;
  /** GOMEMLIMIT in bytes as the runtime reports it (go_gc_gomemlimit_bytes); null when not reported. */
  readonly gomemlimitBytes: number | null;
  readonly gogcPercent: number | null;
  /** runtime.MemStats fields the endpoint exposes (go_memstats_*_bytes), by MemStats name. */
  readonly memstats: Readonly<Record<string, number>>;
  /** The raw text it was read from. */
  readonly source: string;
}

export interface RealService {
  readonly name: ThirdPartyName;
  readonly version: string;
  readonly goVersion: string;
  readonly binary: string;
  readonly container: LabContainer;
  /** Host PID. */
  readonly pid: number;
  /** Ports on the container's loopback. */
  readonly ports: Readonly<{ pprof: number; metrics: number } & Record<string, number>>;
  /** Start-up log lines in which the service states a runtime setting (automaxprocs, automemlimit). */
  settingLogLines(): string[];
  /** Reads the oracle now. */
  oracle(): Promise<ServiceOracle>;
  /** Drives load (kine: concurrent gRPC; caddy: HTTP GETs); resolves with the number of requests answered. */
  load(opts: { concurrency: number; requests: number }): Promise<number>;
  stop(): Promise<void>;
}

/** Prometheus text → sample values by metric name (the first sample of each, labels ignored). */
export function promSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, Number(m[3]));
  }
  return out;
}

const MEMSTATS_METRICS: Record<string, string> = {
  HeapSys: 'go_memstats_heap_sys_bytes',
  HeapInuse: 'go_memstats_heap_inuse_bytes',
  HeapIdle: 'go_memstats_heap_idle_bytes',
  HeapReleased: 'go_memstats_heap_released_bytes',
  HeapAlloc: 'go_memstats_heap_alloc_bytes',
  StackSys: 'go_memstats_stack_sys_bytes',
  StackInuse: 'go_memstats_stack_inuse_bytes',
  MSpanSys: 'go_memstats_mspan_sys_bytes',
  MCacheSys: 'go_memstats_mcache_sys_bytes',
  BuckHashSys: 'go_memstats_buck_hash_sys_bytes',
  GCSys: 'go_memstats_gc_sys_bytes',
  OtherSys: 'go_memstats_other_sys_bytes',
  Sys: 'go_memstats_sys_bytes',
};

function oracleFromProm(text: string): ServiceOracle {
  const s = promSamples(text);
  const memstats: Record<string, number> = {};
  for (const [k, metric] of Object.entries(MEMSTATS_METRICS)) if (s.has(metric)) memstats[k] = s.get(metric)!;
  const limit = s.get('go_gc_gomemlimit_bytes');
  return {
    gomaxprocs: s.get('go_sched_gomaxprocs_threads') ?? null,
    // math.MaxInt64 is the runtime's "no limit"; as a float it prints as 9.223372036854776e+18.
    gomemlimitBytes: limit === undefined ? null : limit >= 9.2e18 ? Number.POSITIVE_INFINITY : limit,
    gogcPercent: s.get('go_gc_gogc_percent') ?? null,
    memstats,
    source: text,
  };
}

/** The `# runtime.MemStats` trailer of heap?debug=1: `# HeapSys = 123` lines. */
export function memstatsTrailer(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const trailer = text.slice(text.indexOf('# runtime.MemStats'));
  for (const m of trailer.matchAll(/^# (\w+) = (\d+)$/gm)) if (m[1]! in MEMSTATS_METRICS) out[m[1]!] = Number(m[2]);
  // Stack, MSpan and MCache print as "inuse / sys".
  for (const m of trailer.matchAll(/^# (Stack|MSpan|MCache) = (\d+) \/ (\d+)$/gm)) {
    if (m[1] === 'Stack') out.StackInuse = Number(m[2]);
    out[`${m[1]}Sys`] = Number(m[3]);
  }
  return out;
}

function grpcFrame(msg: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const field = (num: number, body: Buffer) => Buffer.concat([varint((num << 3) | 2), varint(body.length), body]);

/** etcd TxnRequest that kine takes as a create: compare mod_revision(key) == 0, success put. */
function kineCreate(key: string, value: Buffer): Buffer {
  const compare = Buffer.concat([Buffer.from([0x10, 0x02]), field(3, Buffer.from(key))]); // target MOD, key
  const put = Buffer.concat([field(1, Buffer.from(key)), field(2, value)]);
  return Buffer.concat([field(1, compare), field(2, field(2, put))]);
}

/** etcd RangeRequest over a prefix: kine lists it from SQLite. */
function kineList(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]! += 1;
  return Buffer.concat([field(1, Buffer.from(prefix)), field(2, end)]);
}

interface H2Call {
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

/**
 * `requests` calls over one HTTP/2 connection into the container, `concurrency` at a time (each
 * stream is its own goroutine in the service); a call succeeds when `ok` says so.
 */
async function h2Load(
  c: LabContainer,
  port: number,
  concurrency: number,
  requests: number,
  next: (i: number, worker: number) => H2Call,
  ok: (status: number, grpcStatus: string | undefined) => boolean,
): Promise<number> {
  const sock = await c.connectInto(port);
  const session = h2connect(`http://127.0.0.1:${port}`, { createConnection: () => sock as never });
  session.on('error', () => undefined);
  let i = 0;
  let answered = 0;
  const call = (req: H2Call) =>
    new Promise<void>((resolve, reject) => {
      const stream = session.request(req.headers);
      let status = 0;
      let grpc: string | undefined;
      stream.on('response', (h) => {
        status = Number(h[':status']);
        if (h['grpc-status'] !== undefined) grpc = String(h['grpc-status']);
      });
      stream.on('trailers', (t) => (grpc = String(t['grpc-status'])));
      stream.on('data', () => undefined);
      stream.on('end', () => (ok(status, grpc) ? resolve() : reject(new Error(`${req.headers[':path']}: HTTP ${status}, grpc-status ${grpc}`))));
      stream.on('error', reject);
      stream.end(req.body);
    });
  const worker = async (w: number) => {
    for (let n = i++; n < requests; n = i++) {
      await call(next(n, w));
      answered++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  } finally {
    session.close();
    sock.destroy();
  }
  return answered;
}

const VALUE = Buffer.alloc(2048, 'v');

/** Kine: mostly creates (INSERTs through cgo), every fourth a list of the worker's keys (a SELECT over many rows). */
function kineCall(n: number, w: number): H2Call {
  const grpc = (path: string, msg: Buffer): H2Call => ({ headers: { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' }, body: grpcFrame(msg) });
  return n % 4 === 3 ? grpc('/etcdserverpb.KV/Range', kineList(`/registry/load/w${w}/`)) : grpc('/etcdserverpb.KV/Txn', kineCreate(`/registry/load/w${w}/k${n}-${Date.now()}`, VALUE));
}

async function answering(c: LabContainer, port: number, path: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await c.get(port, path, { timeoutMs: 5000 })).status === 200) return;
    } catch (err) {
      if (Date.now() > until) throw new Error(`port ${port} in ${c.netns} did not answer ${path} within ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
    }
    if (Date.now() > until) throw new Error(`port ${port} in ${c.netns} did not answer ${path} with 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startRealService(name: ThirdPartyName, opts: RealServiceOptions = {}): Promise<RealService> {
  const built = await buildThirdParty(name);
  const dir = mkdtempSync(join(tmpdir(), `gs-lab-${name}-`));
  const baseEnv = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), ...opts.env };
  let container: LabContainer;
  let ports: RealService['ports'];
  let readOracle: (c: LabContainer) => Promise<ServiceOracle>;
  let load: (c: LabContainer, o: { concurrency: number; requests: number }) => Promise<number>;
  const cg: CgroupOptions = {
    ...(opts.memoryMaxBytes !== undefined ? { memoryMaxBytes: opts.memoryMaxBytes } : {}),
    ...(opts.cpuQuotaUs !== undefined ? { cpuQuotaUs: opts.cpuQuotaUs } : {}),
    ...(opts.cpuPeriodUs !== undefined ? { cpuPeriodUs: opts.cpuPeriodUs } : {}),
  };
  try {
    if (name === 'caddy') {
      ports = { pprof: 2019, metrics: 2019, admin: 2019, http: 8080 };
      const config = {
        admin: { listen: '127.0.0.1:2019' },
        apps: { http: { servers: { lab: { listen: ['127.0.0.1:8080'], protocols: ['h1', 'h2c'], routes: [{ handle: [{ handler: 'static_response', body: 'hello from the lab\n' }] }] } } } },
      };
      writeFileSync(join(dir, 'caddy.json'), JSON.stringify(config));
      container = await startContainer({ ...cg, binary: built.binary, args: ['run', '--config', join(dir, 'caddy.json')], env: baseEnv, cwd: dir, ready: /serving initial configuration/ });
      readOracle = async (c) => oracleFromProm((await c.get(2019, '/metrics')).body);
      load = (c, o) =>
        h2Load(
          c,
          8080,
          o.concurrency,
          o.requests,
          () => ({ headers: { ':method': 'GET', ':path': '/' } }),
          (st) => st === 200,
        );
    } else if (name === 'kine') {
      ports = { pprof: 8080, metrics: 8080, grpc: 2379 };
      container = await startContainer({
        ...cg,
        binary: built.binary,
        args: [
          '--endpoint',
          `sqlite://${join(dir, 'state.db')}?_journal=WAL&cache=shared&_busy_timeout=30000`,
          '--listen-address',
          '127.0.0.1:2379',
          '--metrics-bind-address',
          '127.0.0.1:8080',
          '--metrics-enable-profiling',
        ],
        env: baseEnv,
        cwd: dir,
        ready: /Kine available at/,
      });
      readOracle = async (c) => oracleFromProm((await c.get(8080, '/metrics')).body);
      load = (c, o) => h2Load(c, 2379, o.concurrency, o.requests, kineCall, (st, g) => st === 200 && g === '0');
    } else {
      ports = { pprof: 6060, metrics: 8222, client: 4222, monitor: 8222 };
      container = await startContainer({ ...cg, binary: built.binary, args: ['-a', '127.0.0.1', '-p', '4222', '-m', '8222', '--profile', '6060'], env: baseEnv, cwd: dir, ready: /Server is ready/ });
      // /varz is nats-server's account of itself (GOMAXPROCS among it); its MemStats come from its own pprof heap page.
      readOracle = async (c) => {
        const body = (await c.get(8222, '/varz')).body;
        const v = JSON.parse(body) as { gomaxprocs?: number };
        const heap = (await c.get(6060, '/debug/pprof/heap?debug=1')).body;
        return { gomaxprocs: v.gomaxprocs ?? null, gomemlimitBytes: null, gogcPercent: null, memstats: memstatsTrailer(heap), source: `${body}\n${heap.slice(heap.indexOf('# runtime.MemStats'))}` };
      };
      load = async () => 0;
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const c = container;
  // "Ready" in the log can come before the pprof listener (kine starts it on its own goroutine).
  try {
    await answering(c, ports.pprof, '/debug/pprof/');
  } catch (err) {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name,
    version: THIRD_PARTY[name].version,
    goVersion: built.goVersion,
    binary: built.binary,
    container: c,
    pid: c.pid,
    ports,
    settingLogLines: () =>
      c
        .output()
        .split('\n')
        .filter((l) => /maxprocs:|GOMEMLIMIT|memlimit/.test(l)),
    oracle: () => readOracle(c),
    load: (o) => load(c, o),
    async stop() {
      await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Go services we did not write, built from the Go module proxy at pinned versions with the
 * machine's Go, and cached in .lab/third-party/ by module@version, cgo setting and toolchain, so
 * one suite run builds each once and later runs reuse it. `npm test` builds them before the test
 * files run (test/lab/prebuild.ts), so no test pays for a build inside its own timeout.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goBinary, goVersionOf } from './targets';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const cacheDir = join(root, '.lab', 'third-party');

export interface ThirdPartyService {
  /** The package `go install` builds (a main package). */
  readonly pkg: string;
  readonly version: string;
  /** The module the version belongs to. */
  readonly module: string;
  readonly cgo: boolean;
  /** Why this service is in the lab. */
  readonly why: string;
}

export const THIRD_PARTY = {
  caddy: {
    pkg: 'github.com/caddyserver/caddy/v2/cmd/caddy',
    module: 'github.com/caddyserver/caddy/v2',
    version: 'v2.11.9',
    cgo: false,
    why: 'stock cmd/caddy links KimMachineGun/automemlimit and go.uber.org/automaxprocs, which set GOMEMLIMIT and GOMAXPROCS in-process and log it; the admin API serves /metrics and /debug/pprof/',
  },
  kine: {
    pkg: 'github.com/k3s-io/kine',
    module: 'github.com/k3s-io/kine',
    version: 'v0.17.5',
    cgo: true,
    why: "k3s's etcd shim: with CGO_ENABLED=1 its SQLite backend is github.com/mattn/go-sqlite3 (C code that mallocs on every query), so concurrent gRPC requests make glibc malloc arenas; --metrics-enable-profiling serves pprof beside /metrics",
  },
  nats: {
    pkg: 'github.com/nats-io/nats-server/v2',
    module: 'github.com/nats-io/nats-server/v2',
    version: 'v2.15.3',
    cgo: false,
    why: 'its profiling port (--profile) can be bound to 127.0.0.1 only, so inside a network namespace pprof is reachable only through that namespace; /varz is its own account of itself',
  },
} as const satisfies Record<string, ThirdPartyService>;

export type ThirdPartyName = keyof typeof THIRD_PARTY;

export interface BuiltService {
  readonly name: ThirdPartyName;
  readonly binary: string;
  readonly goVersion: string;
  /** Wall time of this build in ms; 0 when the binary came from the cache. */
  readonly buildMs: number;
}

async function localGoVersion(): Promise<string> {
  const { stdout } = await run(goBinary(), ['env', 'GOVERSION']);
  return stdout.trim();
}

/**
 * A cold build of kine took 48.5 min on the 2-core machine under a load average of 20 (README);
 * the bound is there to stop a hung build, not to hurry a slow one.
 */
const BUILD_TIMEOUT_MS = 75 * 60_000;

const inflight = new Map<string, Promise<BuiltService>>();

/** Builds (once per cache key) and returns the service's binary. */
export function buildThirdParty(name: ThirdPartyName): Promise<BuiltService> {
  const existing = inflight.get(name);
  if (existing) return existing;
  const p = (async (): Promise<BuiltService> => {
    const svc: ThirdPartyService = THIRD_PARTY[name];
    const toolchain = await localGoVersion();
    const key = `${svc.module.replace(/[^A-Za-z0-9.]+/g, '_')}@${svc.version}-${svc.cgo ? 'cgo' : 'nocgo'}-${toolchain}`;
    const dir = join(cacheDir, key);
    const binary = join(dir, name === 'nats' ? 'nats-server' : name);
    let buildMs = 0;
    if (!existsSync(binary)) {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, GOBIN: tmp, CGO_ENABLED: svc.cgo ? '1' : '0', GOFLAGS: '-trimpath', GOTOOLCHAIN: 'local' };
      const started = Date.now();
      try {
        await run(goBinary(), ['install', `${svc.pkg}@${svc.version}`], { env, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        const e = err as { stderr?: string; message: string; killed?: boolean; signal?: string };
        const why = e.killed
          ? `it did not finish within ${BUILD_TIMEOUT_MS / 60_000} min and was stopped (${e.signal}); what it compiled stays in Go's build cache, so running it again continues`
          : (e.stderr || e.message).slice(-4000);
        throw new Error(`building ${svc.pkg}@${svc.version} (${toolchain}, CGO_ENABLED=${svc.cgo ? 1 : 0}) from the Go module proxy failed: ${why}`, { cause: err });
      }
      buildMs = Date.now() - started;
      writeFileSync(join(tmp, 'BUILD'), `${svc.pkg}@${svc.version} ${toolchain} CGO_ENABLED=${svc.cgo ? 1 : 0} built in ${buildMs} ms\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
    return { name, binary, goVersion: await goVersionOf(binary), buildMs };
  })();
  inflight.set(name, p);
  p.catch(() => inflight.delete(name));
  return p;
}

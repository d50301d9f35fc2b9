/**
 * "Open with go tool trace": when Go is installed on the machine the
 * backend runs on (the user's, never the target host), run
 * `go tool trace` on a stored trace blob. Two steps the UI shows apart:
 * `go tool -n trace` compiles the tool (Go 1.25 and later ship it as source
 * and build it on first use) and names the binary; the binary then reads the
 * file and prints its address, which we return for the UI to open (its own
 * browser opening is turned off with BROWSER=true). One viewer per trace,
 * stopped when its session view closes, and all when the backend closes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ApiError } from '../../shared/contract/errors';

/** Where Go is found when PATH lacks it: a desktop app launched from a menu often has a short PATH. */
const USUAL_GO = ['/usr/local/go/bin/go', '/usr/lib/go/bin/go', '/opt/homebrew/bin/go'];
/** Go's viewer parses the whole trace before it listens; a few hundred MB takes a minute or two. */
const READY_TIMEOUT_MS = 5 * 60_000;
/** Compiling the trace tool takes seconds on an idle machine, a minute on a busy one. */
const BUILD_TIMEOUT_MS = 5 * 60_000;

export interface GoToolStatus {
  readonly available: boolean;
  readonly goPath: string | null;
  readonly goVersion: string | null;
  /** Why it is not available, in words a user can act on. */
  readonly reason: string | null;
}

function findGo(env: NodeJS.ProcessEnv, usual: readonly string[]): string | null {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const p of [...dirs.map((d) => join(d, 'go')), ...usual]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export class GoTraceTool {
  private readonly viewers = new Map<string, { child: ChildProcess; url: Promise<string> }>();
  private cached: Promise<GoToolStatus> | null = null;
  private built: Promise<{ binary: string; goVersion: string; durationMs: number }> | null = null;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly usual: readonly string[] = USUAL_GO,
  ) {}

  status(): Promise<GoToolStatus> {
    this.cached ??= new Promise((resolve) => {
      const goPath = findGo(this.env, this.usual);
      if (!goPath) {
        resolve({
          available: false,
          goPath: null,
          goVersion: null,
          reason:
            'Go is not installed on this machine (no `go` on PATH or in /usr/local/go/bin). Install Go 1.22 or newer to use go tool trace, or export the trace for Perfetto with `gopherscope trace FILE --perfetto OUT.json`.',
        });
        return;
      }
      execFile(goPath, ['version'], { timeout: 10_000, cwd: tmpdir(), env: this.env }, (err, stdout) => {
        const m = /go version (go\S+)/.exec(stdout ?? '');
        if (err || !m) resolve({ available: false, goPath, goVersion: null, reason: `\`${goPath} version\` failed: ${err?.message ?? stdout}` });
        else resolve({ available: true, goPath, goVersion: m[1]!, reason: null });
      });
    });
    return this.cached;
  }

  /** Compiles the trace tool when this Go has not yet (`go tool -n` builds it and prints its path), once per backend. */
  build(): Promise<{ binary: string; goVersion: string; durationMs: number }> {
    this.built ??= this.status().then(
      (st) =>
        new Promise((resolve, reject) => {
          if (!st.available) return reject(new ApiError('tool-failed', st.reason ?? 'go tool trace is not available.'));
          const started = Date.now();
          execFile(st.goPath!, ['tool', '-n', 'trace'], { timeout: BUILD_TIMEOUT_MS, cwd: tmpdir(), env: this.env, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
            const binary = stdout.trim().split('\n').at(-1) ?? '';
            if (err || !binary.startsWith('/')) reject(new ApiError('tool-failed', `compiling go tool trace with ${st.goVersion} failed: ${(stderr || err?.message || stdout).trim().slice(-500)}`));
            else resolve({ binary, goVersion: st.goVersion!, durationMs: Date.now() - started });
          });
        }),
    );
    // A failed build is tried again on the next click.
    this.built.catch(() => (this.built = null));
    return this.built;
  }

  /** Starts Go's viewer on a trace file (or returns the one already running for it) and resolves with its address. */
  async open(key: string, file: string): Promise<{ url: string; goVersion: string }> {
    const st = await this.status();
    if (!st.available) throw new ApiError('tool-failed', st.reason ?? 'go tool trace is not available.');
    const running = this.viewers.get(key);
    if (running && running.child.exitCode === null) return { url: await running.url, goVersion: st.goVersion! };
    const { binary } = await this.build();
    // Only loopback: the viewer serves the trace's contents to whoever connects. BROWSER=true: the
    // UI opens the address (a link in browser mode, the desktop's browser in Electron), not Go.
    const child = spawn(binary, ['-http=127.0.0.1:0', file], { cwd: tmpdir(), env: { ...this.env, BROWSER: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const url = new Promise<string>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => {
        child.kill();
        reject(new ApiError('tool-failed', `go tool trace did not start within ${READY_TIMEOUT_MS / 60_000} minutes. Its output: ${log.slice(-500)}`));
      }, READY_TIMEOUT_MS);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        log = (log + d).slice(-8192);
        const m = /Trace viewer is listening on (http:\/\/\S+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        this.built = null;
        reject(new ApiError('tool-failed', `could not run go tool trace: ${err.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (this.viewers.get(key)?.child === child) this.viewers.delete(key);
        // After it printed its address this rejection is ignored (the promise is settled).
        reject(
          new ApiError(
            'tool-failed',
            `go tool trace (${st.goVersion}) exited with code ${code}: ${log.trim().split('\n').slice(-3).join(' ') || 'no output'}`,
            'Go reads traces from its own version and older ones; a newer trace needs a newer Go.',
          ),
        );
      });
    });
    this.viewers.set(key, { child, url });
    return { url: await url, goVersion: st.goVersion! };
  }

  /** Stops the viewers of these traces; returns how many were running. */
  close(keys: readonly string[]): number {
    let n = 0;
    for (const key of keys) {
      const v = this.viewers.get(key);
      if (!v) continue;
      this.viewers.delete(key);
      if (v.child.exitCode === null && v.child.signalCode === null) n++;
      v.child.kill();
    }
    return n;
  }

  closeAll(): void {
    for (const v of this.viewers.values()) v.child.kill();
    this.viewers.clear();
  }
}

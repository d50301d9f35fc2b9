/**
 * "Open with go tool trace": when Go is installed on the machine the
 * backend runs on (the user's, never the target host), run
 * `go tool trace` on a stored trace blob. Go's viewer reads the file itself
 * and opens the user's browser; we return the address it prints so the UI
 * can show it. One viewer per trace; all are stopped when the backend closes.
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

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly usual: readonly string[] = USUAL_GO,
  ) {}

  status(): Promise<GoToolStatus> {
    this.cached ??= new Promise((resolve) => {
      const goPath = findGo(this.env, this.usual);
      if (!goPath) {
        resolve({ available: false, goPath: null, goVersion: null, reason: 'Go is not installed on this machine (no `go` on PATH or in /usr/local/go/bin). Install Go 1.22 or newer to use go tool trace, or export the trace for Perfetto with `gopherscope trace FILE --perfetto OUT.json`.' });
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

  /** Starts Go's viewer on a trace file (or returns the one already running for it) and resolves with its address. */
  async open(key: string, file: string): Promise<{ url: string; goVersion: string }> {
    const st = await this.status();
    if (!st.available) throw new ApiError('tool-failed', st.reason ?? 'go tool trace is not available.');
    const running = this.viewers.get(key);
    if (running && running.child.exitCode === null) return { url: await running.url, goVersion: st.goVersion! };
    // Only loopback: the viewer serves the trace's contents to whoever connects.
    const child = spawn(st.goPath!, ['tool', 'trace', '-http=127.0.0.1:0', file], { cwd: tmpdir(), env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
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
        reject(new ApiError('tool-failed', `could not run go tool trace: ${err.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        this.viewers.delete(key);
        // After it printed its address this rejection is ignored (the promise is settled).
        reject(new ApiError('tool-failed', `go tool trace (${st.goVersion}) exited with code ${code}: ${log.trim().split('\n').slice(-3).join(' ') || 'no output'}`, 'Go reads traces from its own version and older ones; a newer trace needs a newer Go.'));
      });
    });
    this.viewers.set(key, { child, url });
    return { url: await url, goVersion: st.goVersion! };
  }

  closeAll(): void {
    for (const v of this.viewers.values()) v.child.kill();
    this.viewers.clear();
  }
}

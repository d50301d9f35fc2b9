/**
 * Native thread stacks of the target, with the first tool the host has, in
 * STACK_TOOLS order (the shortest pause first; `gdb -batch` last). Every one of them stops the
 * process while it unwinds (ptrace), so this step is optional, bounded by a
 * timeout, and reports which tool ran and how long the target was held at
 * most (the tool's run time; the pause itself is shorter).
 */
import type { ArtifactStatus } from '../../shared/contract/api';
import type { SshConnection } from './sshConnection';
import { ARTIFACTS } from '../../shared/artifacts/registry';
import { stacksScript } from './remoteScripts';

import { STACK_TOOLS, type StackTool } from '../../shared/capture/plan';

export { STACK_TOOLS, type StackTool };

const NAME = ARTIFACTS.nativeStacks.name;

export interface StackResult {
  readonly name: typeof NAME;
  readonly status: ArtifactStatus;
  readonly reason: string | null;
  readonly body: Buffer;
  readonly tool: StackTool | null;
  readonly pausedAtMostMs: number | null;
}

export async function captureStacks(
  conn: SshConnection,
  pid: number,
  opts: { sudo?: boolean; tools?: readonly StackTool[]; timeoutS?: number; maxBytes?: number; signal?: AbortSignal },
): Promise<StackResult> {
  if (!Number.isSafeInteger(pid) || pid < 1) throw new Error('bad pid');
  const tools = (opts.tools ?? STACK_TOOLS).filter((t): t is StackTool => (STACK_TOOLS as readonly string[]).includes(t));
  const timeoutS = opts.timeoutS ?? 30;
  const script = stacksScript(pid, tools, timeoutS, opts.sudo ? { sudo: true } : {});
  const started = Date.now();
  const r = await conn.exec(script, { timeoutMs: (timeoutS + 10) * 1000, maxBytes: opts.maxBytes ?? ARTIFACTS.nativeStacks.cap, ...(opts.signal ? { signal: opts.signal } : {}) });
  const elapsed = Date.now() - started;
  const out = r.stdout.toString('utf8');
  if (out.startsWith('@@NOTOOL')) {
    return {
      name: NAME,
      status: 'skipped',
      reason: `none of ${tools.join(', ')} is installed on the host (install elfutils for eu-stack, the shortest pause)`,
      body: Buffer.alloc(0),
      tool: null,
      pausedAtMostMs: null,
    };
  }
  const toolLine = /^@@TOOL (\S+)\n/.exec(out);
  const tool = (toolLine?.[1] ?? null) as StackTool | null;
  const scope = /@@PTRACE_SCOPE (\S+)\n/.exec(out)?.[1];
  const body = Buffer.from(out.replace(/^@@TOOL \S+\n/, '').replace(/^@@PTRACE_SCOPE \S+\n/, ''), 'utf8');
  const held = `${tool} ran; the target was stopped for at most ${elapsed} ms`;
  if (r.cancelled) return { name: NAME, status: body.length > 0 ? 'truncated' : 'failed', reason: `cancelled by the user; ${held}`, body, tool, pausedAtMostMs: elapsed };
  if (r.timedOut || r.code === 137)
    return { name: NAME, status: body.length > 0 ? 'truncated' : 'failed', reason: `${tool} did not finish within ${timeoutS} s and was killed; ${held}`, body, tool, pausedAtMostMs: elapsed };
  const text = body.toString('utf8');
  // eu-stack exits 1 when it cannot unwind some frame (Go's cgo stubs), after printing the rest.
  if (r.code !== 0 && /^#0\s/m.test(text)) {
    const note = text
      .split('\n')
      .filter((l) => /^(eu-stack|gdb|warning):/i.test(l))
      .slice(0, 2)
      .join(' ')
      .slice(0, 200);
    return { name: NAME, status: 'ok', reason: `${held}; it exited with ${r.code} after unwinding errors for some frames${note ? `: ${note}` : ''}`, body, tool, pausedAtMostMs: elapsed };
  }
  if (r.code !== 0) {
    const denied = /ptrace|not permitted|permission denied|password is required/i.test(text);
    const hint = denied ? ` Attaching needs the same user and kernel.yama.ptrace_scope 0 (it is ${scope ?? 'unknown'}), or root: enable sudo -n.` : '';
    return { name: NAME, status: 'failed', reason: `${tool} exited with ${r.code}: ${text.trim().split('\n').slice(-2).join(' ').slice(0, 300)}.${hint}`, body, tool, pausedAtMostMs: elapsed };
  }
  return { name: NAME, status: r.truncated ? 'truncated' : 'ok', reason: held, body, tool, pausedAtMostMs: elapsed };
}

/**
 * Teardown that runs even when a test fails or the test process is killed
 * by a signal: every lab resource registers its cleanup here.
 */
import type { ChildProcess } from 'node:child_process';

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

type Cleanup = { readonly name: string; readonly sync: () => void };
const pending = new Set<Cleanup>();
let installed = false;

function runAllSync(): void {
  for (const c of [...pending].reverse()) {
    try {
      c.sync();
    } catch {
      // best effort at exit
    }
    pending.delete(c);
  }
}

export function onTeardown(name: string, sync: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAllSync);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        runAllSync();
        process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
      });
    }
  }
  const entry = { name, sync };
  pending.add(entry);
  return () => pending.delete(entry);
}

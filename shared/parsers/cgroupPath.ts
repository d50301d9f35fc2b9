/**
 * /proc/PID/cgroup: where the memory limit lives. A v1 memory controller line
 * wins — on hybrid hosts the unified "0::" line exists too but holds no
 * memory controller; on pure v2 hosts the "0::" line is the only one.
 */
export function cgroupPathOf(text: string): string | null {
  let unified: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[2]!.split(',').includes('memory')) return m[3]!;
    if (m[1] === '0' && m[2] === '') unified = m[3]!;
  }
  return unified;
}

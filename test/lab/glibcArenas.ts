/**
 * The lab's own count of a process's glibc malloc arenas, independent of Gopherscope's classifier:
 * an arena's first heap is a 64 MiB-aligned anonymous mapping that starts with glibc's heap_info
 * { ar_ptr, prev, size, mprotect_size, (2.35+) pagesize }, where ar_ptr points just past that
 * header (the arena's malloc_state lives there: 32 bytes on, 48 from glibc 2.35), prev is null,
 * mprotect_size is the readable-writable part and size at most that. Read as root from
 * /proc/PID/maps and /proc/PID/mem (64-bit layouts: 8-byte fields).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const HEAP_MAX = 64 * 1024 * 1024;
const HEAP_INFO_BYTES = 32;

export interface GlibcArena {
  readonly start: bigint;
  /** The rw-p part (heap_info.mprotect_size). */
  readonly rwBytes: number;
  /** The rw-p part plus the ---p reserve after it, up to the 64 MiB heap. */
  readonly mappedBytes: number;
}

export function glibcArenas(pid: number): GlibcArena[] {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((l) => /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]!, inode: Number(m[4]), name: m[5]! }));
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const out: GlibcArena[] = [];
  try {
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i]!;
      if (m.perms !== 'rw-p' || m.inode !== 0 || m.name !== '' || m.start % BigInt(HEAP_MAX) !== 0n) continue;
      const buf = Buffer.alloc(HEAP_INFO_BYTES);
      try {
        if (readSync(fd, buf, 0, HEAP_INFO_BYTES, m.start) !== HEAP_INFO_BYTES) continue;
      } catch {
        continue;
      }
      const arPtr = buf.readBigUInt64LE(0);
      const prev = buf.readBigUInt64LE(8);
      const size = buf.readBigUInt64LE(16);
      const mprotectSize = buf.readBigUInt64LE(24);
      const rw = m.end - m.start;
      const headerOk = arPtr === m.start + 32n || arPtr === m.start + 48n;
      if (!headerOk || prev !== 0n || mprotectSize !== rw || size === 0n || size > mprotectSize) continue;
      const next = maps[i + 1];
      const reserve = next && next.start === m.end && next.perms === '---p' && next.inode === 0 ? next.end - next.start : 0n;
      out.push({ start: m.start, rwBytes: Number(rw), mappedBytes: Number(rw + reserve) });
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

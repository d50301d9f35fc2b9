/**
 * One registry of artifact kinds: how to recognise each from its content
 * (as speedscope's importers do) or from its name in a session, and which
 * parser turns it into a model. `gopherscope inspect`, the views and the
 * analysis all go through here, so a new format is added in one place.
 */
import { findBuildInfoMagic, parseBuildInfo } from './buildinfo';
import { parseCgroupFiles } from './cgroup';
import { EXPVAR_ARTIFACT, parseExpvar } from './expvar';
import { METRICS_ARTIFACT, parsePrometheusText } from './prometheusText';
import { parseGoroutineDump } from './goroutines';
import { parseHeapDebug1 } from './memstats';
import { isGzip, parsePprof } from './pprof';
import { parseProcLimits } from './procLimits';
import { parseProcSched } from './procSched';
import { parseProcSchedstat, parseProcStat, parseProcStatm } from './procStat';
import { parseProcStatus } from './procStatus';
import { parseProcUptime } from './procUptime';
import { parsePsi } from './psi';
import { failed, type ParseResult } from './result';
import { parseRuntimeLog } from './runtimeLog';
import { parseSchedDebug } from './schedDebug';
import { parseSmaps } from './smaps';
import { parseSmapsRollup } from './smapsRollup';
import { parseNativeStacks } from './stacks';
import { decodeUtf8 } from '../util/utf8';

export const ARTIFACT_KINDS = [
  'smaps',
  'maps',
  'smaps_rollup',
  'status',
  'stat',
  'statm',
  'limits',
  'schedstat',
  'sched',
  'sched_debug',
  'stacks',
  'goroutines',
  'heap-debug1',
  'runtime-log',
  'psi',
  'uptime',
  'pprof',
  'buildinfo',
  'cgroup-files',
  'prometheus-text',
  'expvar',
] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export function isArtifactKind(s: string): s is ArtifactKind {
  return (ARTIFACT_KINDS as readonly string[]).includes(s);
}

/** The kind of a session artifact from its name, or null for raw-only artifacts. */
export function kindOfArtifactName(name: string): ArtifactKind | null {
  const exact: Record<string, ArtifactKind> = {
    'proc/smaps': 'smaps',
    'proc/maps': 'maps',
    'proc/smaps_rollup': 'smaps_rollup',
    'proc/status': 'status',
    'proc/stat': 'stat',
    'system/uptime': 'uptime',
    'proc/statm': 'statm',
    'proc/limits': 'limits',
    'proc/schedstat': 'schedstat',
    'proc/sched': 'sched',
    'scheduler/sched_debug': 'sched_debug',
    'stacks/native.txt': 'stacks',
    'go/goroutine-debug2.txt': 'goroutines',
    'go/heap-debug1.txt': 'heap-debug1',
    [METRICS_ARTIFACT]: 'prometheus-text',
    [EXPVAR_ARTIFACT]: 'expvar',
    'go/buildinfo': 'buildinfo',
  };
  if (exact[name]) return exact[name]!;
  if (/^system\/pressure-/.test(name) || /^cgroup\/.*\.pressure$/.test(name)) return 'psi';
  if (/^go\/.*\.pb\.gz$/.test(name)) return 'pprof';
  // Threads are stored as task/TID/stat and task/TID/sched.
  if (/^task\/\d+\/stat$/.test(name)) return 'stat';
  if (/^task\/\d+\/sched$/.test(name)) return 'sched';
  return null;
}

/** Recognises a kind from the first bytes; null when nothing matches. */
export function detectKind(bytes: Uint8Array): ArtifactKind | null {
  if (isGzip(bytes)) return 'pprof';
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return 'buildinfo';
  if (findBuildInfoMagic(bytes.subarray(0, 1024 * 1024)) >= 0) return 'buildinfo';
  const head = decodeUtf8(bytes.subarray(0, 64 * 1024));
  const first = head.split('\n', 1)[0] ?? '';
  const second = head.split('\n', 2)[1] ?? '';
  if (head.startsWith('{') && /"cgroup\//.test(head)) return 'cgroup-files';
  if (head.trimStart().startsWith('{') && /"(cmdline|memstats)"\s*:/.test(head)) return 'expvar';
  if (/^# (HELP|TYPE) [A-Za-z_:][A-Za-z0-9_:]* /.test(first)) return 'prometheus-text';
  if (first.startsWith('Sched Debug Version')) return 'sched_debug';
  if (/^[0-9a-f]+-[0-9a-f]+ .*\[rollup\]/.test(first)) return 'smaps_rollup';
  if (/^[0-9a-f]+-[0-9a-f]+ [-r][-w][-x][-psS] /.test(first)) return /^Size:/.test(second) ? 'smaps' : 'maps';
  if (/^Name:\t/.test(first)) return 'status';
  if (/^Limit\s+Soft Limit/.test(first)) return 'limits';
  if (/ \(\d+, #threads: \d+\)\s*$/.test(first)) return 'sched';
  if (/^\d+ \(.*\) [A-Za-z] /.test(first)) return 'stat';
  if (/^(PID \d+ - process|TID \d+:)/m.test(head) || /^Thread \d+ \(/m.test(head)) return 'stacks';
  if (/^goroutine \d+ .*\[.*\]:$/m.test(head)) return 'goroutines';
  if (/^heap profile: /.test(first) || /^# runtime\.MemStats$/m.test(head)) return 'heap-debug1';
  if (/^(some|full) avg10=/.test(first)) return 'psi';
  if (/(^|\s)gc \d+ @[\d.]+s \d+%:/m.test(head) || /SCHED \d+ms: gomaxprocs=/.test(head)) return 'runtime-log';
  if (/^\d+\.\d+ \d+\.\d+\s*$/.test(first)) return 'uptime';
  if (/^\d+ \d+ \d+ \d+ \d+ \d+ \d+\s*$/.test(first)) return 'statm';
  if (/^\d+ \d+ \d+\s*$/.test(first)) return 'schedstat';
  return null;
}

export function parseArtifact(kind: ArtifactKind, bytes: Uint8Array): ParseResult<unknown> {
  switch (kind) {
    case 'pprof':
      return parsePprof(bytes);
    case 'buildinfo':
      return parseBuildInfo(bytes);
  }
  const text = decodeUtf8(bytes);
  switch (kind) {
    case 'smaps':
    case 'maps':
      return parseSmaps(text);
    case 'smaps_rollup':
      return parseSmapsRollup(text);
    case 'status':
      return parseProcStatus(text);
    case 'stat':
      return parseProcStat(text);
    case 'statm':
      return parseProcStatm(text);
    case 'limits':
      return parseProcLimits(text);
    case 'schedstat':
      return parseProcSchedstat(text);
    case 'sched':
      return parseProcSched(text);
    case 'sched_debug':
      return parseSchedDebug(text);
    case 'stacks':
      return parseNativeStacks(text);
    case 'goroutines':
      return parseGoroutineDump(text);
    case 'heap-debug1':
      return parseHeapDebug1(text);
    case 'runtime-log':
      return parseRuntimeLog(text);
    case 'psi':
      return parsePsi(text);
    case 'uptime':
      return parseProcUptime(text);
    case 'prometheus-text':
      return parsePrometheusText(text);
    case 'expvar':
      return parseExpvar(text);
    case 'cgroup-files': {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        return failed({ message: `not JSON: ${(e as Error).message}`, line: 1 });
      }
      const files = (doc as { files?: unknown }).files ?? doc;
      if (typeof files !== 'object' || files === null) return failed({ message: 'expected an object of "cgroup/…" artifact names to file contents', line: 1 });
      return parseCgroupFiles(Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => typeof e[1] === 'string')));
    }
  }
}

/**
 * Artifact kinds: how to recognise each from its content (as speedscope's importers do), and
 * which parser turns it into a model (PARSERS, one row per kind, so the compiler refuses a kind
 * without one). Kinds by name, and the artifacts themselves, are in shared/artifacts/registry.ts.
 * `gopherscope inspect` goes through here.
 */
import { findBuildInfoMagic, parseBuildInfo } from './buildinfo';
import { parseCgroupFiles } from './cgroup';
import { parseExpvar } from './expvar';
import { parsePrometheusText } from './prometheusText';
import { parseGoroutineDump } from './goroutines';
import { parseHeapDebug1 } from './memstats';
import { parseMemProbes } from './memProbes';
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
import type { ArtifactKind } from '../artifacts/registry';

export { ARTIFACT_KINDS, isArtifactKind, kindOfArtifactName, type ArtifactKind } from '../artifacts/registry';

/** Recognises a kind from the first bytes; null when nothing matches. */
export function detectKind(bytes: Uint8Array): ArtifactKind | null {
  if (isGzip(bytes)) return 'pprof';
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return 'buildinfo';
  if (findBuildInfoMagic(bytes.subarray(0, 1024 * 1024)) >= 0) return 'buildinfo';
  const head = decodeUtf8(bytes.subarray(0, 64 * 1024));
  const first = head.split('\n', 1)[0] ?? '';
  const second = head.split('\n', 2)[1] ?? '';
  if (head.trimStart().startsWith('{') && /"format"\s*:\s*"gopherscope-mem-probes"/.test(head)) return 'mem-probes';
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

type Parser = (bytes: Uint8Array) => ParseResult<unknown>;
const text =
  (parse: (text: string) => ParseResult<unknown>): Parser =>
  (bytes) =>
    parse(decodeUtf8(bytes));

/** The parser of each kind. */
export const PARSERS: { readonly [K in ArtifactKind]: Parser } = {
  smaps: text(parseSmaps),
  maps: text(parseSmaps),
  smaps_rollup: text(parseSmapsRollup),
  status: text(parseProcStatus),
  stat: text(parseProcStat),
  statm: text(parseProcStatm),
  limits: text(parseProcLimits),
  schedstat: text(parseProcSchedstat),
  sched: text(parseProcSched),
  sched_debug: text(parseSchedDebug),
  stacks: text(parseNativeStacks),
  goroutines: text(parseGoroutineDump),
  'heap-debug1': text(parseHeapDebug1),
  'runtime-log': text(parseRuntimeLog),
  psi: text(parsePsi),
  uptime: text(parseProcUptime),
  pprof: parsePprof,
  buildinfo: parseBuildInfo,
  'cgroup-files': text(parseCgroupDocument),
  'prometheus-text': text(parsePrometheusText),
  expvar: text(parseExpvar),
  'mem-probes': text(parseMemProbes),
};

export function parseArtifact(kind: ArtifactKind, bytes: Uint8Array): ParseResult<unknown> {
  return PARSERS[kind](bytes);
}

/** inspect's cgroup-files form: every cgroup file of a capture in one JSON document ({"files": {name: text}} or the object itself). */
function parseCgroupDocument(text: string): ParseResult<unknown> {
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

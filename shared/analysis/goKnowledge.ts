/**
 * What the Go runtime does by version, as the recommendation rules need it:
 * version parsing, which GODEBUG keys exist in which release, how the
 * default GOMAXPROCS is chosen, and how GOMEMLIMIT and GOGC values read.
 * Sources: ../shared/reference/go-runtime-facts.md §3 (godebugs table.go and
 * runtime1.go dbgvars by version) and §4 (GOMAXPROCS in Go 1.25, GOMEMLIMIT).
 */

export interface GoVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

/** "go1.24.0", "go1.26rc1", "1.22" → the version; null for anything else (a devel build). */
export function parseGoVersion(text: string | null | undefined): GoVersion | null {
  const m = /^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?/.exec((text ?? '').trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: text!.trim() };
}

/** a >= 1.minor.patch */
export function atLeast(v: GoVersion, minor: number, patch = 0): boolean {
  if (v.major !== 1) return v.major > 1;
  return v.minor > minor || (v.minor === minor && v.patch >= patch);
}

/**
 * Runtime GODEBUG knobs (runtime1.go dbgvars) with the release that added them and the one that
 * removed them. The runtime silently ignores any key not in its table.
 */
const RUNTIME_KNOBS: readonly (readonly [name: string, since: number, removed?: number])[] = [
  ['gctrace', 4],
  ['schedtrace', 4],
  ['scheddetail', 4],
  ['invalidptr', 4],
  ['efence', 4],
  ['allocfreetrace', 4, 23],
  ['scavenge', 4, 17],
  ['sbrk', 5],
  ['gccheckmark', 5],
  ['gcpacertrace', 5],
  ['gcshrinkstackoff', 5],
  ['gcstoptheworld', 5],
  ['cgocheck', 6],
  ['memprofilerate', 4],
  ['tracebackancestors', 11],
  ['madvdontneed', 12],
  ['clobberfree', 13],
  ['scavtrace', 14],
  ['asyncpreemptoff', 14],
  ['inittrace', 16],
  ['harddecommit', 18],
  ['adaptivestackstart', 19],
  ['panicnil', 21],
  ['dontfreezetheworld', 21],
  ['tracefpunwindoff', 21],
  ['disablethp', 22],
  ['traceadvanceperiod', 22],
  ['runtimecontentionstacks', 22, 25],
  ['tracecheckstackownership', 23],
  ['traceallocfree', 23],
  ['profstackdepth', 23],
  ['asynctimerchan', 23, 27],
  ['dataindependenttiming', 24],
  ['decoratemappings', 25],
  ['checkfinalizers', 25],
  ['containermaxprocs', 25],
  ['updatemaxprocs', 25],
];

/** Package-level GODEBUG settings (internal/godebugs table.go) with the release that added them (and removed them). */
const PACKAGE_SETTINGS: readonly (readonly [name: string, since: number, removed?: number])[] = [
  ['allowmultiplevcs', 24],
  ['cryptocustomrand', 26],
  ['embedfollowsymlinks', 25],
  ['execerrdot', 19],
  ['fips140', 24],
  ['gocachehash', 10],
  ['gocachetest', 10],
  ['gocacheverify', 10],
  ['gotestjsonbuildtext', 24],
  ['gotypesalias', 22, 27],
  ['htmlmetacontenturlescape', 27],
  ['http2client', 6],
  ['http2server', 6],
  ['http2debug', 6],
  ['httpcookiemaxnum', 24],
  ['httplaxcontentlength', 22],
  ['httpmuxgo121', 22],
  ['httpservecontentkeepheaders', 23],
  ['installgoroot', 20],
  ['jstmpllitinterp', 21],
  ['multipartmaxheaders', 21],
  ['multipartmaxparts', 21],
  ['multipathtcp', 21],
  ['netdns', 5],
  ['netedns0', 21],
  ['randautoseed', 20],
  ['randseednop', 24],
  ['rsa1024min', 24],
  ['tarinsecurepath', 20],
  ['tls10server', 22, 27],
  ['tls3des', 23, 27],
  ['tlskyber', 23, 24],
  ['tlsmaxrsasize', 21],
  ['tlsmlkem', 24],
  ['tlsrsakex', 22, 27],
  ['tlssecpmlkem', 26],
  ['tlssha1', 25],
  ['tlsunsafeekm', 22, 27],
  ['tracebacklabels', 26],
  ['urlmaxqueryparams', 24],
  ['urlstrictcolons', 26],
  ['winreadlinkvolume', 22],
  ['winsymlink', 22],
  ['x509keypairleaf', 23, 27],
  ['x509negativeserial', 23],
  ['x509rsacrt', 24],
  ['x509seriallength', 23, 24],
  ['x509sha1', 18, 24],
  ['x509sha256skid', 25],
  ['x509sslcertoverrideplatform', 27],
  ['x509usefallbackroots', 20],
  ['x509usepolicies', 24],
  ['zipinsecurepath', 20],
];

export type GodebugVerdict =
  | { readonly kind: 'known'; readonly where: 'runtime' | 'package' }
  /** Exists in other releases, not in this one. */
  | { readonly kind: 'not-yet'; readonly since: number }
  | { readonly kind: 'removed'; readonly removed: number }
  /** Exists in no release. */
  | { readonly kind: 'unknown' };

/** Whether a GODEBUG key does anything in Go 1.<minor>. `cpu.*` keys (instruction-set switches) always exist. */
export function godebugKey(name: string, v: GoVersion): GodebugVerdict {
  if (name.startsWith('cpu.')) return { kind: 'known', where: 'runtime' };
  for (const [table, where] of [
    [RUNTIME_KNOBS, 'runtime'],
    [PACKAGE_SETTINGS, 'package'],
  ] as const) {
    const e = table.find((x) => x[0] === name);
    if (!e) continue;
    if (v.minor < e[1]) return { kind: 'not-yet', since: e[1] };
    if (e[2] !== undefined && v.minor >= e[2]) return { kind: 'removed', removed: e[2] };
    return { kind: 'known', where };
  }
  return { kind: 'unknown' };
}

/** "gctrace=1,madvdontneed=0" → pairs, in order; empty entries skipped. */
export function parseGodebug(text: string): { readonly key: string; readonly value: string }[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((kv) => {
      const eq = kv.indexOf('=');
      return eq < 0 ? { key: kv, value: '' } : { key: kv.slice(0, eq), value: kv.slice(eq + 1) };
    });
}

/** GOMEMLIMIT as the runtime reads it: bytes with an optional B/KiB/MiB/GiB/TiB suffix; "off" or "" is no limit (null); NaN when unreadable. */
export function parseMemLimit(text: string): number | null {
  const t = text.trim();
  if (t === '' || t === 'off') return null;
  const m = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/.exec(t);
  if (!m) return NaN;
  const mul = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 }[m[2] ?? 'B']!;
  return Number(m[1]) * mul;
}

/** GOGC: a percentage, or "off" (null). NaN when unreadable. */
export function parseGogc(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'off') return null;
  return /^-?\d+$/.test(t) ? Number(t) : NaN;
}

/** Formats bytes as GOMEMLIMIT accepts them, rounded down to MiB. */
export function formatMemLimit(bytes: number): string {
  return `${Math.floor(bytes / 1024 / 1024)}MiB`;
}

/**
 * The GOMAXPROCS a Go version chooses by default on Linux: before 1.25 the CPU count
 * (sched_getaffinity); from 1.25, min(cpus, max(2, ceil(quota/period))), unless
 * containermaxprocs=0, and kept up to date unless updatemaxprocs=0. Explicit GOMAXPROCS wins.
 */
export function defaultGomaxprocs(
  v: GoVersion,
  cpus: number,
  quotaCpus: number | null,
  godebug: ReadonlyMap<string, string>,
): { readonly value: number; readonly why: string; readonly followsQuota: boolean } {
  if (!atLeast(v, 25)) return { value: cpus, why: `Go ${v.text} sets GOMAXPROCS to the CPU count (${cpus}); it ignores the cgroup CPU quota before Go 1.25`, followsQuota: false };
  if (godebug.get('containermaxprocs') === '0')
    return { value: cpus, why: `GODEBUG=containermaxprocs=0 turns off Go 1.25's cgroup-aware GOMAXPROCS; it is the CPU count (${cpus})`, followsQuota: false };
  if (quotaCpus === null) return { value: cpus, why: `no CPU quota: GOMAXPROCS is the CPU count (${cpus})`, followsQuota: true };
  const v25 = Math.min(cpus, Math.max(2, Math.ceil(quotaCpus)));
  return { value: v25, why: `Go ${v.text} uses min(CPUs ${cpus}, max(2, ceil(quota ${quotaCpus.toFixed(2)}))) = ${v25}`, followsQuota: godebug.get('updatemaxprocs') !== '0' };
}

/**
 * Runtime GODEBUG knobs whose default the rules depend on, with the value in effect when neither
 * the environment nor the binary's DefaultGODEBUG sets them, on Linux, by release
 * (runtime1.go parsedebugvars; ../shared/reference/go-runtime-facts.md §3.3, §4). `compat`: a
 * compatibility setting (internal/godebugs Changed/Old), whose default follows the main module's
 * go.mod `go` line through DefaultGODEBUG, so without the build info it is not known.
 */
const RUNTIME_DEFAULTS: readonly { readonly key: string; readonly since: number; readonly until?: number; readonly value: string; readonly compat?: boolean; readonly why: string }[] = [
  { key: 'madvdontneed', since: 12, until: 16, value: '0', why: 'Go 1.12 to 1.15 release memory with MADV_FREE on Linux' },
  { key: 'madvdontneed', since: 16, value: '1', why: 'Go 1.16+ release memory with MADV_DONTNEED on Linux' },
  { key: 'asyncpreemptoff', since: 14, value: '0', why: 'asynchronous preemption is on since Go 1.14' },
  { key: 'disablethp', since: 22, value: '0', why: 'the heap may use transparent huge pages' },
  { key: 'containermaxprocs', since: 25, value: '1', compat: true, why: 'Go 1.25+ sets GOMAXPROCS from the cgroup CPU limit' },
  { key: 'updatemaxprocs', since: 25, value: '1', compat: true, why: 'Go 1.25+ updates GOMAXPROCS when the CPU limit changes' },
  { key: 'decoratemappings', since: 25, value: '1', compat: true, why: 'Go 1.25+ names its anonymous mappings in /proc/PID/maps' },
];

export interface GodebugDefault {
  readonly value: string;
  /** Where the default comes from: the binary's DefaultGODEBUG or the runtime of that release. */
  readonly from: 'DefaultGODEBUG' | 'runtime';
  readonly why: string;
}

/**
 * The default of a GODEBUG key for this binary: its DefaultGODEBUG build setting when it names the
 * key, else the release's runtime default. `defaultGodebug` is null when the build info was not
 * read; then compatibility settings are unknown (null).
 */
export function godebugDefault(key: string, v: GoVersion, defaultGodebug: ReadonlyMap<string, string> | null): GodebugDefault | null {
  const fromBinary = defaultGodebug?.get(key);
  if (fromBinary !== undefined) return { value: fromBinary, from: 'DefaultGODEBUG', why: `the binary's DefaultGODEBUG (from its go.mod \`go\` line and //go:debug lines) sets ${key}=${fromBinary}` };
  const e = RUNTIME_DEFAULTS.find((d) => d.key === key && v.minor >= d.since && (d.until === undefined || v.minor < d.until));
  if (!e || v.major !== 1) return null;
  if (e.compat && defaultGodebug === null) return null;
  return { value: e.value, from: 'runtime', why: `${e.why} (${key}=${e.value})` };
}

/** Runtime knobs listed among the settings even when nothing sets them, because the rules read them. */
export function runtimeDefaultKeys(v: GoVersion): string[] {
  return [...new Set(RUNTIME_DEFAULTS.filter((d) => v.minor >= d.since && (d.until === undefined || v.minor < d.until)).map((d) => d.key))];
}

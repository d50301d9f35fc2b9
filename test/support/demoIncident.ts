/**
 * What the first-run demo's incident is made of (test/lab/demoCapture.ts captures it; the demo tests
 * hold the shipped bundle to it), kept apart from the lab so the tests that only read the shipped
 * bundle run anywhere.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Credentials in the target's environment that must not survive into the bundle: name, value, the part that must go. */
export const DEMO_PLANTED: ReadonlyArray<{ readonly name: string; readonly value: string; readonly secret: string }> = [
  { name: 'DATABASE_URL', value: 'postgres://checkout:Dem0PgPassw0rdPl4nted@db.internal:5432/orders', secret: 'Dem0PgPassw0rdPl4nted' },
  { name: 'PAYMENTS_API_TOKEN', value: 'Dem0PaymentsTokenPl4nted9f8e7d', secret: 'Dem0PaymentsTokenPl4nted9f8e7d' },
  { name: 'AWS_SECRET_ACCESS_KEY', value: 'Dem0AwsSecretKeyPl4ntedwJalrXUtnFEMI', secret: 'Dem0AwsSecretKeyPl4ntedwJalrXUtnFEMI' },
];

/** The target's flags: 5,000 leaked goroutines, 200 parked ones, a 24 MiB live heap, 64 MB/s of garbage, 2 locked threads, and 8 goroutines computing in bursts (160 ms of CPU per 100 ms with 8 Ps, against a quota of 50). */
export const DEMO_ARGS = ['-goroutines', '200', '-leak', '5000', '-heap', '24', '-alloc-rate', '64000000', '-threads', '2', '-bursts', '8'] as const;
export const DEMO_LIMITS = { memoryMaxBytes: 256 * 1024 * 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000 } as const;
export const DEMO_GOMAXPROCS = 8;

/**
 * A bundle's artifacts as a comparable structure: name and status, with the thread ids under task/
 * (which differ from run to run, as does how many threads the runtime started) folded into one.
 */
export function demoStructure(artifacts: ReadonlyArray<{ readonly name: string; readonly status: string }>): string[] {
  return [...new Set(artifacts.map((a) => `${a.name.replace(/^task\/\d+\//, 'task/TID/')} ${a.status}`))].sort();
}

export interface BundleManifest {
  readonly session: { readonly id: string; readonly hostLabel: string; readonly goVersion: string | null; readonly status: string };
  readonly redactions: ReadonlyArray<{ readonly artifact: string; readonly key: string; readonly rule: string }>;
  readonly artifacts: ReadonlyArray<{ readonly name: string; readonly status: string; readonly sizeBytes: number }>;
}

/** A bundle inflated whole (the demo is small) and its manifest, the first tar member. */
export function readBundle(file: string): { readonly tar: Buffer; readonly manifest: BundleManifest } {
  const tar = gunzipSync(readFileSync(file));
  const name = tar.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  if (name !== 'manifest.json') throw new Error(`${file}: the first member is ${name}, not manifest.json`);
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
  return { tar, manifest: JSON.parse(tar.subarray(512, 512 + size).toString('utf8')) as BundleManifest };
}

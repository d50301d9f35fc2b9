/**
 * Builds the lab's third-party services (thirdParty.ts) before the test files that use them run,
 * all at once so downloads overlap compiles, and prints how long each took (0 s: cached).
 * test/run.mjs runs it when a matched test file starts real services.
 */
import { buildThirdParty, THIRD_PARTY, type ThirdPartyName } from './thirdParty';

const names = Object.keys(THIRD_PARTY) as ThirdPartyName[];
const started = Date.now();
const results = await Promise.allSettled(names.map((n) => buildThirdParty(n)));
let failed = false;
for (const [i, r] of results.entries()) {
  const svc = THIRD_PARTY[names[i]!];
  if (r.status === 'fulfilled') console.log(`lab: ${svc.pkg}@${svc.version} ${r.value.buildMs > 0 ? `built in ${(r.value.buildMs / 1000).toFixed(0)} s` : 'cached'} (${r.value.goVersion})`);
  else {
    failed = true;
    console.error(`lab: ${svc.pkg}@${svc.version} failed: ${(r.reason as Error).message}`);
  }
}
console.log(`lab: third-party services ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);

/**
 * The first-run demo: a sample incident bundle that ships with the app (demo/incident.tar.gz in the
 * app's folder, written by test/fixtures/regenerate-demo.ts from the lab), imported into the library
 * like any bundle, with every check of `importBundle`, and tagged so it reads as the sample it is.
 * Its path comes from the host process (Electron main, browser mode), never from the page.
 */
import { join } from 'node:path';
import { DEMO_TAG } from '../../shared/contract/api';
import { ApiError } from '../../shared/contract/errors';
import { importBundle } from './bundles';
import type { Store } from './store';

/**
 * Where the bundle sits for the app's folder: a checkout, or a packaged app's app.asar, where it is
 * asarUnpacked (electron-builder.yml), so it is read as a plain file beside the archive and not
 * through Electron's asar layer for fs (whose fs.promises support has had bugs).
 */
export function demoBundleIn(appRoot: string): string {
  return join(appRoot.replace(/([/\\])app\.asar$/, '$1app.asar.unpacked'), 'demo', 'incident.tar.gz');
}

export const DEMO_NOTES =
  'Sample incident shipped with Gopherscope, captured from its test lab: a Go service in a cgroup of 0.5 CPU and 256 MiB ' +
  'running with GOMAXPROCS=8 and no GOMEMLIMIT, with 5,000 goroutines parked on one channel. ' +
  'Credentials planted in its environment were redacted at capture (see the redaction record).';

export async function openDemo(store: Store, bundle: string | undefined): Promise<{ sessionId: string; alreadyPresent: boolean }> {
  if (!bundle)
    throw new ApiError(
      'not-found',
      'This Gopherscope was started without the sample incident bundle.',
      'Run the desktop app or `gopherscope serve` from a checkout or package that has demo/incident.tar.gz.',
    );
  let r: { sessionId: string; alreadyPresent: boolean };
  try {
    r = await importBundle(store, bundle);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not-found')
      throw new ApiError(
        'not-found',
        `The sample incident bundle is missing: ${err.message}`,
        'Reinstall Gopherscope, or in a checkout regenerate it with `node --import tsx test/fixtures/regenerate-demo.ts`.',
      );
    throw err;
  }
  // Marked once, when it arrives: a user who edits its tags or notes later keeps their edit.
  if (!r.alreadyPresent) await store.updateSession(r.sessionId, { tags: [DEMO_TAG], notes: DEMO_NOTES });
  return r;
}

/**
 * Shared end-to-end plumbing: browser mode started as a real process
 * (`gopherscope serve`), and Debian's Chromium driven by playwright-core.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export { startServe, type ServeProcess } from '../support/serveProcess';

const root = join(import.meta.dirname, '..', '..');
export const screenshotDir = join(root, 'test-results', 'e2e');

/** `gpu` lists flags that replace the default `--disable-gpu`, e.g. `--use-angle=swiftshader`, or `--disable-3d-apis` for a browser without WebGL. */
export async function launchChromium(opts: { gpu?: readonly string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      ...(opts.gpu ?? ['--disable-gpu']),
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Adds a host through the Hosts form, as a user would. */
export async function addHostViaUi(page: Page, host: { label: string; port: number; user: string; identityFile: string; hostname?: string }): Promise<void> {
  await page.getByTestId('host-label').fill(host.label);
  await page.getByTestId('host-hostname').fill(host.hostname ?? '127.0.0.1');
  await page.getByTestId('host-port').fill(String(host.port));
  await page.getByTestId('host-user').fill(host.user);
  await page.getByTestId('host-identity').fill(host.identityFile);
  await page.getByTestId('host-add-submit').click();
  await page.locator('[data-testid="host-row"]', { hasText: host.label }).waitFor();
}

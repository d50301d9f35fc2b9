/**
 * A real terminal in Chromium through browser mode: xterm over an ssh2 pty.
 * Type `echo $((6*7))` and see 42; resize the window and see `stty size`
 * follow; open a second tab.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSshd, type Sshd } from '../lab/sshd';
import { addHostViaUi, launchChromium, shot, startServe, type ServeProcess } from './browser';

let sshd: Sshd;
let serve: ServeProcess;
let browser: Browser;
let page: Page;

before(async () => {
  sshd = await startSshd();
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-term-'));
  const knownHosts = join(dataDir, 'user_known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine}\n`);
  serve = await startServe(dataDir, { GOPHERSCOPE_USER_KNOWN_HOSTS: knownHosts }, ['--identity-dir', dirname(sshd.clientKeyPath)]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await serve?.stop();
  await sshd?.stop();
});

async function screenText(): Promise<string> {
  return page.locator('[data-testid="terminal"]:visible .xterm-rows').innerText();
}

async function waitForScreen(re: RegExp): Promise<string> {
  const until = Date.now() + 15_000;
  for (;;) {
    const text = await screenText();
    if (re.test(text)) return text;
    if (Date.now() > until) throw new Error(`screen never matched ${re}:\n${text}`);
    await page.waitForTimeout(100);
  }
}

test('type a command, see its output; resize and see stty size follow', async () => {
  await page.goto(serve.url);
  await addHostViaUi(page, { label: 'lab', port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath });
  await page.getByTestId('host-terminal').first().click();
  const term = page.locator('[data-testid="terminal"]:visible');
  await term.waitFor();
  await page.locator('.xterm-helper-textarea').first().focus();
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await waitForScreen(/^42\s*$/m);
  await shot(page, '10-terminal-42');

  const before = { cols: Number(await term.getAttribute('data-cols')), rows: Number(await term.getAttribute('data-rows')) };
  await page.keyboard.type('stty size');
  await page.keyboard.press('Enter');
  await waitForScreen(new RegExp(`^${before.rows} ${before.cols}\\s*$`, 'm'));

  await page.setViewportSize({ width: 900, height: 560 });
  await page.waitForFunction((prev) => {
    const el = document.querySelector('[data-testid="terminal"]') as HTMLElement | null;
    return el !== null && (Number(el.dataset.cols) !== prev.cols || Number(el.dataset.rows) !== prev.rows);
  }, before);
  const after = { cols: Number(await term.getAttribute('data-cols')), rows: Number(await term.getAttribute('data-rows')) };
  assert.ok(after.cols < before.cols && after.rows < before.rows, `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  await page.keyboard.type('clear; stty size');
  await page.keyboard.press('Enter');
  await waitForScreen(new RegExp(`^${after.rows} ${after.cols}\\s*$`, 'm'));
  await shot(page, '11-terminal-resized');

  await page.getByTestId('terminal-new').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="terminal-tab"]').length === 2);
  await page.locator('[data-testid="terminal"]:visible .xterm-helper-textarea').focus();
  await page.keyboard.type('echo second-$((2+3))');
  await page.keyboard.press('Enter');
  await waitForScreen(/^second-5\s*$/m);
  await shot(page, '12-terminal-second-tab');
});

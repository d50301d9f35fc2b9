/**
 * A real terminal in Chromium through browser mode: xterm over an ssh2 pty.
 * Type `echo $((6*7))` and see 42; resize the window and see `stty size`
 * follow; open a second tab; `cat` a flood of output and get all of it, with
 * what is in flight bounded; switch to WebGL and back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSshd, type Sshd } from '../lab/sshd';
import { TEXT_FILE_LINE, writeTextFile } from '../lab/textFile';
import { HIGH_WATERMARK_CHARS } from '../../electron/core/terminals';
import type { TerminalPaneElement } from '../../renderer/src/views/terminalProbe';
import { addHostViaUi, launchChromium, shot, startServe, type ServeProcess } from './browser';

let sshd: Sshd;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let dataDir: string;

before(async () => {
  sshd = await startSshd();
  dataDir = mkdtempSync(join(tmpdir(), 'gs-e2e-term-'));
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

test('a flood (cat of 8 MiB) arrives whole and in order, its last line is drawn, and what is in flight stays bounded', async (t) => {
  const file = join(dataDir, 'flood.txt');
  const { marker, lines } = writeTextFile(file, 8);
  const pane = page.locator('[data-testid="terminal"]:visible');
  await pane.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(`cat ${file}`);
  // Count the file's lines in what the backend sends, before the marker line; the pty turns \n into \r\n.
  await pane.evaluate(
    (el: TerminalPaneElement, { line, marker }) => {
      const seen = { lines: 0, linesBeforeMarker: -1 };
      let carry = '';
      el.gsTerminal!.tap((data) => {
        const parts = (carry + data).split('\r\n');
        carry = parts.pop()!;
        for (const part of parts) {
          // What follows a lone \r starts the row again (bash turns bracketed paste off with "\x1b[?2004l\r" before cat's first line).
          const p = part.slice(part.lastIndexOf('\r') + 1);
          if (p === line) seen.lines++;
          else if (p === marker && seen.linesBeforeMarker < 0) seen.linesBeforeMarker = seen.lines;
        }
      });
      (globalThis as unknown as { gsFlood: object }).gsFlood = seen;
      (globalThis as unknown as { gsShown: Promise<void> }).gsShown = el.gsTerminal!.whenShown(marker);
    },
    { line: TEXT_FILE_LINE, marker },
  );
  await page.keyboard.press('Enter');
  await page.evaluate(() => (globalThis as unknown as { gsShown: Promise<void> }).gsShown, undefined);
  const seen = await page.evaluate(() => (globalThis as unknown as { gsFlood: { lines: number; linesBeforeMarker: number } }).gsFlood);
  assert.equal(seen.linesBeforeMarker, lines, 'every line arrives once, all before the last one');
  await shot(page, '13-terminal-flood-drawn');

  const flow = await pane.evaluate((el: TerminalPaneElement) => el.gsTerminal!.flow());
  const stats = await pane.evaluate((el: TerminalPaneElement) => ({ ...el.gsTerminal!.stats }));
  t.diagnostic(`backend flow: ${JSON.stringify(flow)}; writer: ${JSON.stringify(stats)}`);
  assert.ok(flow.chars > 8 * 1024 * 1024, `the backend counted the flood: ${JSON.stringify(flow)}`);
  // The backend stops reading at the high watermark; the one SSH packet that crossed it (32 KiB from OpenSSH, 256 KiB at most) lands on top.
  assert.ok(flow.maxUnacked <= HIGH_WATERMARK_CHARS + 256 * 1024, `unacknowledged output stays bounded: ${JSON.stringify(flow)}`);
  assert.ok(stats.maxQueued <= flow.maxUnacked, `the renderer never queues more than the backend has in flight: ${JSON.stringify(stats)} vs ${JSON.stringify(flow)}`);
  assert.ok(stats.batches < flow.chars / 16_384, `events are joined into batches: ${JSON.stringify(stats)}`);
  // Everything parsed is acknowledged (the last remainder by the periodic flush), and the channel is running.
  await page.waitForFunction(async () => {
    const f = await (document.querySelector('[data-testid="terminal"]:not([style*="none"])') as TerminalPaneElement).gsTerminal!.flow();
    return f.unacked === 0 && !f.paused;
  });
  await page.keyboard.type('echo after-$((40+2))');
  await page.keyboard.press('Enter');
  await waitForScreen(/^after-42\s*$/m);
});

test('the Renderer menu switches to WebGL (software here) and back; the info line says which draws and why', async () => {
  const pane = page.locator('[data-testid="terminal"]:visible');
  const info = pane.getByTestId('terminal-renderer');
  // This machine has no GPU: Chromium's WebGL is SwiftShader, so auto keeps xterm's DOM renderer and says why.
  assert.match(await info.innerText(), /^DOM renderer: WebGL (here is software \(SwiftShader\)|unavailable)/);
  assert.equal(await pane.getAttribute('data-renderer'), 'dom');
  const webglAvailable = !/unavailable/.test(await info.innerText());
  await pane.getByTestId('terminal-renderer-choice').selectOption('webgl');
  if (webglAvailable) {
    await page.waitForFunction(() => document.querySelector('[data-testid="terminal"]:not([style*="none"])')?.getAttribute('data-renderer') === 'webgl');
    assert.match(await info.innerText(), /^WebGL, software \(SwiftShader\)$/);
    assert.ok((await pane.locator('.xterm-screen canvas').count()) > 0, 'WebGL draws on a canvas');
    await pane.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo webgl-$((6*7))');
    await page.keyboard.press('Enter');
    await pane.evaluate((el: TerminalPaneElement) => el.gsTerminal!.whenShown('webgl-42'));
    await shot(page, '14-terminal-webgl');
  } else {
    await page.waitForFunction(() =>
      /^DOM renderer: WebGL unavailable/.test(document.querySelector('[data-testid="terminal"]:not([style*="none"]) [data-testid="terminal-renderer"]')?.textContent ?? ''),
    );
  }
  await pane.getByTestId('terminal-renderer-choice').selectOption('auto');
  await page.waitForFunction(() => document.querySelector('[data-testid="terminal"]:not([style*="none"])')?.getAttribute('data-renderer') === 'dom');
  assert.equal(await pane.locator('.xterm-screen canvas').count(), 0, 'the WebGL canvas is gone');
  await page.keyboard.type('echo dom-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForScreen(/^dom-42\s*$/m);
});

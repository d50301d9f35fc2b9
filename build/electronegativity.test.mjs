// @doyensec/electronegativity over electron/ and renderer/ (sources and index.html, tests left out):
// every finding must be one build/electronegativity-accepted.json lists and explains, and every
// listed one must still be found. A file with nodeIntegration on and contextIsolation off is planted
// in the same run to show the gate fails on what it does not accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './packagedFiles.mjs';

const accepted = JSON.parse(readFileSync(join(root, 'build', 'electronegativity-accepted.json'), 'utf8')).accepted;
const PLANTED = 'planted/bad-window.ts';

function scan() {
  const dir = mkdtempSync(join(tmpdir(), 'gs-electronegativity-'));
  try {
    const src = join(dir, 'src');
    const notTest = (p) => !/\.test\.tsx?$/.test(p);
    cpSync(join(root, 'electron'), join(src, 'electron'), { recursive: true, filter: notTest });
    cpSync(join(root, 'renderer', 'src'), join(src, 'renderer', 'src'), { recursive: true, filter: notTest });
    cpSync(join(root, 'renderer', 'index.html'), join(src, 'renderer', 'index.html'));
    mkdirSync(join(src, 'planted'));
    writeFileSync(join(src, PLANTED), "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });\n");
    const out = join(dir, 'findings.sarif');
    const electron = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
    const bin = join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
    const r = spawnSync(process.execPath, [bin, '-i', src, '-r', '-v', 'false', '-e', electron, '-x', 'AvailableSecurityFixesGlobalCheck', '-o', out], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'en-US' },
      timeout: 240_000,
    });
    assert.equal(r.status, 0, `electronegativity failed: ${r.stderr}${r.stdout}`);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    return sarif.runs[0].results.map((f) => {
      const loc = f.locations?.[0]?.physicalLocation;
      const file = loc?.artifactLocation?.uri ?? 'N/A';
      const line = loc?.region?.startLine ?? 0;
      let text = '';
      try {
        text = readFileSync(join(src, file), 'utf8').split('\n')[line - 1]?.trim() ?? '';
      } catch {
        // a global finding without a file
      }
      return { check: f.ruleId, file, line, text, message: f.message?.text ?? '' };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('electronegativity finds nothing but its accepted findings, each explained, and still catches a bad window', () => {
  const findings = scan();
  const isAccepted = (f) => accepted.some((a) => a.check === f.check && a.file === f.file && f.text.includes(a.match));
  const ours = findings.filter((f) => !f.file.startsWith('planted/'));
  const unexplained = ours.filter((f) => !isAccepted(f)).map((f) => `${f.check} ${f.file}:${f.line} ${f.text} (${f.message})`);
  assert.deepEqual(unexplained, [], 'fix these or list them with a reason in build/electronegativity-accepted.json');
  const stale = accepted.filter((a) => !ours.some((f) => a.check === f.check && a.file === f.file && f.text.includes(a.match)));
  assert.deepEqual(
    stale.map((a) => `${a.check} ${a.file}: ${a.match}`),
    [],
    'accepted findings no longer found: remove them',
  );
  for (const a of accepted) assert.ok(a.why && a.why.length > 40, `${a.check} needs its reason`);
  const planted = findings.filter((f) => f.file === PLANTED);
  const plantedChecks = new Set(planted.map((f) => f.check));
  for (const c of ['NODE_INTEGRATION_JS_CHECK', 'CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK']) assert.ok(plantedChecks.has(c), `${c} not reported on the planted window: ${[...plantedChecks]}`);
  assert.ok(planted.every((f) => !isAccepted(f)));
});

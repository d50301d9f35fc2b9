// The layer lint catches each kind of violation, and passes the real tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./check-layers.mjs', import.meta.url));
const run = (root) => spawnSync(process.execPath, [script, ...(root ? ['--root', root] : [])], { encoding: 'utf8' });

function tree(files) {
  const root = mkdtempSync(join(tmpdir(), 'gs-layers-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

test('the project itself passes', () => {
  const r = run();
  assert.equal(r.status, 0, r.stderr);
});

test('each kind of violation is reported with file and line', () => {
  const root = tree({
    'shared/a.ts': "import { readFileSync } from 'node:fs';\nexport const x = 1;\n",
    'shared/b.ts': "// process.env is fine in a comment\nexport const y = Buffer.from('x');\n",
    'shared/c.ts': "import { z } from 'zod';\nimport { q } from '../electron/q';\n",
    'shared/ok.test.ts': "import { test } from 'node:test';\nimport fc from 'fast-check';\n",
    'renderer/src/v.tsx': "import { ipcRenderer } from 'electron';\n",
    'electron/other.ts': "import { ipcMain } from 'electron';\n",
    'electron/ipcMain.ts': "import { ipcMain } from 'electron';\n",
  });
  const r = run(root);
  assert.equal(r.status, 1);
  const out = r.stderr;
  assert.match(out, /shared\/a\.ts:1: shared\/ may not import node:fs/);
  assert.match(out, /shared\/b\.ts:2: shared\/ uses the runtime global Buffer/);
  assert.doesNotMatch(out, /shared\/b\.ts:1/);
  assert.match(out, /shared\/c\.ts:2: shared\/ may not import \.\.\/electron\/q/);
  assert.doesNotMatch(out, /ok\.test\.ts/);
  assert.match(out, /renderer\/src\/v\.tsx:1: renderer\/ may not import electron/);
  assert.match(out, /renderer\/src\/v\.tsx:1: only electron\/preload\.ts may touch ipcRenderer/);
  assert.match(out, /electron\/other\.ts:1: only electron\/ipcMain\.ts may touch ipcMain/);
  assert.doesNotMatch(out, /electron\/ipcMain\.ts:1/);
});

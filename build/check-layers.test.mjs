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

test('shell is written only in electron/core/remoteScripts.ts', () => {
  const root = tree({
    'electron/core/remoteScripts.ts': 'export const s = (pid: number) => `cat /proc/${pid}/status 2>/dev/null`;\n',
    'electron/core/a.ts': 'export async function f(conn: any, pid: number) {\n  await conn.exec(`kill ${pid}`, {});\n}\n',
    'electron/core/b.ts': "export async function g(conn: any, pid: number) {\n  const script = ['ls', String(pid)].join(' ');\n  return conn.execStream(script);\n}\n",
    'electron/core/c.ts': "export const h = (conn: any, n: string) => collect(conn, 'cat ' + n, {});\n",
    'electron/core/d.ts': "export const t = 'x=$(id -u)';\n",
    'electron/core/ok.ts':
      "export async function k(conn: any, db: any, v: number) {\n  await conn.exec(script(v), {});\n  await db.exec(`PRAGMA user_version = ${v}`);\n  return /a(b)/.exec('ab');\n}\n",
    'electron/core/e.test.ts': 'export const u = (conn: any, p: number) => conn.exec(`ls ${p}`);\n',
  });
  const r = run(root);
  assert.equal(r.status, 1);
  const out = r.stderr;
  assert.match(out, /electron\/core\/a\.ts:2: a shell command built outside/);
  assert.match(out, /electron\/core\/b\.ts:3: a shell command built outside/);
  assert.match(out, /electron\/core\/c\.ts:1: a shell command built outside/);
  assert.match(out, /electron\/core\/d\.ts:1: shell text outside/);
  for (const quiet of ['remoteScripts', 'ok', 'e\\.test']) assert.doesNotMatch(out, new RegExp(`electron/core/${quiet}\\.ts:\\d`));
});

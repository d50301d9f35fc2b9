/**
 * "Open with go tool trace" against the machine's real Go: the viewer starts
 * on a trace file and serves it on loopback, a second open reuses it, a file
 * Go cannot read is reported with Go's own words, and a machine without Go
 * says so instead of offering the button.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../shared/contract/errors';
import { GoTraceTool } from './goTraceTool';

const fixture = join(import.meta.dirname, '..', '..', 'shared', 'trace', 'fixtures', 'go1.26.trace');
// BROWSER=true: Go's viewer "opens a browser" by running true.
const env = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin`, BROWSER: 'true' };

test('go tool trace serves a stored trace on loopback, once per trace', async (t) => {
  const tool = new GoTraceTool(env);
  t.after(() => tool.closeAll());
  const st = await tool.status();
  assert.ok(st.available, st.reason ?? '');
  assert.match(st.goVersion!, /^go1\.\d+/);
  const first = await tool.open('fixture', fixture);
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(first.url);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /View trace/i);
  assert.equal((await tool.open('fixture', fixture)).url, first.url, 'the running viewer is reused');
});

test('a file go tool trace cannot read is reported with its exit and output', async (t) => {
  const tool = new GoTraceTool(env);
  t.after(() => tool.closeAll());
  const bad = join(mkdtempSync(join(tmpdir(), 'gs-gotool-')), 'bad.trace');
  writeFileSync(bad, 'not a trace at all');
  await assert.rejects(tool.open('bad', bad), (err: ApiError) => err.code === 'tool-failed' && /exited with code [1-9]/.test(err.message));
});

test('without Go the tool is unavailable, with what to do instead', async () => {
  const tool = new GoTraceTool({ PATH: '/nonexistent' }, []);
  const st = await tool.status();
  assert.equal(st.available, false);
  assert.match(st.reason!, /Go is not installed.*--perfetto/);
  await assert.rejects(tool.open('x', fixture), (err: ApiError) => err.code === 'tool-failed');
});

test('the compile step is its own call, and closing a trace stops its viewer', async (t) => {
  const tool = new GoTraceTool(env);
  t.after(() => tool.closeAll());
  const built = await tool.build();
  assert.match(built.binary, /\/trace$/);
  assert.ok(built.durationMs >= 0);
  assert.equal(await tool.build(), built, 'compiled once per backend');
  const { url } = await tool.open('fixture', fixture);
  assert.equal((await fetch(url)).status, 200);
  assert.equal(tool.close(['fixture', 'never-opened']), 1);
  // The port stops answering once the process is gone.
  for (let i = 0; ; i++) {
    const refused = await fetch(url).then(
      () => false,
      () => true,
    );
    if (refused) break;
    assert.ok(i < 50, 'the viewer still answers 5 s after close');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(tool.close(['fixture']), 0, 'nothing left to stop');
});

/**
 * The committed demo/incident.tar.gz is what test/fixtures/regenerate-demo.ts produces: the same
 * capture of the lab (test/lab/demoCapture.ts) run again now, with a short settle instead of the
 * minute the leak needs to show, gives the same artifacts with the same statuses (thread ids under
 * task/ folded, as they differ from run to run) and the same redaction record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureDemo } from '../lab/demoCapture';
import { demoStructure, readBundle } from '../support/demoIncident';

const committed = join(import.meta.dirname, '..', '..', 'demo', 'incident.tar.gz');

test('a fresh capture by the demo script has the committed bundle’s structure and redaction record', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-demo-again-'));
  try {
    const fresh = join(dir, 'incident.tar.gz');
    const r = await captureDemo(fresh, { settleMs: 3000 });
    const [was, now] = [readBundle(committed).manifest, readBundle(fresh).manifest];
    assert.ok(r.artifacts > 50);
    assert.deepEqual(demoStructure(now.artifacts), demoStructure(was.artifacts), 'regenerate the demo: node --import tsx test/fixtures/regenerate-demo.ts');
    const record = (m: typeof was) => m.redactions.map((x) => `${x.artifact} ${x.key} ${x.rule}`).sort();
    assert.deepEqual(record(now), record(was));
    assert.deepEqual([now.session.hostLabel, now.session.goVersion, now.session.status], [was.session.hostLabel, was.session.goVersion, was.session.status]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

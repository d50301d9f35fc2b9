/**
 * How a probe tells a metrics endpoint from whatever else answers on a
 * port: the first bytes of the lab target's real /metrics and /debug/vars
 * are recognised; a pprof index, a 404 page and JSON that is not expvar are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikeExpvar, looksLikePrometheusText } from './goArtifacts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'parsers', 'fixtures', name), 'utf8');

test('the first 16 KiB of a real /metrics and /debug/vars are recognised, each as itself only', () => {
  const metrics = fixture('settings.metrics.txt').slice(0, 16 * 1024);
  const vars = fixture('settings.expvar.json').slice(0, 16 * 1024);
  assert.equal(looksLikePrometheusText(metrics), true);
  assert.equal(looksLikeExpvar(vars), true);
  assert.equal(looksLikePrometheusText(vars), false);
  assert.equal(looksLikeExpvar(metrics), false);
  assert.equal(looksLikePrometheusText('# HELP go_sched_gomaxprocs_threads The current runtime.GOMAXPROCS setting\n'), true, 'a stalled answer that sent its first line');
  assert.equal(looksLikePrometheusText('up 1\n'), true, 'samples without comments');
});

test('other answers are not taken for metrics', () => {
  assert.equal(looksLikePrometheusText('<html>\n<head>\n<title>/debug/pprof/</title>\n'), false);
  assert.equal(looksLikePrometheusText('404 page not found\n'), false);
  assert.equal(looksLikePrometheusText('{"status":"ok"}\n'), false);
  assert.equal(looksLikeExpvar('{"status":"ok"}\n'), false);
  assert.equal(looksLikeExpvar('404 page not found\n'), false);
});

/**
 * `gopherscope report SESSION_ID|BUNDLE [--json]`: the recommendations and
 * their evidence for a stored session, or for a bundle file (imported into a
 * temporary library, so the user's library is untouched). The trace, when
 * present, is summarized by streaming it through the contract in chunks.
 */
import { NAMES } from '../../shared/artifacts/registry';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionDetail } from '../../shared/contract/api';
import type { Api } from '../../shared/contract/client';
import { gatherEvidence } from '../../shared/analysis/evidence';
import { analyzeSession, type SessionReport } from '../../shared/analysis/recommendations';
import { formatSessionReport } from '../../shared/analysis/reportText';
import { BUILDINFO_ARTIFACT, settingsJson } from '../../shared/analysis/settings';
import type { ArtifactContent } from '../../shared/analysis/artifactContent';
import { createTraceReader } from '../../shared/trace/reader';
import { terminalField } from '../../shared/util/terminalText';
import { TraceSummarizer, type TraceSummary } from '../../shared/trace/summary';
import { createBackend } from '../core/backend';
import { inProcessApi } from '../core/inProcess';

const CHUNK = 8 * 1024 * 1024;
/** What the report reads of one text artifact at most (a 100,000-mapping smaps is 70 MB). */
const MAX_TEXT = 256 * 1024 * 1024;

async function readBytes(api: Api, artifactId: string, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < Math.min(size, MAX_TEXT); offset += CHUNK) {
    const r = await api.call('artifacts.read', { artifactId, offset, maxBytes: CHUNK, encoding: 'base64' });
    parts.push(Buffer.from(r.text, 'base64'));
  }
  return Buffer.concat(parts);
}

/** Binary artifacts the analysis reads as bytes (decoding them as UTF-8 would mangle them). */
const BINARY = new Set<string>([BUILDINFO_ARTIFACT]);

/** What was not read whole, by artifact, for the analysis to say (a truncated /metrics lacks its tail). */
export function artifactStatusOf(session: SessionDetail): Record<string, string> {
  return Object.fromEntries(session.artifacts.filter((a) => a.status !== 'ok').map((a) => [a.name, `${a.status}${a.reason ? `: ${a.reason}` : ''}`]));
}

async function summarizeStoredTrace(api: Api, artifactId: string, size: number): Promise<TraceSummary> {
  const s = new TraceSummarizer();
  const reader = createTraceReader(s);
  for (let offset = 0; offset < size; offset += CHUNK) {
    const r = await api.call('artifacts.read', { artifactId, offset, maxBytes: CHUNK, encoding: 'base64' });
    reader.push(Buffer.from(r.text, 'base64'));
  }
  return s.summary(reader.finish());
}

/**
 * The report of one session through the contract (what the app's Overview shows). `extra` adds
 * artifacts the session lacks (a test gives the build info of a binary it built).
 */
export async function reportOf(api: Api, session: SessionDetail, extra: Readonly<Record<string, ArtifactContent>> = {}): Promise<SessionReport> {
  const files: Record<string, ArtifactContent> = { ...extra };
  let trace: TraceSummary | null = null;
  for (const a of session.artifacts) {
    if (!a.sha256) continue;
    if (a.name === NAMES.trace) trace = await summarizeStoredTrace(api, a.id, a.sizeBytes);
    else if (BINARY.has(a.name)) files[a.name] = new Uint8Array(await readBytes(api, a.id, a.sizeBytes));
    else if (!a.name.endsWith('.pb.gz')) files[a.name] = (await readBytes(api, a.id, a.sizeBytes)).toString('utf8');
  }
  return analyzeSession(gatherEvidence(files, { goVersion: session.goVersion, trace, artifactStatus: artifactStatusOf(session) }));
}

export async function reportCommand(dataDir: string, target: string, json: boolean): Promise<{ code: 0 | 1; stdout: string; stderr: string }> {
  // A bundle file is read from a throwaway library; anything else is a session of this one.
  const isBundle = existsSync(target);
  const dir = isBundle ? mkdtempSync(join(tmpdir(), 'gs-report-')) : dataDir;
  const backend = await createBackend({ dataDir: dir });
  try {
    const api = inProcessApi(backend);
    const sessionId = isBundle ? (await api.call('sessions.import', { path: target })).sessionId : target;
    const session = await api.call('sessions.open', { sessionId });
    const report = await reportOf(api, session);
    const title = `${terminalField(session.processName)} pid ${session.pid} on ${terminalField(session.hostLabel)}, ${terminalField(session.goVersion ?? 'Go version unknown')}, ${session.startedAt} (${session.status})`;
    return {
      code: 0,
      stdout: json
        ? `${JSON.stringify({ session: { id: session.id, host: session.hostLabel, pid: session.pid, process: session.processName, goVersion: session.goVersion, startedAt: session.startedAt, status: session.status }, ...report, settings: settingsJson(report.settings) }, null, 2)}\n`
        : formatSessionReport(report, title),
      stderr: '',
    };
  } finally {
    await backend.close();
    if (isBundle) rmSync(dir, { recursive: true, force: true });
  }
}

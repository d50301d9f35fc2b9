/**
 * The memory attribution of a lab process as Gopherscope reports it: a real
 * capture through the lab's sshd into a data folder, then `report`'s own
 * analysis of the stored session (what `gopherscope report --json` prints as
 * memoryClasses and memory.attribution). bench/memory-attribution.ts prints
 * its "memory attribution error" table; lab scenario tests call it for the
 * services they run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MethodInput, SessionDetail } from '../../shared/contract/api';
import type { MemoryAttribution } from '../../shared/analysis/memoryAttribution';
import type { SessionReport } from '../../shared/analysis/recommendations';
import { createBackend } from '../../electron/core/backend';
import { inProcessApi } from '../../electron/core/inProcess';
import { reportOf } from '../../electron/cli/report';
import type { Lab } from './lab';
import { captureLabSession } from './labCapture';

export interface LabAttribution {
  readonly session: SessionDetail;
  readonly report: SessionReport;
  readonly attribution: MemoryAttribution;
  /** The stored artifacts by name (status, reason), e.g. proc/mem-probes.json. */
  readonly artifacts: ReadonlyMap<string, SessionDetail['artifacts'][number]>;
  /** The artifacts' contents, for tests that look closer (text artifacts only, profiles left out). */
  readonly files: Readonly<Record<string, string>>;
}

export async function captureMemoryAttribution(
  lab: Lab,
  pid: number,
  opts: { readonly capture?: Omit<MethodInput<'capture.start'>, 'hostId' | 'pid'>; readonly user?: string; readonly useSudo?: boolean } = {},
): Promise<LabAttribution> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-attribution-'));
  try {
    const { sessionId, knownHosts } = await captureLabSession(lab, dataDir, { stacks: false, ...opts.capture, pid }, { user: opts.user, useSudo: opts.useSudo });
    const backend = await createBackend({ dataDir, userKnownHostsFile: knownHosts, agentSocket: '' });
    try {
      const api = inProcessApi(backend);
      const session = await api.call('sessions.open', { sessionId });
      const report = await reportOf(api, session);
      const files: Record<string, string> = {};
      for (const a of session.artifacts) {
        if (!a.sha256 || a.name.endsWith('.pb.gz') || a.name === 'go/trace') continue;
        files[a.name] = (await api.call('artifacts.read', { artifactId: a.id, maxBytes: 64 * 1024 * 1024, encoding: 'text' })).text;
      }
      if (!report.memory.attribution) throw new Error(`the session of pid ${pid} has no memory attribution (no smaps?): ${report.notes.join('; ')}`);
      return { session, report, attribution: report.memory.attribution, artifacts: new Map(session.artifacts.map((a) => [a.name, a])), files };
    } finally {
      await backend.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const mib = (b: number | null) => (b === null ? '—' : `${(b / 1024 / 1024).toFixed(1)}`);
const signed = (b: number | null) => (b === null ? '—' : `${b < 0 ? '−' : '+'}${(Math.abs(b) / 1024 / 1024).toFixed(1)}`);

/** The "memory attribution error" table of one service: the Go classes as smaps shows them against MemStats, in MiB. */
export function attributionTable(service: string, a: MemoryAttribution): string {
  const rows = a.rows.map(
    (r) =>
      `| ${service} | ${r.key} | ${mib(r.mappedBytes)} | ${r.runtimeWhat} | ${mib(r.runtimeBytes)} | ${signed(r.differenceBytes)} | ±${mib(r.toleranceBytes)} | ${r.within === null ? 'no MemStats' : r.within ? 'yes' : '**no**'} |`,
  );
  const c = (id: string) => a.classes.find((x) => x.class === id)!;
  const other = `| ${service} | c-malloc / thread-stacks / anon-unknown | ${mib(c('c-malloc').mappedBytes)} / ${mib(c('thread-stacks').mappedBytes)} / ${mib(c('anon-unknown').mappedBytes)} | (not Go: outside MemStats) | | | | |`;
  return [...rows, other].join('\n');
}

export const ATTRIBUTION_TABLE_HEAD = ['| service | class | smaps mapped (MiB) | MemStats | MemStats (MiB) | difference (MiB) | tolerance (MiB) | within |', '|---|---|---|---|---|---|---|---|'].join(
  '\n',
);

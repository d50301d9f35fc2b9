/**
 * The local session library: SQLite (WAL) for hosts, sessions, artifacts and
 * redaction records; blob files for artifact bodies. Migrations are ordered
 * SQL steps tracked with PRAGMA user_version.
 *
 * Several processes may share a data folder (the desktop app, the CLI): each
 * capturing session records its owner process, and only captures whose owner
 * is gone are called interrupted. A full disk must not lock the user out: a
 * small reserve file is given back so a capture can still record how it
 * ended, and when even opening needs space the library opens for reading only.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactNameProblem } from '../../shared/capture/artifactName';
import type { ArtifactMeta, ArtifactStatus, Host, SessionDetail, SessionStatus, SessionSummary } from '../../shared/contract/api';
import { ApiError, messageOf } from '../../shared/contract/errors';
import { BlobStore } from './blobs';
import { identityToken, isRunning, parseIdentityToken } from './processIdentity';
import { Database } from './sqlite';

const MIGRATIONS: readonly string[] = [
  // 1: the walking skeleton
  `
  CREATE TABLE hosts(
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    hostname TEXT NOT NULL,
    port INTEGER NOT NULL,
    user TEXT NOT NULL,
    identity_file TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE sessions(
    id TEXT PRIMARY KEY,
    host_id TEXT REFERENCES hosts(id) ON DELETE SET NULL,
    host_label TEXT NOT NULL,
    pid INTEGER NOT NULL,
    process_name TEXT NOT NULL,
    go_version TEXT,
    status TEXT NOT NULL CHECK (status IN ('capturing','complete','partial','failed')),
    status_reason TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    notes TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX sessions_started ON sessions(started_at DESC);
  CREATE TABLE artifacts(
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok','failed','skipped','truncated')),
    reason TEXT,
    size_bytes INTEGER NOT NULL,
    duration_ms INTEGER,
    sha256 TEXT,
    UNIQUE(session_id, name)
  );
  CREATE TABLE redactions(
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    artifact TEXT NOT NULL,
    key TEXT NOT NULL,
    rule TEXT NOT NULL
  );
  CREATE INDEX redactions_session ON redactions(session_id);
  `,
  // 2: jump chains, host-key policy, sudo
  `
  ALTER TABLE hosts ADD COLUMN jump TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE hosts ADD COLUMN strict_host_key_checking TEXT NOT NULL DEFAULT 'ask';
  ALTER TABLE hosts ADD COLUMN identities_only INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE hosts ADD COLUMN use_sudo INTEGER NOT NULL DEFAULT 0;
  `,
  // 3: a library that filters quickly: tags, and indexes for the filters
  `
  CREATE TABLE session_tags(
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY(session_id, tag)
  );
  CREATE INDEX session_tags_tag ON session_tags(tag);
  CREATE INDEX sessions_host ON sessions(host_label);
  CREATE INDEX sessions_process ON sessions(process_name);
  CREATE INDEX artifacts_session ON artifacts(session_id);
  `,
  // 4: the process that runs a capture, so another process sharing the folder can tell a live one from an interrupted one
  `
  ALTER TABLE sessions ADD COLUMN owner TEXT;
  `,
];

/** Bytes kept aside in the data folder and given back when the disk fills, so a capture can still record how it ended. */
const RESERVE_BYTES = 1024 * 1024;
/** Below this much free space, an open that fails is taken for a full disk. */
const NEARLY_FULL_BYTES = 8 * 1024 * 1024;

/** The disk (or the user's quota) is full: ENOSPC, EDQUOT, or SQLite's SQLITE_FULL. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

const FILE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE']);

/** An error from the library's own files or database, not from the host. */
export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_') || FILE_ERRORS.has(code));
}

async function nearlyFull(dir: string): Promise<boolean> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

export interface SessionFilter {
  readonly host?: string | undefined;
  readonly process?: string | undefined;
  readonly tag?: string | undefined;
  readonly text?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly limit?: number | undefined;
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export interface NewArtifact {
  readonly name: string;
  readonly status: ArtifactStatus;
  readonly reason: string | null;
  readonly sizeBytes: number;
  readonly durationMs: number | null;
  readonly sha256: string | null;
}

/** A host as handlers receive it: the contract's input with defaults applied. */
export type HostFields = Omit<Host, 'id' | 'createdAt'>;

// One row type and one mapper per table: the row as SQLite returns it, the model as the contract has it.

interface HostRow {
  readonly id: string;
  readonly label: string;
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly identity_file: string | null;
  readonly jump: string;
  readonly strict_host_key_checking: Host['strictHostKeyChecking'];
  readonly identities_only: number;
  readonly use_sudo: number;
  readonly created_at: string;
}

function toHost(r: HostRow): Host {
  let jump: string[] = [];
  try {
    const parsed: unknown = JSON.parse(r.jump);
    if (Array.isArray(parsed)) jump = parsed.filter((x): x is string => typeof x === 'string');
  } catch {
    // a damaged row keeps working without its jump chain
  }
  return {
    id: r.id,
    label: r.label,
    hostname: r.hostname,
    port: r.port,
    user: r.user,
    ...(r.identity_file ? { identityFile: r.identity_file } : {}),
    jump,
    strictHostKeyChecking: r.strict_host_key_checking,
    identitiesOnly: r.identities_only === 1,
    useSudo: r.use_sudo === 1,
    createdAt: r.created_at,
  };
}

/** A sessions row as SESSION_SELECT reads it: with its artifact count and its tags (session_tags) joined in. */
interface SessionRow {
  readonly id: string;
  readonly host_id: string | null;
  readonly host_label: string;
  readonly pid: number;
  readonly process_name: string;
  readonly go_version: string | null;
  readonly status: SessionStatus;
  readonly status_reason: string | null;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly artifact_count: number;
  readonly notes: string;
  readonly tag_list: string | null;
}

const SESSION_SELECT = `SELECT s.*,
    (SELECT COUNT(*) FROM artifacts a WHERE a.session_id=s.id) AS artifact_count,
    (SELECT group_concat(tag, ',') FROM session_tags t WHERE t.session_id=s.id) AS tag_list
  FROM sessions s`;

function toSummary(r: SessionRow): SessionSummary {
  return {
    id: r.id,
    hostId: r.host_id,
    hostLabel: r.host_label,
    pid: r.pid,
    processName: r.process_name,
    goVersion: r.go_version,
    status: r.status,
    statusReason: r.status_reason,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    artifactCount: r.artifact_count,
    notes: r.notes,
    tags: r.tag_list ? r.tag_list.split(',').sort() : [],
  };
}

interface ArtifactRow {
  readonly id: string;
  readonly session_id: string;
  readonly name: string;
  readonly status: ArtifactStatus;
  readonly reason: string | null;
  readonly size_bytes: number;
  readonly duration_ms: number | null;
  readonly sha256: string | null;
}

function toArtifact(a: ArtifactRow): ArtifactMeta {
  return { id: a.id, sessionId: a.session_id, name: a.name, status: a.status, reason: a.reason, sizeBytes: a.size_bytes, durationMs: a.duration_ms, sha256: a.sha256 };
}

/** The columns of ArtifactRow in the order artifactValues gives them. */
const INSERT_ARTIFACT = 'INTO artifacts(id,session_id,name,status,reason,size_bytes,duration_ms,sha256) VALUES (?,?,?,?,?,?,?,?)';
const artifactValues = (id: string, sessionId: string, a: NewArtifact) => [id, sessionId, a.name, a.status, a.reason, a.sizeBytes, a.durationMs, a.sha256];

/** A redactions row as the contract shows it (session_id is the session it is listed under). */
interface RedactionRow {
  readonly artifact: string;
  readonly key: string;
  readonly rule: string;
}

const INSERT_REDACTION = 'INSERT INTO redactions(session_id,artifact,key,rule) VALUES (?,?,?,?)';
const toRedaction = (r: RedactionRow): SessionDetail['redactions'][number] => ({ artifact: r.artifact, key: r.key, rule: r.rule });

export class Store {
  /** Set when the library could only be opened for reading, with why. */
  private readOnly: string | null = null;

  private constructor(
    readonly db: Database,
    readonly blobs: BlobStore,
    readonly dataDir: string,
  ) {}

  static async open(dataDir: string): Promise<Store> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const blobs = new BlobStore(join(dataDir, 'blobs'));
    // First, as it frees space: temporary blobs of processes that are gone.
    await blobs.init();
    const file = join(dataDir, 'gopherscope.db');
    let store: Store;
    try {
      store = new Store(await openDatabase(file, false), blobs, dataDir);
    } catch (err) {
      if (!(await nearlyFull(dataDir))) throw err;
      // WAL needs room for its shared-memory file; give back the reserve, and if that is not
      // enough, read with the WAL index in this process's memory (exclusive locking mode).
      await releaseReserve(dataDir);
      try {
        store = new Store(await openDatabase(file, false), blobs, dataDir);
      } catch {
        store = new Store(await openDatabase(file, true), blobs, dataDir);
        store.readOnly = `the disk holding ${dataDir} is full`;
      }
    }
    try {
      await store.migrate();
      await store.recoverInterrupted();
    } catch (err) {
      if (!isNoSpace(err)) {
        await store.close().catch(() => undefined);
        throw err;
      }
      store.readOnly ??= `the disk holding ${dataDir} is full`;
    }
    if (store.readOnly === null) await ensureReserve(dataDir);
    return store;
  }

  private writable(): void {
    if (this.readOnly !== null) throw new ApiError('storage', `The library is open for reading only: ${this.readOnly}.`, 'Free some space there, then restart Gopherscope.');
  }

  private async migrate(): Promise<void> {
    const row = await this.db.get<{ user_version: number }>('PRAGMA user_version');
    const current = row?.user_version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new ApiError('storage', `This library was written by a newer Gopherscope (schema ${current}, we know ${MIGRATIONS.length}).`, 'Upgrade Gopherscope or use another --data-dir.');
    }
    if (current < MIGRATIONS.length && this.readOnly !== null) return; // read as it is; migrated once there is space
    for (let v = current; v < MIGRATIONS.length; v++) {
      await this.db.transaction(async () => {
        await this.db.exec(MIGRATIONS[v]!);
        await this.db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  /**
   * A session still 'capturing' whose owner process is gone died mid-capture. One whose
   * owner still runs (another Gopherscope on this folder) is left alone.
   */
  private async recoverInterrupted(): Promise<void> {
    if (this.readOnly !== null) return;
    const capturing = await this.db.all<{ id: string; owner: string | null }>(`SELECT id, owner FROM sessions WHERE status='capturing'`);
    for (const s of capturing) {
      const owner = s.owner === null ? null : parseIdentityToken(s.owner);
      if (owner && isRunning(owner)) continue;
      await this.db.run(`UPDATE sessions SET status='partial', status_reason=?, finished_at=COALESCE(finished_at, ?) WHERE id=? AND status='capturing'`, [
        'interrupted: Gopherscope stopped before the capture finished; the artifacts listed were saved',
        new Date().toISOString(),
        s.id,
      ]);
    }
  }

  /** An error from storing, as the user should read it: a full disk says so and what to do. */
  storageError(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    const message = messageOf(err);
    if (isNoSpace(err))
      return new ApiError('storage', `the disk holding the library (${this.dataDir}) is full (${message})`, 'Free some space there and capture again; what was saved before is kept.');
    return new ApiError('storage', `could not store the capture in ${this.dataDir}: ${message}`);
  }

  // ---------- hosts ----------

  async listHosts(): Promise<Host[]> {
    const rows = await this.db.all<HostRow>('SELECT * FROM hosts ORDER BY label COLLATE NOCASE, id');
    return rows.map(toHost);
  }

  async getHost(id: string): Promise<Host> {
    const row = await this.db.get<HostRow>('SELECT * FROM hosts WHERE id=?', [id]);
    if (!row) throw new ApiError('not-found', `No host with id ${id}.`, 'Add the host first.');
    return toHost(row);
  }

  async addHost(input: HostFields): Promise<Host> {
    this.writable();
    const id = randomUUID();
    await this.db.run('INSERT INTO hosts(id,label,hostname,port,user,identity_file,jump,strict_host_key_checking,identities_only,use_sudo,created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)', [
      id,
      input.label,
      input.hostname,
      input.port,
      input.user,
      input.identityFile ?? null,
      JSON.stringify(input.jump),
      input.strictHostKeyChecking,
      input.identitiesOnly ? 1 : 0,
      input.useSudo ? 1 : 0,
      new Date().toISOString(),
    ]);
    return this.getHost(id);
  }

  async removeHost(id: string): Promise<boolean> {
    const r = await this.db.run('DELETE FROM hosts WHERE id=?', [id]);
    return r.changes > 0;
  }

  // ---------- sessions ----------

  async beginSession(s: { hostId: string | null; hostLabel: string; pid: number; processName: string; goVersion: string | null }): Promise<string> {
    this.writable();
    const id = randomUUID();
    await this.db
      .run(`INSERT INTO sessions(id,host_id,host_label,pid,process_name,go_version,status,started_at,owner) VALUES (?,?,?,?,?,?,'capturing',?,?)`, [
        id,
        s.hostId,
        s.hostLabel,
        s.pid,
        s.processName,
        s.goVersion,
        new Date().toISOString(),
        identityToken(),
      ])
      .catch((err: unknown) => {
        throw isNoSpace(err) ? this.storageError(err) : err;
      });
    return id;
  }

  /** Called only after the artifact's blob is fsynced and in place. */
  async addArtifact(sessionId: string, a: NewArtifact, redactions: ReadonlyArray<{ key: string; rule: string }> = []): Promise<string> {
    checkName(a.name);
    const id = randomUUID();
    await this.db.transaction(async () => {
      await this.db.run(`INSERT ${INSERT_ARTIFACT}`, artifactValues(id, sessionId, a));
      for (const r of redactions) {
        await this.db.run(INSERT_REDACTION, [sessionId, a.name, r.key, r.rule]);
      }
    });
    return id;
  }

  /**
   * One transaction: the artifacts that never arrived get their reason, and the session its final
   * status. On a full disk the reserve is given back and the transaction tried once more.
   */
  async finishSession(sessionId: string, status: Exclude<SessionStatus, 'capturing'>, reason: string | null, missing: ReadonlyArray<NewArtifact>): Promise<void> {
    const write = () =>
      this.db.transaction(async () => {
        for (const a of missing) {
          checkName(a.name);
          await this.db.run(`INSERT OR IGNORE ${INSERT_ARTIFACT}`, artifactValues(randomUUID(), sessionId, a));
        }
        await this.db.run('UPDATE sessions SET status=?, status_reason=?, finished_at=? WHERE id=?', [status, reason, new Date().toISOString(), sessionId]);
      });
    try {
      await write();
    } catch (err) {
      if (!isNoSpace(err) || !(await releaseReserve(this.dataDir))) throw err;
      await write();
    }
  }

  async blobReferenced(sha256: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM artifacts WHERE sha256=? LIMIT 1', [sha256])) !== undefined;
  }

  async sessionExists(sessionId: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM sessions WHERE id=?', [sessionId])) !== undefined;
  }

  /** Inserts an imported session with its artifacts and redactions in one transaction; an existing id is left alone. */
  async importSession(m: {
    session: {
      id: string;
      hostLabel: string;
      pid: number;
      processName: string;
      goVersion: string | null;
      status: SessionStatus;
      statusReason: string | null;
      startedAt: string;
      finishedAt: string | null;
    };
    artifacts: ReadonlyArray<NewArtifact>;
    redactions: ReadonlyArray<{ artifact: string; key: string; rule: string }>;
  }): Promise<{ sessionId: string; alreadyPresent: boolean }> {
    this.writable();
    for (const a of m.artifacts) checkName(a.name);
    const existing = await this.db.get<{ id: string }>('SELECT id FROM sessions WHERE id=?', [m.session.id]);
    if (existing) return { sessionId: existing.id, alreadyPresent: true };
    const s = m.session;
    await this.db.transaction(async () => {
      await this.db.run(`INSERT INTO sessions(id,host_id,host_label,pid,process_name,go_version,status,status_reason,started_at,finished_at) VALUES (?,?,?,?,?,?,?,?,?,?)`, [
        s.id,
        null,
        s.hostLabel,
        s.pid,
        s.processName,
        s.goVersion,
        s.status === 'capturing' ? 'partial' : s.status,
        s.statusReason,
        s.startedAt,
        s.finishedAt,
      ]);
      for (const a of m.artifacts) {
        await this.db.run(`INSERT ${INSERT_ARTIFACT}`, artifactValues(randomUUID(), s.id, a));
      }
      for (const r of m.redactions) await this.db.run(INSERT_REDACTION, [s.id, r.artifact, r.key, r.rule]);
    });
    return { sessionId: s.id, alreadyPresent: false };
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id=?', [sessionId]);
  }

  async listSessions(filter: SessionFilter = {}): Promise<SessionSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.host) {
      where.push("s.host_label LIKE ? ESCAPE '\\'");
      params.push(like(filter.host));
    }
    if (filter.process) {
      where.push("(s.process_name LIKE ? ESCAPE '\\' OR CAST(s.pid AS TEXT) = ?)");
      params.push(like(filter.process), filter.process);
    }
    if (filter.tag) {
      where.push('EXISTS (SELECT 1 FROM session_tags t WHERE t.session_id = s.id AND t.tag = ?)');
      params.push(filter.tag);
    }
    if (filter.text) {
      where.push(
        "(s.notes LIKE ?1 ESCAPE '\\' OR s.host_label LIKE ?1 ESCAPE '\\' OR s.process_name LIKE ?1 ESCAPE '\\' OR IFNULL(s.go_version,'') LIKE ?1 ESCAPE '\\')".replace(
          /\?1/g,
          `?${params.length + 1}`,
        ),
      );
      params.push(like(filter.text));
    }
    if (filter.from) {
      where.push('s.started_at >= ?');
      params.push(filter.from);
    }
    if (filter.to) {
      where.push('s.started_at <= ?');
      params.push(filter.to);
    }
    params.push(filter.limit ?? 1000);
    const rows = await this.db.all<SessionRow>(`${SESSION_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.started_at DESC, s.id LIMIT ?`, params);
    return rows.map(toSummary);
  }

  async updateSession(sessionId: string, patch: { notes?: string | undefined; tags?: readonly string[] | undefined }): Promise<SessionSummary> {
    this.writable();
    await this.db.transaction(async () => {
      const exists = await this.db.get('SELECT 1 AS x FROM sessions WHERE id=?', [sessionId]);
      if (!exists) throw new ApiError('not-found', `No session with id ${sessionId}.`);
      if (patch.notes !== undefined) await this.db.run('UPDATE sessions SET notes=? WHERE id=?', [patch.notes, sessionId]);
      if (patch.tags !== undefined) {
        await this.db.run('DELETE FROM session_tags WHERE session_id=?', [sessionId]);
        for (const tag of new Set(patch.tags)) await this.db.run('INSERT INTO session_tags(session_id, tag) VALUES (?,?)', [sessionId, tag]);
      }
    });
    const { artifacts: _a, redactions: _r, ...summary } = await this.openSession(sessionId);
    return summary;
  }

  async openSession(sessionId: string): Promise<SessionDetail> {
    const row = await this.db.get<SessionRow>(`${SESSION_SELECT} WHERE s.id=?`, [sessionId]);
    if (!row) throw new ApiError('not-found', `No session with id ${sessionId}.`);
    const artifacts = await this.db.all<ArtifactRow>('SELECT * FROM artifacts WHERE session_id=? ORDER BY name', [sessionId]);
    const redactions = await this.db.all<RedactionRow>('SELECT artifact,key,rule FROM redactions WHERE session_id=? ORDER BY rowid', [sessionId]);
    return { ...toSummary(row), artifacts: artifacts.map(toArtifact), redactions: redactions.map(toRedaction) };
  }

  async getArtifact(artifactId: string): Promise<ArtifactMeta> {
    const a = await this.db.get<ArtifactRow>('SELECT * FROM artifacts WHERE id=?', [artifactId]);
    if (!a) throw new ApiError('not-found', `No artifact with id ${artifactId}.`);
    return toArtifact(a);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function checkName(name: string): void {
  const problem = artifactNameProblem(name);
  if (problem !== null) throw new ApiError('invalid-input', `${JSON.stringify(name.slice(0, 80))} is not a valid artifact name (${problem}); it was not stored.`);
}

/**
 * SQLite in WAL mode. `readOnly` is for a full disk: with locking_mode=EXCLUSIVE the WAL index
 * lives in this process's memory instead of the -shm file, which there is no room to create.
 */
async function openDatabase(file: string, readOnly: boolean): Promise<Database> {
  const db = await Database.open(file);
  try {
    await db.exec(`${readOnly ? 'PRAGMA locking_mode=EXCLUSIVE; ' : ''}PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;`);
    // The first read maps the WAL index: where a full disk shows.
    await db.get('SELECT count(*) AS n FROM sqlite_master');
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

const reservePath = (dataDir: string) => join(dataDir, 'space-reserve');

/** Writes the reserve file if it is missing, never taking a nearly full disk's last space. */
async function ensureReserve(dataDir: string): Promise<void> {
  if (await nearlyFull(dataDir)) return;
  let fh;
  try {
    fh = await open(reservePath(dataDir), 'wx', 0o600);
  } catch {
    return; // already there (or the folder is unwritable: nothing to reserve)
  }
  try {
    // Real blocks, not a sparse file: this is space the filesystem has to give back.
    const { bytesWritten } = await fh.write(Buffer.alloc(RESERVE_BYTES, 0x52));
    if (bytesWritten !== RESERVE_BYTES) throw new Error('short write');
    await fh.sync();
    await fh.close();
  } catch {
    await fh.close().catch(() => undefined);
    await unlink(reservePath(dataDir)).catch(() => undefined);
  }
}

/** Gives the reserve back; false when there was none. */
async function releaseReserve(dataDir: string): Promise<boolean> {
  try {
    await unlink(reservePath(dataDir));
    return true;
  } catch {
    return false;
  }
}

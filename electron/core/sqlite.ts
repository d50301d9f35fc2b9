/**
 * A small promise layer over the sqlite3 package. sqlite3 runs statements on
 * its own thread pool, so the Electron main thread never blocks on disk.
 */
import sqlite3 from 'sqlite3';

export type Row = Record<string, unknown>;

export class Database {
  private constructor(private readonly db: sqlite3.Database) {}

  static open(file: string): Promise<Database> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
        if (err) reject(err);
        else resolve(new Database(db));
      });
    });
  }

  run(sql: string, params: unknown[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  all<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  async get<T = Row>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE … COMMIT. sqlite3 serialises statements on
   * one connection, and callers of this class await each statement, so a
   * transaction is not interleaved with other writes from this process as long
   * as writes go through transaction() or single statements.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn();
        await this.exec('COMMIT');
        return value;
      } catch (err) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      release();
    }
  }

  private queue: Promise<void> = Promise.resolve();
  private lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.queue;
    this.queue = prev.then(() => next);
    return prev.then(() => release);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}

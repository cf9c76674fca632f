import type SqliteDatabase from 'better-sqlite3';

/**
 * How the one connection that writes the embedded store is set up, on its thread or inline.
 *
 * WAL, with the durability asked for (FULL: every commit synced; see docs/architecture.md).
 * Statement journals in memory (`temp_store`): the group commit runs each work in its own
 * savepoint, and SQLite keeps what a savepoint would roll back in a statement journal, a
 * temporary file by default — at 3,000 sends/s that file took 86 % of the writer's `pwrite`
 * calls. It only ever serves rolling back a savepoint of the open transaction (a crash loses
 * that transaction whole, WAL or not), so keeping it in memory costs no durability; it is
 * bounded by the pages one group commit changes.
 */
export function setUpWriter(database: SqliteDatabase.Database, synchronous: 'FULL' | 'NORMAL'): void {
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma('temp_store = MEMORY');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
}

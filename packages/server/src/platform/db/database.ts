import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type CompiledQuery, Kysely, type KyselyConfig, SqliteDialect, sql, type Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { latestMigration, migrationProvider } from '../../migrations/index.ts';
import type { Logger } from '../logger.ts';
import type { DB } from './schema.ts';
import { BatchingPostgresDialect, deferWrites as deferPostgresWrites, togetherQuery, untilCommit, withNextQuery } from './postgres-batch.ts';
import { type SqliteWorkerStore, sqliteWorkerStore } from './sqlite-driver.ts';
import { statementCache } from './statement-cache.ts';
import { setUpWriter } from './sqlite-writer-setup.ts';

export type Dialect = 'sqlite' | 'postgres';
/** The rows each compiled query answers. */
export type RowsOf<Q extends readonly CompiledQuery<any>[]> = { -readonly [K in keyof Q]: Q[K] extends CompiledQuery<infer R> ? R[] : never };
export type Tx = Transaction<DB>;
/** Repository functions take either the database or a transaction, so callers choose the boundary. */
export type Executor = Kysely<DB> | Tx;

export interface Database {
  readonly kysely: Kysely<DB>;
  readonly dialect: Dialect;
  /**
   * Runs reads in one consistent snapshot (REPEATABLE READ, read-only on PostgreSQL; on
   * SQLite one transaction on the single connection). For answers assembled from several
   * queries that must describe the same moment, like a summary's lastSeq and its unread count.
   */
  snapshot<T>(read: (trx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `write` (statements of the caller's transaction) with the writes that return
   * nothing sent together, with the next read or at the end, instead of one round trip
   * each: on the embedded store's writer thread, and on PostgreSQL as one multi-statement
   * query on the transaction's connection (postgres-batch.ts). A held write's error rejects
   * the whole call, so `write` must not catch one inside.
   */
  deferWrites<T>(write: () => Promise<T>): Promise<T>;
  /**
   * Runs statements of the transaction `trx` (compiled with `.compile()`), in order, and
   * answers each one's rows: in one round trip (the embedded store's writer thread; on
   * PostgreSQL one multi-statement query, with whatever of the transaction waits to be sent).
   * For a hot path whose statements do not depend on each other.
   */
  runTogether<const Q extends readonly CompiledQuery<any>[]>(trx: Tx, queries: Q): Promise<RowsOf<Q>>;
  /**
   * Runs a statement of the transaction `trx` that returns nothing and whose failure only the
   * transaction as a whole cares about (a savepoint, its release): on the embedded store's
   * writer thread it travels with the transaction's next statement or its COMMIT instead of a
   * round trip of its own (an error then fails that statement); on PostgreSQL likewise, on
   * the transaction's connection (postgres-batch.ts).
   */
  sendWithNext(trx: Tx, query: CompiledQuery): Promise<void>;
  /**
   * For the group commit's transaction `trx`: while on, the writes a work holds in
   * `deferWrites` travel with the transaction's next statement (the next work's first, or the
   * COMMIT) instead of a round trip at the end of the work; one that fails there fails as a
   * `CarriedWriteError`, and the batch is to be run again without carrying. On the embedded
   * store's writer thread; on PostgreSQL each work is its own transaction, so there is no next
   * work to carry to. Off again at the transaction's end.
   */
  carryWrites(trx: Tx, on: boolean): void;
  /**
   * Runs the whole work of a transaction that runs no other work (PostgreSQL's unit of work):
   * what its `deferWrites` holds travels with its next statement or the COMMIT instead of a
   * round trip when `deferWrites` ends (postgres-batch.ts, `untilCommit`); one that fails
   * there fails the work. On the embedded store it is `work()` (its group commit carries
   * writes with `carryWrites`).
   */
  writesUntilCommit<T>(work: () => Promise<T>): Promise<T>;
  /** True when the database answers and every migration has been applied. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  poolSize: number;
  /** PostgreSQL: statements of fixed shape run prepared on each connection (postgres-batch.ts); on unless false. */
  preparedStatements?: boolean;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** `thread` (the default, as in the config): the writer on a worker thread, reads on the event loop (sqlite-driver.ts); `inline`: one connection on the event loop. */
  sqliteWriter?: 'thread' | 'inline';
  logger: Logger;
  /**
   * Each statement run through Kysely, timed (the query-duration metric): seconds and whether
   * it failed. Statements of the embedded store's batched hot path (`runTogether`,
   * `deferWrites`) run on its writer thread without Kysely and are timed only as part of
   * their transaction; on PostgreSQL a held statement is timed as taking no time, and the
   * statement it travels with carries its cost.
   */
  onQuery?: (seconds: number, outcome: 'ok' | 'error') => void;
}

const INT8_OID = 20;

/** Kysely's per-statement log as a timing callback: the one hook that sees every query, on every dialect. */
function queryLog(onQuery: DatabaseOptions['onQuery']): Pick<KyselyConfig, 'log'> {
  if (!onQuery) return {};
  return { log: (event) => onQuery(event.queryDurationMillis / 1000, event.level === 'error' ? 'error' : 'ok') };
}

/** Opens the configured store and brings its schema up to date before anything else touches it. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const { kysely, dialect, deferWrites = (write) => write(), writesUntilCommit = (work) => work(), executeTogether, sendWithNext, carryWrites, batched = false, available = () => true } = options.databaseUrl ? openPostgres(options.databaseUrl, options) : openSqlite(options);
  try {
    await migrate(kysely, options.logger);
  } catch (error) {
    await kysely.destroy();
    throw error;
  }
  return {
    kysely,
    dialect,
    deferWrites,
    writesUntilCommit,
    async runTogether(trx, queries) {
      if (!trx.isTransaction) throw new Error('runTogether: the statements belong to a transaction');
      if (executeTogether) return (await executeTogether(queries.map(({ sql, parameters }) => ({ sql, parameters })))).map((result) => result.rows) as never;
      if (batched) return ((await trx.executeQuery(togetherQuery(queries.map(({ sql, parameters }) => ({ sql, parameters }))))).rows as { rows: unknown[] }[]).map((result) => result.rows) as never;
      const rows: unknown[][] = [];
      for (const query of queries) rows.push((await trx.executeQuery(query)).rows);
      return rows as never;
    },
    async sendWithNext(trx, query) {
      if (!trx.isTransaction) throw new Error('sendWithNext: the statement belongs to a transaction');
      if (sendWithNext) sendWithNext({ sql: query.sql, parameters: query.parameters });
      else if (batched) await trx.executeQuery(withNextQuery({ sql: query.sql, parameters: query.parameters }));
      else await trx.executeQuery(query);
    },
    carryWrites(trx, on) {
      if (!trx.isTransaction) throw new Error('carryWrites: for a transaction');
      carryWrites?.(on);
    },
    snapshot: (read) => kysely.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read),
    async ready() {
      if (!available()) return false;
      try {
        const row = await kysely
          .selectFrom('kysely_migration' as never)
          .select(sql<string>`max(name)`.as('name'))
          .executeTakeFirst() as { name: string | null } | undefined;
        return row?.name === latestMigration;
      } catch {
        return false;
      }
    },
    close: () => kysely.destroy(),
  };
}

interface Opened {
  kysely: Kysely<DB>;
  dialect: Dialect;
  deferWrites?: Database['deferWrites'];
  writesUntilCommit?: Database['writesUntilCommit'];
  executeTogether?: SqliteWorkerStore['executeTogether'];
  sendWithNext?: SqliteWorkerStore['sendWithNext'];
  carryWrites?: SqliteWorkerStore['carryWrites'];
  /** PostgreSQL: `runTogether` and `sendWithNext` go through the transaction's batching connection (postgres-batch.ts). */
  batched?: boolean;
  /** False once the store can no longer write (the embedded store's writer thread failed). */
  available?: () => boolean;
}

function openPostgres(connectionString: string, { poolSize, preparedStatements = true, logger, onQuery }: DatabaseOptions): Opened {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    // Seqs and times are int8; they stay below 2^53, so numbers are exact and cheaper than strings.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A connection cut by a restart, failover or pg_terminate_backend emits 'error' on its
  // client. The pool listens only while a client is idle; a client checked out for a
  // transaction has no listener, and an unhandled 'error' event would end the process.
  // Every client gets its own listener for its whole life: the statement in flight (or the
  // next one) then fails as `unavailable`, and the pool drops the broken client on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error }, 'database connection lost'));
  });
  // The pool re-emits an idle client's error, already logged by the client's own listener.
  pool.on('error', () => {});
  // Statements nobody waits for travel with the next one (postgres-batch.ts): a send is two round trips, not nine.
  return { kysely: new Kysely<DB>({ dialect: new BatchingPostgresDialect({ pool, prepare: preparedStatements }), ...queryLog(onQuery) }), dialect: 'postgres', deferWrites: deferPostgresWrites, writesUntilCommit: untilCommit, batched: true };
}

function openSqlite(options: DatabaseOptions): Opened {
  mkdirSync(options.dataDir, { recursive: true });
  if ((options.sqliteWriter ?? 'thread') === 'thread') {
    const file = join(options.dataDir, 'parley.db');
    const store = sqliteWorkerStore({
      file,
      synchronous: options.sqliteSynchronous,
      // Every write from now on is refused as unavailable, and readiness fails so the process is replaced.
      onWriterFailure: (error) => options.logger.error({ err: error }, 'the SQLite writer thread failed: the store can no longer write'),
    });
    return {
      kysely: new Kysely<DB>({ dialect: store.dialect, ...queryLog(options.onQuery) }),
      dialect: 'sqlite',
      deferWrites: store.deferWrites,
      executeTogether: store.executeTogether,
      sendWithNext: store.sendWithNext,
      carryWrites: store.carryWrites,
      available: store.available,
    };
  }
  const database = new SqliteDatabase(join(options.dataDir, 'parley.db'));
  setUpWriter(database, options.sqliteSynchronous);
  return { kysely: new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }), ...queryLog(options.onQuery) }), dialect: 'sqlite' };
}

/** Kysely's SQLite driver prepares every query anew: it is given the cached `prepare`. */
function withStatementCache(database: SqliteDatabase.Database): { prepare(sql: string): SqliteDatabase.Statement; close(): void } {
  return { prepare: statementCache(database), close: () => database.close() };
}

async function migrate(kysely: Kysely<DB>, logger: Logger): Promise<void> {
  const migrator = new Migrator({ db: kysely, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') logger.info({ migration: result.migrationName }, 'migration applied');
    else if (result.status === 'Error') logger.error({ migration: result.migrationName }, 'migration failed');
  }
  if (error) throw error;
}

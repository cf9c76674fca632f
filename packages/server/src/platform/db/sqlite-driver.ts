import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, SqliteAdapter, SqliteIntrospector,
  SqliteQueryCompiler, type TransactionSettings,
} from 'kysely';
import { CarriedWriteError, DatabaseUnavailableError } from './db-errors.ts';
import { statementCache } from './statement-cache.ts';
import { UNKEYED, type WriterReply, type WriterRequest, type WriterResult, type WriterSetup, type WriterStatement } from './sqlite-writer-protocol.ts';

/**
 * The embedded store with its writer off the event loop.
 *
 * better-sqlite3 is synchronous: on the event loop every `COMMIT` (an fsync under
 * synchronous=FULL) stopped the whole server for the disk. Here the one connection that
 * writes lives on a `worker_threads` thread (sqlite-writer.worker.ts): transactions and
 * writes are sent to it and awaited, so the loop keeps parsing frames and writing sockets
 * while the disk works, and what arrives meanwhile joins the next group commit (the unit
 * of work's batches grow with load instead of the loop stalling).
 *
 * Reads that need not see an open transaction run on the event loop, on reader
 * connections of the same file (WAL: readers never wait for the writer and see every
 * committed transaction). A transaction's own reads go to the writer with it, so a send
 * sees its own writes; anything acknowledged has committed before the answer, so a read
 * after an ack sees it. Read-only transactions (`Database.snapshot`) get their own reader
 * connection, one at a time, so plain reads never run inside someone's snapshot.
 *
 * Failure: every caller is answered. If the writer thread dies (it threw, or was stopped),
 * everything waiting for it and everything after fails with `DatabaseUnavailableError`
 * (served as `unavailable`, retryable) and the store reports itself unavailable for good
 * (readiness fails, so the process is replaced: a new writer in the same process could not
 * take over the dead one's SQLite locks). Closing lets the transactions that hold or wait
 * for the writer finish (up to CLOSE_WAIT_MS), refuses what comes later, then stops.
 */
export interface SqliteWorkerOptions {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Told once when the writer thread fails (not when it is closed). */
  onWriterFailure?: (error: Error) => void;
  /** How long closing waits for the transactions that hold or wait for the writer (CLOSE_WAIT_MS). */
  closeWaitMs?: number;
}

export interface SqliteWorkerStore {
  dialect: Dialect;
  /** See `SqliteWorkerDriver.deferWrites`. */
  deferWrites<T>(write: () => Promise<T>): Promise<T>;
  /** See `SqliteWorkerDriver.executeTogether`. */
  executeTogether(statements: readonly WriterStatement[]): Promise<QueryResult<unknown>[]>;
  /** See `SqliteWorkerDriver.sendWithNext`. */
  sendWithNext(statement: WriterStatement): void;
  /** See `SqliteWorkerDriver.carryWrites`. */
  carryWrites(on: boolean): void;
  /** False once the writer thread has failed or the store is closing: nothing can be written any more. */
  available(): boolean;
  /** The writer thread itself, for tests that make it fail (undefined before the store opens). */
  writerThread(): Worker | undefined;
}

export function sqliteWorkerStore(options: SqliteWorkerOptions): SqliteWorkerStore {
  const driver = new SqliteWorkerDriver(options);
  return {
    dialect: {
      createAdapter: () => new ConcurrentSqliteAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createIntrospector: (db: Kysely<any>) => new SqliteIntrospector(db),
    },
    deferWrites: (write) => driver.deferWrites(write),
    executeTogether: (statements) => driver.executeTogether(statements),
    sendWithNext: (statement) => driver.sendWithNext(statement),
    carryWrites: (on) => driver.carryWrites(on),
    available: () => driver.available,
    writerThread: () => driver.writerThread,
  };
}

/**
 * Kysely serializes every use of a SQLite database (one connection) unless the adapter says
 * otherwise. Here reads must not wait for an open transaction, and the driver itself keeps
 * the writer to one transaction at a time.
 */
class ConcurrentSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

/**
 * A FIFO lock: the writer connection (or the snapshot reader) belongs to one transaction at
 * a time. Once closed, every waiter and every later acquire is refused with the reason.
 */
class Lock {
  #held = false;
  #closed: Error | null = null;
  readonly #waiting: Array<{ resolve(): void; reject(error: Error): void }> = [];

  async acquire(): Promise<void> {
    if (this.#closed) throw this.#closed;
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next.resolve();
    else this.#held = false;
  }

  /** Refuses the waiting and whoever comes later; a holder keeps the lock until it releases. */
  close(reason: Error): void {
    this.#closed = reason;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(reason);
  }
}

/**
 * How long closing waits, by default, for the transactions that hold or wait for the writer:
 * a group commit of a full batch takes milliseconds; one still running after this is stuck.
 */
const CLOSE_WAIT_MS = 10_000;

/** A reader connection on the event loop with statements kept by SQL text (preparing costs as much as running). */
class Reader {
  readonly #database: SqliteDatabase.Database;
  readonly prepare: (sql: string) => SqliteDatabase.Statement;

  constructor(file: string) {
    this.#database = new SqliteDatabase(file);
    // Never writes: a statement that would, is the writer's.
    this.#database.pragma('query_only = ON');
    this.#database.pragma('busy_timeout = 5000');
    this.prepare = statementCache(this.#database);
  }

  /** The statement when it only reads (undefined: the writer's, or not preparable here, e.g. a table only the writer has seen created). */
  readOnly(sql: string): SqliteDatabase.Statement | undefined {
    try {
      const statement = this.prepare(sql);
      return statement.readonly ? statement : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when the statement returns no rows, so nothing waits for its answer (false when it cannot be prepared here). */
  returnsNothing(sql: string): boolean {
    try {
      return !this.prepare(sql).reader;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#database.close();
  }
}

function runOn(statement: SqliteDatabase.Statement, parameters: readonly unknown[]): QueryResult<any> {
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
}

/**
 * Whether a statement inside `deferWrites` may be held until the next one: an insert that
 * returns nothing and always inserts. An update or delete is answered with its row count,
 * which callers read ("attached by another message meanwhile"), and a held statement has no
 * count yet; nor has an insert that may do nothing (ON CONFLICT DO NOTHING).
 */
function mayHold(sql: string): boolean {
  return /^\s*insert\s/i.test(sql) && !/\bdo\s+nothing\b/i.test(sql);
}

/**
 * The thread's module beside this one: `.ts` when the sources run as they are (`npm start`,
 * tests), `.js` in the compiled tree the container image runs (tsc rewrites import
 * specifiers, not the text of a URL).
 */
const WORKER_FILE = new URL(`./sqlite-writer.worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * SQL texts given a key (see the protocol's triples). Queries come from a fixed set of
 * shapes, but an `in (…)` list makes one per length: past this many, texts travel whole.
 */
const MAX_STATEMENT_KEYS = 2000;

/**
 * The writer thread, spoken to by request id; requests run in the order sent. Every request
 * is answered: by the thread, or with `DatabaseUnavailableError` once the thread is gone
 * (it exited, threw, sent a reply that could not be read, or was closed).
 */
class Writer {
  readonly #worker: Worker;
  readonly #keys = new Map<string, number>();
  #nextKey = 0;
  readonly #pending = new Map<number, { resolve(reply: WriterReply): void; reject(error: Error): void }>();
  #nextId = 1;
  /** Why nothing more can be sent (null while the thread works). */
  #failure: Error | null = null;
  readonly ready: Promise<void>;

  constructor(setup: WriterSetup, onFailure: (error: Error) => void) {
    this.#worker = new Worker(WORKER_FILE, { workerData: setup });
    let opened!: () => void;
    let failed!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    this.#worker.on('message', (reply: WriterReply) => {
      if (reply.ready) return opened();
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      this.#pending.delete(reply.id);
      waiting.resolve(reply);
    });
    // Nothing sent to a thread that is gone will be answered: everything waiting fails, and
    // so does everything after. The first reason is kept (a close is not a failure).
    const fail = (reason: Error) => {
      if (!this.#failure) {
        this.#failure = reason;
        onFailure(reason);
      }
      failed(this.#failure);
      for (const waiting of this.#pending.values()) waiting.reject(this.#failure);
      this.#pending.clear();
    };
    this.#worker.on('error', (error) => fail(new DatabaseUnavailableError('the SQLite writer thread failed', { cause: error })));
    this.#worker.on('exit', (code) => fail(new DatabaseUnavailableError(`the SQLite writer thread exited (${code})`)));
    // A reply that cannot be read leaves its caller unanswered, and which one is unknown:
    // the thread is stopped so that every caller is answered.
    this.#worker.on('messageerror', (error) => {
      fail(new DatabaseUnavailableError('a reply from the SQLite writer thread could not be read', { cause: error }));
      void this.#worker.terminate();
    });
  }

  /** False once the thread is gone or closing. */
  get working(): boolean {
    return this.#failure === null;
  }

  get thread(): Worker {
    return this.#worker;
  }

  #request(request: { statements: readonly WriterStatement[]; all?: boolean } | { close: true }): Promise<WriterReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const learnt: string[] = [];
    const message: WriterRequest = 'close' in request ? { id, close: true } : { id, statements: this.#encode(request.statements, learnt), ...(request.all ? { all: true } : {}) };
    return new Promise<WriterReply>((resolve, reject) => {
      try {
        this.#worker.postMessage(message);
      } catch (error) {
        // Not sent (a value that cannot be cloned): the writer never learnt these keys.
        for (const sql of learnt) this.#keys.delete(sql);
        reject(error as Error);
        return;
      }
      this.#pending.set(id, { resolve, reject });
    });
  }

  /** Statements as the protocol's flat triples: a text is sent once, with its key, then only the key. */
  #encode(statements: readonly WriterStatement[], learnt: string[]): unknown[] {
    const wire: unknown[] = [];
    for (const { sql, parameters } of statements) {
      const key = this.#keys.get(sql);
      if (key !== undefined) {
        wire.push(key, null, parameters);
      } else if (this.#keys.size < MAX_STATEMENT_KEYS) {
        const next = this.#nextKey++;
        this.#keys.set(sql, next);
        learnt.push(sql);
        wire.push(next, sql, parameters);
      } else {
        wire.push(UNKEYED, sql, parameters);
      }
    }
    return wire;
  }

  /** The statements in one round trip, answering the last one's result; the first `carried` are writes carried from an earlier work (see `carryWrites`). */
  async execute(statements: readonly WriterStatement[], carried = 0): Promise<QueryResult<any>> {
    const reply = Writer.#check(await this.#request({ statements }), carried);
    return reply.result ? Writer.#queryResult(reply.result) : { rows: [] };
  }

  /** Every statement's result, in one round trip. */
  async executeAll(statements: readonly WriterStatement[], carried = 0): Promise<QueryResult<any>[]> {
    const reply = Writer.#check(await this.#request({ statements, all: true }), carried);
    return reply.results!.map(Writer.#queryResult);
  }

  static #check(reply: WriterReply, carried: number): WriterReply {
    if (reply.error) {
      // Shaped like better-sqlite3's SqliteError, so callers recognize it (`code`) as before.
      const error = new Error(reply.error.message) as Error & { code?: string };
      error.name = reply.error.name;
      if (reply.error.code !== undefined) error.code = reply.error.code;
      if (reply.error.at !== undefined && reply.error.at < carried) throw new CarriedWriteError(`a write carried from an earlier work failed: ${error.message}`, { cause: error });
      throw error;
    }
    return reply;
  }

  static #queryResult(result: WriterResult): QueryResult<any> {
    if (result.changes === undefined) return { rows: result.rows };
    return { rows: [], numAffectedRows: BigInt(result.changes), insertId: BigInt(result.lastInsertRowid ?? 0) };
  }

  /** Closes the database on the thread (after every request sent before), then stops the thread; later requests are refused. */
  async close(): Promise<void> {
    if (!this.#failure) {
      const closed = this.#request({ close: true });
      this.#failure = new DatabaseUnavailableError('the embedded store is closed');
      await closed.catch(() => {});
    }
    await this.#worker.terminate();
  }
}

type Mode = 'auto' | 'write' | 'snapshot';

class RoutedConnection implements DatabaseConnection {
  mode: Mode = 'auto';
  readonly #driver: SqliteWorkerDriver;

  constructor(driver: SqliteWorkerDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute(this.mode, compiled.sql, compiled.parameters) as Promise<QueryResult<R>>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the embedded store');
  }
}

class SqliteWorkerDriver implements Driver {
  readonly #options: SqliteWorkerOptions;
  #writer!: Writer;
  #reader!: Reader;
  #snapshotReader!: Reader;
  readonly #writeLock = new Lock();
  readonly #snapshotLock = new Lock();
  /**
   * The statements held by the `deferWrites` a caller runs in (none outside one). The writer
   * belongs to one transaction at a time, so these are that transaction's; works the group
   * commit runs side by side each hold their own, so one's failure drops only its own.
   */
  readonly #deferred = new AsyncLocalStorage<WriterStatement[]>();
  /** Statements of the open write transaction waiting to travel with its next one (`sendWithNext`, carried writes). */
  readonly #held: WriterStatement[] = [];
  /** How many statements at the front of `#held` are, or come before, writes carried from a finished `deferWrites` (see `carryWrites`). */
  #carried = 0;
  /** Set by the group commit for the transaction that holds the writer: writes held by `deferWrites` travel with the next statement. */
  #carry = false;
  #closing = false;
  /** Set once the reader connections are closed: nothing more can be read or written. */
  #readersClosed: Error | null = null;

  constructor(options: SqliteWorkerOptions) {
    this.#options = options;
  }

  async init(): Promise<void> {
    // The writer creates the file and turns WAL on before any reader opens it.
    this.#writer = new Writer({ file: this.#options.file, synchronous: this.#options.synchronous }, (error) => this.#options.onWriterFailure?.(error));
    try {
      await this.#writer.ready;
    } catch (error) {
      await this.#writer.close();
      throw error;
    }
    this.#reader = new Reader(this.#options.file);
    this.#snapshotReader = new Reader(this.#options.file);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this);
  }

  get available(): boolean {
    return !this.#closing && this.#writer?.working === true;
  }

  get writerThread(): Worker | undefined {
    return this.#writer?.thread;
  }

  async execute(mode: Mode, sql: string, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    if (this.#readersClosed) throw this.#readersClosed;
    if (mode === 'write') {
      const deferred = this.#deferred.getStore();
      if (deferred && mayHold(sql) && this.#reader.returnsNothing(sql)) {
        deferred.push({ sql, parameters });
        return { rows: [] };
      }
      const { statements, carried } = this.#withDeferred({ sql, parameters });
      return this.#writer.execute(statements, carried);
    }
    if (mode === 'snapshot') return runOn(this.#snapshotReader.prepare(sql), parameters);
    const statement = this.#reader.readOnly(sql);
    if (statement) return runOn(statement, parameters);
    // A write outside a transaction: one autocommit statement on the writer, between transactions.
    await this.#writeLock.acquire();
    try {
      return await this.#writer.execute([{ sql, parameters }]);
    } finally {
      this.#writeLock.release();
    }
  }

  /**
   * Inside `write`, inserts of the open transaction that return nothing (see `mayHold`) are
   * held and sent with the next statement that returns rows, or at the end, in one message:
   * a send's inserts cost one round trip to the writer instead of one each. Their errors surface at that point, so `write` must
   * not catch a held statement's error inside; the error rejects `write` as a whole.
   */
  async deferWrites<T>(write: () => Promise<T>): Promise<T> {
    if (this.#deferred.getStore()) return write();
    // A write that fails drops what it held: none of it is sent.
    const deferred: WriterStatement[] = [];
    const result = await this.#deferred.run(deferred, write);
    if (this.#carry) {
      // Not sent now: with the transaction's next statement (the next work's first, or the COMMIT).
      this.#held.push(...deferred);
      this.#carried = this.#held.length;
    } else {
      const { held, carried } = this.#takeHeld(deferred);
      if (held.length > 0) await this.#writer.execute(held, carried);
    }
    return result;
  }

  /**
   * Statements of the transaction that holds the writer, run in one round trip with every
   * result answered (held writes go first). Only for a caller inside a write transaction.
   */
  async executeTogether(statements: readonly WriterStatement[]): Promise<QueryResult<unknown>[]> {
    const { held, carried } = this.#takeHeld();
    const results = await this.#writer.executeAll(held.length > 0 ? [...held, ...statements] : statements, carried);
    return held.length > 0 ? results.slice(held.length) : results;
  }

  /**
   * A statement of the open write transaction that returns nothing and whose failure only
   * the transaction as a whole cares about (the group commit's savepoints and their
   * release): it travels with the transaction's next statement, or its COMMIT, instead of
   * taking a round trip to the writer of its own. A ROLLBACK of the transaction drops it.
   */
  sendWithNext(statement: WriterStatement): void {
    this.#held.push(statement);
  }

  /**
   * While on (the group commit sets it for its transaction), the writes a work holds in
   * `deferWrites` are not sent when the work ends but with the transaction's next statement:
   * the next work's first round trip, or the COMMIT. A send then costs one round trip to the
   * writer instead of two. Such a write's failure surfaces in someone else's round trip, as a
   * `CarriedWriteError`.
   */
  carryWrites(on: boolean): void {
    this.#carry = on;
  }

  /**
   * What waits to go before the transaction's next statement (`sendWithNext`'s and carried
   * writes, then the running `deferWrites`' held writes, in the order made), and how many of
   * them, from the front, were carried from an earlier work.
   */
  #takeHeld(deferred = this.#deferred.getStore()): { held: WriterStatement[]; carried: number } {
    const carried = this.#carried;
    this.#carried = 0;
    if (this.#held.length === 0) return { held: deferred && deferred.length > 0 ? deferred.splice(0) : [], carried };
    const held = this.#held.splice(0);
    if (deferred && deferred.length > 0) held.push(...deferred.splice(0));
    return { held, carried };
  }

  #withDeferred(statement: WriterStatement): { statements: WriterStatement[]; carried: number } {
    const { held, carried } = this.#takeHeld();
    held.push(statement);
    return { statements: held, carried };
  }

  /** The open write transaction ends: nothing held survives it. */
  #dropHeld(): void {
    this.#held.length = 0;
    this.#carried = 0;
    this.#carry = false;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const routed = connection as RoutedConnection;
    if (settings.accessMode === 'read only') {
      await this.#snapshotLock.acquire();
      routed.mode = 'snapshot';
      await this.#run(routed, 'begin', () => this.#snapshotLock.release());
      return;
    }
    await this.#writeLock.acquire();
    routed.mode = 'write';
    // IMMEDIATE: the write lock is taken at BEGIN, so no statement inside can fail on it
    // half-way (another process on the same file, such as a tool, would be waited for here).
    await this.#run(routed, 'begin immediate', () => this.#writeLock.release());
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#end(connection as RoutedConnection, 'commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#end(connection as RoutedConnection, 'rollback');
  }

  async releaseConnection(): Promise<void> {}

  /**
   * Transactions that hold the writer or the snapshot reader, or already wait for them, run
   * to the end (the locks are FIFO: this takes its turn behind them), up to `closeWaitMs`;
   * whatever comes later, or is still waiting then, is refused as unavailable. A transaction
   * still running after the wait has its next statement refused, and rolls back.
   */
  async destroy(): Promise<void> {
    this.#closing = true;
    if (!this.#writer) return;
    const turn = Promise.all([this.#writeLock.acquire(), this.#snapshotLock.acquire()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([turn.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, this.#options.closeWaitMs ?? CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    const closed = new DatabaseUnavailableError('the embedded store is closed');
    this.#writeLock.close(closed);
    this.#snapshotLock.close(closed);
    this.#readersClosed = closed;
    this.#reader.close();
    this.#snapshotReader.close();
    await this.#writer.close();
  }

  /** Runs BEGIN; when it fails the connection is let go at once (Kysely will not end a transaction that never began). */
  async #run(connection: RoutedConnection, sql: string, release: () => void): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw(sql));
    } catch (error) {
      connection.mode = 'auto';
      release();
      throw error;
    }
  }

  /**
   * COMMIT or ROLLBACK, after which the connection is let go whatever happened: a failed
   * COMMIT is rolled back here (SQLite may have done so already), so the caller's own
   * rollback that follows finds nothing left to do instead of failing over the first error.
   */
  async #end(connection: RoutedConnection, sql: 'commit' | 'rollback'): Promise<void> {
    const mode = connection.mode;
    if (mode === 'auto') return;
    try {
      if (mode === 'write') {
        // Straight to the writer (never held by `deferWrites`); a COMMIT takes what waits with it, a ROLLBACK drops it.
        if (sql === 'commit') {
          const { statements, carried } = this.#withDeferred({ sql, parameters: [] });
          this.#carry = false;
          await this.#writer.execute(statements, carried);
        } else {
          this.#dropHeld();
          await this.#writer.execute([{ sql, parameters: [] }]);
        }
      } else {
        await connection.executeQuery(CompiledQuery.raw(sql));
      }
    } catch (error) {
      if (sql === 'commit') {
        this.#dropHeld();
        await this.#writer.execute([{ sql: 'rollback', parameters: [] }]).catch(() => {});
      }
      throw error;
    } finally {
      connection.mode = 'auto';
      (mode === 'write' ? this.#writeLock : this.#snapshotLock).release();
    }
  }
}

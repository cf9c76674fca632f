import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AbortedTransactionError, CompiledQuery, type DatabaseConnection, type Driver, PostgresDialect, type PostgresDialectConfig, type QueryResult, type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { inlineParameters, toLiterals } from './postgres-literal.ts';
import { fixedShapeNumber } from './fixed-shapes.ts';

/**
 * Round trips saved on PostgreSQL (issue 21): the statements of a transaction that nobody
 * waits for — BEGIN, the inserts `deferWrites` holds, `sendWithNext`'s savepoints — wait on
 * their transaction's connection and travel with its next awaited statement (or its COMMIT)
 * as one multi-statement simple-protocol query, and `executeTogether` sends its statements
 * as one such query. node-postgres has no pipelining; a simple query is its one way to send
 * several statements at once. Such a query carries no parameters, so they are written in as
 * literals (postgres-literal.ts); a statement whose values cannot be is sent on its own.
 *
 * Errors: PostgreSQL runs a simple query's statements in order and stops at the first that
 * fails, leaving the transaction aborted as a lone failing statement would; the one caller
 * who waits on the query gets the error (a held statement has no caller of its own, as on
 * the embedded store), and the transaction's ROLLBACK then finds it as usual.
 *
 * Prepared statements: PostgreSQL parses and plans every statement of a simple query anew,
 * and on the send path that was ~45 % of its CPU (perf, 700 sends/s). A statement of fixed
 * shape (prepared-query.ts) that a connection has prepared travels as `EXECUTE parley_<n>(…)`
 * with the same literals, in a batch or alone, and runs its cached plan. A connection
 * prepares the shapes it sent as text when it goes back to the pool: outside any
 * transaction, each `PREPARE` on its own, so what is prepared on it is known for certain (a
 * `PREPARE` inside a batch that fails part-way may or may not have run, and survives a
 * rollback). A shape PostgreSQL will not prepare on its own (a parameter whose type only its
 * literal tells) stays text on that connection. Off (`prepare: false`, DB_PREPARED_STATEMENTS)
 * behind a pooler in transaction mode, whose next transaction may run on another server
 * connection.
 */

/** A statement of a transaction: its SQL and parameters, as compiled. */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

/** The statements of `executeTogether` and `sendWithNext`, carried to the connection through the transaction's executor. */
const together = new WeakMap<CompiledQuery, readonly Statement[]>();
const withNext = new WeakMap<CompiledQuery, Statement>();

/** The statements `deferWrites` held, per connection, so they can be sent (or dropped) when `write` ends. */
const deferScope = new AsyncLocalStorage<Set<BatchingConnection>>();
/** Set inside `untilCommit`: what `deferWrites` holds stays held when it ends. */
const commitScope = new AsyncLocalStorage<true>();

/** A query to run through a transaction (`trx.executeQuery`) that runs `statements` in one round trip; its rows are their results. */
export function togetherQuery(statements: readonly Statement[]): CompiledQuery<QueryResult<unknown>> {
  const query = CompiledQuery.raw('/* parley: statements together */ select 1') as CompiledQuery<QueryResult<unknown>>;
  together.set(query, statements);
  return query;
}

/** A query to run through a transaction that holds `statement` until the transaction's next one. */
export function withNextQuery(statement: Statement): CompiledQuery {
  const query = CompiledQuery.raw('/* parley: with the next statement */ select 1');
  withNext.set(query, statement);
  return query;
}

/**
 * Runs `write`; inserts of a transaction inside it that return nothing and always insert
 * (see `mayHold`) are held and travel with the next statement of their transaction, and
 * what is still held when `write` ends is sent then (one round trip), so a held insert's
 * error rejects `write` as a whole. When `write` throws, what it held and never sent is
 * dropped, as on the embedded store.
 */
export async function deferWrites<T>(write: () => Promise<T>): Promise<T> {
  if (deferScope.getStore()) return write();
  const holders = new Set<BatchingConnection>();
  let result: T;
  try {
    result = await deferScope.run(holders, write);
  } catch (error) {
    for (const connection of holders) connection.dropDeferred(holders);
    throw error;
  }
  if (!commitScope.getStore()) for (const connection of holders) await connection.flushDeferred(holders);
  return result;
}

/**
 * Runs the whole work of a transaction that runs nothing else (the unit of work's, one
 * transaction per work): the writes its `deferWrites` calls hold are not sent when the call
 * ends but with the transaction's next statement, or its COMMIT. A send is then two round
 * trips, not three. A held write that fails there fails that statement, or the COMMIT, and
 * so the transaction and the work, whose only one it is; callers end the work right after
 * their `deferWrites`, so no later statement of theirs meets another's error.
 */
export function untilCommit<T>(work: () => Promise<T>): Promise<T> {
  return commitScope.run(true, work);
}

/**
 * Whether an insert may be held: it returns nothing and always inserts. An update or delete
 * is answered with its row count, which callers read, and a held statement has no count
 * yet; nor has an insert that may do nothing (ON CONFLICT DO NOTHING).
 */
function mayHold(sql: string): boolean {
  return /^\s*insert\s/i.test(sql) && !/\breturning\b/i.test(sql) && !/\bdo\s+nothing\b/i.test(sql);
}

interface Held {
  sql: string;
  /** The `deferWrites` call that held it (dropped if that call fails), or null. */
  scope: Set<BatchingConnection> | null;
}

/** One pooled client: runs statements like Kysely's own PostgreSQL connection, holding those nobody waits for. */
export class BatchingConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;
  readonly #held: Held[] = [];
  readonly #prepare: boolean;
  /** Fixed shapes (by number) prepared on this connection, those sent as text that it prepares when next released, and those PostgreSQL would not prepare. */
  readonly #prepared = new Set<number>();
  readonly #toPrepare = new Map<number, string>();
  readonly #unpreparable = new Set<number>();
  #inTransaction = false;
  /** True while BEGIN itself is still held: nothing of the transaction reached the server. */
  #beginHeld = false;
  #broken = false;

  constructor(client: pg.PoolClient, prepare: boolean) {
    this.#client = client;
    this.#prepare = prepare;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statements = together.get(compiled);
    if (statements) return { rows: (await this.#runTogether(statements)) as R[] };
    const later = withNext.get(compiled);
    if (later) {
      await this.#hold(later, null);
      return { rows: [] };
    }
    const scope = deferScope.getStore();
    if (scope && this.#inTransaction && mayHold(compiled.sql)) {
      await this.#hold(compiled, scope);
      return { rows: [] };
    }
    return (await this.#run(compiled)) as QueryResult<R>;
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on this connection (no cursor configured)');
  }

  /** BEGIN (or START TRANSACTION …) waits for the transaction's first statement. */
  begin(sql: string): void {
    this.#held.push({ sql, scope: null });
    this.#inTransaction = true;
    this.#beginHeld = true;
  }

  /** COMMIT with everything held; answers the command PostgreSQL completed (ROLLBACK when the transaction had failed). */
  async commit(): Promise<string> {
    try {
      if (this.#beginHeld) {
        // Nothing reached the server: there is nothing to commit.
        this.#held.length = 0;
        return 'COMMIT';
      }
      const [result] = await this.#send([...this.#takeHeld(), 'commit']).then((results) => results.slice(-1));
      return result?.command ?? 'COMMIT';
    } finally {
      this.#endTransaction();
    }
  }

  async rollback(): Promise<void> {
    const begun = !this.#beginHeld;
    this.#endTransaction();
    if (!begun) return;
    try {
      await this.#query('rollback');
    } catch (error) {
      this.#broken = true;
      throw error;
    }
  }

  /** Sends what is held, if anything: one round trip. */
  async flush(): Promise<void> {
    if (this.#held.length > 0) await this.#send(this.#takeHeld());
  }

  /** Sends what is held if some of it was held by this `deferWrites` call (its error is then the call's). */
  async flushDeferred(scope: Set<BatchingConnection>): Promise<void> {
    if (this.#held.some((held) => held.scope === scope)) await this.flush();
  }

  /** Drops what a failed `deferWrites` call held and never sent. */
  dropDeferred(scope: Set<BatchingConnection>): void {
    for (let i = this.#held.length - 1; i >= 0; i--) if (this.#held[i]!.scope === scope) this.#held.splice(i, 1);
  }

  release(): void {
    this.#endTransaction();
    if (this.#toPrepare.size === 0 || this.#broken) {
      this.#client.release(this.#broken);
      return;
    }
    // Back to the pool once prepared (a few round trips, once per shape and connection).
    void this.#prepareWaiting().then(() => this.#client.release(this.#broken));
  }

  /** Prepares the shapes this connection sent as text, outside any transaction, one statement each. */
  async #prepareWaiting(): Promise<void> {
    for (const [shape, sql] of this.#toPrepare) {
      this.#toPrepare.delete(shape);
      try {
        await this.#client.query(`prepare ${preparedName(shape)} as ${sql}`);
        this.#prepared.add(shape);
      } catch (error) {
        if (!(error instanceof pg.DatabaseError)) {
          // The connection failed, not the statement: the pool drops it.
          this.#broken = true;
          return;
        }
        this.#unpreparable.add(shape);
      }
    }
  }

  /** The name `sql` is prepared under on this connection; undefined when it is not (a fixed shape seen here is prepared at the next release). */
  #preparedName(sql: string): string | undefined {
    if (!this.#prepare) return undefined;
    const shape = fixedShapeNumber(sql);
    if (shape === undefined) return undefined;
    if (this.#prepared.has(shape)) return preparedName(shape);
    if (!this.#unpreparable.has(shape)) this.#toPrepare.set(shape, sql);
    return undefined;
  }

  /** A statement as text of a simple query: the EXECUTE of its prepared shape, or its SQL, with literals; null when a value cannot be a literal. */
  #text(sql: string, parameters: readonly unknown[], name = this.#preparedName(sql)): string | null {
    if (name === undefined) return inlineParameters(sql, parameters);
    if (parameters.length === 0) return `execute ${name}`;
    const literals = toLiterals(parameters);
    return literals && `execute ${name}(${literals.join(', ')})`;
  }

  #endTransaction(): void {
    this.#held.length = 0;
    this.#inTransaction = false;
    this.#beginHeld = false;
  }

  async #hold(statement: Statement, scope: Set<BatchingConnection> | null): Promise<void> {
    const sql = this.#text(statement.sql, statement.parameters);
    if (sql === null) {
      // Not writable as a literal: sent now, on its own, after what waits before it.
      await this.flush();
      await this.#client.query(statement.sql, statement.parameters as unknown[]);
      return;
    }
    this.#held.push({ sql, scope });
    scope?.add(this);
  }

  async #run(compiled: CompiledQuery): Promise<QueryResult<unknown>> {
    // With what is held, or as its prepared shape: a simple query. Otherwise with its parameters, as Kysely's own connection sends it.
    const name = this.#preparedName(compiled.sql);
    if (this.#held.length > 0 || name !== undefined) {
      const sql = this.#text(compiled.sql, compiled.parameters, name);
      if (sql !== null) return toQueryResult((await this.#send([...this.#takeHeld(), sql])).at(-1)!);
      await this.flush();
    }
    return toQueryResult(await this.#client.query(compiled.sql, compiled.parameters as unknown[]));
  }

  async #runTogether(statements: readonly Statement[]): Promise<QueryResult<unknown>[]> {
    const texts: string[] = [];
    for (const statement of statements) {
      const sql = this.#text(statement.sql, statement.parameters);
      if (sql === null) return this.#runOneByOne(statements);
      texts.push(sql);
    }
    const held = this.#takeHeld();
    const results = await this.#send([...held, ...texts]);
    return results.slice(held.length).map(toQueryResult);
  }

  async #runOneByOne(statements: readonly Statement[]): Promise<QueryResult<unknown>[]> {
    const results: QueryResult<unknown>[] = [];
    for (const { sql, parameters } of statements) results.push(await this.#run(CompiledQuery.raw(sql, [...parameters])));
    return results;
  }

  #takeHeld(): string[] {
    this.#beginHeld = false;
    return this.#held.splice(0).map((held) => held.sql);
  }

  /** Several statements in one simple-protocol query: one result each, in order. */
  async #send(texts: string[]): Promise<pg.QueryResult[]> {
    let results;
    try {
      results = await this.#query(texts.join(';\n'));
    } catch (error) {
      // A prepared statement whose result columns a migration (on another node) changed, or
      // that something deallocated (DISCARD ALL), fails so for good on this connection: the
      // pool replaces the connection.
      if (error instanceof pg.DatabaseError && PREPARED_GONE_BAD.has(error.code!) && texts.some((text) => text.startsWith('execute '))) this.#broken = true;
      throw error;
    }
    const list = Array.isArray(results) ? results : [results];
    if (list.length !== texts.length) throw new Error(`postgres batch: ${texts.length} statements answered with ${list.length} results`);
    return list;
  }

  async #query(text: string): Promise<pg.QueryResult | pg.QueryResult[]> {
    // No values: pg sends a simple-protocol query, which may hold several statements.
    return (await this.#client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
  }
}

/** "cached plan must not change result type" (0A000, feature_not_supported) and "prepared statement does not exist" (26000). */
const PREPARED_GONE_BAD = new Set(['0A000', '26000']);

const preparedName = (shape: number) => `parley_${shape}`;

/** What Kysely's PostgreSQL connection answers for a result. */
function toQueryResult(result: pg.QueryResult): QueryResult<unknown> {
  const { command, rowCount, rows } = result;
  if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command }] };
  const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { numAffectedRows: counted ? BigInt(rowCount ?? 0) : undefined, rows: rows ?? [] };
}

/** Kysely's driver for a pg pool, with `BatchingConnection`s. */
class BatchingPostgresDriver implements Driver {
  readonly #pool: pg.Pool;
  readonly #prepare: boolean;
  readonly #connections = new WeakMap<pg.PoolClient, BatchingConnection>();
  #destroyed = false;

  constructor(pool: pg.Pool, prepare: boolean) {
    this.#pool = pool;
    this.#prepare = prepare;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.#pool.connect();
    if (this.#destroyed) {
      client.release();
      throw new Error('driver has already been destroyed');
    }
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new BatchingConnection(client, this.#prepare);
      this.#connections.set(client, connection);
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let sql = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      sql = 'start transaction';
      if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) sql += ` ${settings.accessMode}`;
    }
    (connection as BatchingConnection).begin(sql);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // PostgreSQL completes COMMIT with a ROLLBACK tag when an earlier error left the transaction aborted.
    if ((await (connection as BatchingConnection).commit()) === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as BatchingConnection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as BatchingConnection).release();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#pool.end();
  }
}

/** Kysely's PostgreSQL dialect (compiler, adapter, introspection) over `BatchingPostgresDriver`. */
export class BatchingPostgresDialect extends PostgresDialect {
  readonly #pool: pg.Pool;
  readonly #prepare: boolean;

  /** `prepare`: statements of fixed shape run as prepared statements (see above); on unless set false. */
  constructor(config: PostgresDialectConfig & { pool: pg.Pool; prepare?: boolean }) {
    super(config);
    this.#pool = config.pool;
    this.#prepare = config.prepare ?? true;
  }

  override createDriver(): Driver {
    return new BatchingPostgresDriver(this.#pool, this.#prepare);
  }
}

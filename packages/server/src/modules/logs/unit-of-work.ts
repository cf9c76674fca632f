import { performance } from 'node:perf_hooks';
import { CompiledQuery } from 'kysely';
import type { Database, Tx } from '../../platform/db/index.ts';
import { CarriedWriteError, isRetryableTransactionError } from '../../platform/db/index.ts';
import { noTracing, type TraceContext, type Tracing } from '../../platform/tracing/index.ts';
import { ChangeSet, type Publisher } from './changes.ts';

export type UnitOfWork = <T>(work: (trx: Tx, changes: ChangeSet) => Promise<T>, options?: WorkOptions) => Promise<T>;

export interface WorkOptions {
  /**
   * Works with different conflict keys read and write nothing that the other decides on
   * (a send: its conversation's rows, and rows only it inserts), so the group commit may run
   * them side by side. Without a key a work runs alone, as do works with equal keys.
   */
  conflictKey?: string;
}

type Work<T> = (trx: Tx, changes: ChangeSet) => Promise<T>;

const MAX_ATTEMPTS = 4;
/** Works committed together at most (one fsync for all of them). */
const MAX_BATCH = 128;
/** Works run side by side at most (a run of works with distinct conflict keys). */
const MAX_SIDE_BY_SIDE = 32;

/** What the unit of work reports for metrics (optional; each call is one histogram observe at most). */
export interface UnitOfWorkTiming {
  /** A write transaction from begin to commit or rollback, in seconds. */
  transaction(seconds: number, outcome: 'commit' | 'rollback'): void;
  /** Changes about to be published, and seconds since their work entered the unit of work (queueing included). */
  published(changes: ChangeSet, seconds: number): void;
}

const noTiming: UnitOfWorkTiming = { transaction() {}, published() {} };
const since = (start: number) => (performance.now() - start) / 1000;

/**
 * Runs work in one transaction and publishes what it changed after the commit.
 *
 * PostgreSQL: one transaction per work, on the pool; the writes a work holds (`deferWrites`)
 * travel with its COMMIT (`Database.writesUntilCommit`). PostgreSQL may abort a transaction to
 * break a deadlock; the work is run again from scratch with fresh changes, so nothing of
 * the failed attempt is published.
 *
 * SQLite: group commit. The embedded store has one writing connection, so transactions run
 * one after another anyway, and each commit waits for the disk (synchronous=FULL) — on the
 * writer thread by default (platform/db/sqlite-driver.ts), so the event loop goes on and
 * what arrives during a commit makes the next batch. Works that
 * arrive while a transaction runs are run together in the next one, each inside its own
 * savepoint: a work that fails rolls back only itself and gets its error, the others
 * commit together, and only then is any of them answered and published (in the order they
 * ran, which is seq order). A lone work runs at once, so nothing waits for company.
 * The writes a work holds (`deferWrites`) travel with the next work's first statement, or
 * the COMMIT (`Database.carryWrites`), so a send costs one round trip to the writer thread;
 * if such a carried write fails, nothing of the batch is kept and it runs again, each work
 * sending its own writes, so the failure reaches the work that made it.
 *
 * Works one after another wait for each other's round trips: the event loop decides on a
 * work's reads while the writer thread idles, then the writer runs while the loop waits. A
 * run of works that declare distinct conflict keys (sends to different conversations) is
 * therefore run side by side inside one savepoint, their statements queued on the writer
 * back to back. Nothing any of them decides on is written by another, so the outcome is
 * the one of running them in order. If any of them fails, the savepoint is rolled back and
 * they run again one by one, each in its own savepoint as above, so a failure still costs
 * only its own work.
 */
export function createUnitOfWork(db: Database, publish: Publisher, timing: UnitOfWorkTiming = noTiming, tracing: Tracing = noTracing): UnitOfWork {
  return db.dialect === 'sqlite' ? createGroupCommit(db, publish, timing, tracing) : createPerWorkTransactions(db, publish, timing, tracing);
}

const TRANSACTION_SPAN = { 'db.operation.name': 'transaction' };

function createPerWorkTransactions(db: Database, publish: Publisher, timing: UnitOfWorkTiming, tracing: Tracing): UnitOfWork {
  const run = async function run<T>(work: Work<T>): Promise<T> {
    const entered = performance.now();
    for (let attempt = 1; ; attempt++) {
      const changes = new ChangeSet();
      const begun = performance.now();
      try {
        // The work is the transaction's only one: its held writes may wait for the COMMIT.
        const result = await db.kysely.transaction().execute((trx) => db.writesUntilCommit(() => work(trx, changes)));
        timing.transaction(since(begun), 'commit');
        if (!changes.isEmpty) {
          timing.published(changes, since(entered));
          publish(changes);
        }
        return result;
      } catch (error) {
        timing.transaction(since(begun), 'rollback');
        if (attempt < MAX_ATTEMPTS && isRetryableTransactionError(error)) {
          await new Promise((resolve) => setTimeout(resolve, attempt * 5 * Math.random()));
          continue;
        }
        throw error;
      }
    }
  };
  if (!tracing.enabled) return run;
  // The transaction (its retries included) is one span; the publish after the commit runs inside it.
  return (work) => tracing.span('db transaction', { 'db.system.name': 'postgresql', ...TRANSACTION_SPAN }, () => run(work));
}

interface Queued {
  work: Work<unknown>;
  conflictKey: string | undefined;
  /** performance.now() when the work was queued. */
  entered: number;
  /** The trace context of whoever queued it: the work and its publish run under it, whichever caller's turn ran the batch. */
  trace: TraceContext | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const SAVEPOINT = CompiledQuery.raw('savepoint work');
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to work');
const RELEASE_SAVEPOINT = CompiledQuery.raw('release work');
const SIDE_BY_SIDE = CompiledQuery.raw('savepoint side_by_side');
const ROLLBACK_SIDE_BY_SIDE = CompiledQuery.raw('rollback to side_by_side');
const RELEASE_SIDE_BY_SIDE = CompiledQuery.raw('release side_by_side');

/** How many works from `from` may run side by side: consecutive, each with a conflict key, no key twice. */
function sideBySide(batch: readonly Queued[], from: number): number {
  const keys = new Set<string>();
  let end = from;
  while (end < batch.length && end - from < MAX_SIDE_BY_SIDE) {
    const key = batch[end]!.conflictKey;
    if (key === undefined || keys.has(key)) break;
    keys.add(key);
    end++;
  }
  return end - from;
}

function createGroupCommit(db: Database, publish: Publisher, timing: UnitOfWorkTiming, tracing: Tracing): UnitOfWork {
  const queue: Queued[] = [];
  let running = false;
  /** Off for the one batch after a carried write failed (see above). */
  let carry = true;

  async function runBatch(): Promise<void> {
    const begun = performance.now();
    let trx;
    try {
      trx = await db.kysely.startTransaction().execute();
    } catch (error) {
      for (const item of queue.splice(0, MAX_BATCH)) item.reject(error);
      return;
    }
    // Taken once the connection is ours: works queued while we waited for it (behind reads
    // on the one connection) join this commit.
    const batch = queue.splice(0, MAX_BATCH);
    const carrying = carry;
    carry = true;
    db.carryWrites(trx, carrying);
    // Savepoints and their release travel with the next statement (a work's first, or the
    // COMMIT) instead of a round trip to the writer thread each.
    const control = (statement: CompiledQuery) => db.sendWithNext(trx, statement);
    const done: Array<{ item: Queued; result: unknown; changes: ChangeSet }> = [];
    const failed: Array<{ item: Queued; error: unknown }> = [];
    const runWork = (item: Queued, changes: ChangeSet): Promise<unknown> =>
      tracing.enabled
        ? tracing.within(item.trace, () => tracing.span('db transaction', { 'db.system.name': 'sqlite', ...TRANSACTION_SPAN, 'parley.batch': batch.length }, () => item.work(trx, changes)))
        : item.work(trx, changes);

    /** One work in its own savepoint: a failure rolls back only itself. */
    const runAlone = async (item: Queued): Promise<void> => {
      const changes = new ChangeSet();
      await control(SAVEPOINT);
      let result: unknown;
      try {
        result = await runWork(item, changes);
      } catch (error) {
        // Not this work's failure but an earlier one's write: the batch's (below).
        if (error instanceof CarriedWriteError) throw error;
        // Answered after the batch ends: a caller that reacts to its failure by reading
        // (a unique key taken by a work before it in this batch) reads on another
        // connection, which sees the batch only once it committed.
        failed.push({ item, error });
        await control(ROLLBACK_TO_SAVEPOINT);
        await control(RELEASE_SAVEPOINT);
        return;
      }
      await control(RELEASE_SAVEPOINT);
      done.push({ item, result, changes });
    };

    /** Works with distinct conflict keys side by side; if any fails, again one by one. */
    const runSideBySide = async (items: readonly Queued[]): Promise<void> => {
      await control(SIDE_BY_SIDE);
      const runs = items.map((item) => {
        const changes = new ChangeSet();
        return runWork(item, changes).then((result) => ({ item, result, changes }));
      });
      const settled = await Promise.allSettled(runs);
      const failures = settled.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason as unknown);
      if (failures.length === 0) {
        await control(RELEASE_SIDE_BY_SIDE);
        for (const outcome of settled) if (outcome.status === 'fulfilled') done.push(outcome.value);
        return;
      }
      const carriedFailure = failures.find((error) => error instanceof CarriedWriteError);
      if (carriedFailure) throw carriedFailure;
      await control(ROLLBACK_SIDE_BY_SIDE);
      await control(RELEASE_SIDE_BY_SIDE);
      for (const item of items) await runAlone(item);
    };

    let next = 0;
    try {
      while (next < batch.length) {
        // Side by side only while writes are carried: the batch re-run after a carried write
        // failed runs every work alone, so the failure reaches the work that made it.
        const together = carrying ? sideBySide(batch, next) : 0;
        if (together > 1) await runSideBySide(batch.slice(next, next + together));
        else await runAlone(batch[next]!);
        next += Math.max(together, 1);
      }
      await trx.commit().execute();
    } catch (error) {
      // The transaction itself failed (the disk, not a work): nothing of it is kept, and
      // every work not yet answered gets the error (a second reject of one that failed is a no-op).
      await trx.rollback().execute().catch(() => {});
      timing.transaction(since(begun), 'rollback');
      if (error instanceof CarriedWriteError && carrying) {
        // Nothing of the batch was kept, published or answered: it runs again first, each work
        // sending its own writes (no carried write then, so this happens once).
        queue.unshift(...batch);
        carry = false;
        return;
      }
      for (const { item } of done) item.reject(error);
      for (const failure of failed) failure.item.reject(failure.error);
      for (const item of batch.slice(next)) item.reject(error);
      return;
    }
    timing.transaction(since(begun), 'commit');
    for (const { item, error } of failed) item.reject(error);
    for (const { item, result, changes } of done) {
      if (!changes.isEmpty) {
        timing.published(changes, since(item.entered));
        tracing.within(item.trace, () => publish(changes));
      }
      item.resolve(result);
    }
  }

  async function drain(): Promise<void> {
    running = true;
    while (queue.length > 0) await runBatch();
    running = false;
  }

  return function run<T>(work: Work<T>, options?: WorkOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, conflictKey: options?.conflictKey, entered: performance.now(), trace: tracing.capture(), resolve: resolve as (value: unknown) => void, reject });
      if (!running) void drain();
    });
  };
}

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kysely, sql } from 'kysely';
import { createUnitOfWork, type UnitOfWork } from '../src/modules/logs/index.ts';
import { type Database, DatabaseUnavailableError, openDatabase } from '../src/platform/db/index.ts';
import { sqliteWorkerStore, type SqliteWorkerStore } from '../src/platform/db/sqlite-driver.ts';
import { asAppError } from '../src/platform/errors.ts';
import { createLogger } from '../src/platform/logger.ts';
import { sqliteBackend, type Store } from './support/backends.ts';

/**
 * The embedded store with its writer on a worker thread: what readers on the event loop
 * see while a transaction is open, the send path's two shortcuts (statements run together,
 * writes held and sent together) and how a held write's failure is reported.
 */
describe('the embedded store\'s writer thread', () => {
  let store: Store;
  let db: Database;
  let uow: UnitOfWork;

  before(async () => {
    store = await sqliteBackend.create();
    db = await openDatabase({ databaseUrl: null, dataDir: store.dataDir, poolSize: 1, sqliteSynchronous: 'FULL', sqliteWriter: 'thread', logger: createLogger({ level: 'silent', nodeId: 'test' }) });
    uow = createUnitOfWork(db, () => {});
  });

  after(async () => {
    await db?.close();
    await store?.dispose();
  });

  const userRow = (id: string) => ({ id, handle: null, display_name: id, password_hash: null, status: 'active', event_seq: 0, created_at: 1, updated_at: 1 }) as never;
  const userIds = async () => (await db.kysely.selectFrom('users').select('id').orderBy('id').execute()).map((row) => row.id);

  it('shows readers only what committed: an open transaction\'s writes appear after its commit', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const inserted = new Promise<void>((resolve) => (written = resolve));
    const work = uow(async (trx) => {
      await trx.insertInto('users').values(userRow('reader-a')).execute();
      written();
      await held;
      return 'done';
    });
    await inserted;
    assert.deepEqual(await userIds(), [], 'a reader does not see the open transaction');
    release();
    assert.equal(await work, 'done');
    assert.deepEqual(await userIds(), ['reader-a'], 'a reader after the answer sees the commit');
  });

  it('answers each statement run together, in order, and the transaction sees its own writes', async () => {
    const result = await uow(async (trx) => {
      await trx.insertInto('users').values(userRow('together-b')).execute();
      return db.runTogether(trx, [
        trx.updateTable('users').set({ event_seq: (eb) => eb('event_seq', '+', 1) }).where('id', '=', 'together-b').returning('event_seq').compile(),
        trx.selectFrom('users').select('id').where('id', 'like', 'together-%').compile(),
        trx.selectFrom('users').select('id').where('id', '=', 'nobody').compile(),
      ]);
    });
    assert.deepEqual(result, [[{ event_seq: 1 }], [{ id: 'together-b' }], []]);
  });

  it('writes with WAL, the durability asked for, and statement journals in memory (no temporary file per savepoint)', async () => {
    // Read inside a transaction, so on the writer's own connection (readers set their own).
    const settings = await uow(async (trx) => {
      const [journal] = (await sql<{ journal_mode: string }>`pragma journal_mode`.execute(trx)).rows;
      const [synchronous] = (await sql<{ synchronous: number }>`pragma synchronous`.execute(trx)).rows;
      const [tempStore] = (await sql<{ temp_store: number }>`pragma temp_store`.execute(trx)).rows;
      return { journal: journal?.journal_mode, synchronous: synchronous?.synchronous, tempStore: tempStore?.temp_store };
    });
    // synchronous 2 = FULL, temp_store 2 = MEMORY.
    assert.deepEqual(settings, { journal: 'wal', synchronous: 2, tempStore: 2 });
  });

  it('sends held writes before a read that follows them, and all of them at the end', async () => {
    const seen = await uow((trx) => db.deferWrites(async () => {
      await trx.insertInto('users').values(userRow('held-c')).execute();
      const between = await trx.selectFrom('users').select('id').where('id', '=', 'held-c').execute();
      await trx.insertInto('users').values(userRow('held-d')).execute();
      return between.map((row) => row.id);
    }));
    assert.deepEqual(seen, ['held-c'], 'the read saw the write held before it');
    assert.ok((await userIds()).includes('held-d'), 'the last held write was sent at the end');
  });

  it('fails the work whose held write fails (with the driver\'s error code), and keeps none of its writes', async () => {
    const before = await userIds();
    await assert.rejects(
      uow((trx) => db.deferWrites(async () => {
        await trx.insertInto('users').values(userRow('dup-e')).execute();
        await trx.insertInto('users').values(userRow('dup-e')).execute();
      })),
      (error: Error & { code?: string }) => error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
    );
    assert.deepEqual(await userIds(), before, 'nothing of the failed work is kept');
    // The writer is free again: the next work commits.
    await uow((trx) => trx.insertInto('users').values(userRow('after-f')).execute());
    assert.ok((await userIds()).includes('after-f'));
  });
});

/** `promise`, or a failure naming `what` if it has not settled within `ms`: a caller left unanswered fails the test instead of hanging it. */
async function settles<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const unanswered = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} was left unanswered for ${ms} ms`)), ms)));
  try {
    return await Promise.race([Promise.allSettled([promise]).then(([result]) => result!), unanswered]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles within the bound, rejected with an error served as `unavailable` (retryable). */
async function refusedAsUnavailable(promise: Promise<unknown>, what: string): Promise<void> {
  const result = await settles(promise, what);
  assert.equal(result.status, 'rejected', `${what} is refused`);
  const reason = (result as PromiseRejectedResult).reason;
  assert.equal(asAppError(reason).code, 'unavailable', `${what} is refused as unavailable, not: ${reason}`);
}

/** `promise`, marked as handled now: it may be refused before the test looks at it. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** A gate a transaction waits at, so a test can act while the transaction holds the writer. */
function gate(): { reached: Promise<void>; reach(): void; open(): void; opened: Promise<void> } {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { reached, reach, open, opened };
}

/** Lets promise chains that need no I/O (Kysely on its way to the writer lock) run to their next wait. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * How the writer thread ends: every caller gets an answer — its result, or a typed
 * `unavailable` — whether the thread exits, throws, or the store closes with work in flight.
 */
describe('the embedded store\'s writer thread, when it ends', () => {
  const stores: Store[] = [];
  after(async () => {
    for (const store of stores) await store.dispose();
  });

  async function open(options: { closeWaitMs?: number } = {}) {
    const store = await sqliteBackend.create();
    stores.push(store);
    const file = join(store.dataDir, 'writer.db');
    const failures: Error[] = [];
    const writer = sqliteWorkerStore({ file, synchronous: 'FULL', onWriterFailure: (error) => failures.push(error), ...options });
    const kysely = new Kysely<any>({ dialect: writer.dialect });
    await sql`create table items (id text primary key)`.execute(kysely);
    const insert = (id: string) => kysely.insertInto('items').values({ id }).execute();
    return { file, writer, kysely, failures, insert };
  }

  /** The ids stored in `file`, read by a fresh store (what a restarted node finds). */
  async function storedIn(file: string): Promise<string[]> {
    const fresh = sqliteWorkerStore({ file, synchronous: 'FULL' });
    const kysely = new Kysely<any>({ dialect: fresh.dialect });
    try {
      return (await kysely.selectFrom('items').select('id').orderBy('id').execute()).map((row) => row.id as string);
    } finally {
      await kysely.destroy();
    }
  }

  /** A transaction that inserts `first`, waits at `at`, then inserts `second`. */
  function heldTransaction(kysely: Kysely<any>, at: ReturnType<typeof gate>, first: string, second: string, during?: (writer: SqliteWorkerStore) => Promise<unknown>, writer?: SqliteWorkerStore) {
    return kysely.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: first }).execute();
      const busy = during && writer ? during(writer) : null;
      at.reach();
      await at.opened;
      await busy;
      await trx.insertInto('items').values({ id: second }).execute();
    });
  }

  it('answers everything waiting and everything after as unavailable when the thread exits mid-transaction, and readiness fails', async () => {
    const { writer, kysely, failures, insert } = await open();
    await insert('before');
    const at = gate();
    // In flight when the thread goes: a statement already sent to it (a slow one, so it is still running).
    const slow = (store: SqliteWorkerStore) => store.executeTogether([{ sql: 'with recursive n(x) as (select 1 union all select x + 1 from n where x < 2000000) select count(*) as c from n', parameters: [] }]);
    const holding = observed(heldTransaction(kysely, at, 'a', 'b', slow, writer));
    await at.reached;
    // Waiting for the writer: a transaction and an autocommit write.
    const waiting = observed(kysely.transaction().execute((trx) => trx.insertInto('items').values({ id: 'c' }).execute()));
    const autocommit = observed(insert('d'));
    await turn();
    assert.equal(writer.available(), true);

    await writer.writerThread()!.terminate();
    at.open();

    await refusedAsUnavailable(holding, 'the transaction that held the writer');
    await refusedAsUnavailable(waiting, 'a transaction waiting for the writer');
    await refusedAsUnavailable(autocommit, 'an autocommit write waiting for the writer');
    await refusedAsUnavailable(insert('e'), 'a write after the thread is gone');
    assert.equal(writer.available(), false, 'the store says it can no longer write (readiness fails)');
    assert.equal(failures.length, 1, 'the failure is reported once');
    assert.ok(failures[0] instanceof DatabaseUnavailableError);
    // Reads go on, on the event loop's reader: what committed is there, nothing of the open transaction.
    assert.deepEqual((await kysely.selectFrom('items').select('id').execute()).map((row) => row.id), ['before']);
    assert.equal((await settles(kysely.destroy(), 'closing after the thread is gone')).status, 'fulfilled');
  });

  it('answers everything waiting as unavailable when the thread throws, and refuses what comes after', async () => {
    const { writer, kysely, failures, insert } = await open();
    const at = gate();
    const holding = observed(heldTransaction(kysely, at, 'a', 'b'));
    await at.reached;
    const thread = writer.writerThread()!;
    // A request the thread cannot read: it throws outside any statement.
    thread.postMessage(null);
    // Sent after it: never read by the thread, so only the driver can answer it.
    const queued = observed(writer.executeTogether([{ sql: 'select 1 as one', parameters: [] }]));
    await refusedAsUnavailable(queued, 'a request sent after the one that broke the thread');
    at.open();
    await refusedAsUnavailable(holding, 'the transaction that held the writer');
    await refusedAsUnavailable(insert('c'), 'a write after the thread threw');
    assert.equal(writer.available(), false);
    assert.equal(failures.length, 1);
    assert.match(String((failures[0] as Error).cause), /TypeError/, 'the thread\'s own error is kept as the cause');
    await settles(kysely.destroy(), 'closing after the thread threw');
  });

  it('lets the transactions holding and waiting for the writer finish when it closes, then stops and refuses later work', async () => {
    const { file, writer, kysely, insert } = await open();
    const at = gate();
    const finished: string[] = [];
    const holding = heldTransaction(kysely, at, 'a', 'b').then(() => finished.push('holding'));
    await at.reached;
    const waiting = kysely.transaction().execute((trx) => trx.insertInto('items').values({ id: 'c' }).execute()).then(() => finished.push('waiting'));
    await turn();

    const closing = kysely.destroy().then(() => finished.push('closed'));
    await turn();
    assert.equal(writer.available(), false, 'a closing store takes no new writes');
    await refusedAsUnavailable(insert('late'), 'a write after the close began');
    assert.deepEqual(finished, [], 'the close waits for the transaction that holds the writer');
    at.open();
    for (const [work, what] of [[holding, 'the holding transaction'], [waiting, 'the waiting transaction'], [closing, 'the close']] as const) {
      assert.equal((await settles(work, what)).status, 'fulfilled', `${what} finishes`);
    }
    assert.deepEqual(finished, ['holding', 'waiting', 'closed'], 'the close ends after the work in flight');
    assert.deepEqual(await storedIn(file), ['a', 'b', 'c'], 'what finished is stored');
  });

  it('stops waiting for a transaction that never ends after closeWaitMs: it and everything behind it are refused as unavailable', async () => {
    const { file, kysely } = await open({ closeWaitMs: 200 });
    const at = gate();
    const stuck = observed(heldTransaction(kysely, at, 'a', 'b'));
    await at.reached;
    const waiting = observed(kysely.transaction().execute((trx) => trx.insertInto('items').values({ id: 'c' }).execute()));
    await turn();
    assert.equal((await settles(kysely.destroy(), 'the close', 10_000)).status, 'fulfilled', 'the close does not wait past its bound');
    await refusedAsUnavailable(waiting, 'a transaction still waiting at the close');
    at.open();
    await refusedAsUnavailable(stuck, 'the transaction still running at the close');
    assert.deepEqual(await storedIn(file), [], 'nothing of either is kept');
  });

  it('answers every queued send of the group commit when the database closes under it: acknowledged ones are stored, refused ones are not', async () => {
    const store = await sqliteBackend.create();
    stores.push(store);
    const logger = createLogger({ level: 'silent', nodeId: 'test' });
    const db = await openDatabase({ databaseUrl: null, dataDir: store.dataDir, poolSize: 1, sqliteSynchronous: 'FULL', sqliteWriter: 'thread', logger });
    const uow = createUnitOfWork(db, () => {});
    const userRow = (id: string) => ({ id, handle: null, display_name: id, password_hash: null, status: 'active', event_seq: 0, created_at: 1, updated_at: 1 }) as never;
    const acknowledged: string[] = [];
    const works = Array.from({ length: 400 }, (_, i) => `w${String(i).padStart(3, '0')}`).map((id) =>
      observed(uow((trx) => trx.insertInto('users').values(userRow(id)).execute()).then(() => {
        acknowledged.push(id);
      })));
    // Closes as soon as the first batch (at most 128 works) is answered, with later batches still queued.
    await Promise.race(works);
    const closing = db.close();
    for (const [i, work] of works.entries()) {
      const result = await settles(work, `send ${i}`);
      if (result.status === 'rejected') assert.equal(asAppError(result.reason).code, 'unavailable', `send ${i} is refused as unavailable, not: ${result.reason}`);
    }
    await settles(closing, 'the close');
    assert.ok(acknowledged.length > 0 && acknowledged.length < works.length, `some sends answered before the close, some refused (${acknowledged.length} of ${works.length})`);
    const reopened = await openDatabase({ databaseUrl: null, dataDir: store.dataDir, poolSize: 1, sqliteSynchronous: 'FULL', sqliteWriter: 'thread', logger });
    try {
      const stored = (await reopened.kysely.selectFrom('users').select('id').execute()).map((row) => row.id).sort();
      assert.deepEqual(stored, [...acknowledged].sort(), 'stored exactly what was acknowledged');
    } finally {
      await reopened.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createUnitOfWork, groupCommitLanes, type UnitOfWork } from '../src/modules/logs/index.ts';
import type { ChangeSet } from '../src/modules/logs/changes.ts';
import { type Database, openDatabase, type Tx } from '../src/platform/db/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { backends, postgresBackend, type Store } from './support/backends.ts';
import { hasPostgres, inCi } from './support/services.ts';

/**
 * The unit of work: results only after commit, a failed work changes nothing, and what
 * was published matches what committed. On SQLite concurrent works share one commit
 * (group commit): a work that fails inside a batch rolls back alone.
 */
for (const backend of backends) {
  describe(`unit of work (${backend.name})`, () => {
    let store: Store;
    let db: Database;
    let uow: UnitOfWork;
    const log: string[] = [];

    before(async () => {
      store = await backend.create();
      db = await openDatabase({ databaseUrl: store.env.DATABASE_URL ?? null, dataDir: store.dataDir, poolSize: 4, sqliteSynchronous: 'FULL', logger: createLogger({ level: 'silent', nodeId: 'test' }) });
      uow = createUnitOfWork(db, (changes: ChangeSet) => log.push(`published ${changes.controls[0]!.reason}`));
    });

    after(async () => {
      await db.close();
      await store.dispose();
    });

    const userRow = (id: string) => ({ id, handle: null, display_name: id, password_hash: null, status: 'active', event_seq: 0, created_at: 1, updated_at: 1 });
    const insertUser = (name: string, options: { fail?: boolean } = {}) =>
      uow(async (trx, changes) => {
        log.push(`ran ${name}`);
        await trx.insertInto('users').values(userRow(name) as never).execute();
        changes.closeSessions({ userId: name, sessionId: null, closeCode: 4000, reason: name });
        if (options.fail) throw new Error(`${name} failed`);
        return name;
      });
    const userIds = async () => (await db.kysely.selectFrom('users').select('id').orderBy('id').execute()).map((row) => row.id);

    it('commits concurrent works, rolls back only the one that fails, and publishes only what committed', async () => {
      const results = await Promise.allSettled([insertUser('a1'), insertUser('a2', { fail: true }), insertUser('a3'), insertUser('a4')]);
      assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.match(String((results[1] as PromiseRejectedResult).reason), /a2 failed/);
      assert.deepEqual(await userIds(), ['a1', 'a3', 'a4']);
      // PostgreSQL runs them side by side, so only the set is fixed there.
      assert.deepEqual(log.filter((line) => line.startsWith('published')).sort(), ['published a1', 'published a3', 'published a4']);
    });

    it('a work that breaks a constraint leaves the works around it intact', async () => {
      const results = await Promise.allSettled([insertUser('b1'), insertUser('a1'), insertUser('b2')]);
      assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual(await userIds(), ['a1', 'a3', 'a4', 'b1', 'b2']);
    });

    if (backend.name === 'sqlite') {
      it('runs works queued during a transaction in one commit, publishing none of them before all ran', async () => {
        log.length = 0;
        let release!: () => void;
        let started!: () => void;
        const running = new Promise<void>((resolve) => (started = resolve));
        const blocker = uow(async () => {
          const held = new Promise<void>((resolve) => (release = resolve));
          started();
          await held;
          return 'blocker';
        });
        // The blocker's transaction is open (BEGIN may take a round trip to the writer thread).
        await running;
        const queued = [insertUser('c1'), insertUser('c2'), insertUser('c3')];
        release();
        assert.deepEqual(await Promise.all([blocker, ...queued]), ['blocker', 'c1', 'c2', 'c3']);
        assert.deepEqual(log, ['ran c1', 'ran c2', 'ran c3', 'published c1', 'published c2', 'published c3']);
      });
    }
  });
}

/**
 * PostgreSQL's group-commit lanes (issue 21 item 3): works given one lane key share a
 * transaction like SQLite's batches, each in its own savepoint, and a deadlock's victim runs
 * again instead of failing.
 */
describe('unit of work with group-commit lanes (postgres)', { skip: !hasPostgres && !inCi && 'PostgreSQL is not reachable' }, () => {
  let store: Store;
  let db: Database;
  let uow: UnitOfWork;
  const log: string[] = [];

  before(async () => {
    store = await postgresBackend.create();
    db = await openDatabase({ databaseUrl: store.env.DATABASE_URL!, dataDir: store.dataDir, poolSize: 8, sqliteSynchronous: 'FULL', logger: createLogger({ level: 'silent', nodeId: 'test' }) });
    uow = createUnitOfWork(db, (changes: ChangeSet) => log.push(`published ${changes.controls[0]!.reason}`), undefined, undefined, { lanes: groupCommitLanes(8) });
  });

  after(async () => {
    await db?.close();
    await store?.dispose();
  });

  const userRow = (id: string) => ({ id, handle: null, display_name: id, password_hash: null, status: 'active', event_seq: 0, created_at: 1, updated_at: 1 });
  const transactionId = async (trx: Tx) => (await sql<{ id: string }>`select txid_current()::text as id`.execute(trx)).rows[0]!.id;
  const insertUser = (name: string, options: { fail?: boolean; id?: string } = {}) =>
    uow(async (trx, changes) => {
      log.push(`ran ${name}`);
      await trx.insertInto('users').values(userRow(options.id ?? name) as never).execute();
      changes.closeSessions({ userId: name, sessionId: null, closeCode: 4000, reason: name });
      if (options.fail) throw new Error(`${name} failed`);
      return transactionId(trx);
    }, { lane: 'one conversation' });

  it('commits works queued on one lane together, rolling back only the ones that fail, and publishes after the commit', async () => {
    log.length = 0;
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const blocker = uow(async (trx) => {
      await transactionId(trx);
      started();
      await new Promise<void>((resolve) => (release = resolve));
      return transactionId(trx);
    }, { lane: 'one conversation' });
    await running;
    const queued = [insertUser('l1'), insertUser('l2', { fail: true }), insertUser('l3', { id: 'l1' }), insertUser('l4')];
    release();
    const results = await Promise.allSettled([blocker, ...queued]);
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.equal((results[3] as PromiseRejectedResult).reason.code, '23505', 'the duplicate key fails its own work');
    const [first, second, , , fourth] = results.map((result) => (result.status === 'fulfilled' ? result.value : null));
    assert.notEqual(second, first, 'works queued behind an open batch make the next one');
    assert.equal(fourth, second, 'and share its transaction');
    assert.deepEqual(log, ['ran l1', 'ran l2', 'ran l3', 'ran l4', 'published l1', 'published l4']);
    const ids = (await db.kysely.selectFrom('users').select('id').where('id', 'like', 'l%').orderBy('id').execute()).map((row) => row.id);
    assert.deepEqual(ids, ['l1', 'l4']);
  });

  it('runs a deadlock\'s victim again in the next batch', async () => {
    await db.kysely.insertInto('users').values([userRow('d1'), userRow('d2')] as never).execute();
    const other = new pg.Client({ connectionString: store.env.DATABASE_URL });
    await other.connect();
    try {
      // The other session waits longer before it checks for deadlocks, so the lane's work is the victim.
      await other.query(`set deadlock_timeout = '20s'`);
      await other.query('begin');
      await other.query(`update users set display_name = 'other' where id = 'd2'`);
      let attempts = 0;
      let locked!: () => void;
      const firstLockTaken = new Promise<void>((resolve) => (locked = resolve));
      const work = uow(async (trx) => {
        attempts++;
        await trx.updateTable('users').set({ display_name: `work ${attempts}` }).where('id', '=', 'd1').execute();
        locked();
        await trx.updateTable('users').set({ display_name: `work ${attempts}` }).where('id', '=', 'd2').execute();
        return attempts;
      }, { lane: 'deadlock' });
      await firstLockTaken;
      // Closes the cycle: the lane's work waits for d2, this waits for d1.
      await other.query(`update users set display_name = 'other' where id = 'd1'`);
      await other.query('commit');
      assert.equal(await work, 2);
      const names = await db.kysely.selectFrom('users').select(['id', 'display_name']).where('id', 'in', ['d1', 'd2']).orderBy('id').execute();
      assert.deepEqual(names, [{ id: 'd1', display_name: 'work 2' }, { id: 'd2', display_name: 'work 2' }]);
    } finally {
      await other.end();
    }
  });
});

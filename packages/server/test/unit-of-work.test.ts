import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnitOfWork, type UnitOfWork } from '../src/modules/logs/index.ts';
import type { ChangeSet } from '../src/modules/logs/changes.ts';
import { CarriedWriteError, type Database, isUniqueViolation, openDatabase } from '../src/platform/db/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { backends, type Store } from './support/backends.ts';

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
      /** Queues `works` while another work holds the transaction open, so they form the next batch together. */
      async function inOneBatch<T>(works: () => Array<Promise<T>>): Promise<Array<PromiseSettledResult<T>>> {
        let release!: () => void;
        let started!: () => void;
        const running = new Promise<void>((resolve) => (started = resolve));
        const blocker = uow(async () => {
          const held = new Promise<void>((resolve) => (release = resolve));
          started();
          await held;
        });
        // The blocker's transaction is open (BEGIN may take a round trip to the writer thread).
        await running;
        const queued = works();
        release();
        await blocker;
        return Promise.allSettled(queued);
      }

      it('runs works queued during a transaction in one commit, publishing none of them before all ran', async () => {
        log.length = 0;
        const results = await inOneBatch(() => [insertUser('c1'), insertUser('c2'), insertUser('c3')]);
        assert.deepEqual(results.map((result) => result.status === 'fulfilled' && result.value), ['c1', 'c2', 'c3']);
        assert.deepEqual(log, ['ran c1', 'ran c2', 'ran c3', 'published c1', 'published c2', 'published c3']);
      });

      it('a held write that fails after it was carried to the next work reaches its own work, and the rest of the batch commits', async () => {
        log.length = 0;
        // Held (an insert that returns nothing) and so carried to the next work's round trip, or the COMMIT.
        const insertUserHeld = (name: string) =>
          uow((trx, changes) =>
            db.deferWrites(async () => {
              log.push(`ran ${name}`);
              await trx.insertInto('users').values(userRow(name) as never).execute();
              changes.closeSessions({ userId: name, sessionId: null, closeCode: 4000, reason: name });
              return name;
            }),
          );
        const results = await Promise.allSettled([insertUserHeld('d1'), insertUserHeld('a1'), insertUserHeld('d2'), insertUserHeld('d3')]);
        assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        // The store's own error, not the carried-write wrapper: the batch ran again with each work sending its writes.
        const reason = (results[1] as PromiseRejectedResult).reason;
        assert.ok(isUniqueViolation(reason), String(reason));
        assert.ok(!(reason instanceof CarriedWriteError));
        assert.deepEqual(await userIds(), ['a1', 'a3', 'a4', 'b1', 'b2', 'c1', 'c2', 'c3', 'd1', 'd2', 'd3']);
        assert.deepEqual(log.filter((line) => line.startsWith('published')), ['published d1', 'published d2', 'published d3']);
        // Every work ran twice: once carrying (the batch failed at the COMMIT), once sending its own writes.
        assert.deepEqual(log.filter((line) => line.startsWith('ran')).sort(), ['ran a1', 'ran a1', 'ran d1', 'ran d1', 'ran d2', 'ran d2', 'ran d3', 'ran d3']);
      });

      const keyedInsert = (name: string, conflictKey: string | undefined, row = name) =>
        uow(async (trx, changes) => {
          log.push(`start ${name}`);
          await trx.insertInto('users').values(userRow(row) as never).execute();
          log.push(`end ${name}`);
          changes.closeSessions({ userId: name, sessionId: null, closeCode: 4000, reason: name });
          return name;
        }, conflictKey === undefined ? {} : { conflictKey });

      it('runs works with distinct conflict keys side by side, and publishes them in batch order', async () => {
        log.length = 0;
        const results = await inOneBatch(() => [keyedInsert('e1', 'k1'), keyedInsert('e2', 'k2'), keyedInsert('e3', 'k3')]);
        assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'fulfilled']);
        // Each started before any had finished its statement.
        assert.deepEqual(log.slice(0, 3), ['start e1', 'start e2', 'start e3']);
        assert.deepEqual(log.filter((line) => line.startsWith('published')), ['published e1', 'published e2', 'published e3']);
        assert.ok((await userIds()).includes('e3'));
      });

      it('runs works with the same conflict key, or none, one after the other', async () => {
        log.length = 0;
        const results = await inOneBatch(() => [keyedInsert('f1', 'k1'), keyedInsert('f2', 'k1'), keyedInsert('f3', undefined), keyedInsert('f4', 'k2')]);
        assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
        assert.deepEqual(log.filter((line) => !line.startsWith('published')), ['start f1', 'end f1', 'start f2', 'end f2', 'start f3', 'end f3', 'start f4', 'end f4']);
      });

      it('a failure among works side by side runs them again one by one: only the failing work is refused, nothing of it stays', async () => {
        log.length = 0;
        const before = await userIds();
        // g2 inserts a user that exists (a1): a unique violation.
        const results = await inOneBatch(() => [keyedInsert('g1', 'k1'), keyedInsert('g2', 'k2', 'a1'), keyedInsert('g3', 'k3')]);
        assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.ok(isUniqueViolation((results[1] as PromiseRejectedResult).reason));
        assert.deepEqual(await userIds(), [...before, 'g1', 'g3'].sort());
        assert.deepEqual(log.filter((line) => line.startsWith('published')), ['published g1', 'published g3']);
        // Side by side first (every work started), then one by one, each in its own savepoint.
        assert.deepEqual(log.filter((line) => line.startsWith('start')), ['start g1', 'start g2', 'start g3', 'start g1', 'start g2', 'start g3']);
      });
    }
  });
}

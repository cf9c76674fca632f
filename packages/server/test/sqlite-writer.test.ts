import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnitOfWork, type UnitOfWork } from '../src/modules/logs/index.ts';
import { type Database, openDatabase } from '../src/platform/db/index.ts';
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

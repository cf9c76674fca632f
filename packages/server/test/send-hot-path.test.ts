import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUnitOfWork, type UnitOfWork } from '../src/modules/logs/index.ts';
import { type Database, openDatabase, preparedInsert, preparedQuery } from '../src/platform/db/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { sqliteBackend, type Store } from './support/backends.ts';

/**
 * The send path's shortcuts (issue 21 item 2): statements compiled once per dialect, the
 * message serialized once for its event frame and its ack, and the writer thread's keyed
 * statements and savepoints sent with the next statement.
 */
describe('statements compiled once per dialect', () => {
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

  const userRow = (id: string, name: string) => ({ id, handle: null, display_name: name, password_hash: null, status: 'active', event_seq: 0, created_at: 1, updated_at: 1 });
  const byName = preparedQuery((executor, name: string, status: 'active' | 'deleted') => executor.selectFrom('users').select('id').where('display_name', '=', name).where('status', '=', status).orderBy('id'));
  const insertUser = preparedInsert('users', ['id', 'handle', 'display_name', 'password_hash', 'status', 'event_seq', 'created_at', 'updated_at']);

  it('compiles to the SQL Kysely builds, with each call\'s values in their places', () => {
    const built = db.kysely.selectFrom('users').select('id').where('display_name', '=', 'ann').where('status', '=', 'active').orderBy('id').compile();
    const first = byName(db.dialect, db.kysely, 'ann', 'active');
    const second = byName(db.dialect, db.kysely, 'bob', 'deleted');
    assert.equal(first.sql, built.sql);
    assert.deepEqual(first.parameters, ['ann', 'active']);
    assert.equal(second.sql, built.sql);
    assert.deepEqual(second.parameters, ['bob', 'deleted']);
  });

  it('refuses a query that uses an argument other than as a value', () => {
    const misuse = preparedQuery((executor, name: string) => executor.selectFrom('users').select('id').where('display_name', '=', `${name}!`));
    assert.throws(() => misuse(db.dialect, db.kysely, 'ann'), /other than as a value/);
  });

  it('inserts rows and reads them back through the writer thread, in group commits with failing works among them', async () => {
    const results = await Promise.allSettled(['p-1', 'p-2', 'p-1', 'p-3'].map((id, i) =>
      uow(async (trx) => {
        await trx.executeQuery(insertUser(db.dialect, trx, userRow(id, `prepared ${i}`)));
        return (await trx.executeQuery(byName(db.dialect, trx, `prepared ${i}`, 'active'))).rows;
      })));
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'], 'the duplicate id fails alone');
    assert.deepEqual((results[3] as PromiseFulfilledResult<unknown>).value, [{ id: 'p-3' }]);
    const stored = await db.kysely.selectFrom('users').select(['id', 'display_name']).where('id', 'like', 'p-%').orderBy('id').execute();
    assert.deepEqual(stored, [{ id: 'p-1', display_name: 'prepared 0' }, { id: 'p-2', display_name: 'prepared 1' }, { id: 'p-3', display_name: 'prepared 3' }]);
  });
});

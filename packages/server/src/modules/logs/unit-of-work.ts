import type { Database, Tx } from '../../platform/db/index.ts';
import { isRetryableTransactionError } from '../../platform/db/index.ts';
import { ChangeSet, type Publisher } from './changes.ts';

export type UnitOfWork = <T>(work: (trx: Tx, changes: ChangeSet) => Promise<T>) => Promise<T>;

const MAX_ATTEMPTS = 4;

/**
 * Runs work in one transaction and publishes what it changed after the commit.
 * PostgreSQL may abort a transaction to break a deadlock; the work is run again from
 * scratch with fresh changes, so nothing of the failed attempt is published.
 */
export function createUnitOfWork(db: Database, publish: Publisher): UnitOfWork {
  return async function run<T>(work: (trx: Tx, changes: ChangeSet) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const changes = new ChangeSet();
      try {
        const result = await db.kysely.transaction().execute((trx) => work(trx, changes));
        if (!changes.isEmpty) publish(changes);
        return result;
      } catch (error) {
        if (attempt < MAX_ATTEMPTS && isRetryableTransactionError(error)) {
          await new Promise((resolve) => setTimeout(resolve, attempt * 5 * Math.random()));
          continue;
        }
        throw error;
      }
    }
  };
}

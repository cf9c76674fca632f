import type { Executor, SessionsTable } from '../../platform/db/index.ts';

export async function insertSession(db: Executor, row: SessionsTable): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSession(db: Executor, id: string): Promise<SessionsTable | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateSession(db: Executor, id: string, patch: Partial<Omit<SessionsTable, 'id' | 'user_id'>>): Promise<void> {
  await db.updateTable('sessions').set(patch).where('id', '=', id).execute();
}

/** Many sessions by id, in one statement (the batched reads of the connect path). */
export async function findSessionsByIds(db: Executor, ids: readonly string[]): Promise<Map<string, SessionsTable>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('sessions').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

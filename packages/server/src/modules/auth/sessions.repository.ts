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

/**
 * What authenticating a request needs, in one round trip: the user and, for tokens
 * bound to a device session, whether that session is still live.
 */
export async function findUserWithSession(db: Executor, userId: string, sessionId: string | null) {
  return db
    .selectFrom('users as u')
    .leftJoin('sessions as s', (join) => join.on('s.id', '=', sessionId ?? '').onRef('s.user_id', '=', 'u.id'))
    .select(['u.id', 'u.handle', 'u.display_name', 'u.status', 's.id as session_id', 's.revoked_at', 's.expires_at'])
    .where('u.id', '=', userId)
    .executeTakeFirst();
}

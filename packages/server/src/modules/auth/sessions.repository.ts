import type { Executor, SessionsTable } from '../../platform/db/index.ts';

export async function insertSession(db: Executor, row: SessionsTable): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSession(db: Executor, id: string): Promise<SessionsTable | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Rotates a session's refresh secret only if it still holds `expectedHash` (compare and
 * set): two refreshes racing cannot put back a secret a third one already replaced.
 */
export async function rotateSession(db: Executor, id: string, expectedHash: string, patch: Pick<SessionsTable, 'refresh_hash' | 'prev_refresh_hash' | 'rotated_at' | 'last_used_at' | 'expires_at'>): Promise<boolean> {
  const result = await db.updateTable('sessions').set(patch).where('id', '=', id).where('refresh_hash', '=', expectedHash).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Many sessions by id, in one statement (the batched reads of the connect path). */
export async function findSessionsByIds(db: Executor, ids: readonly string[]): Promise<Map<string, SessionsTable>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('sessions').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

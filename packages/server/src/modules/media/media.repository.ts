import type { Executor, Tx, UploadsTable } from '../../platform/db/index.ts';

export async function insertUpload(db: Executor, row: UploadsTable): Promise<void> {
  await db.insertInto('uploads').values(row).execute();
}

export async function findUpload(db: Executor, id: string): Promise<UploadsTable | undefined> {
  return db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUploads(db: Executor, ids: readonly string[]): Promise<UploadsTable[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('uploads').selectAll().where('id', 'in', ids).execute();
}

export async function setScanState(db: Executor, id: string, state: UploadsTable['scan_state']): Promise<void> {
  await db.updateTable('uploads').set({ scan_state: state }).where('id', '=', id).execute();
}

/** Bytes a user keeps: every upload not on its way out. */
export async function bytesOwned(db: Executor, ownerId: string): Promise<number> {
  const row = await db.selectFrom('uploads').select((eb) => eb.fn.sum<number>('size').as('total')).where('owner_id', '=', ownerId).where('purge_after', 'is', null).executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** Marks unused uploads as used (expiry cleared); how many were still unused. */
export async function markUsed(trx: Tx, ids: readonly string[]): Promise<number> {
  const result = await trx.updateTable('uploads').set({ expires_at: null }).where('id', 'in', ids).where('expires_at', 'is not', null).where('purge_after', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertMessageFiles(trx: Tx, rows: Array<{ message_id: string; upload_id: string; conversation_id: string; position: number }>): Promise<void> {
  if (rows.length > 0) await trx.insertInto('message_files').values(rows).execute();
}

export async function filesOfMessage(db: Executor, messageId: string): Promise<Array<{ upload_id: string; position: number }>> {
  return db.selectFrom('message_files').select(['upload_id', 'position']).where('message_id', '=', messageId).orderBy('position').execute();
}

export async function uploadsInConversation(db: Executor, conversationId: string): Promise<string[]> {
  const rows = await db.selectFrom('message_files').select('upload_id').distinct().where('conversation_id', '=', conversationId).execute();
  return rows.map((row) => row.upload_id);
}

export async function deleteConversationFiles(trx: Tx, conversationId: string): Promise<void> {
  await trx.deleteFrom('message_files').where('conversation_id', '=', conversationId).execute();
}

export async function deleteMessageFiles(trx: Tx, messageId: string): Promise<void> {
  await trx.deleteFrom('message_files').where('message_id', '=', messageId).execute();
}

/** Conversations where a live (not deleted) message carries the file: who may read it there may fetch it. */
export async function conversationsCarrying(db: Executor, uploadId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('message_files as f')
    .innerJoin('messages as m', 'm.id', 'f.message_id')
    .select('f.conversation_id')
    .distinct()
    .where('f.upload_id', '=', uploadId)
    .where('m.deleted_at', 'is', null)
    .limit(100)
    .execute();
  return rows.map((row) => row.conversation_id);
}

/** Whether anything still uses the upload: a message, a user's avatar or a conversation's photo. */
export async function isInUse(db: Executor, uploadId: string): Promise<boolean> {
  const [message, avatar, photo] = await Promise.all([
    db.selectFrom('message_files').select('upload_id').where('upload_id', '=', uploadId).limit(1).executeTakeFirst(),
    db.selectFrom('users').select('id').where('avatar_id', '=', uploadId).limit(1).executeTakeFirst(),
    db.selectFrom('conversations').select('id').where('photo_id', '=', uploadId).limit(1).executeTakeFirst(),
  ]);
  return Boolean(message || avatar || photo);
}

export async function schedulePurge(trx: Tx, uploadId: string, at: number): Promise<void> {
  await trx.updateTable('uploads').set({ purge_after: at, expires_at: null }).where('id', '=', uploadId).where('purge_after', 'is', null).execute();
}

export async function isAvatar(db: Executor, uploadId: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('avatar_id', '=', uploadId).limit(1).executeTakeFirst());
}

export async function photoOf(db: Executor, uploadId: string): Promise<{ id: string; visibility: string } | undefined> {
  return db.selectFrom('conversations').select(['id', 'visibility']).where('photo_id', '=', uploadId).limit(1).executeTakeFirst();
}

/** Uploads the sweep may delete now: unused past their expiry, or unused since the grace after their last use ended. */
export async function dueForDeletion(db: Executor, now: number, limit: number): Promise<UploadsTable[]> {
  const expired = await db.selectFrom('uploads').selectAll().where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute();
  const purged = await db.selectFrom('uploads').selectAll().where('purge_after', '<=', now).orderBy('purge_after').limit(limit).execute();
  return [...expired, ...purged].slice(0, limit);
}

/**
 * Deletes the row if it is still due (not claimed by a send in the meantime), so the
 * bytes are removed only for a record that is gone; true when it was deleted.
 */
export async function deleteIfDue(db: Executor, id: string, now: number): Promise<boolean> {
  const result = await db
    .deleteFrom('uploads')
    .where('id', '=', id)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('purge_after', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The owner deleting an upload nothing uses yet. */
export async function deleteUnused(db: Executor, id: string, ownerId: string): Promise<boolean> {
  const result = await db.deleteFrom('uploads').where('id', '=', id).where('owner_id', '=', ownerId).where('expires_at', 'is not', null).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

import type { BansTable, Executor, JoinRequestsTable, Tx } from '../../platform/db/index.ts';

/** Of `userIds`, who is banned from the conversation right now. */
export async function activeBans(db: Executor, conversationId: string, userIds: readonly string[], now: number): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await activeBansQuery(db, conversationId, userIds, now).execute();
  return new Set(rows.map((row) => row.user_id));
}

/** `activeBans` as a query (`userIds` not empty), to send with others in one round trip (`Database.runTogether`). */
export function activeBansQuery(db: Executor, conversationId: string, userIds: readonly string[], now: number) {
  return db
    .selectFrom('bans')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', 'in', userIds)
    .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]));
}

export async function upsertBan(trx: Tx, ban: BansTable): Promise<void> {
  await trx.deleteFrom('bans').where('conversation_id', '=', ban.conversation_id).where('user_id', '=', ban.user_id).execute();
  await trx.insertInto('bans').values(ban).execute();
}

export async function deleteBan(trx: Tx, conversationId: string, userId: string): Promise<boolean> {
  const result = await trx.deleteFrom('bans').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listBans(db: Executor, conversationId: string, now: number) {
  return db
    .selectFrom('bans as b')
    .innerJoin('users as u', 'u.id', 'b.user_id')
    .select(['b.user_id', 'b.until', 'b.reason', 'b.banned_by', 'b.created_at', 'u.id', 'u.handle', 'u.display_name', 'u.status', 'u.avatar_id'])
    .where('b.conversation_id', '=', conversationId)
    .where((eb) => eb.or([eb('b.until', 'is', null), eb('b.until', '>', now)]))
    .orderBy('b.created_at', 'desc')
    .limit(1000)
    .execute();
}

export async function upsertJoinRequest(trx: Tx, request: JoinRequestsTable): Promise<void> {
  await trx.deleteFrom('join_requests').where('conversation_id', '=', request.conversation_id).where('user_id', '=', request.user_id).execute();
  await trx.insertInto('join_requests').values(request).execute();
}

export async function hasJoinRequest(db: Executor, conversationId: string, userId: string): Promise<boolean> {
  return (await db.selectFrom('join_requests').select('user_id').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst()) !== undefined;
}

export async function deleteJoinRequest(trx: Tx, conversationId: string, userId: string): Promise<boolean> {
  const result = await trx.deleteFrom('join_requests').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Drops the requests of users who are in now (added directly): one statement, however many. */
export async function deleteJoinRequests(trx: Tx, conversationId: string, userIds: readonly string[]): Promise<void> {
  for (let i = 0; i < userIds.length; i += 500) {
    await trx.deleteFrom('join_requests').where('conversation_id', '=', conversationId).where('user_id', 'in', userIds.slice(i, i + 500)).execute();
  }
}

export async function listJoinRequests(db: Executor, conversationId: string) {
  return db
    .selectFrom('join_requests as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['r.user_id', 'r.invite_code', 'r.created_at', 'u.id', 'u.handle', 'u.display_name', 'u.status', 'u.avatar_id'])
    .where('r.conversation_id', '=', conversationId)
    .orderBy('r.created_at')
    .limit(1000)
    .execute();
}

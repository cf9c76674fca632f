import type { Role } from '@parley/protocol';
import { sql } from 'kysely';
import type { ConversationsTable, Dialect, Executor, MembersTable, Tx } from '../../platform/db/index.ts';

export async function findConversation(db: Executor, id: string): Promise<ConversationsTable | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Locks the conversation row until the transaction ends: membership changes and sends
 * to one conversation are serialized, so a decision made under the lock stays true
 * until commit. SQLite has one writer at a time, which is already that lock.
 */
export async function lockConversation(trx: Tx, dialect: Dialect, id: string): Promise<ConversationsTable | undefined> {
  const query = trx.selectFrom('conversations').selectAll().where('id', '=', id);
  return (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
}

export async function findDirectByKey(db: Executor, key: string): Promise<ConversationsTable | undefined> {
  return db.selectFrom('conversations').selectAll().where('direct_key', '=', key).executeTakeFirst();
}

export async function insertConversation(trx: Tx, row: ConversationsTable): Promise<void> {
  await trx.insertInto('conversations').values(row).execute();
}

export async function updateConversation(trx: Tx, id: string, patch: Partial<Pick<ConversationsTable, 'title' | 'member_count'>>): Promise<void> {
  await trx.updateTable('conversations').set(patch).where('id', '=', id).execute();
}

export async function adjustMemberCount(trx: Tx, id: string, delta: number): Promise<void> {
  await trx.updateTable('conversations').set((eb) => ({ member_count: eb('member_count', '+', delta) })).where('id', '=', id).execute();
}

export async function findMember(db: Executor, conversationId: string, userId: string): Promise<MembersTable | undefined> {
  return db.selectFrom('members').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
}

/** The actor's membership and, for direct conversations, the other member's account status: the facts most policy checks need. */
export async function findMembershipFacts(db: Executor, conversationId: string, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .leftJoin('members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').on('c.kind', '=', 'direct').onRef('p.user_id', '!=', 'm.user_id'))
    .leftJoin('users as pu', 'pu.id', 'p.user_id')
    .select(['m.role', 'm.read_seq', 'm.joined_seq', 'c.kind', 'c.last_seq', 'pu.status as peer_status'])
    .where('m.conversation_id', '=', conversationId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
}

export async function findMembers(db: Executor, conversationId: string, userIds: readonly string[]): Promise<MembersTable[]> {
  if (userIds.length === 0) return [];
  return db.selectFrom('members').selectAll().where('conversation_id', '=', conversationId).where('user_id', 'in', userIds).execute();
}

export async function insertMembers(trx: Tx, rows: MembersTable[]): Promise<void> {
  // Chunked: SQLite caps bound parameters per statement.
  for (let i = 0; i < rows.length; i += 100) await trx.insertInto('members').values(rows.slice(i, i + 100)).execute();
}

export async function deleteMember(trx: Tx, conversationId: string, userId: string): Promise<void> {
  await trx.deleteFrom('members').where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
}

export async function setMemberRole(trx: Tx, conversationId: string, userId: string, role: Role): Promise<void> {
  await trx.updateTable('members').set({ role }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
}

/** Moves the read pointer forward, never back. */
export async function advanceReadSeq(trx: Tx, conversationId: string, userId: string, seq: number): Promise<void> {
  await trx
    .updateTable('members')
    .set({ read_seq: seq })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .where('read_seq', '<', seq)
    .execute();
}

/** The member who has been in the group longest, other than `exceptUserId`: the heir when an owner leaves. */
export async function findSuccessor(db: Executor, conversationId: string, exceptUserId: string): Promise<MembersTable | undefined> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('user_id', '!=', exceptUserId)
    .orderBy('joined_seq')
    .orderBy('user_id')
    .limit(1)
    .executeTakeFirst();
}

export async function listMembers(db: Executor, conversationId: string, afterUserId: string | null, limit: number) {
  let query = db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'm.role', 'm.joined_at', 'u.id', 'u.handle', 'u.display_name', 'u.status'])
    .where('m.conversation_id', '=', conversationId)
    .orderBy('m.user_id')
    .limit(limit);
  if (afterUserId !== null) query = query.where('m.user_id', '>', afterUserId);
  return query.execute();
}

export interface ListCursor {
  at: number;
  id: string;
}

/** The user's conversations, most recently active first, with their own member state. */
export async function listForUser(db: Executor, userId: string, cursor: ListCursor | null, limit: number) {
  let query = db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['c.id', 'c.kind', 'c.title', 'c.created_at', 'c.last_seq', 'c.last_activity_at', 'c.last_message_id', 'c.member_count', 'm.role', 'm.read_seq'])
    .where('m.user_id', '=', userId)
    .orderBy('c.last_activity_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit);
  if (cursor) {
    query = query.where((eb) => eb.or([eb('c.last_activity_at', '<', cursor.at), eb.and([eb('c.last_activity_at', '=', cursor.at), eb('c.id', '<', cursor.id)])]));
  }
  return query.execute();
}

export async function findConversationForUser(db: Executor, userId: string, conversationId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['c.id', 'c.kind', 'c.title', 'c.created_at', 'c.last_seq', 'c.last_activity_at', 'c.last_message_id', 'c.member_count', 'm.role', 'm.read_seq'])
    .where('m.user_id', '=', userId)
    .where('m.conversation_id', '=', conversationId)
    .executeTakeFirst();
}

/** For direct conversations: the member who is not `userId`. */
export async function findPeers(db: Executor, userId: string, conversationIds: readonly string[]) {
  if (conversationIds.length === 0) return [];
  return db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.conversation_id', 'u.id', 'u.handle', 'u.display_name', 'u.status'])
    .where('m.conversation_id', 'in', conversationIds)
    .where('m.user_id', '!=', userId)
    .execute();
}

/** Messages from others after the read pointer that are not deleted, per conversation. */
export async function unreadCounts(db: Executor, userId: string, conversationIds: readonly string[]): Promise<Map<string, number>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages as msg')
    .innerJoin('members as m', (join) => join.onRef('m.conversation_id', '=', 'msg.conversation_id').on('m.user_id', '=', userId))
    .select(['msg.conversation_id', sql<number>`count(*)`.as('count')])
    .where('msg.conversation_id', 'in', conversationIds)
    .whereRef('msg.seq', '>', 'm.read_seq')
    .where('msg.sender_id', '!=', userId)
    .where('msg.deleted_at', 'is', null)
    .groupBy('msg.conversation_id')
    .execute();
  return new Map(rows.map((row) => [row.conversation_id, Number(row.count)]));
}

/** Unread messages across all of a user's conversations. */
export async function totalUnread(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('messages as msg')
    .innerJoin('members as m', (join) => join.onRef('m.conversation_id', '=', 'msg.conversation_id').on('m.user_id', '=', userId))
    .select(sql<number>`count(*)`.as('count'))
    .whereRef('msg.seq', '>', 'm.read_seq')
    .where('msg.sender_id', '!=', userId)
    .where('msg.deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/**
 * The user's log head and every conversation they belong to, read in one statement so
 * both describe the same moment: membership changes and user-log appends commit together.
 */
export async function membershipSnapshot(db: Executor, userId: string): Promise<{ userSeq: number; conversations: Array<{ id: string; lastSeq: number }> }> {
  const rows = await db
    .selectFrom('users as u')
    .leftJoin('members as m', 'm.user_id', 'u.id')
    .leftJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['u.event_seq', 'c.id', 'c.last_seq'])
    .where('u.id', '=', userId)
    .execute();
  const userSeq = rows[0]?.event_seq ?? 0;
  const conversations = rows.filter((row) => row.id !== null).map((row) => ({ id: row.id!, lastSeq: row.last_seq! }));
  return { userSeq, conversations };
}

/** Group conversations the user belongs to; for removing a deleted account everywhere. */
export async function groupIdsOfUser(db: Executor, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select('c.id')
    .where('m.user_id', '=', userId)
    .where('c.kind', '=', 'group')
    .execute();
  return rows.map((row) => row.id);
}

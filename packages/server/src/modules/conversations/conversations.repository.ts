import { sql } from 'kysely';
import { type ConversationsTable, createBatchLoader, type Executor, type MembersTable, type Tx } from '../../platform/db/index.ts';
import { putSearchTerms } from '../search-index/index.ts';

export async function findConversation(db: Executor, id: string): Promise<ConversationsTable | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findDirectByKey(db: Executor, key: string): Promise<ConversationsTable | undefined> {
  return db.selectFrom('conversations').selectAll().where('direct_key', '=', key).executeTakeFirst();
}

export async function insertConversation(trx: Tx, row: ConversationsTable): Promise<void> {
  await trx.insertInto('conversations').values(row).execute();
  // Conversation search finds groups and channels by the words of their title and handle.
  if (row.kind !== 'direct') await putSearchTerms(trx, 'conversation', row.id, row.title, row.handle);
}

export async function updateConversation(trx: Tx, id: string, patch: Partial<Omit<ConversationsTable, 'id' | 'kind' | 'direct_key' | 'created_at' | 'created_by' | 'last_seq'>>): Promise<void> {
  const row = await trx.updateTable('conversations').set(patch).where('id', '=', id).returning(['kind', 'title', 'handle']).executeTakeFirst();
  if (row && row.kind !== 'direct' && (patch.title !== undefined || patch.handle !== undefined)) await putSearchTerms(trx, 'conversation', id, row.title, row.handle);
}

/** Moves the member count and returns it after the change. */
export async function adjustMemberCount(trx: Tx, id: string, delta: number): Promise<number> {
  const row = await trx.updateTable('conversations').set((eb) => ({ member_count: eb('member_count', '+', delta) })).where('id', '=', id).returning('member_count').executeTakeFirst();
  return row?.member_count ?? 0;
}

export async function findMember(db: Executor, conversationId: string, userId: string): Promise<MembersTable | undefined> {
  return findMemberQuery(db, conversationId, userId).executeTakeFirst();
}

/** `findMember` as a query, to send with others in one round trip (`Database.runTogether`). */
export function findMemberQuery(db: Executor, conversationId: string, userId: string) {
  return db.selectFrom('members').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId);
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

export async function updateMember(trx: Tx, conversationId: string, userId: string, patch: Partial<Pick<MembersTable, 'role' | 'rights' | 'muted_until' | 'last_sent_at' | 'archived_at' | 'pinned_at' | 'marked_unread' | 'cleared_seq'>>): Promise<void> {
  await trx.updateTable('members').set(patch).where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
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

/** A page of members in user id order; `staffOnly`: the owner, admins and moderators only. */
export async function listMembers(db: Executor, conversationId: string, afterUserId: string | null, limit: number, staffOnly = false) {
  let query = db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'm.role', 'm.rights', 'm.muted_until', 'm.joined_at', 'u.id', 'u.handle', 'u.display_name', 'u.status', 'u.avatar_id'])
    .where('m.conversation_id', '=', conversationId)
    .orderBy('m.user_id')
    .limit(limit);
  if (afterUserId !== null) query = query.where('m.user_id', '>', afterUserId);
  if (staffOnly) query = query.where('m.role', 'in', ['owner', 'admin', 'moderator']);
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
    .select(['c.id', 'c.kind', 'c.visibility', 'c.handle', 'c.title', 'c.description', 'c.photo_id', 'c.member_rights', 'c.slow_mode_sec', 'c.protected_content', 'c.join_approval', 'c.created_at', 'c.last_seq', 'c.last_activity_at', 'c.last_message_id', 'c.member_count', 'm.role', 'm.rights', 'm.muted_until', 'm.read_seq', 'm.archived_at', 'm.pinned_at', 'm.marked_unread', 'm.cleared_seq'])
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
    .select(['c.id', 'c.kind', 'c.visibility', 'c.handle', 'c.title', 'c.description', 'c.photo_id', 'c.member_rights', 'c.slow_mode_sec', 'c.protected_content', 'c.join_approval', 'c.created_at', 'c.last_seq', 'c.last_activity_at', 'c.last_message_id', 'c.member_count', 'm.role', 'm.rights', 'm.muted_until', 'm.read_seq', 'm.archived_at', 'm.pinned_at', 'm.marked_unread', 'm.cleared_seq'])
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
    .select(['m.conversation_id', 'u.id', 'u.handle', 'u.display_name', 'u.status', 'u.avatar_id', 'm.read_seq', 'm.delivered_seq'])
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

/** `totalUnread` for many users in one query (users with nothing unread are absent: 0). */
export async function totalUnreadOf(db: Executor, userIds: readonly string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages as msg')
    .innerJoin('members as m', 'm.conversation_id', 'msg.conversation_id')
    .select(['m.user_id', sql<number>`count(*)`.as('count')])
    .where('m.user_id', 'in', userIds)
    .whereRef('msg.seq', '>', 'm.read_seq')
    .whereRef('msg.sender_id', '!=', 'm.user_id')
    .where('msg.deleted_at', 'is', null)
    .groupBy('m.user_id')
    .execute();
  return new Map(rows.map((row) => [row.user_id, Number(row.count)]));
}

/**
 * The user's log head and every conversation they belong to, read in one statement so
 * both describe the same moment: membership changes and user-log appends commit together.
 * Give it the root executor, never a transaction: reads are batched across callers.
 */
export function createMembershipLoader(db: Executor): (userId: string) => Promise<MembershipSnapshot> {
  // Every connect and every resume asks this: the users of one tick are read together.
  const load = createBatchLoader((userIds) => membershipSnapshots(db, userIds));
  return async (userId) => (await load(userId)) ?? { userSeq: 0, conversations: [] };
}

export interface MembershipSnapshot {
  userSeq: number;
  conversations: Array<{ id: string; lastSeq: number }>;
}

/** The snapshot of many users in one statement (the batched reads of the connect path); unknown users are absent. */
export async function membershipSnapshots(db: Executor, userIds: readonly string[]): Promise<Map<string, MembershipSnapshot>> {
  const snapshots = new Map<string, MembershipSnapshot>();
  if (userIds.length === 0) return snapshots;
  const rows = await db
    .selectFrom('users as u')
    .leftJoin('members as m', 'm.user_id', 'u.id')
    .leftJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['u.id as user_id', 'u.event_seq', 'c.id', 'c.last_seq'])
    .where('u.id', 'in', userIds)
    .execute();
  for (const row of rows) {
    let snapshot = snapshots.get(row.user_id);
    if (!snapshot) snapshots.set(row.user_id, (snapshot = { userSeq: row.event_seq, conversations: [] }));
    if (row.id !== null) snapshot.conversations.push({ id: row.id, lastSeq: row.last_seq! });
  }
  return snapshots;
}

/** Those of `userIds` who are members of more than `max` conversations. */
export async function membershipCountsOver(db: Executor, userIds: readonly string[], max: number): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('members')
    .select('user_id')
    .where('user_id', 'in', userIds)
    .groupBy('user_id')
    .having((eb) => eb.fn.countAll(), '>', max)
    .execute();
  return rows.map((row) => row.user_id);
}

/** Groups and channels the user owns (directs have no owner). */
export async function countOwned(db: Executor, userId: string): Promise<number> {
  const row = await db.selectFrom('members').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).where('role', '=', 'owner').executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Groups and channels the user belongs to; for removing a deleted account everywhere. */
export async function groupIdsOfUser(db: Executor, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select('c.id')
    .where('m.user_id', '=', userId)
    .where('c.kind', '!=', 'direct')
    .execute();
  return rows.map((row) => row.id);
}

/** Pinned message ids per conversation, most recently pinned first. */
export async function pinnedIds(db: Executor, conversationIds: readonly string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (conversationIds.length === 0) return map;
  const rows = await db.selectFrom('pins').select(['conversation_id', 'message_id']).where('conversation_id', 'in', conversationIds).orderBy('pinned_at', 'desc').orderBy('message_id').execute();
  for (const row of rows) map.set(row.conversation_id, [...(map.get(row.conversation_id) ?? []), row.message_id]);
  return map;
}

export async function findByHandle(db: Executor, handle: string): Promise<ConversationsTable | undefined> {
  return db.selectFrom('conversations').selectAll().where('handle', '=', handle.toLowerCase()).executeTakeFirst();
}

export async function findOwner(db: Executor, conversationId: string): Promise<string | null> {
  const row = await db.selectFrom('members').select('user_id').where('conversation_id', '=', conversationId).where('role', '=', 'owner').executeTakeFirst();
  return row?.user_id ?? null;
}

/** Every conversation, for the admin API, in id order. */
export async function listAll(db: Executor, kind: ConversationsTable['kind'] | undefined, afterId: string | null, limit: number): Promise<ConversationsTable[]> {
  let query = db.selectFrom('conversations').selectAll().orderBy('id').limit(limit);
  if (kind) query = query.where('kind', '=', kind);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return query.execute();
}

export async function memberIds(db: Executor, conversationId: string): Promise<string[]> {
  const rows = await db.selectFrom('members').select('user_id').where('conversation_id', '=', conversationId).execute();
  return rows.map((row) => row.user_id);
}

export async function deleteConversation(trx: Tx, id: string): Promise<void> {
  // Rows without a cascading key to the conversation first.
  await trx.deleteFrom('reactions').where('message_id', 'in', trx.selectFrom('messages').select('id').where('conversation_id', '=', id)).execute();
  await trx.deleteFrom('pins').where('conversation_id', '=', id).execute();
  await trx.deleteFrom('conversations').where('id', '=', id).execute();
}

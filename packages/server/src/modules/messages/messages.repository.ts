import { type Executor, type MessagesTable, preparedInsert, preparedQuery, type Tx } from '../../platform/db/index.ts';

export async function findByClientId(db: Executor, conversationId: string, senderId: string, clientMsgId: string): Promise<MessagesTable | undefined> {
  return clientIdQuery(db, conversationId, senderId, clientMsgId).executeTakeFirst();
}

/** `findByClientId` as a query, for the send's one round trip (`Database.runTogether`). */
export function clientIdQuery(db: Executor, conversationId: string, senderId: string, clientMsgId: string) {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('sender_id', '=', senderId)
    .where('client_msg_id', '=', clientMsgId);
}

/** `clientIdQuery` compiled once per dialect, for the send path. */
export const clientIdStatement = preparedQuery(clientIdQuery);

/** A message row, as the send inserts it (compiled once per dialect). */
export const insertMessageStatement = preparedInsert('messages', [
  'id', 'conversation_id', 'seq', 'sender_id', 'client_msg_id', 'text', 'reply_to', 'created_at', 'edited_at', 'deleted_at', 'forwarded_from', 'attachments', 'mentions',
]);

export async function findInConversation(db: Executor, conversationId: string, messageId: string): Promise<MessagesTable | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', messageId).where('conversation_id', '=', conversationId).executeTakeFirst();
}

/** Of these handles (lower-case), the members of the conversation who hold one, by user id. */
export async function membersByHandle(db: Executor, conversationId: string, handles: readonly string[]): Promise<string[]> {
  if (handles.length === 0) return [];
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.id')
    .where('m.conversation_id', '=', conversationId)
    .where('u.handle', 'in', handles)
    .execute();
  return rows.map((row) => row.id).sort();
}

export async function insertMessage(trx: Tx, row: MessagesTable): Promise<void> {
  await trx.insertInto('messages').values(row).execute();
}

export async function setAttachments(trx: Tx, id: string, attachments: string): Promise<void> {
  await trx.updateTable('messages').set({ attachments }).where('id', '=', id).execute();
}

export async function updateMessage(trx: Tx, id: string, patch: Partial<Pick<MessagesTable, 'text' | 'edited_at' | 'deleted_at' | 'forwarded_from' | 'attachments' | 'mentions'>>): Promise<MessagesTable> {
  return trx.updateTable('messages').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/**
 * One page of history in ascending seq order. `before` pages backwards from the end
 * (or from a seq), `after` pages forwards; one extra row tells whether there is more.
 */
export async function pageMessages(db: Executor, conversationId: string, page: { before?: number; after?: number; limit: number; floor?: number }): Promise<{ rows: MessagesTable[]; hasMore: boolean }> {
  let query = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).limit(page.limit + 1);
  // History the reader cleared for themselves ends the history for them.
  if (page.floor) query = query.where('seq', '>', page.floor);
  if (page.after !== undefined) {
    query = query.where('seq', '>', page.after).orderBy('seq', 'asc');
    if (page.before !== undefined) query = query.where('seq', '<', page.before);
    const rows = await query.execute();
    return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
  }
  if (page.before !== undefined) query = query.where('seq', '<', page.before);
  const rows = await query.orderBy('seq', 'desc').execute();
  return { rows: rows.slice(0, page.limit).reverse(), hasMore: rows.length > page.limit };
}

export async function insertReaction(trx: Tx, messageId: string, userId: string, emoji: string, now: number): Promise<boolean> {
  const existing = await trx.selectFrom('reactions').select('user_id').where('message_id', '=', messageId).where('emoji', '=', emoji).where('user_id', '=', userId).executeTakeFirst();
  if (existing) return false;
  await trx.insertInto('reactions').values({ message_id: messageId, user_id: userId, emoji, created_at: now }).execute();
  return true;
}

export async function deleteReaction(trx: Tx, messageId: string, userId: string, emoji: string): Promise<boolean> {
  const result = await trx.deleteFrom('reactions').where('message_id', '=', messageId).where('emoji', '=', emoji).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countReactions(db: Executor, messageId: string, filter: { emoji?: string; userId?: string }): Promise<number> {
  let query = db.selectFrom('reactions').select((eb) => eb.fn.countAll<number>().as('count')).where('message_id', '=', messageId);
  if (filter.emoji !== undefined) query = query.where('emoji', '=', filter.emoji);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  return Number((await query.executeTakeFirst())?.count ?? 0);
}

/** Who reacted with what on one message: up to `perEmoji` users for each emoji. */
export async function reactionsOf(db: Executor, messageId: string) {
  return db.selectFrom('reactions').select(['emoji', 'user_id', 'created_at']).where('message_id', '=', messageId).orderBy('created_at').limit(10_000).execute();
}

/** The viewer's own reactions on a page of messages. */
export async function myReactions(db: Executor, userId: string, messageIds: readonly string[]): Promise<Record<string, string[]>> {
  const mine: Record<string, string[]> = {};
  if (messageIds.length === 0) return mine;
  const rows = await db.selectFrom('reactions').select(['message_id', 'emoji']).where('user_id', '=', userId).where('message_id', 'in', messageIds).orderBy('created_at').execute();
  for (const row of rows) (mine[row.message_id] ??= []).push(row.emoji);
  return mine;
}

export async function insertPin(trx: Tx, conversationId: string, messageId: string, userId: string, now: number): Promise<boolean> {
  const existing = await trx.selectFrom('pins').select('message_id').where('conversation_id', '=', conversationId).where('message_id', '=', messageId).executeTakeFirst();
  if (existing) return false;
  await trx.insertInto('pins').values({ conversation_id: conversationId, message_id: messageId, pinned_by: userId, pinned_at: now }).execute();
  return true;
}

export async function deletePin(trx: Tx, conversationId: string, messageId: string): Promise<boolean> {
  const result = await trx.deleteFrom('pins').where('conversation_id', '=', conversationId).where('message_id', '=', messageId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countPins(db: Executor, conversationId: string): Promise<number> {
  const row = await db.selectFrom('pins').select((eb) => eb.fn.countAll<number>().as('count')).where('conversation_id', '=', conversationId).executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function pinnedMessages(db: Executor, conversationId: string): Promise<MessagesTable[]> {
  return db
    .selectFrom('pins as p')
    .innerJoin('messages as m', 'm.id', 'p.message_id')
    .selectAll('m')
    .where('p.conversation_id', '=', conversationId)
    .orderBy('p.pinned_at', 'desc')
    .execute();
}

/** A user's messages that are not deleted yet, in one conversation or everywhere, a batch at a time. */
export async function liveMessagesOf(db: Executor, senderId: string, conversationId: string | undefined, limit: number) {
  let query = db.selectFrom('messages').select(['id', 'conversation_id']).where('sender_id', '=', senderId).where('deleted_at', 'is', null).orderBy('conversation_id').limit(limit);
  if (conversationId) query = query.where('conversation_id', '=', conversationId);
  return query.execute();
}

/** What one reader deleted for themselves here: their cleared seq, and of `messageIds` those hidden one by one. */
export async function hiddenFor(db: Executor, userId: string, conversationId: string, messageIds: readonly string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const rows = await db.selectFrom('hidden_messages').select('message_id').where('user_id', '=', userId).where('message_id', 'in', messageIds).execute();
  return new Set(rows.map((row) => row.message_id));
}

export async function clearedSeq(db: Executor, userId: string, conversationId: string): Promise<number> {
  const row = await db.selectFrom('members').select('cleared_seq').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
  return Number(row?.cleared_seq ?? 0);
}

/** Live messages of a conversation sent before `cutoff`, oldest first (retention). */
export async function expiredMessages(db: Executor, conversationId: string, cutoff: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', conversationId)
    .where('deleted_at', 'is', null)
    .where('created_at', '<', cutoff)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

import { sql } from 'kysely';
import type { Executor } from '../../platform/db/index.ts';

/** What deciding about one member's receipts needs: the conversation's shape and the member's pointers. */
export async function findPointers(db: Executor, conversationId: string, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['c.kind', 'c.member_count', 'c.last_seq', 'm.delivered_seq', 'm.read_seq'])
    .where('m.conversation_id', '=', conversationId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
}

/** Moves the delivered pointer forward, never back; true when it moved. */
export async function advanceDelivered(db: Executor, conversationId: string, userId: string, seq: number): Promise<boolean> {
  const result = await db
    .updateTable('members')
    .set({ delivered_seq: seq })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .where('delivered_seq', '<', seq)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * For the actor's direct conversations among `conversationIds`: the other member's
 * pointers. Joined on the actor's own membership, so other conversations yield nothing.
 */
export async function directPeerPointers(db: Executor, userId: string, conversationIds: readonly string[]) {
  if (conversationIds.length === 0) return [];
  return db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').onRef('p.user_id', '!=', 'm.user_id'))
    .select(['p.conversation_id', 'p.user_id', 'p.delivered_seq', 'p.read_seq'])
    .where('m.user_id', '=', userId)
    .where('m.conversation_id', 'in', conversationIds)
    .where('c.kind', '=', 'direct')
    .execute();
}

/**
 * Members who were there when the message at `seq` was sent (joined before it), other
 * than its sender: how many, how many read it, how many got it on a device.
 */
export async function receiptCounts(db: Executor, conversationId: string, senderId: string, seq: number) {
  const row = await db
    .selectFrom('members')
    .select([
      sql<number>`count(*)`.as('recipients'),
      sql<number>`sum(case when read_seq >= ${seq} then 1 else 0 end)`.as('read'),
      sql<number>`sum(case when read_seq >= ${seq} or delivered_seq >= ${seq} then 1 else 0 end)`.as('delivered'),
    ])
    .where('conversation_id', '=', conversationId)
    .where('user_id', '!=', senderId)
    .where('joined_seq', '<', seq)
    .executeTakeFirst();
  return { recipients: Number(row?.recipients ?? 0), read: Number(row?.read ?? 0), delivered: Number(row?.delivered ?? 0) };
}

/** Up to `limit` readers and up to `limit` members it reached but who have not read it, in user id order. */
export async function receiptLists(db: Executor, conversationId: string, senderId: string, seq: number, limit: number) {
  const base = db
    .selectFrom('members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '!=', senderId)
    .where('joined_seq', '<', seq)
    .orderBy('user_id')
    .limit(limit);
  const [read, delivered] = await Promise.all([
    base.where('read_seq', '>=', seq).execute(),
    base.where('read_seq', '<', seq).where('delivered_seq', '>=', seq).execute(),
  ]);
  return { readBy: read.map((row) => row.user_id), deliveredTo: delivered.map((row) => row.user_id) };
}

export async function findMessageSeq(db: Executor, conversationId: string, messageId: string) {
  return db.selectFrom('messages').select(['seq', 'sender_id']).where('id', '=', messageId).where('conversation_id', '=', conversationId).executeTakeFirst();
}

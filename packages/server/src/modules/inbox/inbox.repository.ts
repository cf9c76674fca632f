import type { Executor, Tx } from '../../platform/db/index.ts';

export async function countPinned(db: Executor, userId: string): Promise<number> {
  const row = await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('count')).where('user_id', '=', userId).where('pinned_at', 'is not', null).executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Of `ids`, those of messages in this conversation, in the order given. */
export async function messagesIn(db: Executor, conversationId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = new Set((await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('id', 'in', ids).execute()).map((row) => row.id));
  return ids.filter((id) => found.has(id));
}

/** Hides the messages for the user; returns those that were not hidden already. */
export async function hide(trx: Tx, userId: string, conversationId: string, ids: readonly string[], now: number): Promise<string[]> {
  if (ids.length === 0) return [];
  const already = new Set((await trx.selectFrom('hidden_messages').select('message_id').where('user_id', '=', userId).where('message_id', 'in', ids).execute()).map((row) => row.message_id));
  const added = ids.filter((id) => !already.has(id));
  if (added.length > 0) await trx.insertInto('hidden_messages').values(added.map((message_id) => ({ user_id: userId, message_id, conversation_id: conversationId, created_at: now }))).execute();
  return added;
}

import type { Executor, MessagesTable, Tx } from '../../platform/db/index.ts';

export async function findByClientId(db: Executor, conversationId: string, senderId: string, clientMsgId: string): Promise<MessagesTable | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('sender_id', '=', senderId)
    .where('client_msg_id', '=', clientMsgId)
    .executeTakeFirst();
}

export async function findInConversation(db: Executor, conversationId: string, messageId: string): Promise<MessagesTable | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', messageId).where('conversation_id', '=', conversationId).executeTakeFirst();
}

export async function insertMessage(trx: Tx, row: MessagesTable): Promise<void> {
  await trx.insertInto('messages').values(row).execute();
}

export async function updateMessage(trx: Tx, id: string, patch: Partial<Pick<MessagesTable, 'text' | 'edited_at' | 'deleted_at'>>): Promise<MessagesTable> {
  return trx.updateTable('messages').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/**
 * One page of history in ascending seq order. `before` pages backwards from the end
 * (or from a seq), `after` pages forwards; one extra row tells whether there is more.
 */
export async function pageMessages(db: Executor, conversationId: string, page: { before?: number; after?: number; limit: number }): Promise<{ rows: MessagesTable[]; hasMore: boolean }> {
  let query = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).limit(page.limit + 1);
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

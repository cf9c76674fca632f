import type { Attachment, ForwardedFrom, Message, ReactionCount } from '@parley/protocol';
import { sql } from 'kysely';
import type { Executor, MessagesTable } from '../../platform/db/index.ts';
import { iso, isoOrNull } from '../../platform/time.ts';

/** A message as the wire shows it. Reactions are counted elsewhere (one query per page); a deleted message keeps none. */
export function toMessage(row: MessagesTable, reactions: ReactionCount[] = []): Message {
  const deleted = row.deleted_at !== null;
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientMsgId: row.client_msg_id,
    text: deleted ? null : row.text,
    replyTo: row.reply_to,
    createdAt: iso(row.created_at),
    editedAt: isoOrNull(row.edited_at),
    deletedAt: isoOrNull(row.deleted_at),
    forwardedFrom: deleted || row.forwarded_from === null ? null : (JSON.parse(row.forwarded_from) as ForwardedFrom),
    reactions: deleted ? [] : reactions,
    attachments: deleted || !row.attachments ? [] : (JSON.parse(row.attachments) as Attachment[]),
    mentions: deleted || !row.mentions ? [] : (JSON.parse(row.mentions) as string[]),
  };
}

/** Reaction counts per message, most used emoji first. */
export async function reactionCounts(db: Executor, messageIds: readonly string[]): Promise<Map<string, ReactionCount[]>> {
  const counts = new Map<string, ReactionCount[]>();
  if (messageIds.length === 0) return counts;
  const rows = await db
    .selectFrom('reactions')
    .select(['message_id', 'emoji', sql<number>`count(*)`.as('count'), sql<number>`min(created_at)`.as('first')])
    .where('message_id', 'in', messageIds)
    .groupBy(['message_id', 'emoji'])
    .execute();
  rows.sort((a, b) => Number(b.count) - Number(a.count) || Number(a.first) - Number(b.first));
  for (const row of rows) counts.set(row.message_id, [...(counts.get(row.message_id) ?? []), { emoji: row.emoji, count: Number(row.count) }]);
  return counts;
}

/** Rows to wire messages with their reaction counts. */
export async function toMessages(db: Executor, rows: MessagesTable[]): Promise<Message[]> {
  const counts = await reactionCounts(db, rows.filter((row) => row.deleted_at === null).map((row) => row.id));
  return rows.map((row) => toMessage(row, counts.get(row.id)));
}

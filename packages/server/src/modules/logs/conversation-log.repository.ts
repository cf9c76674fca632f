import type { ConversationEvent, ConversationEventOf, ConversationEventType } from '@parley/protocol';
import { type ConversationsTable, type Dialect, type Executor, preparedInsert, preparedQuery, type Tx } from '../../platform/db/index.ts';
import { iso } from '../../platform/time.ts';
import type { ChangeSet } from './changes.ts';
import { reactionCounts, toMessage } from './message-row.ts';

/**
 * Takes the next seq of a conversation's log. The UPDATE also row-locks the
 * conversation until the transaction ends, which is what makes seqs gap-free and
 * totally ordered: concurrent writers queue here, and a rollback returns the seq.
 * Returns null when the conversation does not exist.
 */
export async function takeNextSeq(trx: Tx, conversationId: string, now: number, lastMessageId?: string): Promise<number | null> {
  const row = await nextSeqQuery(trx, conversationId, now, lastMessageId).executeTakeFirst();
  return row ? row.last_seq : null;
}

/** `takeNextSeq` as a query, for a hot path that sends it with others in one round trip (`Database.runTogether`); no row: no conversation. */
export function nextSeqQuery(trx: Tx, conversationId: string, now: number, lastMessageId?: string) {
  return trx
    .updateTable('conversations')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', 1),
      last_activity_at: now,
      ...(lastMessageId === undefined ? {} : { last_message_id: lastMessageId }),
    }))
    .where('id', '=', conversationId)
    .returning('last_seq');
}

/** `nextSeqQuery` of a message (it becomes the conversation's last), compiled once per dialect for the send path. */
export const nextSeqStatement = preparedQuery((trx: Executor, conversationId: string, now: number, lastMessageId: string) => nextSeqQuery(trx as Tx, conversationId, now, lastMessageId));

const insertEvent = preparedInsert('conversation_events', ['conversation_id', 'seq', 'type', 'actor_id', 'message_id', 'data', 'created_at']);

/**
 * Locks the conversation row until the transaction ends: membership changes and sends
 * to one conversation are serialized, so a decision made under the lock stays true
 * until commit. It is the row lock `takeNextSeq` takes, without moving the seq. SQLite
 * has one writer at a time, which is already that lock.
 */
export async function lockConversation(trx: Tx, dialect: Dialect, id: string): Promise<ConversationsTable | undefined> {
  return lockConversationQuery(trx, dialect, id).executeTakeFirst();
}

/** `lockConversation` as a query, for a path that sends it with the reads it guards in one round trip (`Database.runTogether`); no row: no conversation. */
export function lockConversationQuery(trx: Tx, dialect: Dialect, id: string) {
  const query = trx.selectFrom('conversations').selectAll().where('id', '=', id);
  return dialect === 'postgres' ? query.forUpdate() : query;
}

export interface RecordEventInput<T extends ConversationEventType> {
  conversationId: string;
  seq: number;
  type: T;
  actorId: string | null;
  data: ConversationEventOf<T>['data'];
  now: number;
  /** For message events: the row holds only the id, the message is read from `messages`. */
  messageId?: string;
  subscribe?: readonly string[];
  unsubscribe?: readonly string[];
}

/**
 * Writes the event at a seq taken with `takeNextSeq` and queues it for publishing after
 * commit. Given the dialect, the insert is compiled once for it (the send path).
 */
export async function recordEvent<T extends ConversationEventType>(trx: Tx, changes: ChangeSet, input: RecordEventInput<T>, dialect?: Dialect): Promise<ConversationEventOf<T>> {
  const row = {
    conversation_id: input.conversationId,
    seq: input.seq,
    type: input.type,
    actor_id: input.actorId,
    message_id: input.messageId ?? null,
    data: input.messageId === undefined ? JSON.stringify(input.data) : '{}',
    created_at: input.now,
  };
  if (dialect) await trx.executeQuery(insertEvent(dialect, trx, row));
  else await trx.insertInto('conversation_events').values(row).execute();
  const event = {
    conversationId: input.conversationId,
    seq: input.seq,
    type: input.type,
    actorId: input.actorId,
    createdAt: iso(input.now),
    data: input.data,
  } as ConversationEventOf<T>;
  changes.conversationEvents.push({ event, subscribe: input.subscribe ?? [], unsubscribe: input.unsubscribe ?? [] });
  return event;
}

/** `takeNextSeq` + `recordEvent` for events that carry no message. */
export async function appendEvent<T extends Exclude<ConversationEventType, 'message.created' | 'message.edited' | 'message.deleted'>>(
  trx: Tx,
  changes: ChangeSet,
  input: Omit<RecordEventInput<T>, 'seq' | 'messageId'>,
): Promise<ConversationEventOf<T>> {
  const seq = await takeNextSeq(trx, input.conversationId, input.now);
  if (seq === null) throw new Error(`conversation ${input.conversationId} vanished inside its own transaction`);
  return recordEvent(trx, changes, { ...input, seq });
}

/** Events after `after`, in seq order; message events carry the message as it is now. */
export async function readEvents(db: Executor, conversationId: string, after: number, limit: number): Promise<ConversationEvent[]> {
  const rows = await db
    .selectFrom('conversation_events as e')
    .leftJoin('messages as m', 'm.id', 'e.message_id')
    .select([
      'e.conversation_id', 'e.seq', 'e.type', 'e.actor_id', 'e.message_id', 'e.data', 'e.created_at',
      'm.id as m_id', 'm.seq as m_seq', 'm.sender_id as m_sender_id', 'm.client_msg_id as m_client_msg_id',
      'm.text as m_text', 'm.reply_to as m_reply_to', 'm.created_at as m_created_at',
      'm.edited_at as m_edited_at', 'm.deleted_at as m_deleted_at', 'm.forwarded_from as m_forwarded_from', 'm.attachments as m_attachments', 'm.mentions as m_mentions',
    ])
    .where('e.conversation_id', '=', conversationId)
    .where('e.seq', '>', after)
    .orderBy('e.seq')
    .limit(limit)
    .execute();
  const counts = await reactionCounts(db, rows.filter((row) => row.m_id !== null && row.m_deleted_at === null).map((row) => row.m_id!));
  return rows.map((row) => {
    const data = row.m_id === null
      ? JSON.parse(row.data)
      : {
          message: toMessage({
            id: row.m_id,
            conversation_id: row.conversation_id,
            seq: row.m_seq!,
            sender_id: row.m_sender_id!,
            client_msg_id: row.m_client_msg_id!,
            text: row.m_text,
            reply_to: row.m_reply_to,
            created_at: row.m_created_at!,
            edited_at: row.m_edited_at,
            deleted_at: row.m_deleted_at,
            forwarded_from: row.m_forwarded_from,
            attachments: row.m_attachments ?? null,
            mentions: row.m_mentions ?? null,
          }, counts.get(row.m_id)),
        };
    return {
      conversationId: row.conversation_id,
      seq: row.seq,
      type: row.type,
      actorId: row.actor_id,
      createdAt: iso(row.created_at),
      data,
    } as ConversationEvent;
  });
}

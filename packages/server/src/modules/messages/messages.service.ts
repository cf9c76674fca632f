import type { Message, MessagesResponse } from '@parley/protocol';
import type { Database, MessagesTable } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { findMembershipFacts, membershipFacts } from '../conversations/index.ts';
import { recordEvent, takeNextSeq, toMessage, type UnitOfWork } from '../logs/index.ts';
import { authorize } from '../policy/index.ts';
import * as repo from './messages.repository.ts';

export interface MessagesDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  maxMessageLength: number;
}

export interface SendInput {
  clientMsgId: string;
  text: string;
  replyTo?: string | undefined;
}

export type MessagesService = ReturnType<typeof createMessagesService>;

/**
 * Thrown inside a transaction to roll it back (returning the seq it took) when the
 * request turns out to change nothing, carrying the answer out.
 */
class NoChange extends Error {
  readonly existing: MessagesTable;

  constructor(existing: MessagesTable) {
    super('no change');
    this.existing = existing;
  }
}

export function createMessagesService({ db, uow, clock, maxMessageLength }: MessagesDeps) {
  const kysely = db.kysely;

  function checkText(text: string): void {
    if (text.trim() === '') throw new AppError('validation_failed', 'Message text is empty.', [{ path: '/text', message: 'must contain more than white space' }]);
    // Counted in code points, as people count characters.
    let length = 0;
    for (const _ of text) if (++length > maxMessageLength) throw new AppError('validation_failed', `Message text is longer than ${maxMessageLength} characters.`, [{ path: '/text', message: `must not be longer than ${maxMessageLength} characters` }]);
  }

  async function rollbackOnNoChange(work: () => Promise<Message>): Promise<Message> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof NoChange) return toMessage(error.existing);
      throw error;
    }
  }

  return {
    /**
     * Appends a message at the conversation's next seq. Idempotent by (sender,
     * conversation, clientMsgId): a retry, even one racing the original, returns the
     * original message and writes nothing.
     */
    async send(actor: Actor, conversationId: string, input: SendInput): Promise<Message> {
      checkText(input.text);
      const known = await repo.findByClientId(kysely, conversationId, actor.userId, input.clientMsgId);
      if (known) return toMessage(known);
      return rollbackOnNoChange(() =>
        uow(async (trx, changes) => {
          const now = clock();
          const id = newId(now);
          // Taking the seq first locks the conversation: the checks below stay true until commit.
          const seq = await takeNextSeq(trx, conversationId, now, id);
          const facts = seq === null ? undefined : await findMembershipFacts(trx, conversationId, actor.userId);
          authorize(actor.userId, 'message.send', membershipFacts(facts));
          const raced = await repo.findByClientId(trx, conversationId, actor.userId, input.clientMsgId);
          if (raced) throw new NoChange(raced);
          if (input.replyTo !== undefined && !(await repo.findInConversation(trx, conversationId, input.replyTo))) {
            throw new AppError('not_found', 'The message replied to was not found.', { replyTo: input.replyTo });
          }
          const row: MessagesTable = {
            id,
            conversation_id: conversationId,
            seq: seq!,
            sender_id: actor.userId,
            client_msg_id: input.clientMsgId,
            text: input.text,
            reply_to: input.replyTo ?? null,
            created_at: now,
            edited_at: null,
            deleted_at: null,
          };
          await repo.insertMessage(trx, row);
          const message = toMessage(row);
          await recordEvent(trx, changes, { conversationId, seq: seq!, type: 'message.created', actorId: actor.userId, data: { message }, now, messageId: id });
          return message;
        }),
      );
    },

    async edit(actor: Actor, conversationId: string, messageId: string, text: string): Promise<Message> {
      checkText(text);
      return uow(async (trx, changes) => {
        const now = clock();
        const seq = await takeNextSeq(trx, conversationId, now);
        const facts = seq === null ? undefined : await findMembershipFacts(trx, conversationId, actor.userId);
        const row = facts ? await repo.findInConversation(trx, conversationId, messageId) : undefined;
        authorize(actor.userId, 'message.edit', { ...membershipFacts(facts), message: row ? { senderId: row.sender_id, deleted: row.deleted_at !== null } : null });
        const message = toMessage(await repo.updateMessage(trx, messageId, { text, edited_at: now }));
        await recordEvent(trx, changes, { conversationId, seq: seq!, type: 'message.edited', actorId: actor.userId, data: { message }, now, messageId });
        return message;
      });
    },

    /** Deletes for everyone: the text is gone from history and from the log; deleting twice is a no-op. */
    async delete(actor: Actor, conversationId: string, messageId: string): Promise<Message> {
      return rollbackOnNoChange(() =>
        uow(async (trx, changes) => {
          const now = clock();
          const seq = await takeNextSeq(trx, conversationId, now);
          const facts = seq === null ? undefined : await findMembershipFacts(trx, conversationId, actor.userId);
          const row = facts ? await repo.findInConversation(trx, conversationId, messageId) : undefined;
          authorize(actor.userId, 'message.delete', { ...membershipFacts(facts), message: row ? { senderId: row.sender_id, deleted: row.deleted_at !== null } : null });
          if (row!.deleted_at !== null) throw new NoChange(row!);
          const message = toMessage(await repo.updateMessage(trx, messageId, { text: null, deleted_at: now }));
          await recordEvent(trx, changes, { conversationId, seq: seq!, type: 'message.deleted', actorId: actor.userId, data: { message }, now, messageId });
          return message;
        }),
      );
    },

    async history(actor: Actor, conversationId: string, page: { before?: number | undefined; after?: number | undefined; limit?: number | undefined }): Promise<MessagesResponse> {
      const facts = await findMembershipFacts(kysely, conversationId, actor.userId);
      authorize(actor.userId, 'conversation.view', membershipFacts(facts));
      const { rows, hasMore } = await repo.pageMessages(kysely, conversationId, {
        ...(page.before !== undefined ? { before: page.before } : {}),
        ...(page.after !== undefined ? { after: page.after } : {}),
        limit: page.limit ?? 50,
      });
      return { messages: rows.map(toMessage), hasMore, lastSeq: facts!.last_seq };
    },
  };
}

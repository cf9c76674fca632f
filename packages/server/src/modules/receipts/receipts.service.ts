import type { MessageReceipts, ReceiptFrame } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import type { EphemeralPublisher } from '../../platform/ephemeral.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { access } from '../policy/index.ts';
import * as repo from './receipts.repository.ts';

export interface ReceiptsDeps {
  db: Database;
  ephemeral: EphemeralPublisher;
  clock: Clock;
  /** Groups up to this many members get live receipt frames and "read by" lists; larger ones counts only. */
  maxGroup: number;
}

/** "Read by" lists are cut at this many ids each (the counts are exact). */
const LIST_LIMIT = 1_000;

export type ReceiptsService = ReturnType<typeof createReceiptsService>;

/**
 * Delivery and read receipts as per-member pointers (`members.delivered_seq`,
 * `members.read_seq`), never as log entries: a read in a group of thousands writes one
 * row, not one event per reader. Clients report delivery in batches; pointer moves are
 * pushed live as ephemeral `receipt` frames in direct conversations and groups up to
 * `maxGroup` members; "read by" is read on request; channels count views only.
 */
export function createReceiptsService({ db, ephemeral, clock, maxGroup }: ReceiptsDeps) {
  const kysely = db.kysely;

  /** Who hears pointer moves live: never channels, never groups past the limit. */
  const isLive = (kind: string, memberCount: number) => kind === 'direct' || (kind === 'group' && memberCount <= maxGroup);

  /** The same check as reading the conversation: members only, and a non-member learns nothing. */
  async function requireMember(actor: Actor, conversationId: string): Promise<void> {
    await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
  }

  async function announce(userId: string, conversationId: string): Promise<void> {
    const row = await repo.findPointers(kysely, conversationId, userId);
    if (!row || !isLive(row.kind, row.member_count)) return;
    const frame: ReceiptFrame = {
      t: 'receipt',
      conversationId,
      userId,
      deliveredSeq: Math.max(row.delivered_seq ?? 0, row.read_seq),
      readSeq: row.read_seq,
    };
    ephemeral.toConversation(conversationId, frame, userId);
  }

  return {
    /**
     * "These seqs reached one of my devices", batched by the client. Conversations the
     * actor is not (or no longer) a member of are skipped, not refused: a batch written
     * before a leave must not fail the rest. Channels keep no delivery pointers (their
     * view counts come from read pointers).
     */
    async delivered(actor: Actor, items: ReadonlyArray<{ id: string; seq: number }>): Promise<void> {
      const highest = new Map<string, number>();
      for (const { id, seq } of items) highest.set(id, Math.max(seq, highest.get(id) ?? 0));
      for (const [conversationId, seq] of highest) {
        try {
          await requireMember(actor, conversationId);
        } catch (error) {
          if (isAppError(error, 'not_found') || isAppError(error, 'forbidden')) continue;
          throw error;
        }
        const row = await repo.findPointers(kysely, conversationId, actor.userId);
        if (!row || row.kind === 'channel') continue;
        const target = Math.min(seq, row.last_seq);
        if (target <= Math.max(row.delivered_seq ?? 0, row.read_seq)) continue;
        if (await repo.advanceDelivered(kysely, conversationId, actor.userId, target)) await announce(actor.userId, conversationId);
      }
    },

    /** After a read pointer moved (from the user's log, committed): tell the others live. */
    readMoved(userId: string, conversationId: string): void {
      announce(userId, conversationId).catch(() => {
        // Live receipts are an optimization; the pointers are in the summary and on request.
      });
    },

    /** Who got and read one message: lists for its sender where receipts are personal, counts otherwise. */
    async forMessage(actor: Actor, conversationId: string, messageId: string): Promise<MessageReceipts> {
      await requireMember(actor, conversationId);
      const message = await repo.findMessageSeq(kysely, conversationId, messageId);
      if (!message) throw new AppError('not_found', 'Message not found.');
      const shape = await repo.findPointers(kysely, conversationId, actor.userId);
      if (!shape) throw new AppError('not_found', 'Conversation not found.');
      const counts = await repo.receiptCounts(kysely, conversationId, message.sender_id, message.seq);
      // Who read what is the sender's to know (as in the apps people use), and only where
      // the group is small enough for names to mean something; channels show views.
      const lists = message.sender_id === actor.userId && isLive(shape.kind, shape.member_count)
        ? await repo.receiptLists(kysely, conversationId, message.sender_id, message.seq, LIST_LIMIT)
        : null;
      return {
        messageId,
        seq: message.seq,
        recipients: counts.recipients,
        readCount: counts.read,
        deliveredCount: counts.delivered,
        readBy: lists?.readBy ?? null,
        deliveredTo: lists?.deliveredTo ?? null,
      };
    },

    /** The other member's pointers in the actor's direct conversations (the rest is left out): what a reconnecting client missed. */
    async peerPointersOf(actor: Actor, conversationIds: readonly string[]) {
      const rows = await repo.directPeerPointers(kysely, actor.userId, conversationIds);
      return rows.map((row) => ({ conversationId: row.conversation_id, userId: row.user_id, deliveredSeq: Math.max(row.delivered_seq ?? 0, row.read_seq), readSeq: row.read_seq }));
    },
  };
}

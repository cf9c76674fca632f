import { Limits, type ConversationPrefs, type UpdatePrefsBody } from '@parley/protocol';
import type { Database, MembersTable, Tx } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { findMember, toPrefs, updateMember } from '../conversations/index.ts';
import { appendUserEvent, type ChangeSet, type UnitOfWork } from '../logs/index.ts';
import { access } from '../policy/index.ts';
import * as repo from './inbox.repository.ts';

export interface InboxDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
}

export type InboxService = ReturnType<typeof createInboxService>;

type Prefs = Pick<MembersTable, 'archived_at' | 'pinned_at' | 'marked_unread' | 'cleared_seq'>;

/**
 * Each member's own view of their conversations: archived, pinned, marked unread, and
 * messages deleted for themselves (one by one, or the whole history so far). Only the
 * member's devices see any of it: every change is an event in their user log, in the same
 * transaction, so every device converges; the conversation and the other members are
 * untouched. Only members have a view (anyone else gets not_found, like any conversation).
 */
export function createInboxService({ uow, clock }: InboxDeps) {
  /** Runs `change` on the member's view under the access door; appends the whole view to the user log when it changed. */
  async function changePrefs(actor: Actor, conversationId: string, change: (current: Prefs, trx: Tx, lastSeq: number) => Promise<Partial<Prefs>>): Promise<ConversationPrefs> {
    return uow(async (trx, changes: ChangeSet) => {
      const now = clock();
      const { membership } = await access(trx, actor.userId, conversationId, 'conversation.view', { now });
      const current = (await findMember(trx, conversationId, actor.userId))!;
      const patch = await change(current, trx, membership.last_seq);
      const changed = (Object.keys(patch) as Array<keyof Prefs>).filter((key) => (patch[key] ?? null) !== (current[key] ?? null));
      const next = { ...current, ...patch };
      if (changed.length === 0) return toPrefs(conversationId, current);
      await updateMember(trx, conversationId, actor.userId, Object.fromEntries(changed.map((key) => [key, patch[key]])));
      const prefs = toPrefs(conversationId, next);
      await appendUserEvent(trx, changes, { userId: actor.userId, type: 'conversation.prefs', data: prefs, now });
      return prefs;
    });
  }

  return {
    async updatePrefs(actor: Actor, conversationId: string, body: UpdatePrefsBody): Promise<ConversationPrefs> {
      return changePrefs(actor, conversationId, async (current, trx) => {
        const now = clock();
        const patch: Partial<Prefs> = {};
        if (body.archived !== undefined) patch.archived_at = body.archived ? (current.archived_at ?? now) : null;
        if (body.markedUnread !== undefined) patch.marked_unread = body.markedUnread ? 1 : 0;
        if (body.pinned !== undefined) {
          // Pinning again keeps its place; a new pin counts against the limit.
          patch.pinned_at = body.pinned ? (current.pinned_at ?? now) : null;
          if (body.pinned && current.pinned_at == null && (await repo.countPinned(trx, actor.userId)) >= Limits.pinnedConversationsMax) {
            throw new AppError('limit_exceeded', `At most ${Limits.pinnedConversationsMax} pinned conversations.`, { limit: Limits.pinnedConversationsMax });
          }
        }
        return patch;
      });
    },

    /** Hides everything up to the conversation's last seq now, for this member only. */
    async clearHistory(actor: Actor, conversationId: string): Promise<ConversationPrefs> {
      return changePrefs(actor, conversationId, async (current, _trx, lastSeq) => ({ cleared_seq: Math.max(current.cleared_seq ?? 0, lastSeq) }));
    },

    /** Hides messages of this conversation for this member only; ids of other conversations are left out. Idempotent. */
    async hideMessages(actor: Actor, conversationId: string, messageIds: readonly string[]): Promise<string[]> {
      return uow(async (trx, changes) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'conversation.view', { now });
        const present = await repo.messagesIn(trx, conversationId, messageIds);
        const added = await repo.hide(trx, actor.userId, conversationId, present, now);
        if (added.length > 0) await appendUserEvent(trx, changes, { userId: actor.userId, type: 'messages.hidden', data: { conversationId, messageIds: added }, now });
        return present;
      });
    },
  };
}

import type { ConversationPushSettings, ConversationPushSettingsBody, PushSettings, PushSettingsBody } from '@parley/protocol';
import type { Database, Tx } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { iso, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendUserEvent, type UnitOfWork } from '../logs/index.ts';
import { access } from '../policy/index.ts';
import * as repo from './push.repository.ts';

export interface PushServiceDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  /** How long after a message its recipients must still be offline to be notified. */
  onlineGraceMs: number;
  /** The VAPID public key browsers subscribe with; null when Web Push is off. */
  vapidPublicKey: string | null;
}

export type PushService = ReturnType<typeof createPushService>;

const DEFAULT_SETTINGS: PushSettings = { enabled: true, previews: true };

/** Users' notification choices, and the outbox entry a message makes. */
export function createPushService({ db, uow, clock, onlineGraceMs, vapidPublicKey }: PushServiceDeps) {
  const kysely = db.kysely;

  async function conversationDefault(actor: Actor, conversationId: string): Promise<{ kind: string; role: string }> {
    const { membership } = await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
    return { kind: membership.kind, role: membership.role };
  }

  return {
    /** The message's one outbox row, in its own transaction (see `PushEnqueue`), unless it could notify nobody (`insertOutboxStatement`). */
    async enqueue(trx: Tx, message: { conversationId: string; seq: number; messageId: string; senderId: string; now: number }): Promise<void> {
      const { conversationId, seq, messageId, senderId, now } = message;
      await trx.executeQuery(repo.insertOutboxStatement(db.dialect, trx, newId(now), conversationId, seq, messageId, senderId, now, now + onlineGraceMs));
    },

    vapidKey: () => ({ publicKey: vapidPublicKey }),

    async settings(actor: Actor): Promise<PushSettings> {
      const row = await repo.findSettings(kysely, actor.userId);
      return row ? { enabled: row.enabled === 1, previews: row.previews === 1 } : DEFAULT_SETTINGS;
    },

    async updateSettings(actor: Actor, body: PushSettingsBody): Promise<PushSettings> {
      return uow(async (trx, changes) => {
        const now = clock();
        const row = await repo.findSettings(trx, actor.userId);
        const current = row ? { enabled: row.enabled === 1, previews: row.previews === 1 } : DEFAULT_SETTINGS;
        const next = { enabled: body.enabled ?? current.enabled, previews: body.previews ?? current.previews };
        await repo.upsertSettings(trx, { user_id: actor.userId, enabled: next.enabled ? 1 : 0, previews: next.previews ? 1 : 0, updated_at: now });
        await appendUserEvent(trx, changes, { userId: actor.userId, type: 'push_settings.updated', data: next, now });
        return next;
      });
    },

    async conversationSettings(actor: Actor, conversationId: string): Promise<ConversationPushSettings> {
      const { kind, role } = await conversationDefault(actor, conversationId);
      const row = await repo.findConversationSettings(kysely, actor.userId, conversationId);
      if (row) return { mode: row.mode, mutedUntil: row.muted_until === null ? null : iso(row.muted_until) };
      return { mode: kind === 'channel' && role === 'subscriber' ? 'muted' : 'all', mutedUntil: null };
    },

    async updateConversationSettings(actor: Actor, conversationId: string, body: ConversationPushSettingsBody): Promise<ConversationPushSettings> {
      const mutedUntil = body.mutedUntil ?? null;
      if (mutedUntil !== null && body.mode !== 'muted') {
        throw new AppError('validation_failed', 'mutedUntil goes only with mode "muted".', [{ path: '/mutedUntil', message: 'only with mode "muted"' }]);
      }
      return uow(async (trx, changes) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'conversation.view', { now });
        const until = mutedUntil === null ? null : Date.parse(mutedUntil);
        await repo.upsertConversationSettings(trx, { user_id: actor.userId, conversation_id: conversationId, mode: body.mode, muted_until: until, updated_at: now });
        const settings = { mode: body.mode, mutedUntil: until === null ? null : iso(until) };
        await appendUserEvent(trx, changes, { userId: actor.userId, type: 'conversation_push.updated', data: { conversationId, ...settings }, now });
        return settings;
      });
    },
  };
}

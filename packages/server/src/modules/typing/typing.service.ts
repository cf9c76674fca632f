import type { TypingFrame } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import type { EphemeralPublisher } from '../../platform/ephemeral.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { access } from '../policy/index.ts';

export interface TypingDeps {
  db: Database;
  ephemeral: EphemeralPublisher;
  clock: Clock;
  /** How long a typing indicator lives without a renewal (the frame says so; clients expire it). */
  ttlMs: number;
  /** At most one "typing" per user and conversation is forwarded per interval. */
  throttleMs: number;
}

/** Throttle entries kept per node; the oldest go first (a forgotten entry only lets one more frame through). */
const MAX_TRACKED = 50_000;

export type TypingService = ReturnType<typeof createTypingService>;

/**
 * Typing indicators: nothing is stored, nothing enters a log. A frame goes through the
 * broker to the conversation's topic, so only members with a session subscribed to it —
 * the members online — receive it, on whichever node. It carries its own lifetime, so it
 * stops on its own when renewals stop (a closed laptop never sends "stopped"). Channels
 * never fan typing out. The throttle is per node: a user typing on two nodes at once
 * may be forwarded twice per interval, which is harmless.
 */
export function createTypingService({ db, ephemeral, clock, ttlMs, throttleMs }: TypingDeps) {
  /** `user conversation` -> when its last "typing" was forwarded. */
  const lastForwarded = new Map<string, number>();

  function remember(key: string, now: number): void {
    lastForwarded.delete(key);
    lastForwarded.set(key, now);
    if (lastForwarded.size > MAX_TRACKED) {
      for (const oldest of lastForwarded.keys()) {
        lastForwarded.delete(oldest);
        if (lastForwarded.size <= MAX_TRACKED * 0.9) break;
      }
    }
  }

  return {
    /** Forwards "typing" (or "stopped"); answers without error when throttled, ignored or in a channel. */
    async typing(actor: Actor, conversationId: string, typing: boolean): Promise<void> {
      const key = `${actor.userId} ${conversationId}`;
      const now = clock();
      const last = lastForwarded.get(key);
      // Throttled before any I/O: a client typing fast costs a map lookup, not a query.
      if (typing && last !== undefined && now - last < throttleMs) return;
      // A stop matters only if a start went out recently.
      if (!typing && (last === undefined || now - last >= ttlMs)) return;
      const { membership } = await access(db.kysely, actor.userId, conversationId, 'conversation.view', { now });
      if (membership.kind === 'channel') return;
      if (typing) remember(key, now);
      else lastForwarded.delete(key);
      const frame: TypingFrame = { t: 'typing', conversationId, userId: actor.userId, typing, expiresInMs: typing ? ttlMs : 0 };
      ephemeral.toConversation(conversationId, frame, actor.userId);
    },
  };
}

import type { ClientFrameOf, EventsResponse, HeadsResponse, SyncAck, SyncConversationResult, SyncUserResult, UserEventsResponse } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import type { Actor } from '../auth/index.ts';
import type { MembershipSnapshot } from '../conversations/index.ts';
import { readEvents, readUserEvents, userLogHead } from '../logs/index.ts';
import { access } from '../policy/index.ts';

export interface SyncDeps {
  db: Database;
  /** The user's log head and memberships, as one consistent read (batched across connects). */
  membershipOf(userId: string): Promise<MembershipSnapshot>;
  /** A client further behind than this is told to reset rather than replay. */
  resetThreshold: number;
}

/** Events per conversation, and in all, that one `sync` answer carries; the client pages on with `events`. */
const SYNC_EVENTS_PER_CONVERSATION = 100;
const SYNC_EVENTS_TOTAL = 2_000;
const DEFAULT_PAGE = 100;

export type SyncService = ReturnType<typeof createSyncService>;

/**
 * Reading the logs: the source of truth for delivery, catch-up and resume. Live
 * delivery only saves the client a round trip; everything it carries is here.
 */
export function createSyncService({ db, membershipOf, resetThreshold }: SyncDeps) {
  const kysely = db.kysely;

  async function userPart(actor: Actor, after: number): Promise<SyncUserResult> {
    const head = await userLogHead(kysely, actor.userId);
    if (after > head || head - after > resetThreshold) return { events: [], lastSeq: head, hasMore: false, reset: true };
    const events = after === head ? [] : await readUserEvents(kysely, actor.userId, after, DEFAULT_PAGE * 5);
    return { events, lastSeq: head, hasMore: (events.at(-1)?.seq ?? after) < head, reset: false };
  }

  return {
    async events(actor: Actor, conversationId: string, after: number, limit = DEFAULT_PAGE): Promise<EventsResponse> {
      const { membership } = await access(kysely, actor.userId, conversationId, 'conversation.view', { now: Date.now() });
      const events = await readEvents(kysely, conversationId, after, limit);
      const lastSeq = Math.max(membership.last_seq, events.at(-1)?.seq ?? 0);
      return { events, lastSeq, hasMore: (events.at(-1)?.seq ?? after) < lastSeq };
    },

    async userEvents(actor: Actor, after: number, limit = DEFAULT_PAGE): Promise<UserEventsResponse> {
      const head = await userLogHead(kysely, actor.userId);
      const events = await readUserEvents(kysely, actor.userId, after, limit);
      const lastSeq = Math.max(head, events.at(-1)?.seq ?? 0);
      return { events, lastSeq, hasMore: (events.at(-1)?.seq ?? after) < lastSeq };
    },

    /** Where every log of the user ends; a reconnecting client compares these with what it holds. */
    async heads(actor: Actor): Promise<HeadsResponse> {
      const snapshot = await membershipOf(actor.userId);
      return { userSeq: snapshot.userSeq, conversations: snapshot.conversations };
    },

    /**
     * Resume: for every conversation the client names, what it missed (or a definite
     * reset / gone answer), and optionally its own log after `userSeq`. Conversations the
     * client is up to date with are left out of the answer.
     */
    async sync(actor: Actor, request: Pick<ClientFrameOf<'sync'>, 'userSeq' | 'conversations'>): Promise<SyncAck> {
      const user = request.userSeq === undefined ? null : await userPart(actor, request.userSeq);
      const snapshot = await membershipOf(actor.userId);
      const heads = new Map(snapshot.conversations.map((c) => [c.id, c.lastSeq]));
      const results: SyncConversationResult[] = [];
      let budget = SYNC_EVENTS_TOTAL;
      for (const { id, after } of request.conversations) {
        const lastSeq = heads.get(id);
        if (lastSeq === undefined) {
          results.push({ id, lastSeq: 0, events: [], hasMore: false, reset: false, gone: true });
        } else if (after > lastSeq || lastSeq - after > resetThreshold) {
          results.push({ id, lastSeq, events: [], hasMore: false, reset: true, gone: false });
        } else if (after < lastSeq) {
          const limit = Math.min(SYNC_EVENTS_PER_CONVERSATION, budget);
          const events = limit > 0 ? await readEvents(kysely, id, after, limit) : [];
          budget -= events.length;
          const reached = events.at(-1)?.seq ?? after;
          results.push({ id, lastSeq: Math.max(lastSeq, reached), events, hasMore: reached < lastSeq, reset: false, gone: false });
        }
      }
      return { user, conversations: results };
    },
  };
}


import type { ClientFrameOf, ConversationEvent, EventsResponse, HeadsResponse, SyncAck, SyncConversationResult, SyncUserResult, UserEventsResponse } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import { withinBytes } from '../../platform/page-budget.ts';
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
  /** Serialized size of one page (and of one `sync` answer's events); past it the page stops, `hasMore` stays true. */
  pageMaxBytes: number;
}

/** Events per conversation, and in all, that one `sync` answer carries; the client pages on with `events`. */
const SYNC_EVENTS_PER_CONVERSATION = 100;
const SYNC_EVENTS_TOTAL = 2_000;
/** Conversations per page of heads. */
const HEADS_PAGE = 500;
const DEFAULT_PAGE = 100;
/** Events read from the database at a time while filling a page, so a page of large events is never loaded whole before it is cut. */
const READ_CHUNK = 100;

export type SyncService = ReturnType<typeof createSyncService>;

/**
 * Reading the logs: the source of truth for delivery, catch-up and resume. Live
 * delivery only saves the client a round trip; everything it carries is here.
 */
export function createSyncService({ db, membershipOf, resetThreshold, pageMaxBytes }: SyncDeps) {
  const kysely = db.kysely;

  /**
   * Up to `limit` events after `after`, cut to `maxBytes` of JSON (at least `atLeast`
   * events): read in chunks, so memory stays near the budget however large the events.
   */
  async function readPage(conversationId: string, after: number, limit: number, maxBytes: number, atLeast = 1): Promise<{ events: ConversationEvent[]; bytes: number }> {
    const events: ConversationEvent[] = [];
    let bytes = 0;
    let from = after;
    while (events.length < limit) {
      const want = Math.min(READ_CHUNK, limit - events.length);
      const chunk = await readEvents(kysely, conversationId, from, want);
      const cut = withinBytes(chunk, maxBytes - bytes, events.length === 0 ? atLeast : 0);
      events.push(...cut.kept);
      bytes += cut.bytes;
      if (cut.kept.length < chunk.length || chunk.length < want) break;
      from = chunk.at(-1)!.seq;
    }
    return { events, bytes };
  }

  async function userPart(actor: Actor, after: number): Promise<SyncUserResult> {
    const head = await userLogHead(kysely, actor.userId);
    if (after > head || head - after > resetThreshold) return { events: [], lastSeq: head, hasMore: false, reset: true };
    const events = after === head ? [] : await readUserEvents(kysely, actor.userId, after, DEFAULT_PAGE * 5);
    return { events, lastSeq: head, hasMore: (events.at(-1)?.seq ?? after) < head, reset: false };
  }

  return {
    async events(actor: Actor, conversationId: string, after: number, limit = DEFAULT_PAGE): Promise<EventsResponse> {
      const { membership } = await access(kysely, actor.userId, conversationId, 'conversation.view', { now: Date.now() });
      const { events } = await readPage(conversationId, after, limit, pageMaxBytes);
      const lastSeq = Math.max(membership.last_seq, events.at(-1)?.seq ?? 0);
      return { events, lastSeq, hasMore: (events.at(-1)?.seq ?? after) < lastSeq };
    },

    async userEvents(actor: Actor, after: number, limit = DEFAULT_PAGE): Promise<UserEventsResponse> {
      const head = await userLogHead(kysely, actor.userId);
      const events = await readUserEvents(kysely, actor.userId, after, limit);
      const lastSeq = Math.max(head, events.at(-1)?.seq ?? 0);
      return { events, lastSeq, hasMore: (events.at(-1)?.seq ?? after) < lastSeq };
    },

    /**
     * Where every log of the user ends, a page of conversations (in id order) at a time: a
     * reconnecting client compares these with what it holds. The answer stays small for a
     * user in very many conversations.
     */
    async heads(actor: Actor, page: { limit?: number | undefined; cursor?: string | undefined } = {}): Promise<HeadsResponse> {
      const snapshot = await membershipOf(actor.userId);
      const limit = page.limit ?? HEADS_PAGE;
      const after = page.cursor;
      const ordered = [...snapshot.conversations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const rest = after === undefined ? ordered : ordered.filter((head) => head.id > after);
      const conversations = rest.slice(0, limit);
      return { userSeq: snapshot.userSeq, conversations, nextCursor: rest.length > limit ? conversations.at(-1)!.id : null };
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
      let bytesLeft = pageMaxBytes;
      let first = true;
      for (const { id, after } of request.conversations) {
        const lastSeq = heads.get(id);
        if (lastSeq === undefined) {
          results.push({ id, lastSeq: 0, events: [], hasMore: false, reset: false, gone: true });
        } else if (after > lastSeq || lastSeq - after > resetThreshold) {
          results.push({ id, lastSeq, events: [], hasMore: false, reset: true, gone: false });
        } else if (after < lastSeq) {
          const limit = Math.min(SYNC_EVENTS_PER_CONVERSATION, budget);
          // The whole answer shares one byte budget; only its first conversation is sure of an event.
          const { events, bytes } = limit > 0 && (bytesLeft > 0 || first) ? await readPage(id, after, limit, bytesLeft, first ? 1 : 0) : { events: [], bytes: 0 };
          if (events.length > 0) first = false;
          budget -= events.length;
          bytesLeft -= bytes;
          const reached = events.at(-1)?.seq ?? after;
          results.push({ id, lastSeq: Math.max(lastSeq, reached), events, hasMore: reached < lastSeq, reset: false, gone: false });
        }
      }
      return { user, conversations: results };
    },
  };
}


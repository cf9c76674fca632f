import type { EventsResponse, Member, Message, MembersResponse, MessagesResponse } from '@parley/protocol';
import type { ChatStore } from './store.ts';

/** The reads history needs (`HttpApi`'s `messages`, `members` and `events`). */
export interface HistorySource {
  messages(conversationId: string, query: { before?: number; limit?: number }): Promise<MessagesResponse>;
  members(conversationId: string, query: { cursor?: string; limit?: number }): Promise<MembersResponse>;
  /** The log itself, for the timeline's notices (left out: no notices from history). */
  logEvents?(conversationId: string, query: { after?: number; limit?: number }): Promise<EventsResponse>;
}

const MEMBERS_PAGE = 500;
/** Log pages read per history page for its notices at most (beyond that, a busy stretch shows fewer notices). */
const NOTICE_PAGES = 4;
const EVENTS_PAGE = 500;

/**
 * Loads what the app asks to see (pages of messages, the member list) into the store.
 * Not part of any log: the sync engine keeps loaded pages current with events and asks
 * for them again after a reset.
 */
export class HistoryLoader {
  private readonly source: HistorySource;
  private readonly store: ChatStore;

  constructor(source: HistorySource, store: ChatStore) {
    this.source = source;
    this.store = store;
  }

  /** The latest page of messages, merged into what is loaded. */
  async latest(conversationId: string, limit = 50): Promise<Message[]> {
    const page = await this.source.messages(conversationId, { limit });
    this.store.putMessages(conversationId, page.messages, page.hasMore, page.myReactions);
    const upTo = this.store.get(conversationId)?.summary.lastSeq ?? 0;
    await this.notices(conversationId, page.hasMore ? (page.messages[0]?.seq ?? upTo) : 0, upTo);
    return page.messages;
  }

  /** The timeline's notices between two seqs (both included), from the log. Failures only cost notices. */
  private async notices(conversationId: string, from: number, to: number): Promise<void> {
    if (!this.source.logEvents || to < from) return;
    try {
      let after = Math.max(0, from - 1);
      for (let pages = 0; pages < NOTICE_PAGES && after < to; pages++) {
        const answer = await this.source.logEvents(conversationId, { after, limit: Math.min(EVENTS_PAGE, to - after) });
        this.store.putNotices(conversationId, answer.events.filter((event) => event.seq <= to));
        const last = answer.events.at(-1)?.seq;
        if (!answer.hasMore || last === undefined) break;
        after = last;
      }
    } catch {
      // Notices are decoration: the messages are loaded either way.
    }
  }

  /** The page before the oldest loaded message (the latest when none is loaded). */
  async older(conversationId: string, limit = 50): Promise<Message[]> {
    const first = this.store.get(conversationId)?.messages?.[0];
    if (!first) return this.latest(conversationId, limit);
    const page = await this.source.messages(conversationId, { before: first.seq, limit });
    this.store.putMessages(conversationId, page.messages, page.hasMore, page.myReactions);
    await this.notices(conversationId, page.hasMore ? (page.messages[0]?.seq ?? first.seq) : 0, first.seq - 1);
    return page.messages;
  }

  /** Every member, replacing what is loaded (all pages first, so the list never shows half). */
  async members(conversationId: string): Promise<void> {
    const members: Member[] = [];
    let cursor: string | undefined;
    let scope: MembersResponse['scope'] = 'all';
    do {
      const page = await this.source.members(conversationId, { limit: MEMBERS_PAGE, ...(cursor ? { cursor } : {}) });
      members.push(...page.members);
      // An older server does not say: it lists everyone.
      scope = page.scope ?? 'all';
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    this.store.putMembers(conversationId, members, true, scope);
  }
}

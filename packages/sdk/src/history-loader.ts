import type { Member, Message, MembersResponse, MessagesResponse } from '@parley/protocol';
import type { ChatStore } from './store.ts';

/** The reads history needs (`HttpApi` fits). */
export interface HistorySource {
  messages(conversationId: string, query: { before?: number; limit?: number }): Promise<MessagesResponse>;
  members(conversationId: string, query: { cursor?: string; limit?: number }): Promise<MembersResponse>;
}

const MEMBERS_PAGE = 500;

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
    return page.messages;
  }

  /** The page before the oldest loaded message (the latest when none is loaded). */
  async older(conversationId: string, limit = 50): Promise<Message[]> {
    const first = this.store.get(conversationId)?.messages?.[0];
    if (!first) return this.latest(conversationId, limit);
    const page = await this.source.messages(conversationId, { before: first.seq, limit });
    this.store.putMessages(conversationId, page.messages, page.hasMore, page.myReactions);
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

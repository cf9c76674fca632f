import type {
  Conversation, ConversationEvent, ConversationListResponse, EventsResponse, HeadsResponse, Member, MembersResponse, Message, MessagesResponse, SyncAck,
  SyncConversationResult, UserEvent, UserEventsResponse,
} from '@parley/protocol';
import { ParleyError } from '../../src/errors.ts';
import type { HistorySource } from '../../src/history-loader.ts';
import type { SyncRequest, SyncTransport } from '../../src/sync-engine.ts';

export const ME = 'me';
const T0 = '2025-01-01T00:00:00.000Z';

interface ServerConversation {
  summary: Omit<Conversation, 'lastSeq' | 'readSeq' | 'unreadCount' | 'lastMessage'>;
  log: ConversationEvent[];
  messages: Map<string, Message>;
  readSeq: number;
  member: boolean;
}

/**
 * An in-memory stand-in for the server's side of sync, with the same rules: gap-free
 * logs, summaries computed from the current state (unread = messages from others after
 * the read pointer, not deleted), `sync` answering events, `reset` past a threshold or
 * `gone`. Every call is recorded so tests can say what was fetched, and `connected` is
 * a switch.
 */
export class FakeServer implements SyncTransport, HistorySource {
  open = true;
  /** `sync` answers `reset` for a conversation more than this many events behind. */
  resetThreshold = Number.POSITIVE_INFINITY;
  /** `sync` answers `reset` for the user's log more than this many events behind. */
  userResetThreshold = Number.POSITIVE_INFINITY;
  /** Events per conversation in one `sync` answer. */
  syncPage = 100;
  readonly calls: string[] = [];
  readonly syncRequests: SyncRequest[] = [];
  readonly userLog: UserEvent[] = [];
  private readonly rooms = new Map<string, ServerConversation>();
  private clock = 0;

  // --- building the server's state (what other users and devices did) ----------------

  /** A conversation with one event (`conversation.created`); `member: false` keeps the user out of it. */
  createConversation(id: string, options: { kind?: Conversation['kind']; member?: boolean } = {}): Conversation {
    const kind = options.kind ?? 'group';
    this.rooms.set(id, {
      summary: {
        id, kind, visibility: 'private', handle: null, title: id, description: null,
        settings: { memberRights: [], slowModeSec: 0, protectedContent: false, joinApproval: false },
        createdAt: T0, lastActivityAt: T0, memberCount: 2, role: 'member', rights: [], mutedUntil: null, peer: null, pinnedMessageIds: [], peerReceipts: null,
      },
      log: [], messages: new Map(), readSeq: 0, member: options.member ?? true,
    });
    this.append(id, 'conversation.created', { kind, visibility: 'private', title: id });
    return this.summaryOf(id);
  }

  /** Appends one event to a conversation's log and returns it (deliver it live with `engine.receive`, or not). */
  append<T extends ConversationEvent['type']>(conversationId: string, type: T, data: Extract<ConversationEvent, { type: T }>['data'], actorId: string | null = 'other'): ConversationEvent {
    const conversation = this.get(conversationId);
    const event = { conversationId, seq: conversation.log.length + 1, type, actorId, createdAt: this.now(), data } as ConversationEvent;
    conversation.log.push(event);
    return event;
  }

  /** A new message from `senderId`; the returned event is what the hub would push. */
  message(conversationId: string, senderId = 'other', text = 'hello'): ConversationEvent {
    const seq = this.get(conversationId).log.length + 1;
    const message: Message = {
      id: `${conversationId}-m${seq}`, conversationId, seq, senderId, clientMsgId: `c${seq}`, text, replyTo: null,
      createdAt: this.now(), editedAt: null, deletedAt: null, forwardedFrom: null, reactions: [], attachments: [], mentions: [],
    };
    this.get(conversationId).messages.set(message.id, message);
    return this.append(conversationId, 'message.created', { message: { ...message } }, senderId);
  }

  deleteMessage(conversationId: string, messageId: string): ConversationEvent {
    const message = this.get(conversationId).messages.get(messageId)!;
    message.text = null;
    message.deletedAt = this.now();
    return this.append(conversationId, 'message.deleted', { message: { ...message } }, message.senderId);
  }

  /** Another device of the user read up to `seq`: the read pointer moves and the user's log says so. */
  read(conversationId: string, seq: number): UserEvent {
    this.get(conversationId).readSeq = seq;
    return this.appendUser('read', { conversationId, seq });
  }

  /** The user is added to a conversation (it exists already) as of its current seq. */
  addMe(conversationId: string): UserEvent {
    const conversation = this.get(conversationId);
    conversation.member = true;
    return this.appendUser('conversation.added', { conversationId, seq: conversation.log.length });
  }

  removeMe(conversationId: string): UserEvent {
    const conversation = this.get(conversationId);
    conversation.member = false;
    return this.appendUser('conversation.removed', { conversationId, seq: conversation.log.length });
  }

  /** Membership changed without a word in the user's log (as if the conversation were deleted): only `sync` and reads tell. */
  setMember(conversationId: string, member: boolean): void {
    this.get(conversationId).member = member;
  }

  appendUser<T extends UserEvent['type']>(type: T, data: Extract<UserEvent, { type: T }>['data']): UserEvent {
    const event = { seq: this.userLog.length + 1, type, createdAt: this.now(), data } as UserEvent;
    this.userLog.push(event);
    return event;
  }

  /** What `GET /v1/conversations/:id` would answer now. */
  summaryOf(conversationId: string): Conversation {
    const conversation = this.get(conversationId);
    const messages = [...conversation.messages.values()];
    const unreadCount = messages.filter((m) => m.senderId !== ME && m.seq > conversation.readSeq && m.deletedAt === null).length;
    const lastMessage = messages.at(-1) ?? null;
    return structuredClone({
      ...conversation.summary, lastSeq: conversation.log.length, readSeq: conversation.readSeq, unreadCount, lastMessage: lastMessage ? { ...lastMessage } : null,
    });
  }

  // --- SyncTransport ---------------------------------------------------------------------

  connected(): boolean {
    return this.open;
  }

  async heads(): Promise<HeadsResponse> {
    this.calls.push('heads');
    return { userSeq: this.userLog.length, conversations: [], nextCursor: null };
  }

  async conversations(query: { cursor?: string; limit: number }): Promise<ConversationListResponse> {
    this.calls.push('conversations');
    const ids = [...this.rooms.keys()].filter((id) => this.rooms.get(id)!.member);
    const start = query.cursor ? Number(query.cursor) : 0;
    const page = ids.slice(start, start + query.limit).map((id) => this.summaryOf(id));
    return { conversations: page, nextCursor: start + query.limit < ids.length ? String(start + query.limit) : null, totalUnread: 0 };
  }

  async conversation(conversationId: string): Promise<Conversation> {
    this.calls.push(`conversation ${conversationId}`);
    if (!this.rooms.get(conversationId)?.member) throw new ParleyError('not_found', 'not found', 404);
    return this.summaryOf(conversationId);
  }

  async events(conversationId: string, after: number, limit: number): Promise<EventsResponse> {
    this.calls.push(`events ${conversationId} after ${after}`);
    if (!this.open) throw new ParleyError('disconnected', 'not connected');
    const conversation = this.rooms.get(conversationId);
    if (!conversation?.member) throw new ParleyError('not_found', 'not found', 404);
    const events = this.readLog(conversation, after, limit);
    return { events, lastSeq: conversation.log.length, hasMore: after + events.length < conversation.log.length };
  }

  async userEvents(after: number, limit: number): Promise<UserEventsResponse> {
    this.calls.push(`userEvents after ${after}`);
    const events = structuredClone(this.userLog.slice(after, after + limit));
    return { events, lastSeq: this.userLog.length, hasMore: after + events.length < this.userLog.length };
  }

  async sync(request: SyncRequest): Promise<SyncAck> {
    this.calls.push('sync');
    this.syncRequests.push(structuredClone(request));
    if (!this.open) throw new ParleyError('disconnected', 'not connected');
    let user: SyncAck['user'] = null;
    if (request.userSeq !== undefined) {
      const behind = this.userLog.length - request.userSeq;
      user = behind > this.userResetThreshold
        ? { events: [], lastSeq: this.userLog.length, hasMore: false, reset: true }
        : { events: structuredClone(this.userLog.slice(request.userSeq, request.userSeq + this.syncPage)), lastSeq: this.userLog.length, hasMore: behind > this.syncPage, reset: false };
    }
    const conversations: SyncConversationResult[] = [];
    for (const { id, after } of request.conversations) {
      const conversation = this.rooms.get(id);
      const base = { id, events: [], hasMore: false, reset: false, gone: false };
      if (!conversation?.member) conversations.push({ ...base, lastSeq: 0, gone: true });
      else if (after === conversation.log.length) continue;
      else if (conversation.log.length - after > this.resetThreshold) conversations.push({ ...base, lastSeq: conversation.log.length, reset: true });
      else {
        const events = this.readLog(conversation, after, this.syncPage);
        conversations.push({ ...base, lastSeq: conversation.log.length, events, hasMore: after + events.length < conversation.log.length });
      }
    }
    return { user, conversations };
  }

  // --- HistorySource -----------------------------------------------------------------------

  async messages(conversationId: string, query: { before?: number; limit?: number }): Promise<MessagesResponse> {
    this.calls.push(`messages ${conversationId}`);
    const conversation = this.get(conversationId);
    const all = [...conversation.messages.values()].filter((m) => query.before === undefined || m.seq < query.before);
    const limit = query.limit ?? 50;
    return { messages: structuredClone(all.slice(-limit)), hasMore: all.length > limit, lastSeq: conversation.log.length, myReactions: {} };
  }

  async members(conversationId: string): Promise<MembersResponse> {
    this.calls.push(`members ${conversationId}`);
    const member = (userId: string): Member => ({ userId, role: 'member', rights: [], mutedUntil: null, joinedAt: T0, user: { id: userId, handle: userId, displayName: userId } });
    return { members: [member(ME), member('other')], nextCursor: null, scope: 'all', total: 2 };
  }

  private readLog(conversation: ServerConversation, after: number, limit: number): ConversationEvent[] {
    // Read from the log, messages show as they are now (as the server's log read joins the current row).
    return conversation.log.slice(after, after + limit).map((event) => {
      if (event.type !== 'message.created' && event.type !== 'message.edited' && event.type !== 'message.deleted') return structuredClone(event);
      const current = conversation.messages.get(event.data.message.id)!;
      return structuredClone({ ...event, data: { message: current } }) as ConversationEvent;
    });
  }

  private get(conversationId: string): ServerConversation {
    const conversation = this.rooms.get(conversationId);
    if (!conversation) throw new Error(`no conversation ${conversationId} in the fake server`);
    return conversation;
  }

  private now(): string {
    return new Date(Date.parse(T0) + ++this.clock * 1_000).toISOString();
  }
}

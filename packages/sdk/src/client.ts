import type { Device, MessageReceipts, Presence, PresencePrivacy, PushPlatform, ReceiptFrame, ReceiptPointers } from '@parley/protocol';
import { type LiveHost, LiveState, type MessageStatus } from './live.ts';
import type { AuthResponse, Conversation, ConversationEvent, LoginBody, Message, RegisterBody, SyncConversationResult, User, UserEvent } from '@parley/protocol';
import { Limits } from '@parley/protocol';
import { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import { HttpApi, type TokenSource } from './http.ts';
import { OrderedLog } from './ordered-log.ts';
import { RealtimeSocket, type SocketStatus, type WebSocketFactory } from './socket.ts';
import { ChatStore } from './store.ts';

/** Tokens of a built-in login; persist them (e.g. localStorage) to stay signed in across reloads. */
export interface Session {
  userId: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface ClientOptions {
  /** e.g. `https://chat.example.com`; the socket URL is derived from it. */
  baseUrl: string;
  /** A stored session of a built-in login. */
  session?: Session | null;
  /** Called whenever tokens change (login, refresh) or are gone (null). */
  onSession?: (session: Session | null) => void;
  /** For products with their own identity provider: returns a fresh token for Parley. */
  getToken?: () => Promise<string>;
  createWebSocket?: WebSocketFactory;
  fetch?: typeof fetch;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  requestTimeoutMs?: number;
  /** How long delivery reports are gathered before one goes out (default 1 s). */
  deliveryAckDelayMs?: number;
  /** While typing, `notifyTyping` sends a renewal at most this often (default 2 s). */
  typingIntervalMs?: number;
}

/**
 * - `offline`: not connected; will retry (or not started);
 * - `connecting`: opening or authenticating the socket;
 * - `syncing`: connected, catching up on what was missed;
 * - `live`: caught up; events arrive as they happen;
 * - `stopped`: signed out, or the server refused this session for good.
 */
export type ClientStatus = 'offline' | 'connecting' | 'syncing' | 'live' | 'stopped';

export interface ClientEvents extends Record<string, unknown[]> {
  /** Each conversation event exactly once, in seq order per conversation. */
  event: [ConversationEvent];
  /** Each event of your own log exactly once, in order. */
  userEvent: [UserEvent];
  /** The client was too far behind in a conversation: its state was reloaded from the server. */
  reset: [{ conversationId: string }];
  conversationAdded: [Conversation];
  conversationRemoved: [{ conversationId: string }];
  status: [ClientStatus];
  /** The session ended for good (signed out elsewhere, revoked, suspended, deleted). */
  stopped: [{ code: number; reason: string }];
  /** Something failed in the background (sync, catch-up); the client keeps going. */
  error: [ParleyError];
  /** Who is typing in a conversation changed (typing indicators expire on their own). */
  typing: [{ conversationId: string; userIds: string[] }];
  /** A user's presence changed (direct-conversation peers and users you subscribed to). */
  presence: [Presence];
  /** A member's delivered/read pointers moved (direct conversations and small groups). */
  receipt: [ReceiptFrame];
}

interface Tracked {
  log: OrderedLog<ConversationEvent>;
  catchingUp: Promise<void> | null;
}

const EVENTS_PAGE = Limits.eventsPageMax;
const SYNC_CHUNK = Limits.syncConversationsMax;

function newClientMsgId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The Parley client: HTTP API, realtime socket and a store an app can render from.
 * Events are applied per log in seq order, exactly once; a gap triggers a catch-up
 * from the log, a reconnect triggers `sync`, and a conversation too far behind is
 * reloaded. Sends are retried with the same client message id until acknowledged.
 */
export class ParleyClient extends Emitter<ClientEvents> {
  readonly http: HttpApi;
  readonly store = new ChatStore();
  status: ClientStatus = 'offline';
  private session: Session | null;
  private readonly options: ClientOptions;
  private readonly socket: RealtimeSocket;
  private readonly tracked = new Map<string, Tracked>();
  private userLog = new OrderedLog<UserEvent>(0);
  private userCatchingUp: Promise<void> | null = null;
  private renewing: Promise<string | null> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private started = false;
  private readonly summaryRefreshes = new Map<string, { dirty: boolean; done: Promise<void> }>();
  private readonly readyWaiters: Array<() => void> = [];
  /** Receipts, typing and presence (see live.ts). */
  private readonly live: LiveState;

  constructor(options: ClientOptions) {
    super();
    this.options = options;
    this.session = options.session ?? null;
    const tokens: TokenSource = {
      accessToken: () => (options.getToken ? this.externalToken : this.session?.accessToken ?? null),
      renew: () => this.renew(),
    };
    this.http = new HttpApi({ baseUrl: options.baseUrl, tokens, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.socket = new RealtimeSocket({
      url: `${options.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/ws`,
      tokens,
      ...(options.createWebSocket ? { createWebSocket: options.createWebSocket } : {}),
      ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
      ...(options.backoffMaxMs !== undefined ? { backoffMaxMs: options.backoffMaxMs } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    this.socket.on('status', (status) => this.onSocketStatus(status));
    this.live = new LiveState({
      isOpen: () => this.socket.isOpen,
      request: ((type: 'typing', payload: { conversationId: string; typing: boolean }) => this.socket.request(type, payload)) as LiveHost['request'],
      meId: () => this.store.me?.id ?? this.session?.userId ?? null,
      summary: (conversationId) => this.store.get(conversationId)?.summary,
      directPeers: () => this.store.list().flatMap((state) => (state.summary.kind === 'direct' && state.summary.peer ? [state.summary.peer.id] : [])),
      directConversations: () => this.store.list().flatMap((state) => (state.summary.kind === 'direct' ? [state.summary.id] : [])),
      emitTyping: (conversationId, userIds) => this.emit('typing', { conversationId, userIds }),
      emitPresence: (presence) => this.emit('presence', presence),
      emitReceipt: (receipt) => this.emit('receipt', receipt),
    }, {
      ...(options.deliveryAckDelayMs !== undefined ? { deliveryAckDelayMs: options.deliveryAckDelayMs } : {}),
      ...(options.typingIntervalMs !== undefined ? { typingIntervalMs: options.typingIntervalMs } : {}),
    });
    this.socket.on('ready', () => {
      void this.resync();
      this.live.onReady().catch((error) => this.reportError(error));
    });
    this.socket.on('push', (frame) => {
      if (frame.t === 'event') this.offerEvent(frame.event);
      else if (frame.t === 'user_event') this.offerUserEvent(frame.event);
      else if (frame.t === 'resync') void this.resync();
      else if (frame.t === 'typing') this.live.onTyping(frame);
      else if (frame.t === 'presence') this.live.onPresence(frame.presence);
      else if (frame.t === 'receipt') this.live.onReceipt(frame);
    });
    this.socket.on('stopped', (reason) => {
      this.setStatus('stopped');
      this.emit('stopped', reason);
    });
  }

  private externalToken: string | null = null;

  get me(): User | null {
    return this.store.me;
  }

  get signedIn(): boolean {
    return this.options.getToken !== undefined || this.session !== null;
  }

  // --- session -------------------------------------------------------------------------

  async register(body: RegisterBody): Promise<User> {
    return this.adopt(await this.http.register(body));
  }

  async login(body: LoginBody): Promise<User> {
    return this.adopt(await this.http.login(body));
  }

  /** Ends this device session on the server and forgets the tokens. */
  async logout(): Promise<void> {
    try {
      await this.http.logout();
    } finally {
      this.stop();
      this.setSession(null);
    }
  }

  private adopt(response: AuthResponse): User {
    this.setSession({ userId: response.user.id, accessToken: response.accessToken, refreshToken: response.refreshToken, sessionId: response.sessionId });
    this.store.me = response.user;
    return response.user;
  }

  private setSession(session: Session | null): void {
    this.session = session;
    this.options.onSession?.(session);
  }

  /** One renewal at a time, however many requests found the token expired. */
  private renew(): Promise<string | null> {
    this.renewing ??= (async () => {
      try {
        if (this.options.getToken) {
          this.externalToken = await this.options.getToken();
          return this.externalToken;
        }
        if (!this.session) return null;
        try {
          const response = await this.http.refresh(this.session.refreshToken);
          this.adopt(response);
          return response.accessToken;
        } catch (error) {
          if (error instanceof ParleyError && !error.retryable) {
            this.setSession(null);
            return null;
          }
          throw error;
        }
      } finally {
        this.renewing = null;
      }
    })();
    return this.renewing;
  }

  // --- lifecycle -------------------------------------------------------------------------

  /** Loads the conversation list and connects; resolves once the list is loaded. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      if (this.options.getToken && !this.externalToken) await this.renew();
      this.store.me = (await this.http.me()).user;
      await this.reloadAll();
    } catch (error) {
      this.started = false;
      throw error;
    }
    this.socket.start();
  }

  stop(): void {
    this.live.stop();
    this.started = false;
    this.socket.stop();
    this.setStatus('stopped');
  }

  /** Reconnect now instead of waiting out the backoff (e.g. on the browser's `online` event). */
  reconnectNow(): void {
    this.socket.nudge();
  }

  /** Resolves when the client is live (connected and caught up). */
  whenLive(): Promise<void> {
    if (this.status === 'live') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private setStatus(status: ClientStatus): void {
    if (this.status === status) return;
    this.status = status;
    if (status === 'live') for (const resolve of this.readyWaiters.splice(0)) resolve();
    this.emit('status', status);
  }

  private onSocketStatus(status: SocketStatus): void {
    if (status === 'connecting') this.setStatus('connecting');
    else if (status === 'waiting' || status === 'idle') this.setStatus('offline');
    else if (status === 'open') this.setStatus('syncing');
  }

  // --- conversations -------------------------------------------------------------------

  /** Every conversation, from scratch: the user-log position first, so nothing after it is missed. */
  private async reloadAll(): Promise<void> {
    const heads = await this.http.heads();
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.http.conversations({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const summary of page.conversations) {
        seen.add(summary.id);
        this.track(summary);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const id of [...this.tracked.keys()]) if (!seen.has(id)) this.untrack(id);
    this.userLog = new OrderedLog(heads.userSeq);
  }

  /**
   * Starts following a conversation from a summary (its lastSeq is where the log picks
   * up), or takes a fresher summary of one already followed. The log itself never jumps
   * here: events between what was applied and the summary still reach loaded messages
   * and members, so they are fetched (the store does not count them twice).
   */
  private track(summary: Conversation): void {
    const existing = this.tracked.get(summary.id);
    if (existing) {
      this.store.putSummary(summary);
    this.live.onSummary(summary);
      if (summary.lastSeq > existing.log.seq) void this.catchUp(summary.id);
      return;
    }
    this.tracked.set(summary.id, { log: new OrderedLog(summary.lastSeq), catchingUp: null });
    this.store.putSummary(summary);
    this.live.onSummary(summary);
    this.emit('conversationAdded', summary);
  }

  private untrack(conversationId: string): void {
    if (!this.tracked.delete(conversationId)) return;
    this.store.remove(conversationId);
    this.emit('conversationRemoved', { conversationId });
  }

  /**
   * Replaces the summary with a fresh one. A summary older than what was applied since
   * the request went out would roll state back, so it is fetched again; a request made
   * while one is running (a read pointer moved meanwhile) makes it run once more.
   */
  private refreshSummary(conversationId: string): Promise<void> {
    const running = this.summaryRefreshes.get(conversationId);
    if (running) {
      running.dirty = true;
      return running.done;
    }
    const entry = { dirty: true, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        while (entry.dirty) {
          entry.dirty = false;
          await this.fetchSummary(conversationId);
        }
      } finally {
        this.summaryRefreshes.delete(conversationId);
      }
    })();
    this.summaryRefreshes.set(conversationId, entry);
    return entry.done;
  }

  private async fetchSummary(conversationId: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let summary: Conversation;
      try {
        summary = (await this.http.conversation(conversationId)).conversation;
      } catch (error) {
        if (error instanceof ParleyError && error.code === 'not_found') this.untrack(conversationId);
        else this.reportError(error);
        return;
      }
      const tracked = this.tracked.get(conversationId);
      if (!tracked || summary.lastSeq >= tracked.log.seq) return this.track(summary);
    }
  }

  /** Too far behind to replay: drop what is loaded, continue from a fresh summary, reload what the app had open. */
  private async resetConversation(conversationId: string): Promise<void> {
    const state = this.store.get(conversationId);
    const hadMessages = state !== undefined && state.messages !== null;
    const hadMembers = state !== undefined && state.members !== null;
    let summary: Conversation;
    try {
      summary = (await this.http.conversation(conversationId)).conversation;
    } catch (error) {
      if (error instanceof ParleyError && error.code === 'not_found') return this.untrack(conversationId);
      throw error;
    }
    const tracked = this.tracked.get(conversationId);
    if (!tracked) return this.track(summary);
    this.store.clearDetails(conversationId);
    this.store.putSummary(summary);
    this.live.onSummary(summary);
    this.emit('reset', { conversationId });
    for (const event of tracked.log.resetTo(summary.lastSeq)) this.apply(event);
    if (hadMessages) await this.loadMessages(conversationId).catch((error) => this.reportError(error));
    if (hadMembers) await this.loadMembers(conversationId).catch((error) => this.reportError(error));
  }

  // --- event application ---------------------------------------------------------------

  private offerEvent(event: ConversationEvent): void {
    const tracked = this.tracked.get(event.conversationId);
    if (!tracked) {
      // A conversation we do not follow yet (we were just added): fetch it; this event is in its summary or after.
      void this.refreshSummary(event.conversationId);
      return;
    }
    for (const ready of tracked.log.offer(event)) this.apply(ready);
    if (tracked.log.hasGap) void this.catchUp(event.conversationId);
  }

  private apply(event: ConversationEvent): void {
    if (this.store.applyEvent(event)) void this.refreshSummary(event.conversationId);
    this.emit('event', event);
    this.live.onEvent(event);
    const state = this.store.get(event.conversationId);
    // New members arrive as bare ids; fetch their profiles when the app shows members.
    if (event.type === 'members.added' && state?.members) void this.loadMembers(event.conversationId).catch((error) => this.reportError(error));
  }

  /** Fetches the conversation's log from where we are until the gap is closed. */
  private catchUp(conversationId: string): Promise<void> {
    const tracked = this.tracked.get(conversationId);
    if (!tracked) return Promise.resolve();
    tracked.catchingUp ??= (async () => {
      try {
        for (;;) {
          const current = this.tracked.get(conversationId);
          if (current !== tracked) return;
          const page = this.socket.isOpen
            ? await this.socket.request('events', { conversationId, after: tracked.log.seq, limit: EVENTS_PAGE })
            : await this.http.events(conversationId, { after: tracked.log.seq, limit: EVENTS_PAGE });
          for (const event of page.events) for (const ready of tracked.log.offer(event)) this.apply(ready);
          if (!page.hasMore && !tracked.log.hasGap) return;
          if (page.events.length === 0) return;
        }
      } catch (error) {
        if (error instanceof ParleyError && error.code === 'not_found') this.untrack(conversationId);
        else this.reportError(error);
      } finally {
        tracked.catchingUp = null;
      }
    })();
    return tracked.catchingUp;
  }

  private offerUserEvent(event: UserEvent): void {
    for (const ready of this.userLog.offer(event)) this.applyUser(ready);
    if (this.userLog.hasGap) void this.catchUpUser();
  }

  private applyUser(event: UserEvent): void {
    if (event.type === 'conversation.added') {
      const tracked = this.tracked.get(event.data.conversationId);
      // Re-added after leaving, or new: the summary tells where its log continues.
      if (!tracked || tracked.log.seq < event.data.seq) void this.refreshSummary(event.data.conversationId);
    } else if (event.type === 'conversation.removed') {
      const tracked = this.tracked.get(event.data.conversationId);
      if (tracked) this.untrack(event.data.conversationId);
    } else {
      const refresh = this.store.applyUserEvent(event);
      if (refresh) void this.refreshSummary(refresh);
    }
    this.emit('userEvent', event);
  }

  private catchUpUser(): Promise<void> {
    this.userCatchingUp ??= (async () => {
      try {
        for (;;) {
          const page = this.socket.isOpen
            ? await this.socket.request('user_events', { after: this.userLog.seq, limit: EVENTS_PAGE })
            : await this.http.userEvents({ after: this.userLog.seq, limit: EVENTS_PAGE });
          for (const event of page.events) for (const ready of this.userLog.offer(event)) this.applyUser(ready);
          if ((!page.hasMore && !this.userLog.hasGap) || page.events.length === 0) return;
        }
      } catch (error) {
        this.reportError(error);
      } finally {
        this.userCatchingUp = null;
      }
    })();
    return this.userCatchingUp;
  }

  /** After every (re)connect: one `sync` per chunk of conversations, then page on where needed. */
  private resync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        try {
          await this.syncOnce();
          if (this.socket.isOpen && !this.syncAgain) this.setStatus('live');
        } catch (error) {
          // Disconnected mid-sync: the next `ready` starts over.
          if (!(error instanceof ParleyError && error.code === 'disconnected')) this.reportError(error);
        }
      } while (this.syncAgain && this.socket.isOpen);
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    this.setStatus('syncing');
    const ids = [...this.tracked.keys()];
    for (let offset = 0; offset === 0 || offset < ids.length; offset += SYNC_CHUNK) {
      const chunk = ids.slice(offset, offset + SYNC_CHUNK).filter((id) => this.tracked.has(id));
      const answer = await this.socket.request('sync', {
        ...(offset === 0 ? { userSeq: this.userLog.seq } : {}),
        conversations: chunk.map((id) => ({ id, after: this.tracked.get(id)!.log.seq })),
      });
      if (answer.user) {
        if (answer.user.reset) {
          await this.reloadAll();
        } else {
          for (const event of answer.user.events) for (const ready of this.userLog.offer(event)) this.applyUser(ready);
          if (answer.user.hasMore || this.userLog.hasGap) await this.catchUpUser();
        }
      }
      await Promise.all(answer.conversations.map((result) => this.applySyncResult(result)));
    }
  }

  private async applySyncResult(result: SyncConversationResult): Promise<void> {
    if (result.gone) return this.untrack(result.id);
    if (result.reset) return this.resetConversation(result.id);
    const tracked = this.tracked.get(result.id);
    if (!tracked) return;
    for (const event of result.events) for (const ready of tracked.log.offer(event)) this.apply(ready);
    if (result.hasMore || tracked.log.hasGap || tracked.log.seq < result.lastSeq) await this.catchUp(result.id);
  }

  private reportError(error: unknown): void {
    this.emit('error', error instanceof ParleyError ? error : new ParleyError('internal', String((error as Error)?.message ?? error)));
  }

  // --- actions -------------------------------------------------------------------------

  /** Starts (or finds) the direct conversation with a user and follows it. */
  async createDirect(userId: string): Promise<Conversation> {
    const { conversation } = await this.http.createConversation({ kind: 'direct', userId });
    this.track(conversation);
    return conversation;
  }

  async createGroup(title: string, memberIds: string[]): Promise<Conversation> {
    const { conversation } = await this.http.createConversation({ kind: 'group', title, memberIds });
    this.track(conversation);
    return conversation;
  }

  async createChannel(title: string, options: { handle?: string; description?: string; memberIds?: string[] } = {}): Promise<Conversation> {
    const { conversation } = await this.http.createConversation({
      kind: 'channel', title, ...(options.handle ? { handle: options.handle, visibility: 'public' as const } : {}),
      ...(options.description ? { description: options.description } : {}), ...(options.memberIds ? { memberIds: options.memberIds } : {}),
    });
    this.track(conversation);
    return conversation;
  }

  /** Joins a public group or channel by handle; null while an admin must approve. */
  async joinByHandle(handle: string): Promise<Conversation | null> {
    const { conversation: preview } = await this.http.conversationByHandle(handle);
    return this.followJoin(await this.http.join(preview.id));
  }

  /** Joins through an invite code; null while an admin must approve. */
  async joinByInvite(code: string): Promise<Conversation | null> {
    return this.followJoin(await this.http.joinByInvite(code));
  }

  private followJoin(result: { status: 'joined' | 'pending'; conversation: Conversation | null }): Conversation | null {
    if (result.conversation) this.track(result.conversation);
    return result.conversation;
  }

  /** Loads the latest page of history into the store. */
  async loadMessages(conversationId: string, limit = 50): Promise<Message[]> {
    const page = await this.http.messages(conversationId, { limit });
    this.store.putMessages(conversationId, page.messages, page.hasMore, page.myReactions);
    return page.messages;
  }

  /** Loads the page before the oldest loaded message. */
  async loadOlder(conversationId: string, limit = 50): Promise<Message[]> {
    const first = this.store.get(conversationId)?.messages?.[0];
    if (!first) return this.loadMessages(conversationId, limit);
    const page = await this.http.messages(conversationId, { before: first.seq, limit });
    this.store.putMessages(conversationId, page.messages, page.hasMore, page.myReactions);
    return page.messages;
  }

  async loadMembers(conversationId: string): Promise<void> {
    const members = [];
    let cursor: string | undefined;
    do {
      const page = await this.http.members(conversationId, { limit: 500, ...(cursor ? { cursor } : {}) });
      members.push(...page.members);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    this.store.putMembers(conversationId, members, true);
  }

  /**
   * Sends a message: shown as pending at once, sent over the socket when connected
   * (HTTP otherwise), retried with the same client message id through disconnects until
   * the server acknowledges it, so it is stored exactly once.
   */
  async sendMessage(conversationId: string, text: string, options: { replyTo?: string; clientMsgId?: string } = {}): Promise<Message> {
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    this.store.addPending(conversationId, { clientMsgId, text, replyTo: options.replyTo ?? null, createdAt: new Date().toISOString(), error: null });
    const input = { clientMsgId, text, ...(options.replyTo ? { replyTo: options.replyTo } : {}) };
    try {
      const message = await this.retrying(async () =>
        this.socket.isOpen
          ? (await this.socket.request('send', { conversationId, ...input })).message
          : (await this.http.sendMessage(conversationId, input)).message,
      );
      this.store.settlePending(conversationId, clientMsgId, { message });
      return message;
    } catch (error) {
      this.store.settlePending(conversationId, clientMsgId, { error: (error as Error).message });
      throw error;
    }
  }

  async editMessage(conversationId: string, messageId: string, text: string): Promise<Message> {
    return this.retrying(async () =>
      this.socket.isOpen
        ? (await this.socket.request('edit', { conversationId, messageId, text })).message
        : (await this.http.editMessage(conversationId, messageId, text)).message,
    );
  }

  async deleteMessage(conversationId: string, messageId: string): Promise<Message> {
    return this.retrying(async () =>
      this.socket.isOpen
        ? (await this.socket.request('delete', { conversationId, messageId })).message
        : (await this.http.deleteMessage(conversationId, messageId)).message,
    );
  }

  /** Marks read up to `seq` (default: everything); all your devices follow. */
  async markRead(conversationId: string, seq?: number): Promise<void> {
    const upTo = seq ?? this.store.get(conversationId)?.summary.lastSeq ?? 0;
    const result = await this.retrying(() => (this.socket.isOpen ? this.socket.request('read', { conversationId, seq: upTo }) : this.http.markRead(conversationId, upTo)));
    const state = this.store.get(conversationId);
    // Only the server can count what is left unread: take a fresh summary.
    if (state && result.readSeq >= state.summary.readSeq) await this.refreshSummary(conversationId);
  }

  /** Retries retryable failures (disconnects, timeouts, overload) with backoff while the client runs. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ParleyError) || !error.retryable || (!this.started && tries > 0)) throw error;
        // A rate limit says when to come back; never sooner than that.
        const hinted = Number((error.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs ?? 0) || 0;
        await new Promise((resolve) => setTimeout(resolve, Math.max(hinted, Math.min(5_000, 200 * 2 ** Math.min(tries, 5)) * (0.5 + Math.random() / 2))));
      }
    }
  }

  // --- receipts, typing, presence, devices -------------------------------------------

  /** Users typing in a conversation right now (each indicator expires on its own). */
  typingIn(conversationId: string): string[] {
    return this.live.typingUsers(conversationId);
  }

  /** Call on every keystroke; renewals go out at most every `typingIntervalMs`. Never in channels. */
  notifyTyping(conversationId: string): void {
    if (this.store.get(conversationId)?.summary.kind === 'channel') return;
    this.live.notifyTyping(conversationId);
  }

  /** The message was sent or the field cleared: others stop seeing you type. */
  stopTyping(conversationId: string): void {
    this.live.stopTyping(conversationId);
  }

  /** Delivered/read pointers known per member (direct conversations and groups up to the server's limit). */
  receiptsOf(conversationId: string): Map<string, ReceiptPointers> {
    return this.live.receipts(conversationId);
  }

  /** sent / delivered / read for one of your messages. */
  messageStatus(conversationId: string, message: Pick<Message, 'seq' | 'senderId'>): MessageStatus {
    return this.live.messageStatus(conversationId, message);
  }

  /** Who received and read a message (lists for its sender where the conversation allows, counts otherwise). */
  async messageReceipts(conversationId: string, messageId: string): Promise<MessageReceipts> {
    return (await this.http.messageReceipts(conversationId, messageId)).receipts;
  }

  /** Sends delivery reports gathered so far now instead of after the batching delay. */
  flushDelivered(): void {
    this.live.flushAcks();
  }

  /** Last known presence (direct peers and subscribed users; undefined until known). */
  presenceOf(userId: string): Presence | undefined {
    return this.live.presenceOf(userId);
  }

  /** Follow users' presence (renewed after every reconnect); resolves with what is known now. */
  subscribePresence(userIds: string[]): Promise<Presence[]> {
    return this.live.subscribe(userIds);
  }

  unsubscribePresence(userIds: string[]): void {
    this.live.unsubscribe(userIds);
  }

  async setPresencePrivacy(privacy: PresencePrivacy): Promise<void> {
    await this.http.setPresencePrivacy(privacy);
  }

  async devices(): Promise<Device[]> {
    return (await this.http.devices()).devices;
  }

  /** Signs another device out (its sockets close with 4201 and its refresh token stops working). */
  async revokeDevice(sessionId: string): Promise<void> {
    await this.http.revokeDevice(sessionId);
  }

  async registerPushToken(platform: PushPlatform, token: string): Promise<void> {
    await this.http.setPushToken({ platform, token });
  }
}

import type {
  AckDataOf, AuthResponse, Call, CallJoinResponse, CallKind, CallMedia, CallRingStopFrame, CallSignal, CallSignalFrame, Conversation, ConversationEvent, ConversationPrefs, ConversationPushSettings, ConversationPushSettingsBody, ConversationSearchHit, DataExport, Device, FileInfo, JoinRequestFrame, LoginBody, Message, MessageReceipts, Presence, PresencePrivacy, PushPlatform,
  PushSettings, PushSettingsBody, ReceiptFrame, SearchMessagesQuery, SearchMessagesResponse, WebPushSubscriptionBody,
  ReceiptPointers, RegisterBody, UpdateMeBody, User, UserEvent,
} from '@parley/protocol';
import { CallRinger, type IncomingCall } from './calls.ts';
import { type Command, type CommandFrameType, routeCommand } from './command-route.ts';
import { Emitter } from './emitter.ts';
import { asParleyError, ParleyError } from './errors.ts';
import { HistoryLoader } from './history-loader.ts';
import { HttpApi, type TokenSource } from './http.ts';
import { type LiveHost, LiveState, type MessageStatus } from './live.ts';
import { retryRetryable } from './retry.ts';
import { RealtimeSocket, type SocketStatus, type WebSocketFactory } from './socket.ts';
import { ChatStore } from './store.ts';
import { type ConversationRemoved, SyncEngine } from './sync-engine.ts';
import { syncTransportOver } from './sync-transport.ts';
import { type UploadOptions, type UploadSource } from './upload.ts';

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
  /** From opening the socket to `ready`, before the attempt is retried (default 12 s). */
  connectTimeoutMs?: number;
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
  /**
   * People joined or left a large conversation, told in one coalesced notice instead of an
   * `event` each: the summary's `memberCount` is current; fetch a member list you show again.
   */
  membersChanged: [{ conversationId: string; memberCount: number }];
  conversationAdded: [Conversation];
  conversationRemoved: [ConversationRemoved];
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
  /** Someone you share a direct conversation or small group with changed their profile (the store has it already). */
  profile: [User];
  /** Requests to join a conversation you manage invites of changed: read the list again. */
  joinRequest: [JoinRequestFrame];
  /** A call rings on this device: show it (accept, decline) until `callRingStop` or `expiresAt`. */
  callRing: [IncomingCall];
  /** Stop ringing: answered or declined here or on another device, missed, or ended. */
  callRingStop: [Omit<CallRingStopFrame, 't'>];
  /** An offer, answer or ICE candidate from a peer of a call this device is in: hand it to its RTCPeerConnection. */
  callSignal: [CallSignalFrame];
}

/** How many of your messages in a group `loadReceipts` asks about at most. */
const RECEIPT_LOOKBACK = 5;

function newClientMsgId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The Parley client: HTTP API, realtime socket and a store an app can render from.
 * Events are applied per log in seq order, exactly once; a gap triggers a catch-up
 * from the log, a reconnect triggers `sync`, and a conversation too far behind is
 * reloaded (all of that is the `SyncEngine`'s job; this class wires it to the network
 * and offers the commands). Sends are retried with the same client message id until
 * acknowledged.
 */
export class ParleyClient extends Emitter<ClientEvents> {
  readonly http: HttpApi;
  readonly store = new ChatStore();
  status: ClientStatus = 'offline';
  private session: Session | null;
  private readonly options: ClientOptions;
  private readonly socket: RealtimeSocket;
  /** Ordered logs, gap catch-up, resync and resets (see sync-engine.ts). */
  private readonly sync: SyncEngine;
  private readonly history: HistoryLoader;
  private renewing: Promise<string | null> | null = null;
  private started = false;
  private readonly readyWaiters: Array<() => void> = [];
  /** Receipts, typing and presence (see live.ts). */
  private readonly live: LiveState;
  /** Calls ringing on this device (see calls.ts). */
  private readonly ringer: CallRinger;

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
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    });
    this.history = new HistoryLoader({ messages: this.http.messages, members: this.http.members, logEvents: this.http.events }, this.store);
    this.sync = new SyncEngine({ transport: syncTransportOver(this.socket, this.http), store: this.store, history: this.history });
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
    this.ringer = new CallRinger({
      fetchMine: async () => (await this.http.myCalls()).calls,
      meId: () => this.store.me?.id ?? this.session?.userId ?? null,
      emitRing: (incoming) => this.emit('callRing', incoming),
      emitRingStop: (stop) => this.emit('callRingStop', stop),
      emitSignal: (frame) => this.emit('callSignal', frame),
    });
    this.wireSync();
    this.socket.on('status', (status) => this.onSocketStatus(status));
    this.socket.on('ready', () => {
      void this.sync.resync();
      this.live.onReady().catch((error) => this.emit('error', asParleyError(error)));
      // Ring frames are not replayed: what rings now is asked for after every connect.
      this.ringer.refresh().catch((error) => this.emit('error', asParleyError(error)));
    });
    this.socket.on('push', (frame) => {
      if (frame.t === 'event' || frame.t === 'user_event' || frame.t === 'members_changed' || frame.t === 'resync') this.sync.receive(frame);
      else if (frame.t === 'typing') this.live.onTyping(frame);
      else if (frame.t === 'presence') this.live.onPresence(frame.presence);
      else if (frame.t === 'receipt') this.live.onReceipt(frame);
      else if (frame.t === 'profile') {
        this.store.putUser(frame.user);
        this.emit('profile', frame.user);
      } else if (frame.t === 'join_request') this.emit('joinRequest', frame);
      else if (frame.t === 'call_ring') this.ringer.onRing(frame);
      else if (frame.t === 'call_ring_stop') this.ringer.onRingStop(frame);
      else if (frame.t === 'call_signal') this.ringer.onSignal(frame);
    });
    this.socket.on('stopped', (reason) => {
      this.setStatus('stopped');
      this.emit('stopped', reason);
    });
  }

  /** The engine's news, passed on to the app; applied events and fresh summaries also feed receipts and typing. */
  private wireSync(): void {
    this.sync.on('event', (event) => {
      this.emit('event', event);
      this.live.onEvent(event);
    });
    this.sync.on('summary', (summary) => this.live.onSummary(summary));
    this.sync.on('userEvent', (event) => this.emit('userEvent', event));
    this.sync.on('reset', (reset) => this.emit('reset', reset));
    this.sync.on('membersChanged', (change) => this.emit('membersChanged', change));
    this.sync.on('conversationAdded', (summary) => this.emit('conversationAdded', summary));
    this.sync.on('conversationRemoved', (removed) => this.emit('conversationRemoved', removed));
    this.sync.on('error', (error) => this.emit('error', error));
    this.sync.on('progress', (progress) => this.setStatus(progress === 'caughtUp' ? 'live' : 'syncing'));
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
      await this.sync.loadAll();
    } catch (error) {
      this.started = false;
      throw error;
    }
    this.socket.start();
  }

  stop(): void {
    this.live.stop();
    this.ringer.clear();
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

  /** Starts (or finds) the direct conversation with a user and follows it. */
  async createDirect(userId: string): Promise<Conversation> {
    const { conversation } = await this.http.createConversation({ kind: 'direct', userId });
    this.sync.follow(conversation);
    return conversation;
  }

  async createGroup(title: string, memberIds: string[]): Promise<Conversation> {
    const { conversation } = await this.http.createConversation({ kind: 'group', title, memberIds });
    this.sync.follow(conversation);
    return conversation;
  }

  async createChannel(title: string, options: { handle?: string; description?: string; memberIds?: string[] } = {}): Promise<Conversation> {
    const { conversation } = await this.http.createConversation({
      kind: 'channel', title, ...(options.handle ? { handle: options.handle, visibility: 'public' as const } : {}),
      ...(options.description ? { description: options.description } : {}), ...(options.memberIds ? { memberIds: options.memberIds } : {}),
    });
    this.sync.follow(conversation);
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
    if (result.conversation) this.sync.follow(result.conversation);
    return result.conversation;
  }

  /** Loads the latest page of history into the store. */
  loadMessages(conversationId: string, limit = 50): Promise<Message[]> {
    return this.history.latest(conversationId, limit);
  }

  /** Loads the page before the oldest loaded message. */
  loadOlder(conversationId: string, limit = 50): Promise<Message[]> {
    return this.history.older(conversationId, limit);
  }

  /** Changes your profile; this device shows it at once, your other devices hear of it through your log. */
  async updateProfile(body: UpdateMeBody): Promise<User> {
    const { user } = await this.http.updateMe(body);
    this.store.putMe(user);
    return user;
  }

  /**
   * Reads a conversation's summary (your role, rights, mute) from the server again, for
   * changes that come without an event, like a mute running out.
   */
  refreshConversation(conversationId: string): Promise<void> {
    return this.sync.refreshSummary(conversationId);
  }

  loadMembers(conversationId: string): Promise<void> {
    return this.history.members(conversationId);
  }

  // --- messages ------------------------------------------------------------------------

  /**
   * Sends a message: shown as pending at once, sent over the socket when connected
   * (HTTP otherwise), retried with the same client message id through disconnects until
   * the server acknowledges it, so it is stored exactly once.
   */
  async sendMessage(conversationId: string, text: string, options: { replyTo?: string; clientMsgId?: string; attachments?: string[] } = {}): Promise<Message> {
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    const attachments = options.attachments?.length ? options.attachments : undefined;
    this.store.addPending(conversationId, { clientMsgId, text, ...(attachments ? { attachments } : {}), replyTo: options.replyTo ?? null, createdAt: new Date().toISOString(), error: null });
    // Text may be empty when files go with it (a caption is optional).
    const input = { clientMsgId, ...(text !== '' || !attachments ? { text } : {}), ...(attachments ? { attachments } : {}), ...(options.replyTo ? { replyTo: options.replyTo } : {}) };
    try {
      const { message } = await this.command({
        frame: { type: 'send', payload: { conversationId, ...input } },
        http: () => this.http.sendMessage(conversationId, input),
      });
      this.store.settlePending(conversationId, clientMsgId, { message });
      return message;
    } catch (error) {
      this.store.settlePending(conversationId, clientMsgId, { error: (error as Error).message });
      throw error;
    }
  }

  // --- files -------------------------------------------------------------------------

  /**
   * Uploads a file for a message, a voice note, your avatar or a conversation photo:
   * a `File`/`Blob` (the browser streams it from disk), bytes, or a stream. `onProgress`
   * reports bytes sent; aborting `signal` cancels (the server keeps nothing of it). The
   * answer says what the server found (`kind`, `type` from the bytes, dimensions, duration,
   * preview); send it with `sendMessage(id, caption, { attachments: [file.id] })` before
   * it expires (`expiresAt`). Refusals are ParleyErrors: `payload_too_large`,
   * `unsupported_media_type` (type not allowed, not a valid image, flagged by the scanner),
   * `limit_exceeded` (quota, or an image with too many pixels), `rate_limited`.
   */
  uploadFile(file: UploadSource, options: UploadOptions = {}): Promise<FileInfo> {
    return this.http.upload(file, options);
  }

  /**
   * A link that fetches a file (or its preview) for anyone holding it until `expiresAt`
   * (minutes): use it as an `<img src>`, `<audio src>` (Range requests work) or a download
   * link, and ask again once it expired. Absolute. `not_found` when you may not see the file.
   */
  async attachmentUrl(fileId: string, options: { variant?: 'original' | 'thumbnail' } = {}): Promise<{ url: string; expiresAt: string }> {
    const { url, expiresAt } = await this.http.fileUrl(fileId, options.variant ?? 'original');
    return { url: this.http.absoluteUrl(url), expiresAt };
  }

  /** Your picture: an image you uploaded (null removes it). */
  async setAvatar(fileId: string | null): Promise<User> {
    return (await this.http.updateMe({ avatarId: fileId })).user;
  }

  /** A conversation's picture (edit_info): an image you uploaded (null removes it). */
  async setConversationPhoto(conversationId: string, fileId: string | null): Promise<Conversation> {
    return (await this.http.updateConversation(conversationId, { photoId: fileId })).conversation;
  }

  async editMessage(conversationId: string, messageId: string, text: string): Promise<Message> {
    const { message } = await this.command({
      frame: { type: 'edit', payload: { conversationId, messageId, text } },
      http: () => this.http.editMessage(conversationId, messageId, text),
    });
    return message;
  }

  async deleteMessage(conversationId: string, messageId: string): Promise<Message> {
    const { message } = await this.command({
      frame: { type: 'delete', payload: { conversationId, messageId } },
      http: () => this.http.deleteMessage(conversationId, messageId),
    });
    return message;
  }

  /** Marks read up to `seq` (default: everything); all your devices follow. */
  async markRead(conversationId: string, seq?: number): Promise<void> {
    const upTo = seq ?? this.store.get(conversationId)?.summary.lastSeq ?? 0;
    const result = await this.command({
      frame: { type: 'read', payload: { conversationId, seq: upTo } },
      http: () => this.http.markRead(conversationId, upTo),
    });
    const state = this.store.get(conversationId);
    // Only the server can count what is left unread: take a fresh summary.
    if (state && result.readSeq >= state.summary.readSeq) await this.sync.refreshSummary(conversationId);
  }

  /**
   * A command over the socket or HTTP (`routeCommand` decides, per attempt), retried
   * while it fails retryably: through disconnects while the client runs, once otherwise.
   */
  private command<T extends CommandFrameType, R>(command: Command<T, R>): Promise<AckDataOf<T> | R> {
    return retryRetryable(() => routeCommand(this.socket, command), (tries) => this.started || tries === 0);
  }

  // --- search -----------------------------------------------------------------------

  /**
   * Full-text search over the messages you may read, best match first. `q` is plain words
   * (no syntax); pass the answer's `nextCursor` as `cursor` for the next page. Each hit has
   * the message and a snippet with `highlights` (`[start, end)` into `snippet.text`). To
   * show a hit in context, load history around it: `http.messages(conversationId, { after: seq - 25, limit: 50 })`.
   */
  async searchMessages(q: string, options: Omit<SearchMessagesQuery, 'q'> = {}): Promise<SearchMessagesResponse> {
    return this.http.searchMessages({ q, ...options });
  }

  /** People by handle or name (start of a word; a typo forgiven in longer words), as their privacy and blocks allow: for "New chat". */
  async searchUsers(q: string, limit?: number): Promise<User[]> {
    return (await this.http.searchUsers({ q, ...(limit !== undefined ? { limit } : {}) })).users;
  }

  /** Public groups and channels (join them by handle), and your own, by title or handle. */
  async searchConversations(q: string, limit?: number): Promise<ConversationSearchHit[]> {
    return (await this.http.searchConversations({ q, ...(limit !== undefined ? { limit } : {}) })).conversations;
  }

  // --- your own view of your conversations (all your devices follow) ------------------

  async archiveConversation(conversationId: string, archived = true): Promise<ConversationPrefs> {
    return this.changePrefs(conversationId, () => this.http.updatePrefs(conversationId, { archived }));
  }

  /** Pins to the top of your list (up to 20). */
  async pinConversation(conversationId: string, pinned = true): Promise<ConversationPrefs> {
    return this.changePrefs(conversationId, () => this.http.updatePrefs(conversationId, { pinned }));
  }

  /** Marks unread (reading it, `markRead`, takes the mark off). */
  async markUnread(conversationId: string, markedUnread = true): Promise<ConversationPrefs> {
    return this.changePrefs(conversationId, () => this.http.updatePrefs(conversationId, { markedUnread }));
  }

  /** Deletes the history so far for you only (the others keep it). */
  async clearHistoryForMe(conversationId: string): Promise<ConversationPrefs> {
    return this.changePrefs(conversationId, () => this.http.clearHistory(conversationId));
  }

  /** Deletes messages for you only (the others keep them); returns the ids now hidden. */
  async deleteForMe(conversationId: string, messageIds: string[]): Promise<string[]> {
    const { messageIds: hidden } = await this.http.hideMessages(conversationId, messageIds);
    this.store.hideMessages(conversationId, hidden);
    return hidden;
  }

  /** How long messages are kept in a conversation (its own retention, and what applies with the server default). */
  async retention(conversationId: string): Promise<{ days: number | null; effectiveDays: number | null }> {
    return this.http.retention(conversationId);
  }

  /** Owners and admins: delete messages older than `days` here, for everyone (null: the server default). */
  async setRetention(conversationId: string, days: number | null): Promise<{ days: number | null; effectiveDays: number | null }> {
    return this.http.setRetention(conversationId, days);
  }

  // --- your data -----------------------------------------------------------------------

  /**
   * Asks for an export of your data, built in the background (docs/data.md). Asking while
   * one is on its way answers that one; a new one is refused (`rate_limited`) for a while
   * after the last. Read it again with `getExport` until `state` is `ready`: then `url` (made
   * absolute with `http.absoluteUrl`) downloads the archive until `urlExpiresAt`.
   */
  async requestExport(): Promise<DataExport> {
    return (await this.http.requestExport()).export;
  }

  async getExport(exportId: string): Promise<DataExport> {
    return (await this.http.getExport(exportId)).export;
  }

  /** Your recent exports, newest first. */
  async listExports(): Promise<DataExport[]> {
    return (await this.http.listExports()).exports;
  }

  private async changePrefs(conversationId: string, change: () => Promise<{ prefs: ConversationPrefs }>): Promise<ConversationPrefs> {
    const { prefs } = await change();
    this.store.putPrefs(prefs);
    return prefs;
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

  /**
   * Learns the other members' pointers in a group from the newest of your loaded messages
   * there ("read by" lists: the server gives them to the sender in groups up to its
   * RECEIPTS_MAX_GROUP). Receipt frames are not replayed, so after a reload (or a
   * reconnect) a group's ticks would otherwise know only the pointers that moved since.
   * Does nothing where there is no such message or the server gives counts only.
   */
  async loadReceipts(conversationId: string): Promise<void> {
    const state = this.store.get(conversationId);
    const meId = this.store.me?.id;
    if (!state || state.summary.kind !== 'group' || !meId) return;
    const own = (state.messages ?? []).filter((message) => message.senderId === meId && message.deletedAt === null).reverse();
    // The newest message says who read that far; someone who has not may have read an older
    // one, so a few older ones are asked too, until one everyone has read.
    for (const message of own.slice(0, RECEIPT_LOOKBACK)) {
      const receipts = await this.messageReceipts(conversationId, message.id);
      if (receipts.readBy === null || receipts.deliveredTo === null) return;
      this.live.learnPointers(conversationId, receipts.seq, receipts.readBy, receipts.deliveredTo);
      if (receipts.readCount >= receipts.recipients) return;
    }
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

  /** Signs out every device but this one; resolves with how many were signed out. */
  async signOutOtherDevices(): Promise<number> {
    return (await this.http.revokeOtherDevices()).signedOut;
  }

  /**
   * Changes your password (the current one is asked for). `signOutOtherDevices`: every
   * other device is signed out with it; resolves with how many were.
   */
  async changePassword(currentPassword: string, newPassword: string, options: { signOutOtherDevices?: boolean } = {}): Promise<number> {
    return (await this.http.changePassword({ currentPassword, newPassword, ...(options.signOutOtherDevices ? { signOutOtherDevices: true } : {}) })).signedOut;
  }

  async registerPushToken(platform: PushPlatform, token: string): Promise<void> {
    await this.http.setPushToken({ platform, token });
  }

  // --- calls (docs/calls.md) -------------------------------------------------------------

  /** Calls ringing on this device now (also emitted as `callRing` / `callRingStop`). */
  ringingCalls(): IncomingCall[] {
    return this.ringer.list();
  }

  /**
   * Starts a voice or video call: the callees' devices ring; the answer carries how this
   * device reaches the media (`p2p` ICE servers, or a LiveKit URL and token). Not retried
   * on its own: a second start would find the first call going on (`conflict` with its id).
   */
  startCall(conversationId: string, kind: CallKind): Promise<CallJoinResponse> {
    return routeCommand(this.socket, { frame: { type: 'call_start', payload: { conversationId, kind } }, http: () => this.http.startCall(conversationId, kind) });
  }

  /** Answers a call ringing for you on this device (your other devices stop ringing). */
  async acceptCall(callId: string): Promise<CallJoinResponse> {
    const answer = await this.command({ frame: { type: 'call_accept', payload: { callId } }, http: () => this.http.acceptCall(callId) });
    this.ringer.settled(callId, 'answered_elsewhere');
    return answer;
  }

  async declineCall(callId: string): Promise<Call> {
    const { call } = await this.command({ frame: { type: 'call_decline', payload: { callId } }, http: () => this.http.declineCall(callId) });
    this.ringer.settled(callId, 'declined_elsewhere');
    return call;
  }

  /** Joins a call going on in one of your conversations (group calls, or coming back to one). */
  joinCall(callId: string): Promise<CallJoinResponse> {
    return this.command({ frame: { type: 'call_join', payload: { callId } }, http: () => this.http.joinCall(callId) });
  }

  async leaveCall(callId: string): Promise<Call> {
    return (await this.command({ frame: { type: 'call_leave', payload: { callId } }, http: () => this.http.leaveCall(callId) })).call;
  }

  /** Ends the call for everyone (its caller, either side of a 1:1 call, a moderator). */
  async endCall(callId: string): Promise<Call> {
    return (await this.command({ frame: { type: 'call_end', payload: { callId } }, http: () => this.http.endCall(callId) })).call;
  }

  /** Fresh media credentials (TURN expires; a LiveKit token is for joining) for a call you are in. */
  async callMedia(callId: string): Promise<CallMedia> {
    return (await this.http.callMedia(callId)).media;
  }

  /**
   * Sends an offer, answer or ICE candidate to another participant's device in the call.
   * Socket only (signaling is live or useless); rejects with `not_in_call`, `rate_limited`…
   */
  async sendCallSignal(callId: string, to: string, signal: CallSignal): Promise<void> {
    await routeCommand(this.socket, { frame: { type: 'call_signal', payload: { callId, to, signal } } });
  }

  /** Forgets this device's push token or Web Push subscription (signing out does it too). */
  async unregisterPush(): Promise<void> {
    await this.http.clearPushToken();
  }

  // --- push notifications (docs/push.md) ---

  /** The server's VAPID public key (base64url), the `applicationServerKey` to subscribe with; null when Web Push is off. */
  async vapidPublicKey(): Promise<string | null> {
    return (await this.http.vapidKey()).publicKey;
  }

  /** Registers a Web Push subscription (`PushSubscription.toJSON()`) for this device. */
  async registerWebPush(subscription: WebPushSubscriptionBody): Promise<void> {
    await this.http.setWebPushSubscription({ endpoint: subscription.endpoint, keys: { p256dh: subscription.keys.p256dh, auth: subscription.keys.auth } });
  }

  /**
   * In a browser: subscribes this page's service worker to Web Push with the server's key
   * (the user must have allowed notifications) and registers the subscription; an existing
   * subscription is reused. Resolves to false when the server has Web Push off.
   */
  async subscribeWebPush(registration: WebPushRegistration): Promise<boolean> {
    const key = await this.vapidPublicKey();
    if (!key) return false;
    const existing = await registration.pushManager.getSubscription();
    const subscription = existing ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) }));
    const json = subscription.toJSON() as WebPushSubscriptionBody;
    await this.registerWebPush(json);
    return true;
  }

  async pushSettings(): Promise<PushSettings> {
    return this.http.pushSettings();
  }

  /** Notifications on or off, with or without previews; your other devices hear of it as a `push_settings.updated` user event. */
  async setPushSettings(change: PushSettingsBody): Promise<PushSettings> {
    return this.http.setPushSettings(change);
  }

  async conversationPushSettings(conversationId: string): Promise<ConversationPushSettings> {
    return this.http.conversationPushSettings(conversationId);
  }

  /** All, mentions only, or muted (until a time) for one conversation (a `conversation_push.updated` user event). */
  async setConversationPushSettings(conversationId: string, settings: ConversationPushSettingsBody): Promise<ConversationPushSettings> {
    return this.http.setConversationPushSettings(conversationId, settings);
  }
}

/** What `subscribeWebPush` needs of a `ServiceWorkerRegistration` (so the SDK builds without the DOM types). */
export interface WebPushRegistration {
  pushManager: {
    getSubscription(): Promise<{ toJSON(): unknown } | null>;
    subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array<ArrayBuffer> }): Promise<{ toJSON(): unknown }>;
  };
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
  const binary = atob(base64);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

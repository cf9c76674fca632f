import type { Conversation, ConversationEvent, Message, Presence, ReceiptFrame, ReceiptPointers, TypingFrame } from '@parley/protocol';
import { RealtimeLimits } from '@parley/protocol/client';

/** What the live features need from the client that owns them. */
export interface LiveHost {
  /** The socket is authenticated and can take requests. */
  isOpen(): boolean;
  request(type: 'typing', payload: { conversationId: string; typing: boolean }): Promise<unknown>;
  request(type: 'delivered', payload: { conversations: Array<{ id: string; seq: number }> }): Promise<unknown>;
  request(type: 'presence' | 'presence_subscribe' | 'presence_unsubscribe', payload: { userIds: string[] }): Promise<{ presence?: Presence[] }>;
  request(type: 'receipts', payload: { conversationIds: string[] }): Promise<{ receipts: Array<ReceiptPointers & { conversationId: string; userId: string }> }>;
  meId(): string | null;
  summary(conversationId: string): Conversation | undefined;
  /** The other members of every direct conversation followed. */
  directPeers(): string[];
  /** Ids of the direct conversations followed. */
  directConversations(): string[];
  emitTyping(conversationId: string, userIds: string[]): void;
  emitPresence(presence: Presence): void;
  emitReceipt(receipt: ReceiptFrame): void;
}

export interface LiveOptions {
  /** How long delivery reports are gathered before one `delivered` frame goes out. */
  deliveryAckDelayMs?: number;
  /** While typing, a renewal is sent at most this often (the server throttles too). */
  typingIntervalMs?: number;
}

/** What one of your messages reached: the server has it, one of the recipient's devices has it, they read it. */
export type MessageStatus = 'sent' | 'delivered' | 'read';

/**
 * Receipts, typing and presence on the client. None of it is in a log: typing expires on
 * its own, presence is queried after every (re)connect and then pushed, receipt pointers
 * only grow (the highest seen wins), and delivery is acknowledged in batches.
 */
export class LiveState {
  private readonly host: LiveHost;
  private readonly ackDelayMs: number;
  private readonly typingIntervalMs: number;
  /** Conversation -> typing user -> the timer that ends it. */
  private readonly typing = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  private readonly typingSent = new Map<string, number>();
  private readonly presence = new Map<string, Presence>();
  private readonly subscribed = new Set<string>();
  /** Per presence query in flight: users whose change was pushed meanwhile (newer than its answer). */
  private readonly queries = new Set<Set<string>>();
  private readonly pointers = new Map<string, Map<string, ReceiptPointers>>();
  private readonly pendingAcks = new Map<string, number>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(host: LiveHost, options: LiveOptions = {}) {
    this.host = host;
    this.ackDelayMs = options.deliveryAckDelayMs ?? 1_000;
    this.typingIntervalMs = options.typingIntervalMs ?? 2_000;
  }

  // --- typing ------------------------------------------------------------------------

  typingUsers(conversationId: string): string[] {
    return [...(this.typing.get(conversationId)?.keys() ?? [])];
  }

  /** Call on every keystroke: a renewal goes out at most every `typingIntervalMs`. */
  notifyTyping(conversationId: string, now = Date.now()): void {
    const last = this.typingSent.get(conversationId);
    if (last !== undefined && now - last < this.typingIntervalMs) return;
    if (!this.host.isOpen()) return;
    this.typingSent.set(conversationId, now);
    this.host.request('typing', { conversationId, typing: true }).catch(() => {});
  }

  stopTyping(conversationId: string): void {
    if (!this.typingSent.delete(conversationId) || !this.host.isOpen()) return;
    this.host.request('typing', { conversationId, typing: false }).catch(() => {});
  }

  onTyping(frame: TypingFrame): void {
    if (frame.userId === this.host.meId()) return;
    if (frame.typing && frame.expiresInMs > 0) this.setTyping(frame.conversationId, frame.userId, frame.expiresInMs);
    else this.clearTyping(frame.conversationId, frame.userId);
  }

  private setTyping(conversationId: string, userId: string, ttlMs: number): void {
    let users = this.typing.get(conversationId);
    if (!users) this.typing.set(conversationId, (users = new Map()));
    const known = users.get(userId);
    if (known) clearTimeout(known);
    // It stops on its own: nobody has to say "stopped" (a closed laptop never does).
    users.set(userId, setTimeout(() => this.clearTyping(conversationId, userId), ttlMs));
    if (!known) this.host.emitTyping(conversationId, this.typingUsers(conversationId));
  }

  private clearTyping(conversationId: string, userId: string): void {
    const users = this.typing.get(conversationId);
    const timer = users?.get(userId);
    if (!users || timer === undefined) return;
    clearTimeout(timer);
    users.delete(userId);
    if (users.size === 0) this.typing.delete(conversationId);
    this.host.emitTyping(conversationId, this.typingUsers(conversationId));
  }

  // --- events and receipts -------------------------------------------------------------

  /** Every applied conversation event: a message ends its sender's typing, and messages from others are acknowledged as delivered. */
  onEvent(event: ConversationEvent): void {
    if (event.type !== 'message.created') return;
    const senderId = event.data.message.senderId;
    this.clearTyping(event.conversationId, senderId);
    if (senderId === this.host.meId()) return;
    // Channels keep no delivery pointers: their view counts come from reads.
    if (this.host.summary(event.conversationId)?.kind === 'channel') return;
    this.pendingAcks.set(event.conversationId, Math.max(event.seq, this.pendingAcks.get(event.conversationId) ?? 0));
    this.ackTimer ??= setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }

  /** Sends the gathered delivery reports now (one frame); they wait for the next connection if there is none. */
  flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.pendingAcks.size === 0 || !this.host.isOpen()) return;
    const batch = [...this.pendingAcks].slice(0, RealtimeLimits.deliveredMax).map(([id, seq]) => ({ id, seq }));
    for (const { id } of batch) this.pendingAcks.delete(id);
    this.host.request('delivered', { conversations: batch }).catch(() => {
      for (const { id, seq } of batch) this.pendingAcks.set(id, Math.max(seq, this.pendingAcks.get(id) ?? 0));
    });
    if (this.pendingAcks.size > 0) this.ackTimer = setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }

  /** A fresh summary: in direct conversations it carries the other member's pointers. */
  onSummary(summary: Conversation): void {
    const pointers = (summary as Conversation & { peerReceipts?: ReceiptPointers | null }).peerReceipts;
    if (summary.peer && pointers) this.mergePointers(summary.id, summary.peer.id, pointers);
  }

  onReceipt(frame: ReceiptFrame): void {
    if (this.mergePointers(frame.conversationId, frame.userId, frame)) this.host.emitReceipt(frame);
  }

  /** Pointers only grow: an older answer never takes a receipt back. */
  private mergePointers(conversationId: string, userId: string, next: ReceiptPointers): boolean {
    let members = this.pointers.get(conversationId);
    if (!members) this.pointers.set(conversationId, (members = new Map()));
    const known = members.get(userId);
    const merged = { deliveredSeq: Math.max(next.deliveredSeq, known?.deliveredSeq ?? 0), readSeq: Math.max(next.readSeq, known?.readSeq ?? 0) };
    if (known && known.deliveredSeq === merged.deliveredSeq && known.readSeq === merged.readSeq) return false;
    members.set(userId, merged);
    return true;
  }

  /**
   * What a message's "read by" lists say of its readers' pointers: at least `seq` read (or
   * delivered). Pointers only grow, so this never takes a newer receipt back.
   */
  learnPointers(conversationId: string, seq: number, readBy: readonly string[], deliveredTo: readonly string[]): void {
    const learned = [...readBy.map((userId) => ({ userId, deliveredSeq: seq, readSeq: seq })), ...deliveredTo.map((userId) => ({ userId, deliveredSeq: seq, readSeq: 0 }))];
    for (const { userId, deliveredSeq, readSeq } of learned) {
      if (!this.mergePointers(conversationId, userId, { deliveredSeq, readSeq })) continue;
      const merged = this.pointers.get(conversationId)!.get(userId)!;
      this.host.emitReceipt({ t: 'receipt', conversationId, userId, ...merged });
    }
  }

  receipts(conversationId: string): Map<string, ReceiptPointers> {
    return new Map(this.pointers.get(conversationId) ?? []);
  }

  /**
   * Status of one of your messages in a direct conversation (or in a group: read / delivered
   * once every member whose pointers are known got that far).
   */
  messageStatus(conversationId: string, message: Pick<Message, 'seq' | 'senderId'>): MessageStatus {
    const others = [...(this.pointers.get(conversationId)?.entries() ?? [])].filter(([userId]) => userId !== message.senderId).map(([, p]) => p);
    if (others.length === 0) return 'sent';
    if (others.every((p) => p.readSeq >= message.seq)) return 'read';
    if (others.every((p) => p.deliveredSeq >= message.seq)) return 'delivered';
    return 'sent';
  }

  // --- presence --------------------------------------------------------------------------

  presenceOf(userId: string): Presence | undefined {
    return this.presence.get(userId);
  }

  onPresence(presence: Presence): void {
    for (const pushed of this.queries) pushed.add(presence.userId);
    this.setPresence(presence);
  }

  private setPresence(presence: Presence): void {
    const known = this.presence.get(presence.userId);
    this.presence.set(presence.userId, presence);
    if (!known || known.status !== presence.status || known.lastSeenAt !== presence.lastSeenAt) this.host.emitPresence(presence);
  }

  async subscribe(userIds: readonly string[]): Promise<Presence[]> {
    const fresh = userIds.filter((id) => !this.subscribed.has(id));
    for (const id of fresh) this.subscribed.add(id);
    if (fresh.length === 0 || !this.host.isOpen()) return userIds.map((id) => this.presence.get(id)).filter((p): p is Presence => p !== undefined);
    return this.query('presence_subscribe', fresh);
  }

  unsubscribe(userIds: readonly string[]): void {
    const gone = userIds.filter((id) => this.subscribed.delete(id));
    if (gone.length > 0 && this.host.isOpen()) this.host.request('presence_unsubscribe', { userIds: gone }).catch(() => {});
  }

  /**
   * After every (re)connect: subscriptions are renewed (they belong to a socket), direct
   * peers' presence is fetched (changes are pushed from then on), and delivery reports
   * waiting for a connection go out.
   */
  async onReady(): Promise<void> {
    this.flushAcks();
    const subscribed = [...this.subscribed];
    const peers = this.host.directPeers().filter((id) => !this.subscribed.has(id));
    await Promise.all([this.query('presence_subscribe', subscribed), this.query('presence', peers), this.refreshReceipts()]);
  }

  /** Receipt frames are not replayed: after a reconnect the peers' pointers are asked for (they only grow, so order does not matter). */
  private async refreshReceipts(): Promise<void> {
    const ids = this.host.directConversations();
    for (let i = 0; i < ids.length; i += RealtimeLimits.deliveredMax) {
      const answer = await this.host.request('receipts', { conversationIds: ids.slice(i, i + RealtimeLimits.deliveredMax) });
      for (const { conversationId, userId, deliveredSeq, readSeq } of answer.receipts) {
        if (this.mergePointers(conversationId, userId, { deliveredSeq, readSeq })) this.host.emitReceipt({ t: 'receipt', conversationId, userId, deliveredSeq, readSeq });
      }
    }
  }

  private async query(type: 'presence' | 'presence_subscribe', userIds: string[]): Promise<Presence[]> {
    const answers: Presence[] = [];
    for (let i = 0; i < userIds.length; i += RealtimeLimits.presenceUsersPerRequest) {
      const chunk = userIds.slice(i, i + RealtimeLimits.presenceUsersPerRequest);
      const pushed = new Set<string>();
      this.queries.add(pushed);
      try {
        const answer = await this.host.request(type, { userIds: chunk });
        for (const presence of answer.presence ?? []) {
          // A change pushed while the answer was on its way is newer than the answer.
          if (!pushed.has(presence.userId)) this.setPresence(presence);
          answers.push(this.presence.get(presence.userId) ?? presence);
        }
      } finally {
        this.queries.delete(pushed);
      }
    }
    return answers;
  }

  stop(): void {
    for (const users of this.typing.values()) for (const timer of users.values()) clearTimeout(timer);
    this.typing.clear();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}

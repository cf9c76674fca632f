import type { Broker } from '../platform/broker/index.ts';
import type { Logger } from '../platform/logger.ts';
import { conversationChannel, type ConversationHeader, decodeEnvelope, type UserHeader, userChannel } from './envelope.ts';

/** What the hub needs of a connection. */
export interface HubSession {
  readonly userId: string;
  readonly sessionId: string | null;
  /** Writes an already-serialized frame; the session applies its own back-pressure. */
  deliver(frame: Buffer): void;
  close(code: number, reason: string): void;
}

export interface MembershipSource {
  /** The user's log head and conversations, read as of one moment. */
  (userId: string): Promise<{ userSeq: number; conversations: Array<{ id: string }> }>;
}

/** Everything this node knows about one user with at least one local session. */
class LocalUser {
  readonly sessions = new Set<HubSession>();
  readonly conversations = new Set<string>();
  /** Conversation seq of the newest membership change applied, per conversation: hints apply last-writer-wins. */
  readonly decided = new Map<string, number>();
  /** Newest user-log seq seen on this node. */
  userSeq = 0;
  /** User-channel messages are applied one after another (some wait for a broker subscribe). */
  chain: Promise<void> = Promise.resolve();
  /** Set while the first session loads membership; messages arriving meanwhile wait here. */
  buffered: Array<{ header: UserHeader; frame: string }> | null = [];
  loading: Promise<void> | null = null;

  readonly id: string;

  constructor(id: string) {
    this.id = id;
  }
}

interface HeldEvent {
  header: ConversationHeader;
  frame: Buffer;
}

/** One conversation with local subscribers. */
class Topic {
  readonly users = new Set<LocalUser>();
  /** Seq of the last event delivered here; -1 until the first one. */
  lastSeq = -1;
  held: Map<number, HeldEvent> | null = null;
  timer: NodeJS.Timeout | null = null;
  readonly id: string;

  constructor(id: string) {
    this.id = id;
  }
}

export interface HubOptions {
  broker: Broker;
  loadMembership: MembershipSource;
  logger: Logger;
  /** How long an event that arrived before its predecessor is held back. */
  reorderHoldMs: number;
}

export interface HubStats {
  users: number;
  sessions: number;
  topics: number;
}

/**
 * Local subscriptions of one node. Sessions of one user share a LocalUser; each
 * conversation with local members is a Topic subscribed once on the broker. An event
 * is delivered to a topic's sessions in seq order: one that arrives early (two nodes
 * published out of order) waits briefly for its predecessor, duplicates are dropped.
 * Membership changes ride on the events themselves, so a removed member is unsubscribed
 * exactly after the event that removed them and sees nothing later.
 */
export class Hub {
  private readonly users = new Map<string, LocalUser>();
  private readonly topics = new Map<string, Topic>();

  private readonly options: HubOptions;

  constructor(options: HubOptions) {
    this.options = options;
    options.broker.onMessage((channel, message) => this.onBrokerMessage(channel, message));
  }

  stats(): HubStats {
    let sessions = 0;
    for (const user of this.users.values()) sessions += user.sessions.size;
    return { users: this.users.size, sessions, topics: this.topics.size };
  }

  /**
   * Subscribes a session to everything its user should hear and returns the head of the
   * user's log at that point: everything after it arrives live. The first session of a
   * user on this node subscribes the user channel *before* reading membership, and
   * replays what arrived meanwhile, so no membership change slips between the two.
   */
  async attach(session: HubSession): Promise<number> {
    let user = this.users.get(session.userId);
    if (!user) {
      user = new LocalUser(session.userId);
      this.users.set(user.id, user);
      user.loading = this.load(user);
    }
    try {
      await user.loading;
    } catch (error) {
      if (user.sessions.size === 0) this.forget(user);
      throw error;
    }
    user.sessions.add(session);
    return user.userSeq;
  }

  detach(session: HubSession): void {
    const user = this.users.get(session.userId);
    if (!user || !user.sessions.delete(session)) return;
    if (user.sessions.size === 0 && user.buffered === null) this.forget(user);
  }

  /** Closes every local session of a user (or one device session). */
  closeUser(userId: string, sessionId: string | null, code: number, reason: string): void {
    const user = this.users.get(userId);
    if (!user) return;
    for (const session of [...user.sessions]) {
      if (sessionId === null || session.sessionId === sessionId) session.close(code, reason);
    }
  }

  forEachSession(visit: (session: HubSession) => void): void {
    for (const user of this.users.values()) for (const session of user.sessions) visit(session);
  }

  /** After a broker outage: seqs may have jumped, so reordering state starts over. */
  resetOrdering(): void {
    for (const topic of this.topics.values()) {
      if (topic.timer) clearTimeout(topic.timer);
      topic.timer = null;
      topic.held = null;
      topic.lastSeq = -1;
    }
  }

  private async load(user: LocalUser): Promise<void> {
    await this.options.broker.subscribe([userChannel(user.id)]);
    const snapshot = await this.options.loadMembership(user.id);
    user.userSeq = snapshot.userSeq;
    const fresh: string[] = [];
    for (const { id } of snapshot.conversations) {
      if (this.join(user, id)) fresh.push(conversationChannel(id));
    }
    if (fresh.length) await this.options.broker.subscribe(fresh);
    const buffered = user.buffered ?? [];
    user.buffered = null;
    for (const { header, frame } of buffered) {
      if (header.s > snapshot.userSeq) this.enqueueUserMessage(user, header, frame);
    }
  }

  private forget(user: LocalUser): void {
    if (this.users.get(user.id) !== user) return;
    this.users.delete(user.id);
    const emptied: string[] = [];
    for (const id of user.conversations) if (this.leave(user, id)) emptied.push(conversationChannel(id));
    this.options.broker.unsubscribe([userChannel(user.id), ...emptied]).catch(() => {});
  }

  /** Adds the user to a topic; true when the topic is new on this node (the caller subscribes the broker). */
  private join(user: LocalUser, conversationId: string): boolean {
    if (user.conversations.has(conversationId)) return false;
    user.conversations.add(conversationId);
    let topic = this.topics.get(conversationId);
    const created = !topic;
    if (!topic) {
      topic = new Topic(conversationId);
      this.topics.set(conversationId, topic);
    }
    topic.users.add(user);
    return created;
  }

  /** Removes the user from a topic; true when the topic is now empty and gone (the caller unsubscribes the broker). */
  private leave(user: LocalUser, conversationId: string): boolean {
    if (!user.conversations.delete(conversationId)) return false;
    const topic = this.topics.get(conversationId);
    if (!topic) return false;
    topic.users.delete(user);
    if (topic.users.size > 0) return false;
    if (topic.timer) clearTimeout(topic.timer);
    this.topics.delete(conversationId);
    return true;
  }

  /** Applies a membership change unless a newer one (by conversation seq) was applied already. */
  private applyMembership(user: LocalUser, conversationId: string, seq: number, member: boolean): Promise<void> | void {
    if ((user.decided.get(conversationId) ?? -1) >= seq) return;
    user.decided.set(conversationId, seq);
    if (member) {
      if (this.join(user, conversationId)) return this.options.broker.subscribe([conversationChannel(conversationId)]);
    } else if (this.leave(user, conversationId)) {
      this.options.broker.unsubscribe([conversationChannel(conversationId)]).catch(() => {});
    }
  }

  private onBrokerMessage(channel: string, message: string): void {
    const envelope = decodeEnvelope(message);
    if (!envelope) {
      this.options.logger.warn({ channel }, 'dropped a malformed broker message');
      return;
    }
    const { header, frame } = envelope;
    if (header.k === 'c') {
      const topic = this.topics.get(channel.slice(2));
      if (topic) this.onConversationEvent(topic, { header, frame: Buffer.from(frame) });
      return;
    }
    const user = this.users.get(channel.slice(2));
    if (!user) return;
    if (header.k === 'x') {
      this.closeUser(user.id, header.close.session, header.close.code, header.close.reason);
    } else if (user.buffered) {
      user.buffered.push({ header, frame });
    } else {
      this.enqueueUserMessage(user, header, frame);
    }
  }

  /** Membership first (waiting for the broker subscription), then the frame: a client told it was added can fetch at once and miss nothing. */
  private enqueueUserMessage(user: LocalUser, header: UserHeader, frame: string): void {
    user.chain = user.chain
      .then(async () => {
        if (header.m) await this.applyMembership(user, header.m.c, header.m.s, header.m.on);
        if (header.s > user.userSeq) user.userSeq = header.s;
        const bytes = Buffer.from(frame);
        for (const session of user.sessions) session.deliver(bytes);
      })
      .catch((error: unknown) => this.options.logger.warn({ err: error, user: user.id }, 'user event not delivered live'));
  }

  private onConversationEvent(topic: Topic, event: HeldEvent): void {
    const seq = event.header.s;
    if (topic.lastSeq >= 0 && seq <= topic.lastSeq) return;
    if (topic.lastSeq < 0 || seq === topic.lastSeq + 1) {
      this.deliver(topic, event);
      this.releaseHeld(topic, false);
      return;
    }
    topic.held ??= new Map();
    topic.held.set(seq, event);
    topic.timer ??= setTimeout(() => this.releaseHeld(topic, true), this.options.reorderHoldMs);
  }

  /** Delivers held events that are now next in line; on timeout, all of them, in order, skipping the gap. */
  private releaseHeld(topic: Topic, timedOut: boolean): void {
    if (!topic.held) return;
    if (timedOut) {
      topic.timer = null;
      const seqs = [...topic.held.keys()].sort((a, b) => a - b);
      const held = topic.held;
      topic.held = null;
      for (const seq of seqs) if (seq > topic.lastSeq) this.deliver(topic, held.get(seq)!);
      return;
    }
    let next: HeldEvent | undefined;
    while ((next = topic.held.get(topic.lastSeq + 1))) {
      topic.held.delete(next.header.s);
      this.deliver(topic, next);
    }
    for (const seq of topic.held.keys()) if (seq <= topic.lastSeq) topic.held.delete(seq);
    if (topic.held.size === 0) {
      topic.held = null;
      if (topic.timer) clearTimeout(topic.timer);
      topic.timer = null;
    }
  }

  private deliver(topic: Topic, { header, frame }: HeldEvent): void {
    topic.lastSeq = header.s;
    for (const userId of header.sub ?? []) {
      const user = this.users.get(userId);
      if (user && !user.buffered) void this.applyMembership(user, topic.id, header.s, true);
    }
    for (const user of topic.users) for (const session of user.sessions) session.deliver(frame);
    for (const userId of header.unsub ?? []) {
      const user = this.users.get(userId);
      if (user && !user.buffered) void this.applyMembership(user, topic.id, header.s, false);
    }
  }
}

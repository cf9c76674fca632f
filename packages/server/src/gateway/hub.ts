import type { MembersChangedFrame } from '@parley/protocol';
import type { Broker } from '../platform/broker/index.ts';
import type { Logger } from '../platform/logger.ts';
import type { Tracing } from '../platform/tracing/index.ts';
import { conversationChannel, type ConversationHeader, decodeEnvelope, type EphemeralHeader, presenceChannel, type UserHeader, userChannel } from './envelope.ts';
import { FIXED_NOTICE_PACING, membersNoticeDelay, type MembersNoticePacing } from './members-notice-pacing.ts';

/** What the hub needs of a connection. */
export interface HubSession {
  readonly userId: string;
  readonly sessionId: string | null;
  /** Writes an already-serialized frame; the session applies its own back-pressure. */
  deliver(frame: Buffer): void;
  /**
   * Closes the session; its owner still calls `detach` afterwards. The hub may call this
   * before `attach` resolved (a close order raced the attach): the owner then detaches
   * once `attach` resolves, as for any session closed while attaching.
   */
  close(code: number, reason: string): void;
  /** A message on a channel this session watches (`watch`): presence of one user. */
  onWatched?(userId: string, header: EphemeralHeader, frame: Buffer): void;
  /** The user left a conversation: who they share one with changed, so presence verdicts may too. */
  onLeftConversation?(): void;
}

export interface MembershipSource {
  /** The user's log head and conversations, read as of one moment. */
  (userId: string): Promise<{ userSeq: number; conversations: Array<{ id: string }> }>;
}

interface CloseOrder {
  session: string | null;
  code: number;
  reason: string;
}

/** Membership reads in flight at once when every local user is refreshed after a broker gap. */
const REFRESH_CONCURRENCY = 8;

/** Close orders kept per user while it loads; more than this in one load is not a real case. */
const MAX_EARLY_CLOSES = 16;

/**
 * Early events one topic holds while waiting for a missing predecessor. Past this the
 * gap is given up at once (delivered in order, skipping it; sessions catch up from the
 * log) rather than letting a burst grow memory for the whole hold time.
 */
const MAX_HELD_PER_TOPIC = 1_000;

/**
 * Users told of coalesced membership changes per turn of the event loop: a notice to a
 * conversation of 10,000 online is 10,000 socket writes, which in one go would stall every
 * other socket and request on the node for as long. The rest follow on the next turns.
 */
const NOTICE_USERS_PER_TURN = 500;

/** Which header kinds may arrive on which channel kind; anything else is dropped as malformed. */
const HEADERS_BY_CHANNEL: Record<string, readonly string[]> = { 'c:': ['c', 'e'], 'u:': ['u', 'x', 'e'], 'p:': ['e'] };

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
  /**
   * Set while membership is read from the store (the first session's load, or a refresh
   * after a broker gap): user-channel messages arriving meanwhile wait here and are
   * replayed if newer than what was read.
   */
  buffered: Array<{ header: UserHeader; frame: string }> | null = [];
  loading: Promise<void> | null = null;
  /** The first load finished; sessions may be added. */
  loaded = false;
  /** A broker gap came while membership was being refreshed: refresh once more when done. */
  refreshAgain = false;
  /** Dropped from the hub: work still queued for this object must not touch topics. */
  forgotten = false;
  /** Close orders that arrived while the first load ran, for the sessions that were waiting on it. */
  readonly earlyCloses: CloseOrder[] = [];

  readonly id: string;

  constructor(id: string) {
    this.id = id;
  }
}

interface HeldEvent {
  header: ConversationHeader;
  frame: Buffer;
}

/** Coalesced membership changes of a topic not told yet: seqs `from`..`to`, and the member count as of `to`. */
interface PendingMembers {
  from: number;
  to: number;
  count: number;
}

/** One conversation with local subscribers. */
class Topic {
  readonly users = new Set<LocalUser>();
  /** Seq of the last event delivered here; -1 until the first one. */
  lastSeq = -1;
  held: Map<number, HeldEvent> | null = null;
  timer: NodeJS.Timeout | null = null;
  /** Membership changes gathered for one `members_changed` frame, and the timer that sends it. */
  members: PendingMembers | null = null;
  membersTimer: NodeJS.Timeout | null = null;
  /** A notice being written over several turns (`NOTICE_USERS_PER_TURN`): its frame and the users not told yet. */
  notifying: { frame: Buffer; users: Iterator<LocalUser> } | null = null;
  /** The broker subscription of this topic; null until asked for (or after it failed, so the next joiner retries). */
  subscribed: Promise<void> | null = null;
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
  /**
   * How long coalesced membership changes (header `q`) are gathered before members hear of
   * them: longer in larger conversations (see `membersNoticeDelay`). One notice a second when left out.
   */
  membersNotices?: MembersNoticePacing;
  /** A published event reached this node's sockets: its publish time (epoch ms), for the fan-out latency metric. */
  delivered?: (kind: 'conversation' | 'user', publishedAt: number) => void;
  /** A published event came in from the broker (before ordering and delivery): its publish time, for the broker receive lag. */
  received?: (kind: 'conversation' | 'user', publishedAt: number) => void;
  /** Delivery of an event that carries a `traceparent` becomes a span of the sender's trace. */
  tracing?: Tracing;
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
 * exactly after the event that removed them and sees nothing later. In large conversations
 * (header `q`) a join or leave goes in full only to the users it concerns; the others get
 * one `members_changed` frame per interval covering a run of such seqs, sent before the
 * next event of the topic, so nothing arrives out of order; the interval grows with the
 * conversation, so these notices cost a node a bounded number of frames per second. After a broker gap
 * (messages, and so membership changes, may have been lost) every local user's
 * membership is read again from the store.
 */
export class Hub {
  private readonly users = new Map<string, LocalUser>();
  private readonly topics = new Map<string, Topic>();
  /** Presence watches: watched user -> sessions, and the reverse for clean-up. */
  private readonly watchers = new Map<string, Set<HubSession>>();
  private readonly watching = new Map<HubSession, Set<string>>();
  private readonly watchSubscribed = new Map<string, Promise<void>>();

  private refreshed: Promise<void> = Promise.resolve();

  private readonly options: HubOptions;

  /** Registers the hub's own gap handler first: later ones (the gateway's resync) find ordering reset and a refresh under way. */
  constructor(options: HubOptions) {
    this.options = options;
    options.broker.onMessage((channel, message) => this.onBrokerMessage(channel, message));
    options.broker.onGap(() => {
      this.resetOrdering();
      this.refreshed = this.refreshMemberships().catch((error: unknown) => options.logger.error({ err: error }, 'membership refresh after a broker gap failed'));
    });
  }

  /**
   * Settles when the membership refresh started by the latest broker gap is done (at
   * once if there was none): sessions told to resync after this hear every conversation
   * they belong to live again.
   */
  membershipRefreshed(): Promise<void> {
    return this.refreshed;
  }

  stats(): HubStats {
    let sessions = 0;
    for (const user of this.users.values()) sessions += user.sessions.size;
    return { users: this.users.size, sessions, topics: this.topics.size };
  }

  /**
   * Subscribes a session to everything its user should hear and returns the head of the
   * user's log at that point: everything after it arrives live (no earlier than the
   * next turn of the event loop, so the caller can mark the session ready first). The
   * first session of a user on this node subscribes the user channel *before* reading
   * membership, and replays what arrived meanwhile, so no membership change slips
   * between the two.
   */
  async attach(session: HubSession): Promise<number> {
    for (;;) {
      let user = this.users.get(session.userId);
      if (!user) {
        user = new LocalUser(session.userId);
        this.users.set(user.id, user);
        user.loading = this.load(user);
      }
      const waitedForLoad = !user.loaded;
      try {
        await user.loading;
      } catch (error) {
        if (user.sessions.size === 0) this.forget(user);
        throw error;
      }
      // The user's last session left while this one waited: its subscriptions are gone, start over.
      if (user.forgotten) continue;
      user.sessions.add(session);
      if (waitedForLoad) {
        const order = user.earlyCloses.find((close) => close.session === null || close.session === session.sessionId);
        if (order) session.close(order.code, order.reason);
      }
      return user.userSeq;
    }
  }

  detach(session: HubSession): void {
    this.unwatch(session, [...(this.watching.get(session) ?? [])]);
    const user = this.users.get(session.userId);
    if (!user || !user.sessions.delete(session)) return;
    if (user.sessions.size === 0 && user.buffered === null) this.forget(user);
  }

  /** Closes every local session of a user (or one device session). */
  closeUser(userId: string, sessionId: string | null, code: number, reason: string): void {
    const user = this.users.get(userId);
    if (!user) return;
    if (!user.loaded && user.earlyCloses.length < MAX_EARLY_CLOSES) user.earlyCloses.push({ session: sessionId, code, reason });
    for (const session of [...user.sessions]) {
      if (sessionId === null || session.sessionId === sessionId) session.close(code, reason);
    }
  }

  /**
   * Subscribes a session to the presence channels of these users; resolves once messages
   * published afterwards reach it (so a read made after this misses nothing). A session
   * that detaches is unwatched from everything.
   */
  async watch(session: HubSession, userIds: readonly string[]): Promise<void> {
    const fresh: string[] = [];
    let mine = this.watching.get(session);
    if (!mine) this.watching.set(session, (mine = new Set()));
    for (const userId of userIds) {
      mine.add(userId);
      let sessions = this.watchers.get(userId);
      if (!sessions) this.watchers.set(userId, (sessions = new Set()));
      sessions.add(session);
      if (!this.watchSubscribed.has(userId)) fresh.push(userId);
    }
    if (fresh.length > 0) {
      const subscribed = this.options.broker.subscribe(fresh.map(presenceChannel));
      for (const userId of fresh) this.watchSubscribed.set(userId, subscribed);
      subscribed.catch(() => {
        for (const userId of fresh) if (this.watchSubscribed.get(userId) === subscribed) this.watchSubscribed.delete(userId);
      });
    }
    await Promise.all(userIds.map((userId) => this.watchSubscribed.get(userId)));
  }

  unwatch(session: HubSession, userIds: readonly string[]): void {
    const mine = this.watching.get(session);
    if (!mine) return;
    const emptied: string[] = [];
    for (const userId of userIds) {
      if (!mine.delete(userId)) continue;
      const sessions = this.watchers.get(userId);
      sessions?.delete(session);
      if (sessions && sessions.size === 0) {
        this.watchers.delete(userId);
        this.watchSubscribed.delete(userId);
        emptied.push(presenceChannel(userId));
      }
    }
    if (mine.size === 0) this.watching.delete(session);
    if (emptied.length > 0) this.options.broker.unsubscribe(emptied).catch(() => {});
  }

  forEachSession(visit: (session: HubSession) => void): void {
    for (const user of this.users.values()) for (const session of user.sessions) visit(session);
  }

  /**
   * After a broker outage: seqs may have jumped, so reordering state starts over. Events
   * held for a missing predecessor are delivered first, in order (their sessions resync
   * the gap anyway).
   */
  resetOrdering(): void {
    for (const topic of this.topics.values()) {
      if (topic.held) this.releaseHeld(topic, true);
      this.flushMembers(topic);
      if (topic.timer) clearTimeout(topic.timer);
      topic.timer = null;
      topic.held = null;
      topic.lastSeq = -1;
    }
  }

  /**
   * Reads every local user's membership again and subscribes or unsubscribes to match.
   * Needed after a broker gap: the membership hints published meanwhile are lost, and
   * without this a member removed during the outage would go on hearing the conversation.
   */
  async refreshMemberships(): Promise<void> {
    const users = [...this.users.values()];
    // A few reads at a time: every session on the node is resyncing against the same store.
    const worker = async () => {
      for (let user = users.pop(); user; user = users.pop()) await this.refresh(user);
    };
    await Promise.all(Array.from({ length: Math.min(REFRESH_CONCURRENCY, users.length) }, worker));
  }

  private async load(user: LocalUser): Promise<void> {
    await this.options.broker.subscribe([userChannel(user.id)]);
    const snapshot = await this.options.loadMembership(user.id);
    user.userSeq = snapshot.userSeq;
    const topics = snapshot.conversations.map(({ id }) => this.join(user, id));
    await this.subscribeTopics(topics);
    this.replayBuffered(user, snapshot.userSeq);
    user.loaded = true;
  }

  private async refresh(user: LocalUser): Promise<void> {
    try {
      // A user still loading may have read its snapshot before the gap: refresh after it.
      await user.loading;
    } catch {
      return;
    }
    if (user.forgotten) return;
    if (user.buffered) {
      user.refreshAgain = true;
      return;
    }
    user.buffered = [];
    user.refreshAgain = false;
    let coveredSeq = -1;
    try {
      const snapshot = await this.options.loadMembership(user.id);
      if (user.forgotten) return;
      coveredSeq = snapshot.userSeq;
      const wanted = new Set(snapshot.conversations.map(({ id }) => id));
      const emptied: string[] = [];
      for (const id of [...user.conversations]) if (!wanted.has(id) && this.leave(user, id)) emptied.push(conversationChannel(id));
      if (emptied.length) this.options.broker.unsubscribe(emptied).catch(() => {});
      await this.subscribeTopics([...wanted].map((id) => this.join(user, id)));
      if (snapshot.userSeq > user.userSeq) user.userSeq = snapshot.userSeq;
    } catch (error) {
      // Live delivery goes on with what is known; the sessions resync from the logs anyway.
      this.options.logger.warn({ err: error, user: user.id }, 'could not refresh membership after a broker gap');
    } finally {
      // Unlike after a first load, no ready frame told the sessions a head: every frame that
      // waited is delivered, even those the snapshot covers; their membership hints are not
      // applied again (the snapshot has them, and a stale one could undo a lost newer one).
      if (!user.forgotten) {
        this.replayBuffered(user, coveredSeq, true);
        if (user.sessions.size === 0) this.forget(user);
      }
    }
    if (user.refreshAgain && !user.forgotten) await this.refresh(user);
  }

  /**
   * Ends buffering: user-channel messages newer than the snapshot (`coveredSeq`) are
   * applied; covered ones are dropped, or with `deliverCovered` delivered without their
   * membership hint. On the next turn of the event loop, so that sessions attaching right
   * now are ready for them.
   */
  private replayBuffered(user: LocalUser, coveredSeq: number, deliverCovered = false): void {
    const buffered = user.buffered ?? [];
    user.buffered = null;
    const replay = deliverCovered ? buffered : buffered.filter(({ header }) => header.s > coveredSeq);
    if (replay.length === 0) return;
    user.chain = user.chain.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    for (const { header, frame } of replay) {
      const { m, ...plain } = header;
      this.enqueueUserMessage(user, header.s > coveredSeq ? header : plain, frame);
    }
  }

  private forget(user: LocalUser): void {
    if (this.users.get(user.id) !== user) return;
    this.users.delete(user.id);
    user.forgotten = true;
    const emptied: string[] = [];
    for (const id of [...user.conversations]) if (this.leave(user, id)) emptied.push(conversationChannel(id));
    this.options.broker.unsubscribe([userChannel(user.id), ...emptied]).catch(() => {});
  }

  /** Adds the user to a topic (creating it); the caller makes sure it is subscribed (`subscribeTopics`). */
  private join(user: LocalUser, conversationId: string): Topic {
    let topic = this.topics.get(conversationId);
    if (!topic) {
      topic = new Topic(conversationId);
      this.topics.set(conversationId, topic);
    }
    user.conversations.add(conversationId);
    topic.users.add(user);
    return topic;
  }

  /**
   * Resolves once every topic is subscribed on the broker: new ones in one call, and ones
   * another user's join is still subscribing (joining a topic is not hearing it yet).
   */
  private subscribeTopics(topics: readonly Topic[]): Promise<void> {
    const fresh = topics.filter((topic) => topic.subscribed === null);
    if (fresh.length > 0) {
      const subscribed = this.options.broker.subscribe(fresh.map((topic) => conversationChannel(topic.id)));
      for (const topic of fresh) topic.subscribed = subscribed;
      subscribed.catch(() => {
        for (const topic of fresh) if (topic.subscribed === subscribed) topic.subscribed = null;
      });
    }
    return Promise.all(topics.map((topic) => topic.subscribed)).then(() => {});
  }

  /** Removes the user from a topic; true when the topic is now empty and gone (the caller unsubscribes the broker). */
  private leave(user: LocalUser, conversationId: string): boolean {
    if (!user.conversations.delete(conversationId)) return false;
    const topic = this.topics.get(conversationId);
    if (!topic) return false;
    topic.users.delete(user);
    if (topic.users.size > 0) return false;
    if (topic.timer) clearTimeout(topic.timer);
    topic.timer = null;
    topic.held = null;
    if (topic.membersTimer) clearTimeout(topic.membersTimer);
    topic.membersTimer = null;
    topic.members = null;
    topic.notifying = null;
    this.topics.delete(conversationId);
    return true;
  }

  /** Applies a membership change unless a newer one (by conversation seq) was applied already. */
  private applyMembership(user: LocalUser, conversationId: string, seq: number, member: boolean): Promise<void> | undefined {
    if (user.forgotten) return undefined;
    if ((user.decided.get(conversationId) ?? -1) >= seq) return undefined;
    user.decided.set(conversationId, seq);
    if (member) return this.subscribeTopics([this.join(user, conversationId)]);
    if (this.leave(user, conversationId)) this.options.broker.unsubscribe([conversationChannel(conversationId)]).catch(() => {});
    for (const session of user.sessions) session.onLeftConversation?.();
    return undefined;
  }

  private onBrokerMessage(channel: string, message: string): void {
    try {
      const envelope = decodeEnvelope(message);
      const kind = channel.slice(0, 2);
      const id = channel.slice(2);
      if (!envelope || !(HEADERS_BY_CHANNEL[kind]?.includes(envelope.header.k) ?? false)) {
        this.options.logger.warn({ channel }, 'dropped a malformed broker message');
        return;
      }
      const { header, frame } = envelope;
      // Once per event and node, whether or not a local socket still wants it.
      if ((header.k === 'c' || header.k === 'u') && header.t !== undefined) this.options.received?.(header.k === 'c' ? 'conversation' : 'user', header.t);
      if (header.k === 'e') {
        this.onEphemeral(kind, id, header, Buffer.from(frame));
        return;
      }
      if (header.k === 'c') {
        const topic = this.topics.get(id);
        if (topic) this.onConversationEvent(topic, { header, frame: Buffer.from(frame) });
        return;
      }
      const user = this.users.get(id);
      if (!user) return;
      if (header.k === 'x') {
        this.closeUser(user.id, header.close.session, header.close.code, header.close.reason);
      } else if (user.buffered) {
        user.buffered.push({ header, frame });
      } else {
        this.enqueueUserMessage(user, header, frame);
      }
    } catch (error) {
      // Never into the broker: one bad message or session must not stop the others.
      this.options.logger.error({ err: error, channel }, 'broker message not delivered');
    }
  }

  /** Ephemeral frames skip ordering and buffering: whoever is here now gets them, nobody else ever will. */
  private onEphemeral(kind: string, id: string, header: EphemeralHeader, frame: Buffer): void {
    if (kind === 'c:') {
      const topic = this.topics.get(id);
      if (!topic) return;
      for (const user of topic.users) if (user.id !== header.x) for (const session of user.sessions) this.send(session, frame);
    } else if (kind === 'u:') {
      for (const session of this.users.get(id)?.sessions ?? []) if (header.d === undefined || session.sessionId === header.d) this.send(session, frame);
    } else {
      for (const session of this.watchers.get(id) ?? []) {
        try {
          session.onWatched?.(id, header, frame);
        } catch (error) {
          this.options.logger.warn({ err: error, user: session.userId }, 'a session failed to take a presence frame');
        }
      }
    }
  }

  /** Membership first (waiting for the broker subscription), then the frame: a client told it was added can fetch at once and miss nothing. */
  private enqueueUserMessage(user: LocalUser, header: UserHeader, frame: string): void {
    user.chain = user.chain
      .then(async () => {
        if (user.forgotten) return;
        if (header.m) await this.applyMembership(user, header.m.c, header.m.s, header.m.on);
        if (header.s > user.userSeq) user.userSeq = header.s;
        const bytes = Buffer.from(frame);
        const tracing = this.options.tracing;
        if (header.tp && tracing?.enabled) {
          tracing.continueFrom(header.tp, 'deliver user event', { 'messaging.operation.type': 'deliver', 'parley.user_id': user.id, 'parley.seq': header.s, 'parley.sockets': user.sessions.size }, () => {
            for (const session of user.sessions) this.send(session, bytes);
          });
        } else {
          for (const session of user.sessions) this.send(session, bytes);
        }
        if (header.t !== undefined && user.sessions.size > 0) this.options.delivered?.('user', header.t);
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
    if (topic.held.has(seq)) return;
    topic.held.set(seq, event);
    if (topic.held.size >= MAX_HELD_PER_TOPIC) {
      this.releaseHeld(topic, true);
      return;
    }
    topic.timer ??= setTimeout(() => this.releaseHeld(topic, true), this.options.reorderHoldMs);
  }

  /** Delivers held events that are now next in line; on timeout, all of them, in order, skipping the gap. */
  private releaseHeld(topic: Topic, timedOut: boolean): void {
    if (!topic.held) return;
    if (timedOut) {
      if (topic.timer) clearTimeout(topic.timer);
      topic.timer = null;
      const seqs = [...topic.held.keys()].sort((a, b) => a - b);
      const held = topic.held;
      topic.held = null;
      for (const seq of seqs) if (seq > topic.lastSeq) this.deliver(topic, held.get(seq)!);
      return;
    }
    let next: HeldEvent | undefined;
    while (topic.held && (next = topic.held.get(topic.lastSeq + 1))) {
      topic.held.delete(next.header.s);
      this.deliver(topic, next);
    }
    if (!topic.held) return;
    for (const seq of topic.held.keys()) if (seq <= topic.lastSeq) topic.held.delete(seq);
    if (topic.held.size === 0) {
      topic.held = null;
      if (topic.timer) clearTimeout(topic.timer);
      topic.timer = null;
    }
  }

  private deliver(topic: Topic, event: HeldEvent): void {
    const tracing = this.options.tracing;
    if (event.header.tp && tracing?.enabled) {
      tracing.continueFrom(event.header.tp, 'deliver event', { 'messaging.operation.type': 'deliver', 'parley.conversation_id': topic.id, 'parley.seq': event.header.s, 'parley.local_users': topic.users.size }, () => this.deliverNow(topic, event));
    } else {
      this.deliverNow(topic, event);
    }
  }

  private deliverNow(topic: Topic, { header, frame }: HeldEvent): void {
    topic.lastSeq = header.s;
    const delivering = this.options.delivered && header.t !== undefined;
    for (const userId of header.sub ?? []) {
      const user = this.users.get(userId);
      // The topic is subscribed already (this event came through it): nothing to wait for.
      if (user && !user.buffered) this.applyMembership(user, topic.id, header.s, true)?.catch(() => {});
    }
    if (header.q !== undefined) {
      this.deliverCoalesced(topic, header, frame);
      return;
    }
    this.flushMembers(topic);
    for (const user of topic.users) for (const session of user.sessions) this.send(session, frame);
    // Once per event and node, after the last local socket took it (not per socket).
    if (delivering) this.options.delivered!('conversation', header.t!);
    for (const userId of header.unsub ?? []) {
      const user = this.users.get(userId);
      if (user && !user.buffered) this.applyMembership(user, topic.id, header.s, false);
    }
  }

  /**
   * A membership change of a large conversation: in full only to the users it subscribes or
   * unsubscribes (their devices learn of the change from it, as in any conversation), and
   * gathered for everyone else. O(1) in the topic's size; the topic's members are visited
   * once per interval, by `flushMembers`.
   */
  private deliverCoalesced(topic: Topic, header: ConversationHeader, frame: Buffer): void {
    for (const userId of [...(header.sub ?? []), ...(header.unsub ?? [])]) {
      const user = this.users.get(userId);
      if (user && topic.users.has(user)) for (const session of user.sessions) this.send(session, frame);
    }
    const pending = topic.members;
    if (pending && pending.to === header.s - 1) {
      pending.to = header.s;
      pending.count = header.q!;
    } else {
      // Not the next seq (a gap was given up on): what was gathered goes first, then a new run starts.
      this.flushMembers(topic);
      topic.members = { from: header.s, to: header.s, count: header.q! };
    }
    if (!topic.membersTimer) {
      // Paced by the size as of the run's first change: a notice costs one frame per member online, and they grow with it.
      const delay = membersNoticeDelay(header.q!, this.options.membersNotices ?? FIXED_NOTICE_PACING);
      topic.membersTimer = setTimeout(() => this.flushMembers(topic), delay);
      topic.membersTimer.unref();
    }
    for (const userId of header.unsub ?? []) {
      const user = this.users.get(userId);
      if (user && !user.buffered) this.applyMembership(user, topic.id, header.s, false);
    }
  }

  /**
   * Tells the topic's sessions of the membership changes gathered so far, in one frame. A
   * notice still being written is finished first, at once: whoever calls this is about to
   * deliver something later, and every session must have the notice before it.
   */
  private flushMembers(topic: Topic): void {
    this.notifyMembers(topic, Number.POSITIVE_INFINITY);
    if (topic.membersTimer) clearTimeout(topic.membersTimer);
    topic.membersTimer = null;
    const pending = topic.members;
    if (!pending) return;
    topic.members = null;
    const notice: MembersChangedFrame = { t: 'members_changed', conversationId: topic.id, fromSeq: pending.from, toSeq: pending.to, memberCount: pending.count };
    topic.notifying = { frame: Buffer.from(JSON.stringify(notice)), users: topic.users.values() };
    this.notifyMembers(topic, NOTICE_USERS_PER_TURN);
  }

  /**
   * Writes the notice in progress to at most `limit` more users; the rest on the next turn.
   * Users who join the topic meanwhile are told too (a Set's iterator visits what is added),
   * and those who leave are skipped: as if the notice had gone out at once.
   */
  private notifyMembers(topic: Topic, limit: number): void {
    const notifying = topic.notifying;
    if (!notifying) return;
    for (let told = 0; told < limit; told++) {
      const next = notifying.users.next();
      if (next.done) {
        topic.notifying = null;
        return;
      }
      for (const session of next.value.sessions) this.send(session, notifying.frame);
    }
    setImmediate(() => {
      if (topic.notifying === notifying) this.notifyMembers(topic, NOTICE_USERS_PER_TURN);
    });
  }

  /** One session failing to take a frame does not cost the others theirs. */
  private send(session: HubSession, frame: Buffer): void {
    try {
      session.deliver(frame);
    } catch (error) {
      this.options.logger.warn({ err: error, user: session.userId }, 'a session failed to take a frame');
    }
  }
}

import type {
  Conversation, ConversationEvent, ConversationListResponse, EventFrame, EventsResponse, HeadsResponse, MembersChangedFrame, ResyncFrame, SyncAck, SyncConversationResult,
  MembershipEndReason, UserEvent, UserEventFrame, UserEventsResponse,
} from '@parley/protocol';
import { expandEvent, Limits } from '@parley/protocol/client';
import type { CommandFramePayload } from './command-route.ts';
import { Emitter } from './emitter.ts';
import { asParleyError, ParleyError } from './errors.ts';
import type { HistoryLoader } from './history-loader.ts';
import { OrderedLog } from './ordered-log.ts';
import { type ChatStore, type ConversationState, STAFF_ROLES } from './store.ts';

export type SyncRequest = CommandFramePayload<'sync'>;

/**
 * Everything the engine reads from the server. Which way each read travels (socket or
 * HTTP) is the transport's business; the engine needs only answers in the protocol's
 * shapes. Failures are ParleyErrors; `not_found` means the conversation is gone for
 * this user (deleted, or no longer a member).
 */
/** A conversation the user no longer has. */
export interface ConversationRemoved {
  conversationId: string;
  reason?: MembershipEndReason;
  last?: Conversation;
}

export interface SyncTransport {
  /** The realtime connection is authenticated: `sync` can be sent, and live frames arrive. */
  connected(): boolean;
  /** Where the user's own log stands. */
  heads(): Promise<HeadsResponse>;
  conversations(query: { cursor?: string; limit: number }): Promise<ConversationListResponse>;
  conversation(conversationId: string): Promise<Conversation>;
  /** One page of a conversation's log after `after`. */
  events(conversationId: string, after: number, limit: number): Promise<EventsResponse>;
  /** One page of the user's own log after `after`. */
  userEvents(after: number, limit: number): Promise<UserEventsResponse>;
  /** Socket only: rejects with `disconnected` when there is no connection. */
  sync(request: SyncRequest): Promise<SyncAck>;
}

/** The pushed frames the engine consumes; the others (typing, presence, receipts) are not in a log. */
export type LogFrame = EventFrame | UserEventFrame | MembersChangedFrame | ResyncFrame;

export interface SyncEngineEvents extends Record<string, unknown[]> {
  /** Each conversation event exactly once, in seq order per conversation, after the store applied it. */
  event: [ConversationEvent];
  /** Each event of the user's own log exactly once, in order. */
  userEvent: [UserEvent];
  /** Too far behind in a conversation: its state was reloaded from the server. */
  reset: [{ conversationId: string }];
  /**
   * People joined or left a large conversation (their events were coalesced, not delivered one
   * by one): the summary's `memberCount` is current; a member list shown must be fetched again
   * (a loaded one in the store is being refetched already).
   */
  membersChanged: [{ conversationId: string; memberCount: number }];
  conversationAdded: [Conversation];
  /** `reason` when the user's own log said why (left, removed, banned, deleted); `last`: its summary as it was. */
  conversationRemoved: [ConversationRemoved];
  /** A summary from the server went into the store (a direct one carries the peer's receipt pointers). */
  summary: [Conversation];
  /** `syncing`: catching up after a (re)connect; `caughtUp`: done, and still connected. */
  progress: ['syncing' | 'caughtUp'];
  /** Something failed in the background; the engine keeps going (the next gap, resync or reset heals it). */
  error: [ParleyError];
}

export interface SyncEngineDeps {
  transport: SyncTransport;
  store: ChatStore;
  /** Reloads what the app had open after a reset, and member profiles after `members.added`. */
  history: Pick<HistoryLoader, 'latest' | 'members'>;
  /** Events per catch-up page (default: the protocol's maximum). */
  pageSize?: number;
  /** Conversations per `sync` request (default: the protocol's maximum). */
  syncChunk?: number;
}

/** One followed conversation: its log position, and the catch-up running for it, if any. */
interface Followed {
  log: OrderedLog<ConversationEvent>;
  catchingUp: Promise<void> | null;
}

/**
 * Keeps the store equal to "snapshot + the events after it", for every conversation the
 * user is in and for the user's own log (invariant 3: in order, exactly once, never a
 * silent gap):
 *
 * - live frames are offered to an `OrderedLog` per log: duplicates are dropped, early
 *   events are held and a gap fetches the missing pages;
 * - `resync()` (after every connect, and on a `resync` frame) asks `sync` where each log
 *   stands, applies what it answers and pages on; a `reset` answer reloads that
 *   conversation from a fresh summary, a user-log reset reloads the list, `gone` drops it;
 * - a read pointer moved, or a change to your own rights, refetches the summary: only the
 *   server can count what is left unread or say what you may do.
 *
 * It knows nothing of sockets or HTTP (see `SyncTransport`), so it runs against a fake.
 */
export class SyncEngine extends Emitter<SyncEngineEvents> {
  private readonly transport: SyncTransport;
  private readonly store: ChatStore;
  private readonly history: SyncEngineDeps['history'];
  private readonly pageSize: number;
  private readonly syncChunk: number;
  private readonly followed = new Map<string, Followed>();
  private userLog = new OrderedLog<UserEvent>(0);
  private userCatchingUp: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private readonly summaryRefreshes = new Map<string, { dirty: boolean; done: Promise<void> }>();

  constructor(deps: SyncEngineDeps) {
    super();
    this.transport = deps.transport;
    this.store = deps.store;
    this.history = deps.history;
    this.pageSize = Math.min(deps.pageSize ?? Limits.eventsPageMax, Limits.eventsPageMax);
    this.syncChunk = Math.min(deps.syncChunk ?? Limits.syncConversationsMax, Limits.syncConversationsMax);
  }

  isFollowing(conversationId: string): boolean {
    return this.followed.has(conversationId);
  }

  /** Highest seq applied in a followed conversation (undefined when not followed). */
  appliedSeq(conversationId: string): number | undefined {
    return this.followed.get(conversationId)?.log.seq;
  }

  /** Highest seq applied of the user's own log. */
  get appliedUserSeq(): number {
    return this.userLog.seq;
  }

  // --- the conversation list -------------------------------------------------------------

  /**
   * Every conversation, from scratch. The user-log position is read first, so a
   * membership change that lands while the list is paged is still replayed from the log.
   */
  async loadAll(): Promise<void> {
    const heads = await this.transport.heads();
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.transport.conversations({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const summary of page.conversations) {
        seen.add(summary.id);
        this.follow(summary);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const id of [...this.followed.keys()]) if (!seen.has(id)) this.unfollow(id);
    this.userLog = new OrderedLog(heads.userSeq);
  }

  /**
   * Starts following a conversation from a summary (its lastSeq is where the log picks
   * up), or takes a fresher summary of one already followed. The log itself never jumps
   * here: events between what was applied and the summary still reach loaded messages
   * and members, so they are fetched (the store does not count them twice).
   */
  follow(summary: Conversation): void {
    const existing = this.followed.get(summary.id);
    if (!existing) this.followed.set(summary.id, { log: new OrderedLog(summary.lastSeq), catchingUp: null });
    this.store.putSummary(summary);
    this.emit('summary', summary);
    if (!existing) this.emit('conversationAdded', summary);
    else if (summary.lastSeq > existing.log.seq) void this.catchUp(summary.id);
  }

  private unfollow(conversationId: string, reason?: MembershipEndReason): void {
    if (!this.followed.delete(conversationId)) return;
    const last = this.store.get(conversationId)?.summary;
    this.store.remove(conversationId);
    this.emit('conversationRemoved', { conversationId, ...(reason ? { reason } : {}), ...(last ? { last } : {}) });
  }

  /**
   * Replaces the summary with a fresh one. A summary older than what was applied since
   * the request went out would roll state back, so it is fetched again; a request made
   * while one is running (a read pointer moved meanwhile) makes it run once more.
   */
  refreshSummary(conversationId: string): Promise<void> {
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
        summary = await this.transport.conversation(conversationId);
      } catch (error) {
        if (error instanceof ParleyError && error.code === 'not_found') this.unfollow(conversationId);
        else this.reportError(error);
        return;
      }
      const followed = this.followed.get(conversationId);
      if (!followed || summary.lastSeq >= followed.log.seq) return this.follow(summary);
    }
  }

  /** Too far behind to replay: drop what is loaded, continue from a fresh summary, reload what the app had open. */
  private async resetConversation(conversationId: string): Promise<void> {
    const state = this.store.get(conversationId);
    const hadMessages = state !== undefined && state.messages !== null;
    const hadMembers = state !== undefined && state.members !== null;
    let summary: Conversation;
    try {
      summary = await this.transport.conversation(conversationId);
    } catch (error) {
      if (error instanceof ParleyError && error.code === 'not_found') return this.unfollow(conversationId);
      throw error;
    }
    const followed = this.followed.get(conversationId);
    if (!followed) return this.follow(summary);
    this.store.clearDetails(conversationId);
    this.store.putSummary(summary);
    this.emit('summary', summary);
    this.emit('reset', { conversationId });
    for (const event of followed.log.resetTo(summary.lastSeq)) this.apply(event);
    if (hadMessages) await this.history.latest(conversationId).catch((error) => this.reportError(error));
    if (hadMembers) await this.history.members(conversationId).catch((error) => this.reportError(error));
  }

  // --- live frames -----------------------------------------------------------------------

  /** A pushed frame of a log (or the server's word that live delivery may have missed some). */
  receive(frame: LogFrame): void {
    // Message events arrive trimmed (`LiveMessage`): restored here, so the log, the store and the app see full messages.
    if (frame.t === 'event') this.offerEvent(expandEvent(frame.event));
    else if (frame.t === 'user_event') this.offerUserEvent(frame.event);
    else if (frame.t === 'members_changed') this.onMembersChanged(frame);
    else void this.resync();
  }

  private offerEvent(event: ConversationEvent): void {
    const followed = this.followed.get(event.conversationId);
    if (!followed) {
      // A conversation we do not follow yet (we were just added): fetch it; this event is in its summary or after.
      void this.refreshSummary(event.conversationId);
      return;
    }
    for (const ready of followed.log.offer(event)) this.apply(ready);
    if (followed.log.hasGap) void this.catchUp(event.conversationId);
  }

  /**
   * Coalesced membership changes: a log that stands inside or just before the run moves past
   * it (those events change no message; the count and the member list are taken from the
   * server), one further behind has a gap and fetches the events themselves.
   */
  private onMembersChanged(frame: MembersChangedFrame): void {
    const followed = this.followed.get(frame.conversationId);
    if (!followed || followed.log.seq >= frame.toSeq) return;
    if (followed.log.seq < frame.fromSeq - 1) {
      void this.catchUp(frame.conversationId);
      return;
    }
    const after = followed.log.skipTo(frame.toSeq);
    this.store.applyMembersChanged(frame.conversationId, frame.toSeq, frame.memberCount);
    this.emit('membersChanged', { conversationId: frame.conversationId, memberCount: frame.memberCount });
    if (this.store.get(frame.conversationId)?.members) void this.history.members(frame.conversationId).catch((error) => this.reportError(error));
    for (const ready of after) this.apply(ready);
    if (followed.log.hasGap) void this.catchUp(frame.conversationId);
  }

  private apply(event: ConversationEvent): void {
    if (this.store.applyEvent(event)) void this.refreshSummary(event.conversationId);
    this.emit('event', event);
    const state = this.store.get(event.conversationId);
    if (state?.members && this.changesMemberList(event, state)) void this.history.members(event.conversationId).catch((error) => this.reportError(error));
  }

  /**
   * Whether the loaded member list must be fetched again: new members arrive as bare ids
   * (their profiles are fetched), unless the list is staff-only and they joined below the
   * staff; in a staff-only list someone promoted is not there yet; and a role change of
   * your own can change which members the server lists to you.
   */
  private changesMemberList(event: ConversationEvent, state: ConversationState): boolean {
    if (event.type === 'members.added') return state.membersScope === 'all' || STAFF_ROLES.has(event.data.role ?? 'member');
    // A channel subscriber who left is not named: a full list cannot tell whom to drop.
    if (event.type === 'member.removed') return event.data.userId === undefined && state.membersScope === 'all';
    if (event.type === 'member.role_changed') return state.membersScope === 'staff' ? !state.members!.has(event.data.userId) || event.data.userId === this.store.me?.id : event.data.userId === this.store.me?.id;
    return false;
  }

  /** Fetches the conversation's log from where we are until the gap is closed; one run per conversation at a time. */
  private catchUp(conversationId: string): Promise<void> {
    const followed = this.followed.get(conversationId);
    if (!followed) return Promise.resolve();
    followed.catchingUp ??= (async () => {
      try {
        for (;;) {
          // Unfollowed (and perhaps followed anew) meanwhile: this run's log is no longer the one.
          if (this.followed.get(conversationId) !== followed) return;
          const page = await this.transport.events(conversationId, followed.log.seq, this.pageSize);
          for (const event of page.events) for (const ready of followed.log.offer(event)) this.apply(ready);
          if (!page.hasMore && !followed.log.hasGap) return;
          if (page.events.length === 0) return;
        }
      } catch (error) {
        if (error instanceof ParleyError && error.code === 'not_found') this.unfollow(conversationId);
        else this.reportError(error);
      } finally {
        followed.catchingUp = null;
      }
    })();
    return followed.catchingUp;
  }

  // --- the user's own log ----------------------------------------------------------------

  private offerUserEvent(event: UserEvent): void {
    for (const ready of this.userLog.offer(event)) this.applyUser(ready);
    if (this.userLog.hasGap) void this.catchUpUser();
  }

  private applyUser(event: UserEvent): void {
    if (event.type === 'conversation.added') {
      const followed = this.followed.get(event.data.conversationId);
      // Re-added after leaving, or new: the summary tells where its log continues.
      if (!followed || followed.log.seq < event.data.seq) void this.refreshSummary(event.data.conversationId);
    } else if (event.type === 'conversation.removed') {
      this.unfollow(event.data.conversationId, event.data.reason);
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
          const page = await this.transport.userEvents(this.userLog.seq, this.pageSize);
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

  // --- resuming after a (re)connect ------------------------------------------------------

  /**
   * One `sync` per chunk of conversations, then page on where needed. Asked again while
   * running (another `ready` or `resync`), it runs once more when the current run ends.
   */
  resync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        try {
          await this.syncOnce();
          if (this.transport.connected() && !this.syncAgain) this.emit('progress', 'caughtUp');
        } catch (error) {
          // Disconnected mid-sync: the next `ready` starts over.
          if (!(error instanceof ParleyError && error.code === 'disconnected')) this.reportError(error);
        }
      } while (this.syncAgain && this.transport.connected());
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    this.emit('progress', 'syncing');
    const ids = [...this.followed.keys()];
    // offset 0 always runs: the first request also carries the user's own log.
    for (let offset = 0; offset === 0 || offset < ids.length; offset += this.syncChunk) {
      const chunk = ids.slice(offset, offset + this.syncChunk).filter((id) => this.followed.has(id));
      const answer = await this.transport.sync({
        ...(offset === 0 ? { userSeq: this.userLog.seq } : {}),
        conversations: chunk.map((id) => ({ id, after: this.followed.get(id)!.log.seq })),
      });
      if (answer.user) {
        if (answer.user.reset) {
          await this.loadAll();
        } else {
          for (const event of answer.user.events) for (const ready of this.userLog.offer(event)) this.applyUser(ready);
          if (answer.user.hasMore || this.userLog.hasGap) await this.catchUpUser();
        }
      }
      await Promise.all(answer.conversations.map((result) => this.applySyncResult(result)));
    }
  }

  private async applySyncResult(result: SyncConversationResult): Promise<void> {
    if (result.gone) return this.unfollow(result.id);
    if (result.reset) return this.resetConversation(result.id);
    const followed = this.followed.get(result.id);
    if (!followed) return;
    for (const event of result.events) for (const ready of followed.log.offer(event)) this.apply(ready);
    if (result.hasMore || followed.log.hasGap || followed.log.seq < result.lastSeq) await this.catchUp(result.id);
  }

  private reportError(error: unknown): void {
    this.emit('error', asParleyError(error));
  }
}

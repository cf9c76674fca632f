import type { Conversation, ConversationEvent, ConversationPrefs, Member, Message, User, UserEvent } from '@parley/protocol';
import { Emitter } from './emitter.ts';

export type MembersScope = 'all' | 'staff';

/** The roles a `staff` member list holds. */
export const STAFF_ROLES: ReadonlySet<string> = new Set(['owner', 'admin', 'moderator']);

/** What the store knows of one conversation. */
export interface ConversationState {
  summary: Conversation;
  /** Loaded messages in ascending seq order; null until the app loads some. */
  messages: Message[] | null;
  /** Whether messages older than the first loaded one exist. */
  hasOlder: boolean;
  /** Members by user id; null until the app loads them. */
  members: Map<string, Member> | null;
  /**
   * Which members `members` holds: `all`, or `staff` (owner, admins, moderators) when the
   * server lists only those to you (a channel you subscribe to); `summary.memberCount`
   * counts everyone either way.
   */
  membersScope: MembersScope;
  /** Sends not yet acknowledged, in the order they were made. */
  pending: PendingMessage[];
  /** Your own reactions, by message id (for loaded messages). */
  myReactions: Map<string, string[]>;
  /**
   * Events shown as lines in the timeline (created, renamed, members added or gone, roles,
   * pins) within the loaded history, ascending by seq; see `NOTICE_TYPES`.
   */
  notices: ConversationEvent[];
  /** Messages you deleted for yourself that this device has heard of (history pages leave them out already). */
  hidden: Set<string>;
}

/** The log events a timeline shows as a line of their own (renames only: other updates are settings). */
export function isNotice(event: ConversationEvent): boolean {
  switch (event.type) {
    case 'conversation.created':
    case 'members.added':
    case 'member.removed':
    case 'member.role_changed':
    case 'message.pinned':
    case 'call.started':
    case 'call.declined':
    case 'call.missed':
    case 'call.ended':
      return true;
    case 'conversation.updated':
      return event.data.title !== undefined;
    default:
      return false;
  }
}

/** Which conversations `list` shows: not archived (the default), archived only, or all. */
export type ListFilter = 'inbox' | 'archived' | 'all';

/** Your view of a conversation, with defaults for a summary from a server that does not send one. */
export function prefsOf(summary: Conversation): ConversationPrefs {
  return summary.prefs ?? { conversationId: summary.id, archived: false, pinnedAt: null, markedUnread: false, clearedSeq: 0 };
}

export interface PendingMessage {
  clientMsgId: string;
  text: string;
  /** Upload ids sent with it (the files were uploaded before the send). */
  attachments?: string[];
  replyTo: string | null;
  createdAt: string;
  /** Set when a send failed for good (not retryable). */
  error: string | null;
}

export interface StoreEvents extends Record<string, unknown[]> {
  /** Something about this conversation changed (null: the list itself). */
  change: [string | null];
}

/**
 * Client-side state built from a server snapshot plus the events after it. Every event
 * assigns (never increments blindly), so replaying an event already reflected in the
 * snapshot changes nothing: state + events = refetched state.
 *
 * Unread counts stay exact: the snapshot's count is the base at its `lastSeq`; only
 * events after that base adjust it, and a read pointer moved elsewhere refreshes it.
 */
export class ChatStore extends Emitter<StoreEvents> {
  me: User | null = null;
  private readonly conversations = new Map<string, ConversationState & { base: number; counted: Set<string> }>();

  /**
   * Your own profile as the server now has it (e.g. after `http.updateMe`): shown at once,
   * before the user log's `profile.updated` brings the same thing to every device.
   */
  putMe(user: User): void {
    this.me = user;
    this.emit('change', null);
  }

  /**
   * Someone's profile as it is now (a `profile` frame): direct conversations with them and
   * loaded member lists show it.
   */
  putUser(user: User): void {
    if (this.me?.id === user.id) this.me = user;
    let listChanged = false;
    for (const state of this.conversations.values()) {
      let changed = false;
      if (state.summary.peer?.id === user.id) {
        state.summary.peer = user;
        changed = listChanged = true;
      }
      const member = state.members?.get(user.id);
      if (member) {
        state.members!.set(user.id, { ...member, user });
        changed = true;
      }
      if (changed) this.emit('change', state.summary.id);
    }
    if (listChanged || this.me?.id === user.id) this.emit('change', null);
  }

  /**
   * Your conversations, pinned ones first (most recently pinned first), then by activity.
   * `filter` (default `all`): `inbox` leaves out archived ones, `archived` shows only those.
   */
  list(filter: ListFilter = 'all'): ConversationState[] {
    const shown = [...this.conversations.values()].filter((state) => filter === 'all' || prefsOf(state.summary).archived === (filter === 'archived'));
    return shown.sort((a, b) => {
      const pinA = prefsOf(a.summary).pinnedAt ?? '';
      const pinB = prefsOf(b.summary).pinnedAt ?? '';
      if (pinA !== pinB) return pinA < pinB ? 1 : -1;
      return a.summary.lastActivityAt === b.summary.lastActivityAt ? (a.summary.id < b.summary.id ? 1 : -1) : a.summary.lastActivityAt < b.summary.lastActivityAt ? 1 : -1;
    });
  }

  /** Whether a message is deleted for you (one by one, or by clearing the history up to it). */
  isHiddenForMe(conversationId: string, message: Pick<Message, 'id' | 'seq'>): boolean {
    const state = this.conversations.get(conversationId);
    return !!state && (message.seq <= prefsOf(state.summary).clearedSeq || state.hidden.has(message.id));
  }

  /** Your view of a conversation as the server now has it (an answer to your own change): shown at once, the user log brings it to your other devices. */
  putPrefs(prefs: ConversationPrefs): void {
    const state = this.conversations.get(prefs.conversationId);
    if (!state) return;
    state.summary.prefs = prefs;
    if (state.messages) state.messages = state.messages.filter((message) => message.seq > prefs.clearedSeq);
    this.emit('change', null);
    this.emit('change', prefs.conversationId);
  }

  /** Messages deleted for you: gone from this device's state. */
  hideMessages(conversationId: string, messageIds: readonly string[]): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    for (const id of messageIds) state.hidden.add(id);
    if (state.messages) state.messages = state.messages.filter((message) => !state.hidden.has(message.id));
    this.emit('change', conversationId);
  }

  get(conversationId: string): ConversationState | undefined {
    return this.conversations.get(conversationId);
  }

  has(conversationId: string): boolean {
    return this.conversations.has(conversationId);
  }

  totalUnread(): number {
    let total = 0;
    for (const state of this.conversations.values()) total += state.summary.unreadCount;
    return total;
  }

  /** A fresh summary from the server: the new base for this conversation. Loaded messages and members are kept. */
  putSummary(summary: Conversation): void {
    const existing = this.conversations.get(summary.id);
    if (existing) {
      existing.summary = summary;
      existing.base = summary.lastSeq;
      existing.counted.clear();
    } else {
      this.conversations.set(summary.id, { summary, messages: null, hasOlder: true, members: null, membersScope: 'all', pending: [], myReactions: new Map(), notices: [], hidden: new Set(), base: summary.lastSeq, counted: new Set() });
    }
    this.emit('change', null);
  }

  remove(conversationId: string): void {
    if (this.conversations.delete(conversationId)) this.emit('change', null);
  }

  /** Forgets loaded messages and members (after a reset); the summary stays until refreshed. */
  clearDetails(conversationId: string): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    state.messages = null;
    state.hasOlder = true;
    state.members = null;
    state.notices = [];
    this.emit('change', conversationId);
  }

  /** Merges timeline notices read from the log (any order, overlapping allowed). */
  putNotices(conversationId: string, events: readonly ConversationEvent[]): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    const bySeq = new Map(state.notices.map((event) => [event.seq, event]));
    for (const event of events) if (isNotice(event)) bySeq.set(event.seq, event);
    state.notices = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    this.emit('change', conversationId);
  }

  /** Merges a page of history (any order, overlapping allowed), with your own reactions on it. */
  putMessages(conversationId: string, messages: Message[], hasOlder?: boolean, myReactions?: Record<string, string[]>): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    for (const message of messages) {
      if (myReactions) state.myReactions.set(message.id, myReactions[message.id] ?? []);
    }
    const byId = new Map((state.messages ?? []).map((message) => [message.id, message]));
    for (const message of messages) if (!this.isHiddenForMe(conversationId, message)) byId.set(message.id, message);
    state.messages = [...byId.values()].sort((a, b) => a.seq - b.seq);
    if (hasOlder !== undefined) state.hasOlder = hasOlder;
    this.emit('change', conversationId);
  }

  putMembers(conversationId: string, members: Member[], replace: boolean, scope: MembersScope = 'all'): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    if (replace || !state.members) state.members = new Map();
    if (replace) state.membersScope = scope;
    for (const member of members) state.members.set(member.userId, member);
    this.emit('change', conversationId);
  }

  addPending(conversationId: string, pending: PendingMessage): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    state.pending.push(pending);
    this.emit('change', conversationId);
  }

  settlePending(conversationId: string, clientMsgId: string, result: { message: Message } | { error: string }): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    if ('message' in result) {
      state.pending = state.pending.filter((p) => p.clientMsgId !== clientMsgId);
      if (state.messages) this.putMessages(conversationId, [result.message]);
    } else {
      for (const p of state.pending) if (p.clientMsgId === clientMsgId) p.error = result.error;
    }
    this.emit('change', conversationId);
  }

  /**
   * Forgets a send the app gave up on (one that failed for good and the user discarded).
   * Only the store's entry goes: a send still being retried is not stopped by this.
   */
  discardPending(conversationId: string, clientMsgId: string): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    state.pending = state.pending.filter((p) => p.clientMsgId !== clientMsgId);
    this.emit('change', conversationId);
  }

  /**
   * A large conversation's membership changes up to `toSeq`, coalesced (a `members_changed`
   * frame): the log has moved past them and the count is as of `toSeq`. The member list, if
   * loaded, is out of date; the caller fetches it again.
   */
  applyMembersChanged(conversationId: string, toSeq: number, memberCount: number): void {
    const state = this.conversations.get(conversationId);
    if (!state) return;
    state.summary.lastSeq = Math.max(state.summary.lastSeq, toSeq);
    // Assigns, so a count the summary already covers is not moved back.
    if (toSeq > state.base) state.summary.memberCount = memberCount;
    this.emit('change', conversationId);
  }

  /**
   * Applies one conversation event, in seq order. Returns true when the event changed
   * what you yourself may do (your role, a mute, the group's rules): only the server can
   * say what your rights are now, so the caller refetches the summary.
   */
  applyEvent(event: ConversationEvent): boolean {
    const state = this.conversations.get(event.conversationId);
    if (!state) return false;
    const summary = state.summary;
    summary.lastSeq = Math.max(summary.lastSeq, event.seq);
    if (event.createdAt > summary.lastActivityAt) summary.lastActivityAt = event.createdAt;
    const fresh = event.seq > state.base;
    const meId = this.me?.id;
    let rightsChanged = false;
    // A loaded timeline shows it as a line (history pages bring the older ones).
    if (state.messages !== null && isNotice(event) && !state.notices.some((notice) => notice.seq === event.seq)) {
      state.notices = [...state.notices, event].sort((a, b) => a.seq - b.seq);
    }
    switch (event.type) {
      case 'conversation.updated': {
        const data = event.data;
        if (data.title !== undefined) summary.title = data.title;
        if (data.description !== undefined) summary.description = data.description;
        if (data.handle !== undefined) summary.handle = data.handle;
        if (data.visibility !== undefined) summary.visibility = data.visibility;
        if (data.photoId === null) delete summary.photoId;
        else if (data.photoId !== undefined) summary.photoId = data.photoId;
        if (data.settings !== undefined) {
          summary.settings = data.settings;
          rightsChanged = true;
        }
        break;
      }
      case 'members.added':
        // The server counts only users who were not members yet, so the count is exact
        // (channel subscribers come as a `count`, unnamed).
        if (fresh) summary.memberCount += event.data.count ?? event.data.userIds.length;
        // A staff-only list does not learn of members who joined below the staff.
        if (state.members && (state.membersScope === 'all' || STAFF_ROLES.has(event.data.role ?? 'member'))) {
          for (const userId of event.data.userIds) {
            if (!state.members.has(userId)) {
              state.members.set(userId, { userId, role: event.data.role ?? 'member', rights: [], mutedUntil: null, joinedAt: event.createdAt, user: { id: userId, handle: null, displayName: userId } });
            }
          }
        }
        break;
      case 'member.removed':
        if (fresh) summary.memberCount = Math.max(0, summary.memberCount - 1);
        if (event.data.userId !== undefined) state.members?.delete(event.data.userId);
        break;
      case 'member.role_changed': {
        const member = state.members?.get(event.data.userId);
        if (member) {
          member.role = event.data.role;
          member.rights = event.data.rights;
          if (state.membersScope === 'staff' && !STAFF_ROLES.has(member.role)) state.members!.delete(member.userId);
        }
        if (event.data.userId === meId) {
          summary.role = event.data.role;
          summary.rights = event.data.rights;
          rightsChanged = true;
        }
        break;
      }
      case 'member.muted': {
        const member = state.members?.get(event.data.userId);
        if (member) member.mutedUntil = event.data.until;
        if (event.data.userId === meId) {
          summary.mutedUntil = event.data.until;
          rightsChanged = true;
        }
        break;
      }
      case 'message.pinned':
        summary.pinnedMessageIds = [event.data.messageId, ...summary.pinnedMessageIds.filter((id) => id !== event.data.messageId)];
        break;
      case 'message.unpinned':
        summary.pinnedMessageIds = summary.pinnedMessageIds.filter((id) => id !== event.data.messageId);
        break;
      case 'reaction.added':
      case 'reaction.removed': {
        const { messageId, emoji, count, userId } = event.data;
        const message = state.messages?.find((m) => m.id === messageId);
        if (message) {
          const others = message.reactions.filter((r) => r.emoji !== emoji);
          message.reactions = count > 0 ? [...others, { emoji, count }].sort((a, b) => b.count - a.count) : others;
        }
        if (userId === meId) {
          const mine = new Set(state.myReactions.get(messageId));
          if (event.type === 'reaction.added') mine.add(emoji);
          else mine.delete(emoji);
          state.myReactions.set(messageId, [...mine]);
        }
        break;
      }
      case 'message.created':
      case 'message.edited':
      case 'message.deleted': {
        const message = event.data.message;
        this.countUnread(state, event.type, message, fresh);
        if (!summary.lastMessage || message.seq >= summary.lastMessage.seq) summary.lastMessage = message;
        // Deleted for you: the log still carries its events (it is shared), your state does not.
        if (state.messages && !this.isHiddenForMe(event.conversationId, message)) {
          const index = state.messages.findIndex((m) => m.id === message.id);
          if (index >= 0) state.messages[index] = message;
          else if (event.type === 'message.created') state.messages.push(message);
          state.messages.sort((a, b) => a.seq - b.seq);
        }
        if (message.senderId === meId) state.pending = state.pending.filter((p) => p.clientMsgId !== message.clientMsgId);
        break;
      }
      case 'conversation.created':
        break;
    }
    this.emit('change', event.conversationId);
    return rightsChanged;
  }

  private countUnread(state: ConversationState & { base: number; counted: Set<string> }, type: ConversationEvent['type'], message: Message, fresh: boolean): void {
    if (!fresh || message.senderId === this.me?.id || message.seq <= state.summary.readSeq) return;
    if (type === 'message.created' && message.deletedAt === null && !state.counted.has(message.id)) {
      state.counted.add(message.id);
      state.summary.unreadCount++;
    } else if (type === 'message.deleted') {
      // Counted either in the base (created before it, deleted after it) or by us since.
      if (message.seq <= state.base || state.counted.delete(message.id)) state.summary.unreadCount = Math.max(0, state.summary.unreadCount - 1);
    }
  }

  /**
   * Applies one event of the user's own log. Returns the conversation whose summary must
   * be refetched, if any (a read pointer moved: only the server can count what is left).
   */
  applyUserEvent(event: UserEvent): string | null {
    switch (event.type) {
      case 'read': {
        const state = this.conversations.get(event.data.conversationId);
        if (!state || event.data.seq <= state.summary.readSeq) return null;
        state.summary.readSeq = event.data.seq;
        this.emit('change', event.data.conversationId);
        return event.data.conversationId;
      }
      case 'profile.updated':
        this.me = event.data.user;
        this.emit('change', null);
        return null;
      case 'conversation.prefs':
        this.putPrefs(event.data);
        return null;
      case 'messages.hidden':
        this.hideMessages(event.data.conversationId, event.data.messageIds);
        return null;
      default:
        return null;
    }
  }
}

import type { ConversationEvent, UserEvent } from '@parley/protocol';

/**
 * What a transaction changed that someone should hear about. Filled inside the
 * transaction, handed to the publisher only after commit (never before: a rolled-back
 * change must not be seen), and lost harmlessly on a crash, because the logs have it.
 */
export interface PublishedConversationEvent {
  event: ConversationEvent;
  /** Users who become subscribers of the conversation at this seq. */
  subscribe: readonly string[];
  /** Users who stop being subscribers after this event is delivered to them. */
  unsubscribe: readonly string[];
  /**
   * Membership events only: the member count after the change. The publisher marks events of
   * large conversations to be coalesced by the hubs instead of pushed to every member.
   */
  memberCount?: number;
}

export interface MembershipHint {
  conversationId: string;
  /** Conversation seq of the change, so nodes apply hints last-writer-wins. */
  seq: number;
  member: boolean;
}

export interface PublishedUserEvent {
  userId: string;
  event: UserEvent;
  membership: MembershipHint | null;
}

export interface SessionControl {
  userId: string;
  /** Null: every session of the user. */
  sessionId: string | null;
  closeCode: number;
  reason: string;
}

export class ChangeSet {
  readonly conversationEvents: PublishedConversationEvent[] = [];
  readonly userEvents: PublishedUserEvent[] = [];
  readonly controls: SessionControl[] = [];

  get isEmpty(): boolean {
    return this.conversationEvents.length === 0 && this.userEvents.length === 0 && this.controls.length === 0;
  }

  /** Records the member count after the membership change at `seq` (see `PublishedConversationEvent.memberCount`). */
  countMembers(conversationId: string, seq: number, memberCount: number): void {
    const published = this.conversationEvents.findLast(({ event }) => event.conversationId === conversationId && event.seq === seq);
    if (published) published.memberCount = memberCount;
  }

  closeSessions(control: SessionControl): void {
    this.controls.push(control);
  }
}

/** Receives committed changes: the realtime fan-out in production, a recorder in tests. */
export type Publisher = (changes: ChangeSet) => void;

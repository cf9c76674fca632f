import Type, { type Static } from 'typebox';
import { Id, Seq, Timestamp } from './common.ts';

export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')]);
export type UserStatus = Static<typeof UserStatus>;

/** What anyone who can see a user sees. */
export const User = Type.Object({
  id: Id,
  handle: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.String(),
});
export type User = Static<typeof User>;

/** A user as the platform operator sees it through the admin API. */
export const AdminUser = Type.Object({
  id: Id,
  handle: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.String(),
  status: UserStatus,
  hasPassword: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AdminUser = Static<typeof AdminUser>;

export const ConversationKind = Type.Union([Type.Literal('direct'), Type.Literal('group')]);
export type ConversationKind = Static<typeof ConversationKind>;

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('member')]);
export type Role = Static<typeof Role>;

export const Message = Type.Object({
  id: Id,
  conversationId: Id,
  /** The seq of the event that created the message. */
  seq: Seq,
  senderId: Id,
  clientMsgId: Type.String(),
  /** Null once the message is deleted. */
  text: Type.Union([Type.String(), Type.Null()]),
  replyTo: Type.Union([Id, Type.Null()]),
  createdAt: Timestamp,
  editedAt: Type.Union([Timestamp, Type.Null()]),
  deletedAt: Type.Union([Timestamp, Type.Null()]),
});
export type Message = Static<typeof Message>;

export const Member = Type.Object({
  userId: Id,
  role: Role,
  joinedAt: Timestamp,
  user: User,
});
export type Member = Static<typeof Member>;

/** A conversation as one member sees it: shared state plus that member's own pointers. */
export const Conversation = Type.Object({
  id: Id,
  kind: ConversationKind,
  title: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  /** Seq of the newest event in the conversation's log. */
  lastSeq: Seq,
  lastActivityAt: Timestamp,
  memberCount: Type.Integer({ minimum: 0 }),
  role: Role,
  /** This member has read everything up to and including this seq. */
  readSeq: Seq,
  /** Messages from others after `readSeq` that are not deleted. */
  unreadCount: Type.Integer({ minimum: 0 }),
  /** For direct conversations: the other member. */
  peer: Type.Union([User, Type.Null()]),
  lastMessage: Type.Union([Message, Type.Null()]),
});
export type Conversation = Static<typeof Conversation>;

/** Head of one conversation's log: what a reconnecting client compares its seq with. */
export const ConversationHead = Type.Object({ id: Id, lastSeq: Seq });
export type ConversationHead = Static<typeof ConversationHead>;

function conversationEvent<const T extends string, D extends Type.TSchema>(type: T, data: D) {
  return Type.Object({
    conversationId: Id,
    seq: Seq,
    type: Type.Literal(type),
    /** Who caused the event; null for the system. */
    actorId: Type.Union([Id, Type.Null()]),
    createdAt: Timestamp,
    data,
  });
}

/**
 * Every change members can see, in one gap-free log per conversation.
 * Message events carry the message as it is now when read from the log, and as it
 * was at the moment of the event when delivered live; applying either in seq order
 * converges to the same state (each event assigns, never increments).
 */
export const ConversationEvent = Type.Union([
  conversationEvent('conversation.created', Type.Object({ kind: ConversationKind, title: Type.Union([Type.String(), Type.Null()]) })),
  conversationEvent('conversation.updated', Type.Object({ title: Type.Union([Type.String(), Type.Null()]) })),
  conversationEvent('members.added', Type.Object({ userIds: Type.Array(Id) })),
  conversationEvent('member.removed', Type.Object({ userId: Id, reason: Type.Union([Type.Literal('left'), Type.Literal('removed'), Type.Literal('deleted')]) })),
  conversationEvent('member.role_changed', Type.Object({ userId: Id, role: Role })),
  conversationEvent('message.created', Type.Object({ message: Message })),
  conversationEvent('message.edited', Type.Object({ message: Message })),
  conversationEvent('message.deleted', Type.Object({ message: Message })),
]);
export type ConversationEvent = Static<typeof ConversationEvent>;
export type ConversationEventType = ConversationEvent['type'];
export type ConversationEventOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>;

function userEvent<const T extends string, D extends Type.TSchema>(type: T, data: D) {
  return Type.Object({ seq: Seq, type: Type.Literal(type), createdAt: Timestamp, data });
}

/** What only one user's devices see, in one gap-free log per user. */
export const UserEvent = Type.Union([
  /** You became a member; the conversation's log from `seq` on is yours to read. */
  userEvent('conversation.added', Type.Object({ conversationId: Id, seq: Seq })),
  /** You are no longer a member (left, removed or the conversation is gone) as of `seq`. */
  userEvent('conversation.removed', Type.Object({ conversationId: Id, seq: Seq })),
  /** Your read pointer in a conversation moved forward (from any of your devices). */
  userEvent('read', Type.Object({ conversationId: Id, seq: Seq })),
  userEvent('profile.updated', Type.Object({ user: User })),
]);
export type UserEvent = Static<typeof UserEvent>;
export type UserEventType = UserEvent['type'];

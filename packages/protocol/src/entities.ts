import Type, { type Static } from 'typebox';
import { Id, Seq, Timestamp } from './common.ts';
import { CallDeclinedData, CallEndedData, CallJoinedData, CallLeftData, CallMissedData, CallStartedData } from './calls.ts';
import { PushMode } from './push.ts';
import { ReceiptPointers } from './realtime.ts';
import { ConversationKind, Rights, Role, Visibility } from './rights.ts';

export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')]);
export type UserStatus = Static<typeof UserStatus>;

/** What anyone who can see a user sees. */
export const User = Type.Object({
  id: Id,
  handle: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.String(),
  /** The user's picture (an image upload), present when they have one: fetch it through `GET /v1/files/:avatarId/url`. */
  avatarId: Type.Optional(Id),
});
export type User = Static<typeof User>;

/** A user as the platform operator sees it through the admin API. */
export const AdminUser = Type.Object({
  id: Id,
  handle: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.String(),
  status: UserStatus,
  avatarId: Type.Optional(Id),
  hasPassword: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AdminUser = Static<typeof AdminUser>;

/** One emoji's reactions on a message. */
export const ReactionCount = Type.Object({ emoji: Type.String(), count: Type.Integer({ minimum: 1 }) });
export type ReactionCount = Static<typeof ReactionCount>;

/** Attribution of a forwarded message to its original. */
export const ForwardedFrom = Type.Object({
  messageId: Id,
  senderId: Id,
  /** Only when the original conversation is public (a channel or group with a handle); null otherwise. */
  conversationId: Type.Union([Id, Type.Null()]),
  conversationTitle: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
export type ForwardedFrom = Static<typeof ForwardedFrom>;

/** What a file is to a client: how to show it. `voice` is a recorded voice note (audio sent as one). */
export const AttachmentKind = Type.Enum(['image', 'video', 'audio', 'voice', 'file']);
export type AttachmentKind = 'image' | 'video' | 'audio' | 'voice' | 'file';

/**
 * A file on a message (or an avatar, a conversation photo): what the server found in its
 * bytes. The bytes themselves are fetched through a short-lived link from
 * `GET /v1/files/:fileId/url` (`variant=thumbnail` for the preview).
 */
export const Attachment = Type.Object({
  id: Id,
  kind: AttachmentKind,
  /** The uploader's file name, made safe (no path, no control characters). */
  name: Type.String(),
  /** Bytes. */
  size: Type.Integer({ minimum: 1 }),
  /** The content type detected from the bytes (never the one the uploader claimed). */
  type: Type.String(),
  /** Images: pixels. Null for other kinds. */
  width: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  height: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  /** Audio, voice and video: length in milliseconds, when the container says. */
  durationMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** A small JPEG preview exists (images the server could decode): its size in pixels. */
  thumbnail: Type.Union([Type.Object({ width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }) }), Type.Null()]),
  /** Voice and audio: loudness over time as base64url bytes (0–255, up to 64 bars); null when not computed. */
  waveform: Type.Union([Type.String(), Type.Null()]),
});
export type Attachment = Static<typeof Attachment>;

/** An upload as its owner sees it: an attachment not yet (or already) used, with its checksum. */
export const FileInfo = Type.Object({
  ...Attachment.properties,
  /** Lowercase hex SHA-256 of the stored bytes. */
  sha256: Type.String(),
  createdAt: Timestamp,
  /** An upload that no message, avatar or photo uses is deleted at this time; null once used. */
  expiresAt: Type.Union([Timestamp, Type.Null()]),
});
export type FileInfo = Static<typeof FileInfo>;

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
  forwardedFrom: Type.Union([ForwardedFrom, Type.Null()]),
  /** Counts per emoji, most used first; who reacted is `GET …/messages/:id/reactions`. */
  reactions: Type.Array(ReactionCount),
  /** Files sent with the message, in the order sent; empty once the message is deleted. */
  attachments: Type.Array(Attachment),
  /** Members the text mentions by `@handle` (as the server found them when it was sent or last edited), for highlighting and notifications. */
  mentions: Type.Array(Id),
});
export type Message = Static<typeof Message>;

export const Member = Type.Object({
  userId: Id,
  role: Role,
  /** What this member may do here (the role's defaults, a custom set, or the group's member rights; less while muted). */
  rights: Rights,
  mutedUntil: Type.Union([Timestamp, Type.Null()]),
  joinedAt: Timestamp,
  user: User,
});
export type Member = Static<typeof Member>;

/** Settings that owners and members with `edit_info` change; each change is a `conversation.updated` event. */
export const ConversationSettings = Type.Object({
  /** What ordinary members may do (groups); a read-only group has none of the sending rights. */
  memberRights: Rights,
  /** Minimum seconds between one member's messages; 0 is off. Owners, admins and moderators are exempt. */
  slowModeSec: Type.Integer({ minimum: 0 }),
  /** Messages may not be forwarded out of this conversation. */
  protectedContent: Type.Boolean(),
  /** Joining by handle needs an admin's approval. */
  joinApproval: Type.Boolean(),
});
export type ConversationSettings = Static<typeof ConversationSettings>;

/**
 * Your own view of one conversation, the same on all your devices (each change is a
 * `conversation.prefs` event in your log, carrying all of it, so applying assigns).
 */
export const ConversationPrefs = Type.Object({
  conversationId: Id,
  /** Archived: listed apart from the others. A new message does not bring it back (the client decides how to show it). */
  archived: Type.Boolean(),
  /** Pinned to the top of your list since then (null: not pinned); most recently pinned first. */
  pinnedAt: Type.Union([Timestamp, Type.Null()]),
  /** You marked it unread; reading it (moving your read pointer) clears the mark. */
  markedUnread: Type.Boolean(),
  /** "Delete for me" of the history: messages with seq up to this are gone for you (0: none). */
  clearedSeq: Seq,
});
export type ConversationPrefs = Static<typeof ConversationPrefs>;

/** A conversation as one member sees it: shared state plus that member's own pointers. */
export const Conversation = Type.Object({
  id: Id,
  kind: ConversationKind,
  visibility: Visibility,
  /** Unique handle of a public group or channel. */
  handle: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  /** The conversation's picture (an image upload), present when it has one; members fetch it through `GET /v1/files/:photoId/url`. */
  photoId: Type.Optional(Id),
  settings: ConversationSettings,
  createdAt: Timestamp,
  /** Seq of the newest event in the conversation's log. */
  lastSeq: Seq,
  lastActivityAt: Timestamp,
  memberCount: Type.Integer({ minimum: 0 }),
  role: Role,
  /** What you may do here. */
  rights: Rights,
  /** Set while you are muted here. */
  mutedUntil: Type.Union([Timestamp, Type.Null()]),
  /** This member has read everything up to and including this seq. */
  readSeq: Seq,
  /** Messages from others after `readSeq` that are not deleted. */
  unreadCount: Type.Integer({ minimum: 0 }),
  /** For direct conversations: the other member. */
  peer: Type.Union([User, Type.Null()]),
  lastMessage: Type.Union([Message, Type.Null()]),
  /** Pinned messages, most recently pinned first. */
  pinnedMessageIds: Type.Array(Id),
  /**
   * Direct conversations: the other member's receipt pointers — your messages up to
   * `deliveredSeq` reached one of their devices, up to `readSeq` were read. Null elsewhere
   * (groups: `GET …/messages/:messageId/receipts`).
   */
  peerReceipts: Type.Union([ReceiptPointers, Type.Null()]),
  /** Your own view of it (archived, pinned, marked unread, history cleared); always sent by this server. */
  prefs: Type.Optional(ConversationPrefs),
});
export type Conversation = Static<typeof Conversation>;

/** What anyone may see of a public conversation (by handle), or of any conversation behind a valid invite. */
export const ConversationPreview = Type.Object({
  id: Id,
  kind: ConversationKind,
  visibility: Visibility,
  handle: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  memberCount: Type.Integer({ minimum: 0 }),
  joinApproval: Type.Boolean(),
});
export type ConversationPreview = Static<typeof ConversationPreview>;

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

/** Why a membership ended. */
export const MembershipEndReason = Type.Enum(['left', 'removed', 'banned', 'deleted']);
export type MembershipEndReason = Static<typeof MembershipEndReason>;

/**
 * Every change members can see, in one gap-free log per conversation.
 * Message events carry the message as it is now when read from the log, and as it
 * was at the moment of the event when delivered live; applying either in seq order
 * converges to the same state (each event assigns, never increments).
 */
export const ConversationEvent = Type.Union([
  conversationEvent('conversation.created', Type.Object({ kind: ConversationKind, visibility: Visibility, title: Type.Union([Type.String(), Type.Null()]) })),
  /** Only the fields that changed are present. */
  conversationEvent('conversation.updated', Type.Object({
    title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    handle: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** The new picture's upload id; null: removed. */
    photoId: Type.Optional(Type.Union([Id, Type.Null()])),
    visibility: Type.Optional(Visibility),
    settings: Type.Optional(ConversationSettings),
    /** Messages older than this many days are deleted for everyone (null: the server's default). */
    retentionDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  })),
  /**
   * `role` is what they joined as (member, or subscriber in channels). A channel's
   * subscribers are not named to its other members: when subscribers join, `userIds` is
   * empty, `count` says how many, and `actorId` is null if they joined by themselves.
   */
  conversationEvent('members.added', Type.Object({ userIds: Type.Array(Id), role: Type.Optional(Role), count: Type.Optional(Type.Integer({ minimum: 1 })) })),
  /** `userId` is absent when a channel's subscriber left or was removed (see `members.added`); `actorId` is then null if they left. */
  conversationEvent('member.removed', Type.Object({ userId: Type.Optional(Id), reason: MembershipEndReason })),
  conversationEvent('member.role_changed', Type.Object({ userId: Id, role: Role, rights: Rights })),
  conversationEvent('member.muted', Type.Object({ userId: Id, until: Type.Union([Timestamp, Type.Null()]) })),
  conversationEvent('message.created', Type.Object({ message: Message })),
  conversationEvent('message.edited', Type.Object({ message: Message })),
  conversationEvent('message.deleted', Type.Object({ message: Message })),
  conversationEvent('message.pinned', Type.Object({ messageId: Id })),
  conversationEvent('message.unpinned', Type.Object({ messageId: Id })),
  /** `count` is the emoji's count after the change (0: gone), so applying assigns. */
  conversationEvent('reaction.added', Type.Object({ messageId: Id, userId: Id, emoji: Type.String(), count: Type.Integer({ minimum: 0 }) })),
  conversationEvent('reaction.removed', Type.Object({ messageId: Id, userId: Id, emoji: Type.String(), count: Type.Integer({ minimum: 0 }) })),
  // Calls (docs/calls.md): every step of a call's life, so call history syncs like messages.
  conversationEvent('call.started', CallStartedData),
  conversationEvent('call.joined', CallJoinedData),
  conversationEvent('call.declined', CallDeclinedData),
  conversationEvent('call.left', CallLeftData),
  conversationEvent('call.missed', CallMissedData),
  conversationEvent('call.ended', CallEndedData),
]);
export type ConversationEvent = Static<typeof ConversationEvent>;

/**
 * A message as `event` frames carry it: the same fields as `Message`, but a field is left
 * out when a recipient can restore it — `conversationId`, `seq`, `senderId` and `createdAt`
 * when they equal the event's `conversationId`, `seq`, `actorId` and `createdAt`; `text`,
 * `replyTo`, `editedAt`, `deletedAt` and `forwardedFrom` when null; `reactions`,
 * `attachments` and `mentions` when empty. Every event frame is serialized once for all
 * its recipients, so what it repeats is paid once per recipient. `expandEvent` restores
 * the full `Message`; logs read over HTTP or `events`/`sync` carry it in full.
 */
export const LiveMessage = Type.Object({
  id: Id,
  clientMsgId: Type.String(),
  conversationId: Type.Optional(Id),
  seq: Type.Optional(Seq),
  senderId: Type.Optional(Id),
  text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  replyTo: Type.Optional(Type.Union([Id, Type.Null()])),
  createdAt: Type.Optional(Timestamp),
  editedAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  deletedAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  forwardedFrom: Type.Optional(Type.Union([ForwardedFrom, Type.Null()])),
  reactions: Type.Optional(Type.Array(ReactionCount)),
  attachments: Type.Optional(Type.Array(Attachment)),
  mentions: Type.Optional(Type.Array(Id)),
});
export type LiveMessage = Static<typeof LiveMessage>;

const MESSAGE_EVENT_TYPES: readonly string[] = ['message.created', 'message.edited', 'message.deleted'] satisfies MessageEventType[];
type MessageEventType = 'message.created' | 'message.edited' | 'message.deleted';

/** A conversation event as pushed in an `event` frame: message events carry a `LiveMessage`, every other event is as in the log. */
export const LiveConversationEvent = Type.Union([
  ...ConversationEvent.anyOf.filter((schema) => !MESSAGE_EVENT_TYPES.includes(schema.properties.type.const)),
  conversationEvent('message.created', Type.Object({ message: LiveMessage })),
  conversationEvent('message.edited', Type.Object({ message: LiveMessage })),
  conversationEvent('message.deleted', Type.Object({ message: LiveMessage })),
]);
type Live<E> = E extends { type: MessageEventType } ? Omit<E, 'data'> & { data: { message: LiveMessage } } : E;
export type LiveConversationEvent = Live<ConversationEvent>;
export type ConversationEventType = ConversationEvent['type'];
export type ConversationEventOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>;

function userEvent<const T extends string, D extends Type.TSchema>(type: T, data: D) {
  return Type.Object({ seq: Seq, type: Type.Literal(type), createdAt: Timestamp, data });
}

/** What only one user's devices see, in one gap-free log per user. */
export const UserEvent = Type.Union([
  /** You became a member; the conversation's log from `seq` on is yours to read. */
  userEvent('conversation.added', Type.Object({ conversationId: Id, seq: Seq })),
  /** You are no longer a member (left, removed or the conversation is gone) as of `seq`; `reason` says which when known. */
  userEvent('conversation.removed', Type.Object({ conversationId: Id, seq: Seq, reason: Type.Optional(MembershipEndReason) })),
  /** Your read pointer in a conversation moved forward (from any of your devices). */
  userEvent('read', Type.Object({ conversationId: Id, seq: Seq })),
  userEvent('profile.updated', Type.Object({ user: User })),
  /** Your block list changed (from any of your devices). */
  userEvent('block.added', Type.Object({ userId: Id })),
  userEvent('block.removed', Type.Object({ userId: Id })),
  /** Your request to join was declined (an approval arrives as `conversation.added`). */
  userEvent('join_request.declined', Type.Object({ conversationId: Id })),
  /** Archived, pinned, marked unread or history cleared, from one of your devices: the whole view, so applying assigns. */
  userEvent('conversation.prefs', ConversationPrefs),
  /** Messages you deleted for yourself (on all your devices; the others still see them). */
  userEvent('messages.hidden', Type.Object({ conversationId: Id, messageIds: Type.Array(Id) })),
  userEvent('settings.updated', Type.Object({
    addPrivacy: Type.Optional(Type.Enum(['everyone', 'contacts', 'nobody'])),
    /** Who may see your presence (`PUT /v1/me/presence-privacy`). */
    presencePrivacy: Type.Optional(Type.Enum(['everyone', 'contacts', 'nobody'])),
  })),
  /** Your notification choices changed (`PUT /v1/me/push-settings`). */
  userEvent('push_settings.updated', Type.Object({ enabled: Type.Boolean(), previews: Type.Boolean() })),
  /** Your notifications for one conversation changed (`PUT /v1/conversations/:id/push-settings`). */
  userEvent('conversation_push.updated', Type.Object({ conversationId: Id, mode: PushMode, mutedUntil: Type.Union([Timestamp, Type.Null()]) })),
]);
export type UserEvent = Static<typeof UserEvent>;
export type UserEventType = UserEvent['type'];

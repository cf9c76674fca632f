import Type, { type Static } from 'typebox';
import type { Endpoint } from './endpoint.ts';
import { Endpoints, type OperationId } from './endpoints/index.ts';
import { ClientMsgId, Id, MessageText, Seq } from './common.ts';
import { ConversationEvent, LiveConversationEvent, Message, User, UserEvent } from './entities.ts';
import {
  AddMembersBody, AttachmentIds, AuditQuery, AuditResponse, BanBody, ConversationResponse, CreateInviteBody, Emoji, ErrorResponse, EventsResponse, InviteResponse, MuteBody, ReadResponse,
  SeqResponse, UpdateConversationBody, UserEventsResponse,
} from './http.ts';
import { AssignableRole, Rights } from './rights.ts';
import { CallJoinResponse, CallKind, CallResponse, CallRingFrame, CallRingStopFrame, CallSignal, CallSignalFrame } from './calls.ts';
import { Limits } from './limits.ts';
import { RealtimeLimits } from './limits.ts';
import { Presence } from './realtime.ts';

/**
 * WebSocket frames at `/v1/ws`. Every frame is one JSON object with a type tag `t`.
 * Client requests carry an `id` chosen by the client; each is answered by exactly one
 * `ack` (with `data`) or `error` frame carrying the same id.
 */

const strict = { additionalProperties: false } as const;
const RequestId = Type.String({ minLength: 1, maxLength: Limits.requestIdMaxLength });

function request<const T extends string, P extends Type.TProperties>(t: T, properties: P) {
  return Type.Object({ t: Type.Literal(t), id: RequestId, ...properties }, strict);
}

export const SyncConversation = Type.Object({ id: Id, after: Seq }, strict);

const PresenceUserIds = Type.Array(Id, { minItems: 1, maxItems: RealtimeLimits.presenceUsersPerRequest, uniqueItems: true });

/** Client -> server, by type tag. */
export const ClientFrames = {
  /** First frame when the token was not given as `?token=`. Answered by `ready`. */
  auth: request('auth', { token: Type.String({ minLength: 1, maxLength: Limits.tokenMaxLength }) }),
  /** Application-level heartbeat for clients (browsers) that cannot send WebSocket pings. */
  ping: request('ping', {}),
  send: request('send', { conversationId: Id, clientMsgId: ClientMsgId, text: Type.Optional(MessageText), replyTo: Type.Optional(Id), attachments: Type.Optional(AttachmentIds) }),
  edit: request('edit', { conversationId: Id, messageId: Id, text: MessageText }),
  delete: request('delete', { conversationId: Id, messageId: Id }),
  read: request('read', { conversationId: Id, seq: Seq }),
  /** One page of a conversation's log after `after`. */
  events: request('events', { conversationId: Id, after: Seq, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.eventsPageMax })) }),
  /** One page of your own log after `after`. */
  user_events: request('user_events', { after: Seq, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.eventsPageMax })) }),
  /**
   * Resume after a disconnect: give the seqs you hold, get what you missed.
   * `userSeq` asks for your own log too; `conversations` lists the ones you know.
   */
  sync: request('sync', {
    userSeq: Type.Optional(Seq),
    conversations: Type.Array(SyncConversation, { maxItems: Limits.syncConversationsMax }),
  }),
  /**
   * You are typing in a conversation (`typing: false`: you stopped). Never stored; members
   * online in the conversation get a `typing` frame that expires on its own. Repeat it
   * every few seconds while typing; the server forwards at most one per TYPING_THROTTLE_MS.
   */
  typing: request('typing', { conversationId: Id, typing: Type.Optional(Type.Boolean()) }),
  /** These seqs reached this device (batched; the SDK sends one per second at most). */
  delivered: request('delivered', {
    conversations: Type.Array(Type.Object({ id: Id, seq: Seq }, strict), { minItems: 1, maxItems: RealtimeLimits.deliveredMax }),
  }),
  /** The presence of users, as you may see it (no live updates: see `presence_subscribe`). */
  presence: request('presence', { userIds: PresenceUserIds }),
  /** The presence of users now, and `presence` frames whenever it changes, for as long as this socket lives. */
  presence_subscribe: request('presence_subscribe', { userIds: PresenceUserIds }),
  presence_unsubscribe: request('presence_unsubscribe', { userIds: PresenceUserIds }),
  /**
   * The other member's receipt pointers in these direct conversations (others are left
   * out): receipt frames are not replayed, so a client asks after every reconnect.
   */
  receipts: request('receipts', { conversationIds: Type.Array(Id, { minItems: 1, maxItems: RealtimeLimits.deliveredMax, uniqueItems: true }) }),
  // Governance: the same service calls as their HTTP routes, for clients that live on the socket.
  forward: request('forward', { conversationId: Id, clientMsgId: ClientMsgId, from: Type.Object({ conversationId: Id, messageId: Id }, strict) }),
  react: request('react', { conversationId: Id, messageId: Id, emoji: Emoji }),
  unreact: request('unreact', { conversationId: Id, messageId: Id, emoji: Emoji }),
  pin: request('pin', { conversationId: Id, messageId: Id }),
  unpin: request('unpin', { conversationId: Id, messageId: Id }),
  add_members: request('add_members', { conversationId: Id, userIds: AddMembersBody.properties.userIds }),
  remove_member: request('remove_member', { conversationId: Id, userId: Id, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }),
  ban: request('ban', { conversationId: Id, ...BanBody.properties }),
  mute: request('mute', { conversationId: Id, userId: Id, ...MuteBody.properties }),
  set_role: request('set_role', { conversationId: Id, userId: Id, role: Type.Optional(AssignableRole), rights: Type.Optional(Type.Union([Rights, Type.Null()])) }),
  update_conversation: request('update_conversation', { conversationId: Id, ...UpdateConversationBody.properties }),
  create_invite: request('create_invite', { conversationId: Id, ...CreateInviteBody.properties }),
  audit: request('audit', { conversationId: Id, ...AuditQuery.properties }),
  // Calls (docs/calls.md): the same service calls as their HTTP routes.
  call_start: request('call_start', { conversationId: Id, kind: CallKind }),
  call_accept: request('call_accept', { callId: Id }),
  call_decline: request('call_decline', { callId: Id }),
  call_join: request('call_join', { callId: Id }),
  call_leave: request('call_leave', { callId: Id }),
  call_end: request('call_end', { callId: Id }),
  /**
   * An offer, answer or ICE candidate for another participant (`to`) of a call you are in;
   * relayed to their device in the call as a `call_signal` frame, never stored. Candidates
   * draw from a per-user rate limit (RATE_LIMIT_CALL_SIGNALS_PER_USER).
   */
  call_signal: request('call_signal', { callId: Id, to: Id, signal: CallSignal }),
} as const;

export type ClientFrameType = keyof typeof ClientFrames;

/**
 * The HTTP operation each socket request stands for: the server calls the same service
 * function for both, and the request draws from the operation's rate-limit class (see the
 * endpoint table). Requests without one exist only on the socket (typing, presence
 * watches, sync, ping).
 */
export const FrameOperations = {
  send: 'sendMessage',
  edit: 'editMessage',
  delete: 'deleteMessage',
  read: 'markRead',
  events: 'listEvents',
  user_events: 'listUserEvents',
  delivered: 'markDelivered',
  forward: 'forwardMessage',
  react: 'addReaction',
  unreact: 'removeReaction',
  pin: 'pinMessage',
  unpin: 'unpinMessage',
  add_members: 'addMembers',
  remove_member: 'removeMember',
  ban: 'ban',
  mute: 'muteMember',
  set_role: 'changeMemberRole',
  update_conversation: 'updateConversation',
  create_invite: 'createInvite',
  audit: 'listAudit',
  call_start: 'startCall',
  call_accept: 'acceptCall',
  call_decline: 'declineCall',
  call_join: 'joinCall',
  call_leave: 'leaveCall',
  call_end: 'endCall',
} as const satisfies Partial<Record<ClientFrameType, OperationId>>;

/** The endpoint-table entry a socket request stands for, if it has one. */
export function frameEndpoint(type: ClientFrameType): Endpoint | undefined {
  const operationId = (FrameOperations as Partial<Record<ClientFrameType, OperationId>>)[type];
  return operationId ? Endpoints[operationId] : undefined;
}
export type ClientFrameOf<T extends ClientFrameType> = Static<(typeof ClientFrames)[T]>;
export type ClientFrame = { [T in ClientFrameType]: ClientFrameOf<T> }[ClientFrameType];
export const ClientFrame = Type.Union(Object.values(ClientFrames));

export const SendAck = Type.Object({ id: Id, seq: Seq, message: Message });
export type SendAck = Static<typeof SendAck>;

export const MessageAck = Type.Object({ message: Message });
export type MessageAck = Static<typeof MessageAck>;

/**
 * The answer for one conversation of a `sync`:
 * - `events` (in seq order) and `hasMore` when you are a little behind; page on with `events`;
 * - `reset: true` when you are too far behind (or ahead of the server): drop what you hold of
 *   this conversation, reload its latest state, and continue from `lastSeq`;
 * - `gone: true` when it does not exist or you are no longer a member.
 * Conversations you are up to date with are left out.
 */
export const SyncConversationResult = Type.Object({
  id: Id,
  lastSeq: Seq,
  events: Type.Array(ConversationEvent),
  hasMore: Type.Boolean(),
  reset: Type.Boolean(),
  gone: Type.Boolean(),
});
export type SyncConversationResult = Static<typeof SyncConversationResult>;

export const SyncUserResult = Type.Object({
  events: Type.Array(UserEvent),
  lastSeq: Seq,
  hasMore: Type.Boolean(),
  /** Too far behind: refetch your conversation list and continue from `lastSeq`. */
  reset: Type.Boolean(),
});
export type SyncUserResult = Static<typeof SyncUserResult>;

export const SyncAck = Type.Object({
  user: Type.Union([SyncUserResult, Type.Null()]),
  conversations: Type.Array(SyncConversationResult),
});
export type SyncAck = Static<typeof SyncAck>;

export const ReceiptsAck = Type.Object({
  receipts: Type.Array(Type.Object({ conversationId: Id, userId: Id, deliveredSeq: Seq, readSeq: Seq })),
});
export type ReceiptsAck = Static<typeof ReceiptsAck>;

export const PresenceAck = Type.Object({ presence: Type.Array(Presence) });
export type PresenceAck = Static<typeof PresenceAck>;

/** The `data` of the `ack` that answers each request type. */
export const AckData = {
  auth: Type.Object({}),
  ping: Type.Object({}),
  send: SendAck,
  edit: MessageAck,
  delete: MessageAck,
  read: ReadResponse,
  events: EventsResponse,
  user_events: UserEventsResponse,
  sync: SyncAck,
  typing: Type.Object({}),
  delivered: Type.Object({}),
  presence: PresenceAck,
  presence_subscribe: PresenceAck,
  presence_unsubscribe: Type.Object({}),
  receipts: ReceiptsAck,
  forward: SendAck,
  react: Type.Object({}),
  unreact: Type.Object({}),
  pin: Type.Object({}),
  unpin: Type.Object({}),
  add_members: SeqResponse,
  remove_member: SeqResponse,
  ban: SeqResponse,
  mute: SeqResponse,
  set_role: SeqResponse,
  update_conversation: ConversationResponse,
  create_invite: InviteResponse,
  audit: AuditResponse,
  call_start: CallJoinResponse,
  call_accept: CallJoinResponse,
  call_decline: CallResponse,
  call_join: CallJoinResponse,
  call_leave: CallResponse,
  call_end: CallResponse,
  call_signal: Type.Object({}),
} as const satisfies Record<ClientFrameType, Type.TSchema>;
export type AckDataOf<T extends ClientFrameType> = Static<(typeof AckData)[T]>;

/** Server -> client. */
export const ReadyFrame = Type.Object({
  t: Type.Literal('ready'),
  userId: Id,
  sessionId: Type.Union([Id, Type.Null()]),
  /** Head of your own log when you were subscribed; anything after it arrives live. */
  userSeq: Seq,
  heartbeatMs: Type.Integer(),
  maxFrameBytes: Type.Integer(),
  maxMessageLength: Type.Integer(),
});
export type ReadyFrame = Static<typeof ReadyFrame>;

export const AckFrame = Type.Object({ t: Type.Literal('ack'), id: Type.String(), data: Type.Unknown() });
export type AckFrame = Static<typeof AckFrame>;

export const ErrorFrame = Type.Object({ t: Type.Literal('error'), id: Type.Union([Type.String(), Type.Null()]), error: ErrorResponse.properties.error });
export type ErrorFrame = Static<typeof ErrorFrame>;

/** One entry of a conversation's log, pushed live; message events carry the message trimmed (`LiveMessage`, restored by `expandEvent`). */
export const EventFrame = Type.Object({ t: Type.Literal('event'), event: LiveConversationEvent });
// Spelled out: the schema's union is assembled from the log's, which TypeScript cannot narrow.
export type EventFrame = { t: 'event'; event: LiveConversationEvent };

export const UserEventFrame = Type.Object({ t: Type.Literal('user_event'), event: UserEvent });
export type UserEventFrame = Static<typeof UserEventFrame>;

/**
 * Membership changes of a large conversation (at least the server's
 * MEMBER_EVENTS_COALESCE_AT members), coalesced: the `members.added` / `member.removed`
 * events at seqs `fromSeq`..`toSeq` are in the log but were not pushed one by one. A client
 * whose log stands at `fromSeq - 1` or later moves on to `toSeq` without fetching them (they
 * change no message); one further behind has a gap and fetches the log as usual. A member
 * list it holds is out of date: fetch it again when it is shown. `memberCount` is the count
 * as of `toSeq`. Arrives before any later event of the conversation; otherwise at most one
 * per interval, which grows with the conversation's size (one a second up to 1,000 members,
 * then members ÷ 1,000 seconds, at most a minute, with the server's defaults).
 */
export const MembersChangedFrame = Type.Object({
  t: Type.Literal('members_changed'),
  conversationId: Id,
  fromSeq: Seq,
  toSeq: Seq,
  memberCount: Type.Integer({ minimum: 0 }),
});
export type MembersChangedFrame = Static<typeof MembersChangedFrame>;

/** Live delivery may have missed something (for example the broker reconnected): run `sync` now. */
export const ResyncFrame = Type.Object({ t: Type.Literal('resync') });
export type ResyncFrame = Static<typeof ResyncFrame>;

/**
 * Someone is typing (or stopped). Show it until `expiresInMs` passes without a renewal,
 * a `typing: false`, or a message from that user arrives. Never sent in channels.
 */
export const TypingFrame = Type.Object({
  t: Type.Literal('typing'),
  conversationId: Id,
  userId: Id,
  typing: Type.Boolean(),
  expiresInMs: Type.Integer({ minimum: 0 }),
});
export type TypingFrame = Static<typeof TypingFrame>;

/** A user's presence changed (or your right to see it did: then `status` is `hidden`). */
export const PresenceFrame = Type.Object({ t: Type.Literal('presence'), presence: Presence });
export type PresenceFrame = Static<typeof PresenceFrame>;

/**
 * A member's delivered/read pointers moved (direct conversations and groups up to the
 * server's RECEIPTS_MAX_GROUP members). Pointers only grow: keep the highest you saw.
 */
export const ReceiptFrame = Type.Object({
  t: Type.Literal('receipt'),
  conversationId: Id,
  userId: Id,
  deliveredSeq: Seq,
  readSeq: Seq,
});
export type ReceiptFrame = Static<typeof ReceiptFrame>;

/**
 * The access token this socket authenticated with has expired: send a fresh one in an
 * `auth` frame within `graceMs`, on this socket, to keep it (subscriptions and place in
 * the logs included); otherwise it closes with 4101. Requests sent meanwhile wait for it.
 */
export const ReauthFrame = Type.Object({ t: Type.Literal('reauth'), graceMs: Type.Integer({ minimum: 0 }) });
export type ReauthFrame = Static<typeof ReauthFrame>;

/**
 * Someone you share a direct conversation or a group with changed their profile (display
 * name). Not replayed: summaries, member lists and `GET /v1/users/{id}` carry the current
 * profile, so a client that missed the frame is right again after its next load.
 */
export const ProfileFrame = Type.Object({ t: Type.Literal('profile'), user: User });
export type ProfileFrame = Static<typeof ProfileFrame>;

/**
 * Requests to join a conversation changed (`pending`: someone asked; otherwise a request
 * was approved, declined or withdrawn). Sent only to members who may answer requests
 * (`manage_invites`); not replayed: `GET /v1/conversations/{id}/join-requests` is the list.
 */
export const JoinRequestFrame = Type.Object({ t: Type.Literal('join_request'), conversationId: Id, userId: Id, pending: Type.Boolean() });
export type JoinRequestFrame = Static<typeof JoinRequestFrame>;

export const ServerFrame = Type.Union([ReadyFrame, AckFrame, ErrorFrame, EventFrame, UserEventFrame, MembersChangedFrame, ResyncFrame, TypingFrame, PresenceFrame, ReceiptFrame, ReauthFrame, ProfileFrame, JoinRequestFrame, CallRingFrame, CallRingStopFrame, CallSignalFrame]);
export type ServerFrame = Static<typeof ServerFrame>;

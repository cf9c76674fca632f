import Type, { type Static } from 'typebox';
import { ClientMsgId, Id, MessageText, Seq } from './common.ts';
import { ConversationEvent, Message, UserEvent } from './entities.ts';
import { ErrorResponse, EventsResponse, ReadResponse, UserEventsResponse } from './http.ts';
import { Limits } from './limits.ts';

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

/** Client -> server, by type tag. */
export const ClientFrames = {
  /** First frame when the token was not given as `?token=`. Answered by `ready`. */
  auth: request('auth', { token: Type.String({ minLength: 1, maxLength: Limits.tokenMaxLength }) }),
  /** Application-level heartbeat for clients (browsers) that cannot send WebSocket pings. */
  ping: request('ping', {}),
  send: request('send', { conversationId: Id, clientMsgId: ClientMsgId, text: MessageText, replyTo: Type.Optional(Id) }),
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
} as const;

export type ClientFrameType = keyof typeof ClientFrames;
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

export const EventFrame = Type.Object({ t: Type.Literal('event'), event: ConversationEvent });
export type EventFrame = Static<typeof EventFrame>;

export const UserEventFrame = Type.Object({ t: Type.Literal('user_event'), event: UserEvent });
export type UserEventFrame = Static<typeof UserEventFrame>;

/** Live delivery may have missed something (for example the broker reconnected): run `sync` now. */
export const ResyncFrame = Type.Object({ t: Type.Literal('resync') });
export type ResyncFrame = Static<typeof ResyncFrame>;

export const ServerFrame = Type.Union([ReadyFrame, AckFrame, ErrorFrame, EventFrame, UserEventFrame, ResyncFrame]);
export type ServerFrame = Static<typeof ServerFrame>;

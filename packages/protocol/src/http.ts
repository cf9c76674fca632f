import Type, { type Static } from 'typebox';
import { ClientMsgId, DisplayName, Handle, Id, MessageText, Password, Seq, Title } from './common.ts';
import { AdminUser, Conversation, ConversationEvent, ConversationHead, Member, Message, User, UserEvent } from './entities.ts';
import { errorCodeList } from './errors.ts';
import { Limits } from './limits.ts';

/** Request bodies reject unknown properties: a typo is an error, not a silent no-op. */
const strict = { additionalProperties: false } as const;

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.Enum(errorCodeList),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
    requestId: Type.Optional(Type.String()),
  }),
});
export type ErrorResponse = Static<typeof ErrorResponse>;

// --- auth ---------------------------------------------------------------------------

const DeviceName = Type.String({ minLength: 1, maxLength: 100, description: 'Shown in the list of your devices.' });

export const RegisterBody = Type.Object({ handle: Handle, password: Password, displayName: Type.Optional(DisplayName), deviceName: Type.Optional(DeviceName) }, strict);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object({ handle: Type.String({ minLength: 1, maxLength: Limits.handleMaxLength }), password: Type.String({ minLength: 1, maxLength: Limits.passwordMaxLength }), deviceName: Type.Optional(DeviceName) }, strict);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, strict);
export type RefreshBody = Static<typeof RefreshBody>;

export const AuthResponse = Type.Object({
  user: User,
  accessToken: Type.String(),
  /** Seconds until the access token expires. */
  expiresIn: Type.Integer(),
  refreshToken: Type.String(),
  sessionId: Id,
});
export type AuthResponse = Static<typeof AuthResponse>;

export const MeResponse = Type.Object({ user: User, sessionId: Type.Union([Id, Type.Null()]) });
export type MeResponse = Static<typeof MeResponse>;

export const UpdateMeBody = Type.Object({ displayName: Type.Optional(DisplayName) }, strict);
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const UserResponse = Type.Object({ user: User });
export type UserResponse = Static<typeof UserResponse>;

export const UserLookupQuery = Type.Object({ handle: Handle }, strict);
export type UserLookupQuery = Static<typeof UserLookupQuery>;

// --- conversations -------------------------------------------------------------------

const MemberIds = Type.Array(Id, { maxItems: Limits.membersPerRequest, uniqueItems: true });

export const CreateConversationBody = Type.Union([
  Type.Object({ kind: Type.Literal('direct'), userId: Id }, strict),
  Type.Object({ kind: Type.Literal('group'), title: Title, memberIds: MemberIds }, strict),
]);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const UpdateConversationBody = Type.Object({ title: Title }, strict);
export type UpdateConversationBody = Static<typeof UpdateConversationBody>;

export const ConversationResponse = Type.Object({ conversation: Conversation });
export type ConversationResponse = Static<typeof ConversationResponse>;

export const ConversationListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type ConversationListQuery = Static<typeof ConversationListQuery>;

export const ConversationListResponse = Type.Object({
  conversations: Type.Array(Conversation),
  /** Pass as `cursor` for the next page (less recently active conversations); null at the end. */
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  /** Unread messages across all conversations. */
  totalUnread: Type.Integer({ minimum: 0 }),
});
export type ConversationListResponse = Static<typeof ConversationListResponse>;

export const AddMembersBody = Type.Object({ userIds: Type.Array(Id, { minItems: 1, maxItems: Limits.membersPerRequest, uniqueItems: true }) }, strict);
export type AddMembersBody = Static<typeof AddMembersBody>;

export const MembersResponse = Type.Object({ members: Type.Array(Member), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type MembersResponse = Static<typeof MembersResponse>;

export const MembersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type MembersQuery = Static<typeof MembersQuery>;

/** The seq the change was written at (0 when nothing changed). */
export const SeqResponse = Type.Object({ seq: Seq });
export type SeqResponse = Static<typeof SeqResponse>;

// --- messages ------------------------------------------------------------------------

export const SendMessageBody = Type.Object({ clientMsgId: ClientMsgId, text: MessageText, replyTo: Type.Optional(Id) }, strict);
export type SendMessageBody = Static<typeof SendMessageBody>;

export const EditMessageBody = Type.Object({ text: MessageText }, strict);
export type EditMessageBody = Static<typeof EditMessageBody>;

export const MessageResponse = Type.Object({ message: Message });
export type MessageResponse = Static<typeof MessageResponse>;

export const MessagesQuery = Type.Object({
  /** Messages with seq < before, newest page first. */
  before: Type.Optional(Seq),
  /** Messages with seq > after, oldest page first. */
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.messagesPageMax })),
}, strict);
export type MessagesQuery = Static<typeof MessagesQuery>;

export const MessagesResponse = Type.Object({
  /** Always in ascending seq order. */
  messages: Type.Array(Message),
  /** More messages exist in the direction that was asked for. */
  hasMore: Type.Boolean(),
  lastSeq: Seq,
});
export type MessagesResponse = Static<typeof MessagesResponse>;

export const ReadBody = Type.Object({ seq: Seq }, strict);
export type ReadBody = Static<typeof ReadBody>;

export const ReadResponse = Type.Object({ readSeq: Seq, unreadCount: Type.Integer({ minimum: 0 }) });
export type ReadResponse = Static<typeof ReadResponse>;

// --- logs ----------------------------------------------------------------------------

export const EventsQuery = Type.Object({
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.eventsPageMax })),
}, strict);
export type EventsQuery = Static<typeof EventsQuery>;

export const EventsResponse = Type.Object({
  events: Type.Array(ConversationEvent),
  lastSeq: Seq,
  hasMore: Type.Boolean(),
});
export type EventsResponse = Static<typeof EventsResponse>;

export const UserEventsResponse = Type.Object({
  events: Type.Array(UserEvent),
  lastSeq: Seq,
  hasMore: Type.Boolean(),
});
export type UserEventsResponse = Static<typeof UserEventsResponse>;

export const HeadsResponse = Type.Object({ userSeq: Seq, conversations: Type.Array(ConversationHead) });
export type HeadsResponse = Static<typeof HeadsResponse>;

// --- admin ---------------------------------------------------------------------------

export const AdminCreateUserBody = Type.Object({
  /** The product's own user id; generated when absent. */
  id: Type.Optional(Id),
  handle: Type.Optional(Handle),
  displayName: DisplayName,
  /** Optional: lets the user log in with the built-in accounts too. */
  password: Type.Optional(Password),
}, strict);
export type AdminCreateUserBody = Static<typeof AdminCreateUserBody>;

export const AdminUpdateUserBody = Type.Object({
  handle: Type.Optional(Type.Union([Handle, Type.Null()])),
  displayName: Type.Optional(DisplayName),
  password: Type.Optional(Password),
}, strict);
export type AdminUpdateUserBody = Static<typeof AdminUpdateUserBody>;

export const AdminUserResponse = Type.Object({ user: AdminUser });
export type AdminUserResponse = Static<typeof AdminUserResponse>;

export const AdminUserListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type AdminUserListQuery = Static<typeof AdminUserListQuery>;

export const AdminUserListResponse = Type.Object({ users: Type.Array(AdminUser), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type AdminUserListResponse = Static<typeof AdminUserListResponse>;

export const AdminBulkUsersBody = Type.Object({
  /** Created when the id is new, updated otherwise; the product's user service stays the source of truth. */
  upsert: Type.Optional(Type.Array(Type.Object({ id: Id, handle: Type.Optional(Type.Union([Handle, Type.Null()])), displayName: DisplayName }, strict), { maxItems: Limits.adminBulkMax })),
  suspend: Type.Optional(Type.Array(Id, { maxItems: Limits.adminBulkMax })),
  unsuspend: Type.Optional(Type.Array(Id, { maxItems: Limits.adminBulkMax })),
  delete: Type.Optional(Type.Array(Id, { maxItems: Limits.adminBulkMax })),
}, strict);
export type AdminBulkUsersBody = Static<typeof AdminBulkUsersBody>;

export const AdminBulkResult = Type.Object({
  id: Type.String(),
  op: Type.Union([Type.Literal('upsert'), Type.Literal('suspend'), Type.Literal('unsuspend'), Type.Literal('delete')]),
  ok: Type.Boolean(),
  error: Type.Optional(ErrorResponse.properties.error),
});
export type AdminBulkResult = Static<typeof AdminBulkResult>;

export const AdminBulkUsersResponse = Type.Object({ results: Type.Array(AdminBulkResult) });
export type AdminBulkUsersResponse = Static<typeof AdminBulkUsersResponse>;

export const AdminIssueTokenBody = Type.Object({ deviceName: Type.Optional(DeviceName) }, strict);
export type AdminIssueTokenBody = Static<typeof AdminIssueTokenBody>;

export const IdParams = Type.Object({ id: Id });
export type IdParams = Static<typeof IdParams>;
export const MemberParams = Type.Object({ id: Id, userId: Id });
export type MemberParams = Static<typeof MemberParams>;
export const MessageParams = Type.Object({ id: Id, messageId: Id });
export type MessageParams = Static<typeof MessageParams>;

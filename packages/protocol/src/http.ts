import Type, { type Static } from 'typebox';
import { ClientMsgId, DisplayName, Handle, Id, MessageText, Password, Seq, Timestamp, Title } from './common.ts';
import { AdminUser, Conversation, ConversationEvent, ConversationHead, ConversationPreview, FileInfo, Member, Message, User, UserEvent } from './entities.ts';
import { AddPrivacy, AssignableRole, ConversationKind, Rights, Role, Visibility } from './rights.ts';
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

/** Changing your own password: the current one proves it is you (an open tab is not enough). */
export const ChangePasswordBody = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: Limits.passwordMaxLength }),
  newPassword: Password,
  /** Also sign out every other device session (this one stays signed in). */
  signOutOtherDevices: Type.Optional(Type.Boolean()),
}, strict);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

/** How many other device sessions an action signed out. */
export const SignedOutResponse = Type.Object({ signedOut: Type.Integer({ minimum: 0 }) });
export type SignedOutResponse = Static<typeof SignedOutResponse>;

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

export const UpdateMeBody = Type.Object({
  displayName: Type.Optional(DisplayName),
  /** An image you uploaded and have not used yet becomes your picture; null removes it. */
  avatarId: Type.Optional(Type.Union([Id, Type.Null()])),
}, strict);
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const UserResponse = Type.Object({ user: User });
export type UserResponse = Static<typeof UserResponse>;

export const UserLookupQuery = Type.Object({ handle: Handle }, strict);
export type UserLookupQuery = Static<typeof UserLookupQuery>;

// --- conversations -------------------------------------------------------------------

const MemberIds = Type.Array(Id, { maxItems: Limits.membersPerRequest, uniqueItems: true });

const Description = Type.String({ maxLength: 1000 });

const SettingsPatch = Type.Object({
  memberRights: Type.Optional(Rights),
  slowModeSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  protectedContent: Type.Optional(Type.Boolean()),
  joinApproval: Type.Optional(Type.Boolean()),
}, strict);

/** Groups and channels: private unless a handle makes them public. */
const SharedConversationFields = {
  title: Title,
  description: Type.Optional(Description),
  visibility: Type.Optional(Visibility),
  /** Required for public conversations; unique across groups and channels. */
  handle: Type.Optional(Handle),
  settings: Type.Optional(SettingsPatch),
};

export const CreateConversationBody = Type.Union([
  Type.Object({ kind: Type.Literal('direct'), userId: Id }, strict),
  Type.Object({ kind: Type.Literal('group'), memberIds: MemberIds, ...SharedConversationFields }, strict),
  /** Channel: the creator is the owner; `memberIds` join as subscribers. */
  Type.Object({ kind: Type.Literal('channel'), memberIds: Type.Optional(MemberIds), ...SharedConversationFields }, strict),
]);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const UpdateConversationBody = Type.Object({
  title: Type.Optional(Title),
  description: Type.Optional(Type.Union([Description, Type.Null()])),
  visibility: Type.Optional(Visibility),
  handle: Type.Optional(Type.Union([Handle, Type.Null()])),
  /** An image you uploaded and have not used yet becomes the conversation's picture (edit_info); null removes it. */
  photoId: Type.Optional(Type.Union([Id, Type.Null()])),
  settings: Type.Optional(SettingsPatch),
}, { ...strict, minProperties: 1 });
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

export const MembersResponse = Type.Object({
  members: Type.Array(Member),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  /**
   * `all`: every member is listed. `staff`: only the owner, admins and moderators are
   * (a channel seen by a subscriber, or by staff without a right that manages members):
   * subscribers of a channel do not see each other.
   */
  scope: Type.Union([Type.Literal('all'), Type.Literal('staff')]),
  /** Members in all, listed or not. */
  total: Type.Integer({ minimum: 0 }),
});
export type MembersResponse = Static<typeof MembersResponse>;

export const MembersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type MembersQuery = Static<typeof MembersQuery>;

/** The seq the change was written at (0 when nothing changed). */
export const SeqResponse = Type.Object({ seq: Seq });
export type SeqResponse = Static<typeof SeqResponse>;

export const HandleQuery = Type.Object({ handle: Handle }, strict);
export type HandleQuery = Static<typeof HandleQuery>;

export const PreviewResponse = Type.Object({ conversation: ConversationPreview });
export type PreviewResponse = Static<typeof PreviewResponse>;

/** Joining answers `joined` with the conversation, or `pending` when an admin must approve first. */
export const JoinResponse = Type.Object({
  status: Type.Enum(['joined', 'pending']),
  conversation: Type.Union([Conversation, Type.Null()]),
});
export type JoinResponse = Static<typeof JoinResponse>;

export const ChangeRoleBody = Type.Object({
  role: Type.Optional(AssignableRole),
  /** A custom set for an admin or moderator (only rights you hold yourself); null restores the role's defaults. */
  rights: Type.Optional(Type.Union([Rights, Type.Null()])),
}, { ...strict, minProperties: 1 });
export type ChangeRoleBody = Static<typeof ChangeRoleBody>;

export const TransferBody = Type.Object({ userId: Id }, strict);
export type TransferBody = Static<typeof TransferBody>;

const Reason = Type.String({ minLength: 1, maxLength: 500 });
/** Seconds from now; null or absent: forever. */
const Duration = Type.Union([Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400 }), Type.Null()]);

export const MuteBody = Type.Object({ durationSec: Type.Optional(Duration), reason: Type.Optional(Reason) }, strict);
export type MuteBody = Static<typeof MuteBody>;

export const BanBody = Type.Object({ userId: Id, durationSec: Type.Optional(Duration), reason: Type.Optional(Reason) }, strict);
export type BanBody = Static<typeof BanBody>;

export const ReasonQuery = Type.Object({ reason: Type.Optional(Reason) }, strict);
export type ReasonQuery = Static<typeof ReasonQuery>;

export const Ban = Type.Object({
  userId: Id,
  user: User,
  /** Null: forever. */
  until: Type.Union([Timestamp, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  bannedBy: Type.Union([Id, Type.Null()]),
  createdAt: Timestamp,
});
export type Ban = Static<typeof Ban>;

export const BansResponse = Type.Object({ bans: Type.Array(Ban) });
export type BansResponse = Static<typeof BansResponse>;

export const Invite = Type.Object({
  /** The secret code: share it as a link, e.g. https://your.app/join/<code>. */
  code: Type.String(),
  conversationId: Id,
  name: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Id, Type.Null()]),
  createdAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  maxUses: Type.Union([Type.Integer(), Type.Null()]),
  uses: Type.Integer({ minimum: 0 }),
  requiresApproval: Type.Boolean(),
  revoked: Type.Boolean(),
});
export type Invite = Static<typeof Invite>;

export const CreateInviteBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  expiresInSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 366 * 86_400 })),
  maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  requiresApproval: Type.Optional(Type.Boolean()),
}, strict);
export type CreateInviteBody = Static<typeof CreateInviteBody>;

export const InviteResponse = Type.Object({ invite: Invite });
export type InviteResponse = Static<typeof InviteResponse>;
export const InvitesResponse = Type.Object({ invites: Type.Array(Invite) });
export type InvitesResponse = Static<typeof InvitesResponse>;

export const InvitePreviewResponse = Type.Object({ conversation: ConversationPreview, requiresApproval: Type.Boolean() });
export type InvitePreviewResponse = Static<typeof InvitePreviewResponse>;

export const JoinRequest = Type.Object({ userId: Id, user: User, createdAt: Timestamp, viaInvite: Type.Boolean() });
export type JoinRequest = Static<typeof JoinRequest>;
export const JoinRequestsResponse = Type.Object({ requests: Type.Array(JoinRequest) });
export type JoinRequestsResponse = Static<typeof JoinRequestsResponse>;

// --- blocks and settings --------------------------------------------------------------

export const BlocksResponse = Type.Object({ users: Type.Array(User) });
export type BlocksResponse = Static<typeof BlocksResponse>;

/** Your account settings; every device hears of changes through your log (`settings.updated`). */
export const UserSettings = Type.Object({
  /** Who may add you to groups and channels directly: everyone, people you have a direct conversation with, or nobody. */
  addPrivacy: AddPrivacy,
});
export type UserSettings = Static<typeof UserSettings>;

export const UpdateSettingsBody = Type.Object({ addPrivacy: Type.Optional(AddPrivacy) }, { ...strict, minProperties: 1 });
export type UpdateSettingsBody = Static<typeof UpdateSettingsBody>;

export const SettingsResponse = Type.Object({ settings: UserSettings });
export type SettingsResponse = Static<typeof SettingsResponse>;

// --- reports and audit ------------------------------------------------------------------

export const ReportTargetType = Type.Enum(['message', 'user', 'conversation']);
export const ReportReason = Type.Enum(['spam', 'abuse', 'harassment', 'violence', 'illegal', 'other']);
export const ReportAction = Type.Enum(['none', 'message_deleted', 'user_warned', 'user_muted', 'user_removed', 'user_banned', 'user_suspended', 'conversation_deleted', 'other']);

export const CreateReportBody = Type.Object({
  targetType: ReportTargetType,
  targetId: Id,
  /** The conversation the message (or user) was seen in; required for messages. */
  conversationId: Type.Optional(Id),
  reason: ReportReason,
  comment: Type.Optional(Type.String({ maxLength: 1000 })),
}, strict);
export type CreateReportBody = Static<typeof CreateReportBody>;

export const Report = Type.Object({
  id: Id,
  reporterId: Id,
  conversationId: Type.Union([Id, Type.Null()]),
  targetType: ReportTargetType,
  targetId: Id,
  reason: ReportReason,
  comment: Type.Union([Type.String(), Type.Null()]),
  status: Type.Enum(['open', 'resolved']),
  resolution: Type.Union([Type.Object({ action: ReportAction, note: Type.Union([Type.String(), Type.Null()]), resolvedBy: Type.Union([Id, Type.Null()]), resolvedAt: Timestamp }), Type.Null()]),
  createdAt: Timestamp,
});
export type Report = Static<typeof Report>;

export const ReportResponse = Type.Object({ report: Report });
export type ReportResponse = Static<typeof ReportResponse>;

export const ReportsQuery = Type.Object({
  status: Type.Optional(Type.Enum(['open', 'resolved'])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type ReportsQuery = Static<typeof ReportsQuery>;

export const ReportsResponse = Type.Object({ reports: Type.Array(Report), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type ReportsResponse = Static<typeof ReportsResponse>;

export const ResolveReportBody = Type.Object({ action: ReportAction, note: Type.Optional(Type.String({ maxLength: 1000 })) }, strict);
export type ResolveReportBody = Static<typeof ResolveReportBody>;

export const AuditEntry = Type.Object({
  id: Id,
  conversationId: Type.Union([Id, Type.Null()]),
  /** Null: the platform (admin API). */
  actorId: Type.Union([Id, Type.Null()]),
  action: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  data: Type.Unknown(),
  createdAt: Timestamp,
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  /** Entries older than the last page's oldest. */
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type AuditQuery = Static<typeof AuditQuery>;

export const AdminAuditQuery = Type.Object({
  conversationId: Type.Optional(Id),
  actorId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type AdminAuditQuery = Static<typeof AdminAuditQuery>;

export const AuditResponse = Type.Object({ entries: Type.Array(AuditEntry), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type AuditResponse = Static<typeof AuditResponse>;

// --- messages ------------------------------------------------------------------------

/** Files one message may carry. */
export const AttachmentIds = Type.Array(Id, { minItems: 1, maxItems: Limits.attachmentsPerMessage, uniqueItems: true, description: 'Ids of your own uploads (`POST /v1/uploads`) not used by another message yet; sending them needs `send_media`.' });

export const SendMessageBody = Type.Object({
  clientMsgId: ClientMsgId,
  /** The text, or the caption of the attachments; may be left out when there are attachments. */
  text: Type.Optional(MessageText),
  replyTo: Type.Optional(Id),
  attachments: Type.Optional(AttachmentIds),
}, strict);
export type SendMessageBody = Static<typeof SendMessageBody>;

export const ForwardBody = Type.Object({
  clientMsgId: ClientMsgId,
  /** The message to forward: it must be visible to you, and its conversation must not protect its content. */
  from: Type.Object({ conversationId: Id, messageId: Id }, strict),
}, strict);
export type ForwardBody = Static<typeof ForwardBody>;

export const Emoji = Type.String({ minLength: 1, maxLength: 32, pattern: '^\\S+$' });

export const ReactionsResponse = Type.Object({
  reactions: Type.Array(Type.Object({ emoji: Type.String(), count: Type.Integer(), userIds: Type.Array(Id, { description: 'Up to 100 of them.' }) })),
});
export type ReactionsResponse = Static<typeof ReactionsResponse>;

export const ReactionParams = Type.Object({ id: Id, messageId: Id, emoji: Emoji });
export type ReactionParams = Static<typeof ReactionParams>;

export const PinsResponse = Type.Object({ messages: Type.Array(Message) });
export type PinsResponse = Static<typeof PinsResponse>;

/** Edits change the text (a caption, for a message with files); the attachments stay as sent. */
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
  /** Your own reactions on these messages, by message id. */
  myReactions: Type.Record(Type.String(), Type.Array(Type.String())),
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

export const HeadsQuery = Type.Object({
  /** Conversations per page (default 500). `limit=1` reads little more than `userSeq`. */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  /** The previous page's `nextCursor`. */
  cursor: Type.Optional(Id),
}, strict);
export type HeadsQuery = Static<typeof HeadsQuery>;

/** Conversations in id order; `nextCursor` pages on (null on the last page). */
export const HeadsResponse = Type.Object({ userSeq: Seq, conversations: Type.Array(ConversationHead), nextCursor: Type.Union([Id, Type.Null()]) });
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
  /** Null removes the user's picture (moderation); pictures are set by the user. */
  avatarId: Type.Optional(Type.Null()),
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

export const AdminConversation = Type.Object({
  id: Id,
  kind: ConversationKind,
  visibility: Visibility,
  handle: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  settings: Conversation.properties.settings,
  ownerId: Type.Union([Id, Type.Null()]),
  createdBy: Type.Union([Id, Type.Null()]),
  createdAt: Timestamp,
  lastSeq: Seq,
  lastActivityAt: Timestamp,
  memberCount: Type.Integer({ minimum: 0 }),
});
export type AdminConversation = Static<typeof AdminConversation>;

export const AdminConversationResponse = Type.Object({ conversation: AdminConversation });
export type AdminConversationResponse = Static<typeof AdminConversationResponse>;

export const AdminConversationListQuery = Type.Object({
  kind: Type.Optional(ConversationKind),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export type AdminConversationListQuery = Static<typeof AdminConversationListQuery>;

export const AdminConversationListResponse = Type.Object({ conversations: Type.Array(AdminConversation), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type AdminConversationListResponse = Static<typeof AdminConversationListResponse>;

export const AdminAddMembersBody = Type.Object({
  userIds: Type.Array(Id, { minItems: 1, maxItems: Limits.membersPerRequest, uniqueItems: true }),
  /** Default: member (subscriber in channels). Privacy settings and blocks do not apply to the platform. */
  role: Type.Optional(AssignableRole),
}, strict);
export type AdminAddMembersBody = Static<typeof AdminAddMembersBody>;

export const AdminSetRoleBody = Type.Object({
  /** `owner` transfers ownership (the previous owner becomes an admin). */
  role: Role,
  rights: Type.Optional(Type.Union([Rights, Type.Null()])),
}, strict);
export type AdminSetRoleBody = Static<typeof AdminSetRoleBody>;

export const AdminRemoveMessagesBody = Type.Object({
  /** Only in this conversation; all of the user's messages everywhere when absent. */
  conversationId: Type.Optional(Id),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
}, strict);
export type AdminRemoveMessagesBody = Static<typeof AdminRemoveMessagesBody>;

export const RemovedCountResponse = Type.Object({ removed: Type.Integer({ minimum: 0 }) });
export type RemovedCountResponse = Static<typeof RemovedCountResponse>;

export const AdminIssueTokenBody = Type.Object({ deviceName: Type.Optional(DeviceName) }, strict);
export type AdminIssueTokenBody = Static<typeof AdminIssueTokenBody>;

export const IdParams = Type.Object({ id: Id });
export type IdParams = Static<typeof IdParams>;
export const MemberParams = Type.Object({ id: Id, userId: Id });
export type MemberParams = Static<typeof MemberParams>;
export const MessageParams = Type.Object({ id: Id, messageId: Id });
export type MessageParams = Static<typeof MessageParams>;
export const ReportIdParams = Type.Object({ reportId: Id });
export type ReportIdParams = Static<typeof ReportIdParams>;
export const ConversationReportParams = Type.Object({ id: Id, reportId: Id });
export type ConversationReportParams = Static<typeof ConversationReportParams>;
export const HandleParams = Type.Object({ handle: Handle });
export type HandleParams = Static<typeof HandleParams>;
/** An invite's code in the path. */
export const CodeParams = Type.Object({ code: Id });
export type CodeParams = Static<typeof CodeParams>;
export const ConversationCodeParams = Type.Object({ id: Id, code: Id });
export type ConversationCodeParams = Static<typeof ConversationCodeParams>;

/** The answer of operations that only succeed or fail. */
export const EmptyResponse = Type.Object({});
export type EmptyResponse = Static<typeof EmptyResponse>;

// --- files ---------------------------------------------------------------------------

export const UploadQuery = Type.Object({
  /** The file's name (URL-encoded); made safe by the server. */
  name: Type.String({ minLength: 1, maxLength: 1024 }),
  /** `voice`: a recorded voice note (the bytes must be audio). Otherwise the kind follows from the bytes. */
  kind: Type.Optional(Type.Enum(['voice'])),
}, strict);
export type UploadQuery = Static<typeof UploadQuery>;

/** The request body of an upload: the file's bytes, as they are (any Content-Type; the server looks at the bytes). */
export const UploadBody = Type.Unsafe<undefined>({ type: 'string', format: 'binary', description: 'The file\'s bytes. Send `Content-Type: application/octet-stream` and a `Content-Length` when you know it.' });

/** A resumable (tus 1.0) upload in progress, or the file it became. */
export const ResumableUpload = Type.Object({
  id: Id,
  /** The file's name, made safe by the server. */
  name: Type.String(),
  /** Bytes the whole file has (`Upload-Length`). */
  length: Type.Integer({ minimum: 1 }),
  /** Bytes stored so far (`Upload-Offset`): the next part starts here. */
  offset: Type.Integer({ minimum: 0 }),
  /** An unfinished upload is deleted with its parts at this time (`Upload-Expires`). */
  expiresAt: Timestamp,
  /** The upload (as from `POST /v1/uploads`) the parts became once all arrived; null before. */
  fileId: Type.Union([Id, Type.Null()]),
}, strict);
export type ResumableUpload = Static<typeof ResumableUpload>;

export const ResumableUploadResponse = Type.Object({ upload: ResumableUpload });
export type ResumableUploadResponse = Static<typeof ResumableUploadResponse>;

export const ResumableUploadParams = Type.Object({ uploadId: Id });
export type ResumableUploadParams = Static<typeof ResumableUploadParams>;

/** The body of a tus `PATCH`: the next bytes of the file, from `Upload-Offset` on. */
export const ResumablePartBody = Type.Unsafe<undefined>({ type: 'string', format: 'binary', description: 'The next bytes of the file, starting at `Upload-Offset`. Send `Content-Type: application/offset+octet-stream` and `Tus-Resumable: 1.0.0`.' });

export const FileResponse = Type.Object({ file: FileInfo });
export type FileResponse = Static<typeof FileResponse>;

export const FileParams = Type.Object({ fileId: Id });
export type FileParams = Static<typeof FileParams>;

export const FileVariant = Type.Enum(['original', 'thumbnail']);
export type FileVariant = 'original' | 'thumbnail';

export const FileUrlQuery = Type.Object({ variant: Type.Optional(FileVariant) }, strict);
export type FileUrlQuery = Static<typeof FileUrlQuery>;

export const FileUrlResponse = Type.Object({
  /** Absolute (S3) or relative to the server (the local store's `/v1/blobs/…`); works for anyone holding it until `expiresAt`. */
  url: Type.String(),
  expiresAt: Timestamp,
});
export type FileUrlResponse = Static<typeof FileUrlResponse>;

export const BlobParams = Type.Object({ fileId: Id, variant: FileVariant });
export type BlobParams = Static<typeof BlobParams>;

export const BlobQuery = Type.Object({ expires: Type.String({ maxLength: 16 }), sig: Type.String({ maxLength: 128 }) }, strict);
export type BlobQuery = Static<typeof BlobQuery>;

/** The bytes of a file, whole (200) or one range (206). */
export const BlobBody = Type.Unsafe<string>({ type: 'string', format: 'binary' });
export const BlobRange = Type.Unsafe<string>({ type: 'string', format: 'binary', description: 'One range of the file; `Content-Range` says which.' });

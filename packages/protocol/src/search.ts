import Type, { type Static } from 'typebox';
import { Id, Timestamp } from './common.ts';
import { ConversationPrefs, ConversationPreview, Message, User } from './entities.ts';
import { Limits } from './limits.ts';

/** Request bodies reject unknown properties: a typo is an error, not a silent no-op. */
const strict = { additionalProperties: false } as const;

// --- search -----------------------------------------------------------------------

/**
 * Full-text search over the messages you may read. `q` is plain words, never query syntax:
 * quotes, `OR`, `-`, `*` and the like are ignored as punctuation. Every word must match
 * (stemmed: `run` finds `running`); a run of Chinese, Japanese or Korean characters must
 * appear as written. A query with no words (empty, punctuation, emoji only) finds nothing.
 */
export const SearchMessagesQuery = Type.Object({
  q: Type.String({ maxLength: Limits.searchQueryMaxLength }),
  /** Only in this conversation. */
  conversationId: Type.Optional(Id),
  /** Only messages this user sent. */
  senderId: Type.Optional(Id),
  /** Only messages sent at or after this moment. */
  after: Type.Optional(Timestamp),
  /** Only messages sent before this moment. */
  before: Type.Optional(Timestamp),
  /** Only messages carrying files (`attachment`) or a web link in their text (`link`). */
  has: Type.Optional(Type.Union([Type.Literal('attachment'), Type.Literal('link')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.searchPageMax })),
  /** The previous page's `nextCursor`. */
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
}, strict);
export type SearchMessagesQuery = Static<typeof SearchMessagesQuery>;

/** A range of a snippet to highlight: `[start, end)` in UTF-16 code units (JavaScript string indices). */
export const Highlight = Type.Object({ start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }) });

export const MessageSearchHit = Type.Object({
  message: Message,
  /** The text around what matched (all of it when short; cut with `…` otherwise). */
  snippet: Type.Object({ text: Type.String(), highlights: Type.Array(Highlight) }),
});
export type MessageSearchHit = Static<typeof MessageSearchHit>;

export const SearchMessagesResponse = Type.Object({
  /** Best match first (ties: newest first). */
  results: Type.Array(MessageSearchHit),
  /** Pages on with the same query; null on the last page. */
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type SearchMessagesResponse = Static<typeof SearchMessagesResponse>;

/** People or conversations by name or handle: the start of a word, forgiving a typo in longer queries. */
export const DirectoryQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: Limits.directoryQueryMaxLength }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: Limits.searchPageMax })),
}, strict);
export type DirectoryQuery = Static<typeof DirectoryQuery>;

export const SearchUsersResponse = Type.Object({ users: Type.Array(User) });
export type SearchUsersResponse = Static<typeof SearchUsersResponse>;

export const ConversationSearchHit = Type.Object({
  conversation: ConversationPreview,
  /** You are a member already (else it is a public group or channel you may join by its handle). */
  member: Type.Boolean(),
});
export type ConversationSearchHit = Static<typeof ConversationSearchHit>;
export const SearchConversationsResponse = Type.Object({ conversations: Type.Array(ConversationSearchHit) });
export type SearchConversationsResponse = Static<typeof SearchConversationsResponse>;

// --- retention ---------------------------------------------------------------------

export const RetentionBody = Type.Object({
  /** Messages older than this many days are deleted for everyone; null: the server's default. */
  days: Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()]),
}, strict);
export type RetentionBody = Static<typeof RetentionBody>;

export const RetentionResponse = Type.Object({
  /** This conversation's own retention (null: none of its own). */
  days: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  /** What applies: its own, else the server's default (null: messages are kept). */
  effectiveDays: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
});
export type RetentionResponse = Static<typeof RetentionResponse>;

// --- your view of your conversations --------------------------------------------------

export const UpdatePrefsBody = Type.Object({
  archived: Type.Optional(Type.Boolean()),
  pinned: Type.Optional(Type.Boolean()),
  markedUnread: Type.Optional(Type.Boolean()),
}, { ...strict, minProperties: 1 });
export type UpdatePrefsBody = Static<typeof UpdatePrefsBody>;

export const PrefsResponse = Type.Object({ prefs: ConversationPrefs });
export type PrefsResponse = Static<typeof PrefsResponse>;

export const HideMessagesBody = Type.Object({
  messageIds: Type.Array(Id, { minItems: 1, maxItems: Limits.hideMessagesMax, uniqueItems: true }),
}, strict);
export type HideMessagesBody = Static<typeof HideMessagesBody>;

export const HideMessagesResponse = Type.Object({
  /** The ids now hidden for you (messages of other conversations, or unknown, are left out). */
  messageIds: Type.Array(Id),
});
export type HideMessagesResponse = Static<typeof HideMessagesResponse>;

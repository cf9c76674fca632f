/**
 * Hard caps of the wire protocol. Schemas enforce these; a server may be configured
 * with lower limits (for example a shorter maximum message length) but never higher.
 */
export const Limits = {
  idMaxLength: 128,
  handleMinLength: 3,
  handleMaxLength: 32,
  displayNameMaxLength: 64,
  passwordMinLength: 8,
  passwordMaxLength: 256,
  titleMaxLength: 200,
  messageTextMaxLength: 16_000,
  clientMsgIdMaxLength: 64,
  requestIdMaxLength: 64,
  tokenMaxLength: 8_192,
  /** Members that one create or add request may name. */
  membersPerRequest: 500,
  messagesPageMax: 200,
  eventsPageMax: 500,
  /** Conversations one `sync` request may ask about. */
  syncConversationsMax: 500,
  adminBulkMax: 1_000,
  /** Files on one message. */
  attachmentsPerMessage: 10,
  /** Characters of a message search query. */
  searchQueryMaxLength: 256,
  /** Characters of a people or conversation search query. */
  directoryQueryMaxLength: 64,
  /** Results per search page. */
  searchPageMax: 50,
  /** Messages one "delete for me" request may name. */
  hideMessagesMax: 100,
  /** Conversations pinned in one user's list. */
  pinnedConversationsMax: 20,
} as const;

/** Hard caps of the realtime frames and routes (receipts, presence, push; a server may be configured lower, never higher). */
export const RealtimeLimits = {
  /** Conversations one `delivered` report may name. */
  deliveredMax: 500,
  /** Users one presence query or subscribe frame may name. */
  presenceUsersPerRequest: 100,
  pushTokenMaxLength: 4096,
} as const;

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (bigint), seqs are
 * bigint; the PostgreSQL pool parses int8 to number (safe below 2^53), SQLite returns
 * numbers already. JSON is stored as text: it is never queried into.
 */
import type { CallEndReason, CallKind, CallMode, CallParticipantState, CallState } from '@parley/protocol';
import type { AddPrivacy, AttachmentKind, PresencePrivacy, PushMode, PushPlatform, ConversationKind, Role, UserStatus, Visibility } from '@parley/protocol';

export interface UsersTable {
  id: string;
  /** Lower-case, unique when set. */
  handle: string | null;
  display_name: string;
  password_hash: string | null;
  status: UserStatus;
  add_privacy: AddPrivacy;
  /** Optional here (the column has a default) so code that inserts users need not name it; same for the columns below. */
  presence_privacy?: PresencePrivacy;
  /** Epoch ms the user was last seen online (written when they go offline). */
  last_seen_at?: number | null;
  /** The upload shown as the user's picture. */
  avatar_id?: string | null;
  /** Head of this user's own log. */
  event_seq: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  device_name: string | null;
  /** sha256 of the current refresh secret. */
  refresh_hash: string;
  /** sha256 of the secret it replaced, accepted briefly so a retried refresh is not theft. */
  prev_refresh_hash: string | null;
  rotated_at: number;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
  push_platform?: PushPlatform | null;
  /** The device's push token (for the push issue); never sent back to clients. */
  push_token?: string | null;
  push_updated_at?: number | null;
  /** A Web Push subscription's keys, JSON `{p256dh, auth}` (the endpoint is `push_token`). */
  push_keys?: string | null;
}

export interface ConversationsTable {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  handle: string | null;
  title: string | null;
  description: string | null;
  /** JSON array of rights for ordinary members; null: the kind's defaults. */
  member_rights: string | null;
  slow_mode_sec: number;
  protected_content: number;
  join_approval: number;
  /** `min(userA, userB) + ' ' + max(...)` for direct conversations: exactly one per pair. */
  direct_key: string | null;
  created_by: string | null;
  created_at: number;
  /** Head of this conversation's log. */
  last_seq: number;
  last_activity_at: number;
  last_message_id: string | null;
  member_count: number;
  /** The upload shown as the conversation's picture. */
  photo_id?: string | null;
  /** Messages older than this many days are deleted for everyone; null: the server default (RETENTION_DEFAULT_DAYS). */
  retention_days?: number | null;
}

export interface MembersTable {
  conversation_id: string;
  user_id: string;
  role: Role;
  /** JSON array of custom rights (admins, moderators); null: the role's defaults. */
  rights: string | null;
  muted_until: number | null;
  last_sent_at: number | null;
  joined_at: number;
  /** The conversation seq at which the member joined. */
  joined_seq: number;
  read_seq: number;
  /** Highest seq that reached any of the member's devices (reported by clients). */
  delivered_seq?: number;
  /** Your own view of the conversation (issue 20), each changed through your user log. Null: not archived. */
  archived_at?: number | null;
  /** Null: not pinned in your list; pinned ones sort by this, most recent first. */
  pinned_at?: number | null;
  /** 1: you marked it unread (cleared when you read it). */
  marked_unread?: number;
  /** "Delete for me" of the history: messages with seq up to this are hidden from you. */
  cleared_seq?: number;
}

export interface ConversationEventsTable {
  conversation_id: string;
  seq: number;
  type: string;
  actor_id: string | null;
  /** Message events keep only the id; the message is read from `messages` so a deleted text is gone everywhere. */
  message_id: string | null;
  data: string;
  created_at: number;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string;
  text: string | null;
  reply_to: string | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  /** JSON ForwardedFrom, or null. */
  forwarded_from: string | null;
  /** JSON array of wire Attachments, or null when none (cleared on delete). */
  attachments: string | null;
  /** JSON array of the user ids the text mentions; null (or absent) for none. */
  mentions?: string | null;
}

export interface UserEventsTable {
  user_id: string;
  seq: number;
  type: string;
  data: string;
  created_at: number;
}

export interface BansTable {
  conversation_id: string;
  user_id: string;
  /** Null: forever. */
  until: number | null;
  reason: string | null;
  banned_by: string | null;
  created_at: number;
}

export interface InvitesTable {
  code: string;
  conversation_id: string;
  name: string | null;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  requires_approval: number;
  revoked_at: number | null;
}

export interface JoinRequestsTable {
  conversation_id: string;
  user_id: string;
  invite_code: string | null;
  created_at: number;
}

export interface BlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: number;
}

export interface ReactionsTable {
  message_id: string;
  user_id: string;
  emoji: string;
  created_at: number;
}

export interface PinsTable {
  conversation_id: string;
  message_id: string;
  pinned_by: string | null;
  pinned_at: number;
}

export interface ReportsTable {
  id: string;
  reporter_id: string;
  conversation_id: string | null;
  target_type: 'message' | 'user' | 'conversation';
  target_id: string;
  reason: string;
  comment: string | null;
  status: 'open' | 'resolved';
  action: string | null;
  note: string | null;
  resolved_by: string | null;
  resolved_at: number | null;
  created_at: number;
}

export interface AuditLogTable {
  id: string;
  conversation_id: string | null;
  /** Null: the platform (admin API). */
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  reason: string | null;
  data: string;
  created_at: number;
}

export interface UploadsTable {
  id: string;
  owner_id: string;
  blob_key: string;
  thumbnail_key: string | null;
  name: string;
  size: number;
  content_type: string;
  sha256: string;
  kind: AttachmentKind;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  /** base64url loudness bytes. */
  waveform: string | null;
  thumbnail_width: number | null;
  thumbnail_height: number | null;
  scan_state: 'none' | 'pending' | 'clean';
  created_at: number;
  /** Unused uploads are swept after this; null once something uses it. */
  expires_at: number | null;
  /** No longer used by anything: swept after this. */
  purge_after: number | null;
}

/** A tus upload in progress (migration 0012): its parts become an `uploads` row once all arrived. */
export interface ResumableUploadsTable {
  id: string;
  owner_id: string;
  name: string;
  kind: 'voice' | null;
  length: number;
  /** Bytes stored so far: the next part starts here. */
  received: number;
  created_at: number;
  expires_at: number;
  finishing_until: number | null;
  file_id: string | null;
}

export interface ResumableUploadPartsTable {
  upload_id: string;
  start: number;
  size: number;
  blob_key: string;
}

export interface MessageFilesTable {
  message_id: string;
  upload_id: string;
  conversation_id: string;
  position: number;
}

export interface CallsTable {
  id: string;
  conversation_id: string;
  kind: CallKind;
  mode: CallMode;
  state: CallState;
  caller_id: string;
  caller_device: string | null;
  created_at: number;
  ring_expires_at: number;
  answered_at: number | null;
  ended_at: number | null;
  end_reason: CallEndReason | null;
  room: string | null;
}

export interface CallParticipantsTable {
  call_id: string;
  user_id: string;
  state: CallParticipantState;
  device: string | null;
  joined_at: number | null;
  left_at: number | null;
  disconnected_at: number | null;
}

export interface PushOutboxTable {
  id: string;
  conversation_id: string;
  seq: number;
  message_id: string;
  sender_id: string;
  created_at: number;
  due_at: number;
  /** The last recipient (user id) expanded; null: none yet. */
  cursor: string | null;
  attempts: number;
  claimed_until: number | null;
  claimed_by: string | null;
}

export type PushDeliveryState = 'pending' | 'sent' | 'gone' | 'dead';

export interface PushDeliveriesTable {
  id: string;
  /** `<conversation id>:<seq>`: with the session, what makes a send happen once. */
  event_key: string;
  session_id: string;
  user_id: string;
  platform: PushPlatform;
  token: string;
  keys: string | null;
  payload: string;
  state: PushDeliveryState;
  attempts: number;
  due_at: number;
  claimed_until: number | null;
  claimed_by: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface PushSettingsTable {
  user_id: string;
  enabled: number;
  previews: number;
  updated_at: number;
}

export interface PushConversationSettingsTable {
  user_id: string;
  conversation_id: string;
  mode: PushMode;
  muted_until: number | null;
  updated_at: number;
}

/** One live message as search sees it (PostgreSQL: with its tsvector; SQLite: the FTS5 row is `doc_id`). */
export interface MessageSearchDocsTable {
  doc_id?: number;
  message_id: string;
  conversation_id: string;
  sender_id: string;
  created_at: number;
  /** 1 when the text links somewhere (`platform/links.ts`): search's `has=link`. */
  has_link?: number;
}

/** One requested data export: the row is the request, so the job survives restarts (modules/exports). */
export interface DataExportsTable {
  id: string;
  user_id: string;
  requested_by: 'user' | 'admin';
  state: 'pending' | 'running' | 'ready' | 'failed' | 'expired';
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** A running export whose lease passed is taken again (its node died). */
  lease_until: number | null;
  attempts: number;
  /** Ready exports: when the archive is deleted. */
  expires_at: number | null;
  blob_key: string | null;
  size: number | null;
  sha256: string | null;
  error: string | null;
}

/** A word a user (`scope` 'user') or a conversation ('conversation') is found by. */
export interface SearchTermsTable {
  scope: 'user' | 'conversation';
  term: string;
  ref_id: string;
}

/** A message one user deleted for themselves. */
export interface HiddenMessagesTable {
  user_id: string;
  message_id: string;
  conversation_id: string;
  created_at: number;
}

export interface DB {
  calls: CallsTable;
  call_participants: CallParticipantsTable;
  users: UsersTable;
  sessions: SessionsTable;
  conversations: ConversationsTable;
  members: MembersTable;
  conversation_events: ConversationEventsTable;
  messages: MessagesTable;
  user_events: UserEventsTable;
  bans: BansTable;
  invites: InvitesTable;
  join_requests: JoinRequestsTable;
  blocks: BlocksTable;
  reactions: ReactionsTable;
  pins: PinsTable;
  reports: ReportsTable;
  audit_log: AuditLogTable;
  uploads: UploadsTable;
  message_files: MessageFilesTable;
  resumable_uploads: ResumableUploadsTable;
  resumable_upload_parts: ResumableUploadPartsTable;
  push_outbox: PushOutboxTable;
  push_deliveries: PushDeliveriesTable;
  push_settings: PushSettingsTable;
  push_conversation_settings: PushConversationSettingsTable;
  message_search_docs: MessageSearchDocsTable;
  search_terms: SearchTermsTable;
  hidden_messages: HiddenMessagesTable;
  data_exports: DataExportsTable;
}

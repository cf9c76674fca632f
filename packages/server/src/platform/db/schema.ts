/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (bigint), seqs are
 * bigint; the PostgreSQL pool parses int8 to number (safe below 2^53), SQLite returns
 * numbers already. JSON is stored as text: it is never queried into.
 */
import type { UserStatus } from '@parley/protocol';

export interface UsersTable {
  id: string;
  /** Lower-case, unique when set. */
  handle: string | null;
  display_name: string;
  password_hash: string | null;
  status: UserStatus;
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
}

export interface ConversationsTable {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  /** `min(userA, userB) + ' ' + max(...)` for direct conversations: exactly one per pair. */
  direct_key: string | null;
  created_by: string | null;
  created_at: number;
  /** Head of this conversation's log. */
  last_seq: number;
  last_activity_at: number;
  last_message_id: string | null;
  member_count: number;
}

export interface MembersTable {
  conversation_id: string;
  user_id: string;
  role: 'owner' | 'member';
  joined_at: number;
  /** The conversation seq at which the member joined. */
  joined_seq: number;
  read_seq: number;
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
}

export interface UserEventsTable {
  user_id: string;
  seq: number;
  type: string;
  data: string;
  created_at: number;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  conversations: ConversationsTable;
  members: MembersTable;
  conversation_events: ConversationEventsTable;
  messages: MessagesTable;
  user_events: UserEventsTable;
}

import type { ReceiptPointers } from '@parley/protocol';
import type { AdminConversation, Conversation, ConversationPrefs, ConversationPreview, ConversationSettings, Member, Message, User } from '@parley/protocol';
import type { ConversationsTable, MembersTable, UsersTable } from '../../platform/db/index.ts';
import { iso } from '../../platform/time.ts';
import { MEMBER_DEFAULTS, memberRights, parseRights, sortRights } from '../policy/index.ts';
import { toUser } from '../users/index.ts';

type SettingsRow = Pick<ConversationsTable, 'kind' | 'member_rights' | 'slow_mode_sec' | 'protected_content' | 'join_approval'>;

export function toSettings(row: SettingsRow): ConversationSettings {
  return {
    memberRights: sortRights(parseRights(row.member_rights) ?? MEMBER_DEFAULTS[row.kind]),
    slowModeSec: row.slow_mode_sec,
    protectedContent: row.protected_content === 1,
    joinApproval: row.join_approval === 1,
  };
}

/** The moment's mute, if it is still running. */
function activeMute(mutedUntil: number | null, now: number): string | null {
  return mutedUntil !== null && mutedUntil > now ? iso(mutedUntil) : null;
}

export type ConversationRow = Pick<ConversationsTable, 'id' | 'kind' | 'visibility' | 'handle' | 'title' | 'description' | 'photo_id' | 'member_rights' | 'slow_mode_sec' | 'protected_content' | 'join_approval' | 'created_at' | 'last_seq' | 'last_activity_at' | 'last_message_id' | 'member_count'>
  & Pick<MembersTable, 'role' | 'rights' | 'muted_until' | 'read_seq' | 'archived_at' | 'pinned_at' | 'marked_unread' | 'cleared_seq'>;

/** Your own view of a conversation (archived, pinned, marked unread, history cleared), as the wire and the user log carry it. */
export function toPrefs(conversationId: string, row: Pick<MembersTable, 'archived_at' | 'pinned_at' | 'marked_unread' | 'cleared_seq'>): ConversationPrefs {
  return {
    conversationId,
    archived: row.archived_at != null,
    pinnedAt: row.pinned_at != null ? iso(row.pinned_at) : null,
    markedUnread: row.marked_unread === 1,
    clearedSeq: row.cleared_seq ?? 0,
  };
}

export function toConversation(row: ConversationRow, extra: { peer: User | null; lastMessage: Message | null; unreadCount: number; pinnedMessageIds: string[]; now: number; peerReceipts?: ReceiptPointers | null }): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    visibility: row.visibility,
    handle: row.handle,
    title: row.title,
    description: row.description,
    ...(row.photo_id ? { photoId: row.photo_id } : {}),
    settings: toSettings(row),
    createdAt: iso(row.created_at),
    lastSeq: row.last_seq,
    lastActivityAt: iso(row.last_activity_at),
    memberCount: row.member_count,
    role: row.role,
    rights: sortRights(memberRights(row, row, extra.now)),
    mutedUntil: activeMute(row.muted_until, extra.now),
    readSeq: row.read_seq,
    unreadCount: extra.unreadCount,
    peer: extra.peer,
    peerReceipts: extra.peerReceipts ?? null,
    lastMessage: extra.lastMessage,
    pinnedMessageIds: extra.pinnedMessageIds,
    prefs: toPrefs(row.id, row),
  };
}

export function toPreview(row: ConversationsTable): ConversationPreview {
  return {
    id: row.id,
    kind: row.kind,
    visibility: row.visibility,
    handle: row.handle,
    title: row.title,
    description: row.description,
    memberCount: row.member_count,
    joinApproval: row.join_approval === 1,
  };
}

export function toAdminConversation(row: ConversationsTable, ownerId: string | null): AdminConversation {
  return {
    id: row.id,
    kind: row.kind,
    visibility: row.visibility,
    handle: row.handle,
    title: row.title,
    description: row.description,
    settings: toSettings(row),
    ownerId,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    lastSeq: row.last_seq,
    lastActivityAt: iso(row.last_activity_at),
    memberCount: row.member_count,
  };
}

export function toMember(
  conversation: Pick<ConversationsTable, 'kind' | 'member_rights'>,
  row: Pick<MembersTable, 'user_id' | 'role' | 'rights' | 'muted_until' | 'joined_at'> & Pick<UsersTable, 'id' | 'handle' | 'display_name' | 'status'>,
  now: number,
): Member {
  return {
    userId: row.user_id,
    role: row.role,
    rights: sortRights(memberRights(conversation, row, now)),
    mutedUntil: activeMute(row.muted_until, now),
    joinedAt: iso(row.joined_at),
    user: toUser(row),
  };
}

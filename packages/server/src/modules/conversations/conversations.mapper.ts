import type { Conversation, Message, User } from '@parley/protocol';
import type { PolicyFacts } from '../policy/index.ts';
import type { ConversationsTable, MembersTable } from '../../platform/db/index.ts';
import { iso } from '../../platform/time.ts';

export type ConversationRow = Pick<ConversationsTable, 'id' | 'kind' | 'title' | 'created_at' | 'last_seq' | 'last_activity_at' | 'last_message_id' | 'member_count'>
  & Pick<MembersTable, 'role' | 'read_seq'>;

export function toConversation(row: ConversationRow, extra: { peer: User | null; lastMessage: Message | null; unreadCount: number }): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    createdAt: iso(row.created_at),
    lastSeq: row.last_seq,
    lastActivityAt: iso(row.last_activity_at),
    memberCount: row.member_count,
    role: row.role,
    readSeq: row.read_seq,
    unreadCount: extra.unreadCount,
    peer: extra.peer,
    lastMessage: extra.lastMessage,
  };
}

export interface MembershipFactsRow {
  kind: ConversationsTable['kind'];
  role: MembersTable['role'];
  peer_status: PolicyFacts['peerStatus'];
}

/** The policy's view of `findMembershipFacts`: a missing row means "not a member", which the policy answers as not found. */
export function membershipFacts(row: MembershipFactsRow | undefined): PolicyFacts {
  return row ? { conversation: { kind: row.kind }, membership: { role: row.role }, peerStatus: row.peer_status } : { conversation: null, membership: null };
}

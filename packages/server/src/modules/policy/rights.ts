import { type ConversationKind, type Right, RightList, type Role } from '@parley/protocol';
import type { ConversationsTable, MembersTable } from '../../platform/db/index.ts';

/**
 * The rights table: what each role may do by default. docs/permissions.md is this table
 * in prose; `permissions.test.ts` generates its matrix from it.
 */
export const ALL_RIGHTS: readonly Right[] = RightList;

/** Acting on another member (remove, ban, mute, change role, delete their message) needs a strictly higher rank. */
export const RANK: Record<Role, number> = { owner: 4, admin: 3, moderator: 2, member: 1, subscriber: 0 };

/** Defaults of the privileged roles; an admin or moderator may instead hold a custom set. */
export const STAFF_DEFAULTS: Record<'admin' | 'moderator', readonly Right[]> = {
  admin: ALL_RIGHTS.filter((right) => right !== 'manage_roles'),
  moderator: ['send_messages', 'send_media', 'send_links', 'add_members', 'remove_members', 'ban_members', 'mute_members', 'delete_messages', 'pin_messages', 'start_calls', 'view_audit_log'],
};

/** What ordinary members (subscribers in channels) may do, per kind, until the conversation says otherwise. */
export const MEMBER_DEFAULTS: Record<ConversationKind, readonly Right[]> = {
  direct: ['send_messages', 'send_media', 'send_links', 'pin_messages', 'start_calls'],
  group: ['send_messages', 'send_media', 'send_links', 'add_members', 'start_calls'],
  channel: [],
};

/** Rights a group or channel may give its ordinary members (the rest stays with staff). */
export const MEMBER_GRANTABLE: readonly Right[] = ['send_messages', 'send_media', 'send_links', 'add_members', 'pin_messages', 'edit_info', 'start_calls'];

/** The rights that sending needs; a mute takes them away. */
export const SENDING_RIGHTS: readonly Right[] = ['send_messages', 'send_media', 'send_links', 'post'];

/** Roles a member may hold in each kind: channels have subscribers, groups members, direct chats two equal members. */
export const ROLES_OF_KIND: Record<ConversationKind, readonly Role[]> = {
  direct: ['member'],
  group: ['owner', 'admin', 'moderator', 'member'],
  channel: ['owner', 'admin', 'moderator', 'subscriber'],
};

/** The role someone who simply joins gets. */
export function joinRole(kind: ConversationKind): Role {
  return kind === 'channel' ? 'subscriber' : 'member';
}

export interface RightsInput {
  kind: ConversationKind;
  role: Role;
  /** The member's custom set (admins, moderators), or null. */
  custom: readonly Right[] | null;
  /** The conversation's rights for ordinary members, or null for the kind's defaults. */
  memberRights: readonly Right[] | null;
  mutedUntil: number | null;
  now: number;
}

/** What one member may do right now. */
export function effectiveRights(input: RightsInput): Set<Right> {
  let rights: readonly Right[];
  if (input.role === 'owner') rights = ALL_RIGHTS;
  else if (input.role === 'admin' || input.role === 'moderator') rights = input.custom ?? STAFF_DEFAULTS[input.role];
  else if (input.kind === 'direct') rights = MEMBER_DEFAULTS.direct;
  else rights = input.memberRights ?? MEMBER_DEFAULTS[input.kind];
  const set = new Set(rights);
  if (input.mutedUntil !== null && input.mutedUntil > input.now) for (const right of SENDING_RIGHTS) set.delete(right);
  return set;
}

/** One member's rights now, from the stored rows: `effectiveRights` of their role, custom set and mute under the conversation's rules. */
export function memberRights(conversation: Pick<ConversationsTable, 'kind' | 'member_rights'>, member: Pick<MembersTable, 'role' | 'rights' | 'muted_until'>, now: number): Set<Right> {
  return effectiveRights({
    kind: conversation.kind,
    role: member.role,
    custom: parseRights(member.rights),
    memberRights: parseRights(conversation.member_rights),
    mutedUntil: member.muted_until,
    now,
  });
}

/** Parses a stored JSON rights list, keeping only rights that exist (a renamed right never grants anything). */
export function parseRights(json: string | null): Right[] | null {
  if (json === null) return null;
  const known = new Set<string>(ALL_RIGHTS);
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? (parsed.filter((right) => typeof right === 'string' && known.has(right)) as Right[]) : null;
}

/** Canonical order, so stored and compared sets are stable. */
export function sortRights(rights: Iterable<Right>): Right[] {
  const set = new Set(rights);
  return ALL_RIGHTS.filter((right) => set.has(right));
}

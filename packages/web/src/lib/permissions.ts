import type { Conversation, Member, Message, Right, Role } from '@parley/protocol';

/**
 * What the viewer may do, decided from what the server says. When the server sends the
 * viewer's granular `rights` (issue 3, governance) they decide; until then the rules of
 * the chat core apply: in groups the owner manages members and the title, and may
 * delete anyone's message; everyone may edit and delete their own messages.
 *
 * The server decides in the end: a refused action shows its error. These only keep
 * buttons that cannot work out of the way.
 */
type Viewer = Pick<Conversation, 'kind' | 'role'> & { rights?: readonly Right[] | undefined };

const RANK: Record<Role, number> = { owner: 4, admin: 3, moderator: 2, member: 1, subscriber: 0 };

function has(viewer: Viewer, right: Right, coreRule: boolean): boolean {
  if (viewer.kind === 'direct') return false;
  return Array.isArray(viewer.rights) ? viewer.rights.includes(right) : coreRule;
}

const isOwner = (viewer: Viewer) => viewer.role === 'owner';

export function canRename(viewer: Viewer): boolean {
  return has(viewer, 'edit_info', isOwner(viewer));
}

export function canAddMembers(viewer: Viewer): boolean {
  return has(viewer, 'add_members', isOwner(viewer));
}

export function canRemoveMember(viewer: Viewer, meId: string | null, member: Pick<Member, 'userId' | 'role'>): boolean {
  if (member.userId === meId) return false;
  if (!has(viewer, 'remove_members', isOwner(viewer))) return false;
  return RANK[viewer.role] > RANK[member.role];
}

export function canLeave(viewer: Viewer): boolean {
  return viewer.kind !== 'direct';
}

export function canEdit(meId: string | null, message: Pick<Message, 'senderId' | 'deletedAt'>): boolean {
  return message.deletedAt === null && message.senderId === meId;
}

export function canDelete(viewer: Viewer, meId: string | null, message: Pick<Message, 'senderId' | 'deletedAt'>): boolean {
  if (message.deletedAt !== null) return false;
  if (message.senderId === meId) return true;
  return has(viewer, 'delete_messages', isOwner(viewer));
}

/** Sending is refused only where the server says so (rights, once they exist). */
export function canSend(viewer: Viewer): boolean {
  if (viewer.kind === 'direct' || !Array.isArray(viewer.rights)) return true;
  return viewer.rights.includes('send_messages') || viewer.rights.includes('post');
}

/** Files and voice notes (`send_media`); channels' posters send what they post. */
export function canSendMedia(viewer: Viewer): boolean {
  if (viewer.kind === 'direct' || !Array.isArray(viewer.rights)) return true;
  return viewer.rights.includes('send_media');
}

/** Why the composer is replaced by a note, or null when the viewer may send. */
export function sendBlockedReason(viewer: Viewer & Pick<Conversation, 'mutedUntil'>, now = Date.now()): 'muted' | 'subscriber' | 'read_only' | null {
  if (canSend(viewer)) return null;
  if (viewer.mutedUntil !== null && Date.parse(viewer.mutedUntil) > now) return 'muted';
  if (viewer.kind === 'channel') return 'subscriber';
  return 'read_only';
}

/** Pinning is a right (`pin_messages`, held by direct members too), so it does not go through `has`, which refuses direct conversations. */
export function canPin(viewer: Viewer): boolean {
  return Array.isArray(viewer.rights) ? viewer.rights.includes('pin_messages') : viewer.kind !== 'direct' && isOwner(viewer);
}

export function canManageInvites(viewer: Viewer): boolean {
  return has(viewer, 'manage_invites', isOwner(viewer));
}

/** Acting on another member (mute, ban, role) needs the right and a strictly higher role. */
function outranks(viewer: Viewer, meId: string | null, member: Pick<Member, 'userId' | 'role'>): boolean {
  return member.userId !== meId && RANK[viewer.role] > RANK[member.role];
}

export function canMute(viewer: Viewer, meId: string | null, member: Pick<Member, 'userId' | 'role'>): boolean {
  return outranks(viewer, meId, member) && has(viewer, 'mute_members', isOwner(viewer));
}

export function canBan(viewer: Viewer, meId: string | null, member: Pick<Member, 'userId' | 'role'>): boolean {
  return outranks(viewer, meId, member) && has(viewer, 'ban_members', isOwner(viewer));
}

/** Roles the viewer may give this member: below the viewer's own, members or subscribers by kind. */
export function assignableRoles(viewer: Viewer, meId: string | null, member: Pick<Member, 'userId' | 'role'>): Role[] {
  if (!outranks(viewer, meId, member) || !has(viewer, 'manage_roles', isOwner(viewer))) return [];
  const base: Role = viewer.kind === 'channel' ? 'subscriber' : 'member';
  return (['admin', 'moderator', base] as Role[]).filter((role) => RANK[role] < RANK[viewer.role]);
}

/** Only the owner hands over ownership (and becomes an admin). */
export function canTransfer(viewer: Viewer, meId: string | null, member: Pick<Member, 'userId'>): boolean {
  return viewer.kind !== 'direct' && viewer.role === 'owner' && member.userId !== meId;
}

export function roleLabel(role: Role): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}

/** Calls need `start_calls` (direct members hold it; the server still refuses across a block); channels call only through a media backend, which the web client does not join. */
export function canStartCall(viewer: Viewer): boolean {
  if (viewer.kind === 'channel') return false;
  return Array.isArray(viewer.rights) ? viewer.rights.includes('start_calls') : true;
}

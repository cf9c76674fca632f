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

export function roleLabel(role: Role): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}

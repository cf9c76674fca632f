import type { ConversationKind, Right, Role, UserStatus, Visibility } from '@parley/protocol';
import { AppError } from '../../platform/errors.ts';
import { RANK, ROLES_OF_KIND, STAFF_DEFAULTS } from './rights.ts';

/**
 * The one place that decides who may do what. HTTP routes and WebSocket frames call the
 * same service functions, and every service function asks `authorize` before it
 * changes or reveals anything, so there is no second path to secure.
 *
 * Services load the facts (usually inside the transaction that holds the conversation
 * lock) and this module decides on them without I/O: decisions are pure, cheap, and
 * tested as a generated table (every right × role × kind).
 */
export type Action =
  | 'conversation.view'
  | 'conversation.update'
  | 'conversation.settings'
  | 'conversation.transfer'
  | 'conversation.leave'
  | 'message.send'
  | 'message.forward'
  | 'message.edit'
  | 'message.delete'
  | 'message.pin'
  | 'message.react'
  | 'members.add'
  | 'members.remove'
  | 'members.ban'
  | 'members.mute'
  | 'members.set_role'
  | 'invites.manage'
  | 'audit.view'
  | 'reports.moderate';

export interface PolicyFacts {
  /** Null when the conversation does not exist. */
  conversation: { kind: ConversationKind; visibility?: Visibility; protectedContent?: boolean } | null;
  /** The actor's membership, with the rights they hold now; null when not a member. */
  membership: { role: Role; rights: ReadonlySet<Right> } | null;
  /** Direct conversations: the other member's account status. */
  peerStatus?: UserStatus | null;
  /** Direct conversations: a block between the two, in either direction. */
  blocked?: boolean;
  /** Message actions: the message acted on, with its sender's current role there (null: no longer a member). */
  message?: { senderId: string; deleted: boolean; senderRole?: Role | null } | null;
  /** Actions on another member: their role there (null: not a member, e.g. banning someone who left). */
  target?: { userId: string; role: Role | null } | null;
  /** Sending or editing: the text links somewhere. */
  hasLinks?: boolean;
  /** set_role: the role to give and the custom rights the member will hold (null: the role's defaults). */
  grant?: { role: Role; rights: readonly Right[] | null };
}

const forbidden = (message: string) => new AppError('forbidden', message);

function require(facts: PolicyFacts, right: Right, message: string): void {
  if (!facts.membership!.rights.has(right)) throw forbidden(message);
}

/** Actions on another member: never yourself, never someone of equal or higher rank. */
function requireOutranks(actorId: string, facts: PolicyFacts): void {
  const target = facts.target;
  if (!target) throw new AppError('not_found', 'Member not found.');
  if (target.userId === actorId) throw forbidden('You cannot do this to yourself.');
  if (target.role !== null && RANK[target.role] >= RANK[facts.membership!.role]) throw forbidden('You can only act on members below your role.');
}

/**
 * Throws the typed error for a refusal; returns when allowed. A conversation you are not
 * a member of is `not_found`, exactly like one that does not exist, so ids reveal nothing.
 */
export function authorize(actorId: string, action: Action, facts: PolicyFacts): void {
  const { conversation, membership } = facts;
  if (!conversation || !membership) throw new AppError('not_found', 'Conversation not found.');
  const kind = conversation.kind;
  const isDirect = kind === 'direct';
  const role = membership.role;

  switch (action) {
    case 'conversation.view':
    case 'message.react':
      return;

    case 'message.send':
    case 'message.forward':
      requireWrite(facts, kind);
      return;

    case 'message.edit': {
      const message = requireMessage(facts);
      if (message.deleted) throw new AppError('not_found', 'Message not found.');
      if (message.senderId !== actorId) throw forbidden('Only the sender may edit a message.');
      // New text is writing: a mute, a read-only group, a block or a missing send_links stop it as they stop a send.
      requireWrite(facts, kind);
      return;
    }

    case 'message.delete': {
      const message = requireMessage(facts);
      if (message.senderId === actorId) return;
      require(facts, 'delete_messages', 'Only the sender, or a member with the delete_messages right, may delete this message.');
      if (message.senderRole && RANK[message.senderRole] >= RANK[role]) throw forbidden('You can only delete messages of members below your role.');
      return;
    }

    case 'message.pin':
      requireMessage(facts);
      require(facts, 'pin_messages', 'You may not pin messages here.');
      return;

    case 'conversation.update':
      if (isDirect) throw forbidden('Direct conversations have no title or settings.');
      require(facts, 'edit_info', 'You may not change this conversation.');
      return;

    case 'conversation.settings':
      // Visibility, handle and the rules for members are staff matters, even where members may edit the title.
      if (isDirect) throw forbidden('Direct conversations have no title or settings.');
      require(facts, 'edit_info', 'You may not change this conversation.');
      if (RANK[role] < RANK.admin) throw forbidden('Only admins may change these settings.');
      return;

    case 'conversation.transfer':
      if (isDirect) throw forbidden('Direct conversations have no owner.');
      if (role !== 'owner') throw forbidden('Only the owner may transfer ownership.');
      requireTarget(actorId, facts);
      return;

    case 'conversation.leave':
      if (isDirect) throw forbidden('You cannot leave a direct conversation.');
      return;

    case 'members.add':
      if (isDirect) throw forbidden('Direct conversations have exactly two members.');
      require(facts, 'add_members', 'You may not add members here.');
      return;

    case 'members.remove':
      if (isDirect) throw forbidden('Direct conversations have exactly two members.');
      require(facts, 'remove_members', 'You may not remove members here.');
      requireOutranks(actorId, facts);
      return;

    case 'members.ban':
      if (isDirect) throw forbidden('Direct conversations have exactly two members.');
      require(facts, 'ban_members', 'You may not ban members here.');
      requireOutranks(actorId, facts);
      return;

    case 'members.mute':
      if (isDirect) throw forbidden('Direct conversations have exactly two members.');
      require(facts, 'mute_members', 'You may not mute members here.');
      requireOutranks(actorId, facts);
      return;

    case 'members.set_role': {
      if (isDirect) throw forbidden('Direct conversations have no roles.');
      require(facts, 'manage_roles', 'You may not change roles here.');
      requireOutranks(actorId, facts);
      if (facts.target!.role === null) throw new AppError('not_found', 'Member not found.');
      const grant = facts.grant!;
      if (!ROLES_OF_KIND[kind].includes(grant.role) || grant.role === 'owner') throw new AppError('validation_failed', `A ${kind} has no ${grant.role} role to give.`);
      // Only the owner makes admins; an admin with manage_roles makes moderators and below.
      if (RANK[grant.role] >= RANK[role]) throw forbidden('You can only give roles below your own.');
      const staff = grant.role === 'admin' || grant.role === 'moderator';
      if (grant.rights && !staff) throw new AppError('validation_failed', 'Only admins and moderators hold custom rights.');
      // What the member will hold as staff is granted by you, whether a custom set or the role's
      // defaults: otherwise an admin holding only manage_roles could hand out a moderator's bans.
      const given = grant.rights ?? (staff ? STAFF_DEFAULTS[grant.role as 'admin' | 'moderator'] : []);
      const missing = given.filter((right) => !membership.rights.has(right));
      if (missing.length > 0) throw forbidden(`You can only grant rights you hold yourself (not: ${missing.join(', ')}).`);
      return;
    }

    case 'invites.manage':
      if (isDirect) throw forbidden('Direct conversations have no invites.');
      require(facts, 'manage_invites', 'You may not manage invites here.');
      return;

    case 'audit.view':
      if (isDirect) throw forbidden('Direct conversations have no audit log.');
      require(facts, 'view_audit_log', 'You may not see the audit log here.');
      return;

    case 'reports.moderate':
      if (isDirect) throw forbidden('Direct conversations have no moderators.');
      if (!(['delete_messages', 'ban_members', 'remove_members', 'mute_members'] as const).some((right) => membership.rights.has(right))) {
        throw forbidden('Only moderators see reports here.');
      }
      return;
  }
}

/** Writing text here now (sending, forwarding, editing): the sending right of the kind, links only with send_links. */
function requireWrite(facts: PolicyFacts, kind: ConversationKind): void {
  if (kind === 'direct') {
    if (facts.peerStatus === 'deleted') throw forbidden('The other account is deleted.');
    if (facts.blocked) throw forbidden('You cannot message this user.');
  }
  if (kind === 'channel') require(facts, 'post', 'Only members with the post right publish in this channel.');
  else require(facts, 'send_messages', 'You may not send messages here.');
  if (facts.hasLinks) require(facts, 'send_links', 'You may not send links here.');
}

function requireMessage(facts: PolicyFacts): { senderId: string; deleted: boolean; senderRole?: Role | null } {
  if (!facts.message) throw new AppError('not_found', 'Message not found.');
  return facts.message;
}

function requireTarget(actorId: string, facts: PolicyFacts): void {
  if (!facts.target || facts.target.role === null) throw new AppError('not_found', 'Member not found.');
  if (facts.target.userId === actorId) throw forbidden('You already own this conversation.');
}

import type { AddPrivacy, ConversationKind, Right, Role, UserStatus, Visibility } from '@parley/protocol';
import { AppError } from '../../platform/errors.ts';
import { RANK, ROLES_OF_KIND, STAFF_DEFAULTS } from './rights.ts';

/**
 * The one place that decides who may do what. HTTP routes and WebSocket frames call the
 * same service functions, and every service function asks `authorize` before it
 * changes or reveals anything, so there is no second path to secure.
 *
 * Services load the facts (usually inside the transaction that holds the conversation
 * lock) and this module decides on them without I/O: decisions are pure, cheap, and
 * tested as a generated table (every right × role × kind). A service may ask twice about
 * one action: first before it loads anything more (so a non-member learns nothing), then
 * with the facts that only the first answer made worth loading (who is being added).
 */
export type Action =
  | 'conversation.create'
  | 'conversation.join'
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
  | 'join_request.approve'
  | 'audit.view'
  | 'reports.moderate'
  | 'call.start'
  | 'call.join'
  | 'call.end';

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
  /** Sending or forwarding: the message carries files (needs `send_media`). */
  hasMedia?: boolean;
  /** set_role: the role to give and the custom rights the member will hold (null: the role's defaults). */
  grant?: { role: Role; rights: readonly Right[] | null };
  /** conversation.settings changing `memberRights`: what ordinary members hold now, and would hold after. */
  memberRights?: { current: readonly Right[]; next: readonly Right[] };
  /** conversation.create (groups, channels) and members.add: the people to be added (the actor never among them). */
  candidates?: readonly AddCandidate[];
  /** conversation.join: the way in (a handle finds public conversations only) and whether a ban keeps the actor out. */
  join?: { via: 'handle' | 'invite'; banned: boolean };
  /** join_request.approve: the request (null: none from this user) and whether its author is banned here. */
  joinRequest?: { banned: boolean } | null;
}

/** Someone the actor wants to add, with what decides whether they let the actor. */
export interface AddCandidate {
  userId: string;
  addPrivacy: AddPrivacy;
  /** The candidate counts the actor as a contact (see `contactsOf` in the privacy module). */
  contact: boolean;
  /** The candidate blocked the actor. */
  blocksActor: boolean;
  /** Banned from the conversation they would be added to. */
  banned?: boolean;
}

/** The one answer to "you may not add this user", whatever the reason: privacy setting, block or ban. */
export const CANNOT_ADD = 'Some users cannot be added. They can still join through an invite link.';

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
  // Coming in from outside: the actor is not a member (yet), so these are decided before the rule that follows.
  if (action === 'conversation.create') return authorizeCreate(facts);
  if (action === 'conversation.join') return authorizeJoin(facts);
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
      requireWrite(facts, kind);
      return;

    case 'message.forward': {
      // Taking a copy out of this conversation (posting it elsewhere is a message.send there).
      const message = requireMessage(facts);
      if (message.deleted) throw new AppError('not_found', 'Message not found.');
      if (conversation.protectedContent) throw forbidden('Messages in this conversation cannot be forwarded.');
      return;
    }

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
      if (facts.memberRights && role !== 'owner') {
        // As with custom staff rights: nobody but the owner hands out a right they do not hold. Taking one away is always fine.
        const { current, next } = facts.memberRights;
        requireHeld(membership.rights, next.filter((right) => !current.includes(right)));
      }
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
      if (facts.candidates) requireAddable(facts.candidates);
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
      requireHeld(membership.rights, grant.rights ?? (staff ? STAFF_DEFAULTS[grant.role as 'admin' | 'moderator'] : []));
      return;
    }

    case 'invites.manage':
      if (isDirect) throw forbidden('Direct conversations have no invites.');
      require(facts, 'manage_invites', 'You may not manage invites here.');
      return;

    case 'join_request.approve':
      if (isDirect) throw forbidden('Direct conversations have no invites.');
      require(facts, 'manage_invites', 'You may not manage invites here.');
      if (!facts.joinRequest) throw new AppError('not_found', 'No request to join from this user.');
      // A ban holds against every way back in, an approval too.
      if (facts.joinRequest.banned) throw forbidden('This user is banned here.');
      return;

    case 'audit.view':
      if (isDirect) throw forbidden('Direct conversations have no audit log.');
      require(facts, 'view_audit_log', 'You may not see the audit log here.');
      return;

    case 'call.start':
      // A block stops calls as it stops messages, in either direction; a deleted account answers nothing.
      if (isDirect) {
        if (facts.peerStatus === 'deleted') throw forbidden('The other account is deleted.');
        if (facts.blocked) throw forbidden('You cannot call this user.');
      }
      require(facts, 'start_calls', 'You may not start calls here.');
      return;

    case 'call.join':
      // Any member may answer or join (publishing is a matter of the media grant); a block still keeps two people apart.
      if (isDirect && facts.blocked) throw forbidden('You cannot call this user.');
      return;

    case 'call.end':
      // Ending a call for everyone that someone else started: either side of a 1:1 call, a moderator elsewhere.
      if (isDirect) return;
      if (RANK[role] < RANK.moderator) throw forbidden('Only the caller or a moderator may end this call for everyone.');
      return;

    case 'reports.moderate':
      if (isDirect) throw forbidden('Direct conversations have no moderators.');
      if (!(['delete_messages', 'ban_members', 'remove_members', 'mute_members'] as const).some((right) => membership.rights.has(right))) {
        throw forbidden('Only moderators see reports here.');
      }
      return;
  }
}

/** The rights that act on members one by one: who holds one needs to see every member to use it. */
const MEMBER_MANAGEMENT_RIGHTS: readonly Right[] = ['remove_members', 'ban_members', 'mute_members', 'manage_roles'];

/**
 * Which members a member may list (after `conversation.view` allowed them in): everyone,
 * or only the staff (owner, admins, moderators). Subscribers of a channel do not know each
 * other, so in a channel only members holding a right that manages members see them all.
 */
export function memberListScope(facts: PolicyFacts): 'all' | 'staff' {
  if (facts.conversation?.kind !== 'channel') return 'all';
  const rights = facts.membership?.rights;
  return rights && MEMBER_MANAGEMENT_RIGHTS.some((right) => rights.has(right)) ? 'all' : 'staff';
}

/** Starting a conversation: nobody starts a direct one across a block, nor adds people to a group or channel who do not let them. */
function authorizeCreate(facts: PolicyFacts): void {
  if (facts.conversation?.kind === 'direct') {
    if (facts.blocked) throw forbidden('You cannot message this user.');
    return;
  }
  requireAddable(facts.candidates ?? []);
}

/**
 * Joining by handle (public groups and channels) or by a working invite (any group or
 * channel). What a handle cannot find reads like nothing there; a member is in already.
 */
function authorizeJoin(facts: PolicyFacts): void {
  const { conversation, membership } = facts;
  const join = facts.join!;
  const missing = join.via === 'invite' ? 'This invite link is not valid.' : 'Conversation not found.';
  if (!conversation || conversation.kind === 'direct' || (join.via === 'handle' && conversation.visibility !== 'public')) throw new AppError('not_found', missing);
  if (membership) return;
  if (join.banned) throw forbidden('You cannot join this conversation.');
}

/** Whether a candidate refuses to be added by the actor: a ban here, a block of the actor, or their add-privacy setting. */
function refusesToBeAdded(candidate: AddCandidate): boolean {
  if (candidate.banned || candidate.blocksActor) return true;
  return candidate.addPrivacy === 'nobody' || (candidate.addPrivacy === 'contacts' && !candidate.contact);
}

/** One answer for every reason, naming who cannot be added, so it reveals nothing more than that. */
function requireAddable(candidates: readonly AddCandidate[]): void {
  const refused = candidates.filter(refusesToBeAdded).map((candidate) => candidate.userId);
  if (refused.length > 0) throw new AppError('forbidden', CANNOT_ADD, { userIds: refused });
}

/**
 * The platform (admin API) adding people: not bound by rights, privacy settings or blocks,
 * only by bans, until it lifts them.
 */
export function authorizePlatformAdd(candidates: ReadonlyArray<{ userId: string; banned: boolean }>): void {
  const banned = candidates.filter((candidate) => candidate.banned).map((candidate) => candidate.userId);
  if (banned.length > 0) throw new AppError('forbidden', 'Some users are banned here.', { userIds: banned });
}

/**
 * Slow mode (`settings.slowModeSec`): ordinary members and subscribers wait between
 * messages; moderators and above are exempt. Throws `rate_limited` (with `retryAfterMs`)
 * while the sender must still wait; returns whether this send counts, so the service
 * records it as their last. Asked after a retried send has been recognised: a retry is
 * answered with the original, never held back.
 */
export function checkSlowMode(facts: { seconds: number; role: Role; lastSentAt: number | null; now: number }): boolean {
  if (facts.seconds <= 0 || RANK[facts.role] > RANK.member) return false;
  const wait = facts.lastSentAt === null ? 0 : facts.lastSentAt + facts.seconds * 1000 - facts.now;
  if (wait > 0) throw new AppError('rate_limited', `Slow mode: wait ${Math.ceil(wait / 1000)} s between messages.`, { retryAfterMs: wait });
  return true;
}

/** Whoever gives rights must hold them (custom staff rights, the rights of ordinary members). */
function requireHeld(held: ReadonlySet<Right>, given: readonly Right[]): void {
  const missing = given.filter((right) => !held.has(right));
  if (missing.length > 0) throw forbidden(`You can only grant rights you hold yourself (not: ${missing.join(', ')}).`);
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
  if (facts.hasMedia) require(facts, 'send_media', 'You may not send files here.');
}

function requireMessage(facts: PolicyFacts): { senderId: string; deleted: boolean; senderRole?: Role | null } {
  if (!facts.message) throw new AppError('not_found', 'Message not found.');
  return facts.message;
}

function requireTarget(actorId: string, facts: PolicyFacts): void {
  if (!facts.target || facts.target.role === null) throw new AppError('not_found', 'Member not found.');
  if (facts.target.userId === actorId) throw forbidden('You already own this conversation.');
}

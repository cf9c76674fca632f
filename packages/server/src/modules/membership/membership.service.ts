import type { AssignableRole, Ban, BanBody, JoinResponse, MembersResponse, MuteBody, Right, Role, SeqResponse } from '@parley/protocol';
import type { ConversationsTable, Database, Executor, MembersTable, Tx } from '../../platform/db/index.ts';
import { decodeCursor, encodeCursor, isIdCursor } from '../../platform/cursor.ts';
import { AppError } from '../../platform/errors.ts';
import { iso, isoOrNull, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import {
  admit, type ConversationLimits, type ConversationsService, findConversation, findMember, findMemberQuery, findMembers, groupIdsOfUser, listMembers, memberLimit, part,
  requireExistingUsers, toMember, updateMember,
} from '../conversations/index.ts';
import { appendAudit, appendEvent, type ChangeSet, lockConversation, lockConversationQuery, type UnitOfWork } from '../logs/index.ts';
import { access, authorize, authorizePlatformAdd, joinRole, memberListScope, memberRights, parseRights, type PolicyFacts, type PolicyHook, ROLES_OF_KIND, sortRights } from '../policy/index.ts';
import { addCandidates } from '../privacy/index.ts';
import { toUser } from '../users/index.ts';
import type { JoinRequestNotices } from './join-request-notices.ts';
import * as repo from './membership.repository.ts';

/** "Forever" as a time that still formats as a date. */
export const FOREVER = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface MembershipDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  limits: ConversationLimits;
  hook: PolicyHook;
  conversations: ConversationsService;
  /** Who hears of new requests to join, live (none when left out). */
  joinRequests?: JoinRequestNotices;
}

export type MembershipService = ReturnType<typeof createMembershipService>;

const until = (durationSec: number | null | undefined, now: number) => (durationSec ? now + durationSec * 1000 : null);

/**
 * What deciding `conversation.join` needs: the conversation (undefined: none), the actor's
 * membership if they are in already, and otherwise whether a ban keeps them out. Read
 * once without the lock to answer before the policy hook is asked, and again under it.
 */
export async function joinFacts(db: Executor, conversation: ConversationsTable | undefined, actorId: string, via: 'handle' | 'invite', now: number): Promise<PolicyFacts> {
  if (!conversation) return toJoinFacts(undefined, undefined, false, via, now);
  const member = await findMember(db, conversation.id, actorId);
  const banned = member ? false : (await repo.activeBans(db, conversation.id, [actorId], now)).size > 0;
  return toJoinFacts(conversation, member, banned, via, now);
}

/**
 * `joinFacts` under the conversation lock, taken by the same call: the lock, the actor's
 * membership and their bans in one round trip to the store (read in that order: on
 * PostgreSQL the two reads wait for the lock). A join is a hot path when a large group fills.
 */
async function lockedJoinFacts(db: Database, trx: Tx, conversationId: string, actorId: string, via: 'handle' | 'invite', now: number): Promise<{ conversation: ConversationsTable | undefined; facts: PolicyFacts }> {
  const [locked, members, bans] = await db.runTogether(trx, [
    lockConversationQuery(trx, db.dialect, conversationId).compile(),
    findMemberQuery(trx, conversationId, actorId).compile(),
    repo.activeBansQuery(trx, conversationId, [actorId], now).compile(),
  ]);
  const conversation = locked[0];
  return { conversation, facts: toJoinFacts(conversation, conversation && members[0], bans.length > 0, via, now) };
}

function toJoinFacts(conversation: ConversationsTable | undefined, member: MembersTable | undefined, banned: boolean, via: 'handle' | 'invite', now: number): PolicyFacts {
  if (!conversation) return { conversation: null, membership: null, join: { via, banned: false } };
  return {
    conversation: { kind: conversation.kind, visibility: conversation.visibility, protectedContent: conversation.protected_content === 1 },
    membership: member ? { role: member.role, rights: memberRights(conversation, member, now) } : null,
    // A member's bans do not matter (they are in); as before, only a newcomer's are read.
    join: { via, banned: member ? false : banned },
  };
}

/** Admits one person coming in on their own (by handle, by invite, by an approved request) in the kind's joining role, within the member limit. */
export async function admitJoiner(trx: Tx, changes: ChangeSet, conversation: ConversationsTable, input: { actorId: string; userId: string; limits: ConversationLimits; now: number }): Promise<void> {
  if (conversation.member_count + 1 > memberLimit(conversation.kind, input.limits)) throw new AppError('limit_exceeded', 'This conversation is full.');
  await admit(trx, changes, { conversationId: conversation.id, actorId: input.actorId, userIds: [input.userId], role: joinRole(conversation.kind), now: input.now, maxPerUser: input.limits.maxConversationsPerUser });
}

/**
 * Under the lock, what a way in says once the policy has let the actor through: admit
 * them, or leave a request to join (with the invite it came by). May throw to refuse.
 */
export type JoinGate = (trx: Tx, conversation: ConversationsTable, now: number) => Promise<{ request: boolean; inviteCode: string | null }>;

/**
 * Joining, by handle or by invite: decided once before the policy hook is asked (what
 * cannot be found reads as not found, never as the hook's refusal), and again under the
 * conversation lock, where the way in has its say.
 */
export async function joinConversation(deps: MembershipDeps, actor: Actor, conversationId: string, via: 'handle' | 'invite', gate: JoinGate): Promise<JoinResponse> {
  const { db, uow, clock, limits, hook, conversations } = deps;
  const unlocked = await joinFacts(db.kysely, await findConversation(db.kysely, conversationId), actor.userId, via, clock());
  authorize(actor.userId, 'conversation.join', unlocked);
  if (!unlocked.membership) await hook.consult({ action: 'conversation.join', actorId: actor.userId, conversationId });
  const status = await uow(async (trx, changes): Promise<JoinResponse['status']> => {
    const now = clock();
    const { conversation, facts } = await lockedJoinFacts(db, trx, conversationId, actor.userId, via, now);
    authorize(actor.userId, 'conversation.join', facts);
    if (facts.membership) return 'joined';
    const { request, inviteCode } = await gate(trx, conversation!, now);
    if (request) {
      await repo.upsertJoinRequest(trx, { conversation_id: conversationId, user_id: actor.userId, invite_code: inviteCode, created_at: now });
      return 'pending';
    }
    // Its inserts return nothing the join needs: they travel to the store with the next statement.
    await db.deferWrites(() => admitJoiner(trx, changes, conversation!, { actorId: actor.userId, userId: actor.userId, limits, now }));
    return 'joined';
  });
  if (status === 'pending') deps.joinRequests?.changed(conversationId, actor.userId, true);
  return { status, conversation: status === 'joined' ? await conversations.view(actor.userId, conversationId) : null };
}

/**
 * Who is in a conversation and with which role: adding, removing, leaving, bans, mutes,
 * roles, ownership, joining public conversations. Every change is decided by the policy
 * module under the conversation lock, written to the conversation log where members
 * should see it, and to the audit log when it is moderation.
 */
export function createMembershipService({ db, uow, clock, limits, hook, conversations, joinRequests }: MembershipDeps) {
  const kysely = db.kysely;

  /** The member acted on, as the policy sees them (role null: not a member); for the door's `more`. */
  async function targetOf(trx: Tx, conversationId: string, userId: string): Promise<Pick<PolicyFacts, 'target'>> {
    return { target: { userId, role: (await findMember(trx, conversationId, userId))?.role ?? null } };
  }

  /** The role change as members see it: the role and what it now allows. */
  async function announceRole(trx: Tx, changes: ChangeSet, conversationId: string, actorId: string | null, userId: string, now: number): Promise<number> {
    const conversation = (await findConversation(trx, conversationId))!;
    const member = (await findMember(trx, conversationId, userId))!;
    const event = await appendEvent(trx, changes, { conversationId, type: 'member.role_changed', actorId, data: { userId, role: member.role, rights: sortRights(memberRights(conversation, member, now)) }, now });
    return event.seq;
  }

  async function members(conversationId: string, cursor: string | undefined, limit: number, scope: 'all' | 'staff' = 'all'): Promise<MembersResponse> {
    const conversation = await findConversation(kysely, conversationId);
    if (!conversation) throw new AppError('not_found', 'Conversation not found.');
    const rows = await listMembers(kysely, conversationId, cursor ? decodeCursor(cursor, isIdCursor) : null, limit + 1, scope === 'staff');
    const page = rows.slice(0, limit);
    const now = clock();
    return { members: page.map((row) => toMember(conversation, row, now)), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.user_id) : null, scope, total: conversation.member_count };
  }

  /** Adds users as members (subscribers in channels) on behalf of an actor, or of the platform (actor null: no policy, privacy or blocks). */
  async function add(actorId: string | null, conversationId: string, userIds: readonly string[], role: Role | null): Promise<SeqResponse> {
    const wanted = [...new Set(userIds)];
    if (actorId) {
      // Whether the actor may see the conversation and add at all comes first: the hook's refusal must not tell a non-member it exists.
      await access(kysely, actorId, conversationId, 'members.add', { now: clock() });
      await hook.consult({ action: 'members.add', actorId, conversationId, userIds: wanted });
    }
    return uow(async (trx, changes) => {
      const now = clock();
      let conversation;
      let facts: PolicyFacts | null = null;
      if (actorId) {
        ({ conversation, facts } = await access(trx, actorId, conversationId, 'members.add', { lock: db.dialect, now }));
      } else {
        conversation = await lockConversation(trx, db.dialect, conversationId);
        if (!conversation || conversation.kind === 'direct') throw new AppError('not_found', 'Conversation not found.');
      }
      const present = new Set((await findMembers(trx, conversationId, wanted)).map((row) => row.user_id));
      const fresh = wanted.filter((id) => !present.has(id));
      if (fresh.length === 0) return { seq: 0 };
      if (conversation.member_count + fresh.length > memberLimit(conversation.kind, limits)) {
        throw new AppError('limit_exceeded', `A ${conversation.kind} may have at most ${memberLimit(conversation.kind, limits)} members.`);
      }
      await requireExistingUsers(trx, fresh);
      // Now that it is known who they are: whether they let the actor add them, and bans, which hold whoever adds.
      const banned = await repo.activeBans(trx, conversationId, fresh, now);
      if (actorId) {
        const candidates = (await addCandidates(trx, actorId, fresh)).map((candidate) => ({ ...candidate, banned: banned.has(candidate.userId) }));
        authorize(actorId, 'members.add', { ...facts!, candidates });
      } else {
        authorizePlatformAdd(fresh.map((userId) => ({ userId, banned: banned.has(userId) })));
      }
      const joinAs = role ?? joinRole(conversation.kind);
      if (!ROLES_OF_KIND[conversation.kind].includes(joinAs) || joinAs === 'owner') throw new AppError('validation_failed', `A ${conversation.kind} has no ${joinAs} role to give.`);
      await repo.deleteJoinRequests(trx, conversationId, fresh);
      const seq = await admit(trx, changes, { conversationId, actorId, userIds: fresh, role: joinAs, now, maxPerUser: limits.maxConversationsPerUser });
      if (!actorId) await appendAudit(trx, { conversationId, actorId: null, action: 'members.added', targetType: 'conversation', targetId: conversationId, data: { userIds: fresh, role: joinAs }, now });
      return { seq };
    });
  }

  async function remove(actorId: string | null, conversationId: string, userId: string, reason: string | undefined): Promise<SeqResponse> {
    return uow(async (trx, changes) => {
      const now = clock();
      if (actorId) {
        const { facts } = await access(trx, actorId, conversationId, 'members.remove', { lock: db.dialect, now, more: () => targetOf(trx, conversationId, userId) });
        if (facts.target!.role === null) throw new AppError('not_found', 'Member not found.');
      } else {
        const conversation = await lockConversation(trx, db.dialect, conversationId);
        if (!conversation || !(await findMember(trx, conversationId, userId))) throw new AppError('not_found', 'Member not found.');
      }
      const seq = await part(trx, changes, { conversationId, actorId, userId, reason: 'removed', now });
      await appendAudit(trx, { conversationId, actorId, action: 'member.removed', targetType: 'user', targetId: userId, reason: reason ?? null, now });
      return { seq };
    });
  }

  async function setRole(actorId: string | null, conversationId: string, userId: string, change: { role?: Role; rights?: readonly Right[] | null }): Promise<SeqResponse> {
    return uow(async (trx, changes) => {
      const now = clock();
      // Locked here, for the platform as for a member: the member's row below is read under the lock either way.
      const conversation = await lockConversation(trx, db.dialect, conversationId);
      const member = await findMember(trx, conversationId, userId);
      const role = change.role ?? member?.role ?? 'member';
      if (actorId) {
        // The custom rights they will hold: the new ones, or their current ones when the role stays.
        const kept = member && role === member.role ? parseRights(member.rights) : null;
        const grant = { role, rights: change.rights === undefined ? kept : change.rights };
        await access(trx, actorId, conversationId, 'members.set_role', { now, more: () => ({ target: { userId, role: member?.role ?? null }, grant }) });
      } else {
        if (!conversation || conversation.kind === 'direct') throw new AppError('not_found', 'Conversation not found.');
        if (!member) throw new AppError('not_found', 'Member not found.');
        if (role === 'owner') return { seq: await transferOwnership(trx, changes, conversationId, null, userId, now) };
        if (member.role === 'owner') throw new AppError('conflict', 'Transfer ownership to someone else first.');
        if (!ROLES_OF_KIND[conversation.kind].includes(role)) throw new AppError('validation_failed', `A ${conversation.kind} has no ${role} role to give.`);
      }
      const current = member!;
      // A new role starts from its defaults unless rights are given with it.
      const rights = change.rights === undefined ? (role !== current.role ? null : current.rights) : change.rights === null ? null : JSON.stringify(sortRights(change.rights));
      if (rights !== null && role !== 'admin' && role !== 'moderator') throw new AppError('validation_failed', 'Only admins and moderators hold custom rights.');
      if (role === current.role && rights === current.rights) return { seq: 0 };
      await updateMember(trx, conversationId, userId, { role, rights });
      const seq = await announceRole(trx, changes, conversationId, actorId, userId, now);
      await appendAudit(trx, { conversationId, actorId, action: 'member.role_changed', targetType: 'user', targetId: userId, data: { from: current.role, to: role, rights: rights ? JSON.parse(rights) : null }, now });
      return { seq };
    });
  }

  /** Exactly one owner: the new one takes the seat, the old one becomes an admin. */
  async function transferOwnership(trx: Tx, changes: ChangeSet, conversationId: string, actorId: string | null, userId: string, now: number): Promise<number> {
    const owner = await trx.selectFrom('members').selectAll().where('conversation_id', '=', conversationId).where('role', '=', 'owner').executeTakeFirst();
    if (owner?.user_id === userId) return 0;
    if (owner) {
      await updateMember(trx, conversationId, owner.user_id, { role: 'admin', rights: null });
      await announceRole(trx, changes, conversationId, actorId, owner.user_id, now);
    }
    await updateMember(trx, conversationId, userId, { role: 'owner', rights: null, muted_until: null });
    await announceRole(trx, changes, conversationId, actorId, userId, now);
    await appendAudit(trx, { conversationId, actorId, action: 'ownership.transferred', targetType: 'user', targetId: userId, data: { from: owner?.user_id ?? null }, now });
    return (await findConversation(trx, conversationId))!.last_seq;
  }

  return {
    async listMembers(actor: Actor, conversationId: string, cursor: string | undefined, limit: number): Promise<MembersResponse> {
      const { facts } = await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
      return members(conversationId, cursor, limit, memberListScope(facts));
    },

    /** Adds members (subscribers in channels); those already in are skipped. Seq 0 when nobody was new. */
    addMembers: (actor: Actor, conversationId: string, userIds: readonly string[]) => add(actor.userId, conversationId, userIds, null),

    /** Removes another member, or leaves when the target is the actor. */
    async removeMember(actor: Actor, conversationId: string, userId: string, reason?: string): Promise<SeqResponse> {
      if (userId !== actor.userId) return remove(actor.userId, conversationId, userId, reason);
      return uow(async (trx, changes) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'conversation.leave', { lock: db.dialect, now });
        return { seq: await part(trx, changes, { conversationId, actorId: actor.userId, userId, reason: 'left', now }) };
      });
    },

    /** Bans a member (removing them) or anyone not in yet, until a time or forever: no way back by link, handle or being added. */
    async ban(actor: Actor, conversationId: string, body: BanBody): Promise<SeqResponse> {
      return uow(async (trx, changes) => {
        const now = clock();
        const { facts } = await access(trx, actor.userId, conversationId, 'members.ban', { lock: db.dialect, now, more: () => targetOf(trx, conversationId, body.userId) });
        await requireExistingUsers(trx, [body.userId]);
        await repo.upsertBan(trx, { conversation_id: conversationId, user_id: body.userId, until: until(body.durationSec, now), reason: body.reason ?? null, banned_by: actor.userId, created_at: now });
        await repo.deleteJoinRequest(trx, conversationId, body.userId);
        const seq = facts.target!.role !== null ? await part(trx, changes, { conversationId, actorId: actor.userId, userId: body.userId, reason: 'banned', now }) : 0;
        await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'member.banned', targetType: 'user', targetId: body.userId, reason: body.reason ?? null, data: { until: isoOrNull(until(body.durationSec, now)) }, now });
        return { seq };
      });
    },

    async unban(actor: Actor, conversationId: string, userId: string): Promise<void> {
      await uow(async (trx) => {
        const now = clock();
        // Whoever is banned is not a member: the target is judged as an outsider.
        await access(trx, actor.userId, conversationId, 'members.ban', { lock: db.dialect, now, more: () => ({ target: { userId, role: null } }) });
        if (!(await repo.deleteBan(trx, conversationId, userId))) throw new AppError('not_found', 'This user is not banned here.');
        await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'member.unbanned', targetType: 'user', targetId: userId, now });
      });
    },

    async bans(actor: Actor, conversationId: string): Promise<Ban[]> {
      const now = clock();
      // Seeing the ban list is for those who may ban: asked about nobody in particular.
      await access(kysely, actor.userId, conversationId, 'members.ban', { now, more: () => ({ target: { userId: '', role: null } }) });
      return (await repo.listBans(kysely, conversationId, now)).map((row) => ({
        userId: row.user_id, user: toUser(row), until: isoOrNull(row.until), reason: row.reason, bannedBy: row.banned_by, createdAt: iso(row.created_at),
      }));
    },

    /** Mutes a member until a time (forever: 9999-12-31): their sending rights are gone meanwhile. */
    async mute(actor: Actor, conversationId: string, userId: string, body: MuteBody): Promise<SeqResponse> {
      return setMute(actor, conversationId, userId, until(body.durationSec, clock()) ?? FOREVER, body.reason);
    },

    unmute: (actor: Actor, conversationId: string, userId: string) => setMute(actor, conversationId, userId, null, undefined),

    setRole: (actor: Actor, conversationId: string, userId: string, change: { role?: AssignableRole; rights?: readonly Right[] | null }) => setRole(actor.userId, conversationId, userId, change),

    async transfer(actor: Actor, conversationId: string, userId: string): Promise<SeqResponse> {
      return uow(async (trx, changes) => {
        const now = clock();
        await access(trx, actor.userId, conversationId, 'conversation.transfer', { lock: db.dialect, now, more: () => targetOf(trx, conversationId, userId) });
        return { seq: await transferOwnership(trx, changes, conversationId, actor.userId, userId, now) };
      });
    },

    /** Joins a public group (as member) or channel (as subscriber), or asks to when joining needs approval. */
    join: (actor: Actor, conversationId: string): Promise<JoinResponse> =>
      joinConversation({ db, uow, clock, limits, hook, conversations, ...(joinRequests ? { joinRequests } : {}) }, actor, conversationId, 'handle', async (_trx, conversation) => ({ request: conversation.join_approval === 1, inviteCode: null })),

    /** A deleted account leaves every group and channel; direct conversations stay so the other person keeps the history. */
    async removeUserEverywhere(userId: string): Promise<void> {
      for (const conversationId of await groupIdsOfUser(kysely, userId)) {
        await uow(async (trx, changes) => {
          const conversation = await lockConversation(trx, db.dialect, conversationId);
          if (conversation && (await findMember(trx, conversationId, userId))) await part(trx, changes, { conversationId, actorId: null, userId, reason: 'deleted', now: clock() });
        });
      }
    },

    // --- admin (the platform acts: no policy, privacy settings or blocks) ------------------

    adminMembers: (conversationId: string, cursor: string | undefined, limit: number) => members(conversationId, cursor, limit),
    adminAdd: (conversationId: string, userIds: readonly string[], role: AssignableRole | undefined) => add(null, conversationId, userIds, role ?? null),
    adminRemove: (conversationId: string, userId: string, reason?: string) => remove(null, conversationId, userId, reason),
    adminSetRole: (conversationId: string, userId: string, role: Role, rights: readonly Right[] | null | undefined) => setRole(null, conversationId, userId, { role, ...(rights !== undefined ? { rights } : {}) }),
  };

  async function setMute(actor: Actor, conversationId: string, userId: string, mutedUntil: number | null, reason: string | undefined): Promise<SeqResponse> {
    return uow(async (trx, changes) => {
      const now = clock();
      const { facts } = await access(trx, actor.userId, conversationId, 'members.mute', { lock: db.dialect, now, more: () => targetOf(trx, conversationId, userId) });
      if (facts.target!.role === null) throw new AppError('not_found', 'Member not found.');
      await updateMember(trx, conversationId, userId, { muted_until: mutedUntil });
      const event = await appendEvent(trx, changes, { conversationId, type: 'member.muted', actorId: actor.userId, data: { userId, until: isoOrNull(mutedUntil) }, now });
      await appendAudit(trx, { conversationId, actorId: actor.userId, action: mutedUntil === null ? 'member.unmuted' : 'member.muted', targetType: 'user', targetId: userId, reason: reason ?? null, data: { until: isoOrNull(mutedUntil) }, now });
      return { seq: event.seq };
    });
  }
}


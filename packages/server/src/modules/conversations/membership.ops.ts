import type { Role } from '@parley/protocol';
import type { Tx } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { appendEvent, appendUserEvent, type ChangeSet } from '../logs/index.ts';
import { ALL_RIGHTS } from '../policy/index.ts';
import { adjustMemberCount, deleteMember, findMember, findSuccessor, insertMembers, membershipCountsOver, updateMember } from './conversations.repository.ts';

/**
 * The membership changes every path shares (creating, adding, joining by handle or by
 * invite, approving a request; removing, banning, leaving, deleting an account), as
 * functions on an open transaction that already holds the conversation lock.
 */

/**
 * Members joining with one role at one seq: member rows, one `members.added` event that
 * subscribes them, and `conversation.added` in each of their own logs (ascending id
 * order, the lock order for user rows). A newcomer's read pointer starts at the join:
 * the history before it is there to read, but none of it is unread.
 *
 * Nobody may belong to more than `maxPerUser` conversations: every connect reads all of a
 * user's memberships and subscribes each one, so this is what keeps a connect's cost bounded.
 * Counted after the rows are in, under the user-log locks `conversation.added` took, so two
 * concurrent admissions of one user cannot both slip under the bound.
 */
export async function admit(trx: Tx, changes: ChangeSet, input: { conversationId: string; actorId: string | null; userIds: readonly string[]; role: Role; now: number; maxPerUser: number }): Promise<number> {
  const { conversationId, now } = input;
  const userIds = [...input.userIds].sort();
  // A channel's subscribers stay anonymous to each other (the member list shows them only to staff).
  const quiet = input.role === 'subscriber';
  const added = await appendEvent(trx, changes, {
    conversationId,
    type: 'members.added',
    actorId: quiet && input.actorId !== null && userIds.includes(input.actorId) ? null : input.actorId,
    data: quiet ? { userIds: [], role: input.role, count: userIds.length } : { userIds, role: input.role },
    now,
    subscribe: userIds,
  });
  await insertMembers(trx, userIds.map((userId) => ({
    conversation_id: conversationId, user_id: userId, role: input.role, rights: null, muted_until: null, last_sent_at: null, joined_at: now, joined_seq: added.seq, read_seq: added.seq,
  })));
  changes.countMembers(conversationId, added.seq, await adjustMemberCount(trx, conversationId, userIds.length));
  for (const userId of userIds) {
    await appendUserEvent(trx, changes, { userId, type: 'conversation.added', data: { conversationId, seq: added.seq }, now, membership: { conversationId, seq: added.seq, member: true } });
  }
  const full = await membershipCountsOver(trx, userIds, input.maxPerUser);
  if (full.length > 0) {
    const max = input.maxPerUser;
    const whom = full.length === 1 && full[0] === input.actorId ? 'You are' : 'Someone you added is';
    throw new AppError('limit_exceeded', `${whom} already in ${max} conversations, the most one user may be in.`, { limit: max, userIds: full });
  }
  return added.seq;
}

/** Removes one member: the event reaches them too, then they are unsubscribed. */
export async function part(trx: Tx, changes: ChangeSet, input: { conversationId: string; actorId: string | null; userId: string; reason: 'left' | 'removed' | 'banned' | 'deleted'; now: number }): Promise<number> {
  const { conversationId, userId, now } = input;
  const member = await findMember(trx, conversationId, userId);
  if (member?.role === 'owner') {
    // The seat passes to the longest-standing member, so a group always has its one owner while anyone is in it.
    const heir = await findSuccessor(trx, conversationId, userId);
    if (heir) {
      // As on a transfer, a mute ends with the seat: nobody outranks an owner to lift it.
      await updateMember(trx, conversationId, heir.user_id, { role: 'owner', rights: null, muted_until: null });
      await appendEvent(trx, changes, { conversationId, type: 'member.role_changed', actorId: null, data: { userId: heir.user_id, role: 'owner', rights: [...ALL_RIGHTS] }, now });
    }
  }
  // As on joining, a subscriber leaving a channel is not named to the others.
  const quiet = member?.role === 'subscriber';
  const event = await appendEvent(trx, changes, {
    conversationId,
    type: 'member.removed',
    actorId: quiet && input.actorId === userId ? null : input.actorId,
    data: quiet ? { reason: input.reason } : { userId, reason: input.reason },
    now,
    unsubscribe: [userId],
  });
  await deleteMember(trx, conversationId, userId);
  changes.countMembers(conversationId, event.seq, await adjustMemberCount(trx, conversationId, -1));
  await appendUserEvent(trx, changes, { userId, type: 'conversation.removed', data: { conversationId, seq: event.seq, reason: input.reason }, now, membership: { conversationId, seq: event.seq, member: false } });
  return event.seq;
}

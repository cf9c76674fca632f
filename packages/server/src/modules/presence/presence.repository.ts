import type { PresencePrivacy } from '@parley/protocol';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/index.ts';
import { contactsOf, writtenToBy } from '../privacy/index.ts';

/**
 * Of `ownerIds`, the ones who blocked `viewerId`: they never show that viewer their
 * presence. Reads the `blocks` table (blocker_id, blocked_id) of the governance module;
 * the one place presence learns about blocks.
 */
export async function blockedBy(db: Executor, viewerId: string, ownerIds: readonly string[]): Promise<Set<string>> {
  if (ownerIds.length === 0) return new Set();
  const rows = await db.selectFrom('blocks').select('blocker_id').where('blocked_id', '=', viewerId).where('blocker_id', 'in', ownerIds).execute();
  return new Set(rows.map((row) => row.blocker_id));
}

/** Users a user blocked (for fanning their presence out). */
export async function blockedByUser(db: Executor, ownerId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.selectFrom('blocks').select('blocked_id').where('blocker_id', '=', ownerId).where('blocked_id', 'in', userIds).execute();
  return new Set(rows.map((row) => row.blocked_id));
}

/** Privacy, stored last-seen and status of users. */
export async function presenceRows(db: Executor, userIds: readonly string[]) {
  if (userIds.length === 0) return [];
  return db.selectFrom('users').select(['id', 'status', 'presence_privacy', 'last_seen_at']).where('id', 'in', userIds).execute();
}

/**
 * Of `others`, those who share a group with `userId` in which the `writer` side (`userId`
 * itself, or each of the others) has sent a message. Being in a group is not consent: under
 * add-privacy "everyone" anyone may add anyone to one; writing there is. Channels do not
 * count: subscribers do not know each other. Direct conversations are `contactsOf`'s.
 * The message check is one lookup in `messages_sender_idx` per shared group.
 */
export async function groupmatesAmong(db: Executor, userId: string, others: readonly string[], writer: 'user' | 'others'): Promise<Set<string>> {
  if (others.length === 0) return new Set();
  const rows = await db
    .selectFrom('members as mine')
    .innerJoin('members as theirs', 'theirs.conversation_id', 'mine.conversation_id')
    .innerJoin('conversations as c', 'c.id', 'mine.conversation_id')
    .select('theirs.user_id')
    .distinct()
    .where('mine.user_id', '=', userId)
    .where('theirs.user_id', 'in', others)
    .where('c.kind', '=', 'group')
    .where((eb) => eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').whereRef('m.sender_id', '=', writer === 'user' ? 'mine.user_id' : 'theirs.user_id')))
    .execute();
  return new Set(rows.map((row) => row.user_id));
}

/**
 * Of `ownerIds`, those who count `viewerId` as a contact for presence: they share a group
 * or a direct conversation in which the owner has written (the owner's consent; the viewer
 * opening one, or adding the owner to a group, is not).
 */
export async function contactsAmong(db: Executor, viewerId: string, ownerIds: readonly string[]): Promise<Set<string>> {
  const [groupmates, wroteToViewer] = await Promise.all([groupmatesAmong(db, viewerId, ownerIds, 'others'), contactsOf(db, viewerId, ownerIds)]);
  return new Set([...groupmates, ...wroteToViewer]);
}

/** The same relation seen from the owner: of `viewerIds`, those `ownerId` counts as contacts. */
export async function contactsOfOwner(db: Executor, ownerId: string, viewerIds: readonly string[]): Promise<Set<string>> {
  const [groupmates, writtenTo] = await Promise.all([groupmatesAmong(db, ownerId, viewerIds, 'user'), writtenToBy(db, ownerId, viewerIds)]);
  return new Set([...groupmates, ...writtenTo]);
}

/** The other members of a user's direct conversations, most recently active first. */
export async function directPeers(db: Executor, userId: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').onRef('p.user_id', '!=', 'm.user_id'))
    .select('p.user_id')
    .where('m.user_id', '=', userId)
    .where('c.kind', '=', 'direct')
    .orderBy('c.last_activity_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => row.user_id);
}

/**
 * `directPeers` for several users in one query: each user's direct peers, most recently active
 * first, at most `limit` each (a window over each user's rows, so one with thousands of direct
 * chats costs no more than `limit` rows).
 */
export async function directPeersOfMany(db: Executor, userIds: readonly string[], limit: number): Promise<Map<string, string[]>> {
  const peers = new Map<string, string[]>();
  if (limit <= 0 || userIds.length === 0) return peers;
  const ranked = db
    .selectFrom('members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('members as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').onRef('p.user_id', '!=', 'm.user_id'))
    .select(['m.user_id as owner', 'p.user_id as peer', sql<number>`row_number() over (partition by m.user_id order by c.last_activity_at desc)`.as('rank')])
    .where('m.user_id', 'in', userIds)
    .where('c.kind', '=', 'direct');
  const rows = await db.selectFrom(ranked.as('r')).select(['r.owner', 'r.peer']).where('r.rank', '<=', limit).orderBy('r.owner').orderBy('r.rank').execute();
  for (const { owner, peer } of rows) {
    const list = peers.get(owner);
    if (list) list.push(peer);
    else peers.set(owner, [peer]);
  }
  return peers;
}

/** Of the pairs (owner, one of `userIds`), those where the owner blocked the user: `blockedByUser` for several owners at once. */
export async function blockedByOwners(db: Executor, ownerIds: readonly string[], userIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const blocked = new Map<string, Set<string>>();
  if (ownerIds.length === 0 || userIds.length === 0) return blocked;
  const rows = await db.selectFrom('blocks').select(['blocker_id', 'blocked_id']).where('blocker_id', 'in', ownerIds).where('blocked_id', 'in', userIds).execute();
  for (const { blocker_id, blocked_id } of rows) {
    const set = blocked.get(blocker_id);
    if (set) set.add(blocked_id);
    else blocked.set(blocker_id, new Set([blocked_id]));
  }
  return blocked;
}

export async function findPrivacy(db: Executor, userId: string): Promise<PresencePrivacy | undefined> {
  const row = await db.selectFrom('users').select('presence_privacy').where('id', '=', userId).where('status', '!=', 'deleted').executeTakeFirst();
  return row ? (row.presence_privacy ?? 'everyone') : undefined;
}

export async function updatePrivacy(db: Executor, userId: string, privacy: PresencePrivacy): Promise<boolean> {
  const result = await db.updateTable('users').set({ presence_privacy: privacy }).where('id', '=', userId).where('status', '!=', 'deleted').where('presence_privacy', '!=', privacy).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Stores when each user was last seen, in one statement (at most a few hundred users: two values each). */
export async function storeLastSeen(db: Executor, seen: ReadonlyMap<string, number>): Promise<void> {
  if (seen.size === 0) return;
  // VALUES names its columns column1, column2 on both stores; the time crosses as a parameter of no declared type.
  const rows = sql.join([...seen].map(([userId, at]) => sql`(${userId}, ${at})`));
  await sql`update users set last_seen_at = cast(v.column2 as bigint) from (values ${rows}) as v where users.id = v.column1`.execute(db);
}

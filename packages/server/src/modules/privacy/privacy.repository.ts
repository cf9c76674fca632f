import type { Executor } from '../../platform/db/index.ts';

export async function insertBlock(db: Executor, blockerId: string, blockedId: string, now: number): Promise<boolean> {
  const existing = await db.selectFrom('blocks').select('blocker_id').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).executeTakeFirst();
  if (existing) return false;
  await db.insertInto('blocks').values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now }).execute();
  return true;
}

export async function deleteBlock(db: Executor, blockerId: string, blockedId: string): Promise<boolean> {
  const result = await db.deleteFrom('blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listBlocked(db: Executor, blockerId: string) {
  return db
    .selectFrom('blocks as b')
    .innerJoin('users as u', 'u.id', 'b.blocked_id')
    .select(['u.id', 'u.handle', 'u.display_name', 'u.status', 'u.avatar_id'])
    .where('b.blocker_id', '=', blockerId)
    .orderBy('b.created_at', 'desc')
    .limit(10_000)
    .execute();
}

/** True when either of the two blocked the other. */
export async function blockedEitherWay(db: Executor, a: string, b: string): Promise<boolean> {
  const row = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where((eb) => eb.or([eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]), eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)])]))
    .executeTakeFirst();
  return row !== undefined;
}

/** Of `targets`, who has blocked `actorId`. */
export async function blockersOf(db: Executor, actorId: string, targets: readonly string[]): Promise<Set<string>> {
  if (targets.length === 0) return new Set();
  const rows = await db.selectFrom('blocks').select('blocker_id').where('blocked_id', '=', actorId).where('blocker_id', 'in', targets).execute();
  return new Set(rows.map((row) => row.blocker_id));
}

/**
 * Of `targets`, those who count `actorId` as a contact for their add-privacy setting: they
 * share a direct conversation with the actor AND have sent a message in it themselves.
 * Anyone may open a direct conversation with anyone, so only the target's own part in it
 * is consent. Index lookups only, per target: the conversation by its unique
 * `direct_key`, the target's membership by its key, and for the EXISTS a probe that stops
 * at the first message: (sender_id, conversation_id) of `messages_sender_idx`, or the
 * first two columns of `messages_client_id_uq` (the plans on both dialects use the former).
 */
export async function contactsOf(db: Executor, actorId: string, targets: readonly string[]): Promise<Set<string>> {
  if (targets.length === 0) return new Set();
  const keys = targets.map((target) => [actorId, target].sort().join(' '));
  const rows = await db
    .selectFrom('conversations as c')
    .innerJoin('members as p', 'p.conversation_id', 'c.id')
    .select('p.user_id')
    .where('c.direct_key', 'in', keys)
    .where('p.user_id', 'in', targets)
    .where((eb) => eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').whereRef('m.sender_id', '=', 'p.user_id')))
    .execute();
  return new Set(rows.map((row) => row.user_id));
}

/**
 * The mirror of `contactsOf`: of `others`, those `authorId` has written to, i.e. who share a
 * direct conversation with the author in which the author has sent a message (deleted ones
 * count). For one user's notion of contacts seen from their side (presence fan-out): who
 * they consented to. Same index lookups as `contactsOf`.
 */
export async function writtenToBy(db: Executor, authorId: string, others: readonly string[]): Promise<Set<string>> {
  if (others.length === 0) return new Set();
  const keys = others.map((other) => [authorId, other].sort().join(' '));
  const rows = await db
    .selectFrom('conversations as c')
    .innerJoin('members as p', 'p.conversation_id', 'c.id')
    .select('p.user_id')
    .where('c.direct_key', 'in', keys)
    .where('p.user_id', 'in', others)
    .where('p.user_id', '!=', authorId)
    .where((eb) => eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').where('m.sender_id', '=', authorId)))
    .execute();
  return new Set(rows.map((row) => row.user_id));
}

export async function addPrivacyOf(db: Executor, userIds: readonly string[]) {
  if (userIds.length === 0) return [];
  return db.selectFrom('users').select(['id', 'add_privacy', 'status']).where('id', 'in', userIds).execute();
}

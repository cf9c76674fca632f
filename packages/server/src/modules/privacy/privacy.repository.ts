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
    .select(['u.id', 'u.handle', 'u.display_name', 'u.status'])
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

/** Of `targets`, who shares a direct conversation with `actorId`: their "contacts" for privacy settings. */
export async function directPartners(db: Executor, actorId: string, targets: readonly string[]): Promise<Set<string>> {
  if (targets.length === 0) return new Set();
  const keys = targets.map((target) => [actorId, target].sort().join(' '));
  const rows = await db.selectFrom('conversations').select('direct_key').where('direct_key', 'in', keys).execute();
  const found = new Set(rows.map((row) => row.direct_key));
  return new Set(targets.filter((target) => found.has([actorId, target].sort().join(' '))));
}

export async function addPrivacyOf(db: Executor, userIds: readonly string[]) {
  if (userIds.length === 0) return [];
  return db.selectFrom('users').select(['id', 'add_privacy', 'status']).where('id', 'in', userIds).execute();
}

import type { CallParticipantsTable, CallsTable, Executor } from '../../platform/db/index.ts';

/** The calls' rows; every function takes the database or an open transaction. */

export async function insertCall(db: Executor, call: CallsTable, participants: readonly CallParticipantsTable[]): Promise<void> {
  await db.insertInto('calls').values(call).execute();
  if (participants.length > 0) await db.insertInto('call_participants').values([...participants]).execute();
}

export function findCall(db: Executor, id: string): Promise<CallsTable | undefined> {
  return db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findCallByRoom(db: Executor, room: string): Promise<CallsTable | undefined> {
  return db.selectFrom('calls').selectAll().where('room', '=', room).executeTakeFirst();
}

export function participantsOf(db: Executor, callIds: readonly string[]): Promise<CallParticipantsTable[]> {
  if (callIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('call_participants').selectAll().where('call_id', 'in', [...callIds]).orderBy('call_id').orderBy('joined_at').orderBy('user_id').execute();
}

/** The call going on in a conversation, if any (at most one is, by the service's rule). */
export function activeCallIn(db: Executor, conversationId: string): Promise<CallsTable | undefined> {
  return db.selectFrom('calls').selectAll().where('conversation_id', '=', conversationId).where('state', '!=', 'ended').executeTakeFirst();
}

/** Whether the user is in a call other than `exceptCallId` that is still going on (busy). */
export async function inAnotherCall(db: Executor, userId: string, exceptCallId: string | null): Promise<boolean> {
  let query = db
    .selectFrom('call_participants as p')
    .innerJoin('calls as c', 'c.id', 'p.call_id')
    .select('p.call_id')
    .where('p.user_id', '=', userId)
    .where('p.state', '=', 'joined')
    .where('c.state', '!=', 'ended');
  if (exceptCallId) query = query.where('p.call_id', '!=', exceptCallId);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

export async function updateCall(db: Executor, id: string, patch: Partial<Omit<CallsTable, 'id'>>): Promise<void> {
  await db.updateTable('calls').set(patch).where('id', '=', id).execute();
}

export async function upsertParticipant(db: Executor, row: CallParticipantsTable, exists: boolean): Promise<void> {
  if (exists) {
    const { call_id, user_id, ...patch } = row;
    await db.updateTable('call_participants').set(patch).where('call_id', '=', call_id).where('user_id', '=', user_id).execute();
  } else {
    await db.insertInto('call_participants').values(row).execute();
  }
}

/** Up to `limit` members of a conversation other than `userId`. */
export async function otherMembers(db: Executor, conversationId: string, userId: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('members').select('user_id').where('conversation_id', '=', conversationId).where('user_id', '!=', userId).orderBy('user_id').limit(limit).execute();
  return rows.map((row) => row.user_id);
}

/** Those of `userIds` with a block between them and `userId`, either way: they are not rung. */
export async function blockedWith(db: Executor, userId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('blocks')
    .select(['blocker_id', 'blocked_id'])
    .where((eb) => eb.or([
      eb.and([eb('blocker_id', '=', userId), eb('blocked_id', 'in', [...userIds])]),
      eb.and([eb('blocked_id', '=', userId), eb('blocker_id', 'in', [...userIds])]),
    ]))
    .execute();
  return new Set(rows.map((row) => (row.blocker_id === userId ? row.blocked_id : row.blocker_id)));
}

/** Calls still going on that ring for the user or that they are in. */
export function callsOfUser(db: Executor, userId: string): Promise<CallsTable[]> {
  return db
    .selectFrom('calls as c')
    .innerJoin('call_participants as p', 'p.call_id', 'c.id')
    .selectAll('c')
    .where('p.user_id', '=', userId)
    .where('p.state', 'in', ['invited', 'joined'])
    .where('c.state', '!=', 'ended')
    .orderBy('c.created_at')
    .limit(100)
    .execute();
}

/** Calls still ringing that this device of the caller started. */
export async function ringingFromDevice(db: Executor, userId: string, device: string): Promise<string[]> {
  const rows = await db.selectFrom('calls').select('id').where('caller_id', '=', userId).where('caller_device', '=', device).where('state', '=', 'ringing').execute();
  return rows.map((row) => row.id);
}

/**
 * Marks (or clears) the device's participations as having no socket. Every connect and
 * disconnect asks, so it reads first and writes only when there is something to change:
 * a reconnect storm costs indexed reads, not a write transaction per socket.
 */
export async function markDevice(db: Executor, userId: string, device: string, disconnectedAt: number | null): Promise<void> {
  const pending = await db
    .selectFrom('call_participants')
    .select('call_id')
    .where('user_id', '=', userId)
    .where('state', '=', 'joined')
    .where('device', '=', device)
    .where('disconnected_at', disconnectedAt === null ? 'is not' : 'is', null)
    .limit(1)
    .executeTakeFirst();
  if (!pending) return;
  const query = db.updateTable('call_participants').set({ disconnected_at: disconnectedAt }).where('user_id', '=', userId).where('device', '=', device).where('state', '=', 'joined');
  await (disconnectedAt === null ? query.where('disconnected_at', 'is not', null) : query.where('disconnected_at', 'is', null)).execute();
}

/** Calls in a conversation still going on where the user was rung or is in. */
export async function activeCallsWith(db: Executor, conversationId: string, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('calls as c')
    .innerJoin('call_participants as p', 'p.call_id', 'c.id')
    .select('c.id')
    .where('c.conversation_id', '=', conversationId)
    .where('c.state', '!=', 'ended')
    .where('p.user_id', '=', userId)
    .where('p.state', 'in', ['invited', 'joined'])
    .execute();
  return rows.map((row) => row.id);
}

/** Active direct calls between two users (a block ends them). */
export async function activeCallsBetween(db: Executor, userId: string, otherId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('calls as c')
    .innerJoin('conversations as v', 'v.id', 'c.conversation_id')
    .innerJoin('call_participants as a', (join) => join.onRef('a.call_id', '=', 'c.id').on('a.user_id', '=', userId))
    .innerJoin('call_participants as b', (join) => join.onRef('b.call_id', '=', 'c.id').on('b.user_id', '=', otherId))
    .select('c.id')
    .where('v.kind', '=', 'direct')
    .where('c.state', '!=', 'ended')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Calls with something to settle: a ring that ran out with someone still rung, or a
 * participant whose device has been gone since before `goneBefore`.
 */
export async function dueCalls(db: Executor, now: number, goneBefore: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('calls as c')
    .innerJoin('call_participants as p', 'p.call_id', 'c.id')
    .select('c.id')
    .distinct()
    .where('c.state', '!=', 'ended')
    .where((eb) => eb.or([
      eb.and([eb('c.ring_expires_at', '<=', now), eb('p.state', '=', 'invited')]),
      eb.and([eb('p.state', '=', 'joined'), eb('p.disconnected_at', '<=', goneBefore)]),
    ]))
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** The call and the two participants a signaling frame goes between, in one read. */
export async function signalingPair(db: Executor, callId: string, from: string, to: string): Promise<{ call: CallsTable | undefined; sender: CallParticipantsTable | undefined; target: CallParticipantsTable | undefined }> {
  const [call, participants] = await Promise.all([
    findCall(db, callId),
    db.selectFrom('call_participants').selectAll().where('call_id', '=', callId).where('user_id', 'in', [from, to]).execute(),
  ]);
  return { call, sender: participants.find((p) => p.user_id === from), target: participants.find((p) => p.user_id === to) };
}

import { sql } from 'kysely';
import type { Role } from '@parley/protocol';
import { type Dialect, type Executor, preparedQuery, type PushConversationSettingsTable, type PushDeliveriesTable, type PushOutboxTable, type PushSettingsTable, type Tx } from '../../platform/db/index.ts';

/**
 * A message's outbox row, written only if the message could notify someone: there is
 * another member, and in a direct conversation that member has a device a push can reach
 * now. Most direct messages go to people without the app (or only a browser without Web
 * Push): for those the row, its claim, the worker's recipient query and the delete are all
 * skipped. A group's or channel's row is written whenever there is another member (finding
 * out whether any of thousands has a device costs a scan per message; the worker's recipient
 * pages do that once, after the online grace). A device registered between the send and the
 * grace misses this one message, as it would any message sent before it existed.
 *
 * Compiled once per dialect (the send path); the values are cast where PostgreSQL would
 * otherwise read an untyped parameter of a select list as text.
 */
export const insertOutboxStatement = preparedQuery((db: Executor, id: string, conversationId: string, seq: number, messageId: string, senderId: string, createdAt: number, dueAt: number) =>
  db
    .insertInto('push_outbox')
    .columns(['id', 'conversation_id', 'seq', 'message_id', 'sender_id', 'created_at', 'due_at', 'attempts'])
    .expression(
      db
        .selectNoFrom([
          sql<string>`${id}`.as('id'), sql<string>`${conversationId}`.as('conversation_id'), sql<number>`cast(${seq} as bigint)`.as('seq'),
          sql<string>`${messageId}`.as('message_id'), sql<string>`${senderId}`.as('sender_id'), sql<number>`cast(${createdAt} as bigint)`.as('created_at'),
          sql<number>`cast(${dueAt} as bigint)`.as('due_at'), sql<number>`0`.as('attempts'),
        ])
        .where((w) => w.exists(
          w.selectFrom('members as m')
            .select('m.user_id')
            .where('m.conversation_id', '=', conversationId)
            .where('m.user_id', '!=', senderId)
            .where((o) => o.or([
              o(o.selectFrom('conversations').select('kind').where('id', '=', conversationId), '!=', 'direct'),
              o.exists(o.selectFrom('sessions as s').select('s.id').whereRef('s.user_id', '=', 'm.user_id').where('s.push_token', 'is not', null).where('s.revoked_at', 'is', null).where('s.expires_at', '>', createdAt)),
            ])),
        )),
    ));

/**
 * Claims due rows for this node until `leaseUntil`. On PostgreSQL the rows are locked with
 * SKIP LOCKED, so nodes draining together never claim the same row; SQLite has one writer.
 * A node that dies holding a claim loses it when the lease runs out.
 */
export async function claimOutbox(db: Executor, dialect: Dialect, now: number, leaseUntil: number, node: string, limit: number): Promise<PushOutboxTable[]> {
  let due = db
    .selectFrom('push_outbox')
    .select('id')
    .where('due_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('due_at')
    .limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return db.updateTable('push_outbox').set({ claimed_until: leaseUntil, claimed_by: node }).where('id', 'in', due).returningAll().execute();
}

export async function claimDeliveries(db: Executor, dialect: Dialect, now: number, leaseUntil: number, node: string, limit: number): Promise<PushDeliveriesTable[]> {
  let due = db
    .selectFrom('push_deliveries')
    .select('id')
    .where('state', '=', 'pending')
    .where('due_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('due_at')
    .limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return db.updateTable('push_deliveries').set({ claimed_until: leaseUntil, claimed_by: node }).where('id', 'in', due).returningAll().execute();
}

/** Gives back claims this node will not use (it is stopping): another node, or this one restarted, takes them at once. */
export async function releaseDeliveries(db: Executor, ids: readonly string[], node: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('push_deliveries').set({ claimed_until: null, claimed_by: null }).where('id', 'in', ids).where('claimed_by', '=', node).execute();
}

export async function releaseOutbox(db: Executor, id: string, node: string): Promise<void> {
  await db.updateTable('push_outbox').set({ claimed_until: null, claimed_by: null }).where('id', '=', id).where('claimed_by', '=', node).execute();
}

export async function finishDelivery(db: Executor, id: string, patch: Partial<Pick<PushDeliveriesTable, 'state' | 'attempts' | 'due_at' | 'last_error'>>, now: number): Promise<void> {
  await db.updateTable('push_deliveries').set({ ...patch, claimed_until: null, claimed_by: null, updated_at: now }).where('id', '=', id).execute();
}

/** Accepted by their providers: `attempts` counts this one. */
export async function markSent(db: Executor, ids: readonly string[], now: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .updateTable('push_deliveries')
      .set((eb) => ({ state: 'sent', attempts: eb('attempts', '+', 1), last_error: null, claimed_until: null, claimed_by: null, updated_at: now }))
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
  }
}

export interface Recipient {
  user_id: string;
  role: Role;
}

/**
 * The next page of members (user id order, after `cursor`) who have at least one device
 * that can be reached, minus the sender: a channel of a million with a few thousand
 * devices costs pages of those only. Every message asks it once (most learn here that
 * nobody has a device), so it is compiled once per dialect, with and without a cursor.
 */
export async function recipientPage(dialect: Dialect, db: Executor, conversationId: string, senderId: string, cursor: string | null, limit: number, now: number): Promise<Recipient[]> {
  const query = cursor === null ? firstRecipientsStatement(dialect, db, conversationId, senderId, limit, now) : nextRecipientsStatement(dialect, db, conversationId, senderId, limit, now, cursor);
  return (await db.executeQuery(query)).rows;
}

function recipientsQuery(db: Executor, conversationId: string, senderId: string, limit: number, now: number) {
  return db
    .selectFrom('members as m')
    .select(['m.user_id', 'm.role'])
    .where('m.conversation_id', '=', conversationId)
    .where('m.user_id', '!=', senderId)
    .where((eb) => eb.exists(eb.selectFrom('sessions as s').select('s.id').whereRef('s.user_id', '=', 'm.user_id').where('s.push_token', 'is not', null).where('s.revoked_at', 'is', null).where('s.expires_at', '>', now)))
    .orderBy('m.user_id')
    .limit(limit);
}

const firstRecipientsStatement = preparedQuery(recipientsQuery);
const nextRecipientsStatement = preparedQuery((db: Executor, conversationId: string, senderId: string, limit: number, now: number, cursor: string) =>
  recipientsQuery(db, conversationId, senderId, limit, now).where('m.user_id', '>', cursor));

export interface DeviceRow {
  id: string;
  user_id: string;
  push_platform: string | null;
  push_token: string | null;
  push_keys: string | null;
}

export async function devicesOf(db: Executor, userIds: readonly string[], now: number): Promise<DeviceRow[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'push_platform', 'push_token', 'push_keys'])
    .where('user_id', 'in', userIds)
    .where('push_token', 'is not', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .execute() as Promise<DeviceRow[]>;
}

/** Of these deliveries, the ones whose device still holds the token (not signed out, not moved). */
export async function stillRegistered(db: Executor, deliveries: readonly PushDeliveriesTable[], now: number): Promise<Set<string>> {
  if (deliveries.length === 0) return new Set();
  const rows = await devicesOf(db, [...new Set(deliveries.map((d) => d.user_id))], now);
  const current = new Map(rows.map((row) => [row.id, row.push_token]));
  return new Set(deliveries.filter((d) => current.get(d.session_id) === d.token).map((d) => d.id));
}

export async function settingsOf(db: Executor, userIds: readonly string[]): Promise<Map<string, PushSettingsTable>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.selectFrom('push_settings').selectAll().where('user_id', 'in', userIds).execute();
  return new Map(rows.map((row) => [row.user_id, row]));
}

export async function conversationSettingsOf(db: Executor, conversationId: string, userIds: readonly string[]): Promise<Map<string, PushConversationSettingsTable>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.selectFrom('push_conversation_settings').selectAll().where('conversation_id', '=', conversationId).where('user_id', 'in', userIds).execute();
  return new Map(rows.map((row) => [row.user_id, row]));
}

/** Deliveries of one event; an event already expanded for a device (a redelivered outbox row) adds nothing. */
export async function insertDeliveries(trx: Tx, rows: PushDeliveriesTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await trx.insertInto('push_deliveries').values(rows.slice(i, i + 200)).onConflict((oc) => oc.columns(['event_key', 'session_id']).doNothing()).execute();
  }
}

export async function advanceOutbox(trx: Tx, id: string, cursor: string, leaseUntil: number): Promise<void> {
  await trx.updateTable('push_outbox').set({ cursor, claimed_until: leaseUntil }).where('id', '=', id).execute();
}

export async function deleteOutbox(trx: Executor, id: string): Promise<void> {
  await trx.deleteFrom('push_outbox').where('id', '=', id).execute();
}

export async function deleteOutboxRows(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('push_outbox').where('id', 'in', ids).execute();
}

/** A dead token is forgotten wherever it is registered. */
export async function removeToken(db: Executor, token: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ push_token: null, push_platform: null, push_keys: null, push_updated_at: now }).where('push_token', '=', token).execute();
}

export interface OutboxStats {
  /** Messages not yet expanded plus deliveries waiting to be sent. */
  depth: number;
  /** Age of the oldest of them, ms (0 when there are none). */
  oldestAgeMs: number;
  dead: number;
}

export async function outboxStats(db: Executor, now: number): Promise<OutboxStats> {
  const outbox = await db.selectFrom('push_outbox').select([sql<number>`count(*)`.as('n'), sql<number | null>`min(created_at)`.as('oldest')]).executeTakeFirst();
  const pending = await db.selectFrom('push_deliveries').select([sql<number>`count(*)`.as('n'), sql<number | null>`min(created_at)`.as('oldest')]).where('state', '=', 'pending').executeTakeFirst();
  const dead = await db.selectFrom('push_deliveries').select(sql<number>`count(*)`.as('n')).where('state', '=', 'dead').executeTakeFirst();
  const oldest = [outbox?.oldest, pending?.oldest].filter((value): value is number => value !== null && value !== undefined).map(Number);
  return {
    depth: Number(outbox?.n ?? 0) + Number(pending?.n ?? 0),
    oldestAgeMs: oldest.length > 0 ? Math.max(0, now - Math.min(...oldest)) : 0,
    dead: Number(dead?.n ?? 0),
  };
}

/** Forgets finished deliveries (their dedupe key is no longer needed) in bounded batches; dead ones are kept longer, for inspection. */
export async function prune(db: Executor, finishedBefore: number, deadBefore: number, limit: number): Promise<number> {
  const old = db
    .selectFrom('push_deliveries')
    .select('id')
    .where((eb) => eb.or([eb.and([eb('state', 'in', ['sent', 'gone']), eb('updated_at', '<', finishedBefore)]), eb.and([eb('state', '=', 'dead'), eb('updated_at', '<', deadBefore)])]))
    .limit(limit);
  const result = await db.deleteFrom('push_deliveries').where('id', 'in', old).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}

export async function findSettings(db: Executor, userId: string): Promise<PushSettingsTable | undefined> {
  return db.selectFrom('push_settings').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function upsertSettings(trx: Tx, row: PushSettingsTable): Promise<void> {
  await trx.insertInto('push_settings').values(row).onConflict((oc) => oc.column('user_id').doUpdateSet({ enabled: row.enabled, previews: row.previews, updated_at: row.updated_at })).execute();
}

export async function findConversationSettings(db: Executor, userId: string, conversationId: string): Promise<PushConversationSettingsTable | undefined> {
  return db.selectFrom('push_conversation_settings').selectAll().where('user_id', '=', userId).where('conversation_id', '=', conversationId).executeTakeFirst();
}

export async function upsertConversationSettings(trx: Tx, row: PushConversationSettingsTable): Promise<void> {
  await trx
    .insertInto('push_conversation_settings')
    .values(row)
    .onConflict((oc) => oc.columns(['user_id', 'conversation_id']).doUpdateSet({ mode: row.mode, muted_until: row.muted_until, updated_at: row.updated_at }))
    .execute();
}

import type { PushPlatform } from '@parley/protocol';
import type { Executor, SessionsTable, Tx } from '../../platform/db/index.ts';

/** A user's sessions that still work (not revoked, not expired), most recently used first. */
export async function listActiveSessions(db: Executor, userId: string, now: number): Promise<Array<Pick<SessionsTable, 'id' | 'device_name' | 'created_at' | 'last_used_at' | 'push_platform'>>> {
  return db
    .selectFrom('sessions')
    .select(['id', 'device_name', 'created_at', 'last_used_at', 'push_platform'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('last_used_at', 'desc')
    .orderBy('id')
    .execute();
}

/** One of the user's own sessions; someone else's reads as none. */
export async function findOwnSession(db: Executor, userId: string, sessionId: string): Promise<Pick<SessionsTable, 'id' | 'revoked_at'> | undefined> {
  return db.selectFrom('sessions').select(['id', 'revoked_at']).where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
}

export async function clearPushToken(db: Executor, sessionId: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ push_token: null, push_platform: null, push_keys: null, push_updated_at: now }).where('id', '=', sessionId).execute();
}

/** Gives the token to this session, taking it from any other that held it: a device has one token, a token one device. */
export async function assignPushToken(trx: Tx, sessionId: string, token: string, platform: PushPlatform, now: number, keys: string | null = null): Promise<void> {
  await trx.updateTable('sessions').set({ push_token: null, push_platform: null, push_keys: null, push_updated_at: now }).where('push_token', '=', token).where('id', '!=', sessionId).execute();
  await trx.updateTable('sessions').set({ push_token: token, push_platform: platform, push_keys: keys, push_updated_at: now }).where('id', '=', sessionId).execute();
}

/** Records a use, unless one was recorded within `intervalMs`: a reconnect storm must not become a write storm. */
export async function touchSession(db: Executor, sessionId: string, now: number, intervalMs: number): Promise<void> {
  await db.updateTable('sessions').set({ last_used_at: now }).where('id', '=', sessionId).where('last_used_at', '<', now - intervalMs).execute();
}

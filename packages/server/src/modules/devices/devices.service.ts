import { CloseCodes, type Device, type PushTokenBody } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { iso } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import type { UsersService } from '../users/index.ts';

export interface DevicesDeps {
  db: Database;
  users: UsersService;
  clock: Clock;
}

/** `last_used_at` is written at most this often per session: a reconnect storm must not become a write storm. */
const TOUCH_INTERVAL_MS = 60_000;

export type DevicesService = ReturnType<typeof createDevicesService>;

/**
 * A user's device sessions: list, revoke one (its refresh token stops working, its
 * access tokens are refused, its sockets close with 4201 "do not reconnect"), and each
 * device's push token, kept for push delivery.
 */
export function createDevicesService({ db, users, clock }: DevicesDeps) {
  const kysely = db.kysely;

  function requireSession(actor: Actor): string {
    if (!actor.sessionId) throw new AppError('bad_request', 'This token has no device session (tokens from your identity provider do not).');
    return actor.sessionId;
  }

  return {
    async list(actor: Actor): Promise<Device[]> {
      const now = clock();
      const rows = await kysely
        .selectFrom('sessions')
        .select(['id', 'device_name', 'created_at', 'last_used_at', 'push_platform'])
        .where('user_id', '=', actor.userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('last_used_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        name: row.device_name,
        createdAt: iso(row.created_at),
        lastUsedAt: iso(row.last_used_at),
        current: row.id === actor.sessionId,
        pushPlatform: row.push_platform ?? null,
      }));
    },

    /** Signs a device out: one of your own sessions (the current one too: that is a logout). */
    async revoke(actor: Actor, sessionId: string): Promise<void> {
      const row = await kysely.selectFrom('sessions').select(['id', 'revoked_at']).where('id', '=', sessionId).where('user_id', '=', actor.userId).executeTakeFirst();
      // Someone else's session is not found either: ids reveal nothing.
      if (!row || row.revoked_at !== null) throw new AppError('not_found', 'Device not found.');
      await kysely.updateTable('sessions').set({ push_token: null, push_platform: null, push_updated_at: clock() }).where('id', '=', sessionId).execute();
      await users.endSession(actor.userId, sessionId, CloseCodes.sessionRevoked, 'signed out from another device');
    },

    /** Registers this device's push token; a token another session held moves here (the app was reinstalled or the user switched). */
    async setPushToken(actor: Actor, body: PushTokenBody): Promise<void> {
      const sessionId = requireSession(actor);
      const now = clock();
      await kysely.transaction().execute(async (trx) => {
        await trx.updateTable('sessions').set({ push_token: null, push_platform: null, push_updated_at: now }).where('push_token', '=', body.token).where('id', '!=', sessionId).execute();
        await trx.updateTable('sessions').set({ push_token: body.token, push_platform: body.platform, push_updated_at: now }).where('id', '=', sessionId).execute();
      });
    },

    async clearPushToken(actor: Actor): Promise<void> {
      const sessionId = requireSession(actor);
      await kysely.updateTable('sessions').set({ push_token: null, push_platform: null, push_updated_at: clock() }).where('id', '=', sessionId).execute();
    },

    /** A socket of this session connected: remember when the device was last used. */
    touch(actor: Actor): void {
      if (!actor.sessionId) return;
      const now = clock();
      kysely
        .updateTable('sessions')
        .set({ last_used_at: now })
        .where('id', '=', actor.sessionId)
        .where('last_used_at', '<', now - TOUCH_INTERVAL_MS)
        .execute()
        .catch(() => {
          // A missed "last used" is cosmetic.
        });
    },
  };
}

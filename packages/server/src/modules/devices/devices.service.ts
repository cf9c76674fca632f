import { CloseCodes, type Device, type PushTokenBody } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { iso } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import type { UsersService } from '../users/index.ts';
import * as repo from './devices.repository.ts';

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
      const rows = await repo.listActiveSessions(kysely, actor.userId, clock());
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
      const row = await repo.findOwnSession(kysely, actor.userId, sessionId);
      // Someone else's session is not found either: ids reveal nothing.
      if (!row || row.revoked_at !== null) throw new AppError('not_found', 'Device not found.');
      await repo.clearPushToken(kysely, sessionId, clock());
      await users.endSession(actor.userId, sessionId, CloseCodes.sessionRevoked, 'signed out from another device');
    },

    /** Registers this device's push token; a token another session held moves here (the app was reinstalled or the user switched). */
    async setPushToken(actor: Actor, body: PushTokenBody): Promise<void> {
      const sessionId = requireSession(actor);
      const now = clock();
      await kysely.transaction().execute((trx) => repo.assignPushToken(trx, sessionId, body.token, body.platform, now));
    },

    async clearPushToken(actor: Actor): Promise<void> {
      const sessionId = requireSession(actor);
      await repo.clearPushToken(kysely, sessionId, clock());
    },

    /** A socket of this session connected: remember when the device was last used. */
    touch(actor: Actor): void {
      if (!actor.sessionId) return;
      repo.touchSession(kysely, actor.sessionId, clock(), TOUCH_INTERVAL_MS).catch(() => {
        // A missed "last used" is cosmetic.
      });
    },
  };
}

import { CloseCodes, type Device, type PushTokenBody, type WebPushSubscriptionBody } from '@parley/protocol';
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
  /** Push service hosts (and their subdomains) a Web Push subscription may name; null: Web Push is off. */
  webPushHosts?: readonly string[] | null;
}

/** Plain HTTP only to this machine (a push service stand-in); every real push service speaks HTTPS. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function allowedEndpoint(endpoint: string, hosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase();
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(host))) return false;
  if (url.username || url.password) return false;
  return hosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}

/** `last_used_at` is written at most this often per session: a reconnect storm must not become a write storm. */
const TOUCH_INTERVAL_MS = 60_000;

export type DevicesService = ReturnType<typeof createDevicesService>;

/**
 * A user's device sessions: list, revoke one (its refresh token stops working, its
 * access tokens are refused, its sockets close with 4201 "do not reconnect"), and each
 * device's push token, kept for push delivery.
 */
export function createDevicesService({ db, users, clock, webPushHosts = null }: DevicesDeps) {
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

    /**
     * Signs out every device but the one asking ("sign out of all other devices"); a token
     * from the identity provider names no device, so it signs out all of them. Returns how many.
     */
    revokeOthers(actor: Actor): Promise<number> {
      return users.endOtherSessions(actor.userId, actor.sessionId, CloseCodes.sessionRevoked, 'signed out from another device');
    },

    /** Registers this device's push token; a token another session held moves here (the app was reinstalled or the user switched). */
    async setPushToken(actor: Actor, body: PushTokenBody): Promise<void> {
      const sessionId = requireSession(actor);
      const now = clock();
      await kysely.transaction().execute((trx) => repo.assignPushToken(trx, sessionId, body.token, body.platform, now));
    },

    /**
     * Registers this device's Web Push subscription: the endpoint is its token, the keys
     * what notifications are encrypted for. Only endpoints of known push services are
     * taken, so the server never posts to a host a user picked.
     */
    async setWebPushSubscription(actor: Actor, body: WebPushSubscriptionBody): Promise<void> {
      const sessionId = requireSession(actor);
      if (!webPushHosts) throw new AppError('bad_request', 'Web Push is off on this server.');
      if (!allowedEndpoint(body.endpoint, webPushHosts)) {
        throw new AppError('validation_failed', 'The endpoint is not a push service this server sends to.', [{ path: '/endpoint', message: 'must be an https URL of a known push service' }]);
      }
      const p256dh = Buffer.from(body.keys.p256dh, 'base64url');
      if (p256dh.length !== 65 || p256dh[0] !== 4) throw new AppError('validation_failed', 'keys.p256dh is not an uncompressed P-256 public key.', [{ path: '/keys/p256dh', message: 'must be 65 bytes starting with 0x04' }]);
      if (Buffer.from(body.keys.auth, 'base64url').length !== 16) throw new AppError('validation_failed', 'keys.auth is not 16 bytes.', [{ path: '/keys/auth', message: 'must be 16 bytes' }]);
      const now = clock();
      const keys = JSON.stringify({ p256dh: body.keys.p256dh, auth: body.keys.auth });
      await kysely.transaction().execute((trx) => repo.assignPushToken(trx, sessionId, body.endpoint, 'webpush', now, keys));
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

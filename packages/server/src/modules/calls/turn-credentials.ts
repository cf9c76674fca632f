import { createHmac } from 'node:crypto';
import type { IceServer } from '@parley/protocol';
import type { CallsConfig } from '../../config/index.ts';

/**
 * TURN REST credentials, the scheme coturn implements with `use-auth-secret`
 * (`static-auth-secret=<secret>`): the username is `<expiry unix seconds>:<userId>`, the
 * password base64(HMAC-SHA1(secret, username)). coturn recomputes the password from the
 * username and refuses it once the expiry has passed, so nothing is stored anywhere and a
 * credential leaked from one call stops working on its own.
 */
export function turnCredential(secret: string, userId: string, expiresAtSec: number): { username: string; credential: string } {
  const username = `${expiresAtSec}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE servers one user gets for one call: STUN as configured, TURN with a fresh credential. */
export function iceServersFor(config: Pick<CallsConfig, 'stunUrls' | 'turn'>, userId: string, now: number): { iceServers: IceServer[]; expiresAt: number | null } {
  const iceServers: IceServer[] = [];
  if (config.stunUrls.length > 0) iceServers.push({ urls: [...config.stunUrls] });
  if (!config.turn) return { iceServers, expiresAt: null };
  const expiresAtSec = Math.floor(now / 1000) + config.turn.ttlSec;
  iceServers.push({ urls: [...config.turn.urls], ...turnCredential(config.turn.secret, userId, expiresAtSec) });
  return { iceServers, expiresAt: expiresAtSec * 1000 };
}

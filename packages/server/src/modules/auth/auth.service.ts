import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import { type AuthResponse, type ChangePasswordBody, CloseCodes, type LoginBody, type RegisterBody, type User } from '@parley/protocol';
import { createBatchLoader, type Database } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import { decoyHash, verifyPassword } from '../../platform/passwords.ts';
import type { Clock } from '../../platform/time.ts';
import { appendAudit, type UnitOfWork } from '../logs/index.ts';
import { findUserByHandle, toUser, type UsersService } from '../users/index.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { Actor } from '../../platform/actor.ts';
import type { ExternalVerifier } from './external-tokens.ts';
import { findSession, findSessionsByIds, insertSession, rotateSession } from './sessions.repository.ts';

export interface AuthDeps {
  db: Database;
  uow: UnitOfWork;
  users: UsersService;
  accessTokens: AccessTokens;
  external: ExternalVerifier | null;
  ownIssuer: string;
  refreshTtlSec: number;
  /** Server secret that refresh successors are derived with (the access-token signing key): see `successorOf`. */
  refreshKey: Uint8Array;
  allowRegistration: boolean;
  clock: Clock;
}

/** A rotated refresh token stays good this long, so a client retrying a refresh whose answer was lost is not taken for a thief. */
const REFRESH_REUSE_GRACE_MS = 60_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthDeps) {
  const { db, uow, users, accessTokens, clock } = deps;
  const kysely = db.kysely;
  const loadSession = createBatchLoader((ids) => findSessionsByIds(kysely, ids));

  /**
   * The refresh secret that replaces `secret`: a keyed derivation, so the same token
   * redeemed twice gets the same successor, and nobody without the server key can compute
   * one from a token they saw (the database holds only hashes).
   */
  const successorOf = (sessionId: string, secret: string) => createHmac('sha256', deps.refreshKey).update(`parley refresh successor\0${sessionId}\0${secret}`).digest('base64url');

  /**
   * Starts a device session and returns its first token pair. `byPlatform`: the admin API
   * started it, which is audited like the platform's other actions on users.
   */
  async function openSession(user: User, deviceName: string | undefined, byPlatform = false): Promise<AuthResponse> {
    const now = clock();
    const sessionId = newId(now);
    const secret = newSecret();
    const session = {
      id: sessionId,
      user_id: user.id,
      device_name: deviceName ?? null,
      refresh_hash: sha256(secret),
      prev_refresh_hash: null,
      rotated_at: now,
      created_at: now,
      last_used_at: now,
      expires_at: now + deps.refreshTtlSec * 1000,
      revoked_at: null,
    };
    if (!byPlatform) await insertSession(kysely, session);
    else {
      await uow(async (trx) => {
        await insertSession(trx, session);
        await appendAudit(trx, { conversationId: null, actorId: null, action: 'session.started', targetType: 'user', targetId: user.id, data: { sessionId, deviceName: deviceName ?? null }, now });
      });
    }
    return tokens(user, sessionId, secret, now);
  }

  async function tokens(user: User, sessionId: string, secret: string, now: number): Promise<AuthResponse> {
    return {
      user,
      sessionId,
      accessToken: await accessTokens.sign({ userId: user.id, sessionId }, now),
      expiresIn: accessTokens.ttlSec,
      refreshToken: `${sessionId}.${secret}`,
    };
  }

  /**
   * Throws unless the user is active and the device session (if any) is live. The
   * gateway asks again once a socket is subscribed: a suspension committed between the
   * token check and the subscription would otherwise never reach that socket.
   * `details.reason` tells the socket which close code to use.
   */
  async function requireActive(actor: Actor): Promise<void> {
    // Batched with the other connects of this tick: a storm of reconnects reads users and sessions a few hundred at a time.
    const [user, session] = await Promise.all([users.loadRow(actor.userId), actor.sessionId === null ? null : loadSession(actor.sessionId)]);
    requireActiveRow(user, actor.sessionId === null ? 'none named' : session?.user_id === actor.userId ? session : undefined);
  }

  /** The checks of `requireActive` on rows already read: `session` is the named device session (undefined: not found). */
  function requireActiveRow(user: { status: string } | undefined, session: { revoked_at: number | null } | undefined | 'none named'): void {
    if (!user) throw new AppError('unauthorized', 'Invalid token.');
    if (user.status === 'deleted') throw new AppError('unauthorized', 'This account no longer exists.', { reason: 'account_deleted' });
    if (user.status === 'suspended') throw new AppError('account_suspended');
    if (session === undefined || (session !== 'none named' && session.revoked_at !== null)) {
      throw new AppError('unauthorized', 'This session has been signed out.', { reason: 'session_revoked' });
    }
  }

  return {
    requireActive,

    async register(body: RegisterBody): Promise<AuthResponse> {
      if (!deps.allowRegistration) throw new AppError('forbidden', 'Registration is disabled on this server.');
      const row = await users.createUser({ handle: body.handle, displayName: body.displayName ?? body.handle, password: body.password });
      return openSession(toUser(row), body.deviceName);
    },

    async login(body: LoginBody): Promise<AuthResponse> {
      const row = await findUserByHandle(kysely, body.handle);
      // Always pay for one scrypt, so timing does not reveal whether the handle exists.
      const ok = await verifyPassword(body.password, row?.password_hash ?? (await decoyHash()));
      if (!row || row.status === 'deleted' || !row.password_hash || !ok) throw new AppError('invalid_credentials');
      if (row.status === 'suspended') throw new AppError('account_suspended');
      return openSession(toUser(row), body.deviceName);
    },

    /**
     * Rotates the refresh token (OAuth 2.0 Security BCP rotation with reuse detection).
     * The successor of a secret is derived from it (`successorOf`), so redeeming the
     * previous token again within the grace (a retry whose answer was lost, or two tabs of
     * one browser racing) answers with the same successor, not a new one: a replay cannot
     * fork the session and lock its legitimate holder out. Presenting the previous token
     * after the grace revokes the session: it was stolen or leaked.
     */
    async refresh(refreshToken: string): Promise<AuthResponse> {
      const [sessionId, secret] = refreshToken.split('.', 2);
      if (!sessionId || !secret) throw new AppError('unauthorized', 'Invalid refresh token.');
      const presented = sha256(secret);
      const next = successorOf(sessionId, secret);
      // A rotation that lands between our read and our write moved the session on: read it again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const session = await findSession(kysely, sessionId);
        const now = clock();
        if (!session || session.revoked_at !== null || session.expires_at <= now) throw new AppError('unauthorized', 'Invalid refresh token.');
        const current = sameHash(presented, session.refresh_hash);
        const previous = session.prev_refresh_hash !== null && sameHash(presented, session.prev_refresh_hash);
        // The previous token's successor is still the current one: nothing rotated it since.
        const retry = previous && !current && sameHash(sha256(next), session.refresh_hash);
        if (previous && !current && now - session.rotated_at >= REFRESH_REUSE_GRACE_MS) {
          await users.endSession(session.user_id, session.id, CloseCodes.sessionRevoked, 'refresh token reused: session revoked');
          throw new AppError('unauthorized', 'Invalid refresh token.');
        }
        if (!current && !retry) throw new AppError('unauthorized', 'Invalid refresh token.');
        const user = await users.loadRow(session.user_id);
        if (!user || user.status === 'deleted') throw new AppError('unauthorized', 'Invalid refresh token.');
        if (user.status === 'suspended') throw new AppError('account_suspended');
        // A retry keeps the grace measured from the rotation that replaced its token;
        // otherwise a thief could keep an old token alive by reusing it every minute.
        const rotated = await rotateSession(kysely, session.id, session.refresh_hash, {
          refresh_hash: sha256(next),
          prev_refresh_hash: current ? session.refresh_hash : session.prev_refresh_hash,
          rotated_at: current ? now : session.rotated_at,
          last_used_at: now,
          expires_at: now + deps.refreshTtlSec * 1000,
        });
        if (rotated) return tokens(toUser(user), session.id, next, now);
      }
      throw new AppError('unavailable', 'The session is being refreshed elsewhere; retry.');
    },

    async logout(actor: Actor): Promise<void> {
      if (actor.sessionId) await users.endSession(actor.userId, actor.sessionId, CloseCodes.sessionRevoked, 'signed out');
    },

    /** Changes the signed-in user's password; returns how many other devices it signed out. */
    changePassword(actor: Actor, body: ChangePasswordBody): Promise<number> {
      return users.changeOwnPassword(actor.userId, actor.sessionId, body.currentPassword, body.newPassword, body.signOutOtherDevices ?? false);
    },

    /** A token pair for a user, for the product's backend (admin API) and for load tools. */
    async issueForUser(userId: string, deviceName: string | undefined): Promise<AuthResponse> {
      const user = await users.loadRow(userId);
      if (!user || user.status === 'deleted') throw new AppError('not_found', 'User not found.');
      if (user.status === 'suspended') throw new AppError('account_suspended');
      return openSession(toUser(user), deviceName, true);
    },

    /**
     * Who a bearer token speaks for. Parley's own tokens and the product's tokens are told
     * apart by issuer, then verified with their own keys; the user must be active and a
     * device session, if the token names one, must not be revoked.
     */
    async authenticate(token: string): Promise<Actor> {
      const now = clock();
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw new AppError('unauthorized', 'Invalid token.');
      }
      if (issuer === deps.ownIssuer) {
        const actor = await accessTokens.verify(token, now);
        await requireActive(actor);
        return actor;
      }
      if (deps.external && issuer === deps.external.issuer) {
        const identity = await deps.external.verify(token, now);
        // The projection has just read the user's row: its status is the whole check for a
        // product token (it names no device session), so no second read.
        requireActiveRow(await users.projectIdentity(identity), 'none named');
        return { userId: identity.id, sessionId: null };
      }
      throw new AppError('unauthorized', 'Invalid token.');
    },

  };
}

import { errors, SignJWT } from 'jose';
import { AppError } from '../../platform/errors.ts';
import type { Actor } from '../../platform/actor.ts';
import { createHs256Verifier } from './hs256.ts';

export interface AccessTokenOptions {
  key: Uint8Array;
  issuer: string;
  audience: string;
  ttlSec: number;
}

/** Parley's own short-lived access tokens: HS256, `sub` = user id, `sid` = device session. */
export function createAccessTokens(options: AccessTokenOptions) {
  const verifier = createHs256Verifier(options.key);
  const rules = { issuer: options.issuer, audience: options.audience, clockToleranceSec: 5, requiredClaims: ['sub', 'exp', 'sid'] };
  return {
    ttlSec: options.ttlSec,

    async sign(actor: { userId: string; sessionId: string }, nowMs: number): Promise<string> {
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ sid: actor.sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(actor.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlSec)
        .sign(options.key);
    },

    verify(token: string, nowMs: number): Actor {
      const payload = verifier.verify(token, rules, nowMs);
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new AppError('unauthorized', 'Invalid token.');
      return { userId: payload.sub, sessionId: payload.sid };
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

/** Expired tokens are told apart (the client should refresh); every other failure is just "invalid". */
export function translateJoseError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired) return new AppError('token_expired');
  return new AppError('unauthorized', 'Invalid token.');
}

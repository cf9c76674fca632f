import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { AppError } from '../../platform/errors.ts';

/** What a token must satisfy besides its signature: the options Parley gives jose's `jwtVerify`. */
export interface Hs256Rules {
  issuer: string;
  audience: string;
  clockToleranceSec: number;
  /** Claims that must be present (`iss` and `aud` always are). */
  requiredClaims: readonly string[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(): AppError {
  return new AppError('unauthorized', 'Invalid token.');
}

/** A base64url segment as a JSON object, or null (not base64url, not UTF-8, not JSON, not an object). */
function jsonObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** A NumericDate claim: absent, or a number (anything else makes the token invalid). */
function numericDate(payload: Record<string, unknown>, claim: string): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalid();
  return value;
}

/**
 * Verifies HS256 compact JWTs with node:crypto's HMAC. jose verifies them through WebCrypto:
 * ~65 µs of CPU a token here against ~14, and every WebSocket connect verifies one (a
 * reconnect storm, thousands a second). The checks are the ones `jwtVerify` makes for the
 * options Parley passes it, in the same order, and `hs256.test.ts` holds the two to the same
 * answer on the same tokens. Stricter in two corners: any `crit` header is refused, and the
 * signature must be the canonical base64url encoding of the MAC.
 */
export function createHs256Verifier(secret: Uint8Array) {
  const key: KeyObject = createSecretKey(secret);

  return {
    /** The token's claims; throws `token_expired` for an expired one, `unauthorized` for anything else wrong. */
    verify(token: string, rules: Hs256Rules, nowMs: number): JWTPayload {
      const first = token.indexOf('.');
      const second = token.indexOf('.', first + 1);
      if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) throw invalid();
      const header = jsonObject(token.slice(0, first));
      // No extensions are understood, so none may be critical (RFC 7515 §4.1.11); b64 (RFC 7797) only counts when critical.
      if (!header || header.alg !== 'HS256' || header.crit !== undefined) throw invalid();
      const expected = createHmac('sha256', key).update(token.slice(0, second)).digest('base64url');
      const signature = token.slice(second + 1);
      // Compared as encoded text: one accepted spelling of each MAC, in time independent of where they differ.
      if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) throw invalid();
      const payload = jsonObject(token.slice(first + 1, second));
      if (!payload) throw invalid();
      for (const claim of ['iss', 'aud', ...rules.requiredClaims]) if (!Object.hasOwn(payload, claim)) throw invalid();
      if (payload.iss !== rules.issuer) throw invalid();
      const aud = payload.aud;
      if (!(typeof aud === 'string' ? aud === rules.audience : Array.isArray(aud) && aud.includes(rules.audience))) throw invalid();
      const now = Math.floor(nowMs / 1000);
      numericDate(payload, 'iat');
      const nbf = numericDate(payload, 'nbf');
      if (nbf !== undefined && nbf > now + rules.clockToleranceSec) throw invalid();
      const exp = numericDate(payload, 'exp');
      if (exp !== undefined && exp <= now - rules.clockToleranceSec) throw new AppError('token_expired');
      return payload as JWTPayload;
    },
  };
}

export type Hs256Verifier = ReturnType<typeof createHs256Verifier>;

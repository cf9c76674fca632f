import { Id } from '@parley/protocol';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { Compile } from 'typebox/compile';
import type { ExternalAuthConfig } from '../../config/index.ts';
import { AppError } from '../../platform/errors.ts';
import { translateJoseError } from './access-tokens.ts';
import { createHs256Verifier } from './hs256.ts';

export interface ExternalIdentity {
  id: string;
  displayName: string;
  handle: string | null;
}

const validId = Compile(Id);
/** Claims every product token must carry, whichever way it is checked. */
const REQUIRED_CLAIMS = ['sub', 'exp'];
const validHandle = /^[A-Za-z][A-Za-z0-9_.]{2,31}$/;

/**
 * Verifies tokens minted by the product's own user service: HS256 with a shared secret
 * or RS256/ES256/EdDSA keys from its JWKS. Issuer, audience and expiry are checked with
 * bounded clock skew; the algorithm list is fixed by configuration, so `alg: none` and
 * algorithm confusion are refused.
 */
export function createExternalVerifier(config: ExternalAuthConfig) {
  // A shared secret means HS256 (config.ts), checked with node:crypto (hs256.ts); JWKS keys through jose.
  const hs256 = config.secret ? createHs256Verifier(new TextEncoder().encode(config.secret)) : null;
  const hs256Rules = { issuer: config.issuer, audience: config.audience, clockToleranceSec: config.clockSkewSec, requiredClaims: REQUIRED_CLAIMS };
  const jwks = config.secret ? null : createRemoteJWKSet(new URL(config.jwksUrl!), { timeoutDuration: 5000, cooldownDuration: 30_000 });

  async function verifiedClaims(token: string, nowMs: number): Promise<JWTPayload> {
    if (hs256) return hs256.verify(token, hs256Rules, nowMs);
    try {
      return (await jwtVerify(token, jwks!, options(nowMs))).payload;
    } catch (error) {
      throw translateJoseError(error);
    }
  }

  return {
    issuer: config.issuer,

    async verify(token: string, nowMs: number): Promise<ExternalIdentity> {
      const payload = await verifiedClaims(token, nowMs);
      if (typeof payload.sub !== 'string' || !validId.Check(payload.sub)) {
        throw new AppError('unauthorized', 'The token subject is not a usable user id.');
      }
      const name = payload[config.nameClaim];
      const handle = config.handleClaim ? payload[config.handleClaim] : undefined;
      return {
        id: payload.sub,
        displayName: typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 64) : payload.sub.slice(0, 64),
        handle: typeof handle === 'string' && validHandle.test(handle) ? handle.toLowerCase() : null,
      };
    },
  };

  function options(nowMs: number) {
    return {
      algorithms: config.algorithms,
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockSkewSec,
      currentDate: new Date(nowMs),
      requiredClaims: REQUIRED_CLAIMS,
    };
  }
}

export type ExternalVerifier = ReturnType<typeof createExternalVerifier>;

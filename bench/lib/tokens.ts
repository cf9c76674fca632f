import { createHmac } from 'node:crypto';

/**
 * The bench plays the product's identity provider: Parley is started with
 * AUTH_JWT_SECRET/ISSUER/AUDIENCE and accepts HS256 tokens minted here, so thousands of
 * sessions need no login round trip (users are projected on first sight, or created in
 * bulk beforehand through the admin API).
 */
export const BENCH_IDP = {
  issuer: 'parley-bench-idp',
  audience: 'parley-bench',
  secret: 'bench-only-secret-0123456789abcdefghijklmnop',
} as const;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** `name` matches what the admin API created, so a connect projects no profile change. */
export function mintToken(userId: string, name = benchDisplayName(userId), ttlSec = 6 * 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = base64url(JSON.stringify({ sub: userId, name, iss: BENCH_IDP.issuer, aud: BENCH_IDP.audience, iat: now, exp: now + ttlSec }));
  const signature = createHmac('sha256', BENCH_IDP.secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

/** The display name bench users are created with (bench/lib/setup.ts). */
export const benchDisplayName = (userId: string) => `Bench user ${userId.slice(1)}`;

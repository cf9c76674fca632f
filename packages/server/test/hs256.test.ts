import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { errors, jwtVerify, SignJWT } from 'jose';
import { createHs256Verifier, type Hs256Rules } from '../src/modules/auth/hs256.ts';
import { AppError } from '../src/platform/errors.ts';

const secret = new TextEncoder().encode('a shared secret of the product and Parley, 32+ bytes');
const otherSecret = new TextEncoder().encode('somebody else\'s secret, just as long as the real one');
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const now = Math.floor(NOW / 1000);
const rules: Hs256Rules = { issuer: 'https://id.example', audience: 'parley', clockToleranceSec: 5, requiredClaims: ['sub', 'exp'] };

type Outcome = 'ok' | 'expired' | 'invalid';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const mac = (input: string, key = secret) => createHmac('sha256', key).update(input).digest('base64url');
/** A token put together by hand, for the shapes no signing library would make. */
function handMade(header: unknown, payload: unknown, key = secret): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${mac(input, key)}`;
}
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'u1', iss: rules.issuer, aud: rules.audience, iat: now - 10, exp: now + 600, ...extra });
const signed = (payload: Record<string, unknown>, key = secret) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);

async function joseOutcome(token: string): Promise<Outcome> {
  try {
    await jwtVerify(token, secret, { algorithms: ['HS256'], issuer: rules.issuer, audience: rules.audience, clockTolerance: rules.clockToleranceSec, currentDate: new Date(NOW), requiredClaims: [...rules.requiredClaims] });
    return 'ok';
  } catch (error) {
    return error instanceof errors.JWTExpired ? 'expired' : 'invalid';
  }
}

function ourOutcome(token: string): Outcome {
  try {
    createHs256Verifier(secret).verify(token, rules, NOW);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof AppError, `a refusal is a typed error, not ${String(error)}`);
    if (error.code === 'token_expired') return 'expired';
    assert.equal(error.code, 'unauthorized');
    return 'invalid';
  }
}

/** Parley checks HS256 tokens itself (node:crypto) for speed; jose, the library it replaced there, is the oracle. */
describe('HS256 tokens checked with node:crypto', () => {
  it('answer every token as jose does', async () => {
    const good = await signed(claims());
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const cases: Record<string, string> = {
      'a good token': good,
      'audience in a list': await signed(claims({ aud: ['other', rules.audience] })),
      'expired': await signed(claims({ exp: now - 60 })),
      'expired within the clock tolerance': await signed(claims({ exp: now - 3 })),
      'expired at exactly the tolerance': await signed(claims({ exp: now - 5 })),
      'not valid yet': await signed(claims({ nbf: now + 60 })),
      'not valid yet, within the tolerance': await signed(claims({ nbf: now + 4 })),
      'expired and not valid yet': await signed(claims({ nbf: now + 60, exp: now - 60 })),
      'wrong issuer': await signed(claims({ iss: 'https://evil.example' })),
      'wrong audience': await signed(claims({ aud: 'someone-else' })),
      'audience list without ours': await signed(claims({ aud: ['a', 'b'] })),
      'audience a number': await signed(claims({ aud: 7 })),
      'no issuer': await signed(claims({ iss: undefined })),
      'no audience': await signed(claims({ aud: undefined })),
      'no subject': await signed(claims({ sub: undefined })),
      'no expiry': await signed(claims({ exp: undefined })),
      'expiry a string': await signed(claims({ exp: String(now + 600) })),
      'issued-at a string': await signed(claims({ iat: 'yesterday' })),
      'not-before a string': await signed(claims({ nbf: 'now' })),
      'signed with another secret': await signed(claims(), otherSecret),
      'payload changed after signing': `${header}.${b64(claims({ sub: 'admin' }))}.${signature}`,
      'signature of another token': `${header}.${payload}.${(await signed(claims({ sub: 'u2' }))).split('.')[2]}`,
      'signature cut short': `${header}.${payload}.${signature.slice(0, -2)}`,
      'no signature': `${header}.${payload}.`,
      'alg none': `${b64({ alg: 'none' })}.${payload}.`,
      'alg none with a MAC': handMade({ alg: 'none' }, claims()),
      'alg HS512 with an HS256 MAC': handMade({ alg: 'HS512' }, claims()),
      'alg RS256': handMade({ alg: 'RS256' }, claims()),
      'no alg': handMade({ typ: 'JWT' }, claims()),
      'an unknown critical header': handMade({ alg: 'HS256', crit: ['exp'], exp: 1 }, claims()),
      'b64 false, not critical (ignored)': handMade({ alg: 'HS256', b64: false }, claims()),
      'header not an object': handMade(['HS256'], claims()),
      'header not JSON': handMade('{alg', claims()),
      'payload an array': handMade({ alg: 'HS256' }, [claims()]),
      'payload a string': handMade({ alg: 'HS256' }, '"hello"'),
      'payload not JSON': handMade({ alg: 'HS256' }, '{"sub":'),
      'two segments': `${header}.${payload}`,
      'four segments': `${good}.${signature}`,
      'one segment': header,
      'empty': '',
      'dots only': '..',
    };
    for (const [name, token] of Object.entries(cases)) {
      assert.equal(ourOutcome(token), await joseOutcome(token), name);
    }
    // The corpus reaches every answer, so agreeing is not agreeing on "invalid" alone.
    const outcomes = new Set(Object.values(cases).map(ourOutcome));
    assert.deepEqual([...outcomes].sort(), ['expired', 'invalid', 'ok']);
  });

  it('return the claims of a good token', async () => {
    const payload = createHs256Verifier(secret).verify(await signed(claims({ sid: 's1', name: 'Ada' })), rules, NOW);
    assert.equal(payload.sub, 'u1');
    assert.equal(payload.sid, 's1');
    assert.equal(payload.name, 'Ada');
  });

  it('refuse a signature spelled another way, and any critical extension, where jose may not', async () => {
    const good = await signed(claims());
    const [header, payload, signature] = good.split('.') as [string, string, string];
    // The same MAC in padded base64url, and in plain base64 where it has + or /.
    const spelled = [`${header}.${payload}.${signature}=`, `${header}.${payload}.${Buffer.from(signature, 'base64url').toString('base64')}`];
    for (const token of spelled) assert.equal(ourOutcome(token), 'invalid', token);
    assert.equal(ourOutcome(handMade({ alg: 'HS256', b64: true, crit: ['b64'] }, claims())), 'invalid');
  });
});

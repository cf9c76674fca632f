import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, type JWK, type JWTPayload, SignJWT } from 'jose';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, JWT_SECRET, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const PASSWORD = 'correct horse battery';
const ownKey = new TextEncoder().encode(JWT_SECRET);

/** A fresh, valid handle (the app is shared by the tests of a describe block). */
const newHandle = (prefix = 'u') => `${prefix}${randomBytes(5).toString('hex')}`;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`), which no verifier may accept. */
function unsecuredToken(payload: JWTPayload): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

interface MintOptions {
  sub: string;
  claims?: JWTPayload;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch. */
  iat?: number;
  exp?: number;
  nbf?: number;
  key?: Uint8Array | CryptoKey;
  alg?: string;
  kid?: string;
}

async function mint(options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(options.claims ?? {})
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT', ...(options.kid ? { kid: options.kid } : {}) })
    .setSubject(options.sub)
    .setIssuer(options.issuer ?? 'parley')
    .setAudience(options.audience ?? 'parley')
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(options.exp ?? now + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? ownKey);
}

/** Opens a socket with a token the server should refuse; resolves with the close code. */
async function refusedSocket(wsUrl: string, token: string): Promise<number> {
  const socket = await TestSocket.open(wsUrl, token, { waitReady: false });
  return socket.closed();
}

function assertErrorBody(result: { status: number; body: any }, status: number, code: string): void {
  assert.equal(result.status, status, `expected ${status} ${code}, got ${result.status} ${JSON.stringify(result.body)}`);
  assert.equal(result.body?.error?.code, code, JSON.stringify(result.body));
  assert.equal(typeof result.body.error.message, 'string');
}

async function register(base: string, handle: string, extra: Record<string, unknown> = {}) {
  return http(base, 'POST', '/v1/auth/register', { body: { handle, password: PASSWORD, ...extra } });
}

for (const backend of backends) {
  describe(`built-in accounts (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('registers a user, signs them in on a device session and answers GET /v1/me', async () => {
      const handle = newHandle();
      const registered = expectOk(await register(t.url, handle, { displayName: 'Ada Lovelace', deviceName: 'laptop' }));
      assert.equal(registered.user.handle, handle);
      assert.equal(registered.user.displayName, 'Ada Lovelace');
      assert.equal(typeof registered.accessToken, 'string');
      assert.equal(registered.expiresIn, 15 * 60);
      assert.ok(registered.refreshToken.startsWith(`${registered.sessionId}.`));
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: registered.accessToken }));
      assert.deepEqual(me, { user: registered.user, sessionId: registered.sessionId });
      const stored = expectOk(await http(t.url, 'GET', `/v1/admin/users/${registered.user.id}`, { token: ADMIN_KEY }));
      assert.equal(stored.user.status, 'active');
      assert.equal(stored.user.hasPassword, true);
    });

    it('uses the handle as display name when none is given', async () => {
      const handle = newHandle();
      const registered = expectOk(await register(t.url, handle));
      assert.equal(registered.user.displayName, handle);
    });

    it('stores handles in lower case and treats them case-insensitively', async () => {
      const handle = newHandle('Mixed');
      const registered = expectOk(await register(t.url, handle));
      assert.equal(registered.user.handle, handle.toLowerCase());
      const again = await register(t.url, handle.toLowerCase());
      assertErrorBody(again, 409, 'handle_taken');
      const shouting = await register(t.url, handle.toUpperCase());
      assertErrorBody(shouting, 409, 'handle_taken');
      const login = expectOk(await http(t.url, 'POST', '/v1/auth/login', { body: { handle: handle.toUpperCase(), password: PASSWORD } }));
      assert.equal(login.user.id, registered.user.id);
      const found = expectOk(await http(t.url, 'GET', `/v1/users?handle=${handle.toUpperCase()}`, { token: login.accessToken }));
      assert.equal(found.user.id, registered.user.id);
    });

    it('refuses a handle taken by a user created through the admin API', async () => {
      const taken = await createUser(t.url, newHandle());
      assertErrorBody(await register(t.url, taken.user.handle!), 409, 'handle_taken');
    });

    it('refuses invalid handles with validation_failed naming the field, and creates nobody', async () => {
      for (const handle of ['ab', '1abc', 'has space', 'dash-not-allowed', 'x'.repeat(33), '_under', 'émile']) {
        const result = await register(t.url, handle);
        assertErrorBody(result, 400, 'validation_failed');
        assert.ok(result.body.error.details.some((d: any) => d.path === '/handle'), `${handle}: ${JSON.stringify(result.body)}`);
      }
      const login = await http(t.url, 'POST', '/v1/auth/login', { body: { handle: 'ab', password: PASSWORD } });
      assertErrorBody(login, 401, 'invalid_credentials');
    });

    it('refuses passwords that are too short or too long', async () => {
      for (const password of ['short', '', 'x'.repeat(257)]) {
        const handle = newHandle();
        const result = await http(t.url, 'POST', '/v1/auth/register', { body: { handle, password } });
        assertErrorBody(result, 400, 'validation_failed');
        assert.ok(result.body.error.details.some((d: any) => d.path === '/password'), JSON.stringify(result.body));
        // Nothing was created: the handle is still free.
        expectOk(await register(t.url, handle));
      }
    });

    it('logs in with the right password and starts a new device session each time', async () => {
      const handle = newHandle();
      const registered = expectOk(await register(t.url, handle));
      const first = expectOk(await http(t.url, 'POST', '/v1/auth/login', { body: { handle, password: PASSWORD, deviceName: 'phone' } }));
      const second = expectOk(await http(t.url, 'POST', '/v1/auth/login', { body: { handle, password: PASSWORD } }));
      assert.equal(first.user.id, registered.user.id);
      assert.notEqual(first.sessionId, registered.sessionId);
      assert.notEqual(first.sessionId, second.sessionId);
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: first.accessToken }));
      assert.equal(me.sessionId, first.sessionId);
    });

    it('answers a wrong password and an unknown handle alike with 401 invalid_credentials', async () => {
      const handle = newHandle();
      expectOk(await register(t.url, handle));
      const wrong = await http(t.url, 'POST', '/v1/auth/login', { body: { handle, password: 'not the password' } });
      const unknown = await http(t.url, 'POST', '/v1/auth/login', { body: { handle: newHandle(), password: PASSWORD } });
      assertErrorBody(wrong, 401, 'invalid_credentials');
      assertErrorBody(unknown, 401, 'invalid_credentials');
      assert.deepEqual(wrong.body, unknown.body);
    });

    it('refuses a password login for a user created without a password', async () => {
      const noPassword = await createUser(t.url, newHandle());
      const result = await http(t.url, 'POST', '/v1/auth/login', { body: { handle: noPassword.user.handle, password: PASSWORD } });
      assertErrorBody(result, 401, 'invalid_credentials');
    });

    it('answers GET /v1/me without a token with 401 unauthorized', async () => {
      assertErrorBody(await http(t.url, 'GET', '/v1/me'), 401, 'unauthorized');
    });

    it('authenticates before reading the body: an anonymous malformed request is 401, not 400', async () => {
      assertErrorBody(await http(t.url, 'PATCH', '/v1/me', { body: { nonsense: true } }), 401, 'unauthorized');
      assertErrorBody(await http(t.url, 'PATCH', '/v1/me', { body: '{broken' }), 401, 'unauthorized');
      assertErrorBody(await http(t.url, 'POST', '/v1/auth/logout', { body: '{broken' }), 401, 'unauthorized');
    });

    it('changes the display name with PATCH /v1/me and refuses an empty one', async () => {
      const user = expectOk(await register(t.url, newHandle()));
      const patched = expectOk(await http(t.url, 'PATCH', '/v1/me', { token: user.accessToken, body: { displayName: 'New Name' } }));
      assert.equal(patched.user.displayName, 'New Name');
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: user.accessToken })).user.displayName, 'New Name');
      assertErrorBody(await http(t.url, 'PATCH', '/v1/me', { token: user.accessToken, body: { displayName: '' } }), 400, 'validation_failed');
      assertErrorBody(await http(t.url, 'PATCH', '/v1/me', { token: user.accessToken, body: { handle: 'sneaky' } }), 400, 'validation_failed');
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: user.accessToken })).user.displayName, 'New Name');
    });

    it('logout ends the session: its refresh token and its access token are refused, other sessions keep working', async () => {
      const handle = newHandle();
      const device1 = expectOk(await register(t.url, handle));
      const device2 = expectOk(await http(t.url, 'POST', '/v1/auth/login', { body: { handle, password: PASSWORD } }));
      assert.deepEqual(expectOk(await http(t.url, 'POST', '/v1/auth/logout', { token: device1.accessToken })), {});
      assertErrorBody(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: device1.refreshToken } }), 401, 'unauthorized');
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token: device1.accessToken }), 401, 'unauthorized');
      assertErrorBody(await http(t.url, 'POST', '/v1/auth/logout', { token: device1.accessToken }), 401, 'unauthorized');
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: device2.accessToken })).sessionId, device2.sessionId);
      expectOk(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: device2.refreshToken } }));
    });

    it('logout closes the live sockets of that session only, with session revoked (4201)', async () => {
      const handle = newHandle();
      const device1 = expectOk(await register(t.url, handle));
      const device2 = expectOk(await http(t.url, 'POST', '/v1/auth/login', { body: { handle, password: PASSWORD } }));
      const socket1 = await TestSocket.open(t.wsUrl, device1.accessToken);
      const socket2 = await TestSocket.open(t.wsUrl, device2.accessToken);
      expectOk(await http(t.url, 'POST', '/v1/auth/logout', { token: device1.accessToken }));
      assert.equal(await socket1.closed(), CloseCodes.sessionRevoked);
      assert.deepEqual(await socket2.request('ping'), {});
      assert.equal(socket2.closeCode, null);
      socket2.close();
    });

    it('a socket opened with the access token of a signed-out session is closed as terminal', async () => {
      const device = expectOk(await register(t.url, newHandle()));
      expectOk(await http(t.url, 'POST', '/v1/auth/logout', { token: device.accessToken }));
      const code = await refusedSocket(t.wsUrl, device.accessToken);
      assert.ok(code === CloseCodes.invalidToken || code === CloseCodes.sessionRevoked, `closed with ${code}`);
    });
  });

  describe(`a server with registration disabled (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { ALLOW_REGISTRATION: 'false' } });
    });
    after(() => t.close());

    it('refuses registration with 403 forbidden and still lets admin-created users log in', async () => {
      const handle = newHandle();
      assertErrorBody(await register(t.url, handle), 403, 'forbidden');
      expectOk(await http(t.url, 'POST', '/v1/admin/users', { token: ADMIN_KEY, body: { handle, displayName: 'Made by admin', password: PASSWORD } }));
      const login = expectOk(await http(t.url, 'POST', '/v1/auth/login', { body: { handle, password: PASSWORD } }));
      assert.equal(login.user.displayName, 'Made by admin');
    });
  });

  describe(`refresh tokens (${backend.name})`, () => {
    let t: TestApp;
    let now = Date.now();
    const advance = (ms: number) => {
      now += ms;
    };
    before(async () => {
      t = await startApp(backend, { clock: () => now });
    });
    after(() => t.close());

    const refresh = (refreshToken: string) => http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken } });

    it('rotates: each refresh returns a new refresh token and a working access token for the same session', async () => {
      const first = expectOk(await register(t.url, newHandle()));
      advance(1000);
      const second = expectOk(await refresh(first.refreshToken));
      assert.notEqual(second.refreshToken, first.refreshToken);
      assert.equal(second.sessionId, first.sessionId);
      assert.equal(second.user.id, first.user.id);
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: second.accessToken })).sessionId, first.sessionId);
      advance(1000);
      const third = expectOk(await refresh(second.refreshToken));
      assert.notEqual(third.refreshToken, second.refreshToken);
      // The access token of an earlier pair is still good until it expires: it is not tied to the refresh secret.
      expectOk(await http(t.url, 'GET', '/v1/me', { token: first.accessToken }));
    });

    it('accepts the previous refresh token again within the 60 s grace (a retried refresh whose answer was lost)', async () => {
      const first = expectOk(await register(t.url, newHandle()));
      const second = expectOk(await refresh(first.refreshToken));
      advance(30_000);
      const retried = expectOk(await refresh(first.refreshToken));
      assert.equal(retried.sessionId, first.sessionId);
      expectOk(await http(t.url, 'GET', '/v1/me', { token: retried.accessToken }));
      expectOk(await refresh(retried.refreshToken));
      assert.ok(second.refreshToken);
    });

    it('answers a second redemption inside the grace with the same successor, so a replay cannot lock the legitimate client out', async () => {
      const first = expectOk(await register(t.url, newHandle()));
      const legitimate = expectOk(await refresh(first.refreshToken));
      advance(30_000);
      const replayed = expectOk(await refresh(first.refreshToken));
      assert.equal(replayed.refreshToken, legitimate.refreshToken, 'the replay gets nothing the legitimate client does not hold');
      // The legitimate client's token still works, and rotating it leaves the replayer's copy behind.
      const next = expectOk(await refresh(legitimate.refreshToken));
      advance(61_000);
      assertErrorBody(await refresh(replayed.refreshToken), 401, 'unauthorized');
      // That late reuse revoked the whole session.
      assertErrorBody(await refresh(next.refreshToken), 401, 'unauthorized');
    });

    it('lets two tabs sharing one session refresh with the same token at once: both get the same pair of the session', async () => {
      const first = expectOk(await register(t.url, newHandle()));
      const [a, b] = await Promise.all([refresh(first.refreshToken), refresh(first.refreshToken)]);
      assert.equal(expectOk(a).refreshToken, expectOk(b).refreshToken);
      expectOk(await refresh(expectOk(b).refreshToken));
    });

    it('treats the previous refresh token presented after the grace as stolen: the session is revoked', async () => {
      const first = expectOk(await register(t.url, newHandle()));
      const socket = await TestSocket.open(t.wsUrl, first.accessToken);
      const second = expectOk(await refresh(first.refreshToken));
      advance(61_000);
      assertErrorBody(await refresh(first.refreshToken), 401, 'unauthorized');
      // The legitimate holder's newest token is refused too, and so is the session's access token.
      assertErrorBody(await refresh(second.refreshToken), 401, 'unauthorized');
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token: second.accessToken }), 401, 'unauthorized');
      assert.equal(await socket.closed(), CloseCodes.sessionRevoked);
    });

    it('measures the grace from the rotation, so reusing the old token inside it does not extend it', async () => {
      const first = expectOk(await register(t.url, newHandle()));
      expectOk(await refresh(first.refreshToken));
      advance(50_000);
      const retried = expectOk(await refresh(first.refreshToken));
      advance(20_000);
      // 70 s after the old token was replaced: outside the grace, whatever happened in between.
      assertErrorBody(await refresh(first.refreshToken), 401, 'unauthorized');
      assertErrorBody(await refresh(retried.refreshToken), 401, 'unauthorized');
    });

    it('does not let a wrong secret for a known session revoke it', async () => {
      const user = expectOk(await register(t.url, newHandle()));
      const forged = `${user.sessionId}.${randomBytes(32).toString('base64url')}`;
      assertErrorBody(await refresh(forged), 401, 'unauthorized');
      expectOk(await refresh(user.refreshToken));
    });

    it('refuses an expired refresh token', async () => {
      const user = expectOk(await register(t.url, newHandle()));
      advance(30 * 24 * 3600 * 1000 + 1000);
      assertErrorBody(await refresh(user.refreshToken), 401, 'unauthorized');
    });

    it('gives a refreshed session a full lifetime again (sliding expiry)', async () => {
      const user = expectOk(await register(t.url, newHandle()));
      advance(20 * 24 * 3600 * 1000);
      const renewed = expectOk(await refresh(user.refreshToken));
      advance(20 * 24 * 3600 * 1000);
      expectOk(await refresh(renewed.refreshToken));
    });

    it('refuses garbage refresh tokens with 401 and malformed bodies with 400', async () => {
      for (const garbage of ['garbage', 'a.b', '.', 'x.', '.y', `${'0'.repeat(36)}.${'A'.repeat(43)}`, 'a.b.c.d']) {
        assertErrorBody(await refresh(garbage), 401, 'unauthorized');
      }
      assertErrorBody(await refresh(''), 400, 'validation_failed');
      assertErrorBody(await refresh('x'.repeat(513)), 400, 'validation_failed');
      assertErrorBody(await http(t.url, 'POST', '/v1/auth/refresh', { body: {} }), 400, 'validation_failed');
      assertErrorBody(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: 42 } }), 400, 'validation_failed');
    });

    it('refuses an access token issued by the server once its lifetime is over, with token_expired', async () => {
      const user = expectOk(await register(t.url, newHandle()));
      advance(15 * 60 * 1000 + 10_000);
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token: user.accessToken }), 401, 'token_expired');
      assert.equal(await refusedSocket(t.wsUrl, user.accessToken), CloseCodes.tokenExpired);
      const renewed = expectOk(await refresh(user.refreshToken));
      expectOk(await http(t.url, 'GET', '/v1/me', { token: renewed.accessToken }));
    });
  });

  describe(`access tokens (${backend.name})`, () => {
    let t: TestApp;
    let user: { id: string; token: string; sessionId: string };
    let other: { id: string; sessionId: string };
    before(async () => {
      t = await startApp(backend);
      const a = await createUser(t.url, newHandle());
      const b = await createUser(t.url, newHandle());
      user = { id: a.user.id, token: a.token, sessionId: a.sessionId };
      other = { id: b.user.id, sessionId: b.sessionId };
    });
    after(() => t.close());

    const nowSec = () => Math.floor(Date.now() / 1000);

    /** Every kind of bad token, with the error code and socket close code it must get. */
    async function badTokens(): Promise<Array<{ name: string; token: string; code: string; close: number }>> {
      const wrongKey = new TextEncoder().encode('another-secret-entirely-0123456789-abcdef');
      return [
        { name: 'expired', token: await mint({ sub: user.id, claims: { sid: user.sessionId }, iat: nowSec() - 3600, exp: nowSec() - 60 }), code: 'token_expired', close: CloseCodes.tokenExpired },
        { name: 'signed with another key', token: await mint({ sub: user.id, claims: { sid: user.sessionId }, key: wrongKey }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'from another issuer', token: await mint({ sub: user.id, claims: { sid: user.sessionId }, issuer: 'someone-else' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'for another audience', token: await mint({ sub: user.id, claims: { sid: user.sessionId }, audience: 'another-app' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'unsigned (alg none)', token: unsecuredToken({ sub: user.id, sid: user.sessionId, iss: 'parley', aud: 'parley', iat: nowSec(), exp: nowSec() + 600 }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'signed with HS512', token: await mint({ sub: user.id, claims: { sid: user.sessionId }, alg: 'HS512' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'without a session id', token: await mint({ sub: user.id }), code: 'unauthorized', close: CloseCodes.invalidToken },
        // A session that is not this user's live session is treated as signed out (4201): both codes say "do not reconnect".
        { name: 'naming another user\'s session', token: await mint({ sub: user.id, claims: { sid: other.sessionId } }), code: 'unauthorized', close: CloseCodes.sessionRevoked },
        { name: 'naming a session that does not exist', token: await mint({ sub: user.id, claims: { sid: 'no-such-session' } }), code: 'unauthorized', close: CloseCodes.sessionRevoked },
        { name: 'for a user that does not exist', token: await mint({ sub: 'no-such-user', claims: { sid: user.sessionId } }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'with a tampered payload', token: tamper(user.token, { sub: other.id }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'malformed', token: 'not-a-jwt', code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'three garbage segments', token: 'aaa.bbb.ccc', code: 'unauthorized', close: CloseCodes.invalidToken },
      ];
    }

    function tamper(token: string, patch: Record<string, unknown>): string {
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      return `${header}.${b64({ ...claims, ...patch })}.${signature}`;
    }

    it('accepts a valid access token over HTTP and on the socket', async () => {
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: user.token }));
      assert.equal(me.user.id, user.id);
      const socket = await TestSocket.open(t.wsUrl, user.token);
      assert.equal(socket.ready.userId, user.id);
      assert.equal(socket.ready.sessionId, user.sessionId);
      socket.close();
    });

    it('refuses every bad token over HTTP with 401 (token_expired only for an expired one)', async () => {
      for (const bad of await badTokens()) {
        const result = await http(t.url, 'GET', '/v1/me', { token: bad.token });
        assert.equal(result.status, 401, `${bad.name}: ${result.status} ${JSON.stringify(result.body)}`);
        assert.equal(result.body.error.code, bad.code, bad.name);
      }
    });

    it('closes a socket opened with a bad token: expired 4101, unknown session 4201, anything else invalid 4200', async () => {
      for (const bad of await badTokens()) {
        assert.equal(await refusedSocket(t.wsUrl, bad.token), bad.close, bad.name);
      }
    });

    it('refuses a missing or malformed Authorization header with 401', async () => {
      const headers = ['', 'Bearer', 'Bearer ', `Basic ${user.token}`, `Token ${user.token}`, `Bearer ${user.token} extra`, user.token];
      assertErrorBody(await http(t.url, 'GET', '/v1/me'), 401, 'unauthorized');
      for (const authorization of headers) {
        const result = await http(t.url, 'GET', '/v1/me', { headers: { authorization } });
        assertErrorBody(result, 401, 'unauthorized');
      }
      // The scheme is case-insensitive.
      expectOk(await http(t.url, 'GET', '/v1/me', { headers: { authorization: `bearer ${user.token}` } }));
    });

    it('refuses the admin API key as a user token', async () => {
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token: ADMIN_KEY }), 401, 'unauthorized');
    });

    it('authenticates a socket with an auth frame instead of ?token=', async () => {
      const socket = await TestSocket.open(t.wsUrl);
      socket.send({ t: 'auth', id: 'a1', token: user.token });
      const ready = await socket.next((f) => f.t === 'ready');
      assert.equal(ready.userId, user.id);
      assert.deepEqual(await socket.request('ping'), {});
      socket.close();
    });

    it('closes a socket whose auth frame carries a bad token', async () => {
      const expired = (await badTokens()).find((bad) => bad.name === 'expired')!;
      const socket = await TestSocket.open(t.wsUrl);
      socket.send({ t: 'auth', id: 'a1', token: 'not-a-jwt' });
      assert.equal(await socket.closed(), CloseCodes.invalidToken);
      const second = await TestSocket.open(t.wsUrl);
      second.send({ t: 'auth', id: 'a1', token: expired.token });
      assert.equal(await second.closed(), CloseCodes.tokenExpired);
    });

    it('answers requests on a socket that has not authenticated with unauthorized, without acting', async () => {
      const socket = await TestSocket.open(t.wsUrl);
      await assert.rejects(socket.request('ping'), (error: any) => error.body.code === 'unauthorized');
      socket.close();
    });

    it('closes the socket of a suspended user with 4202 and refuses a new one with 4202', async () => {
      const victim = await createUser(t.url, newHandle());
      const socket = await TestSocket.open(t.wsUrl, victim.token);
      expectOk(await http(t.url, 'POST', `/v1/admin/users/${victim.user.id}/suspend`, { token: ADMIN_KEY }));
      assert.equal(await socket.closed(), CloseCodes.accountSuspended);
      assert.equal(await refusedSocket(t.wsUrl, victim.token), CloseCodes.accountSuspended);
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token: victim.token }), 403, 'account_suspended');
    });
  });

  describe(`external identity with a shared secret (${backend.name})`, () => {
    const ISSUER = 'https://id.example.test/';
    const AUDIENCE = 'parley-chat';
    const SECRET = 'external-shared-secret-0123456789-abcdef';
    const key = new TextEncoder().encode(SECRET);
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, {
        env: {
          AUTH_JWT_ISSUER: ISSUER,
          AUTH_JWT_AUDIENCE: AUDIENCE,
          AUTH_JWT_SECRET: SECRET,
          AUTH_JWT_NAME_CLAIM: 'display_name',
          AUTH_JWT_HANDLE_CLAIM: 'username',
          AUTH_JWT_CLOCK_SKEW_SEC: '30',
        },
      });
    });
    after(() => t.close());

    const external = (sub: string, claims: JWTPayload = {}, options: Partial<MintOptions> = {}) =>
      mint({ sub, claims, issuer: ISSUER, audience: AUDIENCE, key, ...options });
    const nowSec = () => Math.floor(Date.now() / 1000);
    const adminGet = (id: string) => http(t.url, 'GET', `/v1/admin/users/${encodeURIComponent(id)}`, { token: ADMIN_KEY });

    it('projects a user on first sight: id is the subject, display name from the configured claim, no session', async () => {
      const sub = `ext|${randomBytes(4).toString('hex')}`;
      assertErrorBody(await adminGet(sub), 404, 'not_found');
      const token = await external(sub, { display_name: 'Grace Hopper', name: 'ignored claim' });
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token }));
      assert.deepEqual(me, { user: { id: sub, handle: null, displayName: 'Grace Hopper' }, sessionId: null });
      const stored = expectOk(await adminGet(sub)).user;
      assert.equal(stored.status, 'active');
      assert.equal(stored.displayName, 'Grace Hopper');
      assert.equal(stored.hasPassword, false);
    });

    it('keeps the display name in step with later tokens', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: 'Old Name' }) }));
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: 'New Name' }) }));
      assert.equal(me.user.displayName, 'New Name');
      assert.equal(expectOk(await adminGet(sub)).user.displayName, 'New Name');
    });

    it('falls back to the subject as display name when the name claim is missing or blank', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: '   ' }) }));
      assert.equal(me.user.displayName, sub);
    });

    it('takes the handle from the configured claim, lower-cased, and keeps it in step', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const handle = newHandle('Ext');
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: 'H', username: handle }) }));
      assert.equal(me.user.handle, handle.toLowerCase());
      const renamed = newHandle('ext');
      const later = expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: 'H', username: renamed }) }));
      assert.equal(later.user.handle, renamed);
      assert.equal(expectOk(await adminGet(sub)).user.handle, renamed);
    });

    it('drops a handle claim that collides with another user, rather than refusing the token', async () => {
      const builtIn = await createUser(t.url, newHandle());
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: 'Clash', username: builtIn.user.handle }) }));
      assert.equal(me.user.id, sub);
      assert.equal(me.user.handle, null);
      assert.equal(expectOk(await adminGet(builtIn.user.id)).user.handle, builtIn.user.handle);
    });

    it('creates exactly one user when several first requests arrive at once', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const handle = newHandle('race');
      const token = await external(sub, { display_name: 'Racer', username: handle });
      const results = await Promise.all(Array.from({ length: 8 }, () => http(t.url, 'GET', '/v1/me', { token })));
      for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));
      const stored = expectOk(await adminGet(sub)).user;
      assert.equal(stored.handle, handle);
    });

    it('opens a socket with an external token (no device session)', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const socket = await TestSocket.open(t.wsUrl, await external(sub, { display_name: 'Socket' }));
      assert.equal(socket.ready.userId, sub);
      assert.equal(socket.ready.sessionId, null);
      socket.close();
    });

    it('accepts a token expired less than the allowed clock skew ago', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const token = await external(sub, {}, { iat: nowSec() - 600, exp: nowSec() - 10 });
      expectOk(await http(t.url, 'GET', '/v1/me', { token }));
    });

    it('refuses bad external tokens and creates no user for them', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const cases: Array<{ name: string; token: string; code: string; close: number }> = [
        { name: 'expired beyond the skew', token: await external(sub, {}, { iat: nowSec() - 600, exp: nowSec() - 120 }), code: 'token_expired', close: CloseCodes.tokenExpired },
        { name: 'not yet valid beyond the skew', token: await external(sub, {}, { nbf: nowSec() + 300 }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'signed with another secret', token: await external(sub, {}, { key: new TextEncoder().encode('not-the-shared-secret-0123456789-xyz') }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'from another issuer', token: await external(sub, {}, { issuer: 'https://evil.example.test/' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'for another audience', token: await external(sub, {}, { audience: 'someone-else' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'signed with HS384', token: await external(sub, {}, { alg: 'HS384' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'unsigned (alg none)', token: unsecuredToken({ sub, iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'with Parley\'s own key and the external issuer', token: await external(sub, {}, { key: ownKey }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'with an unusable subject', token: await external('has/slash', {}), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'without an expiry', token: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().sign(key), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'without a subject', token: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m').sign(key), code: 'unauthorized', close: CloseCodes.invalidToken },
      ];
      for (const bad of cases) {
        const result = await http(t.url, 'GET', '/v1/me', { token: bad.token });
        assert.equal(result.status, 401, `${bad.name}: ${result.status} ${JSON.stringify(result.body)}`);
        assert.equal(result.body.error.code, bad.code, bad.name);
        assert.equal(await refusedSocket(t.wsUrl, bad.token), bad.close, bad.name);
      }
      assertErrorBody(await adminGet(sub), 404, 'not_found');
    });

    it('does not re-create a user deleted through the admin API while their token is still valid', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const token = await external(sub, { display_name: 'Soon Gone', username: newHandle('gone') });
      expectOk(await http(t.url, 'GET', '/v1/me', { token }));
      const socket = await TestSocket.open(t.wsUrl, token);
      expectOk(await http(t.url, 'DELETE', `/v1/admin/users/${sub}`, { token: ADMIN_KEY }));
      assert.equal(await socket.closed(), CloseCodes.accountDeleted);
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token }), 401, 'unauthorized');
      const fresh = await external(sub, { display_name: 'Back Again' });
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token: fresh }), 401, 'unauthorized');
      const code = await refusedSocket(t.wsUrl, fresh);
      assert.ok(code === CloseCodes.invalidToken || code === CloseCodes.accountDeleted, `closed with ${code}`);
      const stored = expectOk(await adminGet(sub)).user;
      assert.equal(stored.status, 'deleted');
      assert.equal(stored.displayName, 'Deleted account');
      assert.equal(stored.handle, null);
    });

    it('refuses a suspended external user with 403 and does not update their profile', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      expectOk(await http(t.url, 'GET', '/v1/me', { token: await external(sub, { display_name: 'Before' }) }));
      expectOk(await http(t.url, 'POST', `/v1/admin/users/${sub}/suspend`, { token: ADMIN_KEY }));
      const token = await external(sub, { display_name: 'After' });
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token }), 403, 'account_suspended');
      assert.equal(await refusedSocket(t.wsUrl, token), CloseCodes.accountSuspended);
      assert.equal(expectOk(await adminGet(sub)).user.displayName, 'Before');
    });

    it('answers logout with an external token (no device session) without ending anything', async () => {
      const sub = `ext-${randomBytes(4).toString('hex')}`;
      const token = await external(sub, { display_name: 'Stays' });
      assert.deepEqual(expectOk(await http(t.url, 'POST', '/v1/auth/logout', { token })), {});
      expectOk(await http(t.url, 'GET', '/v1/me', { token }));
    });

    it('still accepts Parley\'s own tokens next to external ones', async () => {
      const builtIn = expectOk(await register(t.url, newHandle()));
      expectOk(await http(t.url, 'GET', '/v1/me', { token: builtIn.accessToken }));
    });
  });

  describe(`external identity from a JWKS (${backend.name})`, () => {
    const ISSUER = 'https://login.example.test';
    const AUDIENCE = 'parley-jwks';
    let t: TestApp;
    let jwksServer: Server;
    let rsa: CryptoKeyPair;
    let ec: CryptoKeyPair;
    let ed: CryptoKeyPair;
    let rogue: CryptoKeyPair;
    /** The JWKS's RSA private key, imported for RS384: the same key material with an algorithm the server does not allow. */
    let rsaAs384: CryptoKey;
    let jwks: { keys: JWK[] };

    before(async () => {
      [rsa, ec, ed, rogue] = await Promise.all([generateKeyPair('RS256', { extractable: true }), generateKeyPair('ES256'), generateKeyPair('EdDSA', { crv: 'Ed25519' }), generateKeyPair('RS256')]);
      rsaAs384 = await importPKCS8(await exportPKCS8(rsa.privateKey), 'RS384');
      jwks = {
        keys: [
          { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
          { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
          { ...(await exportJWK(ed.publicKey)), kid: 'ed-1', alg: 'EdDSA', use: 'sig' },
        ],
      };
      jwksServer = createServer((request, response) => {
        if (request.url === '/.well-known/jwks.json') {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
        } else {
          response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
      const { port } = jwksServer.address() as AddressInfo;
      t = await startApp(backend, {
        env: {
          AUTH_JWT_ISSUER: ISSUER,
          AUTH_JWT_AUDIENCE: AUDIENCE,
          AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
          AUTH_JWT_CLOCK_SKEW_SEC: '30',
        },
      });
    });
    after(async () => {
      await t.close();
      await new Promise((resolve) => jwksServer.close(resolve));
    });

    const nowSec = () => Math.floor(Date.now() / 1000);
    const signed = (sub: string, key: CryptoKey, alg: string, kid: string, options: Partial<MintOptions> = {}) =>
      mint({ sub, claims: { name: `User ${sub}` }, issuer: ISSUER, audience: AUDIENCE, key, alg, kid, ...options });

    it('accepts tokens signed with each key of the JWKS (RS256, ES256, EdDSA) and projects the user', async () => {
      for (const [key, alg, kid] of [[rsa.privateKey, 'RS256', 'rsa-1'], [ec.privateKey, 'ES256', 'ec-1'], [ed.privateKey, 'EdDSA', 'ed-1']] as const) {
        const sub = `${kid}-${randomBytes(4).toString('hex')}`;
        const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: await signed(sub, key, alg, kid) }), alg);
        assert.deepEqual(me.user, { id: sub, handle: null, displayName: `User ${sub}` });
        const socket = await TestSocket.open(t.wsUrl, await signed(sub, key, alg, kid));
        assert.equal(socket.ready.userId, sub);
        socket.close();
      }
    });

    it('accepts a token without a key id when the algorithm picks one key', async () => {
      const sub = `nokid-${randomBytes(4).toString('hex')}`;
      const token = await mint({ sub, issuer: ISSUER, audience: AUDIENCE, key: rsa.privateKey, alg: 'RS256' });
      expectOk(await http(t.url, 'GET', '/v1/me', { token }));
    });

    it('accepts a token expired less than the clock skew ago', async () => {
      const sub = `skew-${randomBytes(4).toString('hex')}`;
      const token = await signed(sub, ed.privateKey, 'EdDSA', 'ed-1', { iat: nowSec() - 600, exp: nowSec() - 10 });
      expectOk(await http(t.url, 'GET', '/v1/me', { token }));
    });

    it('refuses tokens signed with other keys, for other parties, expired, unsigned or confusing the algorithm', async () => {
      const sub = `bad-${randomBytes(4).toString('hex')}`;
      const publicPem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
      const publicJwk = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
      const cases: Array<{ name: string; token: string; code: string; close: number }> = [
        { name: 'a key not in the JWKS (unknown kid)', token: await signed(sub, rogue.privateKey, 'RS256', 'rogue'), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'a key not in the JWKS (known kid)', token: await signed(sub, rogue.privateKey, 'RS256', 'rsa-1'), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'a kid of another key type', token: await signed(sub, rsa.privateKey, 'RS256', 'ec-1'), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'another issuer', token: await signed(sub, rsa.privateKey, 'RS256', 'rsa-1', { issuer: 'https://evil.example.test' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'another audience', token: await signed(sub, rsa.privateKey, 'RS256', 'rsa-1', { audience: 'not-parley' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'expired beyond the skew', token: await signed(sub, ec.privateKey, 'ES256', 'ec-1', { iat: nowSec() - 600, exp: nowSec() - 120 }), code: 'token_expired', close: CloseCodes.tokenExpired },
        { name: 'alg none', token: unsecuredToken({ sub, iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'HS256 keyed with the public key (PEM)', token: await mint({ sub, issuer: ISSUER, audience: AUDIENCE, key: publicPem, alg: 'HS256', kid: 'rsa-1' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'HS256 keyed with the public key (JWK)', token: await mint({ sub, issuer: ISSUER, audience: AUDIENCE, key: publicJwk, alg: 'HS256', kid: 'rsa-1' }), code: 'unauthorized', close: CloseCodes.invalidToken },
        { name: 'RS384 with a JWKS key', token: await signed(sub, rsaAs384, 'RS384', 'rsa-1'), code: 'unauthorized', close: CloseCodes.invalidToken },
      ];
      for (const bad of cases) {
        const result = await http(t.url, 'GET', '/v1/me', { token: bad.token });
        assert.equal(result.status, 401, `${bad.name}: ${result.status} ${JSON.stringify(result.body)}`);
        assert.equal(result.body.error.code, bad.code, bad.name);
        assert.equal(await refusedSocket(t.wsUrl, bad.token), bad.close, bad.name);
      }
      assertErrorBody(await http(t.url, 'GET', `/v1/admin/users/${sub}`, { token: ADMIN_KEY }), 404, 'not_found');
    });

    it('does not re-create a deleted user from a still-valid JWKS token', async () => {
      const sub = `del-${randomBytes(4).toString('hex')}`;
      const token = await signed(sub, rsa.privateKey, 'RS256', 'rsa-1');
      expectOk(await http(t.url, 'GET', '/v1/me', { token }));
      expectOk(await http(t.url, 'DELETE', `/v1/admin/users/${sub}`, { token: ADMIN_KEY }));
      assertErrorBody(await http(t.url, 'GET', '/v1/me', { token }), 401, 'unauthorized');
      assert.equal(expectOk(await http(t.url, 'GET', `/v1/admin/users/${sub}`, { token: ADMIN_KEY })).user.status, 'deleted');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { direct } from './support/api.ts';
import { backends } from './support/backends.ts';
import { send } from './support/governance.ts';
import { createUser, expectOk, http, signIn, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const TOKEN_TTL_MS = 300_000;
const GRACE_MS = 30_000;
/** Past the expiry by more than the 5 s of clock skew token checks tolerate. */
const PAST_EXPIRY_MS = 10_000;

for (const backend of backends) {
  describe(`sockets outliving their access token (${backend.name})`, () => {
    let t: TestApp;
    let now = Date.now();
    const advance = (ms: number) => {
      now += ms;
    };
    before(async () => {
      t = await startApp(backend, { clock: () => now, env: { ACCESS_TOKEN_TTL_SEC: String(TOKEN_TTL_MS / 1000), WS_REAUTH_GRACE_MS: String(GRACE_MS) } });
    });
    after(() => t.close());

    const refreshed = async (refreshToken: string) => expectOk(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken } }));

    it('are told to re-authenticate when the token expires, and keep their place in the logs when a fresh token comes within the grace', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const chat = await direct(t, bob, alice);
      const renewed = await TestSocket.open(t.wsUrl, alice.token);
      // A second device of Alice that never renews: its close is the sign that the grace has been enforced.
      const other = await signIn(t.url, alice.user.id);
      const stale = await TestSocket.open(t.wsUrl, other.token);
      try {
        advance(TOKEN_TTL_MS + PAST_EXPIRY_MS);
        const told = await renewed.next((f) => f.t === 'reauth', 10_000);
        assert.equal(told.graceMs, GRACE_MS);
        await stale.next((f) => f.t === 'reauth', 10_000);
        // Requests made while the token is expired wait for the fresh one.
        const ping = renewed.request('ping');
        assert.deepEqual(await renewed.request('auth', { token: (await refreshed(alice.refreshToken)).accessToken }), {});
        assert.deepEqual(await ping, {});
        advance(GRACE_MS + 1000);
        assert.equal(await stale.closed(10_000), CloseCodes.tokenExpired);
        // Still open and still subscribed: a message arrives live, on the same socket.
        // Bob's own token is as old as Alice's: he signs in again to write.
        const message = await send(t, await signIn(t.url, bob.user.id), chat.id, 'still here?');
        const live = await renewed.next((f) => f.t === 'event' && f.event.seq === message.seq);
        assert.equal(live.event.data.message.text, 'still here?');
        assert.equal(renewed.frames.filter((f) => f.t === 'ready').length, 1, 'no second ready: the socket never re-attached');
        assert.equal(renewed.closeCode, null);
      } finally {
        renewed.close();
        stale.close();
      }
    });

    it('close with 4101 when no good token comes within the grace; another user\'s token is refused and changes nothing', async () => {
      const [alice, mallory] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        advance(TOKEN_TTL_MS + PAST_EXPIRY_MS);
        await socket.next((f) => f.t === 'reauth', 10_000);
        const fresh = await refreshed(mallory.refreshToken);
        await assert.rejects(socket.request('auth', { token: fresh.accessToken }), (error: any) => error.body.code === 'forbidden');
        // The expired token itself is no renewal either.
        await assert.rejects(socket.request('auth', { token: alice.token }), (error: any) => error.body.code === 'token_expired');
        advance(GRACE_MS + 1000);
        assert.equal(await socket.closed(10_000), CloseCodes.tokenExpired);
      } finally {
        socket.close();
      }
    });

    it('take a fresh token before the old one expires, which moves the expiry', async () => {
      const alice = await createUser(t.url);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      const stale = await TestSocket.open(t.wsUrl, alice.token);
      try {
        advance(TOKEN_TTL_MS / 2);
        assert.deepEqual(await socket.request('auth', { token: (await refreshed(alice.refreshToken)).accessToken }), {});
        advance(TOKEN_TTL_MS / 2 + PAST_EXPIRY_MS);
        // The first token expired: the socket that kept it is told, the renewed one is not.
        await stale.next((f) => f.t === 'reauth', 10_000);
        advance(GRACE_MS + 1000);
        assert.equal(await stale.closed(10_000), CloseCodes.tokenExpired);
        // Frames on one socket arrive in order: a reauth sent in those checks would precede this answer.
        assert.deepEqual(await socket.request('ping'), {});
        assert.equal(socket.frames.filter((f) => f.t === 'reauth').length, 0);
      } finally {
        socket.close();
        stale.close();
      }
    });
  });
}

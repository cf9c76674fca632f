import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { call, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, http, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

async function device(t: TestApp, userId: string, deviceName: string): Promise<TestUser> {
  const issued = await http(t.url, 'POST', `/v1/admin/users/${userId}/tokens`, { token: ADMIN_KEY, body: { deviceName } });
  assert.equal(issued.status, 200);
  return { user: issued.body.user, token: issued.body.accessToken, refreshToken: issued.body.refreshToken, sessionId: issued.body.sessionId };
}

for (const backend of backends) {
  describe(`devices (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('lists your device sessions with the current one marked, and signs one out: its sockets close with 4201 and its tokens stop working', async () => {
      const someone = await createUser(t.url);
      const phone = await device(t, someone.user.id, 'Phone');
      const laptop = await device(t, someone.user.id, 'Laptop');
      const { devices } = await ok(t, phone, 'GET', '/v1/me/devices');
      const byId = new Map(devices.map((d: any) => [d.id, d]));
      assert.equal(devices.length, 3);
      assert.deepEqual({ ...(byId.get(phone.sessionId) as object), createdAt: undefined, lastUsedAt: undefined }, { id: phone.sessionId, name: 'Phone', current: true, pushPlatform: null, createdAt: undefined, lastUsedAt: undefined });
      assert.equal((byId.get(laptop.sessionId) as any).current, false);

      const laptopSocket = await TestSocket.open(t.wsUrl, laptop.token);
      const phoneSocket = await TestSocket.open(t.wsUrl, phone.token);
      assert.deepEqual(await ok(t, phone, 'DELETE', `/v1/me/devices/${laptop.sessionId}`), {});
      assert.equal(await laptopSocket.closed(), CloseCodes.sessionRevoked);
      assert.equal(phoneSocket.closeCode, null, 'the other devices stay connected');
      const refresh = await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: laptop.refreshToken } });
      assert.equal(refresh.status, 401);
      assert.equal((await call(t, laptop, 'GET', '/v1/me')).status, 401);
      assert.deepEqual((await ok(t, phone, 'GET', '/v1/me/devices')).devices.map((d: any) => d.id).sort(), [phone.sessionId, someone.sessionId].sort());
      // Revoked, unknown, or someone else's: the same 404.
      assert.equal((await call(t, phone, 'DELETE', `/v1/me/devices/${laptop.sessionId}`)).status, 404);
      const other = await createUser(t.url);
      assert.equal((await call(t, phone, 'DELETE', `/v1/me/devices/${other.sessionId}`)).status, 404);
      assert.equal((await ok(t, other, 'GET', '/v1/me')).user.id, other.user.id, 'the other user is unaffected');
      phoneSocket.close();
    });

    it('signs out every other device at once: their sockets close with 4201 and their tokens stop working, this one stays', async () => {
      const someone = await createUser(t.url);
      const phone = await device(t, someone.user.id, 'Phone');
      const laptop = await device(t, someone.user.id, 'Laptop');
      const other = await createUser(t.url);
      const phoneSocket = await TestSocket.open(t.wsUrl, phone.token);
      const laptopSocket = await TestSocket.open(t.wsUrl, laptop.token);
      const mySocket = await TestSocket.open(t.wsUrl, someone.token);
      assert.deepEqual(await ok(t, someone, 'POST', '/v1/me/devices/revoke-others'), { signedOut: 2 });
      assert.equal(await phoneSocket.closed(), CloseCodes.sessionRevoked);
      assert.equal(await laptopSocket.closed(), CloseCodes.sessionRevoked);
      assert.equal(mySocket.closeCode, null, 'the asking device stays connected');
      for (const gone of [phone, laptop]) {
        assert.equal((await call(t, gone, 'GET', '/v1/me')).status, 401);
        assert.equal((await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: gone.refreshToken } })).status, 401);
      }
      assert.deepEqual((await ok(t, someone, 'GET', '/v1/me/devices')).devices.map((d: any) => d.id), [someone.sessionId]);
      assert.deepEqual(await ok(t, someone, 'POST', '/v1/me/devices/revoke-others'), { signedOut: 0 }, 'nothing left to sign out');
      assert.equal((await ok(t, other, 'GET', '/v1/me')).user.id, other.user.id, 'another user is unaffected');
      mySocket.close();
    });

    it('changes your password only with the current one, and can sign out the other devices with it', async () => {
      const handle = `pw${process.pid}x${Date.now() % 100000}`;
      const registered = await http(t.url, 'POST', '/v1/auth/register', { body: { handle, password: 'first password 1', deviceName: 'Laptop' } });
      assert.equal(registered.status, 200);
      const laptop: TestUser = { user: registered.body.user, token: registered.body.accessToken, refreshToken: registered.body.refreshToken, sessionId: registered.body.sessionId };
      const phone = await device(t, laptop.user.id, 'Phone');
      const login = (password: string) => http(t.url, 'POST', '/v1/auth/login', { body: { handle, password } });

      // A wrong current password, or a new one the schema refuses: a typed 4xx, and nothing changes.
      const wrong = await call(t, laptop, 'POST', '/v1/me/password', { currentPassword: 'not it', newPassword: 'second password 2' });
      assert.deepEqual([wrong.status, wrong.body.error.code], [403, 'forbidden']);
      const short = await call(t, laptop, 'POST', '/v1/me/password', { currentPassword: 'first password 1', newPassword: 'x' });
      assert.deepEqual([short.status, short.body.error.code], [400, 'validation_failed']);
      assert.equal((await login('first password 1')).status, 200);

      assert.deepEqual(await ok(t, laptop, 'POST', '/v1/me/password', { currentPassword: 'first password 1', newPassword: 'second password 2' }), { signedOut: 0 });
      assert.equal((await login('first password 1')).status, 401);
      assert.equal((await login('second password 2')).status, 200);
      assert.equal((await call(t, phone, 'GET', '/v1/me')).status, 200, 'without the option the other devices stay signed in');

      const phoneSocket = await TestSocket.open(t.wsUrl, phone.token);
      const changed = await ok(t, laptop, 'POST', '/v1/me/password', { currentPassword: 'second password 2', newPassword: 'third password 3', signOutOtherDevices: true });
      assert.equal(changed.signedOut, 3, 'the phone and the two sign-ins above');
      assert.equal(await phoneSocket.closed(), CloseCodes.sessionRevoked);
      assert.equal((await call(t, laptop, 'GET', '/v1/me')).status, 200, 'the device that changed it stays signed in');
      assert.equal((await login('third password 3')).status, 200);

      // An account of the identity provider has no password here to change.
      const provided = await createUser(t.url);
      const none = await call(t, provided, 'POST', '/v1/me/password', { currentPassword: 'anything', newPassword: 'second password 2' });
      assert.deepEqual([none.status, none.body.error.code], [400, 'bad_request']);
    });

    it('registers a push token per device, moves a token that another device held, and forgets it on request or revocation', async () => {
      const someone = await createUser(t.url);
      const phone = await device(t, someone.user.id, 'Phone');
      const tablet = await device(t, someone.user.id, 'Tablet');
      const platformOf = async (who: TestUser, sessionId: string) => (await ok(t, who, 'GET', '/v1/me/devices')).devices.find((d: any) => d.id === sessionId)?.pushPlatform;
      assert.deepEqual(await ok(t, phone, 'PUT', '/v1/me/devices/current/push-token', { platform: 'fcm', token: 'token-a' }), {});
      assert.equal(await platformOf(phone, phone.sessionId), 'fcm');
      const devices = await ok(t, phone, 'GET', '/v1/me/devices');
      assert.equal(JSON.stringify(devices).includes('token-a'), false, 'the token itself is never sent back');
      // The app was restored on the tablet with the same token: it belongs to the tablet now.
      await ok(t, tablet, 'PUT', '/v1/me/devices/current/push-token', { platform: 'apns', token: 'token-a' });
      assert.equal(await platformOf(phone, phone.sessionId), null);
      assert.equal(await platformOf(phone, tablet.sessionId), 'apns');
      await ok(t, tablet, 'DELETE', '/v1/me/devices/current/push-token');
      assert.equal(await platformOf(phone, tablet.sessionId), null);
      const bad = await call(t, phone, 'PUT', '/v1/me/devices/current/push-token', { platform: 'pager', token: 'x' });
      assert.equal(bad.status, 400);
      await ok(t, phone, 'PUT', '/v1/me/devices/current/push-token', { platform: 'webpush', token: 'token-b' });
      await ok(t, tablet, 'DELETE', `/v1/me/devices/${phone.sessionId}`);
      const row = await t.app.db.kysely.selectFrom('sessions').select(['push_token', 'revoked_at']).where('id', '=', phone.sessionId).executeTakeFirstOrThrow();
      assert.deepEqual({ token: row.push_token, revoked: row.revoked_at !== null }, { token: null, revoked: true });
    });
  });
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const PASSWORD = 'a perfectly fine password';
const newHandle = (prefix = 'a') => `${prefix}${randomBytes(5).toString('hex')}`;
const newId = (prefix = 'crm') => `${prefix}:${randomBytes(5).toString('hex')}`;

function assertError(result: { status: number; body: any }, status: number, code: string, what = ''): void {
  assert.equal(result.status, status, `${what} expected ${status} ${code}, got ${result.status} ${JSON.stringify(result.body)}`);
  assert.equal(result.body?.error?.code, code, `${what} ${JSON.stringify(result.body)}`);
}

/** Polls until `check` passes or the deadline is over (the last failure is rethrown). */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Every admin route with a body it would accept, so a refusal can only be about the key. */
function adminRoutes(userId: string): Array<{ method: string; path: string; body?: unknown }> {
  return [
    { method: 'POST', path: '/v1/admin/users', body: { handle: newHandle(), displayName: 'Nobody' } },
    { method: 'GET', path: '/v1/admin/users' },
    { method: 'POST', path: '/v1/admin/users/bulk', body: { suspend: [userId] } },
    { method: 'GET', path: `/v1/admin/users/${userId}` },
    { method: 'PATCH', path: `/v1/admin/users/${userId}`, body: { displayName: 'Changed without a key' } },
    { method: 'POST', path: `/v1/admin/users/${userId}/suspend` },
    { method: 'POST', path: `/v1/admin/users/${userId}/unsuspend` },
    { method: 'DELETE', path: `/v1/admin/users/${userId}` },
    { method: 'POST', path: `/v1/admin/users/${userId}/tokens`, body: {} },
  ];
}

for (const backend of backends) {
  describe(`the admin API key (${backend.name})`, () => {
    let t: TestApp;
    let user: TestUser;
    before(async () => {
      t = await startApp(backend);
      user = await createUser(t.url, newHandle());
    });
    after(() => t.close());

    it('refuses every admin route without the key, with a wrong key or with a user token, and changes nothing', async () => {
      const wrong = [undefined, 'wrong-key-0123456789', `${ADMIN_KEY}x`, ADMIN_KEY.slice(0, -1), ADMIN_KEY.toUpperCase(), user.token];
      for (const route of adminRoutes(user.user.id)) {
        for (const token of wrong) {
          const result = await http(t.url, route.method, route.path, { ...(token ? { token } : {}), ...(route.body !== undefined ? { body: route.body } : {}) });
          assertError(result, 401, 'unauthorized', `${route.method} ${route.path} with ${token === undefined ? 'no key' : 'a wrong key'}`);
        }
      }
      const stored = expectOk(await http(t.url, 'GET', `/v1/admin/users/${user.user.id}`, { token: ADMIN_KEY })).user;
      assert.equal(stored.status, 'active');
      assert.equal(stored.displayName, user.user.displayName);
      expectOk(await http(t.url, 'GET', '/v1/me', { token: user.token }));
    });

    it('refuses the key in another scheme or as a query parameter', async () => {
      assertError(await http(t.url, 'GET', '/v1/admin/users', { headers: { authorization: `Basic ${ADMIN_KEY}` } }), 401, 'unauthorized');
      assertError(await http(t.url, 'GET', `/v1/admin/users?key=${ADMIN_KEY}`), 401, 'unauthorized');
      assertError(await http(t.url, 'GET', '/v1/admin/users', { headers: { 'x-api-key': ADMIN_KEY } }), 401, 'unauthorized');
    });

    it('checks the key before reading the body: a bad body without the key is 401, not 400', async () => {
      assertError(await http(t.url, 'POST', '/v1/admin/users', { body: { nonsense: true } }), 401, 'unauthorized');
      assertError(await http(t.url, 'POST', '/v1/admin/users/bulk', { body: '{not json' }), 401, 'unauthorized');
      assertError(await http(t.url, 'POST', '/v1/admin/users', { token: ADMIN_KEY, body: { nonsense: true } }), 400, 'validation_failed');
    });
  });

  describe(`a server without ADMIN_API_KEY (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { ADMIN_API_KEY: '' } });
    });
    after(() => t.close());

    it('answers every admin route with 401, whatever key is presented', async () => {
      for (const route of adminRoutes('someone')) {
        for (const token of [undefined, ADMIN_KEY, 'null', 'undefined', '""']) {
          const result = await http(t.url, route.method, route.path, { ...(token ? { token } : {}), ...(route.body !== undefined ? { body: route.body } : {}) });
          assertError(result, 401, 'unauthorized', `${route.method} ${route.path}`);
        }
      }
      for (const authorization of ['Bearer', 'Bearer ', '']) {
        assertError(await http(t.url, 'GET', '/v1/admin/users', { headers: { authorization } }), 401, 'unauthorized');
      }
    });
  });

  describe(`admin user management (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    const admin = (method: string, path: string, body?: unknown) => http(t.url, method, path, { token: ADMIN_KEY, ...(body !== undefined ? { body } : {}) });
    const get = async (id: string) => expectOk(await admin('GET', `/v1/admin/users/${id}`)).user;
    const login = (handle: string, password: string) => http(t.url, 'POST', '/v1/auth/login', { body: { handle, password } });

    it('creates a user with the product\'s own id and returns it from GET', async () => {
      const id = newId('crm|user');
      const handle = newHandle('Product');
      const created = expectOk(await admin('POST', '/v1/admin/users', { id, handle, displayName: 'Product User' })).user;
      assert.equal(created.id, id);
      assert.equal(created.handle, handle.toLowerCase());
      assert.equal(created.displayName, 'Product User');
      assert.equal(created.status, 'active');
      assert.equal(created.hasPassword, false);
      assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
      assert.equal(created.createdAt, created.updatedAt);
      assert.deepEqual(await get(id), created);
    });

    it('creates a user without an id (a UUIDv7 is generated) and without a handle', async () => {
      const created = expectOk(await admin('POST', '/v1/admin/users', { displayName: 'No Id' })).user;
      assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(created.handle, null);
      assert.deepEqual(await get(created.id), created);
    });

    it('creates a user with a password who can then log in with the built-in accounts', async () => {
      const handle = newHandle();
      const created = expectOk(await admin('POST', '/v1/admin/users', { handle, displayName: 'Has Password', password: PASSWORD })).user;
      assert.equal(created.hasPassword, true);
      const session = expectOk(await login(handle, PASSWORD));
      assert.equal(session.user.id, created.id);
    });

    it('refuses a taken id with 409 conflict and a taken handle (any case) with 409 handle_taken, keeping the original', async () => {
      const id = newId();
      const handle = newHandle();
      const original = expectOk(await admin('POST', '/v1/admin/users', { id, handle, displayName: 'Original' })).user;
      assertError(await admin('POST', '/v1/admin/users', { id, handle: newHandle(), displayName: 'Impostor' }), 409, 'conflict');
      assertError(await admin('POST', '/v1/admin/users', { id: newId(), handle: handle.toUpperCase(), displayName: 'Impostor' }), 409, 'handle_taken');
      assert.deepEqual(await get(id), original);
    });

    it('refuses invalid create bodies with 400 validation_failed and creates nothing', async () => {
      const id = newId();
      const bodies = [
        { id, handle: newHandle() },
        { id, displayName: '' },
        { id, displayName: 'x'.repeat(65) },
        { id: 'has space', displayName: 'Bad id' },
        { id: 'a/b', displayName: 'Bad id' },
        { id: 'x'.repeat(129), displayName: 'Long id' },
        { id, handle: '9lives', displayName: 'Bad handle' },
        { id, displayName: 'Short password', password: 'short' },
        { id, displayName: 'Extra', role: 'admin' },
      ];
      for (const body of bodies) assertError(await admin('POST', '/v1/admin/users', body), 400, 'validation_failed', JSON.stringify(body));
      assertError(await admin('GET', `/v1/admin/users/${id}`), 404, 'not_found');
    });

    it('answers GET for an unknown user with 404 not_found', async () => {
      assertError(await admin('GET', `/v1/admin/users/${newId()}`), 404, 'not_found');
    });

    it('lists every user exactly once, in id order, across cursor pages', async () => {
      const prefix = `page${randomBytes(3).toString('hex')}`;
      const mine = [3, 0, 4, 1, 2].map((n) => `${prefix}-${n}`);
      for (const id of mine) expectOk(await admin('POST', '/v1/admin/users', { id, displayName: id }));
      const all = expectOk(await admin('GET', '/v1/admin/users?limit=500'));
      assert.equal(all.nextCursor, null);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page = expectOk(await admin('GET', `/v1/admin/users${query}`));
        assert.ok(page.users.length <= 2);
        seen.push(...page.users.map((u: any) => u.id));
        cursor = page.nextCursor;
        pages++;
        assert.ok(pages < 1000, 'paging does not end');
      } while (cursor);
      assert.deepEqual(seen, all.users.map((u: any) => u.id));
      assert.deepEqual(seen, [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen.filter((id) => id.startsWith(`${prefix}-`)), [...mine].sort());
    });

    it('ends paging with a null cursor when the last page is exactly full', async () => {
      const all = expectOk(await admin('GET', '/v1/admin/users?limit=500')).users;
      const exact = expectOk(await admin('GET', `/v1/admin/users?limit=${all.length}`));
      assert.equal(exact.users.length, all.length);
      assert.equal(exact.nextCursor, null);
    });

    it('refuses a bad cursor with 400 bad_request and a bad limit with 400 validation_failed', async () => {
      for (const cursor of ['not-base64-json', Buffer.from('42').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
        assertError(await admin('GET', `/v1/admin/users?cursor=${cursor}`), 400, 'bad_request', cursor);
      }
      for (const limit of ['0', '501', '-1', 'ten', '1.5']) {
        assertError(await admin('GET', `/v1/admin/users?limit=${limit}`), 400, 'validation_failed', limit);
      }
      assertError(await admin('GET', '/v1/admin/users?cursor=' + 'x'.repeat(257)), 400, 'validation_failed');
    });

    it('updates handle, display name and password: the new ones work, the old ones do not, the old handle is free', async () => {
      const oldHandle = newHandle();
      const created = expectOk(await admin('POST', '/v1/admin/users', { handle: oldHandle, displayName: 'Before', password: PASSWORD })).user;
      const newHandleValue = newHandle('New');
      const updated = expectOk(await admin('PATCH', `/v1/admin/users/${created.id}`, { handle: newHandleValue, displayName: 'After', password: 'another fine password' })).user;
      assert.equal(updated.handle, newHandleValue.toLowerCase());
      assert.equal(updated.displayName, 'After');
      assert.ok(Date.parse(updated.updatedAt) >= Date.parse(created.updatedAt));
      assert.deepEqual(await get(created.id), updated);
      assertError(await login(oldHandle, PASSWORD), 401, 'invalid_credentials');
      assertError(await login(newHandleValue, PASSWORD), 401, 'invalid_credentials');
      const session = expectOk(await login(newHandleValue, 'another fine password'));
      assert.equal(session.user.displayName, 'After');
      // What other users see follows.
      const viewer = await createUser(t.url, newHandle());
      assert.equal(expectOk(await http(t.url, 'GET', `/v1/users/${created.id}`, { token: viewer.token })).user.displayName, 'After');
      // The old handle can be taken by someone else now.
      expectOk(await admin('POST', '/v1/admin/users', { handle: oldHandle, displayName: 'Took the old handle' }));
    });

    it('gives a user created without a password one, so they can log in', async () => {
      const handle = newHandle();
      const created = expectOk(await admin('POST', '/v1/admin/users', { handle, displayName: 'Later' })).user;
      assertError(await login(handle, PASSWORD), 401, 'invalid_credentials');
      assert.equal(expectOk(await admin('PATCH', `/v1/admin/users/${created.id}`, { password: PASSWORD })).user.hasPassword, true);
      expectOk(await login(handle, PASSWORD));
    });

    it('removes a handle with null, and refuses a taken handle with 409 handle_taken without changing anything', async () => {
      const a = expectOk(await admin('POST', '/v1/admin/users', { handle: newHandle(), displayName: 'A' })).user;
      const b = expectOk(await admin('POST', '/v1/admin/users', { handle: newHandle(), displayName: 'B' })).user;
      assertError(await admin('PATCH', `/v1/admin/users/${b.id}`, { handle: a.handle.toUpperCase(), displayName: 'B2' }), 409, 'handle_taken');
      assert.deepEqual(await get(b.id), b);
      assert.equal(expectOk(await admin('PATCH', `/v1/admin/users/${a.id}`, { handle: null })).user.handle, null);
      assert.equal((await get(a.id)).handle, null);
      assert.equal(expectOk(await admin('PATCH', `/v1/admin/users/${b.id}`, { handle: a.handle })).user.handle, a.handle);
    });

    it('refuses updates of unknown users with 404 and invalid updates with 400', async () => {
      assertError(await admin('PATCH', `/v1/admin/users/${newId()}`, { displayName: 'Ghost' }), 404, 'not_found');
      const user = expectOk(await admin('POST', '/v1/admin/users', { displayName: 'Valid' })).user;
      for (const body of [{ displayName: '' }, { handle: 'no spaces allowed' }, { password: 'short' }, { status: 'suspended' }, { id: 'other' }]) {
        assertError(await admin('PATCH', `/v1/admin/users/${user.id}`, body), 400, 'validation_failed', JSON.stringify(body));
      }
      assert.deepEqual(await get(user.id), user);
    });

    it('issues a working token pair for a user, with or without a body', async () => {
      const created = expectOk(await admin('POST', '/v1/admin/users', { displayName: 'Tokens' })).user;
      const issued = expectOk(await admin('POST', `/v1/admin/users/${created.id}/tokens`, { deviceName: 'backend' }));
      assert.equal(issued.user.id, created.id);
      const me = expectOk(await http(t.url, 'GET', '/v1/me', { token: issued.accessToken }));
      assert.equal(me.sessionId, issued.sessionId);
      const refreshed = expectOk(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: issued.refreshToken } }));
      assert.equal(refreshed.sessionId, issued.sessionId);
      const bare = expectOk(await http(t.url, 'POST', `/v1/admin/users/${created.id}/tokens`, { token: ADMIN_KEY }));
      assert.notEqual(bare.sessionId, issued.sessionId);
      assertError(await admin('POST', `/v1/admin/users/${newId()}/tokens`, {}), 404, 'not_found');
      assertError(await admin('POST', `/v1/admin/users/${created.id}/tokens`, { deviceName: '' }), 400, 'validation_failed');
    });
  });

  describe(`suspending and deleting users (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    const admin = (method: string, path: string, body?: unknown) => http(t.url, method, path, { token: ADMIN_KEY, ...(body !== undefined ? { body } : {}) });
    const get = async (id: string) => expectOk(await admin('GET', `/v1/admin/users/${id}`)).user;
    const login = (handle: string, password: string) => http(t.url, 'POST', '/v1/auth/login', { body: { handle, password } });

    /** A user with a password and two signed-in devices. */
    async function userWithDevices() {
      const handle = newHandle();
      const created = expectOk(await admin('POST', '/v1/admin/users', { handle, displayName: handle, password: PASSWORD })).user;
      const phone = expectOk(await login(handle, PASSWORD));
      const laptop = expectOk(await login(handle, PASSWORD));
      return { id: created.id as string, handle, phone, laptop };
    }

    it('suspends: open sockets close with 4202, tokens, refresh, login and new sockets are refused with account_suspended', async () => {
      const user = await userWithDevices();
      const phoneSocket = await TestSocket.open(t.wsUrl, user.phone.accessToken);
      const laptopSocket = await TestSocket.open(t.wsUrl, user.laptop.accessToken);
      const suspended = expectOk(await admin('POST', `/v1/admin/users/${user.id}/suspend`)).user;
      assert.equal(suspended.status, 'suspended');
      assert.equal((await get(user.id)).status, 'suspended');
      assert.equal(await phoneSocket.closed(), CloseCodes.accountSuspended);
      assert.equal(await laptopSocket.closed(), CloseCodes.accountSuspended);
      assertError(await http(t.url, 'GET', '/v1/me', { token: user.phone.accessToken }), 403, 'account_suspended');
      assertError(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: user.laptop.refreshToken } }), 403, 'account_suspended');
      assertError(await login(user.handle, PASSWORD), 403, 'account_suspended');
      assertError(await login(user.handle, 'wrong password!'), 401, 'invalid_credentials');
      assertError(await admin('POST', `/v1/admin/users/${user.id}/tokens`, {}), 403, 'account_suspended');
      const retry = await TestSocket.open(t.wsUrl, user.phone.accessToken, { waitReady: false });
      assert.equal(await retry.closed(), CloseCodes.accountSuspended);
      // Suspending again changes nothing.
      assert.equal(expectOk(await admin('POST', `/v1/admin/users/${user.id}/suspend`)).user.status, 'suspended');
    });

    it('stops a suspended user from acting: sending a message is refused and nothing is stored', async () => {
      const alice = await createUser(t.url, newHandle());
      const bob = await createUser(t.url, newHandle());
      const { conversation } = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } }));
      expectOk(await admin('POST', `/v1/admin/users/${bob.user.id}/suspend`));
      assertError(await http(t.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: bob.token, body: { clientMsgId: 'c1', text: 'still here?' } }), 403, 'account_suspended');
      const history = expectOk(await http(t.url, 'GET', `/v1/conversations/${conversation.id}/messages`, { token: alice.token }));
      assert.deepEqual(history.messages, []);
    });

    it('unsuspends: the same tokens, refresh, login and sockets work again', async () => {
      const user = await userWithDevices();
      expectOk(await admin('POST', `/v1/admin/users/${user.id}/suspend`));
      const restored = expectOk(await admin('POST', `/v1/admin/users/${user.id}/unsuspend`)).user;
      assert.equal(restored.status, 'active');
      assert.equal((await get(user.id)).status, 'active');
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: user.phone.accessToken })).user.id, user.id);
      expectOk(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: user.laptop.refreshToken } }));
      expectOk(await login(user.handle, PASSWORD));
      const socket = await TestSocket.open(t.wsUrl, user.phone.accessToken);
      assert.equal(socket.ready.userId, user.id);
      socket.close();
    });

    it('answers suspend and unsuspend of an unknown user with 404', async () => {
      assertError(await admin('POST', `/v1/admin/users/${newId()}/suspend`), 404, 'not_found');
      assertError(await admin('POST', `/v1/admin/users/${newId()}/unsuspend`), 404, 'not_found');
    });

    it('deletes: sockets close with 4203, tokens, refresh and login are refused, personal data is scrubbed, the handle is free', async () => {
      const user = await userWithDevices();
      const phoneSocket = await TestSocket.open(t.wsUrl, user.phone.accessToken);
      const laptopSocket = await TestSocket.open(t.wsUrl, user.laptop.accessToken);
      assert.deepEqual(expectOk(await admin('DELETE', `/v1/admin/users/${user.id}`)), {});
      assert.equal(await phoneSocket.closed(), CloseCodes.accountDeleted);
      assert.equal(await laptopSocket.closed(), CloseCodes.accountDeleted);
      const stored = await get(user.id);
      assert.equal(stored.status, 'deleted');
      assert.equal(stored.handle, null);
      assert.equal(stored.displayName, 'Deleted account');
      assert.equal(stored.hasPassword, false);
      assertError(await http(t.url, 'GET', '/v1/me', { token: user.phone.accessToken }), 401, 'unauthorized');
      assertError(await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: user.laptop.refreshToken } }), 401, 'unauthorized');
      assertError(await login(user.handle, PASSWORD), 401, 'invalid_credentials');
      const retry = await TestSocket.open(t.wsUrl, user.phone.accessToken, { waitReady: false });
      const code = await retry.closed();
      assert.ok(code === CloseCodes.invalidToken || code === CloseCodes.accountDeleted, `closed with ${code}`);
      // The handle is free for someone else.
      const successor = expectOk(await admin('POST', '/v1/admin/users', { handle: user.handle, displayName: 'Successor' })).user;
      assert.equal(successor.handle, user.handle);
      assert.notEqual(successor.id, user.id);
      // Once deleted, always deleted: no second delete, no tokens, no status or profile changes.
      assertError(await admin('DELETE', `/v1/admin/users/${user.id}`), 404, 'not_found');
      assertError(await admin('POST', `/v1/admin/users/${user.id}/tokens`, {}), 404, 'not_found');
      assertError(await admin('POST', `/v1/admin/users/${user.id}/suspend`), 404, 'not_found');
      assertError(await admin('POST', `/v1/admin/users/${user.id}/unsuspend`), 404, 'not_found');
      assertError(await admin('PATCH', `/v1/admin/users/${user.id}`, { displayName: 'Revived' }), 404, 'not_found');
      assert.equal((await get(user.id)).status, 'deleted');
    });

    it('deletes a user from every group with member.removed (reason deleted); the owner seat passes on', async () => {
      const victim = await createUser(t.url, newHandle());
      const alice = await createUser(t.url, newHandle());
      const bob = await createUser(t.url, newHandle());
      const groups = [];
      for (const title of ['first group', 'second group']) {
        groups.push(expectOk(await http(t.url, 'POST', '/v1/conversations', { token: victim.token, body: { kind: 'group', title, memberIds: [alice.user.id, bob.user.id] } })).conversation);
      }
      const aliceSocket = await TestSocket.open(t.wsUrl, alice.token);
      expectOk(await admin('DELETE', `/v1/admin/users/${victim.user.id}`));
      for (const group of groups) {
        const live = await aliceSocket.next((f) => f.t === 'event' && f.event.conversationId === group.id && f.event.type === 'member.removed');
        assert.deepEqual(live.event.data, { userId: victim.user.id, reason: 'deleted' });
        const members = expectOk(await http(t.url, 'GET', `/v1/conversations/${group.id}/members`, { token: alice.token })).members;
        assert.deepEqual(members.map((m: any) => m.userId).sort(), [alice.user.id, bob.user.id].sort());
        assert.equal(members.filter((m: any) => m.role === 'owner').length, 1);
        const view = expectOk(await http(t.url, 'GET', `/v1/conversations/${group.id}`, { token: bob.token })).conversation;
        assert.equal(view.memberCount, 2);
        const log = expectOk(await http(t.url, 'GET', `/v1/conversations/${group.id}/events?after=0`, { token: bob.token })).events;
        const removed = log.filter((e: any) => e.type === 'member.removed');
        assert.deepEqual(removed.map((e: any) => e.data), [{ userId: victim.user.id, reason: 'deleted' }]);
        assert.ok(log.some((e: any) => e.type === 'member.role_changed' && e.data.role === 'owner'));
      }
      aliceSocket.close();
    });

    it('keeps direct conversations and their history for the other person after a delete', async () => {
      const victim = await createUser(t.url, newHandle());
      const alice = await createUser(t.url, newHandle());
      const { conversation } = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: victim.user.id } }));
      expectOk(await http(t.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { clientMsgId: 'a1', text: 'hello' } }));
      expectOk(await http(t.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: victim.token, body: { clientMsgId: 'v1', text: 'hi alice' } }));
      expectOk(await admin('DELETE', `/v1/admin/users/${victim.user.id}`));
      const history = expectOk(await http(t.url, 'GET', `/v1/conversations/${conversation.id}/messages`, { token: alice.token }));
      assert.deepEqual(history.messages.map((m: any) => [m.senderId, m.text]), [[alice.user.id, 'hello'], [victim.user.id, 'hi alice']]);
      const view = expectOk(await http(t.url, 'GET', `/v1/conversations/${conversation.id}`, { token: alice.token })).conversation;
      assert.deepEqual(view.peer, { id: victim.user.id, handle: null, displayName: 'Deleted account' });
      const list = expectOk(await http(t.url, 'GET', '/v1/conversations', { token: alice.token })).conversations;
      assert.ok(list.some((c: any) => c.id === conversation.id));
      const profile = expectOk(await http(t.url, 'GET', `/v1/users/${victim.user.id}`, { token: alice.token })).user;
      assert.deepEqual(profile, { id: victim.user.id, handle: null, displayName: 'Deleted account' });
    });

    it('keeps a deleted account deleted and scrubbed when status and profile changes race the deletion', async () => {
      for (let round = 0; round < 5; round++) {
        const user = await userWithDevices();
        const racing = [
          admin('DELETE', `/v1/admin/users/${user.id}`),
          ...Array.from({ length: 4 }, (_, i) => admin('POST', `/v1/admin/users/${user.id}/${i % 2 ? 'suspend' : 'unsuspend'}`)),
          admin('PATCH', `/v1/admin/users/${user.id}`, { handle: newHandle(), displayName: 'Racing rename' }),
          admin('POST', '/v1/admin/users/bulk', { upsert: [{ id: user.id, handle: newHandle(), displayName: 'Racing upsert' }] }),
        ];
        const [deleted, ...others] = await Promise.all(racing);
        assert.equal(deleted!.status, 200, JSON.stringify(deleted!.body));
        for (const other of others) assert.ok([200, 404].includes(other.status), JSON.stringify(other.body));
        const stored = await get(user.id);
        assert.equal(stored.status, 'deleted');
        assert.equal(stored.handle, null);
        assert.equal(stored.displayName, 'Deleted account');
        assertError(await http(t.url, 'GET', '/v1/me', { token: user.phone.accessToken }), 401, 'unauthorized');
      }
    });

    it('answers delete of an unknown user with 404', async () => {
      assertError(await admin('DELETE', `/v1/admin/users/${newId()}`), 404, 'not_found');
    });
  });

  describe(`bulk user operations (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    const admin = (method: string, path: string, body?: unknown) => http(t.url, method, path, { token: ADMIN_KEY, ...(body !== undefined ? { body } : {}) });
    const get = (id: string) => admin('GET', `/v1/admin/users/${id}`);
    const bulk = async (body: unknown) => expectOk(await admin('POST', '/v1/admin/users/bulk', body)).results;

    it('upserts: creates new ids and updates known ones, reporting each item', async () => {
      const known = expectOk(await admin('POST', '/v1/admin/users', { id: newId(), handle: newHandle(), displayName: 'Known' })).user;
      const fresh = newId();
      const freshHandle = newHandle('Fresh');
      const renamed = newHandle();
      const results = await bulk({
        upsert: [
          { id: fresh, handle: freshHandle, displayName: 'Fresh' },
          { id: known.id, handle: renamed, displayName: 'Known, renamed' },
        ],
      });
      assert.deepEqual(results, [
        { id: fresh, op: 'upsert', ok: true },
        { id: known.id, op: 'upsert', ok: true },
      ]);
      const created = expectOk(await get(fresh)).user;
      assert.equal(created.handle, freshHandle.toLowerCase());
      assert.equal(created.displayName, 'Fresh');
      assert.equal(created.status, 'active');
      const updated = expectOk(await get(known.id)).user;
      assert.equal(updated.handle, renamed);
      assert.equal(updated.displayName, 'Known, renamed');
    });

    it('leaves the handle alone when an upsert does not mention it, and removes it with null', async () => {
      const handle = newHandle();
      const user = expectOk(await admin('POST', '/v1/admin/users', { id: newId(), handle, displayName: 'Keep' })).user;
      await bulk({ upsert: [{ id: user.id, displayName: 'Kept handle' }] });
      assert.equal(expectOk(await get(user.id)).user.handle, handle);
      await bulk({ upsert: [{ id: user.id, handle: null, displayName: 'No handle' }] });
      assert.equal(expectOk(await get(user.id)).user.handle, null);
    });

    it('keeps going when an item fails: each result says what happened to its item', async () => {
      const holder = expectOk(await admin('POST', '/v1/admin/users', { id: newId(), handle: newHandle(), displayName: 'Holder' })).user;
      const deleted = expectOk(await admin('POST', '/v1/admin/users', { id: newId(), displayName: 'Deleted' })).user;
      expectOk(await admin('DELETE', `/v1/admin/users/${deleted.id}`));
      const ok1 = newId();
      const clash = newId();
      const ok2 = newId();
      const missing = newId();
      const twin = newHandle();
      const results = await bulk({
        upsert: [
          { id: ok1, handle: twin, displayName: 'First with the handle' },
          { id: clash, handle: holder.handle, displayName: 'Clash' },
          { id: ok2, handle: twin.toUpperCase(), displayName: 'Second with the handle' },
          { id: deleted.id, displayName: 'Revive me' },
        ],
        suspend: [missing, holder.id],
        unsuspend: [missing],
        delete: [missing],
      });
      const summary = results.map((r: any) => [r.op, r.id, r.ok, r.error?.code ?? null]);
      assert.deepEqual(summary, [
        ['upsert', ok1, true, null],
        ['upsert', clash, false, 'handle_taken'],
        ['upsert', ok2, false, 'handle_taken'],
        ['upsert', deleted.id, false, 'conflict'],
        ['suspend', missing, false, 'not_found'],
        ['suspend', holder.id, true, null],
        ['unsuspend', missing, false, 'not_found'],
        ['delete', missing, false, 'not_found'],
      ]);
      for (const failed of results.filter((r: any) => !r.ok)) assert.equal(typeof failed.error.message, 'string');
      assert.equal(expectOk(await get(ok1)).user.handle, twin);
      assertError(await get(clash), 404, 'not_found');
      assertError(await get(ok2), 404, 'not_found');
      assertError(await get(missing), 404, 'not_found');
      assert.equal(expectOk(await get(holder.id)).user.status, 'suspended');
      const stillDeleted = expectOk(await get(deleted.id)).user;
      assert.equal(stillDeleted.status, 'deleted');
      assert.equal(stillDeleted.displayName, 'Deleted account');
    });

    it('suspends, unsuspends and deletes in one call, closing the affected sockets', async () => {
      const toSuspend = await createUser(t.url, newHandle());
      const toRestore = await createUser(t.url, newHandle());
      const toDelete = await createUser(t.url, newHandle());
      const bystander = await createUser(t.url, newHandle());
      expectOk(await admin('POST', `/v1/admin/users/${toRestore.user.id}/suspend`));
      const group = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: bystander.token, body: { kind: 'group', title: 'bulk', memberIds: [toDelete.user.id, toSuspend.user.id] } })).conversation;
      const suspendSocket = await TestSocket.open(t.wsUrl, toSuspend.token);
      const deleteSocket = await TestSocket.open(t.wsUrl, toDelete.token);
      const bystanderSocket = await TestSocket.open(t.wsUrl, bystander.token);
      const results = await bulk({ suspend: [toSuspend.user.id], unsuspend: [toRestore.user.id], delete: [toDelete.user.id] });
      assert.deepEqual(results, [
        { id: toSuspend.user.id, op: 'suspend', ok: true },
        { id: toRestore.user.id, op: 'unsuspend', ok: true },
        { id: toDelete.user.id, op: 'delete', ok: true },
      ]);
      assert.equal(await suspendSocket.closed(), CloseCodes.accountSuspended);
      assert.equal(await deleteSocket.closed(), CloseCodes.accountDeleted);
      assert.equal(expectOk(await get(toSuspend.user.id)).user.status, 'suspended');
      assert.equal(expectOk(await get(toRestore.user.id)).user.status, 'active');
      assert.equal(expectOk(await get(toDelete.user.id)).user.status, 'deleted');
      expectOk(await http(t.url, 'GET', '/v1/me', { token: toRestore.token }));
      assertError(await http(t.url, 'GET', '/v1/me', { token: toSuspend.token }), 403, 'account_suspended');
      assertError(await http(t.url, 'GET', '/v1/me', { token: toDelete.token }), 401, 'unauthorized');
      const removed = await bystanderSocket.next((f) => f.t === 'event' && f.event.conversationId === group.id && f.event.type === 'member.removed');
      assert.deepEqual(removed.event.data, { userId: toDelete.user.id, reason: 'deleted' });
      await eventually(async () => {
        const members = expectOk(await http(t.url, 'GET', `/v1/conversations/${group.id}/members`, { token: bystander.token })).members;
        assert.deepEqual(members.map((m: any) => m.userId).sort(), [bystander.user.id, toSuspend.user.id].sort());
      });
      bystanderSocket.close();
    });

    it('creates and then suspends a user named in both lists', async () => {
      const id = newId();
      const results = await bulk({ upsert: [{ id, displayName: 'Born suspended' }], suspend: [id] });
      assert.deepEqual(results.map((r: any) => r.ok), [true, true]);
      assert.equal(expectOk(await get(id)).user.status, 'suspended');
    });

    it('answers an empty request with no results', async () => {
      assert.deepEqual(await bulk({}), []);
      assert.deepEqual(await bulk({ upsert: [], suspend: [], unsuspend: [], delete: [] }), []);
    });

    it('refuses a malformed request as a whole with 400 and changes nothing', async () => {
      const id = newId();
      const bodies = [
        { upsert: [{ id, displayName: 'Fine' }], suspend: ['bad id'] },
        { upsert: [{ id, displayName: 'Fine' }, { id: newId() }] },
        { upsert: [{ id, displayName: 'Fine', password: 'not allowed here' }] },
        { upsert: [{ id, displayName: 'Fine' }], purge: [id] },
        { suspend: Array.from({ length: 1001 }, (_, i) => `u${i}`) },
        { suspend: 'not-a-list' },
      ];
      for (const body of bodies) assertError(await admin('POST', '/v1/admin/users/bulk', body), 400, 'validation_failed', JSON.stringify(body).slice(0, 80));
      assertError(await get(id), 404, 'not_found');
    });

    it('accepts the largest allowed list (1000 items) in a body beyond the normal 256 KiB limit', async () => {
      const prefix = `big${randomBytes(3).toString('hex')}`;
      const upsert = Array.from({ length: 1000 }, (_, i) => ({ id: `${prefix}-${String(i).padStart(4, '0')}-${'p'.repeat(100)}`, displayName: `${'Bulk user '.repeat(6)}${i}` }));
      // Pretty-printed, as a product's backend may well send it.
      const body = JSON.stringify({ upsert }, null, 8);
      assert.ok(body.length > 256 * 1024, `${body.length} bytes`);
      const results = expectOk(await admin('POST', '/v1/admin/users/bulk', body)).results;
      assert.equal(results.length, 1000);
      assert.ok(results.every((r: any) => r.ok));
      assert.equal(expectOk(await get(upsert[999]!.id)).user.displayName, upsert[999]!.displayName);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { create, liveUserEvent, members, refused, send, texts, trySend, userLog, view } from './support/governance.ts';
import { createUser, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const block = (t: TestApp, user: TestUser, other: TestUser) => ok(t, user, 'PUT', `/v1/me/blocks/${other.user.id}`);
const unblock = (t: TestApp, user: TestUser, other: TestUser) => ok(t, user, 'DELETE', `/v1/me/blocks/${other.user.id}`);
const startDirect = (t: TestApp, user: TestUser, other: TestUser) => call(t, user, 'POST', '/v1/conversations', { kind: 'direct', userId: other.user.id });
const setAddPrivacy = (t: TestApp, user: TestUser, addPrivacy: string) => ok(t, user, 'PATCH', '/v1/me/settings', { addPrivacy });

for (const backend of backends) {
  describe(`blocking (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('stops both people writing in their direct conversation while it stands, with one answer for both sides', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      const earlier = await send(t, bob, pair.id, 'before');
      await block(t, alice, bob);
      const head = (await view(t, alice, pair.id)).lastSeq;
      const blocked = refused(await trySend(t, bob, pair.id, 'let me explain'), 403, 'forbidden');
      const blocker = refused(await trySend(t, alice, pair.id, 'one last thing'), 403, 'forbidden');
      // Neither answer says who blocked whom.
      assert.deepEqual(blocked, blocker);
      // Nor by rewriting an earlier message.
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${pair.id}/messages/${earlier.id}`, { text: 'rewritten' }), 403, 'forbidden');
      assert.equal((await view(t, bob, pair.id)).lastSeq, head);
      // Asking for the conversation again finds the existing one (readable), it does not start a new one.
      assert.equal((await ok(t, bob, 'POST', '/v1/conversations', { kind: 'direct', userId: alice.user.id })).conversation.id, pair.id);
      assert.deepEqual(await texts(t, bob, pair.id), ['before']);
      await unblock(t, alice, bob);
      await send(t, bob, pair.id, 'after');
      await send(t, alice, pair.id, 'welcome back');
      assert.deepEqual(await texts(t, alice, pair.id), ['before', 'after', 'welcome back']);
    });

    it('stops a blocked user starting a direct conversation with the blocker, and the blocker too, creating nothing', async () => {
      const carol = await createUser(t.url);
      const dave = await createUser(t.url);
      await block(t, carol, dave);
      const byBlocked = refused(await startDirect(t, dave, carol), 403, 'forbidden');
      const byBlocker = refused(await startDirect(t, carol, dave), 403, 'forbidden');
      assert.deepEqual(byBlocked, byBlocker);
      for (const user of [carol, dave]) assert.deepEqual((await ok(t, user, 'GET', '/v1/conversations')).conversations, []);
      assert.deepEqual((await userLog(t, dave)), []);
      await unblock(t, carol, dave);
      const pair = (await ok(t, dave, 'POST', '/v1/conversations', { kind: 'direct', userId: carol.user.id })).conversation;
      await send(t, dave, pair.id, 'hello');
    });

    it('stops a blocked user adding the blocker to groups, with exactly the answer an add-privacy refusal gets', async () => {
      const erin = await createUser(t.url);
      const frank = await createUser(t.url);
      const gina = await createUser(t.url);
      const harry = await createUser(t.url);
      await block(t, erin, frank);
      await setAddPrivacy(t, gina, 'nobody');
      const onCreate = refused(await call(t, frank, 'POST', '/v1/conversations', { kind: 'group', title: 'With erin', memberIds: [erin.user.id, harry.user.id] }), 403, 'forbidden');
      assert.deepEqual(onCreate.details, { userIds: [erin.user.id] });
      assert.deepEqual((await ok(t, frank, 'GET', '/v1/conversations')).conversations, []);
      assert.deepEqual(await userLog(t, harry), []);
      const room = await group(t, frank, 'Frank\'s', [harry]);
      const byBlock = refused(await call(t, frank, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [erin.user.id] }), 403, 'forbidden');
      const byPrivacy = refused(await call(t, frank, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [gina.user.id] }), 403, 'forbidden');
      assert.deepEqual(byBlock, { ...byPrivacy, details: { userIds: [erin.user.id] } });
      assert.deepEqual(byPrivacy.details, { userIds: [gina.user.id] });
      // Nothing leaks to the blocker.
      assert.deepEqual((await userLog(t, erin)).map((e) => [e.type, e.data]), [['block.added', { userId: frank.user.id }]]);
      assert.deepEqual([...(await members(t, frank, room.id)).keys()].sort(), [frank.user.id, harry.user.id].sort());
      // Someone else may still add her: the block is between the two of them.
      await ok(t, harry, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [erin.user.id] });
      // Unblocked, frank may add her to his own groups again.
      const other = await group(t, frank, 'Second', []);
      await unblock(t, erin, frank);
      await ok(t, frank, 'POST', `/v1/conversations/${other.id}/members`, { userIds: [erin.user.id] });
    });

    it('keeps the block list per user across devices: block.added in the user log, the list from another session', async () => {
      const alice = await createUser(t.url);
      const tablet = await signIn(t.url, alice.user.id);
      const bob = await createUser(t.url);
      const tabletSocket = await TestSocket.open(t.wsUrl, tablet.token);
      try {
        await block(t, alice, bob);
        const added = await liveUserEvent(tabletSocket, 'block.added');
        assert.deepEqual(added.data, { userId: bob.user.id });
        const list = await ok(t, tablet, 'GET', '/v1/me/blocks');
        assert.deepEqual(list, { users: [{ id: bob.user.id, handle: bob.user.handle, displayName: bob.user.displayName }] });
        // Blocking twice changes nothing.
        await block(t, tablet, bob);
        assert.deepEqual((await userLog(t, alice)).map((e) => [e.type, e.data]), [['block.added', { userId: bob.user.id }]]);
        await unblock(t, tablet, bob);
        const removed = await liveUserEvent(tabletSocket, 'block.removed');
        assert.deepEqual(removed.data, { userId: bob.user.id });
      } finally {
        tabletSocket.close();
      }
      assert.deepEqual(await ok(t, alice, 'GET', '/v1/me/blocks'), { users: [] });
      await unblock(t, alice, bob);
      assert.deepEqual((await userLog(t, alice)).map((e) => e.type), ['block.added', 'block.removed']);
      // Bob's own list and log know nothing of it.
      assert.deepEqual(await ok(t, bob, 'GET', '/v1/me/blocks'), { users: [] });
      assert.deepEqual(await userLog(t, bob), []);
      refused(await call(t, alice, 'PUT', `/v1/me/blocks/${alice.user.id}`), 400, 'validation_failed');
      refused(await call(t, alice, 'PUT', '/v1/me/blocks/no-such-user'), 404, 'not_found');
    });
  });

  describe(`who may add you (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('starts at everyone, and a change reaches every device through settings.updated', async () => {
      const user = await createUser(t.url);
      const phone = await signIn(t.url, user.user.id);
      assert.deepEqual(await ok(t, user, 'GET', '/v1/me/settings'), { settings: { addPrivacy: 'everyone' } });
      const socket = await TestSocket.open(t.wsUrl, phone.token);
      try {
        assert.deepEqual(await setAddPrivacy(t, user, 'contacts'), { settings: { addPrivacy: 'contacts' } });
        const event = await liveUserEvent(socket, 'settings.updated');
        assert.deepEqual(event.data, { addPrivacy: 'contacts' });
      } finally {
        socket.close();
      }
      assert.deepEqual(await ok(t, phone, 'GET', '/v1/me/settings'), { settings: { addPrivacy: 'contacts' } });
      // The same value again writes nothing.
      await setAddPrivacy(t, phone, 'contacts');
      assert.deepEqual((await userLog(t, user)).map((e) => e.type), ['settings.updated']);
      refused(await call(t, user, 'PATCH', '/v1/me/settings', { addPrivacy: 'friends' }), 400, 'validation_failed');
    });

    it('with contacts lets only people you have written to in a direct conversation add you; with nobody, nobody', async () => {
      const picky = await createUser(t.url);
      const friend = await createUser(t.url);
      const stranger = await createUser(t.url);
      const pair = await direct(t, friend, picky);
      await send(t, picky, pair.id, 'hi friend');
      await setAddPrivacy(t, picky, 'contacts');
      const strangers = await group(t, stranger, 'Strangers', []);
      const refusal = refused(await call(t, stranger, 'POST', `/v1/conversations/${strangers.id}/members`, { userIds: [picky.user.id] }), 403, 'forbidden');
      assert.deepEqual(refusal.details, { userIds: [picky.user.id] });
      refused(await call(t, stranger, 'POST', '/v1/conversations', { kind: 'channel', title: 'Spam', memberIds: [picky.user.id] }), 403, 'forbidden');
      const friends = await group(t, friend, 'Friends', [picky]);
      assert.equal((await view(t, picky, friends.id)).role, 'member');

      await setAddPrivacy(t, picky, 'nobody');
      const later = await group(t, friend, 'Later', []);
      refused(await call(t, friend, 'POST', `/v1/conversations/${later.id}/members`, { userIds: [picky.user.id] }), 403, 'forbidden');
      refused(await call(t, friend, 'POST', '/v1/conversations', { kind: 'group', title: 'Nope', memberIds: [picky.user.id] }), 403, 'forbidden');
      assert.equal((await view(t, friend, later.id)).memberCount, 1);
      // Picky was added to the direct conversation and to the group made while contacts were allowed, nothing else.
      const added = (await userLog(t, picky)).filter((e) => e.type === 'conversation.added').map((e: any) => e.data.conversationId);
      assert.deepEqual(added.sort(), [pair.id, friends.id].sort());

      await setAddPrivacy(t, picky, 'everyone');
      await ok(t, stranger, 'POST', `/v1/conversations/${strangers.id}/members`, { userIds: [picky.user.id] });
    });

    it('does not count a stranger who opened a direct conversation as a contact until you write in it', async () => {
      const picky = await createUser(t.url);
      const stranger = await createUser(t.url);
      await setAddPrivacy(t, picky, 'contacts');
      // Anyone may open a direct conversation with anyone: that alone is no consent.
      const pair = await direct(t, stranger, picky);
      await send(t, stranger, pair.id, 'hello, join my group?');
      const lure = await group(t, stranger, 'Lure', []);
      const refusal = refused(await call(t, stranger, 'POST', `/v1/conversations/${lure.id}/members`, { userIds: [picky.user.id] }), 403, 'forbidden', /cannot be added/);
      assert.deepEqual(refusal.details, { userIds: [picky.user.id] });
      refused(await call(t, stranger, 'POST', '/v1/conversations', { kind: 'group', title: 'Lure 2', memberIds: [picky.user.id] }), 403, 'forbidden');
      assert.equal((await view(t, stranger, lure.id)).memberCount, 1);
      assert.deepEqual((await userLog(t, picky)).filter((e) => e.type === 'conversation.added').map((e: any) => e.data.conversationId), [pair.id]);
      // Picky's own message there is the consent: now the stranger may add picky.
      await send(t, picky, pair.id, 'sure');
      await ok(t, stranger, 'POST', `/v1/conversations/${lure.id}/members`, { userIds: [picky.user.id] });
      assert.equal((await view(t, picky, lure.id)).role, 'member');
      // Each side's own messages count for them: the stranger wrote too, so picky may add the stranger.
      await setAddPrivacy(t, stranger, 'contacts');
      const back = await group(t, picky, 'Back', []);
      await ok(t, picky, 'POST', `/v1/conversations/${back.id}/members`, { userIds: [stranger.user.id] });
    });

    it('never stops invite links or joining by handle', async () => {
      const hermit = await createUser(t.url);
      const host = await createUser(t.url);
      await setAddPrivacy(t, hermit, 'nobody');
      const room = await group(t, host, 'Invite only', []);
      refused(await call(t, host, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [hermit.user.id] }), 403, 'forbidden', /invite link/);
      const { invite } = await ok(t, host, 'POST', `/v1/conversations/${room.id}/invites`, {});
      assert.equal((await ok(t, hermit, 'POST', `/v1/invites/${invite.code}/join`)).status, 'joined');
      const open = await create(t, host, { kind: 'channel', title: 'Open', handle: `open${process.pid % 10_000}p` });
      assert.equal((await ok(t, hermit, 'POST', `/v1/conversations/${open.id}/join`)).conversation.role, 'subscriber');
      // A block does not stop the blocked person from joining a public conversation the blocker is in either.
      await block(t, hermit, host);
      const hostRoom = await create(t, hermit, { kind: 'group', title: 'Hermit hall', handle: `hall${process.pid % 10_000}p`, memberIds: [] });
      assert.equal((await ok(t, host, 'POST', `/v1/conversations/${hostRoom.id}/join`)).status, 'joined');
    });
  });
}

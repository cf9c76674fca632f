import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Live notices that are not in any log (issue 18): a changed display name reaches the
 * people who show it, and a request to join reaches the members who may answer it.
 */
for (const backend of backends) {
  describe(`live profile and join-request notices (${backend.name})`, () => {
    let t: TestApp;
    const sockets: TestSocket[] = [];
    before(async () => {
      // Groups of up to 3 members hear of renames (as of receipts).
      t = await startApp(backend, { env: { RECEIPTS_MAX_GROUP: '3' } });
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await t.close();
    });
    const open = async (user: TestUser) => {
      const socket = await TestSocket.open(t.wsUrl, user.token);
      sockets.push(socket);
      return socket;
    };
    /** A round trip on the socket: whatever the server sent it before answering has arrived. */
    const settle = (socket: TestSocket) => socket.request('presence', { userIds: [socket.ready.userId] });

    it('a rename reaches direct peers and small groups at once, and not channels, large groups or strangers', async () => {
      const [ann, peer, mate, subscriber, crowd, stranger] = await Promise.all(Array.from({ length: 6 }, () => createUser(t.url)));
      const [extra1, extra2] = await Promise.all([createUser(t.url), createUser(t.url)]);
      await direct(t, ann, peer);
      await group(t, ann, 'Small', [mate]);
      await group(t, ann, 'Too large for names', [crowd, extra1, extra2]);
      const channel = (await ok(t, ann, 'POST', '/v1/conversations', { kind: 'channel', title: 'Ann news', memberIds: [subscriber.user.id] })).conversation;
      assert.equal(channel.memberCount, 2);
      const [peerSocket, mateSocket, subscriberSocket, crowdSocket, strangerSocket, annSocket] = await Promise.all([open(peer), open(mate), open(subscriber), open(crowd), open(stranger), open(ann)]);

      const { user } = await ok(t, ann, 'PATCH', '/v1/me', { displayName: 'Ann Renamed' });
      assert.equal(user.displayName, 'Ann Renamed');
      for (const socket of [peerSocket, mateSocket]) assert.deepEqual(await socket.next((frame) => frame.t === 'profile'), { t: 'profile', user });
      for (const socket of [subscriberSocket, crowdSocket, strangerSocket, annSocket]) {
        await settle(socket);
        assert.deepEqual(socket.frames.filter((frame) => frame.t === 'profile'), [], 'no profile frame');
      }
      // Ann's own devices hear of it through her log, as before.
      await annSocket.next((frame) => frame.t === 'user_event' && frame.event.type === 'profile.updated');
      // Someone who missed the frame reads the same name from the summary.
      const summary = (await ok(t, peer, 'GET', '/v1/conversations')).conversations.find((c: { peer?: { id: string } }) => c.peer?.id === ann.user.id);
      assert.equal(summary.peer.displayName, 'Ann Renamed');
    });

    it('a request to join reaches the owner and admins holding manage_invites, not the others; an answer tells them too', async () => {
      const [owner, admin, moderator, member, asker] = await Promise.all(Array.from({ length: 5 }, () => createUser(t.url)));
      const conversation = await group(t, owner, 'Gated', [admin, moderator, member]);
      await ok(t, owner, 'PATCH', `/v1/conversations/${conversation.id}/members/${admin.user.id}`, { role: 'admin' });
      await ok(t, owner, 'PATCH', `/v1/conversations/${conversation.id}/members/${moderator.user.id}`, { role: 'moderator' });
      const { invite } = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/invites`, { requiresApproval: true });
      const [ownerSocket, adminSocket, moderatorSocket, memberSocket, askerSocket] = await Promise.all([open(owner), open(admin), open(moderator), open(member), open(asker)]);

      const asked = await ok(t, asker, 'POST', `/v1/invites/${invite.code}/join`, {});
      assert.equal(asked.status, 'pending');
      const pending = { t: 'join_request', conversationId: conversation.id, userId: asker.user.id, pending: true };
      for (const socket of [ownerSocket, adminSocket]) assert.deepEqual(await socket.next((frame) => frame.t === 'join_request'), pending);
      for (const socket of [moderatorSocket, memberSocket, askerSocket]) {
        await settle(socket);
        assert.deepEqual(socket.frames.filter((frame) => frame.t === 'join_request'), [], 'no join_request frame');
      }

      await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/join-requests/${asker.user.id}/approve`, {});
      assert.deepEqual(await adminSocket.next((frame) => frame.t === 'join_request' && frame.pending === false), { ...pending, pending: false });
      assert.deepEqual((await ok(t, admin, 'GET', `/v1/conversations/${conversation.id}/join-requests`)).requests, []);
    });
  });
}

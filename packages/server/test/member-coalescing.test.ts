import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { conversationLog, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { nextClientId } from './support/governance.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Joining a large group is O(1) in its size (issue 21 item 6): from MEMBER_EVENTS_COALESCE_AT
 * members on, a join or leave is in the log as always, goes in full to the person it concerns,
 * and reaches everyone else in one coalesced `members_changed` frame, sent before the next
 * event of the conversation (here the interval is long, so only that next event sends it).
 */
for (const backend of backends) {
  describe(`membership changes of a large group, coalesced (${backend.name})`, () => {
    let t: TestApp;
    const sockets: TestSocket[] = [];
    before(async () => {
      // Refusing sockets when the event loop lags is not what this suite is about (the machine may be busy).
      t = await startApp(backend, { env: { MEMBER_EVENTS_COALESCE_AT: '3', MEMBER_EVENTS_COALESCE_MS: '60000', OVERLOAD_EVENT_LOOP_LAG_MS: '0' } });
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

    it('joins and a leave above the threshold reach the members as one notice before the next message; the log has every one, gap-free', async () => {
      const [owner, early, b, c, d] = await Promise.all(Array.from({ length: 5 }, () => createUser(t.url)));
      const handle = `big${process.pid}${Date.now().toString(36)}`;
      const room = (await ok(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'Big', visibility: 'public', handle, memberIds: [early.user.id] })).conversation;
      assert.equal(room.memberCount, 2, 'below the threshold');
      const [ownerSocket, earlySocket, bSocket] = await Promise.all([open(owner), open(early), open(b)]);

      for (const joiner of [b, c, d]) await ok(t, joiner, 'POST', `/v1/conversations/${room.id}/join`);
      // The joiner hears of its own join in full, as in any group.
      const bJoin = await bSocket.next((frame) => frame.t === 'event' && frame.event.conversationId === room.id && frame.event.type === 'members.added');
      assert.deepEqual(bJoin.event.data.userIds, [b.user.id]);
      const dSocket = await open(d);
      await ok(t, d, 'POST', `/v1/conversations/${room.id}/leave`);
      const dLeft = await dSocket.next((frame) => frame.t === 'event' && frame.event.conversationId === room.id && frame.event.type === 'member.removed');
      assert.equal(dLeft.event.data.userId, d.user.id);

      const sent = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId('big'), text: 'welcome' });
      const log = await conversationLog(t, owner, room.id);
      assert.deepEqual(log.map((event) => event.seq), Array.from({ length: log.length }, (_, i) => i + 1), 'the log is gap-free');
      // The first two are the owner's and `early`'s at creation.
      const changes = log.filter((event) => event.type === 'members.added' || event.type === 'member.removed').slice(2);
      assert.deepEqual(changes.map((event) => [event.type, (event.data as { userIds?: string[]; userId?: string }).userIds ?? (event.data as { userId: string }).userId]),
        [['members.added', [b.user.id]], ['members.added', [c.user.id]], ['members.added', [d.user.id]], ['member.removed', d.user.id]], 'each change is in the log, named');
      const fromSeq = changes[0]!.seq;
      const toSeq = changes.at(-1)!.seq;
      assert.equal(sent.message.seq, toSeq + 1);

      for (const socket of [ownerSocket, earlySocket]) {
        const message = await socket.next((frame) => frame.t === 'event' && frame.event.seq === sent.message.seq);
        const notices = socket.frames.filter((frame) => frame.t === 'members_changed');
        assert.deepEqual(notices, [{ t: 'members_changed', conversationId: room.id, fromSeq, toSeq, memberCount: 4 }], 'one notice for the whole run');
        assert.ok(socket.frames.indexOf(notices[0]) < socket.frames.indexOf(message), 'the notice comes before the next event');
        assert.deepEqual(socket.events(room.id).filter((event) => event.seq >= fromSeq && event.seq <= toSeq), [], 'no change was pushed one by one');
      }
      const summary = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}`)).conversation;
      assert.equal(summary.memberCount, 4);
      assert.equal(summary.lastSeq, sent.message.seq);
    });

    it('below the threshold every change is still pushed to every member as its event', async () => {
      const [owner, mate, joiner] = await Promise.all(Array.from({ length: 3 }, () => createUser(t.url)));
      const handle = `small${process.pid}${Date.now().toString(36)}`;
      const room = (await ok(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'Small', visibility: 'public', handle, memberIds: [] })).conversation;
      const ownerSocket = await open(owner);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [mate.user.id] });
      const added = await ownerSocket.next((frame) => frame.t === 'event' && frame.event.conversationId === room.id && frame.event.type === 'members.added');
      assert.deepEqual(added.event.data.userIds, [mate.user.id]);
      // The third member reaches the threshold: from here on, coalesced.
      await ok(t, joiner, 'POST', `/v1/conversations/${room.id}/join`);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId('small'), text: 'hi' });
      const notice = await ownerSocket.next((frame) => frame.t === 'members_changed' && frame.conversationId === room.id);
      assert.equal(notice.memberCount, 3);
      assert.equal(notice.fromSeq, notice.toSeq);
    });
  });
}

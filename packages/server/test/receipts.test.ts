import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { rowCounts } from './support/storage.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

let ids = 0;
const clientMsgId = () => `rc-${process.pid}-${++ids}`;

for (const backend of backends) {
  describe(`delivery and read receipts (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let dave: TestUser;
    before(async () => {
      // Groups of up to 3 members get live receipts and "read by" lists.
      t = await startApp(backend, { env: { RECEIPTS_MAX_GROUP: '3' } });
      [alice, bob, carol, dave] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url), createUser(t.url)]);
    });
    after(() => t.close());

    const send = async (user: TestUser, conversationId: string, text: string) =>
      (await ok(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId: clientMsgId(), text })).message;
    const summary = async (user: TestUser, conversationId: string) => (await ok(t, user, 'GET', `/v1/conversations/${conversationId}`)).conversation;
    const receiptsOf = async (user: TestUser, conversationId: string, messageId: string) =>
      (await ok(t, user, 'GET', `/v1/conversations/${conversationId}/messages/${messageId}/receipts`)).receipts;

    it('shows the sender of a direct message sent, then delivered, then read, live and in the summary, without a single log entry', async () => {
      const pair = await direct(t, alice, bob);
      const aliceSocket = await TestSocket.open(t.wsUrl, alice.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const [m1, m2, m3] = [await send(alice, pair.id, 'one'), await send(alice, pair.id, 'two'), await send(alice, pair.id, 'three')];
        // Bob's pointers start where he joined: none of Alice's messages reached him yet.
        const joined = (await summary(bob, pair.id)).readSeq;
        assert.ok(joined < m1.seq);
        assert.deepEqual((await summary(alice, pair.id)).peerReceipts, { deliveredSeq: joined, readSeq: joined }, 'sent: nothing delivered yet');
        const logBefore = await rowCounts(t);
        // Bob's device reports what reached it (the SDK batches these).
        assert.deepEqual(await bobSocket.request('delivered', { conversations: [{ id: pair.id, seq: m2.seq }] }), {});
        const delivered = await aliceSocket.next((f) => f.t === 'receipt');
        assert.deepEqual(delivered, { t: 'receipt', conversationId: pair.id, userId: bob.user.id, deliveredSeq: m2.seq, readSeq: (await summary(bob, pair.id)).readSeq });
        assert.deepEqual((await summary(alice, pair.id)).peerReceipts, { deliveredSeq: m2.seq, readSeq: delivered.readSeq });
        // Reading implies delivery: both pointers move.
        await bobSocket.request('read', { conversationId: pair.id, seq: m3.seq });
        const read = await aliceSocket.next((f) => f.t === 'receipt' && f.readSeq === m3.seq);
        assert.equal(read.deliveredSeq, m3.seq);
        assert.deepEqual((await summary(alice, pair.id)).peerReceipts, { deliveredSeq: m3.seq, readSeq: m3.seq });
        // The sender's own devices and the reader are not told about themselves.
        assert.equal(bobSocket.frames.filter((f) => f.t === 'receipt').length, 0);
        // Receipts are pointers: no conversation event, no new row (the read adds one entry to Bob's own log).
        const logAfter = await rowCounts(t);
        assert.equal(logAfter.conversation_events, logBefore.conversation_events);
        assert.equal(logAfter.user_events, logBefore.user_events! + 1);
        const receipts = await receiptsOf(alice, pair.id, m1.id);
        assert.deepEqual(receipts, { messageId: m1.id, seq: m1.seq, recipients: 1, readCount: 1, deliveredCount: 1, readBy: [bob.user.id], deliveredTo: [] });
      } finally {
        aliceSocket.close();
        bobSocket.close();
      }
    });

    it('never moves a delivered pointer back or past the end, and skips conversations you are not in', async () => {
      const pair = await direct(t, carol, dave);
      const m = await send(carol, pair.id, 'hello');
      await ok(t, dave, 'POST', '/v1/me/delivered', { conversations: [{ id: pair.id, seq: m.seq + 50 }, { id: 'not-mine', seq: 3 }] });
      assert.deepEqual((await summary(carol, pair.id)).peerReceipts, { deliveredSeq: m.seq, readSeq: (await summary(dave, pair.id)).readSeq }, 'capped at the last seq');
      await ok(t, dave, 'POST', '/v1/me/delivered', { conversations: [{ id: pair.id, seq: 1 }] });
      assert.equal((await summary(carol, pair.id)).peerReceipts.deliveredSeq, m.seq, 'never back');
      // Someone else's conversation is skipped, and reveals nothing.
      await ok(t, alice, 'POST', '/v1/me/delivered', { conversations: [{ id: pair.id, seq: m.seq }] });
      const bad = await call(t, dave, 'POST', '/v1/me/delivered', { conversations: [] });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'validation_failed');
      assert.equal((await summary(carol, pair.id)).peerReceipts.deliveredSeq, m.seq);
    });

    it('lists who read a group message for its sender in small groups, counts only in larger groups, and pushes pointer moves only in small ones', async () => {
      const small = await group(t, alice, 'Small', [bob, carol]);
      const large = await group(t, alice, 'Large', [bob, carol, dave]);
      const aliceSocket = await TestSocket.open(t.wsUrl, alice.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const inSmall = await send(alice, small.id, 'small talk');
        const inLarge = await send(alice, large.id, 'big talk');
        await bobSocket.request('read', { conversationId: small.id, seq: inSmall.seq });
        await bobSocket.request('read', { conversationId: large.id, seq: inLarge.seq });
        await ok(t, carol, 'POST', '/v1/me/delivered', { conversations: [{ id: small.id, seq: inSmall.seq }, { id: large.id, seq: inLarge.seq }] });
        await aliceSocket.next((f) => f.t === 'receipt' && f.userId === carol.user.id);
        // A marker in the large group: receipts for it would have arrived before this.
        const marker = await send(bob, large.id, 'marker');
        await aliceSocket.next((f) => f.t === 'event' && f.event.seq === marker.seq);
        assert.deepEqual(aliceSocket.frames.filter((f) => f.t === 'receipt').map((f) => [f.conversationId, f.userId]), [[small.id, bob.user.id], [small.id, carol.user.id]]);

        assert.deepEqual(await receiptsOf(alice, small.id, inSmall.id), { messageId: inSmall.id, seq: inSmall.seq, recipients: 2, readCount: 1, deliveredCount: 2, readBy: [bob.user.id], deliveredTo: [carol.user.id] });
        assert.deepEqual(await receiptsOf(alice, large.id, inLarge.id), { messageId: inLarge.id, seq: inLarge.seq, recipients: 3, readCount: 1, deliveredCount: 2, readBy: null, deliveredTo: null });
        // Who read what is the sender's to know; other members see counts.
        assert.equal((await receiptsOf(bob, small.id, inSmall.id)).readBy, null);
        assert.equal((await call(t, dave, 'GET', `/v1/conversations/${small.id}/messages/${inSmall.id}/receipts`)).status, 404);
        assert.equal((await call(t, alice, 'GET', `/v1/conversations/${small.id}/messages/no-such-message/receipts`)).status, 404);
      } finally {
        aliceSocket.close();
        bobSocket.close();
      }
    });

    it('counts views in a channel (never who), keeps no delivery pointers there, and leaves later joiners out of the count', async () => {
      const { conversation: channel } = await ok(t, alice, 'POST', '/v1/conversations', { kind: 'channel', title: 'News', memberIds: [bob.user.id, carol.user.id] });
      const post = await send(alice, channel.id, 'news');
      await ok(t, bob, 'POST', `/v1/conversations/${channel.id}/read`, { seq: post.seq });
      await ok(t, carol, 'POST', '/v1/me/delivered', { conversations: [{ id: channel.id, seq: post.seq }] });
      await ok(t, alice, 'POST', `/v1/conversations/${channel.id}/members`, { userIds: [dave.user.id] });
      const receipts = await receiptsOf(alice, channel.id, post.id);
      assert.deepEqual(receipts, { messageId: post.id, seq: post.seq, recipients: 2, readCount: 1, deliveredCount: 1, readBy: null, deliveredTo: null });
      const row = await t.app.db.kysely.selectFrom('members').select('delivered_seq').where('conversation_id', '=', channel.id).where('user_id', '=', carol.user.id).executeTakeFirstOrThrow();
      assert.equal(row.delivered_seq, 0);
    });

    it('keeps unread counts exact per conversation and in total: only messages from others, moved by reads on any device', async () => {
      const pair = await group(t, carol, 'Unread', [dave]);
      const listBefore = await ok(t, dave, 'GET', '/v1/conversations');
      await send(carol, pair.id, 'a');
      await send(dave, pair.id, 'mine does not count');
      const last = await send(carol, pair.id, 'b');
      const phone = await TestSocket.open(t.wsUrl, dave.token);
      try {
        assert.equal((await summary(dave, pair.id)).unreadCount, 2);
        assert.equal((await ok(t, dave, 'GET', '/v1/conversations')).totalUnread, listBefore.totalUnread + 2);
        const answer = await phone.request('read', { conversationId: pair.id, seq: last.seq - 1 });
        assert.deepEqual(answer, { readSeq: last.seq - 1, unreadCount: 1 });
        await phone.next((f) => f.t === 'user_event' && f.event.type === 'read');
        assert.equal((await summary(dave, pair.id)).unreadCount, 1);
        await waitFor(async () => (await ok(t, dave, 'GET', '/v1/conversations')).totalUnread === listBefore.totalUnread + 1, 'the total to follow');
      } finally {
        phone.close();
      }
    });
  });
}

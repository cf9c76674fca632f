import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { rowCounts } from './support/storage.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const TTL = 1_500;
const THROTTLE = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  describe(`typing indicators (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let dave: TestUser;
    before(async () => {
      t = await startApp(backend, { env: { TYPING_TTL_MS: String(TTL), TYPING_THROTTLE_MS: String(THROTTLE) } });
      [alice, bob, carol, dave] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url), createUser(t.url)]);
    });
    after(() => t.close());

    const typingFrames = (socket: TestSocket, conversationId?: string) =>
      socket.frames.filter((f) => f.t === 'typing' && (!conversationId || f.conversationId === conversationId));

    it('reaches only the members online in that conversation, never the typist, a non-member or an offline member, and writes nothing to storage', async () => {
      const room = await group(t, alice, 'Typing room', [bob, carol]);
      const [aliceSocket, bobSocket, daveSocket] = await Promise.all([TestSocket.open(t.wsUrl, alice.token), TestSocket.open(t.wsUrl, bob.token), TestSocket.open(t.wsUrl, dave.token)]);
      try {
        const before = await rowCounts(t);
        assert.deepEqual(await aliceSocket.request('typing', { conversationId: room.id }), {});
        const frame = await bobSocket.next((f) => f.t === 'typing');
        assert.deepEqual(frame, { t: 'typing', conversationId: room.id, userId: alice.user.id, typing: true, expiresInMs: TTL });
        // A message afterwards is the marker: whoever gets typing got it before this.
        await aliceSocket.request('send', { conversationId: room.id, clientMsgId: 'after-typing', text: 'done typing' });
        await bobSocket.next((f) => f.t === 'event' && f.event.type === 'message.created');
        assert.deepEqual(typingFrames(aliceSocket), [], 'the typist does not hear itself');
        assert.deepEqual(typingFrames(daveSocket), [], 'a non-member hears nothing');
        // Carol was offline: nothing waits for her, and nothing about typing is anywhere in storage.
        const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
        await sleep(100);
        assert.deepEqual(typingFrames(carolSocket), [], 'an offline member never gets it later');
        carolSocket.close();
        const afterwards = await rowCounts(t);
        // The message is the only row written (plus its event, its search entry and its push outbox row).
        assert.equal(afterwards.messages, before.messages! + 1);
        assert.equal(afterwards.conversation_events, before.conversation_events! + 1);
        const ofTheMessage = (table: string) => table === 'messages' || table === 'conversation_events' || table === 'message_search_docs' || table.startsWith('message_fts') || table === 'push_outbox';
        for (const table of Object.keys(before)) if (!ofTheMessage(table)) assert.equal(afterwards[table], before[table], `rows of ${table}`);
      } finally {
        for (const socket of [aliceSocket, bobSocket, daveSocket]) socket.close();
      }
    });

    it('never writes a row for typing, however much of it there is', async () => {
      const pair = await direct(t, alice, bob);
      const [aliceSocket, bobSocket] = await Promise.all([TestSocket.open(t.wsUrl, alice.token), TestSocket.open(t.wsUrl, bob.token)]);
      try {
        const before = await rowCounts(t);
        for (let i = 0; i < 30; i++) {
          await aliceSocket.request('typing', { conversationId: pair.id, typing: i % 3 !== 2 });
          await bobSocket.request('typing', { conversationId: pair.id });
        }
        await sleep(THROTTLE + 50);
        await aliceSocket.request('typing', { conversationId: pair.id });
        await bobSocket.next((f) => f.t === 'typing');
        assert.deepEqual(await rowCounts(t), before);
      } finally {
        aliceSocket.close();
        bobSocket.close();
      }
    });

    it('is throttled per user and conversation, forwards a stop only after a start, and expires on its own (no frame says so)', async () => {
      const pair = await group(t, alice, 'Throttle', [bob]);
      const [aliceSocket, bobSocket] = await Promise.all([TestSocket.open(t.wsUrl, alice.token), TestSocket.open(t.wsUrl, bob.token)]);
      try {
        await bobSocket.request('typing', { conversationId: pair.id, typing: false });
        for (let i = 0; i < 8; i++) await aliceSocket.request('typing', { conversationId: pair.id });
        await waitFor(() => typingFrames(bobSocket, pair.id).length >= 1, 'the first typing frame');
        await sleep(100);
        assert.equal(typingFrames(bobSocket, pair.id).length, 1, 'eight keystrokes inside the throttle: one frame');
        assert.equal(typingFrames(aliceSocket, pair.id).length, 0, 'a stop without a start is not forwarded');
        await sleep(THROTTLE);
        await aliceSocket.request('typing', { conversationId: pair.id });
        await waitFor(() => typingFrames(bobSocket, pair.id).length === 2, 'a renewal after the throttle interval');
        await aliceSocket.request('typing', { conversationId: pair.id, typing: false });
        await waitFor(() => typingFrames(bobSocket, pair.id).length === 3, 'the stop');
        assert.deepEqual(typingFrames(bobSocket, pair.id).map((f) => [f.typing, f.expiresInMs]), [[true, TTL], [true, TTL], [false, 0]]);
        // Started again and left: it ends by its expiry alone, the server sends nothing more.
        await aliceSocket.request('typing', { conversationId: pair.id });
        await waitFor(() => typingFrames(bobSocket, pair.id).length === 4, 'typing again');
        await sleep(TTL + 200);
        assert.equal(typingFrames(bobSocket, pair.id).length, 4);
      } finally {
        aliceSocket.close();
        bobSocket.close();
      }
    });

    it('is never fanned out in a channel, and refused like any read for a conversation you are not in', async () => {
      const { conversation: channel } = await ok(t, alice, 'POST', '/v1/conversations', { kind: 'channel', title: 'Announcements', memberIds: [bob.user.id] });
      const [aliceSocket, bobSocket] = await Promise.all([TestSocket.open(t.wsUrl, alice.token), TestSocket.open(t.wsUrl, bob.token)]);
      try {
        assert.deepEqual(await aliceSocket.request('typing', { conversationId: channel.id }), {});
        await assert.rejects(() => aliceSocket.request('typing', { conversationId: 'not-a-conversation' }), (error: any) => error.body.code === 'not_found');
        const outsider = await TestSocket.open(t.wsUrl, dave.token);
        await assert.rejects(() => outsider.request('typing', { conversationId: channel.id }), (error: any) => error.body.code === 'not_found');
        outsider.close();
        await aliceSocket.request('send', { conversationId: channel.id, clientMsgId: 'post-1', text: 'post' });
        await bobSocket.next((f) => f.t === 'event' && f.event.type === 'message.created');
        assert.deepEqual(typingFrames(bobSocket), []);
      } finally {
        aliceSocket.close();
        bobSocket.close();
      }
    });
  });
}

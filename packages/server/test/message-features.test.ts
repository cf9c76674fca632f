import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import { call, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { channel, create, events, nextClientId, refused, send, seenLiveAndInLog, texts, trySend, view } from './support/governance.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const THUMBS = '👍';
const HEART = '❤️';
const emojiPath = (id: string, messageId: string, emoji: string) => `/v1/conversations/${id}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;
const react = (t: TestApp, user: TestUser, id: string, messageId: string, emoji: string) => ok(t, user, 'PUT', emojiPath(id, messageId, emoji));
const unreact = (t: TestApp, user: TestUser, id: string, messageId: string, emoji: string) => ok(t, user, 'DELETE', emojiPath(id, messageId, emoji));

async function history(t: TestApp, user: TestUser, id: string): Promise<{ messages: Message[]; myReactions: Record<string, string[]> }> {
  return ok(t, user, 'GET', `/v1/conversations/${id}/messages`);
}

function forward(t: TestApp, user: TestUser, into: string, from: { conversationId: string; messageId: string }, clientMsgId = nextClientId('fw')) {
  return call(t, user, 'POST', `/v1/conversations/${into}/forward`, { clientMsgId, from });
}

let handles = 0;
const handle = (prefix: string) => `${prefix}${process.pid % 10_000}f${++handles}`;

for (const backend of backends) {
  describe(`reactions (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('count who reacted with what, idempotently, with events that carry the count after the change', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, owner, 'Reacts', [bob, carol]);
      const message = await send(t, owner, room.id, 'react to me');
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      try {
        await react(t, bob, room.id, message.id, THUMBS);
        const first = await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'reaction.added', (e) => e.data.userId === bob.user.id);
        assert.deepEqual([first.actorId, first.data], [bob.user.id, { messageId: message.id, userId: bob.user.id, emoji: THUMBS, count: 1 }]);
        await react(t, carol, room.id, message.id, THUMBS);
        const second = await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'reaction.added', (e) => e.data.userId === carol.user.id && e.data.emoji === THUMBS);
        assert.equal((second.data as any).count, 2);
        await react(t, carol, room.id, message.id, HEART);
        const heart = await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'reaction.added', (e) => e.data.emoji === HEART);
        assert.equal((heart.data as any).count, 1);
        // The same reaction again: accepted, nothing written.
        const head = (await view(t, owner, room.id)).lastSeq;
        await react(t, bob, room.id, message.id, THUMBS);
        assert.equal((await view(t, owner, room.id)).lastSeq, head);

        const who = await ok(t, owner, 'GET', `/v1/conversations/${room.id}/messages/${message.id}/reactions`);
        assert.deepEqual(who, { reactions: [{ emoji: THUMBS, count: 2, userIds: [bob.user.id, carol.user.id] }, { emoji: HEART, count: 1, userIds: [carol.user.id] }] });
        // History carries the counts (most used first) and each reader's own reactions.
        const forBob = await history(t, bob, room.id);
        assert.deepEqual(forBob.messages[0]!.reactions, [{ emoji: THUMBS, count: 2 }, { emoji: HEART, count: 1 }]);
        assert.deepEqual(forBob.myReactions, { [message.id]: [THUMBS] });
        assert.deepEqual((await history(t, carol, room.id)).myReactions, { [message.id]: [THUMBS, HEART] });
        assert.deepEqual((await history(t, owner, room.id)).myReactions, {});
        // So does the message as the log shows it now.
        const created = (await events(t, owner, room.id)).find((e) => e.type === 'message.created')!;
        assert.deepEqual((created.data as any).message.reactions, [{ emoji: THUMBS, count: 2 }, { emoji: HEART, count: 1 }]);

        await unreact(t, bob, room.id, message.id, THUMBS);
        const removed = await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'reaction.removed', (e) => e.data.userId === bob.user.id);
        assert.deepEqual(removed.data, { messageId: message.id, userId: bob.user.id, emoji: THUMBS, count: 1 });
        // Taking back what is not there writes nothing.
        const again = (await view(t, owner, room.id)).lastSeq;
        await unreact(t, bob, room.id, message.id, THUMBS);
        assert.equal((await view(t, owner, room.id)).lastSeq, again);
        assert.deepEqual((await history(t, bob, room.id)).myReactions, {});
      } finally {
        ownerSocket.close();
      }
    });

    it('limit the distinct reactions one person puts on a message, and refuse bad emoji', async () => {
      const owner = await createUser(t.url);
      const room = await group(t, owner, 'Limits', []);
      const message = await send(t, owner, room.id, 'lots');
      const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊'];
      for (const e of emoji) await react(t, owner, room.id, message.id, e);
      const head = (await view(t, owner, room.id)).lastSeq;
      refused(await call(t, owner, 'PUT', emojiPath(room.id, message.id, '😋')), 422, 'limit_exceeded');
      // One already there is still fine (idempotent).
      await react(t, owner, room.id, message.id, emoji[0]!);
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      assert.equal((await history(t, owner, room.id)).myReactions[message.id]!.length, 10);
      refused(await call(t, owner, 'PUT', emojiPath(room.id, message.id, 'two words')), 400, 'validation_failed');
      refused(await call(t, owner, 'PUT', emojiPath(room.id, message.id, 'x'.repeat(33))), 400, 'validation_failed');
    });

    it('are for members only, on messages that exist, and go with a deleted message', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, owner, 'Members', [bob]);
      const message = await send(t, owner, room.id, 'mine');
      await react(t, bob, room.id, message.id, THUMBS);
      refused(await call(t, outsider, 'PUT', emojiPath(room.id, message.id, THUMBS)), 404, 'not_found');
      refused(await call(t, outsider, 'GET', `/v1/conversations/${room.id}/messages/${message.id}/reactions`), 404, 'not_found');
      refused(await call(t, bob, 'PUT', emojiPath(room.id, 'no-such-message', THUMBS)), 404, 'not_found');
      // A message of another conversation is not found here.
      const elsewhere = await group(t, outsider, 'Elsewhere', []);
      const foreign = await send(t, outsider, elsewhere.id, 'foreign');
      refused(await call(t, bob, 'PUT', emojiPath(room.id, foreign.id, THUMBS)), 404, 'not_found');
      await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`);
      refused(await call(t, bob, 'PUT', emojiPath(room.id, message.id, HEART)), 404, 'not_found');
      const [deleted] = (await history(t, bob, room.id)).messages;
      assert.deepEqual(deleted!.reactions, []);
      assert.deepEqual((await ok(t, bob, 'GET', `/v1/conversations/${room.id}/messages/${message.id}/reactions`)).reactions, []);
    });

    it('show on the conversation summary\'s last message', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, owner, bob);
      const message = await send(t, owner, pair.id, 'summarised');
      await react(t, bob, pair.id, message.id, HEART);
      assert.deepEqual((await view(t, owner, pair.id)).lastMessage!.reactions, [{ emoji: HEART, count: 1 }]);
      const listed = (await ok(t, owner, 'GET', '/v1/conversations')).conversations[0];
      assert.deepEqual(listed.lastMessage.reactions, [{ emoji: HEART, count: 1 }]);
    });
  });

  describe(`pins (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('need pin_messages, show in the summary most recent first, with events live and in the log', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Pins', [bob]);
      const first = await send(t, bob, room.id, 'first');
      const second = await send(t, owner, room.id, 'second');
      // Group members do not pin by default.
      const head = (await view(t, owner, room.id)).lastSeq;
      refused(await call(t, bob, 'PUT', `/v1/conversations/${room.id}/messages/${first.id}/pin`), 403, 'forbidden');
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/messages/${first.id}/pin`);
        const pinned = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'message.pinned');
        assert.deepEqual([pinned.actorId, pinned.data], [owner.user.id, { messageId: first.id }]);
        await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/messages/${second.id}/pin`);
        await seenLiveAndInLog(t, bob, bobSocket, room.id, 'message.pinned', (e) => e.data.messageId === second.id);
        assert.deepEqual((await view(t, bob, room.id)).pinnedMessageIds, [second.id, first.id]);
        assert.deepEqual((await ok(t, bob, 'GET', `/v1/conversations/${room.id}/pins`)).messages.map((m: Message) => m.text), ['second', 'first']);
        // Pinning again changes nothing.
        const before = (await view(t, owner, room.id)).lastSeq;
        await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/messages/${first.id}/pin`);
        assert.equal((await view(t, owner, room.id)).lastSeq, before);
        await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/messages/${second.id}/pin`);
        const unpinned = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'message.unpinned');
        assert.deepEqual(unpinned.data, { messageId: second.id });
        assert.deepEqual((await view(t, bob, room.id)).pinnedMessageIds, [first.id]);
        // Unpinning what is not pinned writes nothing.
        const after = (await view(t, owner, room.id)).lastSeq;
        await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/messages/${second.id}/pin`);
        assert.equal((await view(t, owner, room.id)).lastSeq, after);
      } finally {
        bobSocket.close();
      }
      // A group that gives its members pin_messages lets them pin.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages', 'pin_messages'] } });
      await ok(t, bob, 'PUT', `/v1/conversations/${room.id}/messages/${second.id}/pin`);
      // Deleting a pinned message unpins it; a deleted or unknown message cannot be pinned.
      await ok(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${first.id}`);
      assert.deepEqual((await view(t, bob, room.id)).pinnedMessageIds, [second.id]);
      refused(await call(t, bob, 'PUT', `/v1/conversations/${room.id}/messages/${first.id}/pin`), 404, 'not_found');
      refused(await call(t, bob, 'PUT', `/v1/conversations/${room.id}/messages/no-such-message/pin`), 404, 'not_found');
    });

    it('are open to both members of a direct conversation, and closed to channel subscribers', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      const message = await send(t, alice, pair.id, 'pin me');
      await ok(t, bob, 'PUT', `/v1/conversations/${pair.id}/messages/${message.id}/pin`);
      assert.deepEqual((await view(t, alice, pair.id)).pinnedMessageIds, [message.id]);
      const news = await channel(t, alice, 'News', [bob]);
      const post = await send(t, alice, news.id, 'post');
      refused(await call(t, bob, 'PUT', `/v1/conversations/${news.id}/messages/${post.id}/pin`), 403, 'forbidden');
      await ok(t, alice, 'PUT', `/v1/conversations/${news.id}/messages/${post.id}/pin`);
      assert.deepEqual((await view(t, bob, news.id)).pinnedMessageIds, [post.id]);
    });
  });

  describe(`forwarding (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('attributes a forward to the original, naming a public source; a forward of a forward credits the first', async () => {
      const editor = await createUser(t.url);
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const news = await channel(t, editor, 'World News', [alice], { handle: handle('world') });
      const post = await send(t, editor, news.id, 'Big news');
      const chat = await group(t, alice, 'Chat', [bob]);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      let forwarded: Message;
      try {
        forwarded = (await ok(t, alice, 'POST', `/v1/conversations/${chat.id}/forward`, { clientMsgId: 'fw-1', from: { conversationId: news.id, messageId: post.id } })).message;
        assert.equal(forwarded.text, 'Big news');
        assert.equal(forwarded.senderId, alice.user.id);
        assert.deepEqual(forwarded.forwardedFrom, { messageId: post.id, senderId: editor.user.id, conversationId: news.id, conversationTitle: 'World News', createdAt: post.createdAt });
        const live = await seenLiveAndInLog(t, bob, bobSocket, chat.id, 'message.created', (e) => e.data.message.id === forwarded.id);
        assert.deepEqual((live.data as any).message.forwardedFrom, forwarded.forwardedFrom);
      } finally {
        bobSocket.close();
      }
      // Retrying with the same clientMsgId returns the same forward.
      const retried = (await ok(t, alice, 'POST', `/v1/conversations/${chat.id}/forward`, { clientMsgId: 'fw-1', from: { conversationId: news.id, messageId: post.id } })).message;
      assert.equal(retried.id, forwarded.id);
      assert.deepEqual(await texts(t, bob, chat.id), ['Big news']);
      // Onwards: still credited to the channel post.
      const onwards = await group(t, bob, 'Onwards', [carol]);
      const again = (await ok(t, bob, 'POST', `/v1/conversations/${onwards.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: chat.id, messageId: forwarded.id } })).message;
      assert.deepEqual(again.forwardedFrom, forwarded.forwardedFrom);
      assert.deepEqual((await ok(t, carol, 'GET', `/v1/conversations/${onwards.id}/messages`)).messages[0].forwardedFrom, forwarded.forwardedFrom);
    });

    it('keeps a private source unnamed', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const secret = await group(t, alice, 'Secret plans', [bob]);
      const original = await send(t, bob, secret.id, 'the plan');
      const pair = await direct(t, alice, bob);
      const forwarded = (await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: secret.id, messageId: original.id } })).message;
      assert.deepEqual(forwarded.forwardedFrom, { messageId: original.id, senderId: bob.user.id, conversationId: null, conversationTitle: null, createdAt: original.createdAt });
    });

    it('refuses forwarding out of protected conversations, from places you cannot see, deleted messages, and into places you may not post', async () => {
      const owner = await createUser(t.url);
      const alice = await createUser(t.url);
      const outsider = await createUser(t.url);
      const vault = await create(t, owner, { kind: 'group', title: 'Vault', memberIds: [alice.user.id], settings: { protectedContent: true } });
      const treasure = await send(t, owner, vault.id, 'the treasure');
      const target = await group(t, alice, 'Target', [outsider]);
      const head = (await view(t, alice, target.id)).lastSeq;
      refused(await forward(t, alice, target.id, { conversationId: vault.id, messageId: treasure.id }), 403, 'forbidden', /forward/);
      // Within the protected conversation itself the content stays in it: still refused.
      refused(await forward(t, owner, vault.id, { conversationId: vault.id, messageId: treasure.id }), 403, 'forbidden');
      assert.equal((await view(t, alice, target.id)).lastSeq, head);
      // Lifting the protection lets it out.
      await ok(t, owner, 'PATCH', `/v1/conversations/${vault.id}`, { settings: { protectedContent: false } });
      await ok(t, alice, 'POST', `/v1/conversations/${target.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: vault.id, messageId: treasure.id } });

      const notSeen = refused(await forward(t, outsider, target.id, { conversationId: vault.id, messageId: treasure.id }), 404, 'not_found');
      assert.deepEqual(notSeen, refused(await forward(t, outsider, target.id, { conversationId: 'no-such-room', messageId: treasure.id }), 404, 'not_found'));
      refused(await forward(t, alice, target.id, { conversationId: vault.id, messageId: 'no-such-message' }), 404, 'not_found');
      const gone = await send(t, owner, vault.id, 'soon gone');
      await ok(t, owner, 'DELETE', `/v1/conversations/${vault.id}/messages/${gone.id}`);
      refused(await forward(t, alice, target.id, { conversationId: vault.id, messageId: gone.id }), 404, 'not_found');
      // Into a channel where you are only a subscriber: refused like any other post.
      const news = await channel(t, owner, 'News', [alice]);
      refused(await forward(t, alice, news.id, { conversationId: vault.id, messageId: treasure.id }), 403, 'forbidden');
      assert.deepEqual(await texts(t, owner, news.id), []);
    });
  });

  describe(`message features over the socket (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('react, unreact, pin, unpin and forward frames do what their routes do, and are refused the same way', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Frames', [bob]);
      const other = await group(t, bob, 'Other', []);
      const message = await send(t, owner, room.id, 'over the wire');
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      const refusal = async (socket: TestSocket, type: string, payload: Record<string, unknown>) => {
        try {
          return { ack: await socket.request(type, payload) };
        } catch (error) {
          return (error as { body: { code: string } }).body;
        }
      };
      try {
        assert.deepEqual(await bobSocket.request('react', { conversationId: room.id, messageId: message.id, emoji: THUMBS }), {});
        const added = await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'reaction.added');
        assert.deepEqual(added.data, { messageId: message.id, userId: bob.user.id, emoji: THUMBS, count: 1 });
        assert.deepEqual((await history(t, bob, room.id)).myReactions, { [message.id]: [THUMBS] });
        await bobSocket.request('unreact', { conversationId: room.id, messageId: message.id, emoji: THUMBS });
        await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'reaction.removed');
        // Pinning needs pin_messages on the socket too.
        assert.equal((await refusal(bobSocket, 'pin', { conversationId: room.id, messageId: message.id }) as any).code, 'forbidden');
        await ownerSocket.request('pin', { conversationId: room.id, messageId: message.id });
        assert.deepEqual((await view(t, bob, room.id)).pinnedMessageIds, [message.id]);
        await ownerSocket.request('unpin', { conversationId: room.id, messageId: message.id });
        assert.deepEqual((await view(t, bob, room.id)).pinnedMessageIds, []);
        const forwarded = await bobSocket.request('forward', { conversationId: other.id, clientMsgId: 'fw-frame', from: { conversationId: room.id, messageId: message.id } });
        assert.equal(forwarded.message.text, 'over the wire');
        assert.deepEqual(forwarded.message.forwardedFrom, { messageId: message.id, senderId: owner.user.id, conversationId: null, conversationTitle: null, createdAt: message.createdAt });
        assert.equal(forwarded.seq, forwarded.message.seq);
        // Protected content refuses the frame as it refuses the route.
        await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { protectedContent: true } });
        assert.equal((await refusal(bobSocket, 'forward', { conversationId: other.id, clientMsgId: 'fw-frame-2', from: { conversationId: room.id, messageId: message.id } }) as any).code, 'forbidden');
        assert.deepEqual(await texts(t, bob, other.id), ['over the wire']);
        // The connection stays usable after refusals.
        assert.deepEqual(await bobSocket.request('ping'), {});
      } finally {
        bobSocket.close();
        ownerSocket.close();
      }
    });
  });

  describe(`links (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('need send_links: without it a message with a link is refused and stores nothing, plain text goes', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await create(t, owner, { kind: 'group', title: 'No links', memberIds: [bob.user.id], settings: { memberRights: ['send_messages'] } });
      const head = (await view(t, owner, room.id)).lastSeq;
      for (const text of ['see https://example.com/x', 'http://evil.test', 'go to www.example.org', 'visit example.com now']) {
        refused(await trySend(t, bob, room.id, text), 403, 'forbidden', /link/);
      }
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      await send(t, bob, room.id, 'plain words, no address');
      // Staff keep the right.
      await send(t, owner, room.id, 'official: https://example.com');
      assert.deepEqual(await texts(t, bob, room.id), ['plain words, no address', 'official: https://example.com']);
      // A forward is a message too: a link cannot be forwarded in either.
      const source = await group(t, bob, 'Source', []);
      const withLink = await send(t, bob, source.id, 'read https://example.com/article');
      refused(await forward(t, bob, room.id, { conversationId: source.id, messageId: withLink.id }), 403, 'forbidden');
      // An edit cannot smuggle one in.
      const [plain] = (await history(t, bob, room.id)).messages;
      const edited = await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${plain!.id}`, { text: 'now with https://example.com' });
      refused(edited, 403, 'forbidden');
      assert.deepEqual(await texts(t, bob, room.id), ['plain words, no address', 'official: https://example.com']);
      // Given the right, members send links again.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages', 'send_links'] } });
      await send(t, bob, room.id, 'finally https://example.com');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@parley/protocol';
import { call, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, expectOk, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

let clientIds = 0;
async function send(t: TestApp, user: TestUser, conversationId: string, text: string): Promise<Message> {
  return (await ok(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId: `ac-${++clientIds}`, text })).message;
}

/** Shared state of a conversation as a member sees it, to prove a refused request changed nothing. */
async function snapshot(t: TestApp, member: TestUser, id: string) {
  const conversation = (await ok(t, member, 'GET', `/v1/conversations/${id}`)).conversation;
  const members = (await ok(t, member, 'GET', `/v1/conversations/${id}/members`)).members.map((m: any) => [m.userId, m.role]);
  const messages = (await ok(t, member, 'GET', `/v1/conversations/${id}/messages`)).messages;
  return { lastSeq: conversation.lastSeq, title: conversation.title, memberCount: conversation.memberCount, members, messages };
}

/**
 * Makes sure everything published before now has reached `socket`: sends a message in a
 * conversation the socket's user belongs to and waits for it. Live delivery on one node is
 * in publish order, so anything that was going to arrive before it has arrived.
 */
async function fence(t: TestApp, sender: TestUser, conversationId: string, socket: TestSocket): Promise<void> {
  const message = await send(t, sender, conversationId, `fence ${clientIds}`);
  await socket.next((f) => f.t === 'event' && f.event.conversationId === conversationId && f.event.seq === message.seq);
}

const UNKNOWN = 'no-such-conversation';

/** Every HTTP route that takes a conversation id, with a harmless body (or one made from the id). */
function routes(messageId: string, memberId: string, selfId: string, own: { id: string; messageId: string }): Array<[string, (id: string) => string, unknown?]> {
  const thumbs = encodeURIComponent('👍');
  return [
    ['GET', (id) => `/v1/conversations/${id}`],
    ['PATCH', (id) => `/v1/conversations/${id}`, { title: 'taken over' }],
    ['GET', (id) => `/v1/conversations/${id}/members`],
    ['POST', (id) => `/v1/conversations/${id}/members`, { userIds: [selfId] }],
    ['DELETE', (id) => `/v1/conversations/${id}/members/${memberId}`],
    ['DELETE', (id) => `/v1/conversations/${id}/members/${selfId}`],
    ['POST', (id) => `/v1/conversations/${id}/leave`],
    ['GET', (id) => `/v1/conversations/${id}/messages`],
    ['GET', (id) => `/v1/conversations/${id}/messages?after=0&limit=5`],
    ['POST', (id) => `/v1/conversations/${id}/messages`, { clientMsgId: 'intruder-1', text: 'let me in' }],
    ['POST', (id) => `/v1/conversations/${id}/messages`, { clientMsgId: 'intruder-2', text: 'reply', replyTo: messageId }],
    ['PATCH', (id) => `/v1/conversations/${id}/messages/${messageId}`, { text: 'rewritten' }],
    ['DELETE', (id) => `/v1/conversations/${id}/messages/${messageId}`],
    ['POST', (id) => `/v1/conversations/${id}/read`, { seq: 1 }],
    ['GET', (id) => `/v1/conversations/${id}/events`],
    ['GET', (id) => `/v1/conversations/${id}/events?after=0&limit=10`],
    // Governance: joining, moderation, roles, invites, reports, audit, reactions, pins, forwarding.
    ['POST', (id) => `/v1/conversations/${id}/join`],
    ['PATCH', (id) => `/v1/conversations/${id}`, { visibility: 'public', handle: 'stolen_handle' }],
    ['PATCH', (id) => `/v1/conversations/${id}/members/${memberId}`, { role: 'moderator' }],
    ['POST', (id) => `/v1/conversations/${id}/transfer`, { userId: selfId }],
    ['POST', (id) => `/v1/conversations/${id}/members/${memberId}/mute`, {}],
    ['DELETE', (id) => `/v1/conversations/${id}/members/${memberId}/mute`],
    ['GET', (id) => `/v1/conversations/${id}/bans`],
    ['POST', (id) => `/v1/conversations/${id}/bans`, { userId: memberId }],
    ['DELETE', (id) => `/v1/conversations/${id}/bans/${memberId}`],
    ['GET', (id) => `/v1/conversations/${id}/invites`],
    ['POST', (id) => `/v1/conversations/${id}/invites`, {}],
    ['DELETE', (id) => `/v1/conversations/${id}/invites/some-code`],
    ['GET', (id) => `/v1/conversations/${id}/join-requests`],
    ['POST', (id) => `/v1/conversations/${id}/join-requests/${memberId}/approve`],
    ['POST', (id) => `/v1/conversations/${id}/join-requests/${memberId}/decline`],
    ['GET', (id) => `/v1/conversations/${id}/audit`],
    ['GET', (id) => `/v1/conversations/${id}/reports`],
    ['POST', (id) => `/v1/conversations/${id}/reports/some-report/resolve`, { action: 'none' }],
    ['GET', (id) => `/v1/conversations/${id}/pins`],
    ['PUT', (id) => `/v1/conversations/${id}/messages/${messageId}/pin`],
    ['DELETE', (id) => `/v1/conversations/${id}/messages/${messageId}/pin`],
    ['GET', (id) => `/v1/conversations/${id}/messages/${messageId}/reactions`],
    ['PUT', (id) => `/v1/conversations/${id}/messages/${messageId}/reactions/${thumbs}`],
    ['DELETE', (id) => `/v1/conversations/${id}/messages/${messageId}/reactions/${thumbs}`],
    // Forwarding into it, and out of it into a conversation of one's own.
    ['POST', (id) => `/v1/conversations/${id}/forward`, { clientMsgId: 'intruder-4', from: { conversationId: own.id, messageId: own.messageId } }],
    ['POST', () => `/v1/conversations/${own.id}/forward`, (id: string) => ({ clientMsgId: `intruder-5-${id.length}`, from: { conversationId: id, messageId } })],
    ['POST', () => '/v1/reports', (id: string) => ({ targetType: 'message', targetId: messageId, conversationId: id, reason: 'spam' })],
    ['POST', () => '/v1/reports', (id: string) => ({ targetType: 'conversation', targetId: id, reason: 'spam' })],
  ];
}

/** Every socket request that takes a conversation id. */
function frames(messageId: string, memberId: string): Array<[string, (id: string) => Record<string, unknown>]> {
  return [
    ['send', (id) => ({ conversationId: id, clientMsgId: 'intruder-3', text: 'let me in' })],
    ['edit', (id) => ({ conversationId: id, messageId, text: 'rewritten' })],
    ['delete', (id) => ({ conversationId: id, messageId })],
    ['read', (id) => ({ conversationId: id, seq: 1 })],
    ['events', (id) => ({ conversationId: id, after: 0 })],
    ['forward', (id) => ({ conversationId: id, clientMsgId: 'intruder-6', from: { conversationId: id, messageId } })],
    ['react', (id) => ({ conversationId: id, messageId, emoji: '👍' })],
    ['unreact', (id) => ({ conversationId: id, messageId, emoji: '👍' })],
    ['pin', (id) => ({ conversationId: id, messageId })],
    ['unpin', (id) => ({ conversationId: id, messageId })],
    ['add_members', (id) => ({ conversationId: id, userIds: [memberId] })],
    ['remove_member', (id) => ({ conversationId: id, userId: memberId })],
    ['ban', (id) => ({ conversationId: id, userId: memberId })],
    ['mute', (id) => ({ conversationId: id, userId: memberId })],
    ['set_role', (id) => ({ conversationId: id, userId: memberId, role: 'moderator' })],
    ['update_conversation', (id) => ({ conversationId: id, title: 'taken over' })],
    ['create_invite', (id) => ({ conversationId: id })],
    ['audit', (id) => ({ conversationId: id })],
  ];
}

async function socketError(socket: TestSocket, type: string, payload: Record<string, unknown>): Promise<unknown> {
  try {
    const data = await socket.request(type, payload);
    return { unexpectedAck: data };
  } catch (error) {
    return (error as { body?: unknown }).body ?? error;
  }
}

// --- suites ------------------------------------------------------------------------------

for (const backend of backends) {
  describe(`access to a conversation you are not in (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let mallory: TestUser;
    let room: Conversation;
    let message: Message;
    before(async () => {
      t = await startApp(backend);
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      mallory = await createUser(t.url);
      room = await group(t, alice, 'Private room', [bob]);
      message = await send(t, bob, room.id, 'members only');
    });
    after(() => t.close());

    it('answers a non-member over HTTP exactly as for a conversation that does not exist, and changes nothing', async () => {
      const before = await snapshot(t, alice, room.id);
      const own = await direct(t, mallory, await createUser(t.url));
      const ownMessage = await send(t, mallory, own.id, 'my own words');
      for (const [method, path, body] of routes(message.id, bob.user.id, mallory.user.id, { id: own.id, messageId: ownMessage.id })) {
        const bodyFor = (id: string) => (typeof body === 'function' ? body(id) : body);
        const real = await call(t, mallory, method, path(room.id), bodyFor(room.id));
        const unknown = await call(t, mallory, method, path(UNKNOWN), bodyFor(UNKNOWN));
        assert.equal(real.status, 404, `${method} ${path(room.id)}: ${JSON.stringify(real.body)}`);
        assert.equal(real.body.error.code, 'not_found');
        assert.deepEqual(real.body, unknown.body, `${method} ${path('…')} reveals the conversation exists`);
      }
      assert.deepEqual(await snapshot(t, alice, room.id), before);
      // Only her own direct conversation: nothing of the room, in her list or her log.
      assert.deepEqual(expectOk(await call(t, mallory, 'GET', '/v1/conversations')).conversations.map((c: Conversation) => c.id), [own.id]);
      assert.deepEqual(expectOk(await call(t, mallory, 'GET', '/v1/me/events')).events.map((e: any) => e.data.conversationId), [own.id]);
      assert.deepEqual(expectOk(await call(t, mallory, 'GET', '/v1/me/heads')).conversations.map((c: any) => c.id), [own.id]);
      // Nothing was forwarded out of the room into her own conversation.
      assert.deepEqual(expectOk(await call(t, mallory, 'GET', `/v1/conversations/${own.id}/messages`)).messages.map((m: Message) => m.text), ['my own words']);
    });

    it('does not reveal a message of that conversation through a conversation you are in', async () => {
      const carol = await createUser(t.url);
      const own = await direct(t, mallory, carol);
      const head = (await ok(t, mallory, 'GET', `/v1/conversations/${own.id}`)).conversation.lastSeq;
      const edit = await call(t, mallory, 'PATCH', `/v1/conversations/${own.id}/messages/${message.id}`, { text: 'x' });
      const remove = await call(t, mallory, 'DELETE', `/v1/conversations/${own.id}/messages/${message.id}`);
      const reply = await call(t, mallory, 'POST', `/v1/conversations/${own.id}/messages`, { clientMsgId: 'cross', text: 'x', replyTo: message.id });
      const missing = await call(t, mallory, 'PATCH', `/v1/conversations/${own.id}/messages/no-such-message`, { text: 'x' });
      for (const result of [edit, remove, reply]) assert.equal(result.status, 404);
      assert.deepEqual(edit.body, missing.body);
      assert.equal((await ok(t, mallory, 'GET', `/v1/conversations/${own.id}`)).conversation.lastSeq, head);
      const { messages } = await ok(t, bob, 'GET', `/v1/conversations/${room.id}/messages`);
      assert.equal(messages.find((m: Message) => m.id === message.id).text, 'members only');
    });

    it('answers a non-member\'s socket requests exactly as for a conversation that does not exist, and changes nothing', async () => {
      const before = await snapshot(t, alice, room.id);
      const socket = await TestSocket.open(t.wsUrl, mallory.token);
      try {
        for (const [type, payload] of frames(message.id, bob.user.id)) {
          const real = await socketError(socket, type, payload(room.id));
          const unknown = await socketError(socket, type, payload(UNKNOWN));
          assert.equal((real as any).code, 'not_found', `${type}: ${JSON.stringify(real)}`);
          assert.deepEqual(real, unknown, `${type} reveals the conversation exists`);
        }
        const sync = await socket.request('sync', { userSeq: 0, conversations: [{ id: room.id, after: 0 }, { id: UNKNOWN, after: 0 }] });
        assert.deepEqual(sync.conversations, [
          { id: room.id, lastSeq: 0, events: [], hasMore: false, reset: false, gone: true },
          { id: UNKNOWN, lastSeq: 0, events: [], hasMore: false, reset: false, gone: true },
        ]);
        assert.equal(sync.user.reset, false);
        assert.equal(JSON.stringify(sync.user).includes(room.id), false, 'nothing about the room in their own log');
        // Still a working connection.
        assert.deepEqual(await socket.request('ping'), {});
      } finally {
        socket.close();
      }
      assert.deepEqual(await snapshot(t, alice, room.id), before);
    });

    it('never delivers the conversation\'s events to a non-member\'s socket', async () => {
      const carol = await createUser(t.url);
      const own = await direct(t, alice, mallory);
      const sockets = [await TestSocket.open(t.wsUrl, mallory.token), await TestSocket.open(t.wsUrl, mallory.token)];
      try {
        await send(t, alice, room.id, 'still private');
        await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}`, { title: 'Renamed' });
        await ok(t, alice, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [carol.user.id] });
        await ok(t, alice, 'DELETE', `/v1/conversations/${room.id}/members/${carol.user.id}`);
        const sent = await send(t, bob, room.id, 'to be edited');
        await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${sent.id}`, { text: 'edited' });
        await ok(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${sent.id}`);
        for (const socket of sockets) await fence(t, alice, own.id, socket);
        for (const socket of sockets) {
          const leaked = socket.frames.filter((f) => JSON.stringify(f).includes(room.id));
          assert.deepEqual(leaked, []);
        }
      } finally {
        for (const socket of sockets) socket.close();
      }
    });
  });

  describe(`access after leaving or being removed (${backend.name})`, () => {
    let t: TestApp;
    let owner: TestUser;
    before(async () => {
      t = await startApp(backend);
      owner = await createUser(t.url);
    });
    after(() => t.close());

    it('delivers member.removed to the removed member on every device, then nothing more, and closes history to them', async () => {
      const carol = await createUser(t.url);
      const dave = await createUser(t.url);
      const room = await group(t, owner, 'Room', [carol, dave]);
      const side = await direct(t, owner, carol);
      const devices = [await TestSocket.open(t.wsUrl, carol.token), await TestSocket.open(t.wsUrl, carol.token)];
      try {
        await send(t, owner, room.id, 'before');
        for (const device of devices) await device.next((f) => f.t === 'event' && f.event.data.message?.text === 'before');
        const { seq } = await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${carol.user.id}`);
        for (const device of devices) {
          const removed = await device.next((f) => f.t === 'event' && f.event.type === 'member.removed');
          assert.equal(removed.event.seq, seq);
          assert.deepEqual(removed.event.data, { userId: carol.user.id, reason: 'removed' });
          const note = await device.next((f) => f.t === 'user_event' && f.event.type === 'conversation.removed');
          assert.deepEqual(note.event.data, { conversationId: room.id, seq, reason: 'removed' });
        }
        await send(t, owner, room.id, 'after');
        await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { title: 'Without carol' });
        await send(t, dave, room.id, 'also after');
        for (const device of devices) await fence(t, owner, side.id, device);
        for (const device of devices) {
          const roomEvents = device.events(room.id);
          assert.equal(roomEvents.at(-1).seq, seq, 'member.removed is the last event they get');
          assert.equal(roomEvents.filter((e) => e.seq === seq).length, 1, 'exactly once per device');
          assert.equal(JSON.stringify(device.frames).includes('also after'), false);
        }
        // No longer readable, over HTTP or the socket: the same answer as for no conversation at all.
        for (const path of [`/v1/conversations/${room.id}/messages`, `/v1/conversations/${room.id}/events`, `/v1/conversations/${room.id}`, `/v1/conversations/${room.id}/members`]) {
          const result = await call(t, carol, 'GET', path);
          assert.equal(result.status, 404, path);
          assert.deepEqual(result.body, (await call(t, carol, 'GET', path.replace(room.id, UNKNOWN))).body);
        }
        const refused = await call(t, carol, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: 'ex', text: 'still here?' });
        assert.equal(refused.status, 404);
        assert.equal((await socketError(devices[0]!, 'events', { conversationId: room.id, after: 0 }) as any).code, 'not_found');
        const sync = await devices[0]!.request('sync', { conversations: [{ id: room.id, after: seq }] });
        assert.deepEqual(sync.conversations, [{ id: room.id, lastSeq: 0, events: [], hasMore: false, reset: false, gone: true }]);
      } finally {
        for (const device of devices) device.close();
      }
    });

    it('delivers member.removed to a member who leaves, then nothing more', async () => {
      const erin = await createUser(t.url);
      const room = await group(t, owner, 'Room', [erin]);
      const side = await direct(t, owner, erin);
      const socket = await TestSocket.open(t.wsUrl, erin.token);
      try {
        const { seq } = await ok(t, erin, 'POST', `/v1/conversations/${room.id}/leave`);
        const removed = await socket.next((f) => f.t === 'event' && f.event.type === 'member.removed');
        assert.deepEqual(removed.event.data, { userId: erin.user.id, reason: 'left' });
        assert.equal(removed.event.seq, seq);
        await send(t, owner, room.id, 'after erin left');
        await fence(t, owner, side.id, socket);
        assert.equal(socket.events(room.id).at(-1).seq, seq);
        assert.equal((await call(t, erin, 'GET', `/v1/conversations/${room.id}/messages`)).status, 404);
      } finally {
        socket.close();
      }
    });

    it('delivers events again to a member who is added back, from the members.added event on', async () => {
      const frank = await createUser(t.url);
      const room = await group(t, owner, 'Room', [frank]);
      const socket = await TestSocket.open(t.wsUrl, frank.token);
      try {
        const removedAt = (await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${frank.user.id}`)).seq;
        await socket.next((f) => f.t === 'user_event' && f.event.type === 'conversation.removed');
        await send(t, owner, room.id, 'while frank was out');
        const { seq } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [frank.user.id] });
        const note = await socket.next((f) => f.t === 'user_event' && f.event.type === 'conversation.added' && f.event.data.seq === seq);
        assert.equal(note.event.data.conversationId, room.id);
        const back = await send(t, owner, room.id, 'welcome back');
        await socket.next((f) => f.t === 'event' && f.event.seq === back.seq);
        const seqs = socket.events(room.id).map((e) => e.seq);
        assert.equal(seqs.includes(removedAt + 1), false, 'the message sent while out was not delivered live');
        // Catching up is the log's job: it is readable again.
        const history = await ok(t, frank, 'GET', `/v1/conversations/${room.id}/messages`);
        assert.deepEqual(history.messages.map((m: Message) => m.text), ['while frank was out', 'welcome back']);
      } finally {
        socket.close();
      }
    });
  });
}

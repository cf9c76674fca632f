import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@parley/protocol';
import { call, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, startApp, type HttpResult, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Ids you may not see answer exactly like ids that do not exist: the same status (404),
 * the same code (not_found) and the same message — the whole body, byte for byte.
 *
 * - Conversations you are not in: a private group, a private channel, someone else's
 *   direct conversation, and a public group (public conversations are visible to
 *   non-members only as a preview by handle, `GET /v1/conversations/by-handle/:handle`,
 *   and joinable with `POST …/join`; every other route answers not_found, so those two
 *   are left out for it). Every read and write route and socket frame that takes a
 *   conversation id is asked once with the hidden id and once with a random one.
 * - A message in such a conversation, named through a conversation you are in (edit,
 *   delete, react, pin, reply, forward, reactions, report): the same as a random
 *   message id.
 * - A deleted user and a user who never existed, wherever a user id is taken (starting a
 *   direct conversation, creating a group with them, adding, removing, banning, muting,
 *   changing their role, transferring to them, approving their request, blocking,
 *   reporting). Where an answer names the ids it could not find (`details.userIds`),
 *   the requested id is replaced by a placeholder before comparing; nothing else is.
 *   `GET /v1/users/:id` is the one deliberate difference: it shows a deleted account's
 *   tombstone ("Deleted account", no handle) so clients can render its old messages; the
 *   test pins down that the tombstone reveals nothing else.
 *
 * And none of the requests changed anything: the hidden conversations' lastSeq, member
 * count, title and audit log are as before.
 */

const random = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

/** The body with the given ids replaced by a placeholder. */
function normalized(body: unknown, ids: string[]): string {
  let text = JSON.stringify(body);
  for (const id of ids) text = text.replaceAll(id, '<id>');
  return text;
}

async function socketAnswer(socket: TestSocket, type: string, payload: Record<string, unknown>): Promise<unknown> {
  try {
    return { ack: await socket.request(type, payload) };
  } catch (error) {
    const body = (error as { body?: unknown }).body;
    if (!body) throw error;
    return body;
  }
}

type Route = [method: string, path: string, body?: unknown];

for (const backend of backends) {
  describe(`not found, not forbidden (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let mallory: TestUser;
    let carol: TestUser;
    let hidden: Record<string, { conversation: Conversation; message: Message; invite: string; report: string }>;
    let own: Conversation;
    let ownMessage: Message;
    let deletedId: string;
    let socket: TestSocket;
    const admin = (method: string, path: string, body?: unknown): Promise<HttpResult> => http(t.url, method, path, { token: ADMIN_KEY, ...(body !== undefined ? { body } : {}) });

    async function send(user: TestUser, conversationId: string, text: string): Promise<Message> {
      return (await ok(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId: random('nf'), text })).message;
    }

    /** What the hidden conversations look like to the platform, to prove nothing changed. */
    async function snapshot() {
      const result: Record<string, unknown> = {};
      for (const [label, { conversation }] of Object.entries(hidden)) {
        const { conversation: seen } = expectOk(await admin('GET', `/v1/admin/conversations/${conversation.id}`));
        const { entries } = expectOk(await admin('GET', `/v1/admin/audit?conversationId=${conversation.id}&limit=200`));
        result[label] = { lastSeq: seen.lastSeq, memberCount: seen.memberCount, title: seen.title, audit: entries.length };
      }
      const { conversation } = expectOk(await admin('GET', `/v1/admin/conversations/${own.id}`));
      result.own = { lastSeq: conversation.lastSeq, memberCount: conversation.memberCount };
      return result;
    }

    before(async () => {
      // Probes file many reports as one user: the reports bucket would answer them before the check under test.
      t = await startApp(backend, { env: { RATE_LIMIT_REPORTS_PER_USER: 'off' } });
      [alice, bob, mallory, carol] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url), createUser(t.url)]) as [TestUser, TestUser, TestUser, TestUser];
      const make = async (label: string, conversation: Conversation) => {
        const message = await send(bob, conversation.id, `secret in ${label}`);
        const invite = conversation.kind === 'direct' ? random('no-invite') : (await ok(t, alice, 'POST', `/v1/conversations/${conversation.id}/invites`, {})).invite.code;
        const report = (await ok(t, bob, 'POST', '/v1/reports', { targetType: 'message', targetId: message.id, conversationId: conversation.id, reason: 'spam' })).report.id;
        return { conversation, message, invite, report };
      };
      const channel = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'channel', title: 'Private channel', memberIds: [bob.user.id] })).conversation;
      expectOk(await admin('PUT', `/v1/admin/conversations/${channel.id}/members/${bob.user.id}/role`, { role: 'admin' }));
      const publicGroup = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'group', title: 'Public group', handle: `nf${randomBytes(4).toString('hex')}`, memberIds: [bob.user.id] })).conversation;
      hidden = {
        'private group': await make('private group', await group(t, alice, 'Private group', [bob])),
        'private channel': await make('private channel', channel),
        'someone else\'s direct': await make('direct', await direct(t, alice, bob)),
        'public group': await make('public group', publicGroup),
      };
      // Mallory's own group, where she may do everything: only the ids decide the answers there.
      own = await group(t, mallory, 'Mallory\'s group', [carol]);
      ownMessage = await send(mallory, own.id, 'mine');
      // A user who was real (Mallory saw them in her group), then deleted.
      const dan = await createUser(t.url);
      await ok(t, mallory, 'POST', `/v1/conversations/${own.id}/members`, { userIds: [dan.user.id] });
      deletedId = dan.user.id;
      expectOk(await admin('DELETE', `/v1/admin/users/${deletedId}`));
      socket = await TestSocket.open(t.wsUrl, mallory.token);
    });

    after(async () => {
      socket?.close();
      await t?.close();
    });

    /** Every route that takes a conversation id (with the ids it needs inside that conversation). */
    function conversationRoutes(id: string, messageId: string, invite: string, report: string): Route[] {
      const c = `/v1/conversations/${id}`;
      const m = `${c}/messages/${messageId}`;
      return [
        ['GET', c],
        ['GET', `${c}/members`],
        ['GET', `${c}/messages`],
        ['GET', `${c}/messages?after=0&limit=5`],
        ['GET', `${c}/events`],
        ['GET', `${c}/events?after=0&limit=10`],
        ['GET', `${c}/pins`],
        ['GET', `${m}/reactions`],
        ['GET', `${c}/audit`],
        ['GET', `${c}/bans`],
        ['GET', `${c}/invites`],
        ['GET', `${c}/reports`],
        ['GET', `${c}/join-requests`],
        ['PATCH', c, { title: 'taken over' }],
        ['PATCH', c, { settings: { slowModeSec: 5 } }],
        ['POST', `${c}/messages`, { clientMsgId: 'intruder-1', text: 'let me in' }],
        ['POST', `${c}/messages`, { clientMsgId: 'intruder-2', text: 'reply', replyTo: messageId }],
        ['POST', `${c}/forward`, { clientMsgId: 'intruder-3', from: { conversationId: own.id, messageId: ownMessage.id } }],
        ['POST', `${c}/read`, { seq: 1 }],
        ['POST', `${c}/members`, { userIds: [mallory.user.id] }],
        ['DELETE', `${c}/members/${bob.user.id}`],
        ['DELETE', `${c}/members/${mallory.user.id}`],
        ['PATCH', `${c}/members/${bob.user.id}`, { role: 'member' }],
        ['POST', `${c}/members/${bob.user.id}/mute`, {}],
        ['DELETE', `${c}/members/${bob.user.id}/mute`],
        ['POST', `${c}/bans`, { userId: bob.user.id }],
        ['DELETE', `${c}/bans/${bob.user.id}`],
        ['POST', `${c}/transfer`, { userId: mallory.user.id }],
        ['POST', `${c}/leave`],
        ['POST', `${c}/invites`, {}],
        ['DELETE', `${c}/invites/${invite}`],
        ['POST', `${c}/join-requests/${mallory.user.id}/approve`],
        ['POST', `${c}/join-requests/${mallory.user.id}/decline`],
        ['POST', `${c}/reports/${report}/resolve`, { action: 'none' }],
        ['PATCH', m, { text: 'rewritten' }],
        ['DELETE', m],
        ['PUT', `${m}/reactions/${encodeURIComponent('👍')}`],
        ['DELETE', `${m}/reactions/${encodeURIComponent('👍')}`],
        ['PUT', `${m}/pin`],
        ['DELETE', `${m}/pin`],
        ['POST', '/v1/reports', { targetType: 'message', targetId: messageId, conversationId: id, reason: 'spam' }],
      ];
    }

    /** Every socket request that takes a conversation id. */
    function conversationFrames(id: string, messageId: string): Array<[string, Record<string, unknown>]> {
      const target = { conversationId: id, messageId };
      return [
        ['send', { conversationId: id, clientMsgId: 'intruder-4', text: 'let me in' }],
        ['edit', { ...target, text: 'rewritten' }],
        ['delete', target],
        ['react', { ...target, emoji: '👍' }],
        ['unreact', { ...target, emoji: '👍' }],
        ['pin', target],
        ['unpin', target],
        ['read', { conversationId: id, seq: 1 }],
        ['events', { conversationId: id, after: 0 }],
        ['forward', { conversationId: id, clientMsgId: 'intruder-5', from: { conversationId: own.id, messageId: ownMessage.id } }],
        ['add_members', { conversationId: id, userIds: [mallory.user.id] }],
        ['remove_member', { conversationId: id, userId: bob.user.id }],
        ['ban', { conversationId: id, userId: bob.user.id }],
        ['mute', { conversationId: id, userId: bob.user.id }],
        ['set_role', { conversationId: id, userId: bob.user.id, role: 'member' }],
        ['update_conversation', { conversationId: id, title: 'taken over' }],
        ['create_invite', { conversationId: id }],
        ['audit', { conversationId: id }],
      ];
    }

    it('answers every route on a conversation you are not in exactly as on one that does not exist, and changes nothing', async () => {
      const before = await snapshot();
      const wrong: string[] = [];
      for (const [label, { conversation, message, invite, report }] of Object.entries(hidden)) {
        const unknownId = random('conv');
        const real = conversationRoutes(conversation.id, message.id, invite, report);
        const fake = conversationRoutes(unknownId, random('msg'), random('invite'), random('report'));
        for (const [i, [method, path, body]] of real.entries()) {
          const [, fakePath, fakeBody] = fake[i]!;
          const seen = await call(t, mallory, method, path, body);
          const missing = await call(t, mallory, method, fakePath, fakeBody);
          const where = `${label}: ${method} ${fakePath.replace(unknownId, ':id')}`;
          if (seen.status !== 404 || seen.body?.error?.code !== 'not_found') wrong.push(`${where}: ${seen.status} ${JSON.stringify(seen.body)}`);
          else if (JSON.stringify(seen.body) !== JSON.stringify(missing.body) || missing.status !== 404) wrong.push(`${where}: ${JSON.stringify(seen.body)} vs ${missing.status} ${JSON.stringify(missing.body)}`);
        }
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await snapshot(), before);
      const { conversations } = await ok(t, mallory, 'GET', '/v1/conversations');
      assert.deepEqual(conversations.map((c: Conversation) => c.id), [own.id]);
    });

    it('answers every socket request on a conversation you are not in exactly as on one that does not exist, and changes nothing', async () => {
      const before = await snapshot();
      const wrong: string[] = [];
      for (const [label, { conversation, message }] of Object.entries(hidden)) {
        const unknownId = random('conv');
        const fake = conversationFrames(unknownId, random('msg'));
        for (const [i, [type, payload]] of conversationFrames(conversation.id, message.id).entries()) {
          const seen = await socketAnswer(socket, type, payload);
          const missing = await socketAnswer(socket, type, fake[i]![1]);
          if ((seen as { code?: string }).code !== 'not_found') wrong.push(`${label}: ${type}: ${JSON.stringify(seen)}`);
          else if (JSON.stringify(seen) !== JSON.stringify(missing)) wrong.push(`${label}: ${type}: ${JSON.stringify(seen)} vs ${JSON.stringify(missing)}`);
        }
        const sync = await socket.request('sync', { conversations: [{ id: conversation.id, after: 0 }, { id: unknownId, after: 0 }] });
        const [a, b] = sync.conversations;
        if (normalized(a, [conversation.id]) !== normalized(b, [unknownId]) || a?.gone !== true) wrong.push(`${label}: sync: ${JSON.stringify(sync.conversations)}`);
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await socket.request('ping'), {}, 'the connection is still usable');
      assert.deepEqual(await snapshot(), before);
    });

    it('answers a message of such a conversation, named through your own, exactly as a message that does not exist', async () => {
      const before = await snapshot();
      const wrong: string[] = [];
      const c = `/v1/conversations/${own.id}`;
      for (const [label, { conversation, message }] of Object.entries(hidden)) {
        const unknownMessage = random('msg');
        const unknownConversation = random('conv');
        const routes = (messageId: string, sourceConversation: string): Route[] => [
          ['GET', `${c}/messages/${messageId}/reactions`],
          ['PATCH', `${c}/messages/${messageId}`, { text: 'rewritten' }],
          ['DELETE', `${c}/messages/${messageId}`],
          ['PUT', `${c}/messages/${messageId}/reactions/${encodeURIComponent('👍')}`],
          ['DELETE', `${c}/messages/${messageId}/reactions/${encodeURIComponent('👍')}`],
          ['PUT', `${c}/messages/${messageId}/pin`],
          ['DELETE', `${c}/messages/${messageId}/pin`],
          ['POST', `${c}/messages`, { clientMsgId: random('reply'), text: 'reply', replyTo: messageId }],
          ['POST', `${c}/forward`, { clientMsgId: random('fwd'), from: { conversationId: own.id, messageId } }],
          ['POST', `${c}/forward`, { clientMsgId: random('fwd'), from: { conversationId: sourceConversation, messageId } }],
          ['POST', '/v1/reports', { targetType: 'message', targetId: messageId, conversationId: own.id, reason: 'spam' }],
          ['POST', '/v1/reports', { targetType: 'message', targetId: messageId, conversationId: sourceConversation, reason: 'spam' }],
        ];
        const fake = routes(unknownMessage, unknownConversation);
        for (const [i, [method, path, body]] of routes(message.id, conversation.id).entries()) {
          const seen = await call(t, mallory, method, path, body);
          const missing = await call(t, mallory, method, fake[i]![1], fake[i]![2]);
          const where = `${label}: ${method} ${fake[i]![1]} ${JSON.stringify(fake[i]![2] ?? '')}`;
          if (seen.status !== 404 || seen.body?.error?.code !== 'not_found') wrong.push(`${where}: ${seen.status} ${JSON.stringify(seen.body)}`);
          // A reply names the message it could not find; that echo is the only difference allowed.
          else if (normalized(seen.body, [message.id]) !== normalized(missing.body, [unknownMessage]) || missing.status !== 404) wrong.push(`${where}: ${JSON.stringify(seen.body)} vs ${JSON.stringify(missing.body)}`);
        }
        const frames = (messageId: string, sourceConversation: string): Array<[string, Record<string, unknown>]> => [
          ['edit', { conversationId: own.id, messageId, text: 'rewritten' }],
          ['delete', { conversationId: own.id, messageId }],
          ['react', { conversationId: own.id, messageId, emoji: '👍' }],
          ['unreact', { conversationId: own.id, messageId, emoji: '👍' }],
          ['pin', { conversationId: own.id, messageId }],
          ['unpin', { conversationId: own.id, messageId }],
          ['send', { conversationId: own.id, clientMsgId: random('reply'), text: 'reply', replyTo: messageId }],
          ['forward', { conversationId: own.id, clientMsgId: random('fwd'), from: { conversationId: sourceConversation, messageId } }],
        ];
        const fakeFrames = frames(unknownMessage, unknownConversation);
        for (const [i, [type, payload]] of frames(message.id, conversation.id).entries()) {
          const seen = await socketAnswer(socket, type, payload);
          const missing = await socketAnswer(socket, type, fakeFrames[i]![1]);
          if ((seen as { code?: string }).code !== 'not_found') wrong.push(`${label}: ${type}: ${JSON.stringify(seen)}`);
          else if (normalized(seen, [message.id]) !== normalized(missing, [unknownMessage])) wrong.push(`${label}: ${type}: ${JSON.stringify(seen)} vs ${JSON.stringify(missing)}`);
        }
        // The message is untouched.
        const { messages } = await ok(t, alice, 'GET', `/v1/conversations/${conversation.id}/messages`);
        const stored = messages.find((m: Message) => m.id === message.id);
        assert.equal(stored?.text, message.text);
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await snapshot(), before);
    });

    it('answers a deleted user exactly as a user who never existed, wherever a user id is taken', async () => {
      const before = await snapshot();
      const wrong: string[] = [];
      const unknownUser = random('user');
      const c = `/v1/conversations/${own.id}`;
      const routes = (userId: string): Route[] => [
        ['POST', '/v1/conversations', { kind: 'direct', userId }],
        ['POST', '/v1/conversations', { kind: 'group', title: 'With them', memberIds: [userId] }],
        ['POST', `${c}/members`, { userIds: [userId] }],
        ['DELETE', `${c}/members/${userId}`],
        ['PATCH', `${c}/members/${userId}`, { role: 'moderator' }],
        ['POST', `${c}/members/${userId}/mute`, {}],
        ['DELETE', `${c}/members/${userId}/mute`],
        ['POST', `${c}/bans`, { userId }],
        ['DELETE', `${c}/bans/${userId}`],
        ['POST', `${c}/transfer`, { userId }],
        ['POST', `${c}/join-requests/${userId}/approve`],
        ['POST', `${c}/join-requests/${userId}/decline`],
        ['PUT', `/v1/me/blocks/${userId}`],
        ['POST', '/v1/reports', { targetType: 'user', targetId: userId, reason: 'spam' }],
        ['POST', '/v1/reports', { targetType: 'user', targetId: userId, conversationId: own.id, reason: 'spam' }],
      ];
      const fake = routes(unknownUser);
      for (const [i, [method, path, body]] of routes(deletedId).entries()) {
        const seen = await call(t, mallory, method, path, body);
        const missing = await call(t, mallory, method, fake[i]![1], fake[i]![2]);
        const where = `${method} ${fake[i]![1].replace(unknownUser, ':userId')} ${JSON.stringify(fake[i]![2] ?? '').replace(unknownUser, ':userId')}`;
        if (missing.status !== 404 || missing.body?.error?.code !== 'not_found') wrong.push(`${where}: a user who never existed got ${missing.status} ${JSON.stringify(missing.body)}`);
        else if (normalized(seen.body, [deletedId]) !== normalized(missing.body, [unknownUser]) || seen.status !== 404) wrong.push(`${where}: deleted ${seen.status} ${JSON.stringify(seen.body)} vs never existed ${JSON.stringify(missing.body)}`);
      }
      const frames = (userId: string): Array<[string, Record<string, unknown>]> => [
        ['add_members', { conversationId: own.id, userIds: [userId] }],
        ['remove_member', { conversationId: own.id, userId }],
        ['ban', { conversationId: own.id, userId }],
        ['mute', { conversationId: own.id, userId }],
        ['set_role', { conversationId: own.id, userId, role: 'moderator' }],
      ];
      const fakeFrames = frames(unknownUser);
      for (const [i, [type, payload]] of frames(deletedId).entries()) {
        const seen = await socketAnswer(socket, type, payload);
        const missing = await socketAnswer(socket, type, fakeFrames[i]![1]);
        if ((missing as { code?: string }).code !== 'not_found') wrong.push(`${type}: a user who never existed got ${JSON.stringify(missing)}`);
        else if (normalized(seen, [deletedId]) !== normalized(missing, [unknownUser])) wrong.push(`${type}: deleted ${JSON.stringify(seen)} vs never existed ${JSON.stringify(missing)}`);
      }
      assert.deepEqual(wrong, []);
      assert.deepEqual(await snapshot(), before);
      assert.deepEqual((await ok(t, mallory, 'GET', '/v1/me/blocks')).users, []);
    });

    it('shows a deleted account only as a tombstone, and a user who never existed not at all', async () => {
      const tombstone = await call(t, mallory, 'GET', `/v1/users/${deletedId}`);
      assert.equal(tombstone.status, 200);
      assert.deepEqual(Object.keys(tombstone.body.user).sort(), ['displayName', 'handle', 'id']);
      assert.equal(tombstone.body.user.handle, null);
      const missing = await call(t, mallory, 'GET', `/v1/users/${random('user')}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    });
  });
}

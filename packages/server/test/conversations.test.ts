import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Conversation, RightList, type UserEvent } from '@parley/protocol';
import { call, conversationLog, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

async function send(t: TestApp, user: TestUser, conversationId: string, text: string, clientMsgId = `m-${Math.random().toString(36).slice(2)}`) {
  return (await ok(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId, text })).message;
}

async function getConversation(t: TestApp, user: TestUser, id: string): Promise<Conversation> {
  return (await ok(t, user, 'GET', `/v1/conversations/${id}`)).conversation;
}

async function userLog(t: TestApp, user: TestUser, from = 0): Promise<UserEvent[]> {
  const page = await ok(t, user, 'GET', `/v1/me/events?after=${from}&limit=500`);
  assert.equal(page.hasMore, false);
  return page.events;
}

async function userHead(t: TestApp, user: TestUser): Promise<number> {
  return (await ok(t, user, 'GET', '/v1/me/heads')).userSeq;
}

function assertGapFree(events: Array<{ seq: number }>, first = 1): void {
  assert.deepEqual(events.map((e) => e.seq), Array.from({ length: events.length }, (_, i) => first + i), 'seqs are consecutive');
}

async function listAll(t: TestApp, user: TestUser, limit: number): Promise<{ ids: string[]; pages: number; totalUnread: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let totalUnread = 0;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: any = await ok(t, user, 'GET', `/v1/conversations${query}`);
    assert.ok(page.conversations.length <= limit);
    ids.push(...page.conversations.map((c: Conversation) => c.id));
    totalUnread = page.totalUnread;
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { ids, pages, totalUnread };
}

/** Waits until the wall clock has moved past the current millisecond: activity times are kept in ms. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setTimeout(resolve, 1));
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// --- suites ------------------------------------------------------------------------------

for (const backend of backends) {
  describe(`direct conversations (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('returns the same conversation whichever side creates it', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const fromAlice = await direct(t, alice, bob);
      const fromBob = await direct(t, bob, alice);
      assert.equal(fromBob.id, fromAlice.id);
      assert.equal(fromAlice.kind, 'direct');
      assert.equal(fromAlice.title, null);
      assert.equal(fromAlice.memberCount, 2);
      assert.equal(fromAlice.role, 'member');
      assert.equal(fromAlice.peer?.id, bob.user.id);
      assert.equal(fromBob.peer?.id, alice.user.id);
      const again = await direct(t, alice, bob);
      assert.equal(again.id, fromAlice.id);
      // Asking again wrote nothing: the log is still created + members added.
      const log = await conversationLog(t, alice, fromAlice.id);
      assert.deepEqual(log.map((e) => e.type), ['conversation.created', 'members.added']);
    });

    it('returns one conversation when both sides create it at the same moment, many times over', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? call(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id }) : call(t, bob, 'POST', '/v1/conversations', { kind: 'direct', userId: alice.user.id }))),
      );
      for (const attempt of attempts) assert.equal(attempt.status, 200, JSON.stringify(attempt.body));
      const ids = new Set(attempts.map((a) => a.body.conversation.id));
      assert.equal(ids.size, 1);
      const [id] = [...ids];
      const aliceList = expectOk(await call(t, alice, 'GET', '/v1/conversations'));
      assert.deepEqual(aliceList.conversations.map((c: Conversation) => c.id), [id]);
      const bobList = expectOk(await call(t, bob, 'GET', '/v1/conversations'));
      assert.deepEqual(bobList.conversations.map((c: Conversation) => c.id), [id]);
      // Each user was added exactly once.
      for (const user of [alice, bob]) {
        const added = (await userLog(t, user)).filter((e) => e.type === 'conversation.added');
        assert.equal(added.length, 1);
      }
    });

    it('refuses a direct conversation with yourself', async () => {
      const alice = await createUser(t.url);
      const result = await call(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: alice.user.id });
      assert.equal(result.status, 400);
      assert.equal(result.body.error.code, 'validation_failed');
      assert.deepEqual(expectOk(await call(t, alice, 'GET', '/v1/conversations')).conversations, []);
    });

    it('answers 404 naming the id for a user that does not exist', async () => {
      const alice = await createUser(t.url);
      const result = await call(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: 'no-such-user' });
      assert.equal(result.status, 404);
      assert.equal(result.body.error.code, 'not_found');
      assert.deepEqual(result.body.error.details, { userIds: ['no-such-user'] });
      assert.deepEqual(expectOk(await call(t, alice, 'GET', '/v1/conversations')).conversations, []);
    });

    it('answers 404 for a deleted user', async () => {
      const alice = await createUser(t.url);
      const gone = await createUser(t.url);
      expectOk(await http(t.url, 'DELETE', `/v1/admin/users/${gone.user.id}`, { token: ADMIN_KEY }));
      const result = await call(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: gone.user.id });
      assert.equal(result.status, 404);
      assert.equal(result.body.error.code, 'not_found');
      assert.deepEqual(result.body.error.details, { userIds: [gone.user.id] });
      assert.deepEqual(expectOk(await call(t, alice, 'GET', '/v1/conversations')).conversations, []);
    });

    it('starts its log with conversation.created and members.added, and tells both users through their own logs', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const log = await conversationLog(t, bob, conversation.id);
      assertGapFree(log);
      assert.equal(log[0]!.type, 'conversation.created');
      assert.deepEqual(log[0]!.data, { kind: 'direct', visibility: 'private', title: null });
      assert.equal(log[0]!.actorId, alice.user.id);
      assert.equal(log[1]!.type, 'members.added');
      // Both join at once, as equal members (members.added names the role they joined as).
      assert.deepEqual(log[1]!.data, { userIds: [alice.user.id, bob.user.id].sort(byId), role: 'member' });
      assert.equal(conversation.lastSeq, 2);
      for (const user of [alice, bob]) {
        const events = await userLog(t, user);
        assert.deepEqual(events.map((e) => ({ type: e.type, data: e.data })), [{ type: 'conversation.added', data: { conversationId: conversation.id, seq: 2 } }]);
      }
    });

    it('cannot be renamed, added to, removed from or left', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const attempts = [
        await call(t, alice, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'x' }),
        await call(t, alice, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [carol.user.id] }),
        await call(t, alice, 'DELETE', `/v1/conversations/${conversation.id}/members/${bob.user.id}`),
        await call(t, alice, 'POST', `/v1/conversations/${conversation.id}/leave`),
      ];
      for (const attempt of attempts) {
        assert.equal(attempt.status, 403, JSON.stringify(attempt.body));
        assert.equal(attempt.body.error.code, 'forbidden');
      }
      assert.equal((await getConversation(t, alice, conversation.id)).lastSeq, 2);
      assert.equal((await conversationLog(t, alice, conversation.id)).length, 2);
    });
  });

  describe(`groups (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { MAX_GROUP_MEMBERS: '4' } });
    });
    after(() => t.close());

    it('makes the creator the owner and everyone named a member', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      // The creator may name themselves; they are not added twice.
      const conversation = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'group', title: 'Team', memberIds: [bob.user.id, alice.user.id, carol.user.id] })).conversation;
      assert.equal(conversation.kind, 'group');
      assert.equal(conversation.title, 'Team');
      assert.equal(conversation.role, 'owner');
      assert.equal(conversation.memberCount, 3);
      assert.equal(conversation.peer, null);
      // created, the owner joining, then everyone named joining.
      assert.equal(conversation.lastSeq, 3);
      assert.equal((await getConversation(t, bob, conversation.id)).role, 'member');
      const { members } = await ok(t, carol, 'GET', `/v1/conversations/${conversation.id}/members`);
      assert.deepEqual(
        members.map((m: any) => [m.userId, m.role, m.user.id]),
        [[alice.user.id, 'owner', alice.user.id], [bob.user.id, 'member', bob.user.id], [carol.user.id, 'member', carol.user.id]].sort((a, b) => byId(a[0]!, b[0]!)),
      );
      const log = await conversationLog(t, bob, conversation.id);
      assert.deepEqual(log.map((e) => [e.seq, e.type, e.data]), [
        [1, 'conversation.created', { kind: 'group', visibility: 'private', title: 'Team' }],
        [2, 'members.added', { userIds: [alice.user.id], role: 'owner' }],
        [3, 'members.added', { userIds: [bob.user.id, carol.user.id].sort(byId), role: 'member' }],
      ]);
      // Each user's log says where their membership starts.
      assert.deepEqual((await userLog(t, alice)).map((e) => e.data), [{ conversationId: conversation.id, seq: 2 }]);
      for (const user of [bob, carol]) {
        assert.deepEqual((await userLog(t, user)).map((e) => e.data), [{ conversationId: conversation.id, seq: 3 }]);
      }
    });

    it('refuses a group naming an unknown user with 404 and details.userIds, creating nothing', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const result = await call(t, alice, 'POST', '/v1/conversations', { kind: 'group', title: 'T', memberIds: [bob.user.id, 'ghost-1', 'ghost-2'] });
      assert.equal(result.status, 404);
      assert.equal(result.body.error.code, 'not_found');
      assert.deepEqual(result.body.error.details, { userIds: ['ghost-1', 'ghost-2'] });
      assert.deepEqual(expectOk(await call(t, alice, 'GET', '/v1/conversations')).conversations, []);
      assert.deepEqual(expectOk(await call(t, bob, 'GET', '/v1/conversations')).conversations, []);
      assert.equal(await userHead(t, bob), 0);
    });

    it('refuses a group larger than MAX_GROUP_MEMBERS with limit_exceeded', async () => {
      const owner = await createUser(t.url);
      const others = await Promise.all(Array.from({ length: 4 }, () => createUser(t.url)));
      const result = await call(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'Big', memberIds: others.map((u) => u.user.id) });
      assert.equal(result.status, 422);
      assert.equal(result.body.error.code, 'limit_exceeded');
      assert.deepEqual(expectOk(await call(t, owner, 'GET', '/v1/conversations')).conversations, []);
      // Exactly at the limit is fine.
      const full = await group(t, owner, 'Full', others.slice(0, 3));
      assert.equal(full.memberCount, 4);
    });

    it('refuses adding members beyond MAX_GROUP_MEMBERS and changes nothing', async () => {
      const owner = await createUser(t.url);
      const [a, b, c, d] = await Promise.all(Array.from({ length: 4 }, () => createUser(t.url)));
      const conversation = await group(t, owner, 'Almost', [a!, b!]);
      const tooMany = await call(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [c!.user.id, d!.user.id] });
      assert.equal(tooMany.status, 422);
      assert.equal(tooMany.body.error.code, 'limit_exceeded');
      const after = await getConversation(t, owner, conversation.id);
      assert.equal(after.lastSeq, conversation.lastSeq);
      assert.equal(after.memberCount, 3);
      assert.equal(await userHead(t, c!), 0);
      // Adding one still fits; members already in do not count twice.
      const added = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [a!.user.id, c!.user.id] });
      assert.equal(added.seq, conversation.lastSeq + 1);
      assert.equal((await getConversation(t, owner, conversation.id)).memberCount, 4);
    });

    it('lets the owner add members, skipping those already in, with one members.added event and conversation.added in their logs', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await group(t, owner, 'G', [bob]);
      assert.equal(conversation.lastSeq, 3);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        const added = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [bob.user.id, carol.user.id] });
        assert.equal(added.seq, 4);
        const log = await conversationLog(t, owner, conversation.id);
        assertGapFree(log);
        assert.deepEqual(log.at(-1), { ...log.at(-1)!, seq: 4, type: 'members.added', actorId: owner.user.id, data: { userIds: [carol.user.id], role: 'member' } });
        assert.deepEqual((await userLog(t, carol)).map((e) => [e.type, e.data]), [['conversation.added', { conversationId: conversation.id, seq: 4 }]]);
        assert.equal((await userLog(t, bob)).length, 1, 'bob was not added again');
        // Live: the existing member sees the event, the new one hears of it in their own log.
        const live = await bobSocket.next((f) => f.t === 'event' && f.event.type === 'members.added' && f.event.seq === 4);
        assert.deepEqual(live.event.data, { userIds: [carol.user.id], role: 'member' });
        const note = await carolSocket.next((f) => f.t === 'user_event' && f.event.type === 'conversation.added');
        assert.deepEqual(note.event.data, { conversationId: conversation.id, seq: 4 });
        // The new member now gets the conversation's events live.
        await send(t, owner, conversation.id, 'welcome carol');
        const welcome = await carolSocket.next((f) => f.t === 'event' && f.event.type === 'message.created');
        assert.equal(welcome.event.data.message.text, 'welcome carol');
        const carolView = await getConversation(t, carol, conversation.id);
        assert.equal(carolView.role, 'member');
        assert.equal(carolView.memberCount, 3);
        // Adding only people already in changes nothing.
        const again = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [bob.user.id, carol.user.id, owner.user.id] });
        assert.deepEqual(again, { seq: 0 });
        assert.equal((await getConversation(t, owner, conversation.id)).lastSeq, 5);
      } finally {
        bobSocket.close();
        carolSocket.close();
      }
    });

    it('answers 404 with details.userIds when adding unknown users, adding nobody', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await group(t, owner, 'G', [bob]);
      const result = await call(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [carol.user.id, 'nobody-here'] });
      assert.equal(result.status, 404);
      assert.equal(result.body.error.code, 'not_found');
      assert.deepEqual(result.body.error.details, { userIds: ['nobody-here'] });
      assert.equal((await getConversation(t, owner, conversation.id)).lastSeq, conversation.lastSeq);
      assert.equal(await userHead(t, carol), 0);
    });

    it('lets members add others by default, and only staff once the group takes add_members from its members', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const dave = await createUser(t.url);
      const conversation = await group(t, owner, 'G', [bob]);
      // Ordinary group members hold add_members by default (rights table: MEMBER_DEFAULTS.group).
      const byMember = await ok(t, bob, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [carol.user.id] });
      assert.equal(byMember.seq, conversation.lastSeq + 1);
      assert.equal((await getConversation(t, carol, conversation.id)).role, 'member');
      // The owner takes the right away: members may no longer add anyone.
      await ok(t, owner, 'PATCH', `/v1/conversations/${conversation.id}`, { settings: { memberRights: ['send_messages'] } });
      const before = await getConversation(t, owner, conversation.id);
      const result = await call(t, bob, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [dave.user.id] });
      assert.equal(result.status, 403);
      assert.equal(result.body.error.code, 'forbidden');
      const after = await getConversation(t, owner, conversation.id);
      assert.equal(after.memberCount, 3);
      assert.equal(after.lastSeq, before.lastSeq);
      assert.equal(await userHead(t, dave), 0);
    });

    it('lets the owner remove a member, who hears member.removed and conversation.removed and no longer sees the group', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await group(t, owner, 'G', [bob, carol]);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const removed = await ok(t, owner, 'DELETE', `/v1/conversations/${conversation.id}/members/${bob.user.id}`);
        assert.equal(removed.seq, 4);
        const event = await bobSocket.next((f) => f.t === 'event' && f.event.type === 'member.removed');
        assert.deepEqual(event.event.data, { userId: bob.user.id, reason: 'removed' });
        assert.equal(event.event.actorId, owner.user.id);
        const note = await bobSocket.next((f) => f.t === 'user_event' && f.event.type === 'conversation.removed');
        assert.deepEqual(note.event.data, { conversationId: conversation.id, seq: 4, reason: 'removed' });
      } finally {
        bobSocket.close();
      }
      const log = await conversationLog(t, carol, conversation.id);
      assertGapFree(log);
      assert.deepEqual(log.at(-1)!.data, { userId: bob.user.id, reason: 'removed' });
      assert.deepEqual((await userLog(t, bob)).map((e) => [e.type, e.data]), [
        ['conversation.added', { conversationId: conversation.id, seq: 3 }],
        ['conversation.removed', { conversationId: conversation.id, seq: 4, reason: 'removed' }],
      ]);
      assert.deepEqual(expectOk(await call(t, bob, 'GET', '/v1/conversations')).conversations, []);
      assert.equal((await call(t, bob, 'GET', `/v1/conversations/${conversation.id}`)).status, 404);
      const view = await getConversation(t, carol, conversation.id);
      assert.equal(view.memberCount, 2);
      const { members } = await ok(t, carol, 'GET', `/v1/conversations/${conversation.id}/members`);
      assert.deepEqual(members.map((m: any) => m.userId).sort(byId), [owner.user.id, carol.user.id].sort(byId));
    });

    it('lets no ordinary member remove others, not even the owner, and answers 404 for someone who is not a member', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const stranger = await createUser(t.url);
      const conversation = await group(t, owner, 'G', [bob, carol]);
      const byMember = await call(t, bob, 'DELETE', `/v1/conversations/${conversation.id}/members/${carol.user.id}`);
      assert.equal(byMember.status, 403);
      assert.equal(byMember.body.error.code, 'forbidden');
      const ownerByMember = await call(t, bob, 'DELETE', `/v1/conversations/${conversation.id}/members/${owner.user.id}`);
      assert.equal(ownerByMember.status, 403);
      const notMember = await call(t, owner, 'DELETE', `/v1/conversations/${conversation.id}/members/${stranger.user.id}`);
      assert.equal(notMember.status, 404);
      assert.equal(notMember.body.error.code, 'not_found');
      const view = await getConversation(t, owner, conversation.id);
      assert.equal(view.lastSeq, 3);
      assert.equal(view.memberCount, 3);
    });

    it('lets a member leave: member.removed with reason left, and the group is gone from their list', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await group(t, owner, 'G', [bob]);
      // Removing yourself through the members route is leaving too.
      const left = await ok(t, bob, 'DELETE', `/v1/conversations/${conversation.id}/members/${bob.user.id}`);
      assert.equal(left.seq, 4);
      const log = await conversationLog(t, owner, conversation.id);
      assert.deepEqual([log.at(-1)!.type, log.at(-1)!.actorId, log.at(-1)!.data], ['member.removed', bob.user.id, { userId: bob.user.id, reason: 'left' }]);
      assert.deepEqual((await userLog(t, bob)).at(-1)!.data, { conversationId: conversation.id, seq: 4, reason: 'left' });
      assert.deepEqual(expectOk(await call(t, bob, 'GET', '/v1/conversations')).conversations, []);
      assert.equal((await getConversation(t, owner, conversation.id)).memberCount, 1);
      // Leaving again: no longer a member.
      const again = await call(t, bob, 'POST', `/v1/conversations/${conversation.id}/leave`);
      assert.equal(again.status, 404);
    });

    it('hands ownership to the longest-standing member when the owner leaves, announced by member.role_changed', async () => {
      // early has the larger id but joined first: ownership follows joining order, not id order.
      const owner = await createUser(t.url);
      const late = await createUser(t.url);
      const early = await createUser(t.url);
      assert.ok(late.user.id < early.user.id, 'ids are time-ordered');
      const conversation = await group(t, owner, 'Heirs', [early]);
      await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [late.user.id] });
      const earlySocket = await TestSocket.open(t.wsUrl, early.token);
      try {
        const left = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/leave`);
        assert.equal(left.seq, 6);
        const changed = await earlySocket.next((f) => f.t === 'event' && f.event.type === 'member.role_changed');
        // The owner holds every right; the event says so, so clients need no rights table.
        assert.deepEqual(changed.event.data, { userId: early.user.id, role: 'owner', rights: [...RightList] });
        await earlySocket.next((f) => f.t === 'event' && f.event.type === 'member.removed');
      } finally {
        earlySocket.close();
      }
      const log = await conversationLog(t, late, conversation.id);
      assertGapFree(log);
      assert.deepEqual(log.slice(-2).map((e) => [e.seq, e.type, e.actorId, e.data]), [
        [5, 'member.role_changed', null, { userId: early.user.id, role: 'owner', rights: [...RightList] }],
        [6, 'member.removed', owner.user.id, { userId: owner.user.id, reason: 'left' }],
      ]);
      assert.equal((await getConversation(t, early, conversation.id)).role, 'owner');
      assert.equal((await getConversation(t, late, conversation.id)).role, 'member');
      // The new owner can do what owners do.
      const renamed = await ok(t, early, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'Mine now' });
      assert.equal(renamed.conversation.title, 'Mine now');
    });

    it('lets a member who is the last one leave, leaving an empty group', async () => {
      const owner = await createUser(t.url);
      const conversation = await group(t, owner, 'Solo', []);
      assert.equal(conversation.memberCount, 1);
      const left = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/leave`);
      assert.equal(left.seq, 3);
      assert.deepEqual(expectOk(await call(t, owner, 'GET', '/v1/conversations')).conversations, []);
    });

    it('removes a deleted account from its groups, passing ownership on, and keeps its direct conversations readable', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, owner, 'Room', [bob, carol]);
      const pair = await direct(t, owner, bob);
      await send(t, owner, pair.id, 'last words');
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        expectOk(await http(t.url, 'DELETE', `/v1/admin/users/${owner.user.id}`, { token: ADMIN_KEY }));
        const removed = await bobSocket.next((f) => f.t === 'event' && f.event.type === 'member.removed');
        assert.deepEqual(removed.event.data, { userId: owner.user.id, reason: 'deleted' });
      } finally {
        bobSocket.close();
      }
      const log = await conversationLog(t, bob, room.id);
      assertGapFree(log);
      const heir = [bob, carol].sort((a, b) => byId(a.user.id, b.user.id))[0]!;
      assert.deepEqual(log.slice(-2).map((e) => [e.type, e.data]), [
        ['member.role_changed', { userId: heir.user.id, role: 'owner', rights: [...RightList] }],
        ['member.removed', { userId: owner.user.id, reason: 'deleted' }],
      ]);
      assert.equal((await getConversation(t, heir, room.id)).role, 'owner');
      assert.equal((await getConversation(t, bob, room.id)).memberCount, 2);
      const kept = await getConversation(t, bob, pair.id);
      assert.equal(kept.memberCount, 2);
      assert.equal(kept.peer?.id, owner.user.id);
      const history = await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/messages`);
      assert.deepEqual(history.messages.map((m: any) => m.text), ['last words']);
    });

    it('lets the owner but not an ordinary member change the title, with a conversation.updated event, and skips a change to the same title', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await group(t, owner, 'Before', [bob]);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const renamed = (await ok(t, owner, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'After' })).conversation;
        assert.equal(renamed.title, 'After');
        assert.equal(renamed.lastSeq, 4);
        const live = await bobSocket.next((f) => f.t === 'event' && f.event.type === 'conversation.updated');
        assert.deepEqual(live.event.data, { title: 'After' });
        assert.equal(live.event.seq, 4);
      } finally {
        bobSocket.close();
      }
      const byMember = await call(t, bob, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'Mine' });
      assert.equal(byMember.status, 403);
      assert.equal(byMember.body.error.code, 'forbidden');
      const same = (await ok(t, owner, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'After' })).conversation;
      assert.equal(same.lastSeq, 4);
      const invalid = await call(t, owner, 'PATCH', `/v1/conversations/${conversation.id}`, { title: '' });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.error.code, 'validation_failed');
      const log = await conversationLog(t, bob, conversation.id);
      assert.deepEqual(log.map((e) => e.type), ['conversation.created', 'members.added', 'members.added', 'conversation.updated']);
      assert.equal((await getConversation(t, bob, conversation.id)).title, 'After');
    });

    it('records every change in a gap-free log that pages with after and limit', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await group(t, owner, 'Log', [bob]);
      await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [carol.user.id] });
      await ok(t, owner, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'Log 2' });
      const message = await send(t, bob, conversation.id, 'hello');
      await ok(t, bob, 'PATCH', `/v1/conversations/${conversation.id}/messages/${message.id}`, { text: 'hello!' });
      await ok(t, bob, 'DELETE', `/v1/conversations/${conversation.id}/messages/${message.id}`);
      await ok(t, owner, 'DELETE', `/v1/conversations/${conversation.id}/members/${carol.user.id}`);
      await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/leave`);
      const log = await conversationLog(t, bob, conversation.id);
      assertGapFree(log);
      assert.deepEqual(log.map((e) => e.type), [
        'conversation.created', 'members.added', 'members.added', 'members.added', 'conversation.updated',
        'message.created', 'message.edited', 'message.deleted', 'member.removed', 'member.role_changed', 'member.removed',
      ]);
      for (const event of log) assert.equal(event.conversationId, conversation.id);
      const head = await getConversation(t, bob, conversation.id);
      assert.equal(head.lastSeq, log.length);
      // Paging: 3 at a time from seq 2.
      const page1 = await ok(t, bob, 'GET', `/v1/conversations/${conversation.id}/events?after=2&limit=3`);
      assert.deepEqual(page1.events.map((e: any) => e.seq), [3, 4, 5]);
      assert.equal(page1.hasMore, true);
      assert.equal(page1.lastSeq, 11);
      const tail = await ok(t, bob, 'GET', `/v1/conversations/${conversation.id}/events?after=9&limit=3`);
      assert.deepEqual(tail.events.map((e: any) => e.seq), [10, 11]);
      assert.equal(tail.hasMore, false);
      const past = await ok(t, bob, 'GET', `/v1/conversations/${conversation.id}/events?after=11`);
      assert.deepEqual(past, { events: [], lastSeq: 11, hasMore: false });
      const bad = await call(t, bob, 'GET', `/v1/conversations/${conversation.id}/events?after=-1`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'validation_failed');
    });
  });

  describe(`conversation lists and read state (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('pages the heads of a user\'s conversations in id order, each once, with the user log head on every page', async () => {
      const me = await createUser(t.url);
      const others = await Promise.all(Array.from({ length: 5 }, () => createUser(t.url)));
      const created = [];
      for (const other of others) created.push(await direct(t, me, other));
      const whole = await ok(t, me, 'GET', '/v1/me/heads');
      assert.equal(whole.conversations.length, 5);
      assert.equal(whole.nextCursor, null);
      const pages = [];
      let cursor: string | null = null;
      do {
        const page: { userSeq: number; conversations: Array<{ id: string; lastSeq: number }>; nextCursor: string | null } = await ok(t, me, 'GET', `/v1/me/heads?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.conversations.length <= 2);
        assert.equal(page.userSeq, whole.userSeq);
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor);
      assert.equal(pages.length, 3);
      const ids = pages.flatMap((page) => page.conversations.map((head) => head.id));
      assert.deepEqual(ids, created.map((conversation) => conversation.id).sort());
      assert.deepEqual(ids, whole.conversations.map((head: { id: string }) => head.id));
      assert.equal((await call(t, me, 'GET', '/v1/me/heads?limit=0')).status, 400);
      assert.equal((await call(t, me, 'GET', '/v1/me/heads?limit=1001')).status, 400);
    });

    it('lists conversations by latest activity and pages through them with a cursor', async () => {
      const me = await createUser(t.url);
      const others = await Promise.all(Array.from({ length: 5 }, () => createUser(t.url)));
      const created: Conversation[] = [];
      for (const other of others) {
        created.push(await direct(t, me, other));
        await nextMillisecond();
      }
      // Activity moves the second and the fourth to the top, the fourth last of all.
      await send(t, others[1]!, created[1]!.id, 'bump');
      await nextMillisecond();
      await send(t, me, created[3]!.id, 'bump');
      const expected = [created[3]!, created[1]!, created[4]!, created[2]!, created[0]!].map((c) => c.id);
      for (const limit of [1, 2, 5, 50]) {
        const { ids, pages } = await listAll(t, me, limit);
        assert.deepEqual(ids, expected, `limit ${limit}`);
        assert.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), `pages at limit ${limit}`);
      }
      const first = expectOk(await call(t, me, 'GET', '/v1/conversations?limit=1'));
      assert.equal(first.conversations[0].lastMessage.text, 'bump');
      assert.equal(first.conversations[0].peer.id, others[3]!.user.id);
    });

    it('answers 400 for a cursor it did not issue', async () => {
      const me = await createUser(t.url);
      const result = await call(t, me, 'GET', '/v1/conversations?cursor=not-a-cursor');
      assert.equal(result.status, 400);
      assert.equal(result.body.error.code, 'bad_request');
    });

    it('counts unread messages from others only, not deleted ones, and moves the read pointer forward only', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const other = await group(t, carol, 'Other', [alice]);
      const fromBob = [];
      for (let i = 0; i < 4; i++) fromBob.push(await send(t, bob, conversation.id, `b${i}`));
      const own = await send(t, alice, conversation.id, 'mine');
      await send(t, carol, other.id, 'c0');
      await ok(t, bob, 'DELETE', `/v1/conversations/${conversation.id}/messages/${fromBob[3].id}`);
      let view = await getConversation(t, alice, conversation.id);
      assert.equal(view.lastSeq, 8); // created, added, 4 + 1 messages, delete
      assert.equal(view.readSeq, 2, 'the pointer starts where she joined');
      assert.equal(view.unreadCount, 3, 'three from bob, the deleted one and her own do not count');
      assert.equal(view.lastMessage!.id, own.id);
      assert.equal((await getConversation(t, bob, conversation.id)).unreadCount, 1);
      let list = expectOk(await call(t, alice, 'GET', '/v1/conversations'));
      assert.equal(list.totalUnread, 4);

      const read = await ok(t, alice, 'POST', `/v1/conversations/${conversation.id}/read`, { seq: fromBob[1].seq });
      assert.deepEqual(read, { readSeq: fromBob[1].seq, unreadCount: 1 });
      view = await getConversation(t, alice, conversation.id);
      assert.equal(view.readSeq, fromBob[1].seq);
      assert.equal(view.unreadCount, 1);
      const headBefore = await userHead(t, alice);

      // Backwards: no move, no event.
      const back = await ok(t, alice, 'POST', `/v1/conversations/${conversation.id}/read`, { seq: 1 });
      assert.deepEqual(back, { readSeq: fromBob[1].seq, unreadCount: 1 });
      assert.equal(await userHead(t, alice), headBefore);

      // Past the end: clamped to the head.
      const all = await ok(t, alice, 'POST', `/v1/conversations/${conversation.id}/read`, { seq: 1000 });
      assert.deepEqual(all, { readSeq: 8, unreadCount: 0 });
      list = expectOk(await call(t, alice, 'GET', '/v1/conversations'));
      assert.equal(list.totalUnread, 1);
      const reads = (await userLog(t, alice)).filter((e) => e.type === 'read');
      assert.deepEqual(reads.map((e) => e.data), [
        { conversationId: conversation.id, seq: fromBob[1].seq },
        { conversationId: conversation.id, seq: 8 },
      ]);
    });

    it('starts a new member\'s read pointer where they joined, so earlier history is not unread', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const conversation = await group(t, owner, 'Busy', [bob]);
      for (let i = 0; i < 5; i++) await send(t, bob, conversation.id, `before carol ${i}`);
      const { seq } = await ok(t, owner, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [carol.user.id] });
      let view = await getConversation(t, carol, conversation.id);
      assert.equal(view.readSeq, seq);
      assert.equal(view.unreadCount, 0);
      assert.equal(expectOk(await call(t, carol, 'GET', '/v1/conversations')).totalUnread, 0);
      // The history is still there to read.
      const history = await ok(t, carol, 'GET', `/v1/conversations/${conversation.id}/messages`);
      assert.equal(history.messages.length, 5);
      await send(t, bob, conversation.id, 'after carol');
      view = await getConversation(t, carol, conversation.id);
      assert.equal(view.unreadCount, 1);
      // Existing members' pointers are untouched by someone joining.
      assert.equal((await getConversation(t, owner, conversation.id)).unreadCount, 6);
    });

    it('tells every device of the reader about a read pointer move', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const message = await send(t, bob, conversation.id, 'read me');
      const other = await TestSocket.open(t.wsUrl, alice.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        await ok(t, alice, 'POST', `/v1/conversations/${conversation.id}/read`, { seq: message.seq });
        const frame = await other.next((f) => f.t === 'user_event' && f.event.type === 'read');
        assert.deepEqual(frame.event.data, { conversationId: conversation.id, seq: message.seq });
        // Fence: something bob must receive after the read; by then a leaked read would have arrived.
        await send(t, alice, conversation.id, 'fence');
        await bobSocket.next((f) => f.t === 'event' && f.event.data.message?.text === 'fence');
        assert.equal(bobSocket.frames.filter((f) => f.t === 'user_event' && f.event.type === 'read').length, 0, 'the peer never hears of it');
      } finally {
        other.close();
        bobSocket.close();
      }
    });

    it('lists members in user id order, a page at a time', async () => {
      const owner = await createUser(t.url);
      const others = await Promise.all(Array.from({ length: 6 }, () => createUser(t.url)));
      const conversation = await group(t, owner, 'Many', others);
      const seen: any[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: any = await ok(t, others[0]!, 'GET', `/v1/conversations/${conversation.id}/members${query}`);
        assert.ok(page.members.length <= 3);
        seen.push(...page.members);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      const expected = [owner, ...others].map((u) => u.user.id).sort(byId);
      assert.deepEqual(seen.map((m) => m.userId), expected);
      for (const member of seen) {
        assert.equal(member.role, member.userId === owner.user.id ? 'owner' : 'member');
        assert.equal(member.user.id, member.userId);
        assert.equal(typeof member.user.displayName, 'string');
        assert.ok(!Number.isNaN(Date.parse(member.joinedAt)));
      }
      const bad = await call(t, owner, 'GET', `/v1/conversations/${conversation.id}/members?cursor=bm90LWpzb24`);
      assert.equal(bad.status, 400);
    });
  });
}

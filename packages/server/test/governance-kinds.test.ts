import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RightList } from '@parley/protocol';
import { call, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import {
  auditEntry, channel, conversationAudit, create, events, liveEvent, liveUserEvent, members, movableClock, nextClientId, refused, send, seenLiveAndInLog, texts, trySend,
  userLog, view,
} from './support/governance.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const ADMIN_DEFAULTS = RightList.filter((right) => right !== 'manage_roles');
let handles = 0;
const handle = (prefix: string) => `${prefix}${process.pid % 10_000}x${++handles}`;

for (const backend of backends) {
  describe(`private groups (${backend.name})`, () => {
    let t: TestApp;
    const time = movableClock();
    before(async () => {
      t = await startApp(backend, { clock: time.clock, env: { ACCESS_TOKEN_TTL_SEC: '86400' } });
    });
    after(() => t.close());

    it('are private without a handle, and cannot be joined or even found by someone outside', async () => {
      const owner = await createUser(t.url);
      const stranger = await createUser(t.url);
      const room = await group(t, owner, 'Private', []);
      assert.equal(room.visibility, 'private');
      assert.equal(room.handle, null);
      const join = refused(await call(t, stranger, 'POST', `/v1/conversations/${room.id}/join`), 404, 'not_found');
      // The same answer as for a conversation that does not exist.
      assert.deepEqual(join, refused(await call(t, stranger, 'POST', '/v1/conversations/no-such-room/join'), 404, 'not_found'));
      refused(await call(t, stranger, 'GET', `/v1/conversations/${room.id}`), 404, 'not_found');
      assert.equal((await view(t, owner, room.id)).memberCount, 1);
      assert.deepEqual(await userLog(t, stranger), []);
    });

    it('let people in who are added by a member (members hold add_members by default)', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, owner, 'Added', [bob]);
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      try {
        const { seq } = await ok(t, bob, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [carol.user.id] });
        const added = await seenLiveAndInLog(t, owner, ownerSocket, room.id, 'members.added', (e) => e.seq === seq);
        assert.equal(added.actorId, bob.user.id);
        assert.deepEqual(added.data, { userIds: [carol.user.id], role: 'member' });
      } finally {
        ownerSocket.close();
      }
      assert.deepEqual((await userLog(t, carol)).map((e) => [e.type, e.data]), [['conversation.added', { conversationId: room.id, seq: room.lastSeq + 1 }]]);
      assert.equal((await view(t, carol, room.id)).role, 'member');
    });

    it('let people in through an invite link, counting uses, until it is used up, revoked or expired', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const [carol, dave, erin, frank, gina] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(t.url)));
      const room = await group(t, owner, 'By invite', [bob]);
      // Ordinary members do not manage invites.
      refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/invites`, {}), 403, 'forbidden');
      const { invite } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/invites`, { name: 'friends', maxUses: 2 });
      assert.deepEqual({ ...invite, code: 'x', createdAt: 'x' }, {
        code: 'x', conversationId: room.id, name: 'friends', createdBy: owner.user.id, createdAt: 'x', expiresAt: null, maxUses: 2, uses: 0, requiresApproval: false, revoked: false,
      });
      const preview = await ok(t, carol, 'GET', `/v1/invites/${invite.code}`);
      assert.deepEqual(preview, {
        conversation: { id: room.id, kind: 'group', visibility: 'private', handle: null, title: 'By invite', description: null, memberCount: 2, joinApproval: false },
        requiresApproval: false,
      });
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        const joined = await ok(t, carol, 'POST', `/v1/invites/${invite.code}/join`);
        assert.equal(joined.status, 'joined');
        assert.equal(joined.conversation.id, room.id);
        assert.equal(joined.conversation.role, 'member');
        const event = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'members.added', (e) => e.data.userIds.includes(carol.user.id));
        assert.equal(event.actorId, carol.user.id);
        assert.deepEqual(event.data, { userIds: [carol.user.id], role: 'member' });
        const note = await liveUserEvent(carolSocket, 'conversation.added');
        assert.deepEqual(note.data, { conversationId: room.id, seq: event.seq });
        // A newcomer's read pointer starts at the join.
        assert.equal(joined.conversation.readSeq, event.seq);
      } finally {
        bobSocket.close();
        carolSocket.close();
      }
      // Joining again through the link is a no-op, and uses nothing.
      assert.equal((await ok(t, carol, 'POST', `/v1/invites/${invite.code}/join`)).status, 'joined');
      assert.deepEqual((await ok(t, owner, 'GET', `/v1/conversations/${room.id}/invites`)).invites.map((i: any) => [i.code, i.uses]), [[invite.code, 1]]);
      assert.equal((await ok(t, gina, 'POST', `/v1/invites/${invite.code}/join`)).status, 'joined');
      // Used up: it looks like a link that never existed.
      const usedUp = refused(await call(t, dave, 'POST', `/v1/invites/${invite.code}/join`), 404, 'not_found');
      assert.deepEqual(usedUp, refused(await call(t, dave, 'POST', '/v1/invites/never-was-a-code/join'), 404, 'not_found'));
      refused(await call(t, dave, 'GET', `/v1/invites/${invite.code}`), 404, 'not_found');
      const listed = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}/invites`)).invites;
      assert.deepEqual(listed.map((i: any) => [i.code, i.uses]), [[invite.code, 2]]);

      // Revoked.
      const open = (await ok(t, owner, 'POST', `/v1/conversations/${room.id}/invites`, {})).invite;
      await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/invites/${open.code}`);
      refused(await call(t, dave, 'POST', `/v1/invites/${open.code}/join`), 404, 'not_found');
      refused(await call(t, owner, 'DELETE', `/v1/conversations/${room.id}/invites/${open.code}`), 404, 'not_found');

      // Expired: an hour later the link is gone; before that it works.
      const hourly = (await ok(t, owner, 'POST', `/v1/conversations/${room.id}/invites`, { expiresInSec: 3600 })).invite;
      assert.equal((await ok(t, erin, 'POST', `/v1/invites/${hourly.code}/join`)).status, 'joined');
      time.advance(3601_000);
      refused(await call(t, frank, 'POST', `/v1/invites/${hourly.code}/join`), 404, 'not_found');
      assert.deepEqual([...(await members(t, owner, room.id)).keys()].sort(), [owner, bob, carol, gina, erin].map((u) => u.user.id).sort());
      assert.deepEqual(await userLog(t, dave), []);
      assert.deepEqual(await userLog(t, frank), []);
      const audit = await conversationAudit(t, owner, room.id);
      auditEntry(audit, 'invite.created', invite.code);
      auditEntry(audit, 'invite.revoked', open.code);
    });

    it('hold requests made through an approval link until an admin approves or declines them', async () => {
      const owner = await createUser(t.url);
      const asker = await createUser(t.url);
      const room = await group(t, owner, 'Approval link', []);
      const { invite } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/invites`, { requiresApproval: true });
      assert.equal((await ok(t, asker, 'GET', `/v1/invites/${invite.code}`)).requiresApproval, true);
      assert.deepEqual(await ok(t, asker, 'POST', `/v1/invites/${invite.code}/join`), { status: 'pending', conversation: null });
      refused(await call(t, asker, 'GET', `/v1/conversations/${room.id}`), 404, 'not_found');
      const { requests } = await ok(t, owner, 'GET', `/v1/conversations/${room.id}/join-requests`);
      assert.deepEqual(requests.map((r: any) => [r.userId, r.viaInvite]), [[asker.user.id, true]]);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/join-requests/${asker.user.id}/approve`);
      assert.equal((await view(t, asker, room.id)).role, 'member');
      assert.deepEqual((await ok(t, owner, 'GET', `/v1/conversations/${room.id}/join-requests`)).requests, []);
      auditEntry(await conversationAudit(t, owner, room.id), 'join_request.approved', asker.user.id);
    });
  });

  describe(`public groups (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('are found by handle (in any case) and anyone may join as a member, heard live and in the log', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const visitor = await createUser(t.url);
      const name = handle('Lobby');
      const room = await create(t, owner, { kind: 'group', title: 'Lobby', description: 'Come in', handle: name, memberIds: [bob.user.id] });
      assert.equal(room.visibility, 'public');
      assert.equal(room.handle, name.toLowerCase());
      const found = await ok(t, visitor, 'GET', `/v1/conversations/by-handle/${name.toUpperCase()}`);
      assert.deepEqual(found.conversation, {
        id: room.id, kind: 'group', visibility: 'public', handle: name.toLowerCase(), title: 'Lobby', description: 'Come in', memberCount: 2, joinApproval: false,
      });
      refused(await call(t, visitor, 'GET', `/v1/conversations/${room.id}/messages`), 404, 'not_found');
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const joined = await ok(t, visitor, 'POST', `/v1/conversations/${room.id}/join`);
        assert.equal(joined.status, 'joined');
        assert.equal(joined.conversation.role, 'member');
        assert.equal(joined.conversation.memberCount, 3);
        const event = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'members.added', (e) => e.data.userIds.includes(visitor.user.id));
        assert.equal(event.actorId, visitor.user.id);
        assert.deepEqual(event.data, { userIds: [visitor.user.id], role: 'member' });
      } finally {
        bobSocket.close();
      }
      // Joining twice changes nothing.
      const before = (await view(t, owner, room.id)).lastSeq;
      assert.equal((await ok(t, visitor, 'POST', `/v1/conversations/${room.id}/join`)).status, 'joined');
      assert.equal((await view(t, owner, room.id)).lastSeq, before);
      await send(t, visitor, room.id, 'hi all');
      assert.deepEqual(await texts(t, owner, room.id), ['hi all']);
      // A handle nobody has: not found.
      refused(await call(t, visitor, 'GET', `/v1/conversations/by-handle/${handle('nobody')}`), 404, 'not_found');
    });

    it('keep out a banned user who tries to join by handle', async () => {
      const owner = await createUser(t.url);
      const troll = await createUser(t.url);
      const room = await create(t, owner, { kind: 'group', title: 'Guarded', handle: handle('guard'), memberIds: [] });
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/bans`, { userId: troll.user.id });
      refused(await call(t, troll, 'POST', `/v1/conversations/${room.id}/join`), 403, 'forbidden');
      assert.equal((await view(t, owner, room.id)).memberCount, 1);
    });

    it('with join approval leave a joiner pending until approved; a declined one hears join_request.declined', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const keen = await createUser(t.url);
      const unlucky = await createUser(t.url);
      const room = await create(t, owner, { kind: 'group', title: 'Club', handle: handle('club'), memberIds: [bob.user.id], settings: { joinApproval: true } });
      assert.equal(room.settings.joinApproval, true);
      assert.equal((await ok(t, keen, 'GET', `/v1/conversations/by-handle/${room.handle}`)).conversation.joinApproval, true);
      const headBefore = room.lastSeq;
      assert.deepEqual(await ok(t, keen, 'POST', `/v1/conversations/${room.id}/join`), { status: 'pending', conversation: null });
      assert.deepEqual(await ok(t, unlucky, 'POST', `/v1/conversations/${room.id}/join`), { status: 'pending', conversation: null });
      // Pending is not membership: nothing in the log, nothing readable.
      refused(await call(t, keen, 'GET', `/v1/conversations/${room.id}`), 404, 'not_found');
      assert.equal((await view(t, owner, room.id)).lastSeq, headBefore);
      const pending = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}/join-requests`)).requests;
      assert.deepEqual(pending.map((r: any) => r.userId).sort(), [keen.user.id, unlucky.user.id].sort());
      assert.deepEqual(pending.map((r: any) => r.viaInvite), [false, false]);
      // Members without manage_invites neither see nor decide requests.
      refused(await call(t, bob, 'GET', `/v1/conversations/${room.id}/join-requests`), 403, 'forbidden');
      refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/join-requests/${keen.user.id}/approve`), 403, 'forbidden');

      const keenSocket = await TestSocket.open(t.wsUrl, keen.token);
      const unluckySocket = await TestSocket.open(t.wsUrl, unlucky.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        await ok(t, owner, 'POST', `/v1/conversations/${room.id}/join-requests/${keen.user.id}/approve`);
        const added = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'members.added', (e) => e.data.userIds.includes(keen.user.id));
        assert.equal(added.actorId, owner.user.id);
        const note = await liveUserEvent(keenSocket, 'conversation.added');
        assert.deepEqual(note.data, { conversationId: room.id, seq: added.seq });
        assert.equal((await view(t, keen, room.id)).role, 'member');

        await ok(t, owner, 'POST', `/v1/conversations/${room.id}/join-requests/${unlucky.user.id}/decline`);
        const declined = await liveUserEvent(unluckySocket, 'join_request.declined');
        assert.deepEqual(declined.data, { conversationId: room.id });
        assert.deepEqual((await userLog(t, unlucky)).map((e) => [e.type, e.data]), [['join_request.declined', { conversationId: room.id }]]);
      } finally {
        keenSocket.close();
        unluckySocket.close();
        bobSocket.close();
      }
      refused(await call(t, unlucky, 'GET', `/v1/conversations/${room.id}`), 404, 'not_found');
      assert.deepEqual((await ok(t, owner, 'GET', `/v1/conversations/${room.id}/join-requests`)).requests, []);
      // A request that is gone cannot be decided twice.
      refused(await call(t, owner, 'POST', `/v1/conversations/${room.id}/join-requests/${unlucky.user.id}/approve`), 404, 'not_found');
      const audit = await conversationAudit(t, owner, room.id);
      auditEntry(audit, 'join_request.approved', keen.user.id);
      auditEntry(audit, 'join_request.declined', unlucky.user.id);
    });
  });

  describe(`channels (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('let the owner and admins post while subscribers read; a subscriber\'s post is refused and stores nothing', async () => {
      const owner = await createUser(t.url);
      const editor = await createUser(t.url);
      const reader = await createUser(t.url);
      const mod = await createUser(t.url);
      const news = await channel(t, owner, 'News', [editor, reader, mod]);
      assert.equal(news.kind, 'channel');
      assert.equal(news.role, 'owner');
      const roster = await members(t, owner, news.id);
      assert.deepEqual([...roster.values()].map((m) => m.role).sort(), ['owner', 'subscriber', 'subscriber', 'subscriber']);
      const readerView = await view(t, reader, news.id);
      assert.equal(readerView.role, 'subscriber');
      assert.deepEqual(readerView.rights, []);
      // The log says they joined as subscribers.
      const joined = (await events(t, reader, news.id)).filter((e) => e.type === 'members.added');
      assert.deepEqual(joined.map((e: any) => e.data.role), ['owner', 'subscriber']);

      await ok(t, owner, 'PATCH', `/v1/conversations/${news.id}/members/${editor.user.id}`, { role: 'admin' });
      await ok(t, owner, 'PATCH', `/v1/conversations/${news.id}/members/${mod.user.id}`, { role: 'moderator' });
      const readerSocket = await TestSocket.open(t.wsUrl, reader.token);
      try {
        const post = await send(t, owner, news.id, 'Edition 1');
        const live = await liveEvent(readerSocket, news.id, 'message.created', (e) => e.seq === post.seq);
        assert.equal(live.data.message.text, 'Edition 1');
        const byAdmin = await send(t, editor, news.id, 'Edition 2');
        await liveEvent(readerSocket, news.id, 'message.created', (e) => e.seq === byAdmin.seq);
      } finally {
        readerSocket.close();
      }
      const head = (await view(t, owner, news.id)).lastSeq;
      refused(await trySend(t, reader, news.id, 'me too'), 403, 'forbidden', /post/);
      // Moderators keep order but do not publish (no post right by default).
      refused(await trySend(t, mod, news.id, 'mod post'), 403, 'forbidden');
      assert.equal((await view(t, owner, news.id)).lastSeq, head);
      assert.deepEqual(await texts(t, reader, news.id), ['Edition 1', 'Edition 2']);
      // A subscriber may react, like everyone who can read.
      const [first] = (await ok(t, reader, 'GET', `/v1/conversations/${news.id}/messages`)).messages;
      await ok(t, reader, 'PUT', `/v1/conversations/${news.id}/messages/${first.id}/reactions/${encodeURIComponent('👍')}`);
    });

    it('show a subscriber only the owner, admins and moderators with a count, and everyone to those who manage members', async () => {
      const [owner, editor, mod, curator, reader, fan] = await Promise.all(Array.from({ length: 6 }, () => createUser(t.url)));
      const name = handle('roster');
      const news = await channel(t, owner, 'Roster', [editor, mod, curator, reader], { handle: name });
      await ok(t, fan, 'POST', `/v1/conversations/${news.id}/join`);
      await ok(t, owner, 'PATCH', `/v1/conversations/${news.id}/members/${editor.user.id}`, { role: 'admin' });
      await ok(t, owner, 'PATCH', `/v1/conversations/${news.id}/members/${mod.user.id}`, { role: 'moderator' });
      // An admin who edits the channel but does not manage its members.
      await ok(t, owner, 'PATCH', `/v1/conversations/${news.id}/members/${curator.user.id}`, { role: 'admin', rights: ['edit_info'] });
      const listed = async (viewer: typeof owner, query = '') => ok(t, viewer, 'GET', `/v1/conversations/${news.id}/members${query}`);
      const staff = [owner, editor, mod, curator].map((u) => u.user.id).sort();
      const everyone = [...staff, reader.user.id, fan.user.id].sort();
      for (const viewer of [reader, fan, curator]) {
        const page = await listed(viewer);
        assert.deepEqual(page.members.map((m: any) => m.userId).sort(), staff, 'subscribers are not listed');
        assert.deepEqual([page.scope, page.total], ['staff', 6]);
      }
      // Paging walks the same view.
      const first = await listed(fan, '?limit=2');
      const rest = await listed(fan, `?limit=10&cursor=${encodeURIComponent(first.nextCursor)}`);
      assert.deepEqual([...first.members, ...rest.members].map((m: any) => m.userId).sort(), staff);
      for (const viewer of [owner, editor, mod]) {
        const page = await listed(viewer);
        assert.deepEqual(page.members.map((m: any) => m.userId).sort(), everyone);
        assert.deepEqual([page.scope, page.total], ['all', 6]);
      }
      // Nor does the channel's log name them to anyone: who joined, left or was removed as a
      // subscriber is a count, and a subscriber's own log says why they are out.
      const watcher = await TestSocket.open(t.wsUrl, reader.token);
      try {
        const [leaver, banned] = await Promise.all([createUser(t.url), createUser(t.url)]);
        await ok(t, leaver, 'POST', `/v1/conversations/${news.id}/join`);
        await ok(t, banned, 'POST', `/v1/conversations/${news.id}/join`);
        await ok(t, leaver, 'POST', `/v1/conversations/${news.id}/leave`);
        await ok(t, owner, 'POST', `/v1/conversations/${news.id}/bans`, { userId: banned.user.id });
        const log = await events(t, reader, news.id);
        const subscriberIds = [reader, fan, leaver, banned].map((u) => u.user.id);
        const leaks = log.filter((e) => subscriberIds.some((id) => JSON.stringify(e).includes(id)));
        assert.deepEqual(leaks.map((e) => e.type), [], 'no event of the channel names a subscriber');
        const removals = log.filter((e) => e.type === 'member.removed').map((e: any) => [e.actorId, e.data]);
        assert.deepEqual(removals, [[null, { reason: 'left' }], [owner.user.id, { reason: 'banned' }]]);
        const live = await liveEvent(watcher, news.id, 'member.removed', (e: any) => e.data.reason === 'banned');
        assert.equal(live.data.userId, undefined, 'nor is a removal named live');
        assert.equal((await view(t, reader, news.id)).memberCount, 6);
        const out = (await userLog(t, banned)).filter((e) => e.type === 'conversation.removed');
        assert.deepEqual(out.map((e: any) => [e.data.conversationId, e.data.reason]), [[news.id, 'banned']]);
      } finally {
        watcher.close();
      }

      // Groups are unchanged: members know each other.
      const room = await group(t, owner, 'Everyone sees everyone', [reader, fan]);
      const page = await ok(t, fan, 'GET', `/v1/conversations/${room.id}/members`);
      assert.deepEqual([page.members.length, page.scope, page.total], [3, 'all', 3]);
    });

    it('when public are joined by handle as a subscriber', async () => {
      const owner = await createUser(t.url);
      const fan = await createUser(t.url);
      const name = handle('daily');
      const daily = await channel(t, owner, 'Daily', [], { handle: name });
      assert.equal(daily.visibility, 'public');
      const preview = (await ok(t, fan, 'GET', `/v1/conversations/by-handle/${name}`)).conversation;
      assert.equal(preview.kind, 'channel');
      const joined = await ok(t, fan, 'POST', `/v1/conversations/${daily.id}/join`);
      assert.equal(joined.status, 'joined');
      assert.equal(joined.conversation.role, 'subscriber');
      const [added] = (await events(t, fan, daily.id)).slice(-1);
      // Subscribers are not named in the channel's log (see the roster test).
      assert.deepEqual([added!.type, added!.actorId, added!.data], ['members.added', null, { userIds: [], role: 'subscriber', count: 1 }]);
      refused(await trySend(t, fan, daily.id, 'first!'), 403, 'forbidden');
    });

    it('when private are joined only through an invite, as a subscriber', async () => {
      const owner = await createUser(t.url);
      const insider = await createUser(t.url);
      const outsider = await createUser(t.url);
      const secret = await channel(t, owner, 'Insiders', []);
      assert.equal(secret.visibility, 'private');
      refused(await call(t, outsider, 'POST', `/v1/conversations/${secret.id}/join`), 404, 'not_found');
      const { invite } = await ok(t, owner, 'POST', `/v1/conversations/${secret.id}/invites`, {});
      const joined = await ok(t, insider, 'POST', `/v1/invites/${invite.code}/join`);
      assert.equal(joined.conversation.role, 'subscriber');
      await send(t, owner, secret.id, 'for insiders');
      assert.deepEqual(await texts(t, insider, secret.id), ['for insiders']);
      refused(await call(t, outsider, 'GET', `/v1/conversations/${secret.id}/messages`), 404, 'not_found');
    });

    it('have no member role to give, and groups no subscriber role', async () => {
      const owner = await createUser(t.url);
      const sub = await createUser(t.url);
      const news = await channel(t, owner, 'Roles', [sub]);
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${news.id}/members/${sub.user.id}`, { role: 'member' }), 400, 'validation_failed');
      const room = await group(t, owner, 'Roles', [sub]);
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${sub.user.id}`, { role: 'subscriber' }), 400, 'validation_failed');
      assert.equal((await members(t, owner, news.id)).get(sub.user.id)!.role, 'subscriber');
      assert.equal((await members(t, owner, room.id)).get(sub.user.id)!.role, 'member');
    });
  });

  describe(`handles (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('are required for a public conversation and refused for a private one', async () => {
      const owner = await createUser(t.url);
      const noHandle = refused(await call(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'Open', visibility: 'public', memberIds: [] }), 400, 'validation_failed');
      assert.deepEqual(noHandle.details, [{ path: '/handle', message: 'required when visibility is public' }]);
      refused(await call(t, owner, 'POST', '/v1/conversations', { kind: 'channel', title: 'Closed', visibility: 'private', handle: handle('closed') }), 400, 'validation_failed');
      assert.deepEqual((await ok(t, owner, 'GET', '/v1/conversations')).conversations, []);
    });

    it('are unique across groups and channels, whatever the case: a second one gets 409 handle_taken and creates nothing', async () => {
      const owner = await createUser(t.url);
      const rival = await createUser(t.url);
      const name = handle('unique');
      await create(t, owner, { kind: 'group', title: 'First', handle: name, memberIds: [] });
      refused(await call(t, rival, 'POST', '/v1/conversations', { kind: 'channel', title: 'Second', handle: name.toUpperCase() }), 409, 'handle_taken');
      assert.deepEqual((await ok(t, rival, 'GET', '/v1/conversations')).conversations, []);
      // Taking it by renaming another conversation fails the same way.
      const other = await create(t, rival, { kind: 'group', title: 'Other', handle: handle('other'), memberIds: [] });
      refused(await call(t, rival, 'PATCH', `/v1/conversations/${other.id}`, { handle: name }), 409, 'handle_taken');
      assert.equal((await view(t, rival, other.id)).handle, other.handle);
    });

    it('are dropped when a conversation goes private, which frees the handle for others', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const newcomer = await createUser(t.url);
      const name = handle('fleeting');
      const room = await create(t, owner, { kind: 'group', title: 'Fleeting', handle: name, memberIds: [bob.user.id] });
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const updated = (await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { visibility: 'private' })).conversation;
        assert.equal(updated.visibility, 'private');
        assert.equal(updated.handle, null);
        const event = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'conversation.updated');
        assert.deepEqual(event.data, { visibility: 'private', handle: null });
      } finally {
        bobSocket.close();
      }
      refused(await call(t, newcomer, 'GET', `/v1/conversations/by-handle/${name}`), 404, 'not_found');
      refused(await call(t, newcomer, 'POST', `/v1/conversations/${room.id}/join`), 404, 'not_found');
      const taker = await create(t, newcomer, { kind: 'channel', title: 'Taker', handle: name });
      assert.equal(taker.handle, name.toLowerCase());
      // Going public again needs a (free) handle.
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { visibility: 'public' }), 400, 'validation_failed');
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { visibility: 'public', handle: name }), 409, 'handle_taken');
      const again = (await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { visibility: 'public', handle: `${name}b` })).conversation;
      assert.deepEqual([again.visibility, again.handle], ['public', `${name}b`.toLowerCase()]);
      // Only admins change visibility and handles.
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}`, { visibility: 'private' }), 403, 'forbidden');
    });
  });

  describe(`conversation settings (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('make a group read-only with memberRights [], refusing members\' messages and storing nothing, while staff still write', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Announcements', [bob]);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const updated = (await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: [] } })).conversation;
        assert.deepEqual(updated.settings, { memberRights: [], slowModeSec: 0, protectedContent: false, joinApproval: false });
        const event = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'conversation.updated');
        assert.deepEqual(event.data, { settings: { memberRights: [], slowModeSec: 0, protectedContent: false, joinApproval: false } });
      } finally {
        bobSocket.close();
      }
      assert.deepEqual((await view(t, bob, room.id)).rights, []);
      const head = (await view(t, owner, room.id)).lastSeq;
      refused(await trySend(t, bob, room.id, 'can I?'), 403, 'forbidden');
      refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [owner.user.id] }), 403, 'forbidden');
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      await send(t, owner, room.id, 'staff only');
      assert.deepEqual(await texts(t, bob, room.id), ['staff only']);
      // Giving the rights back lets members write again.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages'] } });
      await send(t, bob, room.id, 'thanks');
      auditEntry(await conversationAudit(t, owner, room.id), 'conversation.updated', room.id);
    });

    it('refuse member rights outside what members may be given, on create and on update, changing nothing', async () => {
      const owner = await createUser(t.url);
      const outside = refused(await call(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'x', memberIds: [], settings: { memberRights: ['send_messages', 'ban_members'] } }), 400, 'validation_failed');
      assert.match(JSON.stringify(outside), /ban_members/);
      const room = await group(t, owner, 'Rules', []);
      for (const right of ['post', 'remove_members', 'ban_members', 'mute_members', 'delete_messages', 'manage_invites', 'manage_roles', 'view_audit_log']) {
        refused(await call(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: [right] } }), 400, 'validation_failed');
      }
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['no_such_right'] } }), 400, 'validation_failed');
      const after = await view(t, owner, room.id);
      assert.deepEqual(after.settings.memberRights, ['send_messages', 'send_media', 'send_links', 'add_members', 'start_calls']);
      assert.equal(after.lastSeq, room.lastSeq);
      // Every grantable right is accepted.
      const all = ['send_messages', 'send_media', 'send_links', 'add_members', 'pin_messages', 'edit_info', 'start_calls'];
      assert.deepEqual((await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: all } })).conversation.settings.memberRights, all);
    });

    it('let an admin give members only rights the admin holds, take any away, and the owner give every grantable one', async () => {
      const owner = await createUser(t.url);
      const admin = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Delegated', [admin, bob]);
      // An admin holding edit_info only: enough to change settings, not to hand out what it lacks.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${admin.user.id}`, { role: 'admin', rights: ['edit_info'] });
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: [] } });
      const head = (await view(t, owner, room.id)).lastSeq;
      const escalation = refused(await call(t, admin, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages', 'add_members', 'pin_messages', 'edit_info'] } }), 403, 'forbidden');
      assert.match(escalation.message, /send_messages, add_members, pin_messages\)/);
      assert.doesNotMatch(escalation.message, /edit_info/);
      // Changing nothing, and with bob still unable to send.
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      assert.deepEqual((await view(t, bob, room.id)).rights, []);
      refused(await trySend(t, bob, room.id, 'still read-only'), 403, 'forbidden');
      // A right the admin holds may be given.
      assert.deepEqual((await ok(t, admin, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['edit_info'] } })).conversation.settings.memberRights, ['edit_info']);
      // Rights members already hold stay with them through the admin's change, and taking them away is always allowed.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages', 'pin_messages'] } });
      assert.deepEqual((await ok(t, admin, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages', 'pin_messages', 'edit_info'] } })).conversation.settings.memberRights, ['send_messages', 'pin_messages', 'edit_info']);
      assert.deepEqual((await ok(t, admin, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: [] } })).conversation.settings.memberRights, []);
      // The owner holds every right, so gives any grantable one.
      const all = ['send_messages', 'send_media', 'send_links', 'add_members', 'pin_messages', 'edit_info', 'start_calls'];
      assert.deepEqual((await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: all } })).conversation.settings.memberRights, all);
    });

    it('carry slow mode and protected content, and let only admins change settings while edit_info lets members retitle', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const mod = await createUser(t.url);
      const room = await group(t, owner, 'Slow', [bob, mod]);
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${mod.user.id}`, { role: 'moderator' });
      const updated = (await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { slowModeSec: 30, protectedContent: true } })).conversation;
      assert.equal(updated.settings.slowModeSec, 30);
      assert.equal(updated.settings.protectedContent, true);
      await send(t, bob, room.id, 'one');
      const slow = refused(await trySend(t, bob, room.id, 'two'), 429, 'rate_limited');
      assert.ok(slow.details.retryAfterMs > 0 && slow.details.retryAfterMs <= 30_000, JSON.stringify(slow));
      // Staff are exempt.
      await send(t, owner, room.id, 'a');
      await send(t, owner, room.id, 'b');
      // Members may retitle once the group gives them edit_info, but never touch settings; neither may moderators.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages', 'edit_info'] } });
      assert.equal((await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}`, { title: 'Renamed by bob' })).conversation.title, 'Renamed by bob');
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}`, { settings: { slowModeSec: 0 } }), 403, 'forbidden');
      refused(await call(t, mod, 'PATCH', `/v1/conversations/${room.id}`, { settings: { slowModeSec: 0 } }), 403, 'forbidden');
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}`, { title: 'x', settings: { protectedContent: false } }), 403, 'forbidden');
      const now = await view(t, bob, room.id);
      assert.equal(now.title, 'Renamed by bob');
      assert.deepEqual([now.settings.slowModeSec, now.settings.protectedContent], [30, true]);
      // Protected content: nothing forwards out of it.
      const elsewhere = await group(t, bob, 'Elsewhere', []);
      const [first] = (await ok(t, bob, 'GET', `/v1/conversations/${room.id}/messages`)).messages;
      refused(await call(t, bob, 'POST', `/v1/conversations/${elsewhere.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: room.id, messageId: first.id } }), 403, 'forbidden');
      assert.deepEqual(await texts(t, bob, elsewhere.id), []);
    });
  });

  describe(`ownership and roles (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('transfers ownership so there is exactly one owner, the old one becoming an admin', async () => {
      const owner = await createUser(t.url);
      const heir = await createUser(t.url);
      const bob = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, owner, 'Kingdom', [heir, bob]);
      refused(await call(t, heir, 'POST', `/v1/conversations/${room.id}/transfer`, { userId: heir.user.id }), 403, 'forbidden');
      refused(await call(t, owner, 'POST', `/v1/conversations/${room.id}/transfer`, { userId: outsider.user.id }), 404, 'not_found');
      refused(await call(t, owner, 'POST', `/v1/conversations/${room.id}/transfer`, { userId: owner.user.id }), 403, 'forbidden');
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const { seq } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/transfer`, { userId: heir.user.id });
        assert.equal(seq, room.lastSeq + 2);
        const demoted = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'member.role_changed', (e) => e.data.userId === owner.user.id);
        assert.deepEqual(demoted.data, { userId: owner.user.id, role: 'admin', rights: ADMIN_DEFAULTS });
        const crowned = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'member.role_changed', (e) => e.data.userId === heir.user.id);
        assert.deepEqual(crowned.data, { userId: heir.user.id, role: 'owner', rights: [...RightList] });
        assert.deepEqual([demoted.seq, crowned.seq], [seq - 1, seq]);
      } finally {
        bobSocket.close();
      }
      const roster = await members(t, bob, room.id);
      assert.deepEqual([...roster].filter(([, m]) => m.role === 'owner').map(([id]) => id), [heir.user.id]);
      assert.equal(roster.get(owner.user.id)!.role, 'admin');
      assert.equal((await view(t, owner, room.id)).role, 'admin');
      // The old owner is an owner no more.
      refused(await call(t, owner, 'POST', `/v1/conversations/${room.id}/transfer`, { userId: bob.user.id }), 403, 'forbidden');
      const entry = auditEntry(await conversationAudit(t, heir, room.id), 'ownership.transferred', heir.user.id);
      assert.equal(entry.actorId, owner.user.id);
      assert.deepEqual(entry.data, { from: owner.user.id });
    });

    it('lets only the owner make admins, with custom rights that must be a subset of the granter\'s', async () => {
      const owner = await createUser(t.url);
      const [bob, carol, dave, erin] = await Promise.all([1, 2, 3, 4].map(() => createUser(t.url)));
      const room = await group(t, owner, 'Staff', [bob, carol, dave, erin]);
      const daveSocket = await TestSocket.open(t.wsUrl, dave.token);
      try {
        await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${bob.user.id}`, { role: 'admin', rights: ['manage_roles', 'ban_members', 'pin_messages', 'send_messages'] });
        const changed = await seenLiveAndInLog(t, dave, daveSocket, room.id, 'member.role_changed', (e) => e.data.userId === bob.user.id);
        assert.deepEqual(changed.data, { userId: bob.user.id, role: 'admin', rights: ['send_messages', 'ban_members', 'pin_messages', 'manage_roles'] });
      } finally {
        daveSocket.close();
      }
      const bobView = await view(t, bob, room.id);
      assert.deepEqual([bobView.role, bobView.rights], ['admin', ['send_messages', 'ban_members', 'pin_messages', 'manage_roles']]);
      const before = (await view(t, owner, room.id)).lastSeq;
      // Only the owner makes admins.
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/members/${carol.user.id}`, { role: 'admin' }), 403, 'forbidden');
      // Custom rights only from what bob holds himself.
      const beyond = refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/members/${carol.user.id}`, { role: 'moderator', rights: ['ban_members', 'delete_messages'] }), 403, 'forbidden');
      assert.match(beyond.message, /delete_messages/);
      // A role's default rights are rights given too: a moderator's defaults exceed bob's.
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/members/${carol.user.id}`, { role: 'moderator' }), 403, 'forbidden');
      assert.equal((await view(t, owner, room.id)).lastSeq, before);
      assert.equal((await members(t, owner, room.id)).get(carol.user.id)!.role, 'member');
      await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}/members/${carol.user.id}`, { role: 'moderator', rights: ['ban_members', 'pin_messages'] });
      assert.deepEqual((await members(t, owner, room.id)).get(carol.user.id), { role: 'moderator', rights: ['ban_members', 'pin_messages'], mutedUntil: null });
      // Custom rights are for staff only; members get the group's member rights.
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${dave.user.id}`, { rights: ['pin_messages'] }), 400, 'validation_failed');
      // An admin with the defaults may not manage roles at all.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${erin.user.id}`, { role: 'admin' });
      assert.deepEqual((await view(t, erin, room.id)).rights, ADMIN_DEFAULTS);
      refused(await call(t, erin, 'PATCH', `/v1/conversations/${room.id}/members/${dave.user.id}`, { role: 'moderator' }), 403, 'forbidden');
      // Nobody acts on an equal or higher role: bob cannot touch erin or the owner.
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/members/${erin.user.id}`, { role: 'member' }), 403, 'forbidden');
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/members/${owner.user.id}`, { role: 'member' }), 403, 'forbidden');
      // The owner takes custom rights back to the defaults with null.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${bob.user.id}`, { rights: null });
      assert.deepEqual((await view(t, bob, room.id)).rights, ADMIN_DEFAULTS);
      const audit = await conversationAudit(t, owner, room.id);
      const entry = auditEntry(audit, 'member.role_changed', carol.user.id);
      assert.deepEqual([entry.actorId, entry.data], [bob.user.id, { from: 'member', to: 'moderator', rights: ['ban_members', 'pin_messages'] }]);
    });

    it('answers a role change that changes nothing with seq 0 and no event', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Same', [bob]);
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${bob.user.id}`, { role: 'moderator' });
      const head = (await view(t, owner, room.id)).lastSeq;
      assert.deepEqual(await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${bob.user.id}`, { role: 'moderator' }), { seq: 0 });
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
    });
  });
}

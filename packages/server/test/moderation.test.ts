import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Conversation, CloseCodes } from '@parley/protocol';
import { call, direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import {
  admin, adminOk, auditEntry, conversationAudit, create, events, liveEvent, liveUserEvent, members, movableClock, platformAudit, refused, send, seenLiveAndInLog, texts,
  trySend, userLog, view,
} from './support/governance.ts';
import { createUser, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

let handles = 0;
const handle = (prefix: string) => `${prefix}${process.pid % 10_000}m${++handles}`;

/** The one answer to "you may not add this user", whatever the reason (privacy, block or ban). */
const CANNOT_ADD = /cannot be added/;

async function promote(t: TestApp, owner: TestUser, id: string, user: TestUser, role: string): Promise<void> {
  await ok(t, owner, 'PATCH', `/v1/conversations/${id}/members/${user.user.id}`, { role });
}

for (const backend of backends) {
  describe(`bans (${backend.name})`, () => {
    let t: TestApp;
    const time = movableClock();
    before(async () => {
      t = await startApp(backend, { clock: time.clock, env: { ACCESS_TOKEN_TTL_SEC: '86400' } });
    });
    after(() => t.close());

    it('remove a member and hold on every way back in: invite link, handle, re-add by a member or the owner, and the platform until lifted', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const mod = await createUser(t.url);
      const troll = await createUser(t.url);
      const room = await create(t, owner, { kind: 'group', title: 'Guarded', handle: handle('guarded'), memberIds: [bob.user.id, mod.user.id, troll.user.id] });
      await promote(t, owner, room.id, mod, 'moderator');
      const { invite } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/invites`, {});
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      const trollSocket = await TestSocket.open(t.wsUrl, troll.token);
      try {
        const { seq } = await ok(t, mod, 'POST', `/v1/conversations/${room.id}/bans`, { userId: troll.user.id, reason: 'spam' });
        const removed = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'member.removed', (e) => e.seq === seq);
        assert.deepEqual([removed.actorId, removed.data], [mod.user.id, { userId: troll.user.id, reason: 'banned' }]);
        // The banned member hears it too, then their devices drop the conversation.
        await liveEvent(trollSocket, room.id, 'member.removed', (e) => e.seq === seq);
        const gone = await liveUserEvent(trollSocket, 'conversation.removed');
        assert.deepEqual(gone.data, { conversationId: room.id, seq, reason: 'banned' });
      } finally {
        bobSocket.close();
        trollSocket.close();
      }
      const bans = (await ok(t, mod, 'GET', `/v1/conversations/${room.id}/bans`)).bans;
      assert.deepEqual(bans.map((b: any) => [b.userId, b.until, b.reason, b.bannedBy]), [[troll.user.id, null, 'spam', mod.user.id]]);
      const trollLog = (await userLog(t, troll)).length;
      const head = (await view(t, owner, room.id)).lastSeq;

      refused(await call(t, troll, 'POST', `/v1/invites/${invite.code}/join`), 403, 'forbidden');
      refused(await call(t, troll, 'POST', `/v1/conversations/${room.id}/join`), 403, 'forbidden');
      // Re-adding reads like any other refusal to be added.
      const byMember = refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [troll.user.id] }), 403, 'forbidden', CANNOT_ADD);
      assert.deepEqual(byMember.details, { userIds: [troll.user.id] });
      refused(await call(t, owner, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [troll.user.id] }), 403, 'forbidden', CANNOT_ADD);
      refused(await admin(t, 'POST', `/v1/admin/conversations/${room.id}/members`, { userIds: [troll.user.id] }), 403, 'forbidden');
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      assert.equal((await userLog(t, troll)).length, trollLog);
      assert.equal((await members(t, owner, room.id)).has(troll.user.id), false);

      // Lifted: the platform (or anyone allowed) may bring them back.
      await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/bans/${troll.user.id}`);
      refused(await call(t, owner, 'DELETE', `/v1/conversations/${room.id}/bans/${troll.user.id}`), 404, 'not_found');
      const { seq } = await adminOk(t, 'POST', `/v1/admin/conversations/${room.id}/members`, { userIds: [troll.user.id] });
      const readded = (await events(t, bob, room.id, seq - 1))[0]!;
      assert.deepEqual([readded.type, readded.actorId, readded.data], ['members.added', null, { userIds: [troll.user.id], role: 'member' }]);
      const audit = await conversationAudit(t, owner, room.id);
      const banned = auditEntry(audit, 'member.banned', troll.user.id);
      assert.deepEqual([banned.actorId, banned.reason, banned.data], [mod.user.id, 'spam', { until: null }]);
      assert.equal(auditEntry(audit, 'member.unbanned', troll.user.id).actorId, owner.user.id);
      const platformAdd = auditEntry(audit, 'members.added');
      assert.deepEqual([platformAdd.actorId, platformAdd.data], [null, { userIds: [troll.user.id], role: 'member' }]);
    });

    it('until a time expire on time, and ban people who are not members yet', async () => {
      const owner = await createUser(t.url);
      const pest = await createUser(t.url);
      const room = await create(t, owner, { kind: 'channel', title: 'Timed', handle: handle('timed') });
      // Not a member: banned ahead, no event.
      const before = (await view(t, owner, room.id)).lastSeq;
      assert.deepEqual(await ok(t, owner, 'POST', `/v1/conversations/${room.id}/bans`, { userId: pest.user.id, durationSec: 3600 }), { seq: 0 });
      assert.equal((await view(t, owner, room.id)).lastSeq, before);
      const [ban] = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}/bans`)).bans;
      assert.ok(Math.abs(Date.parse(ban.until) - (time.clock() + 3600_000)) < 5_000, ban.until);
      time.advance(3_590_000);
      refused(await call(t, pest, 'POST', `/v1/conversations/${room.id}/join`), 403, 'forbidden');
      time.advance(20_000);
      assert.deepEqual((await ok(t, owner, 'GET', `/v1/conversations/${room.id}/bans`)).bans, []);
      const joined = await ok(t, pest, 'POST', `/v1/conversations/${room.id}/join`);
      assert.deepEqual([joined.status, joined.conversation.role], ['joined', 'subscriber']);
      assert.equal(auditEntry(await conversationAudit(t, owner, room.id), 'member.banned', pest.user.id).data.until, ban.until);
    });

    it('need ban_members and a higher role; a non-member learns nothing', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const mod = await createUser(t.url);
      const boss = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, owner, 'Ranks', [bob, mod, boss]);
      await promote(t, owner, room.id, mod, 'moderator');
      await promote(t, owner, room.id, boss, 'admin');
      refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/bans`, { userId: mod.user.id }), 403, 'forbidden');
      refused(await call(t, mod, 'POST', `/v1/conversations/${room.id}/bans`, { userId: boss.user.id }), 403, 'forbidden');
      refused(await call(t, boss, 'POST', `/v1/conversations/${room.id}/bans`, { userId: owner.user.id }), 403, 'forbidden');
      refused(await call(t, mod, 'POST', `/v1/conversations/${room.id}/bans`, { userId: mod.user.id }), 403, 'forbidden');
      refused(await call(t, bob, 'GET', `/v1/conversations/${room.id}/bans`), 403, 'forbidden');
      const stranger = refused(await call(t, outsider, 'POST', `/v1/conversations/${room.id}/bans`, { userId: bob.user.id }), 404, 'not_found');
      assert.deepEqual(stranger, refused(await call(t, outsider, 'POST', '/v1/conversations/no-such-room/bans', { userId: bob.user.id }), 404, 'not_found'));
      refused(await call(t, mod, 'POST', `/v1/conversations/${room.id}/bans`, { userId: 'no-such-user' }), 404, 'not_found');
      assert.equal((await view(t, owner, room.id)).memberCount, 4);
      assert.deepEqual((await ok(t, owner, 'GET', `/v1/conversations/${room.id}/bans`)).bans, []);
    });
  });

  describe(`mutes, slow mode and kicks (${backend.name})`, () => {
    let t: TestApp;
    const time = movableClock();
    before(async () => {
      t = await startApp(backend, { clock: time.clock, env: { ACCESS_TOKEN_TTL_SEC: '86400' } });
    });
    after(() => t.close());

    it('a mute takes the sending rights away until it runs out, heard live and in the log', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, owner, 'Quiet', [bob, carol]);
      const earlier = await send(t, bob, room.id, 'earlier');
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      let until: string;
      try {
        const { seq } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/members/${bob.user.id}/mute`, { durationSec: 600, reason: 'cool down' });
        const muted = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'member.muted', (e) => e.seq === seq);
        until = (muted.data as any).until;
        assert.deepEqual(muted.data, { userId: bob.user.id, until });
        assert.ok(Math.abs(Date.parse(until) - (time.clock() + 600_000)) < 5_000);
      } finally {
        carolSocket.close();
      }
      const bobView = await view(t, bob, room.id);
      assert.equal(bobView.mutedUntil, until);
      assert.deepEqual(bobView.rights, ['add_members', 'start_calls']);
      assert.equal((await members(t, owner, room.id)).get(bob.user.id)!.mutedUntil, until);
      const head = bobView.lastSeq;
      refused(await trySend(t, bob, room.id, 'let me speak'), 403, 'forbidden');
      // Editing an earlier message into something new is writing too.
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${earlier.id}`, { text: 'rewritten while muted' }), 403, 'forbidden');
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      // Reading still works.
      await send(t, carol, room.id, 'you can read this');
      assert.deepEqual(await texts(t, bob, room.id), ['earlier', 'you can read this']);
      time.advance(590_000);
      refused(await trySend(t, bob, room.id, 'now?'), 403, 'forbidden');
      time.advance(20_000);
      await send(t, bob, room.id, 'back');
      const after = await view(t, bob, room.id);
      assert.equal(after.mutedUntil, null);
      assert.ok(after.rights.includes('send_messages'));
      const entry = auditEntry(await conversationAudit(t, owner, room.id), 'member.muted', bob.user.id);
      assert.deepEqual([entry.actorId, entry.reason, entry.data], [owner.user.id, 'cool down', { until }]);
    });

    it('a mute without a duration lasts until it is lifted', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Forever', [bob]);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/members/${bob.user.id}/mute`, {});
      assert.equal((await view(t, bob, room.id)).mutedUntil, '9999-12-31T23:59:59.999Z');
      time.advance(12 * 3_600_000);
      refused(await trySend(t, bob, room.id, 'still?'), 403, 'forbidden');
      const { seq } = await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${bob.user.id}/mute`);
      const lifted = (await events(t, bob, room.id, seq - 1))[0]!;
      assert.deepEqual([lifted.type, lifted.data], ['member.muted', { userId: bob.user.id, until: null }]);
      await send(t, bob, room.id, 'free');
      auditEntry(await conversationAudit(t, owner, room.id), 'member.unmuted', bob.user.id);
      // Nobody mutes someone of equal or higher rank, or without mute_members.
      refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/members/${owner.user.id}/mute`, {}), 403, 'forbidden');
    });

    it('a mute ends when its holder inherits the ownership, since nobody would outrank them to lift it', async () => {
      const owner = await createUser(t.url);
      const heir = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Succession', [heir, bob]);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/members/${heir.user.id}/mute`, {});
      refused(await trySend(t, heir, room.id, 'muted'), 403, 'forbidden');
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/leave`);
      const crowned = await view(t, heir, room.id);
      assert.deepEqual([crowned.role, crowned.mutedUntil], ['owner', null]);
      assert.ok(crowned.rights.includes('send_messages'));
      await send(t, heir, room.id, 'the new owner speaks');
      // A transfer does the same.
      await ok(t, heir, 'POST', `/v1/conversations/${room.id}/members/${bob.user.id}/mute`, { durationSec: 3600 });
      await ok(t, heir, 'POST', `/v1/conversations/${room.id}/transfer`, { userId: bob.user.id });
      assert.equal((await view(t, bob, room.id)).mutedUntil, null);
      await send(t, bob, room.id, 'and so does this one');
    });

    it('slow mode refuses with rate_limited and retryAfterMs, then allows after the interval', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await create(t, owner, { kind: 'group', title: 'Slow', memberIds: [bob.user.id], settings: { slowModeSec: 60 } });
      await send(t, bob, room.id, 'first');
      const head = (await view(t, owner, room.id)).lastSeq;
      const early = refused(await trySend(t, bob, room.id, 'second'), 429, 'rate_limited');
      assert.ok(early.details.retryAfterMs > 55_000 && early.details.retryAfterMs <= 60_000, JSON.stringify(early));
      time.advance(30_000);
      const later = refused(await trySend(t, bob, room.id, 'second'), 429, 'rate_limited');
      assert.ok(later.details.retryAfterMs > 25_000 && later.details.retryAfterMs <= 30_000, JSON.stringify(later));
      assert.equal((await view(t, owner, room.id)).lastSeq, head, 'refusals store nothing');
      time.advance(later.details.retryAfterMs);
      await send(t, bob, room.id, 'second');
      refused(await trySend(t, bob, room.id, 'third'), 429, 'rate_limited');
      // Staff are exempt; turning it off frees everyone.
      await send(t, owner, room.id, 'a');
      await send(t, owner, room.id, 'b');
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { slowModeSec: 0 } });
      await send(t, bob, room.id, 'third');
      await send(t, bob, room.id, 'fourth');
      assert.deepEqual(await texts(t, owner, room.id), ['first', 'second', 'a', 'b', 'third', 'fourth']);
    });

    it('a kick removes a member, heard live and in the log and audited with its reason, and is not a ban', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, owner, 'Kick', [bob, carol]);
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        const { seq } = await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${bob.user.id}?reason=${encodeURIComponent('off topic')}`);
        const removed = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'member.removed', (e) => e.seq === seq);
        assert.deepEqual([removed.actorId, removed.data], [owner.user.id, { userId: bob.user.id, reason: 'removed' }]);
      } finally {
        carolSocket.close();
      }
      refused(await call(t, bob, 'GET', `/v1/conversations/${room.id}`), 404, 'not_found');
      const entry = auditEntry(await conversationAudit(t, owner, room.id), 'member.removed', bob.user.id);
      assert.deepEqual([entry.actorId, entry.reason], [owner.user.id, 'off topic']);
      // Not banned: an invite brings them back.
      const { invite } = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/invites`, {});
      assert.equal((await ok(t, bob, 'POST', `/v1/invites/${invite.code}/join`)).status, 'joined');
    });
  });

  describe(`what members see and the audit log (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('shows every moderation action to members live and in the log, and records it in the conversation and platform audit logs', async () => {
      const owner = await createUser(t.url);
      const [mod, carol, bob, erin, troll, dave] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => createUser(t.url)));
      const room = await group(t, owner, 'Watched', [mod, carol, bob, erin, troll, dave]);
      const noise = await send(t, bob, room.id, 'offending words');
      const rules = await send(t, owner, room.id, 'the rules');
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        // Role changed.
        await promote(t, owner, room.id, mod, 'moderator');
        const roleChanged = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'member.role_changed', (e) => e.data.userId === mod.user.id);
        assert.equal(roleChanged.actorId, owner.user.id);
        assert.equal((roleChanged.data as any).role, 'moderator');
        // Message deleted by a moderator.
        await ok(t, mod, 'DELETE', `/v1/conversations/${room.id}/messages/${noise.id}`);
        const deleted = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'message.deleted', (e) => e.data.message.id === noise.id);
        assert.equal(deleted.actorId, mod.user.id);
        assert.equal((deleted.data as any).message.text, null);
        // Muted.
        await ok(t, mod, 'POST', `/v1/conversations/${room.id}/members/${bob.user.id}/mute`, { durationSec: 60 });
        const muted = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'member.muted', (e) => e.data.userId === bob.user.id);
        assert.equal(muted.actorId, mod.user.id);
        // Removed.
        await ok(t, mod, 'DELETE', `/v1/conversations/${room.id}/members/${erin.user.id}`);
        const removed = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'member.removed', (e) => e.data.userId === erin.user.id);
        assert.deepEqual(removed.data, { userId: erin.user.id, reason: 'removed' });
        // Banned.
        await ok(t, mod, 'POST', `/v1/conversations/${room.id}/bans`, { userId: troll.user.id, reason: 'abuse' });
        const banned = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'member.removed', (e) => e.data.userId === troll.user.id);
        assert.deepEqual(banned.data, { userId: troll.user.id, reason: 'banned' });
        // Pinned and unpinned.
        await ok(t, mod, 'PUT', `/v1/conversations/${room.id}/messages/${rules.id}/pin`);
        const pinned = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'message.pinned', (e) => e.data.messageId === rules.id);
        assert.equal(pinned.actorId, mod.user.id);
        await ok(t, mod, 'DELETE', `/v1/conversations/${room.id}/messages/${rules.id}/pin`);
        const unpinned = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'message.unpinned', (e) => e.data.messageId === rules.id);
        assert.equal(unpinned.actorId, mod.user.id);
        // Slow mode turned on (a settings change, which only admins make).
        await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { slowModeSec: 10 } });
        const slowed = await seenLiveAndInLog(t, carol, carolSocket, room.id, 'conversation.updated', (e) => e.data.settings?.slowModeSec === 10);
        assert.equal(slowed.actorId, owner.user.id);
      } finally {
        carolSocket.close();
      }
      const expected = [
        ['member.role_changed', mod.user.id, owner.user.id],
        ['message.deleted', noise.id, mod.user.id],
        ['member.muted', bob.user.id, mod.user.id],
        ['member.removed', erin.user.id, mod.user.id],
        ['member.banned', troll.user.id, mod.user.id],
        ['message.pinned', rules.id, mod.user.id],
        ['message.unpinned', rules.id, mod.user.id],
        ['conversation.updated', room.id, owner.user.id],
      ];
      // The owner (and the moderator, who holds view_audit_log) read it for the conversation.
      for (const reader of [owner, mod]) {
        const audit = await conversationAudit(t, reader, room.id);
        for (const [action, target, actor] of expected) {
          const entry = auditEntry(audit, action!, target);
          assert.equal(entry.actorId, actor, action);
          assert.equal(entry.conversationId, room.id);
          assert.ok(!Number.isNaN(Date.parse(entry.createdAt)));
        }
      }
      // The platform sees the same entries.
      const platform = await platformAudit(t, `conversationId=${room.id}`);
      for (const [action, target, actor] of expected) assert.equal(auditEntry(platform, action!, target).actorId, actor);
      assert.ok(platform.every((entry) => entry.conversationId === room.id));
      const byMod = await platformAudit(t, `actorId=${mod.user.id}`);
      assert.deepEqual(byMod.map((e) => e.action).sort(), ['member.banned', 'member.muted', 'member.removed', 'message.deleted', 'message.pinned', 'message.unpinned']);
      assert.equal(auditEntry(platform, 'conversation.updated', room.id).data.settings.slowModeSec, 10);
      // Members without view_audit_log are refused; outsiders learn nothing.
      refused(await call(t, carol, 'GET', `/v1/conversations/${room.id}/audit`), 403, 'forbidden');
      const outsider = await createUser(t.url);
      refused(await call(t, outsider, 'GET', `/v1/conversations/${room.id}/audit`), 404, 'not_found');
      refused(await call(t, dave, 'GET', '/v1/admin/audit'), 401, 'unauthorized');
    });

    it('takes the same moderation over the socket, with the same refusals and the same audit', async () => {
      const owner = await createUser(t.url);
      const [mod, bob, carol, troll, newcomer] = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(t.url)));
      const room = await group(t, owner, 'Socket moderation', [mod, bob, carol, troll]);
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      const modSocket = await TestSocket.open(t.wsUrl, mod.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      const error = async (socket: TestSocket, type: string, payload: Record<string, unknown>) => {
        try {
          return { ack: await socket.request(type, payload) };
        } catch (failure) {
          return (failure as { body: { code: string } }).body;
        }
      };
      try {
        await ownerSocket.request('set_role', { conversationId: room.id, userId: mod.user.id, role: 'moderator' });
        assert.equal((await view(t, mod, room.id)).role, 'moderator');
        // Members may add (the group default), not ban or mute.
        assert.ok((await bobSocket.request('add_members', { conversationId: room.id, userIds: [newcomer.user.id] })).seq > 0);
        assert.equal((await error(bobSocket, 'ban', { conversationId: room.id, userId: troll.user.id }) as any).code, 'forbidden');
        assert.equal((await error(bobSocket, 'mute', { conversationId: room.id, userId: troll.user.id }) as any).code, 'forbidden');
        assert.equal((await error(modSocket, 'set_role', { conversationId: room.id, userId: bob.user.id, role: 'admin' }) as any).code, 'forbidden');
        await modSocket.request('mute', { conversationId: room.id, userId: carol.user.id, durationSec: 60, reason: 'calm down' });
        assert.notEqual((await view(t, carol, room.id)).mutedUntil, null);
        await modSocket.request('remove_member', { conversationId: room.id, userId: newcomer.user.id, reason: 'wrong room' });
        const { seq } = await modSocket.request('ban', { conversationId: room.id, userId: troll.user.id, reason: 'trolling' });
        const banned = await seenLiveAndInLog(t, bob, bobSocket, room.id, 'member.removed', (e) => e.seq === seq);
        assert.deepEqual(banned.data, { userId: troll.user.id, reason: 'banned' });
        const updated = await ownerSocket.request('update_conversation', { conversationId: room.id, title: 'Renamed on the socket', settings: { slowModeSec: 5 } });
        assert.deepEqual([updated.conversation.title, updated.conversation.settings.slowModeSec], ['Renamed on the socket', 5]);
        assert.equal((await error(bobSocket, 'update_conversation', { conversationId: room.id, title: 'Mine' }) as any).code, 'forbidden');
        const { invite } = await ownerSocket.request('create_invite', { conversationId: room.id, maxUses: 3 });
        assert.equal(invite.maxUses, 3);
        assert.equal((await error(bobSocket, 'create_invite', { conversationId: room.id }) as any).code, 'forbidden');
        // The audit frame reads what the route reads.
        const viaSocket = await modSocket.request('audit', { conversationId: room.id, limit: 200 });
        assert.deepEqual(viaSocket.entries, await conversationAudit(t, mod, room.id));
        for (const [action, target] of [['member.muted', carol.user.id], ['member.removed', newcomer.user.id], ['member.banned', troll.user.id]]) {
          assert.equal(auditEntry(viaSocket.entries, action!, target).actorId, mod.user.id);
        }
        assert.equal(auditEntry(viaSocket.entries, 'member.removed', newcomer.user.id).reason, 'wrong room');
        assert.equal((await error(bobSocket, 'audit', { conversationId: room.id }) as any).code, 'forbidden');
      } finally {
        for (const socket of [ownerSocket, modSocket, bobSocket]) socket.close();
      }
    });

    it('pages the audit log newest first with a cursor', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Pages', [bob]);
      for (let i = 0; i < 5; i++) await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { title: `Title ${i}` });
      const all = await conversationAudit(t, owner, room.id);
      assert.equal(all.length, 5);
      const seen: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await ok(t, owner, 'GET', `/v1/conversations/${room.id}/audit?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...page.entries);
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen.map((e) => e.id), all.map((e) => e.id));
      assert.deepEqual(seen.map((e) => e.data.title).sort(), ['Title 0', 'Title 1', 'Title 2', 'Title 3', 'Title 4']);
      // Newest first (entries of the same millisecond have no defined order between them).
      const times = seen.map((e) => Date.parse(e.createdAt));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
    });
  });

  describe(`reports (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('go to the conversation\'s moderators, who see and resolve them; others are refused; the platform sees and resolves all', async () => {
      const owner = await createUser(t.url);
      const [mod, bob, spammer, outsider] = await Promise.all([1, 2, 3, 4].map(() => createUser(t.url)));
      const room = await group(t, owner, 'Reported', [mod, bob, spammer]);
      const other = await group(t, owner, 'Other', [bob]);
      await promote(t, owner, room.id, mod, 'moderator');
      const spam = await send(t, spammer, room.id, 'buy now');
      const ofMessage = (await ok(t, bob, 'POST', '/v1/reports', { targetType: 'message', targetId: spam.id, conversationId: room.id, reason: 'spam', comment: 'again' })).report;
      assert.deepEqual({ ...ofMessage, id: 'x', createdAt: 'x' }, {
        id: 'x', reporterId: bob.user.id, conversationId: room.id, targetType: 'message', targetId: spam.id, reason: 'spam', comment: 'again', status: 'open', resolution: null, createdAt: 'x',
      });
      const ofUser = (await ok(t, bob, 'POST', '/v1/reports', { targetType: 'user', targetId: spammer.user.id, conversationId: room.id, reason: 'harassment' })).report;
      const ofConversation = (await ok(t, bob, 'POST', '/v1/reports', { targetType: 'conversation', targetId: room.id, reason: 'other' })).report;
      assert.equal(ofConversation.conversationId, room.id);
      const inOther = (await ok(t, bob, 'POST', '/v1/reports', { targetType: 'conversation', targetId: other.id, reason: 'other' })).report;
      // A user can be reported without a conversation: only the platform sees that one.
      const platformOnly = (await ok(t, outsider, 'POST', '/v1/reports', { targetType: 'user', targetId: spammer.user.id, reason: 'abuse' })).report;
      assert.equal(platformOnly.conversationId, null);

      // What cannot be reported: a message without its conversation, one that is not there, anything in a conversation you cannot see.
      refused(await call(t, bob, 'POST', '/v1/reports', { targetType: 'message', targetId: spam.id, reason: 'spam' }), 400, 'validation_failed');
      refused(await call(t, bob, 'POST', '/v1/reports', { targetType: 'message', targetId: spam.id, conversationId: other.id, reason: 'spam' }), 404, 'not_found');
      const hidden = refused(await call(t, outsider, 'POST', '/v1/reports', { targetType: 'message', targetId: spam.id, conversationId: room.id, reason: 'spam' }), 404, 'not_found');
      assert.deepEqual(hidden, refused(await call(t, outsider, 'POST', '/v1/reports', { targetType: 'message', targetId: spam.id, conversationId: 'no-such-room', reason: 'spam' }), 404, 'not_found'));
      refused(await call(t, outsider, 'POST', '/v1/reports', { targetType: 'conversation', targetId: room.id, reason: 'spam' }), 404, 'not_found');
      refused(await call(t, bob, 'POST', '/v1/reports', { targetType: 'user', targetId: 'no-such-user', reason: 'spam' }), 404, 'not_found');

      // The conversation's queue: its moderators only.
      const queue = (await ok(t, mod, 'GET', `/v1/conversations/${room.id}/reports`)).reports;
      assert.deepEqual(queue.map((r: any) => r.id).sort(), [ofMessage.id, ofUser.id, ofConversation.id].sort());
      assert.deepEqual((await ok(t, owner, 'GET', `/v1/conversations/${room.id}/reports`)).reports.length, 3);
      refused(await call(t, bob, 'GET', `/v1/conversations/${room.id}/reports`), 403, 'forbidden');
      refused(await call(t, outsider, 'GET', `/v1/conversations/${room.id}/reports`), 404, 'not_found');

      // Resolving records the action taken.
      await ok(t, mod, 'DELETE', `/v1/conversations/${room.id}/messages/${spam.id}`);
      const resolved = (await ok(t, mod, 'POST', `/v1/conversations/${room.id}/reports/${ofMessage.id}/resolve`, { action: 'message_deleted', note: 'removed it' })).report;
      assert.equal(resolved.status, 'resolved');
      assert.deepEqual({ ...resolved.resolution, resolvedAt: 'x' }, { action: 'message_deleted', note: 'removed it', resolvedBy: mod.user.id, resolvedAt: 'x' });
      refused(await call(t, mod, 'POST', `/v1/conversations/${room.id}/reports/${ofMessage.id}/resolve`, { action: 'none' }), 409, 'conflict');
      refused(await call(t, bob, 'POST', `/v1/conversations/${room.id}/reports/${ofUser.id}/resolve`, { action: 'none' }), 403, 'forbidden');
      // Another conversation's report is not theirs to see.
      refused(await call(t, mod, 'POST', `/v1/conversations/${room.id}/reports/${inOther.id}/resolve`, { action: 'none' }), 404, 'not_found');
      const open = (await ok(t, mod, 'GET', `/v1/conversations/${room.id}/reports?status=open`)).reports;
      assert.deepEqual(open.map((r: any) => r.id).sort(), [ofUser.id, ofConversation.id].sort());
      const done = (await ok(t, mod, 'GET', `/v1/conversations/${room.id}/reports?status=resolved`)).reports;
      assert.deepEqual(done.map((r: any) => r.id), [ofMessage.id]);
      const entry = auditEntry(await conversationAudit(t, owner, room.id), 'report.resolved', ofMessage.id);
      assert.deepEqual([entry.actorId, entry.reason, entry.data], [mod.user.id, 'removed it', { action: 'message_deleted', target: { type: 'message', id: spam.id } }]);

      // The platform's queue holds everything, and it resolves too.
      const all = (await adminOk(t, 'GET', '/v1/admin/reports?limit=200')).reports;
      assert.deepEqual(all.map((r: any) => r.id).sort(), [ofMessage.id, ofUser.id, ofConversation.id, inOther.id, platformOnly.id].sort());
      assert.equal((await adminOk(t, 'GET', '/v1/admin/reports?status=open')).reports.length, 4);
      const byPlatform = (await adminOk(t, 'POST', `/v1/admin/reports/${platformOnly.id}/resolve`, { action: 'user_suspended', note: 'repeat offender' })).report;
      assert.deepEqual([byPlatform.status, byPlatform.resolution.action, byPlatform.resolution.resolvedBy], ['resolved', 'user_suspended', null]);
      const platformEntry = auditEntry(await platformAudit(t), 'report.resolved', platformOnly.id);
      assert.deepEqual([platformEntry.actorId, platformEntry.conversationId, platformEntry.data.action], [null, null, 'user_suspended']);
      refused(await admin(t, 'POST', '/v1/admin/reports/no-such-report/resolve', { action: 'none' }), 404, 'not_found');
    });
  });

  describe(`platform moderation (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('suspends a user everywhere: open sockets close with 4202 and the tokens are refused until lifted', async () => {
      const user = await createUser(t.url);
      const phone = await signIn(t.url, user.user.id);
      const sockets = [await TestSocket.open(t.wsUrl, user.token), await TestSocket.open(t.wsUrl, phone.token)];
      await adminOk(t, 'POST', `/v1/admin/users/${user.user.id}/suspend`);
      for (const socket of sockets) assert.equal(await socket.closed(), CloseCodes.accountSuspended);
      for (const token of [user, phone]) refused(await call(t, token, 'GET', '/v1/conversations'), 403, 'account_suspended');
      const retry = await TestSocket.open(t.wsUrl, user.token, { waitReady: false });
      assert.equal(await retry.closed(), CloseCodes.accountSuspended);
      assert.equal(retry.ready, undefined);
      auditEntry(await platformAudit(t), 'user.suspended', user.user.id);
      await adminOk(t, 'POST', `/v1/admin/users/${user.user.id}/unsuspend`);
      await ok(t, user, 'GET', '/v1/conversations');
    });

    it('signs a user out everywhere: sockets close with 4201 and the tokens stop working', async () => {
      const user = await createUser(t.url);
      const laptop = await signIn(t.url, user.user.id);
      const sockets = [await TestSocket.open(t.wsUrl, user.token), await TestSocket.open(t.wsUrl, laptop.token)];
      await adminOk(t, 'POST', `/v1/admin/users/${user.user.id}/logout`);
      for (const socket of sockets) assert.equal(await socket.closed(), CloseCodes.sessionRevoked);
      for (const token of [user, laptop]) refused(await call(t, token, 'GET', '/v1/conversations'), 401, 'unauthorized');
      const retry = await TestSocket.open(t.wsUrl, laptop.token, { waitReady: false });
      assert.equal(await retry.closed(), CloseCodes.sessionRevoked);
      auditEntry(await platformAudit(t), 'user.logged_out', user.user.id);
      // A new sign-in works.
      await ok(t, await signIn(t.url, user.user.id), 'GET', '/v1/conversations');
      refused(await admin(t, 'POST', '/v1/admin/users/no-such-user/logout'), 404, 'not_found');
    });

    it('audits every admin user operation as the platform: create, update, bulk upsert, suspend, unsuspend and delete, tokens, logout', async () => {
      const id = `crm-${process.pid}-${++handles}`;
      const fresh = `crm-${process.pid}-${++handles}`;
      const password = 'a perfectly fine password';
      await adminOk(t, 'POST', '/v1/admin/users', { id, handle: handle('crm'), displayName: 'Crm user', password });
      await adminOk(t, 'PATCH', `/v1/admin/users/${id}`, { displayName: 'Renamed', password: 'another fine password' });
      const bulk = await adminOk(t, 'POST', '/v1/admin/users/bulk', { upsert: [{ id: fresh, displayName: 'Bulk new' }, { id, displayName: 'Renamed by bulk' }], suspend: [id], unsuspend: [id] });
      assert.ok(bulk.results.every((r: any) => r.ok), JSON.stringify(bulk));
      // An upsert that changes nothing records nothing.
      await adminOk(t, 'POST', '/v1/admin/users/bulk', { upsert: [{ id, displayName: 'Renamed by bulk' }] });
      const issued = await adminOk(t, 'POST', `/v1/admin/users/${id}/tokens`, { deviceName: 'CRM console' });
      await adminOk(t, 'POST', `/v1/admin/users/${id}/logout`);
      await adminOk(t, 'POST', '/v1/admin/users/bulk', { delete: [id] });

      const entries = await platformAudit(t);
      const mine = entries.filter((e) => e.targetId === id).reverse();
      assert.deepEqual(mine.map((e) => e.action), ['user.created', 'user.updated', 'user.updated', 'user.suspended', 'user.unsuspended', 'session.started', 'user.logged_out', 'user.deleted']);
      for (const entry of [...mine, auditEntry(entries, 'user.created', fresh)]) {
        assert.deepEqual([entry.actorId, entry.conversationId, entry.targetType], [null, null, 'user'], entry.action);
        assert.ok(!Number.isNaN(Date.parse(entry.createdAt)));
      }
      // What changed is named, never the values: no password, hash or name in the log.
      assert.deepEqual(mine.filter((e) => e.action === 'user.updated').map((e) => e.data), [{ fields: ['displayName', 'password'] }, { fields: ['displayName'] }]);
      assert.deepEqual(mine.find((e) => e.action === 'session.started').data, { sessionId: issued.sessionId, deviceName: 'CRM console' });
      const logged = JSON.stringify(entries);
      for (const secret of [password, 'another fine password', 'Renamed', 'Crm user']) assert.ok(!logged.includes(secret), secret);
    });

    it('removes a user\'s messages, in one conversation or everywhere, with message.deleted events', async () => {
      const owner = await createUser(t.url);
      const spammer = await createUser(t.url);
      const room = await group(t, owner, 'Spammed', [spammer]);
      const pair = await direct(t, owner, spammer);
      await send(t, owner, room.id, 'legit');
      for (let i = 0; i < 3; i++) await send(t, spammer, room.id, `spam ${i}`);
      await send(t, spammer, pair.id, 'dm spam');
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      try {
        assert.deepEqual(await adminOk(t, 'POST', `/v1/admin/users/${spammer.user.id}/remove-messages`, { conversationId: room.id, reason: 'spam wave' }), { removed: 3 });
        const liveDeletes = () => ownerSocket.events(room.id).filter((e) => e.type === 'message.deleted');
        await waitFor(() => liveDeletes().length === 3, 'three message.deleted events live');
        assert.ok(liveDeletes().every((e) => e.actorId === null && e.data.message.senderId === spammer.user.id && e.data.message.text === null));
        assert.deepEqual(await texts(t, owner, room.id), ['legit', null, null, null]);
        assert.deepEqual(await texts(t, owner, pair.id), ['dm spam']);
        const logged = (await events(t, owner, room.id)).filter((e) => e.type === 'message.deleted');
        assert.equal(logged.length, 3);
        assert.ok(logged.every((e) => e.actorId === null && (e.data as any).message.text === null));
        // Everywhere.
        assert.deepEqual(await adminOk(t, 'POST', `/v1/admin/users/${spammer.user.id}/remove-messages`, {}), { removed: 1 });
        await liveEvent(ownerSocket, pair.id, 'message.deleted');
        assert.deepEqual(await texts(t, owner, pair.id), [null]);
        assert.deepEqual(await adminOk(t, 'POST', `/v1/admin/users/${spammer.user.id}/remove-messages`, {}), { removed: 0 });
      } finally {
        ownerSocket.close();
      }
      const audit = (await platformAudit(t)).filter((e) => e.action === 'user.messages_removed' && e.targetId === spammer.user.id);
      assert.deepEqual(audit.map((e) => [e.conversationId, e.reason, e.data.removed]).sort(), [[null, null, 0], [null, null, 1], [room.id, 'spam wave', 3]].sort());
    });
  });

  describe(`admin conversations API (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('lists and inspects conversations, answering 404 for unknown ids', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Listed', [bob]);
      const news = await create(t, owner, { kind: 'channel', title: 'News', handle: handle('news') });
      const pair = await direct(t, owner, bob);
      const all = (await adminOk(t, 'GET', '/v1/admin/conversations')).conversations;
      assert.deepEqual(all.map((c: any) => c.id), [room.id, news.id, pair.id].sort());
      const channels = (await adminOk(t, 'GET', '/v1/admin/conversations?kind=channel')).conversations;
      assert.deepEqual(channels.map((c: any) => c.id), [news.id]);
      const first = await adminOk(t, 'GET', '/v1/admin/conversations?limit=2');
      const second = await adminOk(t, 'GET', `/v1/admin/conversations?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`);
      assert.deepEqual([...first.conversations, ...second.conversations].map((c: any) => c.id), all.map((c: any) => c.id));
      assert.equal(second.nextCursor, null);
      const inspected = (await adminOk(t, 'GET', `/v1/admin/conversations/${room.id}`)).conversation;
      assert.deepEqual({ ...inspected, createdAt: 'x', lastActivityAt: 'x' }, {
        id: room.id, kind: 'group', visibility: 'private', handle: null, title: 'Listed', description: null, settings: room.settings, ownerId: owner.user.id, createdBy: owner.user.id,
        createdAt: 'x', lastSeq: room.lastSeq, lastActivityAt: 'x', memberCount: 2,
      });
      const roster = (await adminOk(t, 'GET', `/v1/admin/conversations/${room.id}/members`)).members;
      assert.deepEqual(roster.map((m: any) => [m.userId, m.role]).sort(), [[owner.user.id, 'owner'], [bob.user.id, 'member']].sort());
      for (const path of ['/v1/admin/conversations/nope', '/v1/admin/conversations/nope/members']) refused(await admin(t, 'GET', path), 404, 'not_found');
      refused(await call(t, owner, 'GET', '/v1/admin/conversations'), 401, 'unauthorized');
    });

    it('changes membership and roles for the platform, ignoring privacy settings, transferring ownership with role owner', async () => {
      const owner = await createUser(t.url);
      const [bob, recluse, carol] = await Promise.all([1, 2, 3].map(() => createUser(t.url)));
      await ok(t, recluse, 'PATCH', '/v1/me/settings', { addPrivacy: 'nobody' });
      const news = await create(t, owner, { kind: 'channel', title: 'Platform', memberIds: [bob.user.id] });
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const { seq: addedAt } = await adminOk(t, 'POST', `/v1/admin/conversations/${news.id}/members`, { userIds: [recluse.user.id] });
        const added = await seenLiveAndInLog(t, bob, bobSocket, news.id, 'members.added', (e) => e.seq === addedAt);
        // Subscribers are not named to the channel (governance-kinds.test.ts).
        assert.deepEqual([added.actorId, added.data], [null, { userIds: [], role: 'subscriber', count: 1 }]);
        await adminOk(t, 'POST', `/v1/admin/conversations/${news.id}/members`, { userIds: [carol.user.id], role: 'moderator' });
        assert.equal((await view(t, carol, news.id)).role, 'moderator');
        refused(await admin(t, 'POST', `/v1/admin/conversations/${news.id}/members`, { userIds: [carol.user.id, 'ghost'] }), 404, 'not_found');
        refused(await admin(t, 'POST', `/v1/admin/conversations/${news.id}/members`, { userIds: ['ghost2'], role: 'member' }), 404, 'not_found');

        // Roles: a channel has no members, only subscribers; owner means transfer.
        refused(await admin(t, 'PUT', `/v1/admin/conversations/${news.id}/members/${bob.user.id}/role`, { role: 'member' }), 400, 'validation_failed');
        await adminOk(t, 'PUT', `/v1/admin/conversations/${news.id}/members/${bob.user.id}/role`, { role: 'admin', rights: ['post', 'pin_messages'] });
        assert.deepEqual((await view(t, bob, news.id)).rights, ['post', 'pin_messages']);
        refused(await admin(t, 'PUT', `/v1/admin/conversations/${news.id}/members/${owner.user.id}/role`, { role: 'admin' }), 409, 'conflict');
        const { seq } = await adminOk(t, 'PUT', `/v1/admin/conversations/${news.id}/members/${bob.user.id}/role`, { role: 'owner' });
        const crowned = await seenLiveAndInLog(t, bob, bobSocket, news.id, 'member.role_changed', (e) => e.seq === seq);
        assert.deepEqual([crowned.actorId, (crowned.data as any).role], [null, 'owner']);
        const roster = await members(t, bob, news.id);
        assert.deepEqual([...roster].filter(([, m]) => m.role === 'owner').map(([id]) => id), [bob.user.id]);
        assert.equal(roster.get(owner.user.id)!.role, 'admin');
        assert.equal((await adminOk(t, 'GET', `/v1/admin/conversations/${news.id}`)).conversation.ownerId, bob.user.id);

        // Removing.
        const { seq: removedAt } = await adminOk(t, 'DELETE', `/v1/admin/conversations/${news.id}/members/${recluse.user.id}?reason=cleanup`);
        const removed = await seenLiveAndInLog(t, bob, bobSocket, news.id, 'member.removed', (e) => e.seq === removedAt);
        assert.deepEqual([removed.actorId, removed.data], [null, { reason: 'removed' }]);
        refused(await admin(t, 'DELETE', `/v1/admin/conversations/${news.id}/members/${recluse.user.id}`), 404, 'not_found');
      } finally {
        bobSocket.close();
      }
      const audit = await platformAudit(t, `conversationId=${news.id}`);
      assert.equal(auditEntry(audit, 'ownership.transferred', bob.user.id).actorId, null);
      assert.equal(auditEntry(audit, 'member.removed', recluse.user.id).reason, 'cleanup');
      assert.equal(auditEntry(audit, 'member.role_changed', bob.user.id).actorId, null);
      assert.ok(audit.filter((e) => e.action === 'members.added').length >= 2);
    });

    it('deletes a conversation: every member\'s devices hear conversation.removed, and it is gone for everyone', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room: Conversation = await group(t, owner, 'Doomed', [bob]);
      const message = await send(t, bob, room.id, 'last words');
      await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/messages/${message.id}/reactions/${encodeURIComponent('🔥')}`);
      await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/messages/${message.id}/pin`);
      const sockets = [await TestSocket.open(t.wsUrl, owner.token), await TestSocket.open(t.wsUrl, bob.token)];
      try {
        await adminOk(t, 'DELETE', `/v1/admin/conversations/${room.id}?reason=${encodeURIComponent('illegal content')}`);
        for (const socket of sockets) {
          const removed = await liveUserEvent(socket, 'conversation.removed', (e) => e.data.conversationId === room.id);
          assert.ok(removed.data.seq > room.lastSeq);
        }
      } finally {
        for (const socket of sockets) socket.close();
      }
      for (const user of [owner, bob]) {
        refused(await call(t, user, 'GET', `/v1/conversations/${room.id}`), 404, 'not_found');
        refused(await call(t, user, 'GET', `/v1/conversations/${room.id}/messages`), 404, 'not_found');
        assert.deepEqual((await ok(t, user, 'GET', '/v1/conversations')).conversations, []);
        assert.equal((await userLog(t, user)).at(-1)!.type, 'conversation.removed');
      }
      refused(await admin(t, 'GET', `/v1/admin/conversations/${room.id}`), 404, 'not_found');
      refused(await admin(t, 'DELETE', `/v1/admin/conversations/${room.id}`), 404, 'not_found');
      const entry = auditEntry(await platformAudit(t), 'conversation.deleted', room.id);
      assert.deepEqual([entry.actorId, entry.reason, entry.data], [null, 'illegal content', { kind: 'group', title: 'Doomed' }]);
    });
  });
}

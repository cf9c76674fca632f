import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Limits } from '@parley/protocol';
import { call, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { adminOk, liveUserEvent, refused, send, texts, userLog, view } from './support/governance.ts';
import { createUser, signIn, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const found = async (t: TestApp, user: any, q: string) => (await ok(t, user, 'GET', `/v1/search/messages?q=${encodeURIComponent(q)}`)).results.map((hit: any) => hit.message.text);

for (const backend of backends) {
  describe(`your own view of your conversations (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('archives, pins and marks unread through the user log, so another device hears it live and the list shows it', async () => {
      const ann = await createUser(t.url);
      const room = await group(t, ann, 'Team', []);
      const phone = await signIn(t.url, ann.user.id);
      const socket = await TestSocket.open(t.wsUrl, phone.token);
      try {
        const heard = liveUserEvent(socket, 'conversation.prefs', (event) => event.data.archived === true);
        const { prefs } = await ok(t, ann, 'PATCH', `/v1/me/conversations/${room.id}`, { archived: true, pinned: true });
        assert.equal(prefs.archived, true);
        assert.ok(prefs.pinnedAt);
        assert.deepEqual((await heard).data, prefs);
        await ok(t, ann, 'PATCH', `/v1/me/conversations/${room.id}`, { markedUnread: true });
        assert.deepEqual((await view(t, phone, room.id)).prefs, { ...prefs, markedUnread: true });
        // The same request again changes nothing and logs nothing.
        const logged = (await userLog(t, ann)).filter((event) => event.type === 'conversation.prefs').length;
        await ok(t, ann, 'PATCH', `/v1/me/conversations/${room.id}`, { markedUnread: true, archived: true });
        assert.equal((await userLog(t, ann)).filter((event) => event.type === 'conversation.prefs').length, logged);
        // Reading takes the unread mark off, for every device.
        await ok(t, phone, 'POST', `/v1/conversations/${room.id}/read`, { seq: 1 });
        const last = (await userLog(t, ann)).filter((event) => event.type === 'conversation.prefs').at(-1)!;
        assert.equal((last.data as any).markedUnread, false);
        const listed = (await ok(t, ann, 'GET', '/v1/conversations')).conversations.find((c: any) => c.id === room.id);
        assert.deepEqual(listed.prefs, { ...prefs, markedUnread: false });
        await ok(t, ann, 'PATCH', `/v1/me/conversations/${room.id}`, { archived: false, pinned: false });
        assert.deepEqual((await view(t, ann, room.id)).prefs, { conversationId: room.id, archived: false, pinnedAt: null, markedUnread: false, clearedSeq: 0 });
      } finally {
        socket.close();
      }
    });

    it('refuses outsiders as not found and pins past the limit as limit_exceeded, changing nothing', async () => {
      const ben = await createUser(t.url);
      const outsider = await createUser(t.url);
      const rooms = [];
      for (let i = 0; i <= Limits.pinnedConversationsMax; i++) rooms.push(await group(t, ben, `Room ${i}`, []));
      refused(await call(t, outsider, 'PATCH', `/v1/me/conversations/${rooms[0]!.id}`, { archived: true }), 404, 'not_found');
      refused(await call(t, outsider, 'POST', `/v1/me/conversations/${rooms[0]!.id}/clear-history`, {}), 404, 'not_found');
      refused(await call(t, ben, 'PATCH', `/v1/me/conversations/${rooms[0]!.id}`, {}), 400, 'validation_failed');
      refused(await call(t, ben, 'PATCH', `/v1/me/conversations/${rooms[0]!.id}`, { pinned: 'yes' }), 400, 'validation_failed');
      for (const room of rooms.slice(0, -1)) await ok(t, ben, 'PATCH', `/v1/me/conversations/${room.id}`, { pinned: true });
      const before = await userLog(t, ben);
      refused(await call(t, ben, 'PATCH', `/v1/me/conversations/${rooms.at(-1)!.id}`, { pinned: true }), 422, 'limit_exceeded');
      assert.equal((await view(t, ben, rooms.at(-1)!.id)).prefs!.pinnedAt, null);
      assert.deepEqual(await userLog(t, ben), before);
      // Pinning one already pinned is not a new pin.
      await ok(t, ben, 'PATCH', `/v1/me/conversations/${rooms[0]!.id}`, { pinned: true });
    });

    it('deletes messages for me only: gone from my history and my search on every device, kept for the others', async () => {
      const cat = await createUser(t.url);
      const dan = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, cat, 'Pair', [dan]);
      const oops = await send(t, cat, room.id, 'embarrassing typo message');
      await send(t, dan, room.id, 'a fine message');
      const result = await ok(t, cat, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [oops.id, 'not-a-message-here'] });
      assert.deepEqual(result.messageIds, [oops.id]);
      const phone = await signIn(t.url, cat.user.id);
      assert.deepEqual(await texts(t, phone, room.id), ['a fine message']);
      assert.deepEqual(await found(t, phone, 'embarrassing'), []);
      assert.deepEqual(await texts(t, dan, room.id), ['embarrassing typo message', 'a fine message']);
      assert.deepEqual(await found(t, dan, 'embarrassing'), ['embarrassing typo message']);
      const hidden = (await userLog(t, cat)).filter((event) => event.type === 'messages.hidden');
      assert.deepEqual(hidden.map((event) => event.data), [{ conversationId: room.id, messageIds: [oops.id] }]);
      // Again: nothing new in the log.
      await ok(t, cat, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [oops.id] });
      assert.equal((await userLog(t, cat)).filter((event) => event.type === 'messages.hidden').length, 1);
      refused(await call(t, outsider, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [oops.id] }), 404, 'not_found');
      refused(await call(t, cat, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [] }), 400, 'validation_failed');
    });

    it('clears the history so far for me only; what comes after shows as usual', async () => {
      const eve = await createUser(t.url);
      const fay = await createUser(t.url);
      const room = await group(t, eve, 'Clear', [fay]);
      await send(t, eve, room.id, 'old secret words');
      await send(t, fay, room.id, 'old reply words');
      const { prefs } = await ok(t, eve, 'POST', `/v1/me/conversations/${room.id}/clear-history`, {});
      assert.equal(prefs.clearedSeq, (await view(t, eve, room.id)).lastSeq);
      assert.deepEqual(await texts(t, eve, room.id), []);
      assert.deepEqual(await found(t, eve, 'old'), []);
      await send(t, fay, room.id, 'new words');
      assert.deepEqual(await texts(t, eve, room.id), ['new words']);
      assert.deepEqual(await found(t, eve, 'words'), ['new words']);
      assert.deepEqual(await texts(t, fay, room.id), ['old secret words', 'old reply words', 'new words']);
      assert.equal((await found(t, fay, 'words')).length, 3);
    });
  
    it('deletes with an account what only its devices read and what names it, and keeps the messages others have', async () => {
      const gil = await createUser(t.url);
      const hana = await createUser(t.url);
      const room = await group(t, gil, 'Stays', [hana]);
      const kept = await send(t, gil, room.id, 'history the others keep');
      await ok(t, gil, 'PUT', `/v1/me/blocks/${(await createUser(t.url)).user.id}`);
      await ok(t, hana, 'PUT', `/v1/me/blocks/${gil.user.id}`);
      await ok(t, gil, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [kept.id] });
      await adminOk(t, 'DELETE', `/v1/admin/users/${gil.user.id}`);
      const db = t.app.db.kysely;
      const count = async (table: 'user_events' | 'hidden_messages' | 'search_terms', column: 'user_id' | 'ref_id') =>
        Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(column, '=', gil.user.id).executeTakeFirstOrThrow()).n);
      assert.equal(await count('user_events', 'user_id'), 0);
      assert.equal(await count('hidden_messages', 'user_id'), 0);
      assert.equal(await count('search_terms', 'ref_id'), 0);
      assert.equal((await db.selectFrom('blocks').selectAll().where('blocker_id', '=', gil.user.id).execute()).length, 0);
      // Hana's block of him is hers: her log says so, and it stays.
      assert.equal((await db.selectFrom('blocks').selectAll().where('blocked_id', '=', gil.user.id).execute()).length, 1);
      assert.deepEqual(await texts(t, hana, room.id), ['history the others keep']);
      assert.deepEqual(await found(t, hana, 'history'), ['history the others keep']);
    });
  });
}

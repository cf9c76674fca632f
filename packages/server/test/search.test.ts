import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { adminOk, create, refused, send } from './support/governance.ts';
import { pngWithText, uploadOk } from './support/media-files.ts';
import { signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';

let people = 0;
/** A user with a chosen display name (and a unique handle unless one is given). */
async function person(t: TestApp, displayName: string, handle = `p${process.pid}n${++people}`): Promise<TestUser> {
  const created = await adminOk(t, 'POST', '/v1/admin/users', { handle, displayName });
  return signIn(t.url, created.user.id);
}

const search = (t: TestApp, user: TestUser, params: Record<string, string>) => call(t, user, 'GET', `/v1/search/messages?${new URLSearchParams(params)}`);
async function found(t: TestApp, user: TestUser, params: Record<string, string>): Promise<string[]> {
  const result = await search(t, user, params);
  assert.equal(result.status, 200, JSON.stringify(result.body));
  return result.body.results.map((hit: any) => hit.message.text);
}
const users = async (t: TestApp, user: TestUser, q: string) => (await ok(t, user, 'GET', `/v1/search/users?${new URLSearchParams({ q })}`)).users.map((u: any) => u.displayName);
const rooms = async (t: TestApp, user: TestUser, q: string) => (await ok(t, user, 'GET', `/v1/search/conversations?${new URLSearchParams({ q })}`)).conversations;

for (const backend of backends) {
  describe(`message search (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('finds messages by their words, stemmed, best match first, with the matched words marked in a snippet', async () => {
      const ann = await person(t, 'Ann');
      const ben = await person(t, 'Ben');
      const room = await group(t, ann, 'Trips', [ben]);
      await send(t, ann, room.id, 'The address is 12 Harbour Street, ring twice');
      await send(t, ben, room.id, 'Running late, see you at the harbour');
      await send(t, ann, room.id, 'Nothing to see here');
      assert.deepEqual(await found(t, ben, { q: 'harbour' }), ['Running late, see you at the harbour', 'The address is 12 Harbour Street, ring twice'].sort((a, b) => a.length - b.length));
      // Stemming: "run" finds "Running"; both words must match.
      assert.deepEqual(await found(t, ben, { q: 'run harbour' }), ['Running late, see you at the harbour']);
      const hit = (await ok(t, ben, 'GET', '/v1/search/messages?q=street+address')).results[0];
      assert.equal(hit.snippet.text, 'The address is 12 Harbour Street, ring twice');
      assert.deepEqual(hit.snippet.highlights.map((h: any) => hit.snippet.text.slice(h.start, h.end)), ['address', 'Street']);
      assert.equal(hit.message.senderId, ann.user.id);
    });

    it('narrows by conversation, sender and time, and pages with a cursor through every match once', async () => {
      const cat = await person(t, 'Cat');
      const dan = await person(t, 'Dan');
      const one = await group(t, cat, 'One', [dan]);
      const two = await group(t, cat, 'Two', [dan]);
      const first = await send(t, cat, one.id, 'budget draft one');
      await send(t, dan, one.id, 'budget draft two');
      await send(t, cat, two.id, 'budget draft three');
      assert.deepEqual((await found(t, dan, { q: 'budget', conversationId: two.id })), ['budget draft three']);
      assert.deepEqual((await found(t, dan, { q: 'budget', senderId: dan.user.id })), ['budget draft two']);
      assert.deepEqual((await found(t, dan, { q: 'budget', before: first.createdAt })), []);
      assert.equal((await found(t, dan, { q: 'budget', after: first.createdAt })).length, 3);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await ok(t, dan, 'GET', `/v1/search/messages?${new URLSearchParams({ q: 'budget', limit: '2', ...(cursor ? { cursor } : {}) })}`);
        assert.ok(page.results.length <= 2);
        seen.push(...page.results.map((hit: any) => hit.message.text));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen.sort(), ['budget draft one', 'budget draft three', 'budget draft two']);
      refused(await search(t, dan, { q: 'budget', cursor: 'not-a-cursor' }), 400, 'bad_request');
    });

    it('narrows to messages with files or links (has=attachment|link), following edits and deletes, and refuses other values', async () => {
      const eve = await person(t, 'Eve');
      const fay = await person(t, 'Fay');
      const room = await group(t, eve, 'Plans', [fay]);
      const file = await uploadOk(t, eve, pngWithText(), 'map.png');
      await ok(t, eve, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: `has-${process.pid}`, text: 'venue map attached', attachments: [file.id] });
      await send(t, fay, room.id, 'venue site is https://example.org/venue');
      const plain = await send(t, fay, room.id, 'venue is lovely');
      await send(t, eve, room.id, 'venue details on www.example.com soon');
      assert.deepEqual(await found(t, fay, { q: 'venue', has: 'attachment' }), ['venue map attached']);
      assert.deepEqual((await found(t, fay, { q: 'venue', has: 'link' })).sort(), ['venue details on www.example.com soon', 'venue site is https://example.org/venue']);
      assert.equal((await found(t, fay, { q: 'venue' })).length, 4);
      // An edit that adds a link marks it; one that takes the link out unmarks it.
      await ok(t, fay, 'PATCH', `/v1/conversations/${room.id}/messages/${plain.id}`, { text: 'venue is lovely, see example.net' });
      assert.equal((await found(t, fay, { q: 'venue', has: 'link' })).length, 3);
      await ok(t, fay, 'PATCH', `/v1/conversations/${room.id}/messages/${plain.id}`, { text: 'venue is lovely' });
      assert.equal((await found(t, fay, { q: 'venue', has: 'link' })).length, 2);
      // Combined with the other filters; an outsider finds nothing either way.
      assert.deepEqual(await found(t, fay, { q: 'venue', has: 'link', senderId: eve.user.id }), ['venue details on www.example.com soon']);
      const outsider = await person(t, 'Gus');
      assert.deepEqual(await found(t, outsider, { q: 'venue', has: 'attachment' }), []);
      for (const has of ['file', '', 'attachment,link']) refused(await search(t, fay, { q: 'venue', has }), 400, 'validation_failed');
    });

    it('never finds a message of a conversation the searcher is not in, or left, or a deleted one, and an edit replaces the old words', async () => {
      const eve = await person(t, 'Eve');
      const fay = await person(t, 'Fay');
      const outsider = await person(t, 'Gus');
      const room = await group(t, eve, 'Secret plans', [fay]);
      await send(t, eve, room.id, 'the password is swordfish');
      const doomed = await send(t, eve, room.id, 'swordfish backup copy');
      const edited = await send(t, eve, room.id, 'meet at the pier');
      assert.equal((await found(t, fay, { q: 'swordfish' })).length, 2);
      // Not a member: nothing, even naming the conversation.
      assert.deepEqual(await found(t, outsider, { q: 'swordfish' }), []);
      assert.deepEqual(await found(t, outsider, { q: 'swordfish', conversationId: room.id }), []);
      // Deleted for everyone: gone from search.
      await ok(t, eve, 'DELETE', `/v1/conversations/${room.id}/messages/${doomed.id}`);
      assert.deepEqual(await found(t, fay, { q: 'swordfish' }), ['the password is swordfish']);
      // Edited: found by the new words only.
      await ok(t, eve, 'PATCH', `/v1/conversations/${room.id}/messages/${edited.id}`, { text: 'meet at the lighthouse' });
      assert.deepEqual(await found(t, fay, { q: 'pier' }), []);
      assert.deepEqual(await found(t, fay, { q: 'lighthouse' }), ['meet at the lighthouse']);
      // Left: nothing more.
      await ok(t, fay, 'POST', `/v1/conversations/${room.id}/leave`, {});
      assert.deepEqual(await found(t, fay, { q: 'swordfish' }), []);
      assert.deepEqual(await found(t, fay, { q: 'lighthouse' }), []);
      assert.deepEqual(await found(t, eve, { q: 'swordfish' }), ['the password is swordfish']);
    });

    it('finds history from before the searcher joined, which members may read', async () => {
      const hal = await person(t, 'Hal');
      const ivy = await person(t, 'Ivy');
      const room = await group(t, hal, 'Archive', []);
      await send(t, hal, room.id, 'minutes of the kickoff');
      assert.deepEqual(await found(t, ivy, { q: 'kickoff' }), []);
      await ok(t, hal, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [ivy.user.id] });
      assert.deepEqual(await found(t, ivy, { q: 'kickoff' }), ['minutes of the kickoff']);
    });

    it('treats query syntax as plain words: quotes, operators and stray punctuation never reach the engine as syntax', async () => {
      const jo = await person(t, 'Jo');
      const room = await group(t, jo, 'Syntax', []);
      await send(t, jo, room.id, 'apples OR oranges near the market');
      for (const q of ['"apples', 'apples OR', 'NEAR(apples oranges)', 'apples*', '-apples', 'apples "OR" oranges', "apples'); --", 'apples:', ':apples', '^apples', '(apples', '\\apples', 'apples & | ! <->', '{apples}']) {
        const result = await search(t, jo, { q });
        assert.equal(result.status, 200, `${q}: ${JSON.stringify(result.body)}`);
        assert.deepEqual(result.body.results.map((hit: any) => hit.message.text), ['apples OR oranges near the market'], q);
      }
      // Words that are operators elsewhere are words here.
      assert.deepEqual(await found(t, jo, { q: 'near' }), ['apples OR oranges near the market']);
      assert.deepEqual(await found(t, jo, { q: 'apples bananas' }), []);
      // Values, never SQL: the table is there after this.
      assert.deepEqual(await found(t, jo, { q: "x'); drop table messages; --" }), []);
      assert.deepEqual(await found(t, jo, { q: 'oranges' }), ['apples OR oranges near the market']);
      // "AND NOT" are two more words that must match, not an operator excluding anything.
      assert.deepEqual(await found(t, jo, { q: 'apples AND NOT' }), []);
    });

    it('answers empty, punctuation-only and emoji-only queries with nothing, and a too long query with a typed error', async () => {
      const kim = await person(t, 'Kim');
      const room = await group(t, kim, 'Edge', []);
      await send(t, kim, room.id, 'party tonight 🎉');
      for (const q of ['', '   ', '!!!', '🎉', '"" ** ()']) assert.deepEqual(await found(t, kim, { q }), [], JSON.stringify(q));
      refused(await search(t, kim, { q: 'x'.repeat(257) }), 400, 'validation_failed');
      // At the limit, with many words: bounded, and an answer.
      assert.deepEqual(await found(t, kim, { q: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ').slice(0, 256) }), []);
      assert.deepEqual(await found(t, kim, { q: 'party 🎉' }), ['party tonight 🎉']);
      refused(await search(t, kim, { q: 'party', after: 'yesterday' }), 400, 'validation_failed');
    });

    it('finds Chinese, Japanese and Korean inside unspaced text, right-to-left scripts, and folds case and accents', async () => {
      const lee = await person(t, 'Lee');
      const room = await group(t, lee, 'Unicode', []);
      await send(t, lee, room.id, '我们明天在东京塔见面');
      await send(t, lee, room.id, '東京タワーに行った');
      await send(t, lee, room.id, '서울에서 만나요');
      await send(t, lee, room.id, 'نلتقي في المقهى غدا');
      await send(t, lee, room.id, 'נפגש בבית הקפה');
      await send(t, lee, room.id, 'Un CAFÉ crème, s’il vous plaît');
      assert.deepEqual(await found(t, lee, { q: '东京' }), ['我们明天在东京塔见面']);
      assert.deepEqual(await found(t, lee, { q: '東京' }), ['東京タワーに行った']);
      assert.deepEqual(await found(t, lee, { q: 'タワー' }), ['東京タワーに行った']);
      assert.deepEqual(await found(t, lee, { q: '서울' }), ['서울에서 만나요']);
      // Characters present but not together do not match a phrase.
      assert.deepEqual(await found(t, lee, { q: '京东' }), []);
      assert.deepEqual(await found(t, lee, { q: 'المقهى' }), ['نلتقي في المقهى غدا']);
      assert.deepEqual(await found(t, lee, { q: 'הקפה' }), ['נפגש בבית הקפה']);
      assert.deepEqual(await found(t, lee, { q: 'cafe creme' }), ['Un CAFÉ crème, s’il vous plaît']);
      const hit = (await ok(t, lee, 'GET', `/v1/search/messages?q=${encodeURIComponent('東京')}`)).results[0];
      assert.deepEqual(hit.snippet.highlights.map((h: any) => hit.snippet.text.slice(h.start, h.end)), ['東京']);
    });

    it('cuts a long message to a snippet around the first match', async () => {
      const max = await person(t, 'Max');
      const room = await group(t, max, 'Long', []);
      const text = `${'lorem ipsum dolor '.repeat(40)}needle ${'sit amet '.repeat(40)}`;
      await send(t, max, room.id, text);
      const hit = (await ok(t, max, 'GET', '/v1/search/messages?q=needle')).results[0];
      assert.ok(hit.snippet.text.length <= 162 && hit.snippet.text.startsWith('…') && hit.snippet.text.endsWith('…'), hit.snippet.text);
      assert.deepEqual(hit.snippet.highlights.map((h: any) => hit.snippet.text.slice(h.start, h.end)), ['needle']);
      assert.equal(hit.message.text, text);
    });
  });

  describe(`people and conversation search (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('finds people by the start of their handle or any word of their name, forgiving a typo, never the searcher', async () => {
      const me = await person(t, 'Searcher');
      await person(t, 'Alice Liddell', `alice${process.pid}`);
      await person(t, 'Bob Stone', `bstone${process.pid}`);
      await person(t, 'Zoë Ålund');
      assert.deepEqual(await users(t, me, 'alic'), ['Alice Liddell']);
      assert.deepEqual(await users(t, me, 'ALICE'), ['Alice Liddell']);
      assert.deepEqual(await users(t, me, 'lidd'), ['Alice Liddell']);
      assert.deepEqual(await users(t, me, 'alcie'), ['Alice Liddell']);
      assert.deepEqual(await users(t, me, 'alice stone'), []);
      assert.deepEqual(await users(t, me, `bstone${process.pid}`), ['Bob Stone']);
      assert.deepEqual(await users(t, me, 'zoe alund'), ['Zoë Ålund']);
      assert.deepEqual(await users(t, me, 'searcher'), []);
      assert.deepEqual(await users(t, me, '"); --'), []);
      refused(await call(t, me, 'GET', `/v1/search/users?q=${'a'.repeat(65)}`), 400, 'validation_failed');
    });

    it('follows renames, and hides people behind a block either way, by privacy setting, and deleted accounts', async () => {
      const me = await person(t, 'Watcher');
      const quiet = await person(t, 'Quentin Quiet', `quentin${process.pid}`);
      const blocker = await person(t, 'Quinn Blocker');
      const renamed = await person(t, 'Oldname Person');
      const gone = await person(t, 'Quincy Gone');
      assert.deepEqual((await users(t, me, 'qu')).sort(), ['Quentin Quiet', 'Quincy Gone', 'Quinn Blocker']);
      await ok(t, blocker, 'PUT', `/v1/me/blocks/${me.user.id}`);
      await ok(t, quiet, 'PATCH', '/v1/me/settings', { addPrivacy: 'nobody' });
      await adminOk(t, 'DELETE', `/v1/admin/users/${gone.user.id}`);
      assert.deepEqual(await users(t, me, 'qu'), []);
      // Their exact handle still finds someone who is not found by name.
      assert.deepEqual(await users(t, me, `quentin${process.pid}`), ['Quentin Quiet']);
      await ok(t, renamed, 'PATCH', '/v1/me', { displayName: 'Newname Person' });
      assert.deepEqual(await users(t, me, 'oldname'), []);
      assert.deepEqual(await users(t, me, 'newname'), ['Newname Person']);
    });

    it('finds public groups and channels by title or handle, and private ones only for their members', async () => {
      const owner = await person(t, 'Owner');
      const stranger = await person(t, 'Stranger');
      const open = await create(t, owner, { kind: 'channel', title: 'Gardening Weekly', visibility: 'public', handle: `garden${process.pid}`, memberIds: [] });
      const closed = await group(t, owner, 'Gardening committee', []);
      assert.deepEqual((await rooms(t, stranger, 'garden')).map((hit: any) => [hit.conversation.id, hit.member]), [[open.id, false]]);
      assert.deepEqual((await rooms(t, stranger, 'weekly')).map((hit: any) => hit.conversation.id), [open.id]);
      assert.deepEqual((await rooms(t, owner, 'gardening')).map((hit: any) => hit.conversation.id).sort(), [open.id, closed.id].sort());
      await ok(t, owner, 'PATCH', `/v1/conversations/${closed.id}`, { title: 'Allotment committee' });
      assert.deepEqual((await rooms(t, owner, 'allotment')).map((hit: any) => hit.conversation.id), [closed.id]);
      assert.deepEqual(await rooms(t, stranger, 'allotment'), []);
    });
  });
}

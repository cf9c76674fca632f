import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import { call, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { create, events, nextClientId, refused, send, view } from './support/governance.ts';
import { pngWithText, storedFiles, uploadOk, uploadRows, wav } from './support/media-files.ts';
import { ADMIN_KEY, createUser, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

function sendWith(t: TestApp, user: TestUser, conversationId: string, attachments: string[], text?: string, clientMsgId = nextClientId('m')) {
  return call(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId, attachments, ...(text !== undefined ? { text } : {}) });
}

async function linkFor(t: TestApp, user: TestUser, fileId: string, variant?: string): Promise<string> {
  const { url } = await ok(t, user, 'GET', `/v1/files/${fileId}/url${variant ? `?variant=${variant}` : ''}`);
  return new URL(url, t.url).toString();
}

/** A clock that runs with real time and can be moved ahead, never slept on. */
function movableClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

for (const backend of backends) {
  describe(`messages with files (${backend.name})`, () => {
    let t: TestApp;
    const clock = movableClock();
    before(async () => {
      t = await startApp(backend, { clock: clock.now, env: { MEDIA_DELETE_GRACE_SEC: '0', MEDIA_SWEEP_INTERVAL_MS: '20', MEDIA_URL_TTL_SEC: '60' } });
    });
    after(() => t.close());

    it('carry their files in the answer, history, the live event and the log; text is optional', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, alice, 'Photos', [bob]);
      const photo = await uploadOk(t, alice, pngWithText(), 'beach.png');
      const note = await uploadOk(t, alice, wav(), 'note.wav', { kind: 'voice' });
      const socket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const sent = await ok(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), attachments: [photo.id, note.id] });
        const message: Message = sent.message;
        assert.equal(message.text, '');
        assert.deepEqual(message.attachments.map((a) => [a.id, a.kind, a.name]), [[photo.id, 'image', 'beach.png'], [note.id, 'voice', 'note.wav']]);
        const { sha256: _s, createdAt: _c, expiresAt: _e, ...photoAttachment } = photo;
        assert.deepEqual(message.attachments[0], photoAttachment);
        const live = await socket.next((f) => f.t === 'event' && f.event.type === 'message.created' && f.event.data.message.id === message.id);
        assert.deepEqual(live.event.data.message.attachments, message.attachments);
        const history = await ok(t, bob, 'GET', `/v1/conversations/${room.id}/messages`);
        assert.deepEqual(history.messages.at(-1).attachments, message.attachments);
        const logged = (await events(t, bob, room.id)).find((e) => e.type === 'message.created' && (e.data as any).message.id === message.id);
        assert.deepEqual((logged!.data as any).message.attachments, message.attachments);
        // Used now: no longer expiring.
        assert.equal((await ok(t, alice, 'GET', `/v1/uploads/${photo.id}`)).file.expiresAt, null);
        // With a caption; without files or text it is still refused.
        const doc = await uploadOk(t, alice, Buffer.from('minutes'), 'minutes.txt');
        const captioned = (await sendWith(t, alice, room.id, [doc.id], 'the minutes')).body.message;
        assert.equal(captioned.text, 'the minutes');
        refused(await call(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId() }), 400, 'validation_failed');
        // Editing changes the caption only.
        const edited = await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}/messages/${captioned.id}`, { text: 'the final minutes' });
        assert.equal(edited.message.text, 'the final minutes');
        assert.deepEqual(edited.message.attachments, captioned.attachments);
      } finally {
        socket.close();
      }
    });

    it('refuses files that are someone else\'s, used already or missing, and a sender without send_media, changing nothing', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, alice, 'Strict', [bob]);
      const bobs = await uploadOk(t, bob, Buffer.from('bob'), 'bob.txt');
      const mine = await uploadOk(t, alice, Buffer.from('alice'), 'alice.txt');
      const head = (await view(t, alice, room.id)).lastSeq;
      const foreign = refused(await sendWith(t, alice, room.id, [mine.id, bobs.id]), 404, 'not_found');
      assert.equal(foreign.details.attachmentId, bobs.id);
      refused(await sendWith(t, alice, room.id, ['0193a6f3-01aa-7c52-b1d3-6f0e2a9c8d03']), 404, 'not_found');
      assert.equal((await view(t, alice, room.id)).lastSeq, head, 'nothing was sent');
      assert.notEqual((await ok(t, alice, 'GET', `/v1/uploads/${mine.id}`)).file.expiresAt, null, 'and the upload is still unused');
      await ok(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), attachments: [mine.id] });
      const other = await group(t, alice, 'Elsewhere', [bob]);
      const used = refused(await sendWith(t, alice, other.id, [mine.id]), 409, 'conflict');
      assert.equal(used.details.attachmentId, mine.id);
      // A retried send returns the original rather than claiming again.
      const clientMsgId = nextClientId();
      const again = await uploadOk(t, alice, Buffer.from('again'), 'again.txt');
      const first = (await sendWith(t, alice, room.id, [again.id], undefined, clientMsgId)).body.message;
      const retried = (await sendWith(t, alice, room.id, [again.id], undefined, clientMsgId)).body.message;
      assert.equal(retried.id, first.id);
      // Without send_media: text passes, files do not.
      await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages'] } });
      const bobsOther = await uploadOk(t, bob, Buffer.from('bob 2'), 'bob2.txt');
      refused(await sendWith(t, bob, room.id, [bobsOther.id]), 403, 'forbidden', /files/);
      await send(t, bob, room.id, 'text is fine');
    });

    it('serve files only to readers: a member gets the bytes and ranges; an outsider, a removed member and an expired link get the same 404', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const eve = await createUser(t.url);
      const room = await group(t, alice, 'Files', [bob, carol]);
      const bytes = Buffer.from('0123456789abcdefghij');
      const file = await uploadOk(t, alice, bytes, 'digits.txt');
      await ok(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), attachments: [file.id] });

      const link = await linkFor(t, bob, file.id);
      const whole = await fetch(link);
      assert.equal(whole.status, 200);
      assert.equal(await whole.text(), bytes.toString());
      assert.equal(whole.headers.get('accept-ranges'), 'bytes');
      assert.match(whole.headers.get('content-disposition') ?? '', /^attachment; filename="digits.txt"/);
      assert.match(whole.headers.get('cache-control') ?? '', /^private, max-age=\d+/);
      const part = await fetch(link, { headers: { range: 'bytes=5-9' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 5-9/20');
      assert.equal(await part.text(), '56789');
      const tail = await fetch(link, { headers: { range: 'bytes=-3' } });
      assert.deepEqual([tail.status, await tail.text()], [206, 'hij']);
      const outside = await fetch(link, { headers: { range: 'bytes=20-' } });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get('content-range'), 'bytes */20');
      assert.equal((await outside.json()).error.code, 'range_not_satisfiable');

      refused(await call(t, eve, 'GET', `/v1/files/${file.id}/url`), 404, 'not_found');
      assert.equal((await call(t, alice, 'DELETE', `/v1/conversations/${room.id}/members/${carol.user.id}`)).status, 200);
      refused(await call(t, carol, 'GET', `/v1/files/${file.id}/url`), 404, 'not_found');
      // A forged or altered link is refused like a missing file.
      const forged = new URL(link);
      forged.searchParams.set('sig', 'A'.repeat(43));
      assert.equal((await fetch(forged)).status, 404);
      const otherFile = new URL(link.replace(file.id, '0193a6f3-01aa-7c52-b1d3-6f0e2a9c8d03'));
      assert.equal((await fetch(otherFile)).status, 404);
      // An expired link: 404 too.
      clock.advance(61_000);
      const expired = await fetch(link);
      assert.equal(expired.status, 404);
      assert.equal((await expired.json()).error.code, 'not_found');
      assert.equal((await fetch(await linkFor(t, bob, file.id))).status, 200, 'a fresh link works');
    });

    it('forward files with the message, and not out of protected conversations', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const dave = await createUser(t.url);
      const source = await group(t, alice, 'Source', [bob]);
      const target = await group(t, bob, 'Target', [dave]);
      const file = await uploadOk(t, alice, pngWithText(), 'pic.png');
      const original = (await sendWith(t, alice, source.id, [file.id], 'look')).body.message;
      refused(await call(t, dave, 'GET', `/v1/files/${file.id}/url`), 404, 'not_found');
      const forwarded = (await ok(t, bob, 'POST', `/v1/conversations/${target.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: source.id, messageId: original.id } })).message;
      assert.deepEqual(forwarded.attachments, original.attachments);
      assert.equal((await fetch(await linkFor(t, dave, file.id, 'thumbnail'))).status, 200, 'members where it arrived may fetch it');

      const vault = await create(t, alice, { kind: 'group', title: 'Vault', memberIds: [bob.user.id], settings: { protectedContent: true } });
      const secret = await uploadOk(t, alice, pngWithText(), 'secret.png');
      const kept = (await sendWith(t, alice, vault.id, [secret.id])).body.message;
      refused(await call(t, bob, 'POST', `/v1/conversations/${target.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: vault.id, messageId: kept.id } }), 403, 'forbidden');
      refused(await call(t, dave, 'GET', `/v1/files/${secret.id}/url`), 404, 'not_found');
    });

    it('delete for everyone takes the files off the message at once and their bytes after the grace, unless a forward still carries them', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, alice, 'Deletes', [bob]);
      const other = await group(t, bob, 'Kept', [alice]);
      const gone = await uploadOk(t, alice, pngWithText(), 'gone.png');
      const shared = await uploadOk(t, alice, Buffer.from('shared'), 'shared.txt');
      const first = (await sendWith(t, alice, room.id, [gone.id])).body.message;
      const second = (await sendWith(t, alice, room.id, [shared.id])).body.message;
      await ok(t, bob, 'POST', `/v1/conversations/${other.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: room.id, messageId: second.id } });
      const link = await linkFor(t, bob, gone.id);

      const deleted = (await ok(t, alice, 'DELETE', `/v1/conversations/${room.id}/messages/${first.id}`)).message;
      assert.deepEqual(deleted.attachments, []);
      assert.deepEqual((await ok(t, bob, 'GET', `/v1/conversations/${room.id}/messages`)).messages.find((m: Message) => m.id === first.id).attachments, []);
      refused(await call(t, bob, 'GET', `/v1/files/${gone.id}/url`), 404, 'not_found');
      assert.equal((await fetch(link)).status, 404, 'links handed out before stop working');
      // Grace 0 here: the sweep removes record and bytes (original and preview).
      await waitFor(async () => !(await storedFiles(t)).some((key) => key.includes(gone.id)), 'the bytes to be removed');
      assert.equal((await uploadRows(t)).some((row) => row.id === gone.id), false);

      await ok(t, alice, 'DELETE', `/v1/conversations/${room.id}/messages/${second.id}`);
      assert.equal((await fetch(await linkFor(t, bob, shared.id))).status, 200, 'the forward still carries it');
      assert.ok((await storedFiles(t)).some((key) => key.includes(shared.id)));
    });

    it('expire uploads nothing used, record and bytes', async () => {
      const alice = await createUser(t.url);
      const unused = await uploadOk(t, alice, pngWithText(), 'unused.png');
      const room = await group(t, alice, 'Keep', []);
      const used = await uploadOk(t, alice, Buffer.from('used'), 'used.txt');
      await sendWith(t, alice, room.id, [used.id]);
      assert.ok((await storedFiles(t)).some((key) => key.includes(unused.id)));
      clock.advance(24 * 3600 * 1000 + 1000);
      // The sweep deletes the record, then the bytes.
      await waitFor(async () => !(await uploadRows(t)).some((row) => row.id === unused.id) && !(await storedFiles(t)).some((key) => key.includes(unused.id)), 'the unused upload to expire');
      assert.ok((await uploadRows(t)).some((row) => row.id === used.id), 'a used one stays');
      // A day later (a fresh token), the expired id is simply not there.
      const later = await signIn(t.url, alice.user.id);
      refused(await sendWith(t, later, room.id, [unused.id]), 404, 'not_found');
    });

    it('make an image upload a user\'s avatar, visible to everyone signed in, replaced and taken down cleanly', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const first = await uploadOk(t, alice, pngWithText(), 'me.png');
      const me = (await ok(t, alice, 'PATCH', '/v1/me', { avatarId: first.id })).user;
      assert.equal(me.avatarId, first.id);
      assert.equal((await ok(t, bob, 'GET', `/v1/users/${alice.user.id}`)).user.avatarId, first.id);
      assert.equal((await fetch(await linkFor(t, bob, first.id, 'thumbnail'))).status, 200);
      const log = (await ok(t, alice, 'GET', '/v1/me/events?after=0&limit=500')).events;
      assert.ok(log.some((e: any) => e.type === 'profile.updated' && e.data.user.avatarId === first.id));
      // Used now: not for a message too; a text file or someone else's upload is no avatar.
      const room = await group(t, alice, 'Avatars', [bob]);
      refused(await sendWith(t, alice, room.id, [first.id]), 409, 'conflict');
      const text = await uploadOk(t, alice, Buffer.from('not a picture'), 'me.txt');
      refused(await call(t, alice, 'PATCH', '/v1/me', { avatarId: text.id }), 415, 'unsupported_media_type');
      const bobs = await uploadOk(t, bob, pngWithText(), 'bob.png');
      refused(await call(t, alice, 'PATCH', '/v1/me', { avatarId: bobs.id }), 404, 'not_found');
      // A new picture: the old one's bytes go after the grace (0 here).
      const second = await uploadOk(t, alice, pngWithText(), 'me2.png');
      await ok(t, alice, 'PATCH', '/v1/me', { avatarId: second.id });
      await waitFor(async () => !(await uploadRows(t)).some((row) => row.id === first.id) && !(await storedFiles(t)).some((key) => key.includes(first.id)), 'the old avatar to be removed');
      // The platform takes it down.
      const taken = await ok(t, alice, 'GET', '/v1/me');
      assert.equal(taken.user.avatarId, second.id);
      const admin = await fetch(`${t.url}/v1/admin/users/${alice.user.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ avatarId: null }) });
      assert.equal(admin.status, 200);
      assert.equal((await admin.json()).user.avatarId, undefined);
      assert.equal((await ok(t, bob, 'GET', `/v1/users/${alice.user.id}`)).user.avatarId, undefined);
      refused(await call(t, bob, 'GET', `/v1/files/${second.id}/url`), 404, 'not_found');
    });

    it('make an image upload a conversation\'s photo (edit_info), visible to its members only', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const eve = await createUser(t.url);
      const room = await group(t, alice, 'With photo', [bob]);
      const photo = await uploadOk(t, alice, pngWithText(), 'room.png');
      const updated = (await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}`, { photoId: photo.id })).conversation;
      assert.equal(updated.photoId, photo.id);
      assert.equal((await view(t, bob, room.id)).photoId, photo.id);
      const event = (await events(t, bob, room.id)).find((e) => e.type === 'conversation.updated');
      assert.deepEqual(event!.data, { photoId: photo.id });
      assert.equal((await fetch(await linkFor(t, bob, photo.id))).status, 200);
      refused(await call(t, eve, 'GET', `/v1/files/${photo.id}/url`), 404, 'not_found');
      const bobs = await uploadOk(t, bob, pngWithText(), 'mine.png');
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}`, { photoId: bobs.id }), 403, 'forbidden');
      const removed = (await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}`, { photoId: null })).conversation;
      assert.equal(removed.photoId, undefined);
      refused(await call(t, bob, 'GET', `/v1/files/${photo.id}/url`), 404, 'not_found');
    });

    it('go with their conversation when the platform deletes it, and an avatar goes with its deleted account', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, alice, 'Doomed', [bob]);
      const other = await group(t, bob, 'Survivor', [alice]);
      const gone = await uploadOk(t, alice, pngWithText(), 'gone.png');
      const kept = await uploadOk(t, alice, Buffer.from('kept'), 'kept.txt');
      const photo = await uploadOk(t, alice, pngWithText(), 'photo.png');
      await sendWith(t, alice, room.id, [gone.id]);
      const shared = (await sendWith(t, alice, room.id, [kept.id])).body.message;
      await ok(t, alice, 'POST', `/v1/conversations/${other.id}/forward`, { clientMsgId: nextClientId(), from: { conversationId: room.id, messageId: shared.id } });
      await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}`, { photoId: photo.id });
      const deleted = await fetch(`${t.url}/v1/admin/conversations/${room.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(deleted.status, 200, await deleted.text());
      await waitFor(async () => !(await storedFiles(t)).some((key) => key.includes(gone.id) || key.includes(photo.id)), 'the conversation\'s files to be removed');
      assert.equal((await fetch(await linkFor(t, bob, kept.id))).status, 200, 'the forwarded file stays');

      const avatar = await uploadOk(t, bob, pngWithText(), 'bob.png');
      await ok(t, bob, 'PATCH', '/v1/me', { avatarId: avatar.id });
      const removed = await fetch(`${t.url}/v1/admin/users/${bob.user.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(removed.status, 200, await removed.text());
      await waitFor(async () => !(await uploadRows(t)).some((row) => row.id === avatar.id), 'the deleted account\'s avatar to be removed');
      assert.equal((await ok(t, alice, 'GET', `/v1/users/${bob.user.id}`)).user.avatarId, undefined);
    });
  });
}

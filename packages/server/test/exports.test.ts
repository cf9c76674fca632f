import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { admin, adminOk, create, movableClock, refused, send } from './support/governance.ts';
import { filesBelow, pngWithText, storedFiles, uploadOk } from './support/media-files.ts';
import { createUser, signIn, startApp, type TestApp } from './support/test-app.ts';

/** Waits for an export to leave pending/running, through the user's or the admin's read. */
async function settled(read: () => Promise<any>): Promise<any> {
  let last: any;
  await waitFor(async () => {
    last = await read();
    return last.state !== 'pending' && last.state !== 'running';
  }, 'the export to be built', 30_000);
  return last;
}

/**
 * Downloads an export's archive through its link and unpacks it with the system's `tar`
 * (so the archive is checked by a reader we did not write); answers its files by path.
 */
async function unpack(t: TestApp, url: string): Promise<{ files: Map<string, Buffer>; json(path: string): any }> {
  const response = await fetch(new URL(url, t.url));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/gzip');
  assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="parley-export-\d{4}-\d{2}-\d{2}\.tar\.gz"$/);
  const dir = mkdtempSync(join(tmpdir(), 'parley-export-test-'));
  try {
    writeFileSync(join(dir, 'export.tar.gz'), Buffer.from(await response.arrayBuffer()));
    execFileSync('tar', ['-xzmf', 'export.tar.gz'], { cwd: dir });
    const files = new Map<string, Buffer>();
    for (const path of await filesBelow(join(dir, 'parley-export'))) files.set(path, readFileSync(join(dir, 'parley-export', path)));
    return { files, json: (path: string) => JSON.parse(files.get(path)!.toString('utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every message text of one conversation in an unpacked export, in order. */
function textsIn(archive: { files: Map<string, Buffer>; json(path: string): any }, conversationId: string): string[] {
  const parts = [...archive.files.keys()].filter((path) => path.startsWith(`messages/${conversationId}/`)).sort();
  return parts.flatMap((path) => archive.json(path).map((message: any) => message.text));
}

const DAY = 24 * 3600_000;

for (const backend of backends) {
  describe(`data export (${backend.name})`, () => {
    const time = movableClock();
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { clock: time.clock, env: { EXPORT_BATCH: '10', EXPORT_INTERVAL_MS: '200', EXPORT_KEEP_SEC: String(2 * 24 * 3600), MEDIA_SWEEP_INTERVAL_MS: '0' } });
    });
    after(() => t.close());

    it('builds what the user may read — profile, conversations, messages in batches, files — and a short-lived link fetches it', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, alice, 'Trip', [bob]);
      const pair = await direct(t, alice, bob);
      const secret = await group(t, outsider, 'Not hers', [bob]);
      const guarded = await create(t, bob, { kind: 'group', title: 'Guarded', memberIds: [alice.user.id], settings: { protectedContent: true } });
      const photo = pngWithText();
      const file = await uploadOk(t, alice, photo, 'beach.png');
      await ok(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: 'with-photo', text: 'the beach', attachments: [file.id] });
      for (let i = 1; i <= 12; i++) await send(t, i % 2 ? bob : alice, room.id, `room ${i}`);
      const deleted = await send(t, bob, room.id, 'gone for everyone');
      await ok(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${deleted.id}`);
      const hidden = await send(t, bob, room.id, 'deleted for alice');
      await ok(t, alice, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [hidden.id] });
      await send(t, bob, pair.id, 'before clearing');
      await ok(t, alice, 'POST', `/v1/me/conversations/${pair.id}/clear-history`, {});
      await send(t, bob, pair.id, 'after clearing');
      await send(t, bob, secret.id, 'nothing alice may read');
      await send(t, bob, guarded.id, 'bob in a protected group');
      await send(t, alice, guarded.id, 'alice in a protected group');
      await ok(t, alice, 'PUT', `/v1/me/blocks/${outsider.user.id}`, {});

      const requested = (await ok(t, alice, 'POST', '/v1/me/exports', {})).export;
      assert.equal(requested.userId, alice.user.id);
      assert.equal(requested.url, null);
      // Asking again while it is on its way answers the same export.
      assert.equal((await ok(t, alice, 'POST', '/v1/me/exports', {})).export.id, requested.id);
      const ready = await settled(async () => (await ok(t, alice, 'GET', `/v1/me/exports/${requested.id}`)).export);
      assert.equal(ready.state, 'ready');
      assert.ok(ready.size > 0 && /^[0-9a-f]{64}$/.test(ready.sha256));
      assert.ok(Date.parse(ready.urlExpiresAt) > Date.now());

      const archive = await unpack(t, ready.url);
      const profile = archive.json('profile.json');
      assert.equal(profile.user.id, alice.user.id);
      assert.equal(profile.user.handle, alice.user.handle);
      assert.ok(profile.devices.length >= 1);
      assert.deepEqual(profile.blocked.map((entry: any) => entry.userId), [outsider.user.id]);
      const conversations = archive.json('conversations.json');
      assert.deepEqual(conversations.map((c: any) => c.id).sort(), [room.id, pair.id, guarded.id].sort());
      assert.equal(conversations.find((c: any) => c.id === pair.id).with.userId, bob.user.id);
      // Everything readable, oldest first, in files of EXPORT_BATCH (10) messages.
      const roomTexts = textsIn(archive, room.id);
      assert.deepEqual(roomTexts, ['the beach', ...Array.from({ length: 12 }, (_, i) => `room ${i + 1}`)]);
      assert.deepEqual([...archive.files.keys()].filter((path) => path.startsWith(`messages/${room.id}/`)), [`messages/${room.id}/0001.json`, `messages/${room.id}/0002.json`]);
      assert.deepEqual(textsIn(archive, pair.id), ['after clearing']);
      assert.deepEqual(textsIn(archive, guarded.id), ['alice in a protected group']);
      assert.ok(![...archive.files.keys()].some((path) => path.includes(secret.id)));
      const all = [...archive.files.values()].map((bytes) => bytes.toString('latin1')).join('\n');
      for (const absent of ['gone for everyone', 'deleted for alice', 'before clearing', 'nothing alice may read', 'bob in a protected group']) assert.ok(!all.includes(absent), absent);
      // The photo: its message names its path, and the bytes there are the stored ones.
      const withPhoto = archive.json(`messages/${room.id}/0001.json`)[0];
      assert.equal(withPhoto.from.you, true);
      assert.equal(withPhoto.attachments.length, 1);
      const stored = archive.files.get(withPhoto.attachments[0].path)!;
      assert.equal(stored.length, file.size);
      assert.equal(withPhoto.attachments[0].path, `files/${file.id}/beach.png`);

      // Only the owner sees it; links are signed: an altered one is refused like a missing one.
      refused(await call(t, bob, 'GET', `/v1/me/exports/${requested.id}`), 404, 'not_found');
      assert.deepEqual((await ok(t, bob, 'GET', '/v1/me/exports')).exports, []);
      const forged = new URL(ready.url, t.url);
      forged.searchParams.set('sig', 'A'.repeat(43));
      assert.equal((await fetch(forged)).status, 404);
      const partial = await fetch(new URL(ready.url, t.url), { headers: { range: 'bytes=0-9' } });
      assert.equal(partial.status, 206);
      assert.equal((await partial.arrayBuffer()).byteLength, 10);
    });

    it('refuses a new export too soon after the last (429 with Retry-After), changes nothing, and lets one through later', async () => {
      let carol = await createUser(t.url);
      const first = (await ok(t, carol, 'POST', '/v1/me/exports', {})).export;
      await settled(async () => (await ok(t, carol, 'GET', `/v1/me/exports/${first.id}`)).export);
      const response = await fetch(`${t.url}/v1/me/exports`, { method: 'POST', headers: { authorization: `Bearer ${carol.token}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(response.status, 429);
      const body = await response.json() as any;
      assert.equal(body.error.code, 'rate_limited');
      assert.ok(body.error.details.retryAfterMs > 23 * 3600_000);
      assert.ok(Number(response.headers.get('retry-after')) > 23 * 3600);
      assert.equal((await ok(t, carol, 'GET', '/v1/me/exports')).exports.length, 1);
      refused(await call(t, carol, 'POST', '/v1/me/exports', { all: true }), 400, 'validation_failed');
      refused(await call(t, carol, 'GET', '/v1/me/exports/not%20an%20id'), 400, 'validation_failed');
      refused(await call(t, carol, 'GET', '/v1/me/exports/no-such-export'), 404, 'not_found');
      time.advance(DAY + 60_000);
      carol = await signIn(t.url, carol.user.id);
      const second = (await ok(t, carol, 'POST', '/v1/me/exports', {})).export;
      assert.notEqual(second.id, first.id);
    });

    it('deletes archives when they expire: the link stops, the bytes go, the state says expired', async () => {
      let dave = await createUser(t.url);
      const requested = (await ok(t, dave, 'POST', '/v1/me/exports', {})).export;
      const ready = await settled(async () => (await ok(t, dave, 'GET', `/v1/me/exports/${requested.id}`)).export);
      assert.ok((await storedFiles(t)).includes(`exports/${requested.id}/export.tar.gz`));
      time.advance(3 * DAY);
      dave = await signIn(t.url, dave.user.id);
      await waitFor(async () => (await ok(t, dave, 'GET', `/v1/me/exports/${requested.id}`)).export.state === 'expired', 'the export to expire');
      const expired = (await ok(t, dave, 'GET', `/v1/me/exports/${requested.id}`)).export;
      assert.equal(expired.url, null);
      assert.ok(!(await storedFiles(t)).includes(`exports/${requested.id}/export.tar.gz`));
      assert.equal((await fetch(new URL(ready.url, t.url))).status, 404);
    });

    it('lets the admin API export one user, without the user\'s limit, and refuses unknown users and user tokens', async () => {
      const erin = await createUser(t.url);
      const room = await group(t, erin, 'Erin alone', []);
      await send(t, erin, room.id, 'for the regulator');
      const first = (await adminOk(t, 'POST', `/v1/admin/users/${erin.user.id}/exports`, {})).export;
      const second = (await adminOk(t, 'POST', `/v1/admin/users/${erin.user.id}/exports`, {})).export;
      assert.notEqual(first.id, second.id);
      assert.equal(first.requestedBy, 'admin');
      const ready = await settled(async () => (await adminOk(t, 'GET', `/v1/admin/exports/${first.id}`)).export);
      assert.deepEqual(textsIn(await unpack(t, ready.url), room.id), ['for the regulator']);
      await settled(async () => (await adminOk(t, 'GET', `/v1/admin/exports/${second.id}`)).export);
      // The user's own list and limit are theirs alone.
      assert.deepEqual((await ok(t, erin, 'GET', '/v1/me/exports')).exports, []);
      await ok(t, erin, 'POST', '/v1/me/exports', {});
      refused(await admin(t, 'POST', '/v1/admin/users/0190f0f0-0000-7000-8000-000000000000/exports', {}), 404, 'not_found');
      refused(await admin(t, 'GET', '/v1/admin/exports/0190f0f0-0000-7000-8000-000000000000'), 404, 'not_found');
      assert.equal((await call(t, erin, 'POST', `/v1/admin/users/${erin.user.id}/exports`, {})).status, 401);
    });

    it('builds an export whose node died mid-way: the request is a row, taken again once its lease ran out', async () => {
      const frank = await createUser(t.url);
      const id = '0190f0f0-0000-7000-8000-0000000000f1';
      const now = time.clock();
      // What a node that crashed while building leaves: running, its lease in the past.
      await t.app.db.kysely.insertInto('data_exports').values({
        id, user_id: frank.user.id, requested_by: 'user', state: 'running', created_at: now - 60_000, started_at: now - 60_000, finished_at: null,
        lease_until: now - 1, attempts: 1, expires_at: null, blob_key: null, size: null, sha256: null, error: null,
      }).execute();
      const ready = await settled(async () => (await ok(t, frank, 'GET', `/v1/me/exports/${id}`)).export);
      assert.equal(ready.state, 'ready');
      assert.equal((await unpack(t, ready.url)).json('profile.json').user.id, frank.user.id);
    });

    it('account deletion removes the exports and everything personal the export held; what stays is documented', async () => {
      const gina = await createUser(t.url);
      const hal = await createUser(t.url);
      const pair = await direct(t, gina, hal);
      const room = await group(t, hal, 'Club', [gina]);
      await send(t, gina, room.id, 'gina was here');
      const hidden = await send(t, hal, room.id, 'hidden by gina');
      await ok(t, gina, 'PUT', `/v1/me/blocks/${hal.user.id}`, {});
      await ok(t, gina, 'POST', `/v1/me/conversations/${room.id}/hidden-messages`, { messageIds: [hidden.id] });
      await ok(t, gina, 'PATCH', `/v1/me/conversations/${pair.id}`, { archived: true, pinned: true });
      const unused = await uploadOk(t, gina, pngWithText(), 'draft.png');
      const requested = (await ok(t, gina, 'POST', '/v1/me/exports', {})).export;
      const ready = await settled(async () => (await ok(t, gina, 'GET', `/v1/me/exports/${requested.id}`)).export);

      assert.equal((await admin(t, 'DELETE', `/v1/admin/users/${gina.user.id}`)).status, 200);
      const db = t.app.db.kysely;
      assert.deepEqual(await db.selectFrom('data_exports').selectAll().where('user_id', '=', gina.user.id).execute(), []);
      assert.ok(!(await storedFiles(t)).some((key) => key.startsWith(`exports/${requested.id}/`)));
      assert.equal((await fetch(new URL(ready.url, t.url))).status, 404);
      const user = await db.selectFrom('users').selectAll().where('id', '=', gina.user.id).executeTakeFirstOrThrow();
      assert.equal(user.handle, null);
      assert.equal(user.display_name, 'Deleted account');
      assert.equal(user.password_hash, null);
      for (const [table, column] of [['user_events', 'user_id'], ['hidden_messages', 'user_id'], ['blocks', 'blocker_id'], ['push_settings', 'user_id'], ['push_deliveries', 'user_id']] as const) {
        assert.equal((await db.selectFrom(table).select(column).where(column, '=', gina.user.id).execute()).length, 0, table);
      }
      assert.deepEqual(await db.selectFrom('search_terms').selectAll().where('ref_id', '=', gina.user.id).execute(), []);
      assert.ok((await db.selectFrom('sessions').select(['device_name', 'revoked_at', 'push_token']).where('user_id', '=', gina.user.id).execute())
        .every((row) => row.device_name === null && row.revoked_at !== null && row.push_token === null));
      // Groups left; the direct conversation stays as the other person's history, with no view of hers kept.
      const memberships = await db.selectFrom('members').selectAll().where('user_id', '=', gina.user.id).execute();
      assert.deepEqual(memberships.map((row) => row.conversation_id), [pair.id]);
      assert.equal(memberships[0]!.archived_at, null);
      assert.equal(memberships[0]!.pinned_at, null);
      // Her unused upload is due for the sweep now.
      const draft = await db.selectFrom('uploads').select('expires_at').where('id', '=', unused.id).executeTakeFirstOrThrow();
      assert.ok(draft.expires_at! <= time.clock());
      // Kept, as docs/data.md says: the messages she sent, in the others' history, under the tombstone id.
      const kept = await db.selectFrom('messages').select(['text', 'sender_id']).where('conversation_id', '=', room.id).where('text', '=', 'gina was here').execute();
      assert.equal(kept.length, 1);
      // And nobody can export a deleted account.
      refused(await admin(t, 'POST', `/v1/admin/users/${gina.user.id}/exports`, {}), 404, 'not_found');
    });
  });
}

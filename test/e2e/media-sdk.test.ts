import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ParleyClient, ParleyError } from '@parley/sdk';
import { sqliteBackend } from '../../packages/server/test/support/backends.ts';
import { pngWithText, sha256, storedFiles, uploadRows, wav } from '../../packages/server/test/support/media-files.ts';
import { createUser, startApp, type TestApp, type TestUser } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, waitUntil } from './harness.ts';

describe('files through the SDK', () => {
  let t: TestApp;
  const devices: Device[] = [];
  before(async () => {
    t = await startApp(sqliteBackend, { env: { MEDIA_MAX_FILE_BYTES: String(1024 * 1024), MEDIA_SWEEP_INTERVAL_MS: '0' } });
  });
  after(async () => {
    for (const device of devices) device.client.stop();
    await t.close();
  });

  it('uploads a Blob with progress, sends it, and the other member opens it through a link', async () => {
    const alice = await createUser(t.url);
    const bob = await createUser(t.url);
    const [sender, reader] = [await openDevice(t.url, alice, 'alice'), await openDevice(t.url, bob, 'bob')];
    devices.push(sender, reader);
    const pair = await sender.client.createDirect(bob.user.id);
    await waitUntil(() => reader.client.store.has(pair.id), 5_000, 'bob to follow the conversation');

    const bytes = pngWithText();
    const progress: Array<[number, number | null]> = [];
    const picture = await sender.client.uploadFile(new Blob([new Uint8Array(bytes)]), { name: 'pic.png', onProgress: (sent, total) => progress.push([sent, total]) });
    assert.equal(picture.kind, 'image');
    assert.deepEqual(progress.at(-1), [bytes.length, bytes.length]);
    // A stream (here a Node-style async iterable) with a name, as a voice note.
    const note = await sender.client.uploadFile((async function* () { yield wav().subarray(0, 1000); yield wav().subarray(1000); })(), { name: 'note.wav', kind: 'voice' });
    assert.deepEqual([note.kind, note.durationMs], ['voice', 1000]);

    const sent = await sender.client.sendMessage(pair.id, '', { attachments: [picture.id, note.id] });
    assert.deepEqual(sent.attachments.map((a) => a.id), [picture.id, note.id]);
    await waitUntil(() => reader.emitted.some((e) => e.conversationId === pair.id && e.seq === sent.seq), 5_000, 'bob to get the message');
    const seen = (await reader.client.loadMessages(pair.id)).find((m) => m.id === sent.id)!;
    assert.deepEqual(seen.attachments, sent.attachments);

    const { url, expiresAt } = await reader.client.attachmentUrl(picture.id);
    assert.ok(url.startsWith(t.url), url);
    assert.ok(Date.parse(expiresAt) > Date.now());
    const stored = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.equal(sha256(stored), picture.sha256);
    const preview = await reader.client.attachmentUrl(picture.id, { variant: 'thumbnail' });
    assert.equal((await fetch(preview.url)).headers.get('content-type'), 'image/jpeg');

    const avatar = await sender.client.uploadFile(new Blob([new Uint8Array(pngWithText())]), { name: 'me.png' });
    assert.equal((await sender.client.setAvatar(avatar.id)).avatarId, avatar.id);
  });

  it('reports refusals as typed errors, and a cancelled upload leaves nothing on the server', async () => {
    const alice = await createUser(t.url);
    const device = await openDevice(t.url, alice, 'alice');
    devices.push(device);
    await assert.rejects(device.client.uploadFile(new Uint8Array(2 * 1024 * 1024).fill(97), { name: 'big.txt' }), (error: unknown) => error instanceof ParleyError && error.code === 'payload_too_large');
    await assert.rejects(device.client.uploadFile(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]), { name: 'x.png' }), (error: unknown) => error instanceof ParleyError && error.code === 'unsupported_media_type');

    const before = await storedFiles(t);
    const controller = new AbortController();
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const source = (async function* () {
      yield new Uint8Array(64 * 1024).fill(98);
      await stalled;
      yield new Uint8Array(10).fill(98);
    })();
    const upload = device.client.uploadFile(source, { name: 'cancel.txt', signal: controller.signal, onProgress: (sent) => sent >= 64 * 1024 && controller.abort() });
    await assert.rejects(upload, (error: unknown) => (error as Error).name === 'AbortError');
    release();
    await waitUntil(async () => (await storedFiles(t)).join() === before.join(), 5_000, 'the partial upload to be removed');
    assert.deepEqual((await uploadRows(t)).filter((row) => row.owner_id === alice.user.id), []);
  });

  /** A client whose fetch is `fetchImpl` (a network that breaks where the test says). */
  const clientOf = (user: TestUser, fetchImpl: typeof fetch) =>
    new ParleyClient({ baseUrl: t.url, session: { userId: user.user.id, accessToken: user.token, refreshToken: user.refreshToken, sessionId: user.sessionId }, fetch: fetchImpl });
  const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

  it('sends a file in resumable parts and rides out network breaks, whether the server got the part or not', async () => {
    const alice = await createUser(t.url);
    let patches = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (init?.method === 'PATCH') {
        patches++;
        // The second part is lost on the way; the fourth reaches the server but its answer is lost.
        if (patches === 2) throw new TypeError('fetch failed');
        if (patches === 4) {
          await fetch(input, init);
          throw new TypeError('fetch failed');
        }
      }
      return fetch(input, init);
    };
    const bytes = pdf(300 * 1024);
    const progress: Array<[number, number | null]> = [];
    const file = await clientOf(alice, flaky).uploadFile(new Blob([new Uint8Array(bytes)]), { name: 'scan.pdf', resumable: true, partBytes: 64 * 1024, onProgress: (sent, total) => progress.push([sent, total]) });
    assert.deepEqual([file.name, file.type, file.size, file.sha256], ['scan.pdf', 'application/pdf', bytes.length, sha256(bytes)]);
    // Five parts, one sent twice (the lost one); the one the server got is not sent again.
    assert.equal(patches, 6);
    assert.deepEqual(progress.at(-1), [bytes.length, bytes.length]);
  });

  it('cancels a resumable upload and the server deletes what it had', async () => {
    const alice = await createUser(t.url);
    const controller = new AbortController();
    const upload = clientOf(alice, fetch).uploadFile(pdf(300 * 1024), { name: 'big.pdf', resumable: true, partBytes: 64 * 1024, signal: controller.signal, onProgress: (sent) => sent >= 128 * 1024 && controller.abort() });
    await assert.rejects(upload, (error: unknown) => (error as Error).name === 'AbortError');
    const left = () => t.app.db.kysely.selectFrom('resumable_uploads').select('id').where('owner_id', '=', alice.user.id).execute();
    await waitUntil(async () => (await left()).length === 0, 5_000, 'the abandoned upload to be deleted');
  });
});

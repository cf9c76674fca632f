import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { backends } from './support/backends.ts';
import { refused } from './support/governance.ts';
import { call, waitFor } from './support/api.ts';
import { elf, jpegWithExif, pngBomb, pngWithText, sha256, storedFiles, upload, uploadOk, uploadRows, wav } from './support/media-files.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';

const LIMIT = 256 * 1024;

for (const backend of backends) {
  describe(`uploads (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { MEDIA_MAX_FILE_BYTES: String(LIMIT), MEDIA_USER_QUOTA_BYTES: String(LIMIT * 2), MEDIA_SWEEP_INTERVAL_MS: '0' } });
    });
    after(() => t.close());

    it('stores a PNG with its size, checksum, dimensions and a preview, and without its text metadata', async () => {
      const alice = await createUser(t.url);
      const bytes = pngWithText();
      const file = await uploadOk(t, alice, bytes, 'holiday.png');
      assert.equal(file.kind, 'image');
      assert.equal(file.type, 'image/png');
      assert.equal(file.name, 'holiday.png');
      assert.deepEqual([file.width, file.height], [64, 48]);
      assert.deepEqual(file.thumbnail, { width: 64, height: 48 });
      assert.ok(file.expiresAt, 'unused, so it expires');
      // The stored bytes: the same picture minus the text chunk; the checksum is theirs.
      const { url } = await (await call(t, alice, 'GET', `/v1/files/${file.id}/url`)).body;
      const response = await fetch(new URL(url, t.url));
      assert.equal(response.status, 200);
      const stored = Buffer.from(await response.arrayBuffer());
      assert.equal(stored.includes(Buffer.from('Location')), false, 'the text chunk is gone');
      assert.equal(stored.length, bytes.length - 12 - 'Location\u000052.5200 N, 13.4050 E'.length);
      assert.equal(file.size, stored.length);
      assert.equal(file.sha256, sha256(stored));
      assert.equal(response.headers.get('content-type'), 'image/png');
      assert.match(response.headers.get('content-disposition') ?? '', /^inline; filename="holiday.png"/);
      const mine = (await call(t, alice, 'GET', `/v1/uploads/${file.id}`)).body.file;
      assert.deepEqual(mine, file);
    });

    it('strips EXIF from a JPEG but keeps its orientation, and reports the upright size', async () => {
      const alice = await createUser(t.url);
      const file = await uploadOk(t, alice, jpegWithExif(80, 40), 'IMG_0001.JPG');
      assert.equal(file.type, 'image/jpeg');
      // Orientation 6: stored 80 × 40, shown 40 × 80; the preview is upright too.
      assert.deepEqual([file.width, file.height], [40, 80]);
      assert.deepEqual(file.thumbnail, { width: 40, height: 80 });
      const { url } = (await call(t, alice, 'GET', `/v1/files/${file.id}/url`)).body;
      const stored = Buffer.from(await (await fetch(new URL(url, t.url))).arrayBuffer());
      assert.equal(stored.includes(Buffer.from('GPSLatitude')), false, 'the GPS data is gone');
      assert.equal(stored.includes(Buffer.from('Exif\u0000\u0000', 'latin1')), true, 'a minimal EXIF with the orientation stays');
      const thumb = (await call(t, alice, 'GET', `/v1/files/${file.id}/url?variant=thumbnail`)).body;
      const preview = await fetch(new URL(thumb.url, t.url));
      assert.equal(preview.headers.get('content-type'), 'image/jpeg');
      assert.deepEqual([...Buffer.from(await preview.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8]);
    });

    it('judges the type by the bytes: a program called .png is refused, HTML claiming to be an image is plain text served as a download', async () => {
      const alice = await createUser(t.url);
      refused(await upload(t, alice, elf(), 'cat.png', { contentType: 'image/png' }), 415, 'unsupported_media_type');
      const page = await uploadOk(t, alice, Buffer.from('<html><script>alert(1)</script></html>'), 'cute.png');
      assert.deepEqual([page.type, page.kind, page.thumbnail], ['text/plain', 'file', null]);
      const { url } = (await call(t, alice, 'GET', `/v1/files/${page.id}/url`)).body;
      const response = await fetch(new URL(url, t.url));
      assert.equal(response.headers.get('content-type'), 'text/plain');
      assert.match(response.headers.get('content-disposition') ?? '', /^attachment;/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(await response.text(), '<html><script>alert(1)</script></html>');
      // A voice note must be audio.
      refused(await upload(t, alice, Buffer.from('hello'), 'note.ogg', { kind: 'voice' }), 415, 'unsupported_media_type');
    });

    it('refuses an empty file, one over the limit and an image bomb or broken image, leaving nothing behind', async () => {
      const alice = await createUser(t.url);
      const before = await storedFiles(t);
      refused(await upload(t, alice, Buffer.alloc(0), 'empty.txt'), 400, 'validation_failed');
      refused(await upload(t, alice, Buffer.alloc(LIMIT + 1, 97), 'big.txt'), 413, 'payload_too_large');
      const bomb = refused(await upload(t, alice, pngBomb(), 'bomb.png'), 422, 'limit_exceeded');
      assert.deepEqual([bomb.details.width, bomb.details.height], [100_000, 100_000]);
      const broken = Buffer.concat([pngWithText().subarray(0, 60), Buffer.alloc(200, 7)]);
      refused(await upload(t, alice, broken, 'broken.png'), 415, 'unsupported_media_type');
      const notJpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\u0000'), Buffer.alloc(50, 0x41)]);
      const notJpegResult = await upload(t, alice, notJpeg, 'fake.jpg');
      assert.ok([415].includes(notJpegResult.status), JSON.stringify(notJpegResult.body));
      assert.deepEqual((await uploadRows(t)).filter((row) => row.owner_id === alice.user.id), []);
      assert.deepEqual(await storedFiles(t), before);
    });

    it('refuses a body streamed past the limit without a length, leaving nothing behind', async () => {
      const alice = await createUser(t.url);
      const before = await storedFiles(t);
      const chunks = [Buffer.alloc(LIMIT / 2, 97), Buffer.alloc(LIMIT / 2, 97), Buffer.alloc(1024, 97)];
      const body = new ReadableStream({ pull(controller) { const next = chunks.shift(); if (next) controller.enqueue(next); else controller.close(); } });
      try {
        const response = await fetch(`${t.url}/v1/uploads?name=stream.txt`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream' }, body, duplex: 'half' } as RequestInit);
        // The server answers 413 and closes; a client still sending may see the connection close first.
        assert.equal(response.status, 413);
        assert.equal((await response.json()).error.code, 'payload_too_large');
      } catch (error) {
        assert.match(String((error as Error).cause ?? error), /closed|reset|socket|terminated/i);
      }
      await waitFor(async () => (await storedFiles(t)).join() === before.join(), 'no temporary file left');
      assert.deepEqual((await uploadRows(t)).filter((row) => row.owner_id === alice.user.id), []);
    });

    it('leaves nothing when the client goes away halfway through an upload', async () => {
      const alice = await createUser(t.url);
      const before = await storedFiles(t);
      const { port } = new URL(t.url);
      const socket = connect({ host: '127.0.0.1', port: Number(port) });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(`POST /v1/uploads?name=half.txt HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${alice.token}\r\ncontent-type: application/octet-stream\r\ncontent-length: 200000\r\n\r\n`);
      socket.write(Buffer.alloc(100_000, 98));
      // The write is under way once its temporary file exists; then the client vanishes.
      await waitFor(async () => (await storedFiles(t)).some((file) => file.startsWith('.tmp/')), 'the upload to start');
      socket.destroy();
      await waitFor(async () => (await storedFiles(t)).join() === before.join(), 'the temporary file to be removed');
      assert.deepEqual((await uploadRows(t)).filter((row) => row.owner_id === alice.user.id), []);
    });

    it('keeps only the last segment of a name and drops control and direction characters', async () => {
      const alice = await createUser(t.url);
      const cases: Array<[string, string]> = [
        ['../../etc/passwd', 'passwd'],
        ['..\\..\\windows\\win.ini', 'win.ini'],
        ['.hidden', 'hidden'],
        ['report\u202Efdp.exe', 'reportfdp.exe'],
        ['a\u0001b\nc.txt', 'abc.txt'],
        ['../', 'file'],
        [`${'x'.repeat(300)}.txt`, `${'x'.repeat(251)}.txt`],
      ];
      for (const [name, expected] of cases) assert.equal((await uploadOk(t, alice, Buffer.from('text'), name)).name, expected, name);
    });

    it('counts bytes against the owner\'s quota', async () => {
      const alice = await createUser(t.url);
      await uploadOk(t, alice, Buffer.alloc(LIMIT - 10, 97), 'one.txt');
      await uploadOk(t, alice, Buffer.alloc(LIMIT - 10, 97), 'two.txt');
      const error = refused(await upload(t, alice, Buffer.alloc(100, 97), 'three.txt'), 422, 'limit_exceeded');
      assert.equal(error.details.limit, LIMIT * 2);
      // Deleting an unused upload gives the room back.
      const rows = (await uploadRows(t)).filter((row) => row.owner_id === alice.user.id);
      assert.equal((await call(t, alice, 'DELETE', `/v1/uploads/${rows[0]!.id}`)).status, 200);
      await uploadOk(t, alice, Buffer.alloc(100, 97), 'three.txt');
    });

    it('reads the length of a recording and a waveform of PCM audio', async () => {
      const alice = await createUser(t.url);
      const note = await uploadOk(t, alice, wav(), 'note.wav', { kind: 'voice' });
      assert.equal(note.kind, 'voice');
      assert.equal(note.durationMs, 1000);
      const bars = Buffer.from(note.waveform, 'base64url');
      assert.equal(bars.length, 64);
      assert.ok(bars.subarray(0, 30).every((bar) => bar === 0), 'the silent half is flat');
      assert.ok(bars.subarray(34).every((bar) => bar > 200), 'the loud half is high');
      const song = await uploadOk(t, alice, wav(), 'song.wav');
      assert.equal(song.kind, 'audio');
    });

    it('lets only the owner see and delete an upload, and answers others as for a missing one', async () => {
      const alice = await createUser(t.url);
      const mallory = await createUser(t.url);
      const file = await uploadOk(t, alice, Buffer.from('secret'), 'secret.txt');
      refused(await call(t, mallory, 'GET', `/v1/uploads/${file.id}`), 404, 'not_found');
      refused(await call(t, mallory, 'GET', `/v1/files/${file.id}/url`), 404, 'not_found');
      refused(await call(t, mallory, 'DELETE', `/v1/uploads/${file.id}`), 404, 'not_found');
      refused(await call(t, mallory, 'GET', '/v1/files/0193a6f3-01aa-7c52-b1d3-6f0e2a9c8d03/url'), 404, 'not_found');
      assert.equal((await call(t, alice, 'DELETE', `/v1/uploads/${file.id}`)).status, 200);
      refused(await call(t, alice, 'GET', `/v1/uploads/${file.id}`), 404, 'not_found');
      assert.equal((await storedFiles(t)).some((key) => key.includes(file.id)), false);
    });
  });
}

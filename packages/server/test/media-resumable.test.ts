import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Upload } from 'tus-js-client';
import { backends } from './support/backends.ts';
import { refused } from './support/governance.ts';
import { call, waitFor } from './support/api.ts';
import { elf, sha256, storedFiles } from './support/media-files.ts';
import { s3Env, startS3Server, type S3TestServer } from './support/s3-server.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';

const LIMIT = 512 * 1024;
const CHUNK = 64 * 1024;
const TUS = { 'tus-resumable': '1.0.0' };

/** A PDF by its first bytes (on the default allow-list), the rest random. */
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(size - 15)]);

interface Sent {
  url: string;
  fileId: string | null;
}

/** Uploads `bytes` with tus-js-client, the protocol's reference client, in parts of `CHUNK`; `stopAfter` aborts after that many parts. */
function tusUpload(t: TestApp, user: TestUser, bytes: Buffer, name: string, options: { uploadUrl?: string; stopAfter?: number; kind?: string } = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    let parts = 0;
    const upload: Upload = new Upload(bytes, {
      endpoint: `${t.url}/v1/uploads/resumable`,
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
      headers: { authorization: `Bearer ${user.token}` },
      metadata: { filename: name, ...(options.kind ? { kind: options.kind } : {}) },
      chunkSize: CHUNK,
      retryDelays: [],
      storeFingerprintForResuming: false,
      onChunkComplete: () => {
        parts++;
        if (options.stopAfter !== undefined && parts >= options.stopAfter) {
          void upload.abort().then(() => resolve({ url: upload.url!, fileId: null }), reject);
        }
      },
      onSuccess: ({ lastResponse }) => resolve({ url: upload.url!, fileId: lastResponse.getHeader('parley-file-id') ?? null }),
      onError: reject,
    });
    upload.start();
  });
}

async function tusRequest(t: TestApp, user: TestUser | null, method: string, path: string, headers: Record<string, string>, body?: Buffer) {
  const response = await fetch(new URL(path, t.url), {
    method,
    headers: { ...(user ? { authorization: `Bearer ${user.token}` } : {}), ...headers },
    ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function begin(t: TestApp, user: TestUser, length: number, name = 'report.pdf'): Promise<string> {
  const created = await tusRequest(t, user, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-length': String(length), 'upload-metadata': `filename ${Buffer.from(name).toString('base64')}` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.headers.get('location')!;
}

const patch = (t: TestApp, user: TestUser, location: string, offset: number, bytes: Buffer, headers: Record<string, string> = {}) =>
  tusRequest(t, user, 'PATCH', location, { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...headers }, bytes);

const offsetOf = async (t: TestApp, user: TestUser, location: string) => {
  const head = await tusRequest(t, user, 'HEAD', location, TUS);
  return head.status === 200 ? Number(head.headers.get('upload-offset')) : head.status === 404 ? null : assert.fail(`HEAD answered ${head.status}`);
};

/** The stored file's bytes, through a link as any reader gets them. */
async function fileBytes(t: TestApp, user: TestUser, fileId: string): Promise<Buffer> {
  const { url } = (await call(t, user, 'GET', `/v1/files/${fileId}/url`)).body;
  return Buffer.from(await (await fetch(new URL(url, t.url))).arrayBuffer());
}

/** Sends `length` bytes' headers and only `sent` of them, then cuts the connection, as a phone losing its network does. */
function brokenPatch(t: TestApp, user: TestUser, location: string, offset: number, bytes: Buffer, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const target = new URL(location, t.url);
    const request = httpRequest({
      host: target.hostname, port: target.port, path: target.pathname, method: 'PATCH',
      headers: { ...TUS, authorization: `Bearer ${user.token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'content-length': String(bytes.length) },
    });
    request.on('error', () => resolve());
    request.on('response', () => resolve());
    request.write(bytes.subarray(0, sent), () => setImmediate(() => request.destroy()));
  });
}

function resumableSuite(name: string, start: () => Promise<{ t: TestApp; stop: () => Promise<void> }>, localStore: boolean) {
  describe(`resumable uploads (${name})`, () => {
    let t: TestApp;
    let stop: () => Promise<void>;
    before(async () => ({ t, stop } = await start()));
    after(() => stop());

    it('takes a file from tus-js-client in parts and makes it an ordinary upload with the same bytes', async () => {
      const alice = await createUser(t.url);
      const bytes = pdf(300 * 1024);
      const sent = await tusUpload(t, alice, bytes, 'minutes.pdf');
      assert.ok(sent.fileId, 'the last part names the file');
      const file = (await call(t, alice, 'GET', `/v1/uploads/${sent.fileId}`)).body.file;
      assert.deepEqual([file.name, file.type, file.kind, file.size, file.sha256], ['minutes.pdf', 'application/pdf', 'file', bytes.length, sha256(bytes)]);
      assert.deepEqual(await fileBytes(t, alice, file.id), bytes);
      const status = (await call(t, alice, 'GET', new URL(sent.url).pathname)).body.upload;
      assert.deepEqual([status.offset, status.length, status.fileId], [bytes.length, bytes.length, file.id]);
    });

    it('resumes where the stored bytes end after the client stopped, with a new client that only knows the URL', async () => {
      const alice = await createUser(t.url);
      const bytes = pdf(400 * 1024);
      const first = await tusUpload(t, alice, bytes, 'slides.pdf', { stopAfter: 2 });
      assert.equal(await offsetOf(t, alice, first.url), 2 * CHUNK);
      const resumed = await tusUpload(t, alice, bytes, 'slides.pdf', { uploadUrl: first.url });
      assert.equal(resumed.url, first.url);
      assert.deepEqual(await fileBytes(t, alice, resumed.fileId!), bytes);
    });

    it('keeps the bytes that arrived before a connection broke off mid-part', async () => {
      const alice = await createUser(t.url);
      const bytes = pdf(200 * 1024);
      const location = await begin(t, alice, bytes.length);
      await brokenPatch(t, alice, location, 0, bytes, 70 * 1024);
      let offset: number | null = null;
      await waitFor(async () => (offset = await offsetOf(t, alice, location)) === 70 * 1024, 'the broken part to be kept');
      const rest = await patch(t, alice, location, offset!, bytes.subarray(offset!));
      assert.equal(rest.status, 204);
      assert.equal(rest.headers.get('upload-offset'), String(bytes.length));
      assert.equal(rest.headers.get('tus-resumable'), '1.0.0');
      assert.deepEqual(await fileBytes(t, alice, rest.headers.get('parley-file-id')!), bytes);
    });

    it('lets one of two parts racing for the same offset in, and answers the other 409', async () => {
      const alice = await createUser(t.url);
      const location = await begin(t, alice, 100 * 1024);
      const a = pdf(30 * 1024);
      const b = pdf(40 * 1024);
      const answers = await Promise.all([patch(t, alice, location, 0, a), patch(t, alice, location, 0, b)]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [204, 409]);
      const winner = answers[0]!.status === 204 ? a : b;
      assert.equal(await offsetOf(t, alice, location), winner.length);
      const conflict = answers.find((answer) => answer.status === 409)!;
      assert.equal(conflict.body.error.code, 'conflict');
    });

    it('answers the protocol\'s errors with typed bodies and changes nothing', async () => {
      const alice = await createUser(t.url);
      const mallory = await createUser(t.url);
      const location = await begin(t, alice, 100 * 1024);
      await patch(t, alice, location, 0, pdf(CHUNK));

      const version = await tusRequest(t, alice, 'POST', '/v1/uploads/resumable', { 'tus-resumable': '0.2.2', 'upload-length': '10', 'upload-metadata': 'filename YS5wZGY=' });
      refused(version, 412, 'precondition_failed');
      assert.equal(version.headers.get('tus-version'), '1.0.0');
      refused(await tusRequest(t, alice, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-metadata': 'filename YS5wZGY=' }), 400, 'bad_request');
      refused(await tusRequest(t, alice, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-length': String(LIMIT + 1), 'upload-metadata': 'filename YS5wZGY=' }), 413, 'payload_too_large');
      refused(await tusRequest(t, alice, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-length': '10' }), 400, 'validation_failed');
      refused(await tusRequest(t, alice, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-length': '10', 'upload-metadata': 'filename !!!,x' }), 400, 'bad_request');
      refused(await tusRequest(t, null, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-length': '10', 'upload-metadata': 'filename YS5wZGY=' }), 401, 'unauthorized');

      refused(await patch(t, alice, location, 0, pdf(1000)), 409, 'conflict');
      refused(await patch(t, alice, location, CHUNK, Buffer.alloc(100 * 1024)), 413, 'payload_too_large');
      refused(await patch(t, alice, location, CHUNK, Buffer.alloc(10), { 'content-type': 'application/octet-stream' }), 415, 'unsupported_media_type');
      refused(await patch(t, alice, location, CHUNK, Buffer.alloc(10), { 'upload-offset': '-1' }), 400, 'bad_request');
      refused(await patch(t, mallory, location, CHUNK, Buffer.alloc(10)), 404, 'not_found');
      refused(await tusRequest(t, mallory, 'DELETE', location, TUS), 404, 'not_found');
      assert.equal(await offsetOf(t, mallory, location), null);
      assert.equal(await offsetOf(t, alice, location), CHUNK, 'nothing of the refused parts was kept');
      refused(await tusRequest(t, alice, 'PATCH', '/v1/uploads/resumable/not-an-id', { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' }), 404, 'not_found');
    });

    it('refuses a file of the wrong type as soon as its first bytes arrive, and keeps nothing', async () => {
      const alice = await createUser(t.url);
      const before = localStore ? await storedFiles(t) : [];
      const program = Buffer.concat([elf(), randomBytes(20 * 1024)]);
      const location = await begin(t, alice, 200 * 1024, 'cat.png');
      refused(await patch(t, alice, location, 0, program), 415, 'unsupported_media_type');
      assert.equal(await offsetOf(t, alice, location), null, 'the upload is gone');
      if (localStore) assert.deepEqual(await storedFiles(t), before);
      assert.equal((await t.app.db.kysely.selectFrom('resumable_upload_parts').selectAll().execute()).filter((part) => location.endsWith(part.upload_id)).length, 0);
    });

    it('deletes an abandoned upload and its parts (termination)', async () => {
      const alice = await createUser(t.url);
      const before = localStore ? await storedFiles(t) : [];
      const location = await begin(t, alice, 100 * 1024);
      assert.equal((await patch(t, alice, location, 0, pdf(CHUNK))).status, 204);
      const deleted = await tusRequest(t, alice, 'DELETE', location, TUS);
      assert.equal(deleted.status, 204);
      assert.equal(await offsetOf(t, alice, location), null);
      if (localStore) assert.deepEqual(await storedFiles(t), before);
    });

    it('bounds the uploads one user has in progress', async () => {
      const alice = await createUser(t.url);
      for (let i = 0; i < 3; i++) await begin(t, alice, 1000);
      refused(await tusRequest(t, alice, 'POST', '/v1/uploads/resumable', { ...TUS, 'upload-length': '1000', 'upload-metadata': 'filename YS5wZGY=' }), 422, 'limit_exceeded');
    });
  });
}

const ENV = { MEDIA_MAX_FILE_BYTES: String(LIMIT), MEDIA_RESUMABLE_MAX_PER_USER: '3', MEDIA_SWEEP_INTERVAL_MS: '0' };

for (const backend of backends) {
  resumableSuite(backend.name, async () => {
    const t = await startApp(backend, { env: ENV });
    return { t, stop: () => t.close() };
  }, true);
}

resumableSuite('sqlite, files on s3rver', async () => {
  const s3: S3TestServer = await startS3Server();
  try {
    const t = await startApp(backends[0]!, { env: { ...ENV, ...s3Env(s3) } });
    return { t, stop: async () => { await t.close(); await s3.close(); } };
  } catch (error) {
    await s3.close();
    throw error;
  }
}, false);

describe('resumable uploads expire', () => {
  it('deletes an unfinished upload and its parts once its time is up', async () => {
    let now = Date.now();
    const t = await startApp(backends[0]!, { env: { ...ENV, MEDIA_SWEEP_INTERVAL_MS: '20', MEDIA_RESUMABLE_TTL_SEC: '60' }, clock: () => now });
    try {
      const alice = await createUser(t.url);
      const location = await begin(t, alice, 100 * 1024);
      assert.equal((await patch(t, alice, location, 0, pdf(CHUNK))).status, 204);
      const created = await tusRequest(t, alice, 'HEAD', location, TUS);
      assert.ok(Date.parse(created.headers.get('upload-expires')!) > now, 'the expiry is announced');
      now += 61_000;
      await waitFor(async () => (await t.app.db.kysely.selectFrom('resumable_uploads').selectAll().execute()).length === 0, 'the sweep');
      assert.deepEqual(await t.app.db.kysely.selectFrom('resumable_upload_parts').selectAll().execute(), []);
      assert.deepEqual((await storedFiles(t)).filter((file) => file.startsWith('resumable/')), []);
    } finally {
      await t.close();
    }
  });
});

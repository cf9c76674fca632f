import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { call, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { nextClientId, refused } from './support/governance.ts';
import { EICAR, pngWithText, sha256, storedFiles, upload, uploadOk, uploadRows } from './support/media-files.ts';
import { s3Env, startS3Server, type S3TestServer } from './support/s3-server.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';

/**
 * A small clamd: speaks INSTREAM as clamd(8) does (`zINSTREAM\0`, length-prefixed chunks,
 * a zero length, one NUL-terminated answer) and flags the EICAR test string.
 */
async function startClamd(): Promise<{ address: string; scans: () => number; hold(): () => void; close(): Promise<void> }> {
  let scans = 0;
  let held: Promise<void> = Promise.resolve();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    let commandRead = false;
    const received: Buffer[] = [];
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!commandRead) {
        const nul = buffer.indexOf(0);
        if (nul < 0) return;
        if (buffer.toString('latin1', 0, nul) !== 'zINSTREAM') return void socket.end('UNKNOWN COMMAND\u0000');
        buffer = buffer.subarray(nul + 1);
        commandRead = true;
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          scans++;
          const content = Buffer.concat(received).toString('latin1');
          return void held.then(() => socket.end(content.includes(EICAR) ? 'stream: Eicar-Test-Signature FOUND\u0000' : 'stream: OK\u0000'));
        }
        if (buffer.length < 4 + length) return;
        received.push(buffer.subarray(4, 4 + length));
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    scans: () => scans,
    /** Answers wait until the returned function is called. */
    hold() {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return release;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const backend of backends) {
  describe(`malware scanning (${backend.name})`, () => {
    let t: TestApp;
    let clamd: Awaited<ReturnType<typeof startClamd>>;
    before(async () => {
      clamd = await startClamd();
      try {
        t = await startApp(backend, { env: { CLAMD_ADDRESS: clamd.address, MEDIA_SWEEP_INTERVAL_MS: '0' } });
      } catch (error) {
        await clamd.close();
        throw error;
      }
    });
    after(async () => {
      await t.close();
      await clamd.close();
    });

    it('streams every upload to clamd; a clean file is accepted, a flagged one refused and deleted', async () => {
      const alice = await createUser(t.url);
      const before = clamd.scans();
      const clean = await uploadOk(t, alice, pngWithText(), 'clean.png');
      assert.equal(clamd.scans(), before + 1);
      assert.equal((await call(t, alice, 'GET', `/v1/files/${clean.id}/url`)).status, 200);
      const files = await storedFiles(t);
      const flagged = refused(await upload(t, alice, Buffer.from(EICAR), 'eicar.txt'), 415, 'unsupported_media_type', /malware/);
      assert.equal(flagged.details.reason, 'infected');
      assert.equal(clamd.scans(), before + 2);
      assert.deepEqual((await uploadRows(t)).map((row) => row.id), [clean.id]);
      assert.deepEqual(await storedFiles(t), files);
    });

    it('does not serve a file while it is being scanned, not even to its owner', async () => {
      const alice = await createUser(t.url);
      const release = clamd.hold();
      const uploading = uploadOk(t, alice, Buffer.from('scan me'), 'slow.txt');
      try {
        let pending: { id: string } | undefined;
        await waitFor(async () => Boolean((pending = (await t.app.db.kysely.selectFrom('uploads').select(['id', 'scan_state']).where('owner_id', '=', alice.user.id).execute()).find((row) => row.scan_state === 'pending'))), 'the scan to start');
        refused(await call(t, alice, 'GET', `/v1/files/${pending!.id}/url`), 404, 'not_found');
        const room = await group(t, alice, 'Early', []);
        refused(await call(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), attachments: [pending!.id] }), 409, 'conflict');
      } finally {
        release();
      }
      const file = await uploading;
      assert.equal((await call(t, alice, 'GET', `/v1/files/${file.id}/url`)).status, 200);
    });

    it('refuses uploads (503, retryable) while the scanner cannot be reached, leaving nothing', async () => {
      const down = await startClamd();
      await down.close();
      const t2 = await startApp(backend, { env: { CLAMD_ADDRESS: down.address, CLAMD_TIMEOUT_MS: '2000', MEDIA_SWEEP_INTERVAL_MS: '0' } });
      try {
        const alice = await createUser(t2.url);
        refused(await upload(t2, alice, Buffer.from('hello'), 'hello.txt'), 503, 'unavailable');
        assert.deepEqual(await uploadRows(t2), []);
        assert.deepEqual(await storedFiles(t2), []);
      } finally {
        await t2.close();
      }
    });
  });
}

describe('files on S3 (s3rver)', () => {
  let s3: S3TestServer;
  let t: TestApp;
  let client: S3Client;
  const keys = async () => ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((object) => object.Key!).sort();
  before(async () => {
    s3 = await startS3Server();
    try {
      t = await startApp(backends[0]!, {
        env: {
          ...s3Env(s3),
          MEDIA_DELETE_GRACE_SEC: '0', MEDIA_SWEEP_INTERVAL_MS: '20',
        },
      });
    } catch (error) {
      await s3.close();
      throw error;
    }
    client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  });
  after(async () => {
    client?.destroy();
    await t?.close();
    await s3.close();
  });

  it('stores the file and its preview in the bucket, hands readers presigned links, and removes both once deleted', async () => {
    const alice = await createUser(t.url);
    const bob = await createUser(t.url);
    const room = await group(t, alice, 'S3', [bob]);
    const file = await uploadOk(t, alice, pngWithText(), 'bucket.png');
    assert.deepEqual(await keys(), [`files/${file.id}/original`, `files/${file.id}/thumbnail`]);
    const message = (await ok(t, alice, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), attachments: [file.id] })).message;
    const { url } = await ok(t, bob, 'GET', `/v1/files/${file.id}/url`);
    assert.ok(url.startsWith(`${s3.endpoint}/${s3.bucket}/files/${file.id}/original?`), url);
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.equal(sha256(bytes), file.sha256);
    const part = await fetch(url, { headers: { range: 'bytes=0-7' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(0, 8));
    await ok(t, alice, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`);
    await waitFor(async () => (await keys()).length === 0, 'the objects to be deleted');
  });

  it('leaves no object behind for a refused upload', async () => {
    const alice = await createUser(t.url);
    const before = await keys();
    refused(await upload(t, alice, Buffer.concat([pngWithText().subarray(0, 60), Buffer.alloc(100, 3)]), 'broken.png'), 415, 'unsupported_media_type');
    assert.deepEqual(await keys(), before);
  });
});

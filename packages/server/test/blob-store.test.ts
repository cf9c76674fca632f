import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ConfigError, loadConfig } from '../src/config/index.ts';
import { type BlobStore, createBlobStore, createBlobUrlSigner, DEFAULT_BLOB_URL_PATH } from '../src/platform/blob/index.ts';
import { blobStoreConformance } from '../src/platform/blob/blob-store.conformance.ts';
import { isAppError } from '../src/platform/errors.ts';
import { startS3Server } from './support/s3-server.ts';
import { filesBelow } from './support/media-files.ts';

/** A clock that runs with real time and can be moved ahead, never slept on. */
function movableClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}


const secret = randomBytes(32);
const execFileAsync = promisify(execFile);

blobStoreConformance('local disk', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
  const clock = movableClock();
  let store: BlobStore;
  try {
    const config = loadConfig({ DATA_DIR: dataDir });
    assert.deepEqual(config.blobs, { kind: 'local', dir: join(dataDir, 'blobs') });
    store = await createBlobStore(config.blobs, { secret, clock: clock.now });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  // The route that will serve these links checks them with a signer of the same secret.
  const signer = createBlobUrlSigner({ secret, clock: clock.now });
  const root = join(dataDir, 'blobs');
  return {
    store,
    advance: clock.advance,
    objects: async () => (await filesBelow(root)).filter((path) => !path.startsWith('.tmp/')),
    leftovers: async () => (await filesBelow(root)).filter((path) => path.startsWith('.tmp/')),
    async fetchSigned(url) {
      const { pathname, searchParams } = new URL(url, 'http://parley.test');
      assert.ok(pathname.startsWith(DEFAULT_BLOB_URL_PATH), url);
      const key = pathname.slice(DEFAULT_BLOB_URL_PATH.length);
      signer.verify(key, { expires: searchParams.get('expires') ?? undefined, sig: searchParams.get('sig') ?? undefined });
      return collect((await store.read(key)).body);
    },
    async close() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

blobStoreConformance('S3 (s3rver in-process)', async () => {
  const server = await startS3Server();
  let store: BlobStore | null = null;
  const inspector = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: server.credentials });
  const close = async () => {
    inspector.destroy();
    await store?.close();
    await server.close();
  };
  try {
    const clock = movableClock();
    const config = loadConfig({
      BLOB_STORE: 's3',
      S3_BUCKET: server.bucket,
      S3_ENDPOINT: server.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: server.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    });
    // The smallest part S3 allows, so the suite's 12 MiB bodies go up in three parts.
    store = await createBlobStore(config.blobs, { secret, clock: clock.now, partSizeBytes: 5 * 1024 * 1024 });
    const allKeys = async (): Promise<string[]> => {
      const listed = await inspector.send(new ListObjectsV2Command({ Bucket: server.bucket }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
    };
    const uploads = async (): Promise<string[]> => {
      const listed = await inspector.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
      return (listed.Uploads ?? []).map((upload) => `upload ${upload.UploadId}`);
    };
    return {
      store,
      advance: clock.advance,
      objects: async () => (await allKeys()).filter((key) => !key.startsWith('.tmp/')),
      leftovers: async () => [...(await allKeys()).filter((key) => key.startsWith('.tmp/')), ...(await uploads())],
      async fetchSigned(url) {
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/parley-test\/signed\/s\.bin\?.*X-Amz-Signature=/);
        const response = await fetch(url);
        return response.ok ? Buffer.from(await response.arrayBuffer()) : null;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
});

describe('signed links of the local blob store', () => {
  const clock = movableClock();
  const signer = createBlobUrlSigner({ secret, clock: clock.now });
  const parts = (url: string) => {
    const { pathname, searchParams } = new URL(url, 'http://parley.test');
    return { key: pathname.slice(DEFAULT_BLOB_URL_PATH.length), expires: searchParams.get('expires') ?? '', sig: searchParams.get('sig') ?? '' };
  };
  const refusal = (reason: string) => (error: unknown) => isAppError(error, 'forbidden') && (error.details as { reason: string }).reason === reason;

  it('accepts a fresh link for its key', () => {
    const { key, expires, sig } = parts(signer.sign('uploads/a.ogg', 60));
    assert.equal(key, 'uploads/a.ogg');
    signer.verify(key, { expires, sig });
  });

  it('refuses a link whose key, expiry or signature was changed, or that has none', () => {
    const { key, expires, sig } = parts(signer.sign('uploads/a.ogg', 60));
    assert.throws(() => signer.verify('uploads/b.ogg', { expires, sig }), refusal('invalid'));
    assert.throws(() => signer.verify(key, { expires: String(Number(expires) + 3600), sig }), refusal('invalid'));
    assert.throws(() => signer.verify(key, { expires, sig: `${sig.slice(0, -2)}AA` }), refusal('invalid'));
    assert.throws(() => signer.verify(key, { expires }), refusal('invalid'));
    assert.throws(() => signer.verify(key, {}), refusal('invalid'));
  });

  it('refuses a link signed with another secret', () => {
    const other = createBlobUrlSigner({ secret: randomBytes(32), clock: clock.now });
    const { key, expires, sig } = parts(other.sign('uploads/a.ogg', 60));
    assert.throws(() => signer.verify(key, { expires, sig }), refusal('invalid'));
  });

  it('refuses a link once its time has passed, and not a second before', () => {
    const { key, expires, sig } = parts(signer.sign('uploads/a.ogg', 60));
    clock.advance(55_000);
    signer.verify(key, { expires, sig });
    clock.advance(10_000);
    assert.throws(() => signer.verify(key, { expires, sig }), refusal('expired'));
  });

  it('refuses to sign for a bad key or a lifetime outside one second to a week', () => {
    assert.throws(() => signer.sign('../etc/passwd', 60), (error: unknown) => isAppError(error, 'bad_request'));
    for (const ttl of [0, -5, 1.5, 8 * 24 * 3600]) assert.throws(() => signer.sign('uploads/a.ogg', ttl), (error: unknown) => isAppError(error, 'bad_request'), String(ttl));
  });
});

describe('the local blob store on disk', () => {
  it('keeps an object as one file at its key whose first bytes are the object, and stages nothing outside its folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
    try {
      const store = await createBlobStore({ kind: 'local', dir: join(dataDir, 'files') }, { secret });
      const bytes = randomBytes(5000);
      await store.write('voice/0193/note.ogg', Readable.from([bytes]), { contentType: 'audio/ogg', maxBytes: 10_000 });
      const file = await readFile(join(dataDir, 'files', 'voice', '0193', 'note.ogg'));
      assert.deepEqual(file.subarray(0, bytes.length), bytes);
      assert.match(file.subarray(bytes.length).toString('latin1'), /"contentType":"audio\/ogg".*PRLB$/s);
      assert.deepEqual(await filesBelow(dataDir), ['files/voice/0193/note.ogg']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to make a key both an object and a folder of other keys (conflict), leaving both sides as they were', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
    try {
      const store = await createBlobStore({ kind: 'local', dir: dataDir }, { secret });
      await store.write('a/b', Readable.from([Buffer.from('object')]), { contentType: 'text/plain', maxBytes: 100 });
      await assert.rejects(store.write('a/b/c', Readable.from([Buffer.from('inside')]), { contentType: 'text/plain', maxBytes: 100 }), (error: unknown) => isAppError(error, 'conflict'));
      await store.write('x/y/z', Readable.from([Buffer.from('deep')]), { contentType: 'text/plain', maxBytes: 100 });
      await assert.rejects(store.write('x/y', Readable.from([Buffer.from('over')]), { contentType: 'text/plain', maxBytes: 100 }), (error: unknown) => isAppError(error, 'conflict'));
      await assert.rejects(store.stat('x/y'), (error: unknown) => isAppError(error, 'not_found'), 'a folder is not an object');
      assert.deepEqual(await filesBelow(dataDir), ['a/b', 'x/y/z']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the blob store factory', () => {
  it('never loads the AWS SDK for a node on local disk', async () => {
    // A fresh process: this one has loaded the SDK for the S3 suite.
    const dir = await mkdtemp(join(tmpdir(), 'parley-blobs-lazy-'));
    const script = [
      "import { createRequire } from 'node:module';",
      "import { Readable } from 'node:stream';",
      `const { createBlobStore } = await import(${JSON.stringify(new URL('../src/platform/blob/index.ts', import.meta.url).href)});`,
      `const store = await createBlobStore({ kind: 'local', dir: ${JSON.stringify(dir)} }, { secret: new Uint8Array(32) });`,
      "await store.write('a/b', Readable.from([Buffer.from('x')]), { contentType: 'text/plain', maxBytes: 10 });",
      "await store.delete('a/b');",
      "const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@aws-sdk'));",
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    try {
      const { stdout } = await execFileAsync(process.execPath, ['--conditions=development', '--input-type=module', '-e', script]);
      assert.deepEqual(JSON.parse(stdout), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a blob store whose storage fails', () => {
  const unavailable = (error: unknown) => isAppError(error, 'unavailable');

  it('answers unavailable (retryable), not the client\'s fault, when the S3 service cannot be reached', async () => {
    // A port that was just free: nothing answers there.
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const store = await createBlobStore(
      { kind: 's3', bucket: 'parley-test', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'PARLEYTEST', secretAccessKey: 'parley-test-secret' } },
      { secret },
    );
    try {
      const body = Readable.from([Buffer.alloc(1000)]);
      await assert.rejects(store.write('down/w', body, { contentType: 'text/plain', maxBytes: 10_000 }), unavailable);
      assert.ok(body.destroyed, 'the source is released');
      await assert.rejects(store.stat('down/w'), unavailable);
      await assert.rejects(store.read('down/w', { start: 0 }), unavailable);
      await assert.rejects(store.sweep({ prefix: 'down/', olderThanMs: 0 }), unavailable);
    } finally {
      await store.close();
    }
  });

  it('answers unavailable when the local folder cannot be created', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
    try {
      // A file where the store's folder should be.
      await writeFile(join(dataDir, 'blobs'), 'not a folder');
      const store = await createBlobStore({ kind: 'local', dir: join(dataDir, 'blobs') }, { secret });
      await assert.rejects(store.write('down/w', Readable.from([Buffer.from('x')]), { contentType: 'text/plain', maxBytes: 10 }), unavailable);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('file store configuration', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.variables;
    }
    assert.fail(`${JSON.stringify(env)} was accepted`);
  };

  it('keeps files in DATA_DIR/blobs by default, or in BLOB_DIR', () => {
    assert.deepEqual(loadConfig({ DATA_DIR: '/srv/parley' }).blobs, { kind: 'local', dir: join('/srv/parley', 'blobs') });
    assert.deepEqual(loadConfig({ BLOB_DIR: '/mnt/files' }).blobs, { kind: 'local', dir: '/mnt/files' });
  });

  it('reads an S3 store with its endpoint, region, path style and key, or the SDK\'s own credentials', () => {
    const base = { BLOB_STORE: 's3', S3_BUCKET: 'chat-files' };
    assert.deepEqual(loadConfig({ ...base, S3_ENDPOINT: 'https://acc.r2.cloudflarestorage.com', S3_REGION: 'auto', S3_ACCESS_KEY_ID: 'AKIAEXAMPLE', S3_SECRET_ACCESS_KEY: 'secret-secret' }).blobs, {
      kind: 's3', bucket: 'chat-files', region: 'auto', endpoint: 'https://acc.r2.cloudflarestorage.com', forcePathStyle: false, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-secret' },
    });
    assert.deepEqual(loadConfig(base).blobs, { kind: 's3', bucket: 'chat-files', region: 'us-east-1', endpoint: null, forcePathStyle: false, credentials: null });
  });

  it('refuses an S3 store without a bucket, with half a key, or beside a local folder', () => {
    assert.deepEqual(problems({ BLOB_STORE: 's3' }), ['S3_BUCKET']);
    assert.deepEqual(problems({ BLOB_STORE: 's3', S3_BUCKET: 'b-1', S3_ACCESS_KEY_ID: 'AKIAEXAMPLE' }), ['S3_SECRET_ACCESS_KEY']);
    assert.deepEqual(problems({ BLOB_STORE: 's3', S3_BUCKET: 'b-1', BLOB_DIR: '/mnt/files' }), ['BLOB_DIR']);
    assert.deepEqual(problems({ BLOB_STORE: 's3', S3_BUCKET: 'Not_A_Bucket' }), ['S3_BUCKET']);
  });

  it('refuses S3 settings while the store is local, so files never land somewhere unexpected', () => {
    assert.deepEqual(problems({ S3_BUCKET: 'chat-files', S3_ENDPOINT: 'http://127.0.0.1:9000' }), ['S3_BUCKET', 'S3_ENDPOINT']);
    assert.deepEqual(problems({ BLOB_STORE: 'gcs', S3_BUCKET: 'chat-files' }), ['BLOB_STORE'], 'a bad BLOB_STORE is reported once');
  });
});

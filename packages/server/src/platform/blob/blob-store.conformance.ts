import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../errors.ts';
import type { BlobStore } from './blob-store.ts';

/** One store under test, with what a test needs to look behind it. */
export interface BlobStoreFixture {
  store: BlobStore;
  /** Moves the store's clock forward (sweeps judge age by it). */
  advance(ms: number): void;
  /** Keys of the objects the storage holds, looked up behind the store's back. */
  objects(): Promise<string[]>;
  /** What writes staged and did not clean up: temporary files or keys, multipart uploads. */
  leftovers(): Promise<string[]>;
  /** GETs a signed read URL as a client would (the local store's through its verifier); null when refused. */
  fetchSigned(url: string): Promise<Buffer | null>;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
/** Above two of the smallest S3 parts (5 MiB), so the S3 store takes its multipart path. */
const LARGE = 12 * MIB + 12_345;

/**
 * The contract of `BlobStore` (see blob-store.ts), run against every implementation. Each
 * fixture is one store over empty storage for the whole suite; tests use keys of their own.
 */
export function blobStoreConformance(name: string, makeFixture: () => Promise<BlobStoreFixture>): void {
  describe(`the ${name} blob store (conformance)`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;
    before(async () => {
      fixture = await makeFixture();
      store = fixture.store;
    });
    after(() => fixture?.close());

    it('stores a small body and answers the same bytes, size, content type and SHA-256', async () => {
      const bytes = Buffer.from('hello, parley\n');
      const written = await store.write('small/hello.txt', Readable.from([bytes]), { contentType: 'text/plain; charset=utf-8', maxBytes: 1024 });
      assert.deepEqual([written.key, written.size, written.contentType, written.sha256], ['small/hello.txt', bytes.length, 'text/plain; charset=utf-8', sha256(bytes)]);
      const info = await store.stat('small/hello.txt');
      assert.deepEqual({ ...info, createdAt: 0 }, { ...written, createdAt: 0 });
      assert.ok(Math.abs(info.createdAt - Date.now()) < 60_000, 'committed about now');
      const read = await store.read('small/hello.txt');
      assert.deepEqual([read.start, read.end, read.partial], [0, bytes.length - 1, false]);
      assert.deepEqual(await collect(read.body), bytes);
      assert.deepEqual((await fixture.objects()).filter((key) => key.startsWith('small/')), ['small/hello.txt']);
    });

    it('streams a body of several megabytes, generated chunk by chunk, through in one piece', async () => {
      const body = generated(LARGE, 1);
      const written = await store.write('large/one.bin', body.stream, { contentType: 'video/mp4', maxBytes: 20 * MIB });
      assert.deepEqual([written.size, written.sha256], [LARGE, body.sha256]);
      const read = await store.read('large/one.bin');
      assert.equal(read.info.size, LARGE);
      assert.equal(read.info.sha256, body.sha256);
      assert.equal(await sha256Stream(read.body), body.sha256, 'the bytes read back hash the same');
      assert.deepEqual(await fixture.leftovers(), []);
    });

    it('stores an empty body', async () => {
      const written = await store.write('small/empty', Readable.from([]), { contentType: 'application/octet-stream', maxBytes: 10 });
      assert.deepEqual([written.size, written.sha256], [0, sha256(Buffer.alloc(0))]);
      const read = await store.read('small/empty');
      assert.deepEqual([read.info.size, read.start, read.end], [0, 0, -1]);
      assert.equal((await collect(read.body)).length, 0);
    });

    it('accepts a body of exactly the limit', async () => {
      const written = await store.write('small/exact', Readable.from([Buffer.alloc(600), Buffer.alloc(400)]), { contentType: 'application/octet-stream', maxBytes: 1000 });
      assert.equal(written.size, 1000);
    });

    it('refuses a stream one byte over the limit with payload_too_large and keeps nothing of it', async () => {
      await assert.rejects(
        store.write('limit/small', Readable.from([Buffer.alloc(600), Buffer.alloc(401)]), { contentType: 'image/png', maxBytes: 1000 }),
        (error: unknown) => isAppError(error, 'payload_too_large'),
      );
      await assertGone('limit/small');
    });

    it('refuses an over-limit stream after some parts were stored, and keeps nothing of it', async () => {
      const body = generated(LARGE, 2);
      await assert.rejects(
        store.write('limit/large', body.stream, { contentType: 'video/mp4', maxBytes: 11 * MIB }),
        (error: unknown) => isAppError(error, 'payload_too_large'),
      );
      assert.ok(body.produced() <= 12 * MIB, `the store stopped reading near the limit (${body.produced()} bytes produced)`);
      await assertGone('limit/large');
    });

    it('keeps nothing when the source stream breaks off, before or after the first part', async () => {
      for (const [key, breakAt] of [['broken/early', 100_000], ['broken/late', 7 * MIB]] as const) {
        await assert.rejects(
          store.write(key, breaking(breakAt), { contentType: 'audio/ogg', maxBytes: 20 * MIB }),
          (error: unknown) => isAppError(error, 'bad_request'),
          key,
        );
        await assertGone(key);
      }
    });

    it('refuses a source that failed before the store read from it, without crashing', async () => {
      const body = new Readable({ read() {} });
      body.destroy(new Error('client gone'));
      await assert.rejects(store.write('broken/at-once', body, { contentType: 'audio/ogg', maxBytes: 100 }), (error: unknown) => isAppError(error, 'bad_request'));
      await assertGone('broken/at-once');
    });

    it('replaces an object with a second write, and keeps the first when the second fails', async () => {
      await store.write('replace/x', Readable.from([Buffer.from('first')]), { contentType: 'text/plain', maxBytes: 100 });
      await store.write('replace/x', Readable.from([Buffer.from('second')]), { contentType: 'text/markdown', maxBytes: 100 });
      await assert.rejects(store.write('replace/x', Readable.from([Buffer.alloc(101)]), { contentType: 'image/png', maxBytes: 100 }), (error: unknown) => isAppError(error, 'payload_too_large'));
      await assert.rejects(store.write('replace/x', breaking(50), { contentType: 'image/png', maxBytes: 100 }), (error: unknown) => isAppError(error, 'bad_request'));
      const info = await store.stat('replace/x');
      assert.deepEqual([info.contentType, info.sha256], ['text/markdown', sha256(Buffer.from('second'))]);
      assert.equal((await collect((await store.read('replace/x')).body)).toString(), 'second');
      assert.deepEqual(await fixture.leftovers(), []);
    });

    it('serves byte ranges: the first bytes, the middle, the last bytes, and an end past the object cut to it', async () => {
      const bytes = randomBytes(10_000);
      await store.write('ranges/r', Readable.from([bytes]), { contentType: 'audio/mpeg', maxBytes: 20_000 });
      const cases = [
        [{ start: 0, end: 99 }, 0, 99],
        [{ start: 4000, end: 4999 }, 4000, 4999],
        [{ start: 9000 }, 9000, 9999],
        [{ suffix: 10 }, 9990, 9999],
        [{ suffix: 50_000 }, 0, 9999],
        [{ start: 9990, end: 20_000 }, 9990, 9999],
      ] as const;
      for (const [range, start, end] of cases) {
        const read = await store.read('ranges/r', range);
        assert.deepEqual([read.start, read.end, read.partial, read.info.size], [start, end, true, 10_000], JSON.stringify(range));
        assert.deepEqual(await collect(read.body), bytes.subarray(start, end + 1), JSON.stringify(range));
      }
    });

    it('refuses a range starting past the end with range_not_satisfiable, and a malformed one with bad_request', async () => {
      await store.write('ranges/short', Readable.from([Buffer.alloc(100, 1)]), { contentType: 'audio/mpeg', maxBytes: 1000 });
      for (const range of [{ start: 100 }, { start: 5000, end: 6000 }]) {
        await assert.rejects(store.read('ranges/short', range), (error: unknown) => isAppError(error, 'range_not_satisfiable') && (error.details as { size: number }).size === 100, JSON.stringify(range));
      }
      await assert.rejects(store.read('small/empty', { suffix: 1 }), (error: unknown) => isAppError(error, 'range_not_satisfiable'), 'any range of an empty object');
      for (const range of [{ start: -1 }, { start: 10, end: 5 }, { start: 1.5 }, { suffix: 0 }]) {
        await assert.rejects(store.read('ranges/short', range), (error: unknown) => isAppError(error, 'bad_request'), JSON.stringify(range));
      }
    });

    it('answers not_found for stat and read of a missing key', async () => {
      await assert.rejects(store.stat('missing/nothing'), (error: unknown) => isAppError(error, 'not_found'));
      await assert.rejects(store.read('missing/nothing'), (error: unknown) => isAppError(error, 'not_found'));
      await assert.rejects(store.read('missing/nothing', { start: 0 }), (error: unknown) => isAppError(error, 'not_found'));
    });

    it('deletes an object, and deleting it again (or a key never written) is not an error', async () => {
      await store.write('deleted/d', Readable.from([Buffer.from('bye')]), { contentType: 'text/plain', maxBytes: 10 });
      await store.delete('deleted/d');
      await assert.rejects(store.stat('deleted/d'), (error: unknown) => isAppError(error, 'not_found'));
      await store.delete('deleted/d');
      await store.delete('deleted/never-written');
      assert.deepEqual((await fixture.objects()).filter((key) => key.startsWith('deleted/')), []);
    });

    it('refuses keys that try path traversal or carry forbidden bytes with bad_request, touching nothing', async () => {
      const before = await fixture.objects();
      const bad = ['', '../escape', 'a/../../escape', '/etc/passwd', 'a\\..\\b', 'nul\0byte', 'a//b', 'trailing/', './a', '.tmp/x', '.hidden', 'x'.repeat(600), 'spa ce', 'naïve'];
      for (const key of bad) {
        const label = JSON.stringify(key);
        const body = Readable.from([Buffer.from('x')]);
        await assert.rejects(store.write(key, body, { contentType: 'text/plain', maxBytes: 10 }), (error: unknown) => isAppError(error, 'bad_request'), `write ${label}`);
        await assert.rejects(store.read(key), (error: unknown) => isAppError(error, 'bad_request'), `read ${label}`);
        await assert.rejects(store.stat(key), (error: unknown) => isAppError(error, 'bad_request'), `stat ${label}`);
        await assert.rejects(store.delete(key), (error: unknown) => isAppError(error, 'bad_request'), `delete ${label}`);
        await assert.rejects(store.signedReadUrl(key, { expiresInSec: 60 }), (error: unknown) => isAppError(error, 'bad_request'), `sign ${label}`);
      }
      await assert.rejects(store.sweep({ prefix: '../', olderThanMs: 0 }), (error: unknown) => isAppError(error, 'bad_request'));
      assert.deepEqual(await fixture.objects(), before);
      assert.deepEqual(await fixture.leftovers(), []);
    });

    it('takes only streams: a buffer or a string as the body is refused with bad_request', async () => {
      for (const body of [Buffer.from('whole file'), 'whole file', null]) {
        await assert.rejects(store.write('options/not-a-stream', body as unknown as Readable, { contentType: 'text/plain', maxBytes: 100 }), (error: unknown) => isAppError(error, 'bad_request'), String(body));
      }
      await assertGone('options/not-a-stream');
    });

    it('refuses bad write options with bad_request before reading the body', async () => {
      for (const options of [{ contentType: 'text/plain', maxBytes: -1 }, { contentType: 'text/plain', maxBytes: 1.5 }, { contentType: 'text/plain\r\nx-evil: 1', maxBytes: 10 }, { contentType: '', maxBytes: 10 }]) {
        await assert.rejects(store.write('options/o', Readable.from([Buffer.from('x')]), options), (error: unknown) => isAppError(error, 'bad_request'), JSON.stringify(options));
      }
      await assertGone('options/o');
    });

    it('gives a signed read URL that serves the object to a client without other credentials', async () => {
      const bytes = randomBytes(3000);
      await store.write('signed/s.bin', Readable.from([bytes]), { contentType: 'application/octet-stream', maxBytes: 5000 });
      const url = await store.signedReadUrl('signed/s.bin', { expiresInSec: 300 });
      assert.deepEqual(await fixture.fetchSigned(url), bytes);
      await assert.rejects(store.signedReadUrl('signed/s.bin', { expiresInSec: 0 }), (error: unknown) => isAppError(error, 'bad_request'));
    });

    it('sweeps the objects under a prefix once they are older than the age, and nothing else', async () => {
      for (const key of ['sweep/a/1', 'sweep/a/2', 'sweep/ab', 'sweep/b/1']) await store.write(key, Readable.from([Buffer.from(key)]), { contentType: 'text/plain', maxBytes: 100 });
      const hour = 3600_000;
      assert.equal(await store.sweep({ prefix: 'sweep/a', olderThanMs: hour }), 0, 'nothing is an hour old yet');
      fixture.advance(2 * hour);
      assert.equal(await store.sweep({ prefix: 'sweep/a/', olderThanMs: hour }), 2);
      assert.deepEqual((await fixture.objects()).filter((key) => key.startsWith('sweep/')).sort(), ['sweep/ab', 'sweep/b/1']);
      assert.equal(await store.sweep({ prefix: 'sweep/a', olderThanMs: hour }), 1, 'a prefix may end inside a segment');
      assert.equal(await store.sweep({ prefix: 'sweep/nothing/', olderThanMs: hour }), 0);
      assert.equal((await store.stat('sweep/b/1')).size, 'sweep/b/1'.length);
    });

    /** Neither the key nor anything staged for it is left in the storage. */
    async function assertGone(key: string): Promise<void> {
      await assert.rejects(store.stat(key), (error: unknown) => isAppError(error, 'not_found'), `${key} is not visible`);
      assert.ok(!(await fixture.objects()).includes(key), `${key} is not in storage`);
      assert.deepEqual(await fixture.leftovers(), [], 'no staged file, temporary key or upload part is left');
    }
  });
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function sha256Stream(body: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `size` bytes made on demand in 64 KiB chunks (never the whole body in memory), their
 * SHA-256, and how many bytes the store has pulled so far.
 */
function generated(size: number, seed: number): { stream: Readable; sha256: string; produced(): number } {
  const block = createHash('sha512').update(String(seed)).digest();
  const chunkOf = (index: number, length: number): Buffer => {
    const chunk = Buffer.alloc(length, block);
    chunk.writeUInt32BE(index, 0);
    return chunk;
  };
  const CHUNK = 64 * 1024;
  const hash = createHash('sha256');
  for (let index = 0, offset = 0; offset < size; index++, offset += CHUNK) hash.update(chunkOf(index, Math.min(CHUNK, size - offset)));
  let produced = 0;
  let index = 0;
  const stream = new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const chunk = chunkOf(index++, Math.min(CHUNK, size - produced));
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, sha256: hash.digest('hex'), produced: () => produced };
}

/** A source that sends `bytes` bytes, then fails like a client connection that went away. */
function breaking(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        return;
      }
      const chunk = Buffer.alloc(Math.min(64 * 1024, bytes - sent), 7);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

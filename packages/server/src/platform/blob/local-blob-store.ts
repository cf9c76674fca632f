import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, opendir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, notFound } from '../errors.ts';
import { type Clock, systemClock } from '../time.ts';
import { assertBlobKey, assertBlobPrefix, TEMP_PREFIX } from './blob-keys.ts';
import type { BlobInfo, BlobRead, BlobStore, BlobWriteOptions, ByteRange } from './blob-store.ts';
import type { BlobUrlSigner } from './blob-url-signer.ts';
import { resolveRange } from './byte-range.ts';
import { assertWrite, meterSource } from './metered-stream.ts';

/**
 * On disk, one file per object at `<root>/<key>`: the object's bytes, then a trailer with
 * its content type and SHA-256 (JSON), the JSON's length (4 bytes, big-endian) and the
 * marker `PRLB`. Bytes and metadata therefore commit together in one rename, and a reader
 * sees the old object or the new one, never the new bytes with the old type. The first
 * `size` bytes of a file are the object exactly. Writes stage in `<root>/.tmp/`.
 */
const MARKER = Buffer.from('PRLB');
const FOOTER_BYTES = 8;
const MAX_TRAILER_BYTES = 4096;
/** Staged files this old on the first write of a process are leftovers of a crash. */
const STALE_TEMP_MS = 24 * 3600 * 1000;

export interface LocalBlobStoreOptions {
  /** The store's folder, created on the first write (`DATA_DIR/blobs` by default). */
  root: string;
  /** Signs the links of `signedReadUrl`. */
  signer: BlobUrlSigner;
  clock?: Clock;
}

interface Trailer {
  contentType: string;
  sha256: string;
}

export function createLocalBlobStore({ root, signer, clock = systemClock }: LocalBlobStoreOptions): BlobStore {
  const tempDir = join(root, TEMP_PREFIX);
  let prepared: Promise<void> | null = null;

  /** Creates the folders and clears what a crashed process left staged, once per process. */
  function prepare(): Promise<void> {
    prepared ??= (async () => {
      await mkdir(tempDir, { recursive: true });
      for await (const entry of await opendir(tempDir)) {
        const path = join(tempDir, entry.name);
        const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Infinity }));
        if (mtimeMs < clock() - STALE_TEMP_MS) await rm(path, { force: true, recursive: true });
      }
    })().catch((error: unknown) => {
      prepared = null;
      throw error;
    });
    return prepared;
  }

  const pathOf = (key: string): string => join(root, ...key.split('/'));

  /** Opens an object and reads its trailer; `not_found` when there is no object file at the key. */
  async function openObject(key: string): Promise<{ handle: FileHandle; info: BlobInfo }> {
    assertBlobKey(key);
    let handle: FileHandle;
    try {
      handle = await open(pathOf(key), 'r');
    } catch (error) {
      throw fsFailure(error);
    }
    try {
      const stats = await handle.stat();
      // A folder at the key means other keys start with it, not that it is an object.
      if (!stats.isFile()) throw notFound('No such file.');
      const trailer = await readTrailer(handle, stats.size);
      const size = stats.size - FOOTER_BYTES - trailer.length;
      return { handle, info: { key, size, contentType: trailer.value.contentType, sha256: trailer.value.sha256, createdAt: Math.floor(stats.mtimeMs) } };
    } catch (error) {
      await handle.close();
      throw fsFailure(error);
    }
  }

  return {
    kind: 'local',

    async write(key: string, body: Readable, options: BlobWriteOptions): Promise<BlobInfo> {
      assertWrite(key, body, options);
      const source = meterSource(body, options.maxBytes);
      const { meter } = source;
      try {
        await prepare();
      } catch (error) {
        source.discard();
        throw diskFailure(error);
      }
      const staged = join(tempDir, randomUUID());
      try {
        await pipeline(
          meter,
          async function* appendTrailer(bytes: AsyncIterable<Buffer>) {
            yield* bytes;
            yield encodeTrailer({ contentType: options.contentType, sha256: meter.sha256 });
          },
          // flush: the bytes are on disk before the rename can make them visible.
          createWriteStream(staged, { flags: 'wx', mode: 0o600, flush: true }),
        );
      } catch (error) {
        const failure = source.failure(error);
        source.discard();
        await rm(staged, { force: true });
        throw failure;
      }
      const target = pathOf(key);
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(staged, target);
      } catch (error) {
        await rm(staged, { force: true });
        throw commitFailure(error);
      }
      return { key, size: meter.byteCount, contentType: options.contentType, sha256: meter.sha256, createdAt: Math.floor((await stat(target)).mtimeMs) };
    },

    async read(key: string, range?: ByteRange): Promise<BlobRead> {
      const { handle, info } = await openObject(key);
      let span: { start: number; end: number };
      try {
        span = resolveRange(range, info.size);
      } catch (error) {
        await handle.close();
        throw error;
      }
      if (span.end < span.start) {
        await handle.close();
        return { info, ...span, partial: false, body: Readable.from([]) };
      }
      // The stream owns the handle from here and closes it when it ends or is destroyed.
      return { info, ...span, partial: range !== undefined, body: handle.createReadStream({ start: span.start, end: span.end }) };
    },

    async stat(key: string): Promise<BlobInfo> {
      const { handle, info } = await openObject(key);
      await handle.close();
      return info;
    },

    async delete(key: string): Promise<void> {
      assertBlobKey(key);
      try {
        await unlink(pathOf(key));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Nothing there, or a folder of other keys: either way no object by that key.
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return;
        throw fsFailure(error);
      }
    },

    async signedReadUrl(key: string, { expiresInSec }: { expiresInSec: number }): Promise<string> {
      return signer.sign(key, expiresInSec);
    },

    async sweep({ prefix, olderThanMs }: { prefix: string; olderThanMs: number }): Promise<number> {
      assertBlobPrefix(prefix);
      const cutoff = clock() - olderThanMs;
      // Walk only the deepest folder the prefix names (`uploads/2026-` → `<root>/uploads`).
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const start = folder ? pathOf(folder) : root;
      let deleted = 0;
      let entries: AsyncIterable<{ name: string; parentPath: string; isFile(): boolean }>;
      try {
        entries = await opendir(start, { recursive: true });
      } catch (error) {
        if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return 0;
        throw fsFailure(error);
      }
      for await (const entry of entries) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        const key = relative(root, path).split(sep).join('/');
        if (key.startsWith(TEMP_PREFIX) || !key.startsWith(prefix)) continue;
        const stats = await stat(path).catch(() => null);
        if (!stats || stats.mtimeMs >= cutoff) continue;
        await unlink(path).then(() => deleted++, () => undefined);
      }
      return deleted;
    },

    async close() {},
  };
}

function encodeTrailer(trailer: Trailer): Buffer {
  const json = Buffer.from(JSON.stringify(trailer));
  const footer = Buffer.alloc(FOOTER_BYTES);
  footer.writeUInt32BE(json.length, 0);
  MARKER.copy(footer, 4);
  return Buffer.concat([json, footer]);
}

async function readTrailer(handle: FileHandle, fileSize: number): Promise<{ value: Trailer; length: number }> {
  const corrupt = () => new AppError('internal', 'A stored file has no valid trailer.');
  if (fileSize < FOOTER_BYTES) throw corrupt();
  const footer = Buffer.alloc(FOOTER_BYTES);
  await handle.read(footer, 0, FOOTER_BYTES, fileSize - FOOTER_BYTES);
  const length = footer.readUInt32BE(0);
  if (!footer.subarray(4).equals(MARKER) || length > MAX_TRAILER_BYTES || length > fileSize - FOOTER_BYTES) throw corrupt();
  const json = Buffer.alloc(length);
  await handle.read(json, 0, length, fileSize - FOOTER_BYTES - length);
  try {
    const value = JSON.parse(json.toString('utf8')) as Trailer;
    if (typeof value.contentType !== 'string' || typeof value.sha256 !== 'string') throw corrupt();
    return { value, length };
  } catch {
    throw corrupt();
  }
}

/** A read's file-system error: no file at the key (or a file where a folder should be) is `not_found`; anything else is the disk failing. */
function fsFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFound('No such file.');
  return diskFailure(error);
}

/**
 * On disk a key cannot be both an object and a folder of other keys (`a/b` and `a/b/c`;
 * S3 allows it): committing one over the other is a `conflict`.
 */
function commitFailure(error: unknown): AppError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return new AppError('conflict', 'The key is a folder of other keys, or lies inside another file.');
  return diskFailure(error);
}

function diskFailure(error: unknown): AppError {
  const failure = new AppError('unavailable', 'The file store failed; retry later.');
  failure.cause = error;
  return failure;
}

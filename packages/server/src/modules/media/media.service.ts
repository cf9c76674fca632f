import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Attachment, FileInfo, FileUrlResponse, FileVariant } from '@parley/protocol';
import type { MediaConfig } from '../../config/index.ts';
import { type BlobStore, type BlobUrlSigner, type ByteRange, servedBlob } from '../../platform/blob/index.ts';
import type { Database, Tx, UploadsTable } from '../../platform/db/index.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { iso, isoOrNull, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { access } from '../policy/index.ts';
import { pcmWaveform, readDuration } from './audio-info.ts';
import type { FileScanner } from './clamd-scanner.ts';
import type { MediaDecoder } from './ffmpeg.ts';
import { detectContentType, isAllowedType, kindOf, sanitizeFileName, SNIFF_BYTES } from './file-inspection.ts';
import { IMAGE_HEADER_BYTES, makeThumbnail, readDimensions, THUMBNAIL_SOURCE_MAX_BYTES, THUMBNAIL_SOURCE_MAX_PIXELS } from './image-preview.ts';
import { createMetadataStripper } from './metadata-stripper.ts';
import * as repo from './media.repository.ts';

export interface MediaDeps {
  db: Database;
  store: BlobStore;
  /** Checks the local store's links (`/v1/blobs/…`); the same secret the store signs them with. */
  signer: BlobUrlSigner;
  config: MediaConfig;
  clock: Clock;
  logger: Logger;
  /** Null: no scanning (CLAMD_ADDRESS unset). */
  scanner: FileScanner | null;
  /** Null: no ffmpeg (`MEDIA_FFMPEG`): no waveforms of compressed audio, no video frames, no GIF or WebP previews. */
  decoder?: MediaDecoder | null;
}

export type MediaService = ReturnType<typeof createMediaService>;

/** Uploads the sweep deletes per round; it goes on with the next round while there are more. */
const SWEEP_BATCH = 100;
/** WAV files read whole for a waveform at most. */
const WAVEFORM_SOURCE_MAX_BYTES = 32 * 1024 * 1024;
/** Files copied for ffmpeg at most (recordings and videos); larger ones get no waveform or first frame. */
const DECODE_SOURCE_MAX_BYTES = 512 * 1024 * 1024;
/** Pictures the JavaScript decoders cannot read, whose previews ffmpeg makes. */
const DECODED_IMAGE_TYPES = new Set(['image/gif', 'image/webp']);
/** Where a file's bytes live in the store: its id decides, never its name. */
const blobKey = (id: string, variant: FileVariant) => `files/${id}/${variant}`;

/** A message's files as the wire shows them. */
export function toAttachment(row: UploadsTable): Attachment {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    size: row.size,
    type: row.content_type,
    width: row.width,
    height: row.height,
    durationMs: row.duration_ms,
    thumbnail: row.thumbnail_key && row.thumbnail_width && row.thumbnail_height ? { width: row.thumbnail_width, height: row.thumbnail_height } : null,
    waveform: row.waveform,
  };
}

function toFileInfo(row: UploadsTable): FileInfo {
  return { ...toAttachment(row), sha256: row.sha256, createdAt: iso(row.created_at), expiresAt: isoOrNull(row.expires_at) };
}

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const brokenOff = () => new AppError('bad_request', 'The upload broke off before its end.');

/**
 * The first `bytes` of a stream (fewer if it ends first) without consuming the rest, which
 * stays in the stream for `feed`. A source that closes before its end is `bad_request`.
 */
async function readHead(source: Readable, bytes: number): Promise<{ head: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const chunk = source.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
      continue;
    }
    if (source.readableEnded) break;
    if (source.destroyed) throw brokenOff();
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        source.off('readable', onReadable).off('end', onEnd).off('error', onError).off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onReadable = () => settle();
      const onEnd = () => settle();
      const onError = () => settle(brokenOff());
      const onClose = () => settle(source.readableEnded ? undefined : brokenOff());
      source.on('readable', onReadable).on('end', onEnd).on('error', onError).on('close', onClose);
    });
  }
  const all = Buffer.concat(chunks);
  // Whatever came past the head goes back in front of the rest.
  if (all.length > bytes) source.unshift(all.subarray(bytes));
  return { head: all.subarray(0, bytes), ended: source.readableEnded && all.length <= bytes };
}

/** Writes the head and then the rest of the source into `into`; a source that breaks off destroys `into` with `bad_request`. */
function feed(source: Readable, head: Buffer, ended: boolean, into: Writable): void {
  into.write(head);
  if (ended) {
    into.end();
    return;
  }
  const broke = () => {
    if (!source.readableEnded) into.destroy(brokenOff());
  };
  source.once('error', broke);
  source.once('close', broke);
  into.once('close', () => {
    source.off('error', broke);
    source.off('close', broke);
    source.unpipe(into);
  });
  source.pipe(into);
}

/** The one range of a `Range` header this route answers; anything else (several ranges, other units, bad syntax) is ignored, as HTTP allows. */
export function parseRangeHeader(header: string | undefined): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return Number(match[2]) > 0 ? { suffix: Number(match[2]) } : undefined;
  const start = Number(match[1]);
  if (match[2] === '') return { start };
  const end = Number(match[2]);
  return end >= start ? { start, end } : undefined;
}

/** `inline` for what a browser shows as a picture; everything else downloads. The name both plain (ASCII) and RFC 8187-encoded. */
function contentDisposition(contentType: string, name: string): string {
  const inline = contentType.startsWith('image/') && contentType !== 'image/svg+xml';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Files: uploads streamed into the blob store and looked at on the way (type from the
 * bytes, allow-list, metadata stripped, size, checksum), what the server learns about them
 * (dimensions and a preview, duration, waveform), the optional malware scan, who may fetch
 * them, and their end: unused uploads expire, files no message uses any more are removed
 * after a grace. docs/media.md describes the whole path.
 */
export function createMediaService({ db, store, signer, config, clock, logger, scanner, decoder = null }: MediaDeps) {
  const kysely = db.kysely;

  async function removeBlobs(row: Pick<UploadsTable, 'blob_key' | 'thumbnail_key'>): Promise<void> {
    await store.delete(row.blob_key);
    if (row.thumbnail_key) await store.delete(row.thumbnail_key);
  }

  async function checkQuota(userId: string, adding: number): Promise<void> {
    const owned = await repo.bytesOwned(kysely, userId);
    if (owned + adding > config.userQuotaBytes) {
      throw new AppError('limit_exceeded', `Your files would take more than ${config.userQuotaBytes} bytes; delete some first.`, { limit: config.userQuotaBytes, used: owned });
    }
  }

  async function storeThumbnail(id: string, thumbnail: { data: Buffer; width: number; height: number }) {
    const key = blobKey(id, 'thumbnail');
    await store.write(key, Readable.from([thumbnail.data]), { contentType: 'image/jpeg', maxBytes: 4 * 1024 * 1024 });
    return { thumbnail_key: key, thumbnail_width: thumbnail.width, thumbnail_height: thumbnail.height };
  }

  /** Runs `use` on a local copy of the stored file (ffmpeg seeks, so a stream will not do); the copy is removed after. */
  async function withLocalCopy<T>(key: string, use: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'parley-media-'));
    try {
      const file = join(dir, 'source');
      await pipeline((await store.read(key)).body, createWriteStream(file));
      return await use(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * What the server learns from a stored file: an image's size and preview, a recording's
   * length and waveform, a video's size and first frame. JPEG, PNG and WAV are read here;
   * compressed audio, video, GIF and WebP by ffmpeg when the server has it (`decoder`).
   */
  async function inspect(key: string, id: string, contentType: string, kind: Attachment['kind'], size: number) {
    const found: Pick<UploadsTable, 'width' | 'height' | 'duration_ms' | 'waveform' | 'thumbnail_key' | 'thumbnail_width' | 'thumbnail_height'> = {
      width: null, height: null, duration_ms: null, waveform: null, thumbnail_key: null, thumbnail_width: null, thumbnail_height: null,
    };
    if (kind === 'image') {
      const header = await collect((await store.read(key, { start: 0, end: IMAGE_HEADER_BYTES - 1 })).body);
      const dimensions = readDimensions(header, config.imageMaxPixels);
      found.width = dimensions.width;
      found.height = dimensions.height;
      if (size <= THUMBNAIL_SOURCE_MAX_BYTES && dimensions.width * dimensions.height <= THUMBNAIL_SOURCE_MAX_PIXELS) {
        const thumbnail = makeThumbnail(await collect((await store.read(key)).body), contentType, dimensions.orientation)
          ?? (decoder && DECODED_IMAGE_TYPES.has(contentType) ? await withLocalCopy(key, (file) => decoder.preview(file)) : null);
        if (thumbnail) Object.assign(found, await storeThumbnail(id, thumbnail));
      }
    } else if (kind === 'audio' || kind === 'voice' || kind === 'video') {
      found.duration_ms = await readDuration((await store.read(key)).body, contentType, size);
      if (kind !== 'video' && (contentType === 'audio/wav' || contentType === 'audio/x-wav' || contentType === 'audio/vnd.wave') && size <= WAVEFORM_SOURCE_MAX_BYTES) {
        found.waveform = pcmWaveform(await collect((await store.read(key)).body));
      } else if (decoder && size <= DECODE_SOURCE_MAX_BYTES) {
        await withLocalCopy(key, async (file) => {
          if (kind === 'video') {
            const shape = await decoder.videoSize(file);
            if (shape) [found.width, found.height] = [shape.width, shape.height];
            const poster = await decoder.preview(file);
            if (poster) Object.assign(found, await storeThumbnail(id, poster));
          } else {
            const audio = await decoder.audio(file);
            if (audio) {
              found.waveform = audio.waveform;
              // WebM from a browser's recorder has no length in its header: the decoded length is it.
              found.duration_ms ??= audio.durationMs;
            }
          }
        });
      }
    }
    return found;
  }

  /** May this user fetch this file now? Files being scanned or deleted are nobody's. */
  async function mayRead(actorId: string, row: UploadsTable): Promise<boolean> {
    if (row.purge_after !== null || row.scan_state === 'pending') return false;
    if (row.owner_id === actorId) return true;
    const now = clock();
    for (const conversationId of await repo.conversationsCarrying(kysely, row.id)) {
      if (await canView(actorId, conversationId, now)) return true;
    }
    if (await repo.isAvatar(kysely, row.id)) return true;
    const photo = await repo.photoOf(kysely, row.id);
    if (photo) return photo.visibility === 'public' || (await canView(actorId, photo.id, now));
    return false;
  }

  async function canView(actorId: string, conversationId: string, now: number): Promise<boolean> {
    try {
      await access(kysely, actorId, conversationId, 'conversation.view', { now });
      return true;
    } catch (error) {
      if (isAppError(error) && (error.code === 'not_found' || error.code === 'forbidden')) return false;
      throw error;
    }
  }

  /** The same answer for a file that does not exist and one the caller may not see. */
  const notFound = () => new AppError('not_found', 'File not found.');

  return {
    /**
     * Streams one upload into the store. Refused before a byte is stored: a declared length
     * over the limit or past the quota, an empty body, a type off the allow-list (judged on
     * the bytes). Refused while streaming: more bytes than the limit, a body that breaks off,
     * an image whose structure is broken. Refused after: an image that is a bomb or does not
     * decode, a file the scanner flags, the quota passed by concurrent uploads. Every refusal
     * leaves no record and no bytes.
     */
    async upload(actor: Actor, input: { name: string; kind?: 'voice' | undefined }, body: Readable, declaredLength: number | null): Promise<FileInfo> {
      const name = sanitizeFileName(input.name);
      if (declaredLength !== null) {
        if (declaredLength > config.maxFileBytes) throw new AppError('payload_too_large', `A file may have at most ${config.maxFileBytes} bytes.`, { limit: config.maxFileBytes });
        if (declaredLength === 0) throw new AppError('validation_failed', 'The file is empty.', [{ path: '/body', message: 'must not be empty' }]);
      }
      await checkQuota(actor.userId, declaredLength ?? 0);
      const { head, ended } = await readHead(body, SNIFF_BYTES);
      if (head.length === 0) throw new AppError('validation_failed', 'The file is empty.', [{ path: '/body', message: 'must not be empty' }]);
      const contentType = await detectContentType(head);
      if (!isAllowedType(contentType, config.allowedTypes)) throw new AppError('unsupported_media_type', `Files of type ${contentType} are not accepted here.`, { type: contentType });
      const voice = input.kind === 'voice';
      const kind = kindOf(contentType, voice);
      if (voice && kind !== 'voice') throw new AppError('unsupported_media_type', `A voice note must be audio, not ${contentType}.`, { type: contentType });

      const now = clock();
      const id = newId(now);
      const key = blobKey(id, 'original');
      const stored = new PassThrough();
      const stripper = kind === 'image' ? createMetadataStripper(contentType) : null;
      if (stripper) {
        stripper.once('error', (error) => stored.destroy(error));
        stored.once('close', () => stripper.destroy());
        stripper.pipe(stored);
      }
      feed(body, head, ended, stripper ?? stored);
      const info = await store.write(key, stored, { contentType, maxBytes: config.maxFileBytes });

      let row: UploadsTable | null = null;
      const found = { thumbnail_key: null as string | null };
      try {
        Object.assign(found, await inspect(key, id, contentType, kind, info.size));
        row = {
          id, owner_id: actor.userId, blob_key: key, name, size: info.size, content_type: contentType, sha256: info.sha256, kind,
          width: null, height: null, duration_ms: null, waveform: null, thumbnail_width: null, thumbnail_height: null, ...found,
          scan_state: scanner ? 'pending' : 'none', created_at: now, expires_at: now + config.unusedTtlMs, purge_after: null,
        };
        // Concurrent uploads could each have passed the first check: the record counts now.
        await repo.insertUpload(kysely, row);
        await checkQuota(actor.userId, 0);
        if (scanner) {
          const verdict = await scanner.scan((await store.read(key)).body);
          if (!verdict.clean) {
            logger.warn({ fileId: id, ownerId: actor.userId, signature: verdict.signature }, 'an upload was flagged by the scanner and deleted');
            throw new AppError('unsupported_media_type', 'The file was flagged by the malware scanner.', { reason: 'infected' });
          }
          await repo.setScanState(kysely, id, 'clean');
          row.scan_state = 'clean';
        }
        return toFileInfo(row);
      } catch (error) {
        if (row) await kysely.deleteFrom('uploads').where('id', '=', id).execute();
        await removeBlobs({ blob_key: key, thumbnail_key: found.thumbnail_key ?? blobKey(id, 'thumbnail') });
        throw error;
      }
    },

    async file(actor: Actor, fileId: string): Promise<FileInfo> {
      const row = await repo.findUpload(kysely, fileId);
      if (!row || row.owner_id !== actor.userId || row.purge_after !== null) throw notFound();
      return toFileInfo(row);
    },

    /** The owner deletes an upload nothing uses; one in use is `conflict` (deleting the message removes it). */
    async deleteFile(actor: Actor, fileId: string): Promise<void> {
      const row = await repo.findUpload(kysely, fileId);
      if (!row || row.owner_id !== actor.userId || row.purge_after !== null) throw notFound();
      if (!(await repo.deleteUnused(kysely, fileId, actor.userId))) throw new AppError('conflict', 'The file is in use; delete the message, or change the avatar or photo, instead.');
      await removeBlobs(row);
    },

    /** A short-lived link to a file the caller may see; every other case (unknown, not theirs to see, scanning, deleted) is the same 404. */
    async url(actor: Actor, fileId: string, variant: FileVariant = 'original'): Promise<FileUrlResponse> {
      const row = await repo.findUpload(kysely, fileId);
      if (!row || !(await mayRead(actor.userId, row))) throw notFound();
      const key = variant === 'thumbnail' ? row.thumbnail_key : row.blob_key;
      if (!key) throw new AppError('not_found', 'This file has no preview.');
      const url = await store.signedReadUrl(key, { expiresInSec: config.urlTtlSec });
      return { url, expiresAt: iso(clock() + config.urlTtlSec * 1000) };
    },

    /**
     * The bytes behind a local link. A link that is forged, for another file or expired,
     * and a file that is gone, being scanned or deleted, all get the same 404.
     */
    async blob(params: { fileId: string; variant: FileVariant }, query: { expires: string; sig: string }, rangeHeader: string | undefined) {
      const key = blobKey(params.fileId, params.variant);
      try {
        signer.verify(key, query);
      } catch {
        throw notFound();
      }
      const row = await repo.findUpload(kysely, params.fileId);
      if (!row || row.purge_after !== null || row.scan_state === 'pending') throw notFound();
      const contentType = params.variant === 'thumbnail' ? 'image/jpeg' : row.content_type;
      const read = await store.read(key, parseRangeHeader(rangeHeader));
      return servedBlob(read, {
        contentType,
        contentDisposition: contentDisposition(contentType, params.variant === 'thumbnail' ? `${row.name}.jpg` : row.name),
        expiresInSec: Math.max(0, Number(query.expires) - Math.floor(clock() / 1000)),
      });
    },

    /**
     * For the messages service, inside its send transaction: the actor's unused uploads
     * become the message's files, in the order given. Someone else's upload, or one that
     * does not exist, is `not_found` (the same answer: ids are not probed); one another
     * message (or an avatar) uses already is `conflict`; one still being scanned is `conflict`.
     */
    async claim(trx: Tx, input: { actorId: string; ids: readonly string[]; messageId: string; conversationId: string }): Promise<Attachment[]> {
      const rows = new Map((await repo.findUploads(trx, input.ids)).map((row) => [row.id, row]));
      for (const id of input.ids) {
        const row = rows.get(id);
        if (!row || row.owner_id !== input.actorId || row.purge_after !== null) throw new AppError('not_found', 'Attachment not found: upload it first.', { attachmentId: id });
        if (row.expires_at === null) throw new AppError('conflict', 'This upload is attached already; upload the file again to send it again.', { attachmentId: id });
        if (row.scan_state === 'pending') throw new AppError('conflict', 'This upload is still being scanned.', { attachmentId: id });
      }
      // Two sends racing for one upload: the second finds it used here and is refused.
      if ((await repo.markUsed(trx, input.ids)) !== input.ids.length) throw new AppError('conflict', 'An upload was attached by another message meanwhile.');
      await repo.insertMessageFiles(trx, input.ids.map((id, position) => ({ message_id: input.messageId, upload_id: id, conversation_id: input.conversationId, position })));
      return input.ids.map((id) => toAttachment(rows.get(id)!));
    },

    /** A forward carries the original's files: the same bytes, readable by the members where it arrives. */
    async share(trx: Tx, input: { fromMessageId: string; messageId: string; conversationId: string }): Promise<void> {
      const files = await repo.filesOfMessage(trx, input.fromMessageId);
      await repo.insertMessageFiles(trx, files.map((file) => ({ message_id: input.messageId, upload_id: file.upload_id, conversation_id: input.conversationId, position: file.position })));
    },

    /** Deleted for everyone: the message stops carrying its files at once; a file nothing else uses is removed after the grace. */
    async release(trx: Tx, messageId: string, now: number): Promise<void> {
      const files = await repo.filesOfMessage(trx, messageId);
      if (files.length === 0) return;
      await repo.deleteMessageFiles(trx, messageId);
      for (const { upload_id } of files) if (!(await repo.isInUse(trx, upload_id))) await repo.schedulePurge(trx, upload_id, now + config.deleteGraceMs);
    },

    async releaseConversation(trx: Tx, conversationId: string, now: number): Promise<void> {
      const uploads = await repo.uploadsInConversation(trx, conversationId);
      await repo.deleteConversationFiles(trx, conversationId);
      for (const uploadId of uploads) if (!(await repo.isInUse(trx, uploadId))) await repo.schedulePurge(trx, uploadId, now + config.deleteGraceMs);
    },

    /**
     * An upload of the actor's, unused and an image, becomes a picture (avatar or photo):
     * marked used. The previous picture is scheduled for removal by `dropPicture`.
     */
    async usePicture(trx: Tx, actorId: string, fileId: string): Promise<void> {
      const row = await repo.findUpload(trx, fileId);
      if (!row || row.owner_id !== actorId || row.purge_after !== null) throw new AppError('not_found', 'File not found: upload it first.', { fileId });
      if (row.kind !== 'image') throw new AppError('unsupported_media_type', 'A picture must be an image.', { fileId });
      if (row.scan_state === 'pending') throw new AppError('conflict', 'This upload is still being scanned.', { fileId });
      if (row.expires_at === null || (await repo.markUsed(trx, [fileId])) !== 1) throw new AppError('conflict', 'This upload is used already; upload the picture again.', { fileId });
    },

    async dropPicture(trx: Tx, fileId: string | null | undefined, now: number): Promise<void> {
      if (fileId && !(await repo.isInUse(trx, fileId))) await repo.schedulePurge(trx, fileId, now + config.deleteGraceMs);
    },

    /**
     * Deletes what is due — uploads never used past their expiry, files whose last use ended
     * a grace ago — record first (so a send claiming it at the same moment either wins or
     * finds nothing), then the bytes. Rounds of `SWEEP_BATCH` until none is left; returns how many.
     */
    async sweep(): Promise<number> {
      let deleted = 0;
      for (;;) {
        const now = clock();
        const due = await repo.dueForDeletion(kysely, now, SWEEP_BATCH);
        if (due.length === 0) return deleted;
        for (const row of due) {
          if (!(await repo.deleteIfDue(kysely, row.id, now))) continue;
          await removeBlobs(row);
          deleted++;
        }
        if (due.length < SWEEP_BATCH) return deleted;
      }
    },
  };
}

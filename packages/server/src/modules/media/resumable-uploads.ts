import { PassThrough, Readable } from 'node:stream';
import type { FileInfo, ResumableUpload } from '@parley/protocol';
import type { MediaConfig } from '../../config/index.ts';
import type { BlobStore } from '../../platform/blob/index.ts';
import type { Database, ResumableUploadsTable } from '../../platform/db/index.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { iso, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { detectContentType, isAllowedType, kindOf, sanitizeFileName, SNIFF_BYTES } from './file-inspection.ts';
import type { MediaService } from './media.service.ts';
import * as repo from './media.repository.ts';
import { assertTusVersion, byteCountHeader, parseUploadMetadata, TUS_PART_TYPE } from './tus-headers.ts';

export interface ResumableUploadsDeps {
  db: Database;
  store: BlobStore;
  /** Turns the assembled parts into an ordinary upload: the same checks, previews and scan as `POST /v1/uploads`. */
  media: Pick<MediaService, 'upload'>;
  config: MediaConfig;
  clock: Clock;
  logger: Logger;
}

export type ResumableUploads = ReturnType<typeof createResumableUploads>;

type Headers = Record<string, string | string[] | undefined>;

/** How long one request may spend turning the parts into the file before another may try. */
const FINISH_CLAIM_MS = 10 * 60_000;
const SWEEP_BATCH = 100;

/**
 * Resumable uploads over tus 1.0 (creation, termination, expiration): a client on a flaky
 * network sends a file in PATCH requests and, after a break, asks (HEAD) how much arrived
 * and goes on from there. Each request's bytes are one part in the blob store — bytes that
 * arrived before a connection broke are kept — and the parts are recorded in the database,
 * so any node can take the next request. Once the last byte is in, the parts are streamed
 * through the ordinary upload path (type from the bytes, allow-list, metadata stripped,
 * previews, scan, quota), the result is an upload like any other, and the parts are deleted.
 */
export function createResumableUploads({ db, store, media, config, clock, logger }: ResumableUploadsDeps) {
  const kysely = db.kysely;
  const notFound = () => new AppError('not_found', 'Upload not found.');

  function view(row: ResumableUploadsTable): ResumableUpload {
    return { id: row.id, name: row.name, length: row.length, offset: row.received, expiresAt: iso(row.expires_at), fileId: row.file_id };
  }

  /** The caller's upload, unexpired; anyone else's is the same 404 as none. */
  async function owned(actor: Actor, id: string): Promise<ResumableUploadsTable> {
    const row = await kysely.selectFrom('resumable_uploads').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.owner_id !== actor.userId || row.expires_at <= clock()) throw notFound();
    return row;
  }

  /** The bytes stored so far, part after part, from the start; at most `limit` bytes. */
  function assembled(id: string, limit = Number.POSITIVE_INFINITY): Readable {
    async function* bytes() {
      const parts = await kysely.selectFrom('resumable_upload_parts').select(['start', 'size', 'blob_key']).where('upload_id', '=', id).orderBy('start').execute();
      let left = limit;
      for (const part of parts) {
        if (left <= 0) return;
        const { body } = await store.read(part.blob_key, part.size > left ? { start: 0, end: left - 1 } : undefined);
        for await (const chunk of body) yield chunk as Buffer;
        left -= part.size;
      }
    }
    return Readable.from(bytes());
  }

  async function deleteUpload(id: string): Promise<void> {
    const parts = await kysely.selectFrom('resumable_upload_parts').select('blob_key').where('upload_id', '=', id).execute();
    await kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('resumable_upload_parts').where('upload_id', '=', id).execute();
      await trx.deleteFrom('resumable_uploads').where('id', '=', id).execute();
    });
    for (const part of parts) await store.delete(part.blob_key);
  }

  /** Refuses a file of the wrong type as soon as its first bytes are in, not after all of them. */
  async function checkType(row: ResumableUploadsTable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of assembled(row.id, SNIFF_BYTES)) chunks.push(chunk as Buffer);
    const contentType = await detectContentType(Buffer.concat(chunks));
    const refused = !isAllowedType(contentType, config.allowedTypes)
      ? `Files of type ${contentType} are not accepted here.`
      : row.kind === 'voice' && kindOf(contentType, true) !== 'voice' ? `A voice note must be audio, not ${contentType}.` : null;
    if (refused) {
      await deleteUpload(row.id);
      throw new AppError('unsupported_media_type', refused, { type: contentType });
    }
  }

  /**
   * All bytes are in: streams them through the ordinary upload and records the file. One
   * request does it (a claim on the row); a refusal of the file (type, scan, quota) deletes
   * the resumable upload, a passing failure (storage) leaves it for the next request to retry.
   */
  async function finish(actor: Actor, row: ResumableUploadsTable): Promise<ResumableUploadsTable> {
    const now = clock();
    const claimed = await kysely.updateTable('resumable_uploads').set({ finishing_until: now + FINISH_CLAIM_MS })
      .where('id', '=', row.id).where('file_id', 'is', null).where('received', '=', row.length)
      .where((eb) => eb.or([eb('finishing_until', 'is', null), eb('finishing_until', '<', now)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return row;
    let file: FileInfo;
    try {
      file = await media.upload(actor, { name: row.name, ...(row.kind ? { kind: row.kind } : {}) }, assembled(row.id), row.length);
    } catch (error) {
      if (isAppError(error) && error.status < 500) await deleteUpload(row.id);
      else await kysely.updateTable('resumable_uploads').set({ finishing_until: null }).where('id', '=', row.id).execute();
      throw error;
    }
    const parts = await kysely.selectFrom('resumable_upload_parts').select('blob_key').where('upload_id', '=', row.id).execute();
    await kysely.transaction().execute(async (trx) => {
      await trx.updateTable('resumable_uploads').set({ file_id: file.id, finishing_until: null }).where('id', '=', row.id).execute();
      await trx.deleteFrom('resumable_upload_parts').where('upload_id', '=', row.id).execute();
    });
    for (const part of parts) await store.delete(part.blob_key);
    return { ...row, file_id: file.id, finishing_until: null };
  }

  return {
    /** tus creation: checks the length, the name and the caller's room (quota, uploads in progress) before any byte. */
    async create(actor: Actor, headers: Headers): Promise<ResumableUpload> {
      assertTusVersion(headers);
      if (headers['upload-defer-length'] !== undefined) throw new AppError('bad_request', 'Upload-Defer-Length is not supported: send Upload-Length.');
      const length = byteCountHeader(headers, 'upload-length');
      if (length === undefined) throw new AppError('bad_request', 'Upload-Length is required.');
      if (length === 0) throw new AppError('validation_failed', 'The file is empty.', [{ path: '/headers/upload-length', message: 'must be at least 1' }]);
      if (length > config.maxFileBytes) throw new AppError('payload_too_large', `A file may have at most ${config.maxFileBytes} bytes.`, { limit: config.maxFileBytes });
      const metadata = parseUploadMetadata(headers);
      const filename = metadata.get('filename') ?? metadata.get('name');
      if (!filename) throw new AppError('validation_failed', 'Upload-Metadata needs the file\'s name (filename).', [{ path: '/headers/upload-metadata', message: 'must have filename' }]);
      const kind = metadata.get('kind');
      if (kind !== undefined && kind !== 'voice') throw new AppError('validation_failed', 'The only kind an upload may declare is voice.', [{ path: '/headers/upload-metadata', message: 'kind must be voice' }]);

      const owned = await repo.bytesOwned(kysely, actor.userId);
      if (owned + length > config.userQuotaBytes) {
        throw new AppError('limit_exceeded', `Your files would take more than ${config.userQuotaBytes} bytes; delete some first.`, { limit: config.userQuotaBytes, used: owned });
      }
      const now = clock();
      const active = await kysely.selectFrom('resumable_uploads').select((eb) => eb.fn.countAll<number>().as('count'))
        .where('owner_id', '=', actor.userId).where('file_id', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      if (Number(active?.count ?? 0) >= config.resumableMaxPerUser) {
        throw new AppError('limit_exceeded', `You have ${config.resumableMaxPerUser} uploads in progress; finish or delete one first.`, { limit: config.resumableMaxPerUser });
      }
      const row: ResumableUploadsTable = {
        id: newId(now), owner_id: actor.userId, name: sanitizeFileName(filename), kind: kind ?? null, length, received: 0,
        created_at: now, expires_at: now + config.resumableTtlMs, finishing_until: null, file_id: null,
      };
      await kysely.insertInto('resumable_uploads').values(row).execute();
      return view(row);
    },

    /** tus HEAD (and GET): how much arrived; finishes an upload whose last part arrived but whose file a failure left unmade. */
    async status(actor: Actor, id: string, headers: Headers): Promise<ResumableUpload> {
      if (headers['tus-resumable'] !== undefined) assertTusVersion(headers);
      let row = await owned(actor, id);
      if (row.file_id === null && row.received === row.length) row = await finish(actor, row);
      return view(row);
    },

    /**
     * tus PATCH: stores the bytes as the next part. The part must start where the stored
     * bytes end (409 otherwise: another request got there first, or the client is wrong
     * about the offset) and may not pass the declared length (413). A body that breaks off
     * keeps what arrived. The last part makes the file.
     */
    async append(actor: Actor, id: string, headers: Headers, body: Readable): Promise<ResumableUpload> {
      assertTusVersion(headers);
      if (headers['content-type'] !== TUS_PART_TYPE) throw new AppError('unsupported_media_type', `A part is sent as Content-Type: ${TUS_PART_TYPE}.`);
      const offset = byteCountHeader(headers, 'upload-offset');
      if (offset === undefined) throw new AppError('bad_request', 'Upload-Offset is required.');
      const row = await owned(actor, id);
      if (row.file_id !== null || offset !== row.received) {
        throw new AppError('conflict', `The upload has ${row.received} bytes; send the part that starts there.`, { offset: row.received });
      }
      const start = row.received;
      // The key is new for every request: two requests racing for the same offset never write the same object.
      const key = `resumable/${id}/${start}-${newId(clock())}`;
      const info = await store.write(key, keepingWhatArrived(body), { contentType: 'application/octet-stream', maxBytes: row.length - start });
      if (info.size === 0) {
        await store.delete(key);
        return view(row);
      }
      const appended = await kysely.transaction().execute(async (trx) => {
        const moved = await trx.updateTable('resumable_uploads').set({ received: start + info.size })
          .where('id', '=', id).where('received', '=', start).where('file_id', 'is', null).executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) return false;
        await trx.insertInto('resumable_upload_parts').values({ upload_id: id, start, size: info.size, blob_key: key }).execute();
        return true;
      });
      if (!appended) {
        await store.delete(key);
        const now = await kysely.selectFrom('resumable_uploads').select('received').where('id', '=', id).executeTakeFirst();
        if (!now) throw notFound();
        throw new AppError('conflict', `The upload has ${now.received} bytes; send the part that starts there.`, { offset: now.received });
      }
      let next: ResumableUploadsTable = { ...row, received: start + info.size };
      if (start < SNIFF_BYTES && (next.received >= SNIFF_BYTES || next.received === next.length)) await checkType(next);
      if (next.received === next.length) next = await finish(actor, next);
      return view(next);
    },

    /** tus termination. */
    async terminate(actor: Actor, id: string, headers: Headers): Promise<void> {
      assertTusVersion(headers);
      const row = await owned(actor, id);
      await deleteUpload(row.id);
      logger.debug({ uploadId: id }, 'a resumable upload was abandoned');
    },

    /** Deletes what expired: unfinished uploads with their parts, and the records of finished ones. Returns how many. */
    async sweep(): Promise<number> {
      let deleted = 0;
      for (;;) {
        const due = await kysely.selectFrom('resumable_uploads').select('id').where('expires_at', '<=', clock()).limit(SWEEP_BATCH).execute();
        for (const { id } of due) await deleteUpload(id);
        deleted += due.length;
        if (due.length < SWEEP_BATCH) return deleted;
      }
    },
  };
}

/**
 * The request's bytes, ending cleanly when the client goes away mid-body: tus keeps the
 * bytes that arrived before a break (the client asks how many with HEAD and sends the rest).
 */
function keepingWhatArrived(request: Readable): Readable {
  const bytes = new PassThrough();
  request.pipe(bytes);
  const brokeOff = () => {
    request.unpipe(bytes);
    if (!bytes.writableEnded) bytes.end();
  };
  request.once('error', brokeOff);
  request.once('close', brokeOff);
  return bytes;
}

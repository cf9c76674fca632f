import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError, notFound } from '../errors.ts';
import { type Clock, systemClock } from '../time.ts';
import { assertBlobKey, assertBlobPrefix, TEMP_PREFIX } from './blob-keys.ts';
import type { BlobInfo, BlobRead, BlobStore, BlobWriteOptions, ByteRange } from './blob-store.ts';
import { MAX_SIGNED_URL_TTL_SEC } from './blob-url-signer.ts';
import { resolveRange, unsatisfiable } from './byte-range.ts';
import { assertWrite, meterSource } from './metered-stream.ts';

/** S3's smallest part (all but the last); lib-storage refuses less. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** The largest object one CopyObject can commit. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
const SHA256_METADATA = 'sha256';

export interface S3BlobStoreOptions {
  bucket: string;
  /** `auto` for Cloudflare R2; any value for MinIO. */
  region: string;
  /** Unset: AWS's endpoint for the region. MinIO, R2 and others: their URL. */
  endpoint: string | null;
  /** `bucket` in the path instead of the host name (MinIO and most self-hosted servers). */
  forcePathStyle: boolean;
  /** Unset: the AWS SDK's default chain (AWS_* variables, shared config, instance or pod role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  /** Bodies larger than one part go up as a multipart upload of parts this size (at least 5 MiB). */
  partSizeBytes?: number;
  /** Parts of one upload in flight at once; memory per upload is at most partSize × queueSize. */
  queueSize?: number;
  clock?: Clock;
}

/**
 * Objects in a bucket of any S3-speaking service. A write streams to a temporary key
 * (`.tmp/<uuid>`, multipart above one part, aborted on any failure), then one server-side
 * CopyObject commits it under its key with the SHA-256 — known only once the stream ended —
 * as metadata, and the temporary key is deleted: the key never shows a partial object.
 * A crash can leave `.tmp/` keys and incomplete multipart uploads: a bucket lifecycle rule
 * expires them (see docs/media.md).
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { bucket, clock = systemClock } = options;
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  if (partSize < MIN_PART_SIZE) throw new Error(`the part size must be at least ${MIN_PART_SIZE} bytes`);
  const config: S3ClientConfig = {
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    // Checksums only where S3 requires them: services that speak the older API (MinIO
    // releases, R2, test servers) reject or mangle the newer default trailing checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (options.endpoint) config.endpoint = options.endpoint;
  // A copy: the SDK marks where credentials came from on the object, and Config is frozen.
  if (options.credentials) config.credentials = { accessKeyId: options.credentials.accessKeyId, secretAccessKey: options.credentials.secretAccessKey };
  const client = new S3Client(config);

  async function head(key: string): Promise<BlobInfo> {
    try {
      const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return infoOf(key, answer);
    } catch (error) {
      throw s3Failure(error);
    }
  }

  async function deleteQuietly(key: string): Promise<void> {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }

  return {
    kind: 's3',

    async write(key: string, body: Readable, writeOptions: BlobWriteOptions): Promise<BlobInfo> {
      assertWrite(key, body, writeOptions, { maxBytes: MAX_OBJECT_BYTES, what: 'The S3 store' });
      const staged = `${TEMP_PREFIX}${randomUUID()}`;
      const source = meterSource(body, writeOptions.maxBytes);
      const { meter } = source;
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: staged, Body: meter, ContentType: writeOptions.contentType },
        partSize,
        queueSize: options.queueSize ?? 2,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        // The upload may report its abort's own failure; the source says what broke first.
        const failure = source.failure(error);
        source.discard();
        await deleteQuietly(staged);
        throw failure;
      }
      try {
        const copied = await client.send(new CopyObjectCommand({
          Bucket: bucket,
          Key: key,
          CopySource: `${bucket}/${staged}`,
          MetadataDirective: 'REPLACE',
          ContentType: writeOptions.contentType,
          Metadata: { [SHA256_METADATA]: meter.sha256 },
        }));
        return { key, size: meter.byteCount, contentType: writeOptions.contentType, sha256: meter.sha256, createdAt: copied.CopyObjectResult?.LastModified?.getTime() ?? clock() };
      } catch (error) {
        throw s3Failure(error);
      } finally {
        await deleteQuietly(staged);
      }
    },

    async read(key: string, range?: ByteRange): Promise<BlobRead> {
      assertBlobKey(key);
      // A range is resolved against the stored size first, so both twins cut and refuse
      // ranges by the same rules; `IfMatch` makes sure the bytes belong to that object.
      let info: BlobInfo | null = null;
      let span: { start: number; end: number } | null = null;
      let etag: string | undefined;
      if (range !== undefined) {
        const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((error: unknown) => {
          throw s3Failure(error);
        });
        info = infoOf(key, answer);
        etag = answer.ETag;
        span = resolveRange(range, info.size);
      }
      try {
        const answer = await client.send(new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(span ? { Range: `bytes=${span.start}-${span.end}`, IfMatch: etag } : {}),
        }));
        const whole = info ?? infoOf(key, answer);
        const served = span ?? resolveRange(undefined, whole.size);
        return { info: whole, ...served, partial: range !== undefined, body: answer.Body as Readable };
      } catch (error) {
        if (isS3Error(error, 'InvalidRange', 416)) throw unsatisfiable(info?.size ?? 0);
        throw s3Failure(error);
      }
    },

    async stat(key: string): Promise<BlobInfo> {
      assertBlobKey(key);
      return head(key);
    },

    async delete(key: string): Promise<void> {
      assertBlobKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isS3Error(error, 'NoSuchKey', 404)) return;
        throw s3Failure(error);
      }
    },

    async signedReadUrl(key: string, { expiresInSec }: { expiresInSec: number }): Promise<string> {
      assertBlobKey(key);
      if (!Number.isSafeInteger(expiresInSec) || expiresInSec < 1 || expiresInSec > MAX_SIGNED_URL_TTL_SEC) {
        throw new AppError('bad_request', `A signed URL lives from 1 to ${MAX_SIGNED_URL_TTL_SEC} seconds.`);
      }
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSec });
    },

    async sweep({ prefix, olderThanMs }: { prefix: string; olderThanMs: number }): Promise<number> {
      assertBlobPrefix(prefix);
      const cutoff = clock() - olderThanMs;
      let deleted = 0;
      let token: string | undefined;
      try {
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          const expired = (page.Contents ?? [])
            .filter((object) => object.Key && !object.Key.startsWith(TEMP_PREFIX) && (object.LastModified?.getTime() ?? Infinity) < cutoff)
            .map((object) => ({ Key: object.Key as string }));
          if (expired.length > 0) {
            const answer = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: expired, Quiet: true } }));
            deleted += expired.length - (answer.Errors?.length ?? 0);
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw s3Failure(error);
      }
      return deleted;
    },

    async close() {
      client.destroy();
    },
  };
}

function infoOf(key: string, answer: { ContentLength?: number; ContentType?: string; Metadata?: Record<string, string>; LastModified?: Date; ContentRange?: string }): BlobInfo {
  // A ranged answer's ContentLength is the range's; the whole size follows the slash.
  const total = answer.ContentRange ? Number(answer.ContentRange.split('/')[1]) : answer.ContentLength;
  return {
    key,
    size: total ?? 0,
    contentType: answer.ContentType ?? 'application/octet-stream',
    sha256: answer.Metadata?.[SHA256_METADATA] ?? '',
    createdAt: answer.LastModified?.getTime() ?? 0,
  };
}

function isS3Error(error: unknown, name: string, status: number): boolean {
  const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return failure?.name === name || failure?.$metadata?.httpStatusCode === status;
}

/** Missing objects are `not_found`; everything else the service answers or fails with is `unavailable` (retryable). */
function s3Failure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isS3Error(error, 'NoSuchKey', 404) || isS3Error(error, 'NotFound', 404)) return notFound('No such file.');
  const failure = new AppError('unavailable', 'The file store failed; retry later.');
  failure.cause = error;
  return failure;
}

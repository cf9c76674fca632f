import { type Clock, systemClock } from '../time.ts';
import type { BlobStore } from './blob-store.ts';
import { createBlobUrlSigner } from './blob-url-signer.ts';
import { createLocalBlobStore } from './local-blob-store.ts';

/** Which store the configuration asks for (`Config.blobs`). */
export type BlobStoreConfig =
  | { kind: 'local'; /** The store's folder (`BLOB_DIR`, or `DATA_DIR/blobs`). */ dir: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint: string | null;
      forcePathStyle: boolean;
      credentials: { accessKeyId: string; secretAccessKey: string } | null;
    };

/**
 * Origins a browser fetches signed links from, besides the server's own: an S3 store's
 * presigned URLs point at the bucket (virtual-host or path style), so the web page's
 * Content-Security-Policy must allow them. The local store's links are the server's own.
 */
export function blobReadOrigins(config: BlobStoreConfig): string[] {
  if (config.kind === 'local') return [];
  const base = new URL(config.endpoint ?? `https://s3.${config.region}.amazonaws.com`);
  return config.forcePathStyle ? [base.origin] : [base.origin, `${base.protocol}//${config.bucket}.${base.host}`];
}

export interface BlobStoreDeps {
  /** The node's token key; the local store derives its link-signing key from it. */
  secret: Uint8Array;
  clock?: Clock;
  /** Tuning for tests and benchmarks: the S3 store's multipart part size (at least 5 MiB). */
  partSizeBytes?: number;
}

/**
 * The store the configuration names. The S3 store and the AWS SDK are loaded only when
 * it is chosen, so a node on local disk never pays for them; neither store touches the
 * disk or the network before its first call.
 */
export async function createBlobStore(config: BlobStoreConfig, deps: BlobStoreDeps): Promise<BlobStore> {
  const clock = deps.clock ?? systemClock;
  if (config.kind === 'local') {
    return createLocalBlobStore({ root: config.dir, signer: createBlobUrlSigner({ secret: deps.secret, clock }), clock });
  }
  const { createS3BlobStore } = await import('./s3-blob-store.ts');
  const { kind: _kind, ...s3 } = config;
  return createS3BlobStore({ ...s3, clock, ...(deps.partSizeBytes ? { partSizeBytes: deps.partSizeBytes } : {}) });
}

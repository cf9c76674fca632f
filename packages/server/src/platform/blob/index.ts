export type { BlobInfo, BlobRead, BlobStore, BlobWriteOptions, ByteRange } from './blob-store.ts';
export { assertBlobKey, isBlobKey } from './blob-keys.ts';
export { type BlobUrlSigner, createBlobUrlSigner, DEFAULT_BLOB_URL_PATH, MAX_SIGNED_URL_TTL_SEC } from './blob-url-signer.ts';
export { type ServedBlob, servedBlob } from './served-blob.ts';
export { createLocalBlobStore } from './local-blob-store.ts';
// The S3 store is reached through the factory, which loads the AWS SDK only when it is configured.
export { blobReadOrigins, type BlobStoreConfig, type BlobStoreDeps, createBlobStore } from './create-blob-store.ts';

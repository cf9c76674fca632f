import { AppError } from '../../platform/errors.ts';

/**
 * The request headers of the tus 1.0 resumable upload protocol (https://tus.io/protocols/resumable-upload),
 * read strictly: anything malformed is a typed 400, a version we do not speak is 412.
 */
export const TUS_VERSION = '1.0.0';
/** The extensions served: creation, termination (DELETE) and expiration (`Upload-Expires`). */
export const TUS_EXTENSIONS = 'creation,termination,expiration';
export const TUS_PART_TYPE = 'application/offset+octet-stream';

type Headers = Record<string, string | string[] | undefined>;

const one = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function assertTusVersion(headers: Headers): void {
  const version = one(headers, 'tus-resumable');
  if (version !== TUS_VERSION) {
    throw new AppError('precondition_failed', `Send Tus-Resumable: ${TUS_VERSION} (the tus protocol version this server speaks).`, { supported: [TUS_VERSION] });
  }
}

/** A non-negative byte count header (`Upload-Length`, `Upload-Offset`); `undefined` when absent. */
export function byteCountHeader(headers: Headers, name: string): number | undefined {
  const value = one(headers, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new AppError('bad_request', `${name} must be a non-negative integer.`);
  return Number(value);
}

/** `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent); at most 4 KB. */
export function parseUploadMetadata(headers: Headers): Map<string, string> {
  const metadata = new Map<string, string>();
  const header = one(headers, 'upload-metadata');
  if (header === undefined || header.trim() === '') return metadata;
  if (header.length > 4096) throw new AppError('bad_request', 'Upload-Metadata is longer than 4096 characters.');
  for (const pair of header.split(',')) {
    const match = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64})(?: ([A-Za-z0-9+/]*={0,2}))?\s*$/.exec(pair);
    if (!match || metadata.has(match[1]!)) throw new AppError('bad_request', 'Upload-Metadata must be comma-separated "key base64value" pairs with distinct keys.');
    metadata.set(match[1]!, Buffer.from(match[2] ?? '', 'base64').toString('utf8'));
  }
  return metadata;
}

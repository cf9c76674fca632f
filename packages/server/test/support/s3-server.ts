import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/**
 * A real S3-speaking server in this process: s3rver (the S3 REST API over a temporary
 * folder) on 127.0.0.1 and a random port, with one bucket. s3rver has no
 * AbortMultipartUpload nor ListMultipartUploads; the two are answered here from its own
 * folder layout (`<bucket>/._S3rver_uploads/<uploadId>/`), so a store's clean-up after a
 * failed multipart upload is exercised and checked through the S3 API like on AWS.
 */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

const BUCKET = 'parley-test';
/** s3rver knows one key pair, whose 6-character secret S3_SECRET_ACCESS_KEY refuses; this one it learns. */
const CREDENTIALS = { accessKeyId: 'PARLEYTEST', secretAccessKey: 'parley-test-secret' };
const { DUMMY_ACCOUNT } = createRequire(import.meta.url)('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
DUMMY_ACCOUNT.createKeyPair(CREDENTIALS.accessKeyId, CREDENTIALS.secretAccessKey);

/** The server's configuration for files on `s3`: path-style, as MinIO and s3rver need. */
export function s3Env(s3: S3TestServer): Record<string, string> {
  return {
    BLOB_STORE: 's3', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: s3.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
}

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'parley-s3rver-'));
  const uploads = join(directory, BUCKET, '._S3rver_uploads');
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const server = createServer();
  const release = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const logger = (s3rver as unknown as { logger?: { exceptions?: { unhandle(): void }; close(): void } }).logger;
    logger?.exceptions?.unhandle();
    logger?.close();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await s3rver.configureBuckets();
    const handle = s3rver.callback();
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', 'http://s3');
      const [bucket, ...key] = url.pathname.split('/').filter(Boolean);
      if (bucket === BUCKET && request.method === 'DELETE' && key.length > 0 && url.searchParams.has('uploadId')) {
        void abortUpload(uploads, url.searchParams.get('uploadId') ?? '', response);
      } else if (bucket === BUCKET && request.method === 'GET' && key.length === 0 && url.searchParams.has('uploads')) {
        void listUploads(uploads, response);
      } else {
        handle(request, response);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, bucket: BUCKET, credentials: CREDENTIALS, close: release };
}

async function abortUpload(uploads: string, uploadId: string, response: ServerResponse): Promise<void> {
  if (!/^[0-9a-f]+$/.test(uploadId)) {
    response.writeHead(400).end();
    return;
  }
  await rm(join(uploads, uploadId), { recursive: true, force: true });
  response.writeHead(204).end();
}

async function listUploads(uploads: string, response: ServerResponse): Promise<void> {
  const ids = await readdir(uploads).catch(() => [] as string[]);
  const entries = ids.map((id) => `<Upload><Key>unknown</Key><UploadId>${id}</UploadId></Upload>`).join('');
  response.writeHead(200, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${BUCKET}</Bucket>${entries}</ListMultipartUploadsResult>`);
}

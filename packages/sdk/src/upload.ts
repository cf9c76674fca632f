import type { ErrorResponse, FileInfo, FileResponse } from '@parley/protocol';
import { ParleyError } from './errors.ts';
import { uploadResumable } from './resumable-upload.ts';
import { abortError, sendWithXhr, type UploadExchange, type UploadTransport } from './upload-exchange.ts';

export type { UploadTransport } from './upload-exchange.ts';

/** What `uploadFile` takes: a browser `File`/`Blob`, bytes, or a stream of bytes (Node, or a browser stream). */
export type UploadSource = Blob | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadOptions {
  /** The file name (a `File`'s own name when left out). */
  name?: string;
  /** `voice` for a recorded voice note (the bytes must be audio). */
  kind?: 'voice';
  /** Called as bytes go out: sent so far, and the total when known. */
  onProgress?: (sent: number, total: number | null) => void;
  /** Aborting cancels the upload; the promise rejects with the signal's reason (an `AbortError`). */
  signal?: AbortSignal;
  /**
   * Send the file in parts over the tus protocol, resuming after network breaks where the
   * server's bytes end (a Blob or bytes only). Default: for files from `RESUMABLE_FROM_BYTES` on.
   */
  resumable?: boolean;
  /** Bytes per part of a resumable upload (default 4 MiB). */
  partBytes?: number;
}

/** Files this large or larger go in resumable parts unless `resumable: false`. */
export const RESUMABLE_FROM_BYTES = 8 * 1024 * 1024;


export const sizeOf = (source: UploadSource): number | null => (source instanceof Uint8Array ? source.byteLength : typeof Blob !== 'undefined' && source instanceof Blob ? source.size : null);

/** Bytes can be sent again (after a token refresh); a stream only once. */
const replayable = (source: UploadSource) => sizeOf(source) !== null;

function asStream(source: UploadSource, onChunk: (bytes: number) => void): ReadableStream<Uint8Array> {
  const iterator = (async function* () {
    if (source instanceof Uint8Array) yield source;
    else if (typeof Blob !== 'undefined' && source instanceof Blob) yield* source.stream() as unknown as AsyncIterable<Uint8Array>;
    else yield* source as AsyncIterable<Uint8Array>;
  })();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) return controller.close();
      onChunk(next.value.byteLength);
      controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.(undefined);
    },
  });
}


/** Elsewhere (Node, workers): fetch with a streamed body, counting bytes as the network takes them. */
async function sendWithFetch(transport: UploadTransport, url: string, source: UploadSource, token: string | null, options: UploadOptions): Promise<UploadExchange> {
  const total = sizeOf(source);
  let sent = 0;
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (total !== null) headers['content-length'] = String(total);
  let response: Response;
  try {
    response = await transport.fetch(url, {
      method: 'POST',
      headers,
      body: asStream(source, (bytes) => options.onProgress?.((sent += bytes), total)),
      duplex: 'half',
      ...(options.signal ? { signal: options.signal } : {}),
    } as RequestInit);
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    throw new ParleyError('network', `network error: ${(error as Error).message}`);
  }
  return { status: response.status, body: await response.json().catch(() => undefined), header: (name) => response.headers.get(name) };
}

/**
 * `POST /v1/uploads` with the file's bytes as the body, streamed (never read whole into
 * memory by the SDK). A `token_expired` answer renews the token and sends again when the
 * source can be read again (a Blob or bytes).
 */
export async function uploadFile(transport: UploadTransport, source: UploadSource, options: UploadOptions = {}): Promise<FileInfo> {
  const name = options.name ?? (typeof File !== 'undefined' && source instanceof File ? source.name : undefined);
  if (!name) throw new ParleyError('validation_failed', 'uploadFile needs a name for anything but a File.');
  const url = new URL(transport.url);
  url.searchParams.set('name', name);
  if (options.kind) url.searchParams.set('kind', options.kind);
  if (options.signal?.aborted) throw abortError(options.signal);
  const size = sizeOf(source);
  if (size !== null && (options.resumable ?? size >= RESUMABLE_FROM_BYTES)) return uploadResumable(transport, source as Blob | Uint8Array, name, options);
  const useXhr = typeof XMLHttpRequest !== 'undefined' && replayable(source);
  let token = transport.token();
  for (let attempt = 0; ; attempt++) {
    const total = sizeOf(source);
    const { status, body } = useXhr
      ? await sendWithXhr(
          { method: 'POST', url: url.toString(), headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: source as Blob | Uint8Array },
          (loaded) => options.onProgress?.(loaded, total),
          options.signal,
        )
      : await sendWithFetch(transport, url.toString(), source, token, options);
    if (status === 200) return (body as FileResponse).file;
    const error = ParleyError.fromBody((body as ErrorResponse | undefined)?.error, status);
    if (attempt === 0 && error.code === 'token_expired' && replayable(source)) {
      token = await transport.renew();
      if (token) continue;
    }
    throw error;
  }
}

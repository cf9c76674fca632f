import type { ErrorResponse, FileInfo, FileResponse } from '@parley/protocol';
import { backoffDelay } from './backoff.ts';
import { ParleyError } from './errors.ts';
import type { UploadOptions } from './upload.ts';
import { abortError, sendWithFetch, sendWithXhr, type UploadExchange, type UploadTransport } from './upload-exchange.ts';

const DEFAULT_PART_BYTES = 4 * 1024 * 1024;
/** Network breaks in a row a resumable upload rides out (asking the server where it stands after each) before it gives up. */
const MAX_BREAKS = 8;
const TUS = { 'tus-resumable': '1.0.0' };

/** tus `Upload-Metadata` values are base64 of the UTF-8 bytes. */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const sleep = (ms: number, signal: AbortSignal | undefined) => new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  const onAbort = () => {
    clearTimeout(timer);
    reject(abortError(signal!));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
});

/**
 * A file sent in parts over tus 1.0 (`/v1/uploads/resumable`): create, then PATCH part
 * after part. When the network breaks, it waits (backoff with jitter), asks the server how
 * many bytes it has (HEAD) and goes on from there, so a phone that loses its signal in the
 * middle of a video does not start over. The last part makes the file; its record is
 * fetched and returned, as `POST /v1/uploads` would. Cancelling deletes what was sent.
 */
export async function uploadResumable(transport: UploadTransport, source: Blob | Uint8Array, name: string, options: UploadOptions): Promise<FileInfo> {
  const total = source instanceof Uint8Array ? source.byteLength : source.size;
  const partBytes = Math.max(1, options.partBytes ?? DEFAULT_PART_BYTES);
  const signal = options.signal;
  const useXhr = typeof XMLHttpRequest !== 'undefined';
  let token = transport.token();
  let renewed = false;

  async function exchange(method: string, url: string, headers: Record<string, string>, body: Blob | Uint8Array | null = null, onProgress: ((loaded: number) => void) | null = null): Promise<UploadExchange> {
    for (;;) {
      const request = { method, url, headers: { ...TUS, ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body };
      const answer = useXhr ? await sendWithXhr(request, onProgress, signal) : await sendWithFetch(transport.fetch, request, signal);
      const code = (answer.body as ErrorResponse | undefined)?.error?.code;
      if (answer.status === 401 && code === 'token_expired' && !renewed) {
        renewed = true;
        token = await transport.renew();
        if (token) continue;
      }
      if (answer.status >= 200 && answer.status < 300) renewed = false;
      return answer;
    }
  }
  const refusal = (answer: UploadExchange) => ParleyError.fromBody((answer.body as ErrorResponse | undefined)?.error, answer.status);

  const metadata = `filename ${base64(name)}${options.kind ? `,kind ${base64(options.kind)}` : ''}`;
  const created = await exchange('POST', `${transport.url}/resumable`, { 'upload-length': String(total), 'upload-metadata': metadata });
  if (created.status !== 201) throw refusal(created);
  const location = new URL(created.header('location') ?? '', transport.url).toString();

  let offset = 0;
  let fileId: string | null = null;
  let breaks = 0;
  try {
    while (fileId === null) {
      try {
        const part = source.slice(offset, Math.min(total, offset + partBytes));
        const sentBefore = offset;
        const answer = await exchange('PATCH', location, { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) }, part, (loaded) => options.onProgress?.(sentBefore + loaded, total));
        if (answer.status === 409) {
          offset = await serverOffset();
          continue;
        }
        if (answer.status !== 204) throw refusal(answer);
        offset = Number(answer.header('upload-offset'));
        fileId = answer.header('parley-file-id');
        breaks = 0;
        options.onProgress?.(offset, total);
        if (fileId === null && offset >= total) fileId = await finishedFile();
      } catch (error) {
        if (!(error instanceof ParleyError && (error.code === 'network' || error.retryable)) || ++breaks > MAX_BREAKS) throw error;
        await sleep(backoffDelay(breaks, 250, 10_000), signal);
        offset = await serverOffset();
      }
    }
  } catch (error) {
    // Cancelled: the server deletes what it has (outside the aborted signal, and best effort: unfinished uploads expire anyway).
    if (signal?.aborted) void transport.fetch(location, { method: 'DELETE', headers: { ...TUS, ...(token ? { authorization: `Bearer ${token}` } : {}) } }).catch(() => undefined);
    throw error;
  }
  const file = await transport.fetch(`${transport.url}/${encodeURIComponent(fileId)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!file.ok) throw ParleyError.fromBody(((await file.json().catch(() => undefined)) as ErrorResponse | undefined)?.error, file.status);
  return ((await file.json()) as FileResponse).file;

  /** Where the server's bytes end (tus HEAD); the file once they are all there. */
  async function serverOffset(): Promise<number> {
    const answer = await exchange('HEAD', location, {});
    if (answer.status !== 200) throw refusal(answer);
    fileId = answer.header('parley-file-id');
    return Number(answer.header('upload-offset'));
  }

  /** All bytes are in but a failure left the file unmade: the status call makes it. */
  async function finishedFile(): Promise<string | null> {
    const answer = await exchange('GET', location, {});
    if (answer.status !== 200) throw refusal(answer);
    return (answer.body as { upload: { fileId: string | null } }).upload.fileId;
  }
}

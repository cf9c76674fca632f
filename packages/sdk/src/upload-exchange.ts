import { ParleyError } from './errors.ts';

export interface UploadTransport {
  /** `${baseUrl}/v1/uploads`. */
  url: string;
  token: () => string | null;
  renew: () => Promise<string | null>;
  fetch: typeof fetch;
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The upload was cancelled.', 'AbortError');
}

/** One HTTP exchange of an upload: the status, the JSON body (if any) and the answer's headers. */
export interface UploadExchange {
  status: number;
  body: unknown;
  header(name: string): string | null;
}

/**
 * Browsers: XMLHttpRequest, the one browser API that reports upload progress. The body is
 * the Blob or bytes as they are (the browser streams a File from disk).
 */
export function sendWithXhr(request: { method: string; url: string; headers: Record<string, string>; body: Blob | Uint8Array | null }, onProgress: ((loaded: number) => void) | null, signal: AbortSignal | undefined): Promise<UploadExchange> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.onload = () => {
      signal?.removeEventListener('abort', onAbort);
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      resolve({ status: xhr.status, body, header: (name) => xhr.getResponseHeader(name) });
    };
    xhr.onerror = () => reject(new ParleyError('network', 'network error during the upload'));
    xhr.onabort = () => reject(signal ? abortError(signal) : new DOMException('The upload was cancelled.', 'AbortError'));
    xhr.send(request.body as XMLHttpRequestBodyInit | null);
  });
}

/** Elsewhere (Node, workers): fetch, for a body that is bytes or a Blob (no progress within it). */
export async function sendWithFetch(fetchImpl: typeof fetch, request: { method: string; url: string; headers: Record<string, string>; body: Blob | Uint8Array | null }, signal: AbortSignal | undefined): Promise<UploadExchange> {
  let response: Response;
  try {
    response = await fetchImpl(request.url, { method: request.method, headers: request.headers, body: request.body as BodyInit | null, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw new ParleyError('network', `network error: ${(error as Error).message}`);
  }
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body, header: (name) => response.headers.get(name) };
}

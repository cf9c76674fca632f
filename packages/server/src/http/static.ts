import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zlib, createBrotliCompress, createGzip } from 'node:zlib';
import send from '@fastify/send';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the web client (packages/web, built by Vite to packages/web/dist) at `/`.
 *
 * - `/assets/*` are content-hashed by Vite: cached for a year, immutable. A missing one is
 *   a 404, never the app page (a stale page asking for an old bundle must fail clearly).
 * - Any other GET that is not the API (`/v1/*`, and every `/v<n>/*` kept for later versions)
 *   or an operations path (`/healthz`, `/readyz`, `/metrics`) gets the
 *   file if one exists (favicon, …) and otherwise `index.html`: the client routes itself
 *   (`/c/<id>`), so a reload or a shared link lands on the app. `index.html` is served with
 *   `no-cache`, so a new deployment is picked up on the next load.
 * - Without a build, `/` answers a short page saying how to build it; the API runs regardless.
 *   The build is looked up per request, so building while the server runs is enough.
 *
 * It runs as the HTTP server's not-found fallback, not as a wildcard route: a wildcard would
 * also catch API paths the router refuses (an overlong id segment is a 400, not a page).
 *
 * Files are sent with @fastify/send, the engine of @fastify/static (ETags, ranges, 304s,
 * path traversal refused), without @fastify/static's glob dependencies. Text files of 1 KiB
 * or more go compressed (brotli or gzip) to clients that accept it: @fastify/compress only
 * hooks routes, and this fallback is not one. The weak ETag stays that of the file (the
 * encodings are the same content), so revalidation still answers 304.
 */
export interface WebClientOptions {
  /** The built client; default: packages/web/dist of this checkout. */
  root?: string;
  /** Other origins the page may load pictures, audio and video from (an S3 bucket's signed links). */
  mediaOrigins?: readonly string[];
  /** Other origins the page's scripts may call (the HTTP API of Janus, for group calls through it). */
  connectOrigins?: readonly string[];
}

/** packages/server/{src,dist}/http → packages/web/dist */
export const defaultWebRoot = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const ASSET_CACHE = 'public, max-age=31536000, immutable';
const PAGE_CACHE = 'no-cache';
const API_PREFIX = /^\/v\d+(?:\/|$)/u;
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The page may talk to its own origin only (HTTP and the WebSocket) and to the call media
 * server it joins (Janus' HTTP API, when configured), loads nothing from elsewhere but the
 * files of messages (from the blob store's origin when that is not this one), runs no inline
 * script, and cannot be framed. Links to other sites still open (navigation is not governed
 * by these directives).
 */
const pageHeaders = (mediaOrigins: readonly string[], connectOrigins: readonly string[]): Record<string, string> => ({
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...mediaOrigins].join(' '),
    ["media-src 'self'", ...mediaOrigins].join(' '),
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Parley: web client not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b1d29}code{background:#eef0f6;padding:.1em .35em;border-radius:4px}</style></head>
<body>
<h1>Parley is running</h1>
<p>The API is up (<a href="/v1/openapi.json">/v1/openapi.json</a>), but the web client has not been built.</p>
<p>Build it with <code>npm run build:web</code> and reload this page. <code>npm start</code> builds it before starting the server.</p>
</body>
</html>
`;

const COMPRESSIBLE = /^(?:text\/|application\/(?:javascript|json|manifest\+json)|image\/svg\+xml)/u;
const COMPRESS_MIN_BYTES = 1024;

/** br or gzip when the client accepts it (q above 0) and the file is text worth compressing. */
function compressionFor(request: FastifyRequest, headers: Record<string, unknown>): 'br' | 'gzip' | null {
  // @fastify/send names its headers in Title-Case.
  if (!COMPRESSIBLE.test(String(headers['Content-Type'] ?? '')) || Number(headers['Content-Length'] ?? 0) < COMPRESS_MIN_BYTES) return null;
  const accepted = new Set<string>();
  for (const part of String(request.headers['accept-encoding'] ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (token && !(q && Number(q.slice(2)) === 0)) accepted.add(token);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

/** Answers what the web client owns; false leaves the request to the JSON 404. */
export type WebClientFallback = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

export function createWebClientFallback(options: WebClientOptions = {}): WebClientFallback {
  const root = resolve(options.root ?? defaultWebRoot);
  const PAGE_HEADERS = pageHeaders(options.mediaOrigins ?? [], options.connectOrigins ?? []);
  const sendOptions = { root, dotfiles: 'ignore', index: false, cacheControl: false, acceptRanges: true } as const;

  async function serve(request: FastifyRequest, reply: FastifyReply, path: string): Promise<'sent' | 'missing'> {
    const result = await send(request.raw, path, sendOptions);
    if (result.type !== 'file') return 'missing';
    const isPage = path === '/index.html';
    reply.code(result.statusCode).headers(result.headers);
    reply.header('cache-control', path.startsWith('/assets/') ? ASSET_CACHE : PAGE_CACHE);
    if (isPage) reply.headers(PAGE_HEADERS);
    const encoding = result.statusCode === 200 ? compressionFor(request, result.headers) : null;
    if (!encoding) {
      await reply.send(result.stream);
      return 'sent';
    }
    reply.removeHeader('content-length');
    reply.header('content-encoding', encoding).header('vary', 'accept-encoding');
    const compressor = encoding === 'br' ? createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } }) : createGzip();
    result.stream.on('error', (error) => compressor.destroy(error));
    await reply.send(result.stream.pipe(compressor));
    return 'sent';
  }

  return async function webClient(request, reply) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = request.url.split('?')[0] ?? '/';
    // The API and probes keep their own 404s (JSON error shape).
    if (API_PREFIX.test(path) || PROBES.has(path)) return false;
    if (path.startsWith('/assets/')) return (await serve(request, reply, path)) === 'sent';
    if (path !== '/' && path !== '/index.html' && (await serve(request, reply, path)) === 'sent') return true;
    if ((await serve(request, reply, '/index.html')) === 'sent') return true;
    // Not built (or unreadable): say how to build it. The inline style is this page's only one.
    await reply
      .code(existsSync(join(root, 'index.html')) ? 500 : 503)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(NOT_BUILT_PAGE);
    return true;
  };
}

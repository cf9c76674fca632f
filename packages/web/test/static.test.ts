import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../server/src/http/index.ts';
import { createWebClientFallback } from '../../server/src/http/static.ts';
import { blobReadOrigins } from '../../server/src/platform/blob/index.ts';
import { createLogger } from '../../server/src/platform/logger.ts';

/**
 * The server side of the web client: what `/` answers with a build, and without one.
 * Runs against the project's own HTTP setup (error shape, not-found handler) with a
 * stand-in build, so it needs neither Vite nor a browser.
 */
async function serverFor(root: string, mediaOrigins: string[] = [], connectOrigins: string[] = []): Promise<FastifyInstance> {
  const http = await createHttpServer({ logger: createLogger({ level: 'silent', nodeId: 'test' }), bodyLimit: 1 << 20, idleTimeoutMs: 60_000, version: 'test', notFoundFallback: createWebClientFallback({ root, mediaOrigins, connectOrigins }) });
  http.get('/healthz', async () => ({ status: 'ok' }));
  await http.ready();
  return http;
}

describe('serving the web client', () => {
  let dir: string;
  let http: FastifyInstance;
  const page = '<!doctype html><title>Parley</title><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script>';
  const bigScript = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word${i}`))};`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), page);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
    writeFileSync(join(dir, 'assets', 'big-def456.js'), bigScript);
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, '.secret'), 'no');
    http = await serverFor(dir);
  });

  after(async () => {
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / with the app page, never cached stale, with a strict content security policy', async () => {
    const response = await http.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, page);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.match(String(response.headers['content-security-policy']), /script-src 'self'; .*connect-src 'self'.*frame-ancestors 'none'/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.ok(response.headers.etag, 'revalidated with an ETag');
  });

  it('answers client routes (a reload on /c/<id>) with the app page', async () => {
    for (const url of ['/c/01abc', '/c/01abc?x=1', '/join/some-code', '/index.html']) {
      const response = await http.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, page, url);
      assert.equal(response.headers['cache-control'], 'no-cache', url);
    }
  });

  it('caches hashed assets for a year, and answers a missing one with 404, not the page', async () => {
    const asset = await http.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(asset.headers['content-type']), /javascript/);
    const missing = await http.inject({ method: 'GET', url: '/assets/index-old999.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'not_found');
  });

  it('sends nosniff with every file, not only the page', async () => {
    for (const url of ['/', '/assets/index-abc123.js', '/favicon.svg', '/assets/index-old999.js']) {
      assert.equal((await http.inject({ method: 'GET', url })).headers['x-content-type-options'], 'nosniff', url);
    }
  });

  it('compresses scripts for clients that accept it, keeping them immutable', async () => {
    const plain = await http.inject({ method: 'GET', url: '/assets/big-def456.js' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, bigScript);
    for (const encoding of ['br', 'gzip']) {
      const packed = await http.inject({ method: 'GET', url: '/assets/big-def456.js', headers: { 'accept-encoding': encoding } });
      assert.equal(packed.statusCode, 200);
      assert.equal(packed.headers['content-encoding'], encoding);
      assert.match(String(packed.headers.vary), /accept-encoding/i);
      assert.equal(packed.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.ok(packed.rawPayload.length < bigScript.length / 2, `${encoding}: ${packed.rawPayload.length} bytes`);
    }
  });

  it('serves other files with revalidation, and a 304 when unchanged', async () => {
    const icon = await http.inject({ method: 'GET', url: '/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['cache-control'], 'no-cache');
    const again = await http.inject({ method: 'GET', url: '/favicon.svg', headers: { 'if-none-match': String(icon.headers.etag) } });
    assert.equal(again.statusCode, 304);
  });

  it('never serves dotfiles or anything outside the build', async () => {
    const dotfile = await http.inject({ method: 'GET', url: '/.secret' });
    assert.notEqual(dotfile.body, 'no');
    for (const url of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
      const response = await http.inject({ method: 'GET', url });
      assert.ok(!response.body.includes('"name"'), url);
    }
  });

  it('leaves the API and the probes their own answers', async () => {
    const api = await http.inject({ method: 'GET', url: '/v1/nothing-here' });
    assert.equal(api.statusCode, 404);
    assert.deepEqual(Object.keys(api.json()), ['error']);
    assert.equal((await http.inject({ method: 'GET', url: '/v1' })).statusCode, 404);
    assert.equal((await http.inject({ method: 'GET', url: '/v2/me' })).json().error.code, 'not_found', 'later API versions are the API too');
    assert.equal((await http.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'metrics switched off is a 404, not the app page');
    assert.deepEqual((await http.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    // Only GET (and HEAD) reach the client: other methods are the API's 404.
    const post = await http.inject({ method: 'POST', url: '/c/abc', payload: {} });
    assert.equal(post.statusCode, 404);
    assert.equal(post.json().error.code, 'not_found');
    const head = await http.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  it('without a build, says how to build it instead of failing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'parley-web-empty-'));
    const bare = await serverFor(join(empty, 'dist'));
    try {
      const response = await bare.inject({ method: 'GET', url: '/' });
      assert.equal(response.statusCode, 503);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /npm run build:web/);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal((await bare.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('lets the page load files from an S3 bucket\'s signed links, and from nowhere else', async () => {
    const bucketOrigins = blobReadOrigins({ kind: 's3', bucket: 'chat-files', region: 'eu-west-1', endpoint: null, forcePathStyle: false, credentials: null });
    assert.deepEqual(bucketOrigins, ['https://s3.eu-west-1.amazonaws.com', 'https://chat-files.s3.eu-west-1.amazonaws.com']);
    assert.deepEqual(blobReadOrigins({ kind: 's3', bucket: 'b', region: 'us-east-1', endpoint: 'http://minio:9000', forcePathStyle: true, credentials: null }), ['http://minio:9000']);
    assert.deepEqual(blobReadOrigins({ kind: 'local', dir: '/tmp/x' }), []);
    const withBucket = await serverFor(dir, bucketOrigins);
    try {
      const policy = String((await withBucket.inject({ method: 'GET', url: '/' })).headers['content-security-policy']);
      assert.match(policy, /img-src 'self' data: https:\/\/s3\.eu-west-1\.amazonaws\.com https:\/\/chat-files\.s3\.eu-west-1\.amazonaws\.com;/);
      assert.match(policy, /media-src 'self' https:\/\/s3\.eu-west-1\.amazonaws\.com https:\/\/chat-files\.s3\.eu-west-1\.amazonaws\.com;/);
      assert.match(policy, /connect-src 'self';/, 'scripts still talk to the server only');
    } finally {
      await withBucket.close();
    }
    const local = String((await http.inject({ method: 'GET', url: '/' })).headers['content-security-policy']);
    assert.match(local, /img-src 'self' data:; media-src 'self';/);
  });

  it('lets the page\'s scripts call the Janus HTTP API it joins calls through, and nothing else', async () => {
    const withJanus = await serverFor(dir, [], ['https://janus.example.com']);
    try {
      const policy = String((await withJanus.inject({ method: 'GET', url: '/' })).headers['content-security-policy']);
      assert.match(policy, /connect-src 'self' https:\/\/janus\.example\.com;/);
      assert.match(policy, /img-src 'self' data:; media-src 'self';/, 'pictures and media still come from the server only');
    } finally {
      await withJanus.close();
    }
  });
});

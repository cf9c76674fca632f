import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, isErrorCode } from '@parley/protocol';
import { ConfigError, loadConfig } from '../src/index.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, scrapeMetrics, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

interface RawResult {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A request with full control over headers and body bytes; the answer is kept raw as well as parsed. */
async function raw(base: string, method: string, path: string, options: { token?: string; headers?: Record<string, string>; body?: BodyInit } = {}): Promise<RawResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (options.body !== undefined) {
    init.body = options.body;
    if (options.body instanceof ReadableStream) init.duplex = 'half';
  }
  const response = await fetch(base + path, init);
  const text = await response.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/**
 * The one error shape: `{"error": {code, message, details?, requestId?}}`, the status the
 * code table gives, JSON, a request id header, and nothing from the inside (no stack, no paths).
 */
function assertErrorShape(result: RawResult, status: number, code: string, what = ''): void {
  const label = `${what} ${result.status} ${result.text.slice(0, 300)}`;
  assert.equal(result.status, status, label);
  assert.match(result.headers.get('content-type') ?? '', /^application\/json/, label);
  assert.ok(result.headers.get('x-request-id'), label);
  assert.ok(result.body && typeof result.body === 'object', label);
  assert.deepEqual(Object.keys(result.body), ['error'], label);
  const error = result.body.error;
  assert.equal(error.code, code, label);
  assert.ok(isErrorCode(error.code), label);
  assert.equal(ErrorCodes[error.code as keyof typeof ErrorCodes].status, status, label);
  assert.equal(typeof error.message, 'string', label);
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'details', 'requestId'].includes(key), `${label}: unexpected key ${key}`);
  assertNoLeak(result.text, label);
}

function assertNoLeak(text: string, label: string): void {
  assert.doesNotMatch(text, /\bat .+:\d+:\d+/, `${label}: looks like a stack trace`);
  assert.doesNotMatch(text, /node_modules|\/work\/|\.ts:\d|stack|FST_ERR|SQLITE|DatabaseError/i, `${label}: leaks internals`);
}

function assertValidation(result: RawResult, paths: string[], what = ''): void {
  assertErrorShape(result, 400, 'validation_failed', what);
  const details = result.body.error.details;
  assert.ok(Array.isArray(details) && details.length > 0, `${what}: details ${JSON.stringify(details)}`);
  for (const detail of details) {
    assert.deepEqual(Object.keys(detail).sort(), ['message', 'path'], what);
    assert.equal(typeof detail.path, 'string');
    assert.equal(typeof detail.message, 'string');
  }
  for (const path of paths) assert.ok(details.some((d: any) => d.path === path), `${what}: no detail at ${path} in ${JSON.stringify(details)}`);
}

const json = (value: unknown) => ({ headers: { 'content-type': 'application/json' }, body: typeof value === 'string' ? value : JSON.stringify(value) });

for (const backend of backends) {
  describe(`HTTP input hardening (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversationId: string;
    before(async () => {
      t = await startApp(backend);
      alice = await createUser(t.url, `in${randomBytes(4).toString('hex')}`);
      bob = await createUser(t.url, `in${randomBytes(4).toString('hex')}`);
      conversationId = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'group', title: 'input', memberIds: [bob.user.id] } })).conversation.id;
    });
    after(() => t.close());

    const messages = async () => expectOk(await http(t.url, 'GET', `/v1/conversations/${conversationId}/messages`, { token: bob.token }));
    const send = (body: unknown, headers: Record<string, string> = {}) =>
      raw(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

    it('answers malformed JSON with 400 bad_request', async () => {
      for (const body of ['{"handle":', '{handle: "x"}', "{'handle':'x'}", '[1, 2', '{"handle":"abc","password":"x"} trailing', '\u0000', '{"a":1,}']) {
        assertErrorShape(await raw(t.url, 'POST', '/v1/auth/login', json(body)), 400, 'bad_request', JSON.stringify(body));
      }
    });

    it('treats an empty body declared as JSON as no body: missing fields are named, a body-less operation just runs', async () => {
      const login = await raw(t.url, 'POST', '/v1/auth/login', json(''));
      assertValidation(login, ['/']);
      assert.match(login.body.error.details[0].message, /handle/);
      // HTTP client wrappers often send `Content-Type: application/json` on every call.
      const carol = await createUser(t.url, `in${randomBytes(4).toString('hex')}`);
      const group = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'group', title: 'bodyless', memberIds: [carol.user.id] } })).conversation.id;
      const removed = await raw(t.url, 'DELETE', `/v1/conversations/${group}/members/${carol.user.id}`, { token: alice.token, headers: { 'content-type': 'application/json' } });
      assert.equal(removed.status, 200, removed.text);
      const members = expectOk(await http(t.url, 'GET', `/v1/conversations/${group}/members`, { token: alice.token })).members;
      assert.deepEqual(members.map((m: any) => m.userId), [alice.user.id]);
    });

    it('refuses prototype-poisoning keys with 400 bad_request', async () => {
      assertErrorShape(await raw(t.url, 'POST', '/v1/auth/login', json('{"handle":"abc","password":"x","__proto__":{"admin":true}}')), 400, 'bad_request');
      assertErrorShape(await raw(t.url, 'POST', '/v1/auth/login', json('{"handle":"abc","password":"x","constructor":{"prototype":{"admin":true}}}')), 400, 'bad_request');
    });

    it('answers a JSON value that is not an object with 400 validation_failed', async () => {
      for (const body of ['null', '[]', '42', '"text"', 'true']) {
        assertValidation(await raw(t.url, 'POST', '/v1/auth/login', json(body)), ['/'], body);
      }
    });

    it('answers wrong types with 400 validation_failed naming each field', async () => {
      assertValidation(await raw(t.url, 'POST', '/v1/auth/register', json({ handle: 123, password: true })), ['/handle', '/password']);
      assertValidation(await send({ clientMsgId: 'c1', text: 42 }), ['/text']);
      assertValidation(await send({ clientMsgId: ['c1'], text: 'hi' }), ['/clientMsgId']);
      assertValidation(await raw(t.url, 'POST', `/v1/conversations/${conversationId}/read`, { token: bob.token, ...json({ seq: '1' }) }), ['/seq']);
      assertValidation(await raw(t.url, 'POST', `/v1/conversations/${conversationId}/read`, { token: bob.token, ...json({ seq: 1.5 }) }), ['/seq']);
      assertValidation(await raw(t.url, 'POST', `/v1/conversations/${conversationId}/read`, { token: bob.token, ...json({ seq: -1 }) }), ['/seq']);
      assertValidation(await raw(t.url, 'POST', '/v1/conversations', { token: alice.token, ...json({ kind: 'group', title: 'x', memberIds: 'everyone' }) }), []);
      assert.deepEqual((await messages()).messages, []);
    });

    it('answers missing fields with 400 validation_failed naming them', async () => {
      const result = await raw(t.url, 'POST', '/v1/auth/login', json({ handle: 'abc' }));
      assertValidation(result, ['/']);
      assert.match(result.body.error.details[0].message, /password/);
      const noBody = await raw(t.url, 'POST', '/v1/auth/register');
      assertValidation(noBody, ['/']);
      assert.match(noBody.body.error.details[0].message, /handle/);
      assertValidation(await send({ text: 'no client id' }), ['/']);
    });

    it('answers unknown extra properties with 400 validation_failed naming them, and stores nothing', async () => {
      const result = await send({ clientMsgId: 'extra1', text: 'hello', senderId: bob.user.id });
      assertValidation(result, ['/']);
      assert.match(result.body.error.details[0].message, /senderId/);
      const me = await raw(t.url, 'PATCH', '/v1/me', { token: alice.token, ...json({ displayName: 'Renamed', handle: 'sneaky' }) });
      assertValidation(me, ['/']);
      assert.match(me.body.error.details[0].message, /handle/);
      assert.notEqual(expectOk(await http(t.url, 'GET', '/v1/me', { token: alice.token })).user.displayName, 'Renamed');
      assert.deepEqual((await messages()).messages, []);
    });

    it('refuses text that storage cannot keep as sent (NUL, unpaired surrogates) with 400 validation_failed', async () => {
      assertValidation(await send({ clientMsgId: 'nul1', text: 'a\u0000b' }), ['/text']);
      assertValidation(await send('{"clientMsgId":"sur1","text":"a\\ud800b"}'), ['/text']);
      assertValidation(await raw(t.url, 'PATCH', '/v1/me', { token: alice.token, ...json({ displayName: 'x\u0000' }) }), ['/displayName']);
      assertValidation(await raw(t.url, 'POST', '/v1/admin/users', { token: ADMIN_KEY, ...json({ displayName: 'x\u0000' }) }), ['/displayName']);
      assertValidation(await raw(t.url, 'GET', `/v1/admin/users?cursor=a%00b`, { token: ADMIN_KEY }), ['/cursor']);
      assert.deepEqual((await messages()).messages, []);
      // Well-formed text beyond the BMP is fine.
      expectOk(await http(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, body: { clientMsgId: 'emoji', text: 'ok 🎉' } }));
      const stored = (await messages()).messages;
      assert.deepEqual(stored.map((m: any) => m.text), ['ok 🎉']);
      expectOk(await http(t.url, 'DELETE', `/v1/conversations/${conversationId}/messages/${stored[0].id}`, { token: alice.token }));
    });

    it('refuses a body over the limit (256 KiB by default) with 413 payload_too_large and stores nothing', async () => {
      const before = (await messages()).lastSeq;
      const big = { clientMsgId: 'big1', text: 'x'.repeat(300 * 1024) };
      assertErrorShape(await send(big), 413, 'payload_too_large');
      assertErrorShape(await raw(t.url, 'POST', '/v1/auth/login', json({ handle: 'abc', password: 'y'.repeat(257 * 1024) })), 413, 'payload_too_large');
      // Without a Content-Length (chunked), the limit holds while reading.
      const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(new TextEncoder().encode('{"clientMsgId":"big2","text":"x"'));
          if (sent >= 5) {
            controller.enqueue(new TextEncoder().encode('}'));
            controller.close();
            return;
          }
          controller.enqueue(chunk);
          sent++;
        },
      });
      assertErrorShape(await raw(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, headers: { 'content-type': 'application/json' }, body: stream }), 413, 'payload_too_large');
      assert.equal((await messages()).lastSeq, before);
      assert.ok((await messages()).messages.every((m: any) => !['big1', 'big2'].includes(m.clientMsgId)));
    });

    it('answers a body that is not JSON with 415 unsupported_media_type', async () => {
      const body = JSON.stringify({ handle: 'abc', password: 'whatever12' });
      for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/octet-stream']) {
        assertErrorShape(await raw(t.url, 'POST', '/v1/auth/login', { headers: { 'content-type': type }, body }), 415, 'unsupported_media_type', type);
      }
      assertErrorShape(await raw(t.url, 'POST', '/v1/auth/login', { body: new Uint8Array([123, 125]) }), 415, 'unsupported_media_type', 'no content type');
      assertErrorShape(await send({ clientMsgId: 'tp', text: 'plain' }, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
      assert.deepEqual((await messages()).messages.filter((m: any) => m.clientMsgId === 'tp'), []);
    });

    it('accepts JSON with a charset parameter or in upper case', async () => {
      const body = JSON.stringify({ clientMsgId: 'charset', text: 'with charset' });
      assert.equal((await raw(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, headers: { 'content-type': 'application/json; charset=utf-8' }, body })).status, 200);
      assert.equal((await raw(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, headers: { 'content-type': 'Application/JSON' }, body })).status, 200);
    });

    it('answers unknown routes with 404 not_found', async () => {
      for (const [method, path] of [['GET', '/v1/nope'], ['POST', '/v1/auth/nope'], ['GET', '/v2/me'], ['GET', '/v1/admin'], ['PUT', '/v1/auth/nope']]) {
        assertErrorShape(await raw(t.url, method!, path!, { token: alice.token }), 404, 'not_found', `${method} ${path}`);
      }
    });

    it('answers a method a served path does not take with 405 method_not_allowed and the methods it does take', async () => {
      const cases: Array<[string, string, string]> = [
        ['PUT', '/v1/me', 'GET, HEAD, PATCH'],
        ['DELETE', '/v1/auth/login', 'POST'],
        ['PATCH', '/v1/conversations', 'GET, HEAD, POST'],
        ['GET', `/v1/conversations/${conversationId}/members/${bob.user.id}`, 'DELETE, PATCH'],
        ['PROPFIND', '/v1/me', 'GET, HEAD, PATCH'],
        ['OPTIONS', '/healthz', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const result = await raw(t.url, method, path, { token: alice.token });
        assertErrorShape(result, 405, 'method_not_allowed', `${method} ${path}`);
        assert.equal(result.headers.get('allow'), allow, `${method} ${path}`);
      }
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: alice.token })).user.id, alice.user.id);
    });

    it('answers requests refused before routing (URL too long, unknown method) in the one error shape with a request id', async () => {
      assertErrorShape(await raw(t.url, 'GET', `/v1/users/${'x'.repeat(20_000)}`, { token: alice.token }), 431, 'headers_too_large', 'URL over the header limit');
      assertErrorShape(await raw(t.url, 'GET', '/v1/me', { token: alice.token, headers: { 'x-padding': 'p'.repeat(20_000) } }), 431, 'headers_too_large', 'headers over the limit');
      assertErrorShape(await raw(t.url, 'FOO', '/v1/me', { token: alice.token }), 400, 'bad_request', 'a method HTTP does not know');
      // The server is still there.
      assert.equal(expectOk(await http(t.url, 'GET', '/v1/me', { token: alice.token })).user.id, alice.user.id);
    });

    it('always gives validation_failed details: with many unknown properties, and for refusals by a rule rather than the schema', async () => {
      const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`unknown${i}`, i]));
      const result = await raw(t.url, 'PATCH', '/v1/me', { token: alice.token, ...json({ displayName: 'x', ...many }) });
      assertValidation(result, ['/'], 'many unknown properties');
      assert.ok(result.text.length < 4096, `the answer stays small: ${result.text.length} bytes`);
      assertValidation(await raw(t.url, 'POST', '/v1/conversations', { token: alice.token, ...json({ kind: 'direct', userId: alice.user.id }) }), ['/'], 'a direct conversation with yourself');
    });

    it('adopts a client X-Request-Id only when it is short and plain, and generates one otherwise', async () => {
      const echoed = (await raw(t.url, 'GET', '/v1/me', { token: alice.token, headers: { 'x-request-id': 'client-42.a:b_c' } })).headers.get('x-request-id');
      assert.equal(echoed, 'client-42.a:b_c');
      for (const unsafe of ['x'.repeat(65), 'has space', '<script>', 'a"b', 'line\tbreak', 'é']) {
        const id = (await raw(t.url, 'GET', '/v1/me', { token: alice.token, headers: { 'x-request-id': unsafe } })).headers.get('x-request-id');
        assert.ok(id && id !== unsafe && /^[A-Za-z0-9._:-]{1,64}$/.test(id), `${JSON.stringify(unsafe)} answered ${id}`);
      }
    });

    it('sends nosniff on every answer and compresses large JSON for clients that accept it', async () => {
      for (const [path, token] of [['/v1/me', alice.token], ['/v1/nope', alice.token], ['/healthz', undefined], ['/v1/openapi.json', undefined]] as const) {
        const result = await raw(t.url, 'GET', path, token ? { token } : {});
        assert.equal(result.headers.get('x-content-type-options'), 'nosniff', path);
      }
      const response = await fetch(`${t.url}/v1/openapi.json`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(response.headers.get('content-encoding'), 'gzip');
      assert.match(response.headers.get('vary') ?? '', /accept-encoding/i);
      assert.ok((await response.json()).paths, 'decompresses to the document');
      const small = await fetch(`${t.url}/healthz`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(small.headers.get('content-encoding'), null, 'small answers are not worth compressing');
      assert.equal((await fetch(`${t.url}/v1/openapi.json`, { headers: { 'accept-encoding': 'identity' } })).headers.get('content-encoding'), null);
    });

    it('refuses ids with illegal characters or beyond 128 characters with 400, in paths and bodies', async () => {
      for (const id of ['a%20b', 'a%2Fb', '%25', 'a%23b', 'caf%C3%A9', 'a%3Fb', 'x'.repeat(129), 'a%00b']) {
        const result = await raw(t.url, 'GET', `/v1/users/${id}`, { token: alice.token });
        assertValidation(result, ['/id'], id);
      }
      // The longest valid id is an ordinary miss.
      assertErrorShape(await raw(t.url, 'GET', `/v1/users/${'x'.repeat(128)}`, { token: alice.token }), 404, 'not_found');
      assertErrorShape(await raw(t.url, 'GET', `/v1/admin/users/${'x'.repeat(128)}`, { token: ADMIN_KEY }), 404, 'not_found');
      // Far too long, or not even a valid URL: still the one error shape.
      assertErrorShape(await raw(t.url, 'GET', `/v1/users/${'x'.repeat(2000)}`, { token: alice.token }), 400, 'bad_request');
      assertErrorShape(await raw(t.url, 'GET', '/v1/users/%E0%A4%A', { token: alice.token }), 400, 'bad_request');
      assertValidation(await raw(t.url, 'POST', '/v1/conversations', { token: alice.token, ...json({ kind: 'direct', userId: 'bad id' }) }), ['/userId']);
      assertValidation(await raw(t.url, 'POST', '/v1/conversations', { token: alice.token, ...json({ kind: 'group', title: 'x', memberIds: ['ok', 'not/ok'] }) }), []);
      assertValidation(await raw(t.url, 'POST', '/v1/admin/users', { token: ADMIN_KEY, ...json({ id: 'has space', displayName: 'x' }) }), ['/id']);
      assertValidation(await send({ clientMsgId: 'bad id!', text: 'x' }), ['/clientMsgId']);
      assertValidation(await send({ clientMsgId: 'ok', text: 'x', replyTo: '../../etc' }), ['/replyTo']);
      assert.deepEqual((await messages()).messages.filter((m: any) => m.clientMsgId === 'ok'), []);
    });

    it('refuses query values that are not written as their type, repeated, or unknown', async () => {
      for (const query of ['limit=abc', 'limit=1.5', 'limit=true', 'limit=0x10', 'limit=1e1', 'limit=', 'limit=%201', 'limit=1&limit=2', 'limit=0', 'limit=201', 'before=-1', 'after=9007199254740993']) {
        assertValidation(await raw(t.url, 'GET', `/v1/conversations/${conversationId}/messages?${query}`, { token: bob.token }), [], query);
      }
      assertValidation(await raw(t.url, 'GET', `/v1/conversations/${conversationId}/messages?unknown=1`, { token: bob.token }), ['/']);
      assert.equal((await raw(t.url, 'GET', `/v1/conversations/${conversationId}/messages?limit=2`, { token: bob.token })).status, 200);
      assertValidation(await raw(t.url, 'GET', '/v1/users?handle=a', { token: bob.token }), ['/handle']);
    });

    it('refuses message text longer than MAX_MESSAGE_LENGTH (4000 by default, in characters) with 422 limit_exceeded over HTTP and the socket, storing nothing', async () => {
      const before = await messages();
      const tooLong = await send({ clientMsgId: 'long1', text: 'x'.repeat(4001) });
      assertErrorShape(tooLong, 422, 'limit_exceeded');
      assert.deepEqual(tooLong.body.error.details, { path: '/text', limit: 4000 });
      assertErrorShape(await send({ clientMsgId: 'long2', text: '🎉'.repeat(4001) }), 422, 'limit_exceeded');
      // Beyond the protocol's own cap it is the schema that refuses it.
      assertValidation(await send({ clientMsgId: 'long3', text: 'x'.repeat(16_001) }), ['/text']);
      assertValidation(await send({ clientMsgId: 'blank', text: ' \n\t ' }), ['/text']);
      assertValidation(await send({ clientMsgId: 'empty', text: '' }), ['/text']);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      assert.equal(socket.ready.maxMessageLength, 4000);
      await assert.rejects(socket.request('send', { conversationId, clientMsgId: 'long4', text: 'y'.repeat(4001) }), (error: any) => error.body.code === 'limit_exceeded');
      socket.close();
      const after = await messages();
      assert.equal(after.lastSeq, before.lastSeq);
      assert.deepEqual(after.messages, before.messages);
      // Exactly the limit is fine, counted in characters (code points), not UTF-16 units.
      expectOk(await http(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, body: { clientMsgId: 'max1', text: 'x'.repeat(4000) } }));
      expectOk(await http(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, body: { clientMsgId: 'max2', text: '🎉'.repeat(4000) } }));
      const stored = (await messages()).messages.filter((m: any) => m.clientMsgId.startsWith('max'));
      assert.deepEqual(stored.map((m: any) => [...m.text].length), [4000, 4000]);
    });

    it('answers invalid cursors with 400 bad_request', async () => {
      for (const cursor of ['%%%', 'bm90IGpzb24', Buffer.from('[1]').toString('base64url'), Buffer.from('"a\\u0000b"').toString('base64url'), Buffer.from('"has space"').toString('base64url')]) {
        assertErrorShape(await raw(t.url, 'GET', `/v1/admin/users?cursor=${cursor}`, { token: ADMIN_KEY }), 400, 'bad_request', cursor);
      }
    });

    it('never answers with a stack or internals, whatever the input', async () => {
      const probes: Array<[string, string, Parameters<typeof raw>[3]]> = [
        ['POST', '/v1/auth/login', json('{"handle":"a","password":"b"')],
        ['POST', '/v1/auth/refresh', json({ refreshToken: '.'.repeat(300) })],
        ['POST', '/v1/auth/refresh', json({ refreshToken: `${'x'.repeat(200)}.${'y'.repeat(200)}` })],
        ['GET', '/v1/me', { headers: { authorization: `Bearer ${'a'.repeat(8000)}` } }],
        ['GET', '/v1/me', { headers: { authorization: 'Bearer e30.e30.' } }],
        ['GET', '/v1/me', { headers: { authorization: `Bearer ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('[]').toString('base64url')}.x` } }],
        ['GET', `/v1/conversations/${conversationId}/events?after=abc`, { token: bob.token }],
        ['POST', '/v1/admin/users/bulk', { token: ADMIN_KEY, ...json({ upsert: [{ id: 'x', displayName: 'y' }], suspend: [{}] }) }],
        ['GET', '/v1/openapi.json/..%2f..%2fetc', {}],
      ];
      for (const [method, path, options] of probes) {
        const result = await raw(t.url, method, path, options);
        assert.ok(result.status >= 400 && result.status < 500, `${method} ${path}: ${result.status} ${result.text.slice(0, 200)}`);
        assert.ok(isErrorCode(result.body?.error?.code), `${method} ${path}: ${result.text.slice(0, 200)}`);
        assertErrorShape(result, result.status, result.body.error.code, `${method} ${path}`);
      }
    });
  });

  describe(`metrics on the API listener (${backend.name})`, () => {
    let withToken: TestApp;
    let withoutToken: TestApp;
    before(async () => {
      withToken = await startApp(backend);
      try {
        withoutToken = await startApp(backend, { env: { METRICS_TOKEN: '' } });
      } catch (error) {
        await withToken.close();
        throw error;
      }
    });
    after(async () => {
      await withToken?.close();
      await withoutToken?.close();
    });

    it('are not served without METRICS_TOKEN: 404, not the numbers', async () => {
      const result = await raw(withoutToken.url, 'GET', '/metrics');
      assertErrorShape(result, 404, 'not_found');
      assert.match(result.body.error.message, /METRICS_TOKEN/);
    });

    it('answer 401 to a missing or wrong token and the Prometheus text to the right one', async () => {
      assertErrorShape(await raw(withToken.url, 'GET', '/metrics'), 401, 'unauthorized', 'no token');
      assertErrorShape(await raw(withToken.url, 'GET', '/metrics', { token: 'wrong-metrics-token-0123' }), 401, 'unauthorized', 'wrong token');
      assertErrorShape(await raw(withToken.url, 'GET', '/metrics', { token: ADMIN_KEY }), 401, 'unauthorized', 'the admin key is not the metrics token');
      const scraped = await scrapeMetrics(withToken.url);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^# TYPE parley_ws_connections /m);
    });
  });

  describe(`a configured body limit (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let conversationId: string;
    before(async () => {
      t = await startApp(backend, { env: { HTTP_BODY_LIMIT_BYTES: '2048', MAX_MESSAGE_LENGTH: '10', HTTP_MAX_HEADER_BYTES: '4096' } });
      alice = await createUser(t.url, `lim${randomBytes(4).toString('hex')}`);
      const bob = await createUser(t.url, `lim${randomBytes(4).toString('hex')}`);
      conversationId = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } })).conversation.id;
    });
    after(() => t.close());

    const padded = (clientMsgId: string, bytes: number) => {
      const core = JSON.stringify({ clientMsgId, text: 'tiny' });
      return core.slice(0, -1) + ' '.repeat(bytes - core.length) + '}';
    };
    const post = (body: string) => raw(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, headers: { 'content-type': 'application/json' }, body });

    it('counts bytes: a body of exactly HTTP_BODY_LIMIT_BYTES is read, one byte more is 413', async () => {
      assert.equal((await post(padded('at-limit', 2048))).status, 200);
      assertErrorShape(await post(padded('over-limit', 2049)), 413, 'payload_too_large');
      const history = expectOk(await http(t.url, 'GET', `/v1/conversations/${conversationId}/messages`, { token: alice.token }));
      assert.deepEqual(history.messages.map((m: any) => m.clientMsgId), ['at-limit']);
    });

    it('answers a URL over a configured HTTP_MAX_HEADER_BYTES with 431 headers_too_large', async () => {
      assertErrorShape(await raw(t.url, 'GET', `/v1/users/${'x'.repeat(5000)}`, { token: alice.token }), 431, 'headers_too_large');
      assert.equal((await raw(t.url, 'GET', `/v1/users/${alice.user.id}?${'a'.repeat(2000)}`, { token: alice.token })).status, 200, 'a shorter one reaches its route');
    });

    it('applies a configured MAX_MESSAGE_LENGTH over HTTP and announces it on the socket', async () => {
      expectOk(await http(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, body: { clientMsgId: 'ten', text: '0123456789' } }));
      assertErrorShape(await raw(t.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: alice.token, ...json({ clientMsgId: 'eleven', text: '0123456789a' }) }), 422, 'limit_exceeded');
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      assert.equal(socket.ready.maxMessageLength, 10);
      socket.close();
      const history = expectOk(await http(t.url, 'GET', `/v1/conversations/${conversationId}/messages`, { token: alice.token }));
      assert.deepEqual(history.messages.map((m: any) => m.clientMsgId), ['at-limit', 'ten']);
    });
  });
}

describe('configuration', () => {
  const minimal = { DATA_DIR: '/tmp/parley-config-test' };

  function refused(env: Record<string, string>, variable: string): void {
    assert.throws(() => loadConfig({ ...minimal, ...env }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `${JSON.stringify(env)} threw ${String(error)}`);
      assert.equal(error.variable, variable, JSON.stringify(env));
      assert.ok(error.message.includes(variable), error.message);
      return true;
    }, JSON.stringify(env));
  }

  it('loads defaults from an empty environment and freezes the result', () => {
    const config = loadConfig(minimal);
    assert.equal(config.port, 8080);
    assert.equal(config.limits.httpBodyBytes, 256 * 1024);
    assert.equal(config.limits.maxMessageLength, 4000);
    assert.equal(config.adminApiKey, null);
    assert.equal(config.auth.external, null);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.limits));
    assert.ok(Object.isFrozen(config.auth));
  });

  it('fails with a ConfigError naming the variable for each invalid value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: 'abc' }, 'PORT'],
      [{ PORT: '80.5' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ PORT: '-1' }, 'PORT'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
      [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
      [{ WS_MAX_FRAME_BYTES: '1' }, 'WS_MAX_FRAME_BYTES'],
      [{ WS_MAX_FRAME_BYTES: '64k' }, 'WS_MAX_FRAME_BYTES'],
      [{ HTTP_BODY_LIMIT_BYTES: '10' }, 'HTTP_BODY_LIMIT_BYTES'],
      [{ MAX_MESSAGE_LENGTH: '0' }, 'MAX_MESSAGE_LENGTH'],
      [{ MAX_MESSAGE_LENGTH: '16001' }, 'MAX_MESSAGE_LENGTH'],
      [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
      [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
      [{ ACCESS_TOKEN_TTL_SEC: '5' }, 'ACCESS_TOKEN_TTL_SEC'],
      [{ REFRESH_TOKEN_TTL_SEC: 'forever' }, 'REFRESH_TOKEN_TTL_SEC'],
      [{ ALLOW_REGISTRATION: 'maybe' }, 'ALLOW_REGISTRATION'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ SQLITE_SYNCHRONOUS: 'OFF' }, 'SQLITE_SYNCHRONOUS'],
      [{ DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE'],
      [{ AUTH_JWT_SECRET: 'external-shared-secret-0123456789-abc' }, 'AUTH_JWT_ISSUER'],
      [{ AUTH_JWT_ISSUER: 'https://id.example' }, 'AUTH_JWT_AUDIENCE'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app' }, 'AUTH_JWT_SECRET'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWT_SECRET: 'external-shared-secret-0123456789-abc', AUTH_JWKS_URL: 'https://id.example/jwks' }, 'AUTH_JWT_SECRET'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWKS_URL: 'ftp://id.example/jwks' }, 'AUTH_JWKS_URL'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWKS_URL: 'https://id.example/jwks', AUTH_JWT_ALGORITHMS: 'HS256' }, 'AUTH_JWT_ALGORITHMS'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWKS_URL: 'https://id.example/jwks', AUTH_JWT_ALGORITHMS: 'none' }, 'AUTH_JWT_ALGORITHMS'],
      [{ AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWKS_URL: 'https://id.example/jwks', AUTH_JWT_CLOCK_SKEW_SEC: '3600' }, 'AUTH_JWT_CLOCK_SKEW_SEC'],
      // External tokens with Parley's own issuer could never be told apart from Parley's own.
      [{ AUTH_JWT_ISSUER: 'parley', AUTH_JWT_AUDIENCE: 'app', AUTH_JWT_SECRET: 'external-shared-secret-0123456789-abc' }, 'AUTH_JWT_ISSUER'],
      [{ JWT_ISSUER: 'https://id.example', AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWKS_URL: 'https://id.example/jwks' }, 'AUTH_JWT_ISSUER'],
    ];
    for (const [env, variable] of cases) refused(env, variable);
  });

  it('never echoes a secret in the error message', () => {
    for (const [name, value] of [['DATABASE_URL', 'mysql://root:hunter2-secret@db/x'], ['AUTH_JWT_SECRET', 'hunter2-secret'], ['ADMIN_API_KEY', 'hunter2-secret'], ['JWT_SECRET', 'hunter2-secret']] as const) {
      const env = name === 'AUTH_JWT_SECRET' ? { AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', [name]: value } : { [name]: value };
      assert.throws(() => loadConfig({ ...minimal, ...env }), (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2'));
    }
  });

  it('accepts a complete external identity configuration', () => {
    const config = loadConfig({ ...minimal, AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app', AUTH_JWKS_URL: 'https://id.example/jwks', AUTH_JWT_ALGORITHMS: 'RS256, EdDSA', AUTH_JWT_CLOCK_SKEW_SEC: '10', AUTH_JWT_NAME_CLAIM: 'nickname', AUTH_JWT_HANDLE_CLAIM: 'preferred_username' });
    assert.deepEqual(config.auth.external, {
      issuer: 'https://id.example',
      audience: 'app',
      secret: null,
      jwksUrl: 'https://id.example/jwks',
      algorithms: ['RS256', 'EdDSA'],
      clockSkewSec: 10,
      nameClaim: 'nickname',
      handleClaim: 'preferred_username',
    });
  });

  it('makes the server exit at start with a message naming the variable', () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--conditions=development', main], {
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', DATA_DIR: '/tmp/parley-config-test' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /PORT/);
    assert.doesNotMatch(result.stderr, /\bat .+:\d+:\d+/);
  });
});

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { createMemoryBroker, MemoryBus } from '../src/index.ts';
import { call, conversationLog, direct, group, ok } from './support/api.ts';
import { backends, postgresBackend } from './support/backends.ts';
import { hasPostgres, hasRedis, redisUrl } from './support/services.ts';
import { ADMIN_KEY, createUser, http, scrapeMetrics, signIn, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let ids = 0;
const body = () => ({ clientMsgId: `rl-${process.pid}-${++ids}`, text: 'hello' });

/** The answer to a WebSocket upgrade request (status and headers), without a WebSocket client. */
function upgrade(url: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url.replace(/^ws/, 'http'), { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, retryAfter: undefined });
    });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] as string | undefined });
    });
    request.on('error', reject);
    request.end();
  });
}

for (const backend of backends) {
  describe(`rate limits (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, {
        env: {
          RATE_LIMIT_SENDS_PER_USER: '3:2',
          RATE_LIMIT_LOGINS_PER_HANDLE_IP: '2:1',
          RATE_LIMIT_LOGINS_PER_IP: '5:0.01',
          RATE_LIMIT_CONNECTS_PER_USER: '2:1',
        },
      });
    });
    after(() => t.close());

    it('names the 429 and its Retry-After in the OpenAPI document for every limited route, and only those', async () => {
      const document = await (await fetch(`${t.url}/v1/openapi.json`)).json();
      for (const [path, method] of [['/v1/conversations/{id}/messages', 'post'], ['/v1/conversations/{id}/forward', 'post'], ['/v1/auth/login', 'post']]) {
        const response = document.paths[path][method].responses['429'];
        assert.ok(response, `${method} ${path} documents 429`);
        assert.ok(response.headers['retry-after'], `${method} ${path} documents Retry-After`);
      }
      assert.equal(document.paths['/v1/conversations'].get.responses['429'], undefined, 'listing conversations is not limited');
    });

    it('limits sends per user over HTTP and the socket alike, answering rate_limited with retry-after, storing nothing, and recovering', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      // A burst of 3 passes (a slow machine may refill one more meanwhile), then the bucket refuses.
      let passed = 0;
      let refused: Response | null = null;
      for (let i = 0; i < 10 && !refused; i++) {
        const response = await fetch(`${t.url}/v1/conversations/${pair.id}/messages`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body()) });
        if (response.status === 200) passed++;
        else refused = response;
      }
      assert.ok(refused && passed >= 3 && passed <= 5, `${passed} passed before the refusal`);
      assert.equal(refused.status, 429);
      const error = (await refused.json()).error;
      assert.equal(error.code, 'rate_limited');
      assert.ok(error.details.retryAfterMs > 0 && error.details.retryAfterMs <= 500, `retryAfterMs ${error.details.retryAfterMs}`);
      assert.equal(error.details.rule, 'sends_per_user');
      assert.equal(refused.headers.get('retry-after'), String(Math.ceil(error.details.retryAfterMs / 1000)));
      // The socket draws from the same bucket.
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        let frameError: any = null;
        for (let i = 0; i < 10 && !frameError; i++) {
          frameError = await socket.request('send', { conversationId: pair.id, ...body() }).then(() => {
            passed++;
            return null;
          }, (e) => e.body);
        }
        assert.equal(frameError.code, 'rate_limited');
        assert.ok(frameError.details.retryAfterMs > 0);
        // Another user has a bucket of their own.
        await ok(t, bob, 'POST', `/v1/conversations/${pair.id}/messages`, body());
        assert.equal((await ok(t, alice, 'GET', `/v1/conversations/${pair.id}/messages`)).messages.filter((m: any) => m.senderId === alice.user.id).length, passed, 'refused sends stored nothing');
        await sleep(frameError.details.retryAfterMs + 20);
        assert.equal((await socket.request('send', { conversationId: pair.id, ...body() })).message.text, 'hello', 'recovered after the retry-after');
      } finally {
        socket.close();
      }
      const metrics = await (await scrapeMetrics(t.url)).text();
      assert.match(metrics, /parley_rate_limited_total\{class="send",rule="sends_per_user"\} [1-9]/);
    });

    it('slows password guessing per handle from one address and per address, right password or not', async () => {
      const handle = `guess${process.pid}${++ids}`;
      const registered = await http(t.url, 'POST', '/v1/auth/register', { body: { handle, password: 'correct horse battery' } });
      assert.equal(registered.status, 200);
      const login = (password: string, who = handle) => http(t.url, 'POST', '/v1/auth/login', { body: { handle: who, password } });
      assert.equal((await login('wrong-password-1')).status, 401);
      assert.equal((await login('wrong-password-2')).status, 401);
      const third = await login('correct horse battery');
      assert.equal(third.status, 429, 'the handle\'s bucket for this address is empty, even for the right password');
      assert.equal(third.body.error.details.rule, 'logins_per_handle_ip');
      await sleep(third.body.error.details.retryAfterMs + 20);
      assert.equal((await login('correct horse battery')).status, 200, 'and it recovers');
      // Guessing across many handles from one address runs into the address's bucket.
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await login('nope', `nobody${i}x${ids}`)).status);
      assert.ok(statuses.includes(429), `the address bucket (5 in all) ran out: ${statuses}`);
      const answer = await login('nope', 'someone-else');
      assert.equal(answer.body.error.details.rule, 'logins_per_ip');
    });

    it('limits connection attempts per user, closing the extra socket with try-again-later', async () => {
      const carol = await createUser(t.url);
      const first = await TestSocket.open(t.wsUrl, carol.token);
      const second = await TestSocket.open(t.wsUrl, carol.token);
      const third = await TestSocket.open(t.wsUrl, carol.token, { waitReady: false });
      try {
        assert.equal(await third.closed(), CloseCodes.tryAgainLater);
        const retryIn = Number(/retry in (\d+) ms/.exec(third.closeReason)?.[1]);
        assert.ok(retryIn > 0 && retryIn <= 1_000, third.closeReason);
        assert.deepEqual(await first.request('ping'), {}, 'the others keep working');
        await sleep(retryIn + 50);
        const later = await TestSocket.open(t.wsUrl, carol.token);
        assert.equal(later.closeCode, null);
        later.close();
      } finally {
        first.close();
        second.close();
      }
    });
  });
}

for (const backend of backends) {
  describe(`edits, reactions, reports and new conversations have buckets of their own (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, {
        env: {
          RATE_LIMIT_EDITS_PER_USER: '2:0.01',
          RATE_LIMIT_REACTIONS_PER_USER: '2:0.01',
          RATE_LIMIT_REPORTS_PER_USER: '2:0.01',
          RATE_LIMIT_CONVERSATIONS_PER_USER: '2:0.01',
        },
      });
    });
    after(() => t.close());

    /** One refusal: a 429 naming the bucket, with Retry-After. */
    function assertRefused(result: { status: number; body: any }, rule: string): void {
      assert.equal(result.status, 429, JSON.stringify(result.body));
      assert.equal(result.body.error.code, 'rate_limited');
      assert.equal(result.body.error.details.rule, rule);
      assert.ok(result.body.error.details.retryAfterMs > 0);
    }

    it('limits edits per user over HTTP and the socket alike, leaving the message as the last edit that passed', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      const { message } = await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/messages`, body());
      const path = `/v1/conversations/${pair.id}/messages/${message.id}`;
      await ok(t, alice, 'PATCH', path, { text: 'edit 1' });
      await ok(t, alice, 'PATCH', path, { text: 'edit 2' });
      assertRefused(await call(t, alice, 'PATCH', path, { text: 'edit 3' }), 'edits_per_user');
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const refused = await socket.request('edit', { conversationId: pair.id, messageId: message.id, text: 'edit 4' }).then(() => null, (e) => e.body);
        assert.equal(refused?.code, 'rate_limited');
        assert.equal(refused.details.rule, 'edits_per_user');
      } finally {
        socket.close();
      }
      const stored = (await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/messages`)).messages.find((m: any) => m.id === message.id);
      assert.equal(stored.text, 'edit 2');
      const edits = (await conversationLog(t, bob, pair.id)).filter((e) => e.type === 'message.edited');
      assert.equal(edits.length, 2, 'refused edits appended no event');
      // Sends are another bucket: still open.
      await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/messages`, body());
    });

    it('limits reactions per user over HTTP and the socket alike, storing none that were refused', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      const { message } = await ok(t, bob, 'POST', `/v1/conversations/${pair.id}/messages`, body());
      const reaction = (emoji: string) => `/v1/conversations/${pair.id}/messages/${message.id}/reactions/${encodeURIComponent(emoji)}`;
      await ok(t, alice, 'PUT', reaction('👍'));
      await ok(t, alice, 'PUT', reaction('🎉'));
      assertRefused(await call(t, alice, 'PUT', reaction('❤️')), 'reactions_per_user');
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const refused = await socket.request('react', { conversationId: pair.id, messageId: message.id, emoji: '🔥' }).then(() => null, (e) => e.body);
        assert.equal(refused?.details?.rule, 'reactions_per_user');
      } finally {
        socket.close();
      }
      const reactions = await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/messages/${message.id}/reactions`);
      const mine = JSON.stringify(reactions);
      assert.ok(mine.includes('👍') && mine.includes('🎉') && !mine.includes('❤️') && !mine.includes('🔥'), mine);
    });

    it('limits reports per user, filing none that were refused', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      const { message } = await ok(t, bob, 'POST', `/v1/conversations/${pair.id}/messages`, body());
      await ok(t, alice, 'POST', '/v1/reports', { targetType: 'message', targetId: message.id, conversationId: pair.id, reason: 'spam' });
      await ok(t, alice, 'POST', '/v1/reports', { targetType: 'user', targetId: bob.user.id, reason: 'abuse' });
      assertRefused(await call(t, alice, 'POST', '/v1/reports', { targetType: 'conversation', targetId: pair.id, reason: 'other' }), 'reports_per_user');
      const reports = await http(t.url, 'GET', '/v1/admin/reports', { token: ADMIN_KEY });
      const filed = reports.body.reports.filter((r: any) => r.reporterId === alice.user.id);
      assert.deepEqual(filed.map((r: any) => r.targetType).sort(), ['message', 'user']);
    });

    it('limits new conversations per user, creating none that were refused', async () => {
      const carol = await createUser(t.url);
      const dave = await createUser(t.url);
      await group(t, carol, 'one', [dave]);
      await direct(t, carol, dave);
      const refused = await call(t, carol, 'POST', '/v1/conversations', { kind: 'group', title: 'three', memberIds: [dave.user.id] });
      assertRefused(refused, 'conversations_per_user');
      const list = await ok(t, carol, 'GET', '/v1/conversations');
      assert.equal(list.conversations.length, 2);
      assert.ok(list.conversations.every((c: any) => c.title !== 'three'));
    });
  });

  describe(`sign-ups are limited per address and for the whole service (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { TRUST_PROXY: 'true', RATE_LIMIT_REGISTRATIONS_PER_IP: '3:0.01', RATE_LIMIT_REGISTRATIONS: '5:0.01' } });
    });
    after(() => t.close());

    const register = (handle: string, address: string) =>
      fetch(`${t.url}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify({ handle, password: 'correct horse battery' }) });

    it('refuses sign-ups past an address\'s bucket with 429 and Retry-After, creating no account, and past the service\'s bucket from any address', async () => {
      const handle = (n: number) => `signup${process.pid}x${n}`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await register(handle(i), '203.0.113.1')).status);
      assert.deepEqual(statuses, [200, 200, 200]);
      const refused = await register(handle(3), '203.0.113.1');
      assert.equal(refused.status, 429);
      const error = (await refused.json()).error;
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.details.rule, 'registrations_per_ip');
      assert.equal(refused.headers.get('retry-after'), String(Math.ceil(error.details.retryAfterMs / 1000)));
      const signIn = await http(t.url, 'POST', '/v1/auth/login', { body: { handle: handle(3), password: 'correct horse battery' }, headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(signIn.status, 401, 'the refused sign-up created no account');
      // Another address has its own bucket, until the service's (5 in all) runs out.
      assert.equal((await register(handle(4), '203.0.113.2')).status, 200);
      assert.equal((await register(handle(5), '203.0.113.3')).status, 200);
      const flooded = await register(handle(6), '203.0.113.4');
      assert.equal(flooded.status, 429);
      assert.equal((await flooded.json()).error.details.rule, 'registrations');
    });
  });

  describe(`a handle under guessing from one address (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      // The default capacities; a handle bucket that cannot refill during the test, and a short slow-down so it stays quick.
      t = await startApp(backend, { env: { TRUST_PROXY: 'true', RATE_LIMIT_LOGINS_PER_HANDLE: '10:0.01', RATE_LIMIT_LOGIN_DELAY_MAX_MS: '1000' } });
    });
    after(() => t.close());

    const login = (handle: string, password: string, address: string) =>
      http(t.url, 'POST', '/v1/auth/login', { body: { handle, password }, headers: { 'x-forwarded-for': address } });

    it('locks out the guessing address but lets the owner in from another one, only slowed', async () => {
      const handle = `target${process.pid}x${++ids}`;
      assert.equal((await http(t.url, 'POST', '/v1/auth/register', { body: { handle, password: 'correct horse battery' } })).status, 200);
      const statuses = [];
      for (let i = 0; i < 11; i++) statuses.push((await login(handle, `wrong-${i}`, '198.51.100.7')).status);
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
      assert.equal(statuses[10], 429, 'the guessing address is refused');
      const guesser = await login(handle, 'correct horse battery', '198.51.100.7');
      assert.equal(guesser.status, 429, 'even with the right password from the guessing address');
      assert.equal(guesser.body.error.details.rule, 'logins_per_handle_ip');
      const started = Date.now();
      const owner = await login(handle, 'correct horse battery', '192.0.2.44');
      assert.equal(owner.status, 200, `the owner from another address signs in: ${JSON.stringify(owner.body)}`);
      assert.ok(Date.now() - started >= 250, 'past the handle\'s own bucket the answer is slowed');
    });
  });
}

describe('connection attempts per address', () => {
  let t: TestApp;
  before(async () => {
    // A slow refill (one token per 2 s), so four upgrades in a row find the bucket empty however slow the machine is.
    t = await startApp(backends[0]!, { env: { RATE_LIMIT_CONNECTS_PER_IP: '3:0.5' } });
  });
  after(() => t.close());

  it('answers the upgrade with 429 and Retry-After once the address\'s bucket is empty, then lets it in again', async () => {
    // A burst of 3 passes (a slow machine may refill one more meanwhile), then the bucket refuses.
    const statuses: number[] = [];
    let refused: { status: number; retryAfter: string | undefined } | undefined;
    for (let i = 0; i < 8 && !refused; i++) {
      const answer = await upgrade(t.wsUrl);
      statuses.push(answer.status);
      if (answer.status !== 101) refused = answer;
    }
    assert.ok(refused && statuses.length >= 4 && statuses.length <= 5, `${statuses}`);
    assert.equal(refused.status, 429);
    assert.equal(refused.retryAfter, '2');
    // Coming back after the Retry-After it was given, the address is let in.
    await sleep(1000 * Number(refused.retryAfter));
    assert.equal((await upgrade(t.wsUrl)).status, 101);
    const metrics = await (await scrapeMetrics(t.url)).text();
    assert.match(metrics, /parley_ws_refused_total\{reason="rate_limited"\} 1/);
  });
});

describe('rate limits shared through Redis', { skip: !(hasRedis && hasPostgres) }, () => {
  let a: TestApp;
  let b: TestApp;
  const bus = new MemoryBus();
  let store: Awaited<ReturnType<typeof postgresBackend.create>>;
  before(async () => {
    store = await postgresBackend.create();
    const env = { REDIS_URL: redisUrl, RATE_LIMIT_SENDS_PER_USER: '4:0.5' };
    a = await startApp(postgresBackend, { store, env: { ...env, NODE_ID: 'rl-a' }, broker: createMemoryBroker(bus) });
    b = await startApp(postgresBackend, { store, env: { ...env, NODE_ID: 'rl-b' }, broker: createMemoryBroker(bus) });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await store?.dispose();
  });

  it('draws one user\'s sends on two nodes from one bucket', async () => {
    const alice = await createUser(a.url);
    const bob = await createUser(a.url);
    const onB = await signIn(b.url, alice.user.id);
    const pair = await direct(a, alice, bob);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call(a, alice, 'POST', `/v1/conversations/${pair.id}/messages`, body())).status);
      statuses.push((await call(b, onB, 'POST', `/v1/conversations/${pair.id}/messages`, body())).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], 'four in all, whichever node took them');
  });
});

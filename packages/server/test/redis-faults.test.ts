import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sqliteBackend } from './support/backends.ts';
import { hasRedis, redisUrl } from './support/services.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { createUser, expectOk, http, scrapeMetrics, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { waitFor } from './support/api.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Redis going away under a running node: sockets on the node go on hearing each other
 * live through the hub, readiness stays up and says the broker is unavailable, the
 * metrics show it, and once Redis is back the sockets resync and nothing arrives twice.
 * The cut is a TCP relay in front of the machine's Redis (support/tcp-proxy.ts), so only
 * the app under test sees the outage.
 */
describe('Redis goes away under a running node (redis)', { skip: !hasRedis }, () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;
  const sockets: TestSocket[] = [];
  let clientMsgIds = 0;

  before(async () => {
    try {
      proxy = await startTcpProxy(redisUrl, 6379);
      const prefix = `parley-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
      t = await startApp(sqliteBackend, { env: { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: prefix } });
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      conversationId = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } })).conversation.id;
    } catch (error) {
      await t?.close();
      await proxy?.close();
      throw error;
    }
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
    await proxy?.close();
  });

  async function connect(user: TestUser): Promise<TestSocket> {
    const socket = await TestSocket.open(t.wsUrl, user.token);
    sockets.push(socket);
    return socket;
  }

  const readiness = async () => {
    const response = await fetch(`${t.url}/readyz`);
    return { status: response.status, body: await response.json() };
  };
  const brokerGauge = async () => {
    const text = await (await scrapeMetrics(t.url)).text();
    return Number(/^parley_broker_connected (\S+)$/m.exec(text)?.[1]);
  };
  const send = (socket: TestSocket, text: string) => socket.request('send', { conversationId, clientMsgId: `redis-fault-${++clientMsgIds}`, text });
  const messageSeqs = (socket: TestSocket) => socket.events(conversationId).filter((event) => event.type === 'message.created').map((event) => event.seq);

  it('keeps delivering live between sockets on the node while Redis is away, stays ready saying so, and after Redis returns resyncs them without delivering anything twice', async () => {
    const aliceSocket = await connect(alice);
    const bobSocket = await connect(bob);
    assert.deepEqual(await readiness(), { status: 200, body: { status: 'ready', broker: 'connected' } });
    assert.equal(await brokerGauge(), 1);
    const before = await send(aliceSocket, 'before the outage');
    await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === before.seq);

    proxy.cut();
    await waitFor(async () => (await readiness()).body.broker === 'unavailable', 'readiness to report the broker unavailable');
    assert.deepEqual(await readiness(), { status: 200, body: { status: 'ready', broker: 'unavailable' } }, 'still ready: the node serves its own sockets');
    assert.equal(await brokerGauge(), 0);

    // Both ways, live, while Redis is still away (the relay stays cut until the end of this block).
    const during = await send(aliceSocket, 'while Redis is away');
    const heard = await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === during.seq, 10_000);
    assert.equal(heard.event.data.message.text, 'while Redis is away');
    const answer = await send(bobSocket, 'heard you');
    await aliceSocket.next((frame) => frame.t === 'event' && frame.event.seq === answer.seq, 10_000);
    // A device that connects during the outage is served too.
    const bobPhone = await connect(bob);
    const toPhone = await send(aliceSocket, 'to the new device');
    await bobPhone.next((frame) => frame.t === 'event' && frame.event.seq === toPhone.seq, 10_000);
    assert.equal((await readiness()).body.broker, 'unavailable', 'all of the above happened while Redis was away');

    proxy.restore();
    await Promise.all([aliceSocket, bobSocket, bobPhone].map((socket) => socket.next((frame) => frame.t === 'resync', 20_000)));
    await waitFor(async () => (await readiness()).body.broker === 'connected', 'readiness to report the broker connected again');
    assert.equal(await brokerGauge(), 1);
    const afterwards = await send(aliceSocket, 'after the outage');
    await Promise.all([bobSocket, bobPhone, aliceSocket].map((socket) => socket.next((frame) => frame.t === 'event' && frame.event.seq === afterwards.seq, 10_000)));
    await Promise.all([aliceSocket, bobSocket, bobPhone].map((socket) => socket.request('ping')));
    const all = [before.seq, during.seq, answer.seq, toPhone.seq, afterwards.seq];
    assert.deepEqual(messageSeqs(aliceSocket), all, 'each message exactly once, in order');
    assert.deepEqual(messageSeqs(bobSocket), all, 'each message exactly once, in order');
    assert.deepEqual(messageSeqs(bobPhone), [toPhone.seq, afterwards.seq], 'each message since it connected exactly once');
  });
});

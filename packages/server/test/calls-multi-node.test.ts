import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Broker, createRedisBroker, MemoryBus } from '../src/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { waitFor } from './support/api.ts';
import { type Backend, postgresBackend, sqliteBackend, type Store } from './support/backends.ts';
import { movableClock } from './support/governance.ts';
import { hasPostgres, hasRedis, redisUrl } from './support/services.ts';
import { createUser, expectOk, http, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Calls across two complete nodes sharing one store and one broker: the ring, the answer,
 * the signaling and the ring running out are decided once, whichever node each device is on.
 */
interface Variant {
  name: string;
  backend: Backend;
  brokers(): Promise<[Broker, Broker]>;
}

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', nodeId: 'calls-multi-node-test' });
const RING_MS = 20_000;

const variants: Variant[] = [
  {
    name: 'in-memory bus, SQLite',
    backend: sqliteBackend,
    async brokers() {
      const bus = new MemoryBus();
      return [bus.connect(), bus.connect()];
    },
  },
];
if (hasRedis && hasPostgres) {
  const prefix = `parley-calls-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
  variants.push({
    name: 'Redis, PostgreSQL',
    backend: postgresBackend,
    async brokers() {
      return [await createRedisBroker(redisUrl, logger, prefix), await createRedisBroker(redisUrl, logger, prefix)];
    },
  });
}

for (const variant of variants) {
  describe(`calls across two nodes (${variant.name})`, () => {
    let store: Store;
    let a: TestApp;
    let b: TestApp;
    let brokers: Broker[] = [];
    const sockets: TestSocket[] = [];
    const time = movableClock();

    before(async () => {
      store = await variant.backend.create();
      brokers = await variant.brokers();
      // Overload refusals are not under test here (and a busy shared machine would trigger them).
      const env = { CALL_RING_TIMEOUT_MS: String(RING_MS), CALL_SWEEP_INTERVAL_MS: '50', OVERLOAD_EVENT_LOOP_LAG_MS: '0' };
      a = await startApp(variant.backend, { store, broker: brokers[0]!, clock: time.clock, env });
      b = await startApp(variant.backend, { store, broker: brokers[1]!, clock: time.clock, env });
    });

    after(async () => {
      for (const socket of sockets) socket.close();
      await Promise.all([a?.close(), b?.close()]);
      await Promise.all(brokers.map((broker) => broker.close()));
      await store?.dispose();
    });

    async function connect(node: TestApp, user: TestUser): Promise<TestSocket> {
      const socket = await TestSocket.open(node.wsUrl, user.token);
      sockets.push(socket);
      return socket;
    }
    const post = (node: TestApp, user: TestUser, path: string, body?: unknown) => http(node.url, 'POST', path, { token: user.token, ...(body ? { body } : {}) });
    const pair = async (x: TestUser, y: TestUser) => expectOk(await post(a, x, '/v1/conversations', { kind: 'direct', userId: y.user.id })).conversation.id as string;
    const callLog = async (node: TestApp, user: TestUser, conversationId: string) =>
      (expectOk(await http(node.url, 'GET', `/v1/conversations/${conversationId}/events?after=0&limit=500`, { token: user.token })).events as any[]).filter((e) => e.type.startsWith('call.'));

    it('rings devices on both nodes; two devices answering on two nodes at once: one wins, the other stops ringing; signaling crosses nodes to the winning device only', async () => {
      const alice = await createUser(a.url);
      const bobLaptop = await createUser(a.url);
      const bobPhone = await signIn(b.url, bobLaptop.user.id);
      const conversationId = await pair(alice, bobLaptop);
      const [aliceOnA, laptopOnA, phoneOnB] = await Promise.all([connect(a, alice), connect(a, bobLaptop), connect(b, bobPhone)]);

      const started = await aliceOnA.request('call_start', { conversationId, kind: 'video' });
      const callId = started.call.id;
      await Promise.all([laptopOnA.next((f) => f.t === 'call_ring' && f.call.id === callId), phoneOnB.next((f) => f.t === 'call_ring' && f.call.id === callId)]);

      const answers = await Promise.allSettled([laptopOnA.request('call_accept', { callId }), phoneOnB.request('call_accept', { callId })]);
      const won = answers.findIndex((answer) => answer.status === 'fulfilled');
      assert.equal(answers.filter((answer) => answer.status === 'fulfilled').length, 1);
      const lost = answers[1 - won] as PromiseRejectedResult;
      assert.equal(lost.reason.body.code, 'conflict');
      const [winner, loser] = won === 0 ? [laptopOnA, phoneOnB] : [phoneOnB, laptopOnA];
      assert.equal((await loser.next((f) => f.t === 'call_ring_stop' && f.callId === callId)).reason, 'answered_elsewhere');

      // Alice (on A) offers; the answering device gets it wherever it is, the other device never.
      await aliceOnA.request('call_signal', { callId, to: bobLaptop.user.id, signal: { type: 'offer', sdp: 'v=0 offer' } });
      const offer = await winner.next((f) => f.t === 'call_signal' && f.callId === callId);
      assert.equal(offer.from, alice.user.id);
      await winner.request('call_signal', { callId, to: alice.user.id, signal: { type: 'answer', sdp: 'v=0 answer' } });
      await aliceOnA.next((f) => f.t === 'call_signal' && f.signal.type === 'answer');
      await loser.request('ping');
      assert.equal(loser.frames.filter((f) => f.t === 'call_signal').length, 0, 'the device not in the call hears no signaling');

      // Hung up on B: both see one call.ended, with the same seq as the log.
      expectOk(await post(b, bobLaptop, `/v1/calls/${callId}/end`));
      const endedOnA = await aliceOnA.next((f) => f.t === 'event' && f.event.type === 'call.ended' && f.event.data.callId === callId);
      const log = await callLog(b, alice, conversationId);
      assert.deepEqual(log.map((e) => e.type), ['call.started', 'call.joined', 'call.ended']);
      assert.equal(log[2].seq, endedOnA.event.seq);
    });

    it('a caller disconnecting from node B stops the ring on node A', async () => {
      const carol = await createUser(b.url);
      const dave = await createUser(a.url);
      const conversationId = await pair(carol, dave);
      const daveOnA = await connect(a, dave);
      const carolOnB = await TestSocket.open(b.wsUrl, carol.token);
      const { call } = await carolOnB.request('call_start', { conversationId, kind: 'voice' });
      await daveOnA.next((f) => f.t === 'call_ring' && f.call.id === call.id);
      carolOnB.close();
      assert.equal((await daveOnA.next((f) => f.t === 'call_ring_stop' && f.callId === call.id)).reason, 'missed');
      const log = await callLog(a, dave, conversationId);
      assert.deepEqual(log.map((e) => [e.type, e.data.reason]), [['call.started', undefined], ['call.missed', 'caller_gone'], ['call.ended', 'caller_gone']]);
    });

    it('a ring that runs out is settled exactly once though both nodes sweep', async () => {
      const erin = await createUser(a.url);
      const frank = await createUser(b.url);
      const conversationId = await pair(erin, frank);
      const frankOnB = await connect(b, frank);
      const { call } = expectOk(await post(a, erin, `/v1/conversations/${conversationId}/calls`, { kind: 'voice' }));
      await frankOnB.next((f) => f.t === 'call_ring' && f.call.id === call.id);
      time.advance(RING_MS + 1);
      await frankOnB.next((f) => f.t === 'event' && f.event.type === 'call.ended' && f.event.data.callId === call.id, 5000);
      // Both sweeps have had several turns since; the story is told once.
      await waitFor(async () => (await callLog(a, erin, conversationId)).length >= 3, 'the settled ring in the log');
      await frankOnB.request('ping');
      const log = await callLog(b, frank, conversationId);
      assert.deepEqual(log.map((e) => e.type), ['call.started', 'call.missed', 'call.ended']);
      assert.equal(frankOnB.frames.filter((f) => f.t === 'call_ring_stop' && f.callId === call.id).length, 1);
    });
  });
}

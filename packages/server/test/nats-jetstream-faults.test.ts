import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { connect as connectNats } from 'nats';
import { createNatsJetStreamBroker, streamNameOf } from '../src/platform/broker/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { waitFor } from './support/api.ts';
import { backends, type Store } from './support/backends.ts';
import { natsUrl, requireNats } from './support/services.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { createUser, expectOk, http, scrapeMetrics, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Two nodes on NATS JetStream (`NATS_JETSTREAM=true`) sharing one store; node A reaches NATS
 * through a TCP relay that the test cuts (support/tcp-proxy.ts), so only A sees the outage.
 * While A is away, B's users keep sending. When A is back, what the stream still holds
 * reaches A's sockets live, in order, once, with no resync; what it no longer holds makes A
 * report a gap and its sockets resync from the logs.
 */
const hasNats = await requireNats();
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', nodeId: 'jetstream-faults-test' });

for (const backend of backends) describe(`a node cut off from NATS JetStream while another node sends (nats, ${backend.name})`, { skip: !hasNats }, () => {
  const streams = new Set<string>();
  after(async () => {
    const nc = await connectNats({ servers: natsUrl });
    try {
      const jsm = await nc.jetstreamManager();
      for (const name of streams) await jsm.streams.delete(name).catch(() => false);
    } finally {
      await nc.close();
    }
  });

  interface Pair {
    prefix: string;
    proxy: TcpProxy;
    a: TestApp;
    b: TestApp;
    alice: TestUser;
    bob: TestUser;
    conversationId: string;
    close(): Promise<void>;
  }

  /** Node A through the relay, node B straight to NATS; alice sends on B, bob listens on A. */
  async function startPair(env: Record<string, string> = {}): Promise<Pair> {
    const prefix = `parley_test_${process.pid}_${randomBytes(6).toString('hex')}`;
    streams.add(streamNameOf(prefix));
    const common = { NATS_JETSTREAM: 'true', NATS_SUBJECT_PREFIX: prefix, ...env };
    const proxy = await startTcpProxy(natsUrl, 4222);
    let store: Store | undefined;
    let a: TestApp | undefined;
    let b: TestApp | undefined;
    const close = async () => {
      await Promise.all([a?.close(), b?.close()]);
      await store?.dispose();
      await proxy.close();
    };
    try {
      store = await backend.create();
      // One after the other: the second node finds the migrations applied.
      a = await startApp(backend, { store, env: { ...common, NATS_URL: proxy.url } });
      b = await startApp(backend, { store, env: { ...common, NATS_URL: natsUrl } });
      const alice = await createUser(b.url);
      const bob = await createUser(a.url);
      const conversationId = expectOk(await http(b.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } })).conversation.id;
      return { prefix, proxy, a, b, alice, bob, conversationId, close };
    } catch (error) {
      await close();
      throw error;
    }
  }

  let clientMsgIds = 0;
  const send = async (node: TestApp, user: TestUser, conversationId: string, text: string) =>
    expectOk(await http(node.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: user.token, body: { clientMsgId: `js-fault-${++clientMsgIds}`, text } }), 'send').message;
  const brokerState = async (node: TestApp) => (await (await fetch(`${node.url}/readyz`)).json()).broker;
  const gapsCounted = async (node: TestApp) => Number(/^parley_broker_gaps_total (\S+)$/m.exec(await (await scrapeMetrics(node.url)).text())?.[1]);
  const messageSeqs = (socket: TestSocket, conversationId: string) => socket.events(conversationId).filter((event) => event.type === 'message.created').map((event) => event.seq);

  it('delivers live, once and in order, what was sent on the other node while this node was cut off, without a gap or a resync', async () => {
    const pair = await startPair();
    const sockets: TestSocket[] = [];
    try {
      const bobSocket = await TestSocket.open(pair.a.wsUrl, pair.bob.token);
      sockets.push(bobSocket);
      const first = await send(pair.b, pair.alice, pair.conversationId, 'before the cut');
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === first.seq, 10_000);

      pair.proxy.cut();
      await waitFor(async () => (await brokerState(pair.a)) === 'unavailable', 'node A to notice the cut');
      const during: Array<{ seq: number }> = [];
      for (let i = 0; i < 10; i++) during.push(await send(pair.b, pair.alice, pair.conversationId, `while A is cut off ${i}`));
      assert.equal(await brokerState(pair.a), 'unavailable', 'all of them were sent while A was cut off');

      pair.proxy.restore();
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === during.at(-1)!.seq, 20_000);
      await waitFor(async () => (await brokerState(pair.a)) === 'connected', 'node A to report the broker connected again');
      const last = await send(pair.b, pair.alice, pair.conversationId, 'after the cut');
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === last.seq, 10_000);
      await bobSocket.request('ping');

      assert.deepEqual(messageSeqs(bobSocket, pair.conversationId), [first.seq, ...during.map((message) => message.seq), last.seq], 'each message once, in order');
      assert.deepEqual(bobSocket.frames.filter((frame) => frame.t === 'resync'), [], 'no resync: nothing was lost');
      assert.equal(await gapsCounted(pair.a), 0);
      assert.equal(await gapsCounted(pair.b), 0);
    } finally {
      for (const socket of sockets) socket.close();
      await pair.close();
    }
  });

  it('reports a gap and resyncs its sockets when the stream no longer holds what was sent while this node was cut off', async () => {
    const pair = await startPair({ NATS_JETSTREAM_MAX_MSGS: '100' });
    const sockets: TestSocket[] = [];
    // Another publisher on the same stream: what pushes the message out of it while A is away.
    const filler = await createNatsJetStreamBroker(natsUrl, logger, pair.prefix, { storage: 'memory', maxAgeMs: 120_000, maxBytes: 64 * 1024 * 1024, maxMsgs: 100 });
    try {
      const bobSocket = await TestSocket.open(pair.a.wsUrl, pair.bob.token);
      sockets.push(bobSocket);
      const first = await send(pair.b, pair.alice, pair.conversationId, 'before the cut');
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === first.seq, 10_000);

      pair.proxy.cut();
      await waitFor(async () => (await brokerState(pair.a)) === 'unavailable', 'node A to notice the cut');
      const lost = await send(pair.b, pair.alice, pair.conversationId, 'pushed out of the stream');
      for (let i = 0; i < 150; i++) await filler.publish(`filler:${i}`, `filler ${i}`);

      pair.proxy.restore();
      await bobSocket.next((frame) => frame.t === 'resync', 20_000);
      await waitFor(async () => (await brokerState(pair.a)) === 'connected', 'node A to report the broker connected again');
      assert.equal(await gapsCounted(pair.a), 1, 'node A counted the gap');
      assert.equal(await gapsCounted(pair.b), 0, 'node B lost nothing');
      assert.ok(!messageSeqs(bobSocket, pair.conversationId).includes(lost.seq), 'the message really was lost to live delivery (the logs have it)');
      // Live again after the gap.
      const last = await send(pair.b, pair.alice, pair.conversationId, 'after the cut');
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === last.seq, 10_000);
    } finally {
      for (const socket of sockets) socket.close();
      await filler.close();
      await pair.close();
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type Broker, createRedisBroker, MemoryBus } from '../src/index.ts';
import { connect as connectNats } from 'nats';
import { createNatsBroker, createNatsJetStreamBroker, streamNameOf } from '../src/platform/broker/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { type Backend, postgresBackend, sqliteBackend, type Store } from './support/backends.ts';
import { hasPostgres, hasRedis, natsUrl, redisUrl, requireNats } from './support/services.ts';
import { ADMIN_KEY, createUser, expectOk, http, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Two complete nodes in one process: one database, one broker (bus or Redis server),
 * each node with its own broker connection, hub and sockets — what a deployment with
 * several replicas behind a load balancer looks like to a client.
 */
interface Variant {
  name: string;
  backend: Backend;
  brokers(): Promise<[Broker, Broker]>;
  /** Cuts every broker subscriber connection of this variant (a broker outage), if it can have one. */
  cutSubscribers?: () => Promise<void>;
  /** Removes what the variant left on a shared server (a JetStream stream). */
  dispose?: () => Promise<void>;
}

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', nodeId: 'multi-node-test' });

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
  const prefix = `parley-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
  variants.push({
    name: 'Redis, PostgreSQL',
    backend: postgresBackend,
    async brokers() {
      return [await createRedisBroker(redisUrl, logger, prefix), await createRedisBroker(redisUrl, logger, prefix)];
    },
    async cutSubscribers() {
      const admin = new Redis(redisUrl);
      try {
        const list = String(await admin.call('CLIENT', 'LIST'));
        const ids = list.split('\n').filter((line) => line.includes(` name=parley-broker-sub:${prefix} `)).map((line) => /\bid=(\d+)/.exec(line)![1]!);
        assert.equal(ids.length, 2, 'one subscriber connection per node');
        for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      } finally {
        await admin.quit();
      }
    },
  });
}

if (await requireNats()) {
  const prefix = `parley_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  variants.push({
    name: `NATS, ${hasPostgres ? 'PostgreSQL' : 'SQLite'}`,
    backend: hasPostgres ? postgresBackend : sqliteBackend,
    async brokers() {
      return [await createNatsBroker(natsUrl, logger, prefix), await createNatsBroker(natsUrl, logger, prefix)];
    },
  });
  const jetStreamPrefix = `${prefix}_js`;
  variants.push({
    name: `NATS JetStream, ${hasPostgres ? 'PostgreSQL' : 'SQLite'}`,
    backend: hasPostgres ? postgresBackend : sqliteBackend,
    async brokers() {
      const retention = { storage: 'memory', maxAgeMs: 120_000, maxBytes: 64 * 1024 * 1024, maxMsgs: 100_000 } as const;
      return [await createNatsJetStreamBroker(natsUrl, logger, jetStreamPrefix, retention), await createNatsJetStreamBroker(natsUrl, logger, jetStreamPrefix, retention)];
    },
    async dispose() {
      const nc = await connectNats({ servers: natsUrl });
      try {
        await (await nc.jetstreamManager()).streams.delete(streamNameOf(jetStreamPrefix)).catch(() => false);
      } finally {
        await nc.close();
      }
    },
  });
}

let clientMsgIds = 0;

for (const variant of variants) {
  describe(`two nodes sharing one store and one broker (${variant.name})`, () => {
    let store: Store;
    let a: TestApp;
    let b: TestApp;
    let brokers: Broker[] = [];
    const sockets: TestSocket[] = [];

    before(async () => {
      store = await variant.backend.create();
      const [brokerA, brokerB] = await variant.brokers();
      brokers = [brokerA, brokerB];
      // One after the other: the second node finds the migrations applied.
      a = await startApp(variant.backend, { store, broker: brokerA });
      b = await startApp(variant.backend, { store, broker: brokerB });
    });

    after(async () => {
      for (const socket of sockets) socket.close();
      await Promise.all([a?.close(), b?.close()]);
      // Brokers handed to an app belong to the caller.
      await Promise.all(brokers.map((broker) => broker.close()));
      await store?.dispose();
      await variant.dispose?.();
    });

    async function connect(node: TestApp, user: TestUser): Promise<TestSocket> {
      const socket = await TestSocket.open(node.wsUrl, user.token);
      sockets.push(socket);
      return socket;
    }

    async function send(node: TestApp, user: TestUser, conversationId: string, text: string) {
      const body = { clientMsgId: `c${++clientMsgIds}`, text };
      return expectOk(await http(node.url, 'POST', `/v1/conversations/${conversationId}/messages`, { token: user.token, body }), 'send').message;
    }

    async function group(node: TestApp, owner: TestUser, members: TestUser[]): Promise<string> {
      const body = { kind: 'group', title: 'two nodes', memberIds: members.map((member) => member.user.id) };
      return expectOk(await http(node.url, 'POST', '/v1/conversations', { token: owner.token, body }), 'create group').conversation.id;
    }

    const messageEvent = (id: string) => (frame: any) => frame.t === 'event' && frame.event.type === 'message.created' && frame.event.data.message.id === id;

    it('delivers a message sent through node A live to a socket on node B, and one sent on B to A', async () => {
      const alice = await createUser(a.url);
      const bob = await createUser(b.url);
      const { conversation } = expectOk(await http(a.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } }));
      const aliceOnA = await connect(a, alice);
      const bobOnB = await connect(b, bob);

      const message = await send(a, alice, conversation.id, 'hello from A — 👋');
      const live = await bobOnB.next(messageEvent(message.id));
      assert.equal(live.event.seq, message.seq);
      assert.equal(live.event.data.message.text, 'hello from A — 👋');
      await aliceOnA.next(messageEvent(message.id));

      const ack = await bobOnB.request('send', { conversationId: conversation.id, clientMsgId: `c${++clientMsgIds}`, text: 'and back from B' });
      const back = await aliceOnA.next(messageEvent(ack.id));
      assert.equal(back.event.seq, ack.seq);
      assert.equal(back.event.seq, message.seq + 1);

      await Promise.all([aliceOnA.request('ping'), bobOnB.request('ping')]);
      for (const socket of [aliceOnA, bobOnB]) {
        assert.deepEqual(socket.events(conversation.id).filter((event) => event.type === 'message.created').map((event) => event.seq), [message.seq, ack.seq], 'each message exactly once, in order');
      }
    });

    it('subscribes on node B a user who is added to a group on node A', async () => {
      const alice = await createUser(a.url);
      const bob = await createUser(a.url);
      const carol = await createUser(a.url);
      const groupId = await group(a, alice, [bob]);
      const bobOnB = await connect(b, bob);
      const carolOnB = await connect(b, carol);

      const { seq } = expectOk(await http(a.url, 'POST', `/v1/conversations/${groupId}/members`, { token: alice.token, body: { userIds: [carol.user.id] } }), 'add member');
      const added = await carolOnB.next((frame) => frame.t === 'user_event' && frame.event.type === 'conversation.added' && frame.event.data.conversationId === groupId);
      assert.equal(added.event.data.seq, seq);
      const joined = await carolOnB.next((frame) => frame.t === 'event' && frame.event.type === 'members.added' && frame.event.conversationId === groupId);
      assert.equal(joined.event.seq, seq, 'the event that added her reaches her too');
      assert.deepEqual(joined.event.data.userIds, [carol.user.id]);

      const message = await send(a, alice, groupId, 'welcome, carol');
      const live = await carolOnB.next(messageEvent(message.id));
      assert.equal(live.event.seq, seq + 1);
      await bobOnB.next(messageEvent(message.id));
    });

    it('subscribes on node B a user added on node A even when nobody on B was in the group', async () => {
      const alice = await createUser(a.url);
      const dave = await createUser(a.url);
      const groupId = await group(a, alice, []);
      const daveOnB = await connect(b, dave);
      expectOk(await http(a.url, 'POST', `/v1/conversations/${groupId}/members`, { token: alice.token, body: { userIds: [dave.user.id] } }), 'add member');
      await daveOnB.next((frame) => frame.t === 'user_event' && frame.event.type === 'conversation.added' && frame.event.data.conversationId === groupId);
      // Told they were added, the node already hears the group: the next message arrives live.
      const message = await send(a, alice, groupId, 'first message dave hears');
      await daveOnB.next(messageEvent(message.id));
    });

    it('stops delivering to a member on node B after the event that removed them', async () => {
      const alice = await createUser(a.url);
      const bob = await createUser(a.url);
      const dave = await createUser(a.url);
      const groupId = await group(a, alice, [bob, dave]);
      const bobOnB = await connect(b, bob);
      const daveOnB = await connect(b, dave);

      const before = await send(a, alice, groupId, 'before the removal');
      await bobOnB.next(messageEvent(before.id));

      // Removed through node B, messages sent through node A.
      const { seq } = expectOk(await http(b.url, 'DELETE', `/v1/conversations/${groupId}/members/${bob.user.id}`, { token: alice.token }), 'remove member');
      const removal = await bobOnB.next((frame) => frame.t === 'event' && frame.event.type === 'member.removed' && frame.event.conversationId === groupId);
      assert.equal(removal.event.seq, seq);
      assert.equal(removal.event.data.userId, bob.user.id);
      await bobOnB.next((frame) => frame.t === 'user_event' && frame.event.type === 'conversation.removed' && frame.event.data.conversationId === groupId);

      const afterRemoval = await send(a, alice, groupId, 'after the removal');
      await daveOnB.next(messageEvent(afterRemoval.id));
      // Anything the hub wrote to bob's socket for that message is ahead of this answer.
      await bobOnB.request('ping');
      assert.deepEqual(bobOnB.events(groupId).map((event) => event.seq), [before.seq, seq], 'bob heard up to his removal, nothing after');
      assert.equal(bobOnB.closeCode, null, 'removal from one group does not end the session');
      assert.deepEqual(daveOnB.events(groupId).map((event) => event.seq), [before.seq, seq, afterRemoval.seq]);
    });

    it('closes with 4202 the socket on node B of a user suspended through node A, and only theirs', async () => {
      const erin = await createUser(a.url);
      const frank = await createUser(a.url);
      const erinOnB = await connect(b, erin);
      const erinOnA = await connect(a, erin);
      const frankOnB = await connect(b, frank);

      expectOk(await http(a.url, 'POST', `/v1/admin/users/${erin.user.id}/suspend`, { token: ADMIN_KEY }), 'suspend');
      assert.equal(await erinOnB.closed(), 4202);
      assert.equal(await erinOnA.closed(), 4202);
      await frankOnB.request('ping');
      assert.equal(frankOnB.closeCode, null);

      const again = await TestSocket.open(b.wsUrl, erin.token, { waitReady: false });
      sockets.push(again);
      assert.equal(await again.closed(), 4202, 'and the token is refused on node B');
    });

    // An in-process bus has no outages; Redis does.
    if (variant.cutSubscribers) it('tells sockets to resync after a broker outage, and delivers live again across nodes', async () => {
      const alice = await createUser(a.url);
      const bob = await createUser(a.url);
      const groupId = await group(a, alice, [bob]);
      const aliceOnA = await connect(a, alice);
      const bobOnB = await connect(b, bob);
      await variant.cutSubscribers!();
      // The resync comes once the node hears its channels again: a message sent now arrives live.
      await Promise.all([bobOnB.next((frame) => frame.t === 'resync', 10_000), aliceOnA.next((frame) => frame.t === 'resync', 10_000)]);
      const message = await send(a, alice, groupId, 'after the outage');
      await bobOnB.next(messageEvent(message.id));
      await aliceOnA.next(messageEvent(message.id));
    });
  });
}

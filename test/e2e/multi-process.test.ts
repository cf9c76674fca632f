import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresBackend, type Store } from '../../packages/server/test/support/backends.ts';
import { hasPostgres, hasRedis, redisUrl } from '../../packages/server/test/support/services.ts';
import { ADMIN_KEY, createUser, expectOk, http, JWT_SECRET } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, waitUntil } from './harness.ts';
import { Balancer, type NodeProcess, startNode } from './processes.ts';

describe('two server processes on one PostgreSQL and Redis', { skip: !(hasPostgres && hasRedis) }, () => {
  let store: Store;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  const devices: Device[] = [];

  before(async () => {
    store = await postgresBackend.create();
    const env = { ...store.env, REDIS_URL: redisUrl, ADMIN_API_KEY: ADMIN_KEY, JWT_SECRET };
    nodeA = await startNode({ ...env, NODE_ID: 'node-a' });
    nodeB = await startNode({ ...env, NODE_ID: 'node-b' });
  });
  after(async () => {
    for (const device of devices) device.client.stop();
    await Promise.all([nodeA?.stop('SIGKILL'), nodeB?.stop('SIGKILL')]);
    await store?.dispose();
  });

  it('deliver a message sent on node A live to a client on node B, and the reverse', async () => {
    const alice = await createUser(nodeA.url);
    const bob = await createUser(nodeA.url);
    const onA = await openDevice(nodeA.url, alice, 'alice@A');
    const onB = await openDevice(nodeB.url, bob, 'bob@B');
    devices.push(onA, onB);
    const direct = await onA.client.createDirect(bob.user.id);
    await waitUntil(() => onB.client.store.has(direct.id), 10_000, 'bob to hear of the conversation on node B');
    const sent = await onA.client.sendMessage(direct.id, 'from A');
    await waitUntil(() => onB.emitted.some((e) => e.conversationId === direct.id && e.seq === sent.seq), 5_000, 'live delivery A -> B');
    const reply = await onB.client.sendMessage(direct.id, 'from B');
    await waitUntil(() => onA.emitted.some((e) => e.conversationId === direct.id && e.seq === reply.seq), 5_000, 'live delivery B -> A');
  });

  it('let a client that moves from node A to node B (A killed) resume without a gap or a duplicate', async () => {
    const alice = await createUser(nodeB.url);
    const bob = await createUser(nodeB.url);
    const balancer = new Balancer(nodeA.port);
    const balancedUrl = await balancer.listen();
    try {
      const mover = await openDevice(balancedUrl, bob, 'bob via balancer');
      const sender = await openDevice(nodeB.url, alice, 'alice@B');
      devices.push(mover, sender);
      const group = await sender.client.createGroup('moving', [bob.user.id]);
      await waitUntil(() => mover.client.store.has(group.id), 10_000, 'the mover to follow the group');
      const before = await sender.client.sendMessage(group.id, 'before the move');
      await waitUntil(() => mover.emitted.some((e) => e.seq === before.seq && e.conversationId === group.id), 5_000, 'delivery before the move');

      // Node A dies without a goodbye; the balancer now sends new connections to node B.
      balancer.target = nodeB.port;
      await nodeA.stop('SIGKILL');
      const during: number[] = [];
      for (let i = 0; i < 20; i++) during.push((await sender.client.sendMessage(group.id, `while moving ${i}`)).seq);
      await waitUntil(() => mover.client.status === 'live' && mover.client.store.get(group.id)!.summary.lastSeq === during.at(-1), 15_000, 'the mover to resume on node B');
      const after = await sender.client.sendMessage(group.id, 'after the move');
      await waitUntil(() => mover.emitted.some((e) => e.seq === after.seq && e.conversationId === group.id), 5_000, 'live delivery on node B');

      const seqs = mover.emitted.filter((e) => e.conversationId === group.id).map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i), 'every event once, in order');
      const { lastSeq } = expectOk(await http(nodeB.url, 'GET', `/v1/conversations/${group.id}/events?after=0&limit=1`, { token: bob.token }));
      assert.equal(seqs.at(-1), lastSeq);
    } finally {
      await balancer.close();
    }
  });
});

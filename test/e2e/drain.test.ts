import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@parley/sdk';
import { postgresBackend, type Store } from '../../packages/server/test/support/backends.ts';
import { hasPostgres, hasRedis, redisUrl } from '../../packages/server/test/support/services.ts';
import { ADMIN_KEY, createUser, expectOk, http, JWT_SECRET, type TestUser } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, waitUntil } from './harness.ts';
import { Balancer, type NodeProcess, startNode } from './processes.ts';

const DRAIN_WINDOW_MS = 2_000;
const USERS = 6;
const DEVICES_PER_USER = 2;
const SEND_EVERY_MS = 120;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SIGTERM one node of two (PostgreSQL + Redis) under continuous traffic', { skip: !(hasPostgres && hasRedis) }, () => {
  let store: Store;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  let balancer: Balancer;
  const devices: Device[] = [];

  before(async () => {
    store = await postgresBackend.create();
    const env = { ...store.env, REDIS_URL: redisUrl, ADMIN_API_KEY: ADMIN_KEY, JWT_SECRET, DRAIN_WINDOW_MS: String(DRAIN_WINDOW_MS) };
    nodeA = await startNode({ ...env, NODE_ID: 'drain-a' });
    nodeB = await startNode({ ...env, NODE_ID: 'drain-b' });
    balancer = new Balancer([nodeA.port, nodeB.port]);
  });
  after(async () => {
    for (const device of devices) device.client.stop();
    await balancer?.close();
    await Promise.all([nodeA?.stop('SIGKILL'), nodeB?.stop('SIGKILL')]);
    await store?.dispose();
  });

  it('leaves every client with every message exactly once, in order, and spreads the reconnections over the drain window', async (t) => {
    const url = await balancer.listen();
    const users: TestUser[] = [];
    for (let i = 0; i < USERS; i++) users.push(await createUser(nodeB.url));
    for (const user of users) for (let d = 0; d < DEVICES_PER_USER; d++) devices.push(await openDevice(url, user, `${user.user.handle}#${d}`));
    const group = await devices[0]!.client.createGroup('drain', users.slice(1).map((u) => u.user.id));
    await waitUntil(() => devices.every((d) => d.client.store.has(group.id)), 15_000, 'every device to follow the group');
    const followedFrom = new Map(devices.map((d) => [d, d.client.store.get(group.id)!.summary.lastSeq]));

    // Who is on which node, and when each device comes back after the SIGTERM.
    let termAt = 0;
    const backLive: number[] = [];
    const moved = new Set<Device>();
    for (const device of devices) {
      device.client.on('status', (status) => {
        if (!termAt) return;
        if (status === 'offline') moved.add(device);
        // A device's first return to live after the signal is its reconnection.
        if (status === 'live' && moved.has(device) && !returned.has(device)) {
          returned.add(device);
          backLive.push(Date.now() - termAt);
        }
      });
    }
    const returned = new Set<Device>();

    let sending = true;
    const acked: Message[] = [];
    let attempted = 0;
    const senders = devices.map(async (device, i) => {
      await sleep((i * SEND_EVERY_MS) / devices.length);
      for (let n = 0; sending; n++) {
        attempted++;
        acked.push(await device.client.sendMessage(group.id, `${device.name} ${n}`));
        await sleep(SEND_EVERY_MS);
      }
    });

    await sleep(1_500);
    termAt = Date.now();
    const exitCode = nodeA.stop('SIGTERM');
    const code = await exitCode;
    const drainMs = Date.now() - termAt;
    assert.equal(code, 0, 'the drained node exits 0');
    await sleep(2_000);
    sending = false;
    await Promise.all(senders);

    // The server's log: every acknowledged message once, nothing else.
    const log: any[] = [];
    for (let from = 0; ;) {
      const page = expectOk(await http(nodeB.url, 'GET', `/v1/conversations/${group.id}/messages?after=${from}&limit=200`, { token: users[0]!.token }));
      log.push(...page.messages);
      if (!page.hasMore) break;
      from = page.messages.at(-1).seq;
    }
    const ids = log.map((m) => m.clientMsgId);
    assert.equal(new Set(ids).size, ids.length, 'no message stored twice');
    assert.deepEqual([...ids].sort(), acked.map((m) => m.clientMsgId).sort(), 'exactly the acknowledged messages are stored');
    assert.equal(acked.length, attempted);

    // Every device: every event once, in seq order, up to the end.
    const { lastSeq } = expectOk(await http(nodeB.url, 'GET', `/v1/conversations/${group.id}/events?after=0&limit=1`, { token: users[0]!.token }));
    await waitUntil(() => devices.every((d) => d.client.status === 'live' && d.client.store.get(group.id)!.summary.lastSeq >= lastSeq && d.emitted.some((e) => e.conversationId === group.id && e.seq === lastSeq)), 20_000, 'every device to catch up');
    for (const device of devices) {
      const seqs = device.emitted.filter((e) => e.conversationId === group.id).map((e) => e.seq);
      const from = followedFrom.get(device)!;
      assert.deepEqual(seqs, Array.from({ length: lastSeq - from }, (_, i) => from + 1 + i), `${device.name}: every event exactly once, in order`);
    }

    const perSecond = new Map<number, number>();
    for (const at of backLive) perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
    const peak = Math.max(0, ...perSecond.values());
    t.diagnostic(`SIGTERM -> exit 0 in ${drainMs} ms (DRAIN_WINDOW_MS=${DRAIN_WINDOW_MS}); ${moved.size} of ${devices.length} clients were on the drained node and reconnected, ` +
      `between ${Math.min(...backLive)} and ${Math.max(...backLive)} ms after the signal; peak ${peak} reconnections/s ` +
      `(${(moved.size / (DRAIN_WINDOW_MS / 1000)).toFixed(1)}/s averaged over the window); ${acked.length} messages, none lost or duplicated`);
    assert.ok(moved.size >= 1, 'some clients were on the drained node');
    assert.equal(returned.size, moved.size, 'every moved client came back');
    assert.ok(drainMs >= DRAIN_WINDOW_MS * 0.5, `the drain took the window (${drainMs} ms)`);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresBackend, type Store } from '../../packages/server/test/support/backends.ts';
import { hasPostgres, hasRedis, redisUrl } from '../../packages/server/test/support/services.ts';
import { ADMIN_KEY, createUser, expectOk, http, JWT_SECRET } from '../../packages/server/test/support/test-app.ts';
import { TestSocket } from '../../packages/server/test/support/ws-client.ts';
import { type NodeProcess, startNode } from './processes.ts';

const TTL = 3_000;

describe('presence across two server processes on Redis', { skip: !(hasPostgres && hasRedis) }, () => {
  let store: Store;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  before(async () => {
    store = await postgresBackend.create();
    const env = { ...store.env, REDIS_URL: redisUrl, ADMIN_API_KEY: ADMIN_KEY, JWT_SECRET, PRESENCE_TTL_MS: String(TTL) };
    nodeA = await startNode({ ...env, NODE_ID: 'presence-a' });
    nodeB = await startNode({ ...env, NODE_ID: 'presence-b' });
  });
  after(async () => {
    await Promise.all([nodeA?.stop('SIGKILL'), nodeB?.stop('SIGKILL')]);
    await store?.dispose();
  });

  it('shows a user connected to one node as online on the other, and offline at once after a goodbye', async () => {
    const owner = await createUser(nodeA.url);
    const watcher = await createUser(nodeB.url);
    expectOk(await http(nodeB.url, 'POST', '/v1/conversations', { token: watcher.token, body: { kind: 'direct', userId: owner.user.id } }));
    const onB = await TestSocket.open(`${nodeB.url.replace(/^http/, 'ws')}/v1/ws`, watcher.token);
    try {
      const onA = await TestSocket.open(`${nodeA.url.replace(/^http/, 'ws')}/v1/ws`, owner.token);
      await onB.next((f) => f.t === 'presence' && f.presence.userId === owner.user.id && f.presence.status === 'online');
      const closedAt = Date.now();
      onA.close();
      await onB.next((f) => f.t === 'presence' && f.presence.status === 'offline', 5_000);
      assert.ok(Date.now() - closedAt < 1_000, 'a goodbye is announced at once');
    } finally {
      onB.close();
    }
  });

  it('stops showing the users of a node killed with SIGKILL as online within the TTL', async (t) => {
    const owner = await createUser(nodeA.url);
    const watcher = await createUser(nodeB.url);
    expectOk(await http(nodeB.url, 'POST', '/v1/conversations', { token: watcher.token, body: { kind: 'direct', userId: owner.user.id } }));
    const onB = await TestSocket.open(`${nodeB.url.replace(/^http/, 'ws')}/v1/ws`, watcher.token);
    try {
      await TestSocket.open(`${nodeA.url.replace(/^http/, 'ws')}/v1/ws`, owner.token);
      await onB.next((f) => f.t === 'presence' && f.presence.userId === owner.user.id && f.presence.status === 'online');
      // Let at least one heartbeat pass, so the entry is not simply younger than the kill.
      await new Promise((resolve) => setTimeout(resolve, TTL / 2));
      const killedAt = Date.now();
      await nodeA.stop('SIGKILL');
      const offline = await onB.next((f) => f.t === 'presence' && f.presence.userId === owner.user.id && f.presence.status === 'offline', TTL + 5_000);
      const elapsed = Date.now() - killedAt;
      t.diagnostic(`presence expired ${elapsed} ms after SIGKILL (PRESENCE_TTL_MS=${TTL}; heartbeat every ${TTL / 3} ms, sweep every ${Math.min(1_000, TTL / 4)} ms)`);
      assert.ok(elapsed <= TTL + 1_500, `offline after ${elapsed} ms`);
      assert.ok(offline.presence.lastSeenAt !== null && Date.parse(offline.presence.lastSeenAt) <= killedAt + 100, 'last seen is the last heartbeat before the kill');
      const { presence } = expectOk(await http(nodeB.url, 'GET', `/v1/presence/${owner.user.id}`, { token: watcher.token }));
      assert.equal(presence.status, 'offline');
    } finally {
      onB.close();
    }
  });
});

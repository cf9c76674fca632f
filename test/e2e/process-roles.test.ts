import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresBackend, type Store } from '../../packages/server/test/support/backends.ts';
import { hasPostgres, hasRedis, redisUrl } from '../../packages/server/test/support/services.ts';
import { ADMIN_KEY, createUser, expectOk, http, JWT_SECRET } from '../../packages/server/test/support/test-app.ts';
import { TestSocket } from '../../packages/server/test/support/ws-client.ts';
import { waitUntil } from './harness.ts';
import { type NodeProcess, startNode } from './processes.ts';

/**
 * ROLE split into processes that share PostgreSQL and Redis: a message sent over HTTP to an
 * api process reaches a socket on a gateway process, and background jobs (the push worker
 * here) run only on the worker process.
 */
describe('gateway, api and worker processes on one PostgreSQL and Redis', { skip: !(hasPostgres && hasRedis) }, () => {
  let store: Store;
  let db: pg.Client;
  const nodes: NodeProcess[] = [];
  let api: NodeProcess;
  let gateway: NodeProcess;
  let env: Record<string, string>;
  const sockets: TestSocket[] = [];

  before(async () => {
    store = await postgresBackend.create();
    // Outbox rows are due at once and polled often: a process that runs the push worker empties them quickly.
    env = { ...store.env, REDIS_URL: redisUrl, ADMIN_API_KEY: ADMIN_KEY, JWT_SECRET, PUSH_ONLINE_GRACE_MS: '0', PUSH_POLL_MS: '50', REDIS_KEY_PREFIX: `parley-roles-${process.pid}:` };
    api = await startNode({ ...env, ROLE: 'api', NODE_ID: 'api-1' });
    gateway = await startNode({ ...env, ROLE: 'gateway', NODE_ID: 'gateway-1' });
    nodes.push(api, gateway);
    db = new pg.Client({ connectionString: store.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await db?.end();
    await store?.dispose();
  });

  const outboxRows = async (messageId: string) => Number((await db.query('select count(*) as n from push_outbox where message_id = $1', [messageId])).rows[0].n);

  it('each process says what it runs, and serves only its part', async () => {
    assert.equal(api.started.role, 'api');
    assert.deepEqual(api.started.jobs, []);
    assert.equal(gateway.started.role, 'gateway');
    assert.deepEqual(gateway.started.jobs, []);
    // Probes everywhere; the API only on api processes, with a typed answer elsewhere.
    for (const node of [api, gateway]) assert.equal((await http(node.url, 'GET', '/readyz')).status, 200);
    const refused = await http(gateway.url, 'POST', '/v1/admin/users', { token: ADMIN_KEY, body: { handle: 'nobody', displayName: 'nobody' } });
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error.code, 'not_found');
    assert.match(refused.body.error.message, /ROLE=gateway/);
    // An api process takes no sockets.
    const upgrade = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`${api.url.replace(/^http/, 'ws')}/v1/ws`);
      socket.onopen = () => resolve('open');
      socket.onerror = () => resolve('refused');
    });
    assert.equal(upgrade, 'refused');
  });

  it('delivers a message sent through the api process to a socket on the gateway, and only the worker drains its push outbox', async () => {
    const alice = await createUser(api.url);
    const bob = await createUser(api.url);
    const carol = await createUser(api.url);
    const { conversation } = expectOk(await http(api.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'group', title: 'roles', memberIds: [bob.user.id, carol.user.id] } }));
    const bobOnGateway = await TestSocket.open(`${gateway.url.replace(/^http/, 'ws')}/v1/ws`, bob.token);
    sockets.push(bobOnGateway);

    const { message } = expectOk(await http(api.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { clientMsgId: 'roles-1', text: 'from the api process' } }));
    const live = await bobOnGateway.next((frame) => frame.t === 'event' && frame.event.type === 'message.created' && frame.event.data.message.id === message.id);
    assert.equal(live.event.seq, message.seq);
    // Delivered live, and still queued for push (carol is offline): neither api nor gateway ran the push worker.
    assert.equal(await outboxRows(message.id), 1, 'the outbox row waits for a worker');

    const worker = await startNode({ ...env, ROLE: 'worker', NODE_ID: 'worker-1' });
    nodes.push(worker);
    assert.equal(worker.started.role, 'worker');
    assert.deepEqual(worker.started.jobs, ['call-sweep', 'push-worker', 'file-sweep', 'retention', 'exports']);
    await waitUntil(async () => (await outboxRows(message.id)) === 0, 15_000, 'the worker to drain the outbox row');
    // The worker serves no API and no sockets.
    assert.equal((await http(worker.url, 'GET', `/v1/conversations/${conversation.id}`, { token: alice.token })).status, 404);
  });
});

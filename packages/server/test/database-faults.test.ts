import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeClass, CloseCodes } from '@parley/protocol';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, openDatabase } from '../src/platform/db/index.ts';
import { asAppError } from '../src/platform/errors.ts';
import { createLogger } from '../src/platform/logger.ts';
import { call, conversationLog, direct, waitFor } from './support/api.ts';
import { postgresBackend, type Store } from './support/backends.ts';
import { hasPostgres, postgresUrl } from './support/services.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * PostgreSQL restarting or failing over under a running node: the node stays up, answers
 * `unavailable` (retryable) while the database is gone, never signs anyone out over it, and
 * loses no acknowledged message. The cut is a TCP relay in front of the machine's
 * PostgreSQL (support/tcp-proxy.ts), so only the app under test sees the outage.
 */
describe('PostgreSQL restarts (postgres)', { skip: !hasPostgres }, () => {
  it('a transaction whose connection is terminated between two statements fails as unavailable, and the next one works', async () => {
    const store = await postgresBackend.create();
    const db: Database = await openDatabase({ databaseUrl: store.env.DATABASE_URL!, dataDir: store.dataDir, poolSize: 2, sqliteSynchronous: 'FULL', logger: createLogger({ level: 'silent', nodeId: 'test' }) });
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      const failure = await db.kysely.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await sql`select 1`.execute(trx);
      }).then(() => null, (error: unknown) => error);
      assert.ok(failure, 'the statement after the terminated backend must fail');
      assert.equal(asAppError(failure).code, 'unavailable', `got ${String(failure)}`);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      assert.equal(rows[0]!.one, 1);
    } finally {
      await admin.end();
      await db.close();
      await store.dispose();
    }
  });

  describe('a node whose database goes away under traffic', () => {
    let store: Store;
    let proxy: TcpProxy;
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversationId: string;

    before(async () => {
      store = await postgresBackend.create();
      proxy = await startTcpProxy(store.env.DATABASE_URL!, 5432);
      t = await startApp(postgresBackend, { store, env: { DATABASE_URL: proxy.url } });
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      conversationId = (await direct(t, alice, bob)).id;
    });

    after(async () => {
      await t?.close();
      await proxy?.close();
      await store?.dispose();
    });

    it('stays up, answers unavailable while it is gone, and keeps every acknowledged send exactly once', async () => {
      const results: Array<{ clientMsgId: string; status: number; code?: string }> = [];
      let running = true;
      let next = 0;
      const sender = async (lane: number) => {
        while (running) {
          const clientMsgId = `fault-${lane}-${++next}`;
          const response = await call(t, alice, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId, text: clientMsgId });
          results.push({ clientMsgId, status: response.status, code: response.body?.error?.code });
        }
      };
      const lanes = [0, 1, 2, 3].map(sender);
      const count = (status: number) => results.filter((result) => result.status === status).length;

      await waitFor(() => count(200) >= 20, 'sends before the outage', 30_000);
      proxy.cut();
      await waitFor(() => count(503) >= 8, 'sends refused during the outage', 30_000);

      // Authentication during the outage: retryable, never "your token is bad".
      const socket = await TestSocket.open(t.wsUrl);
      socket.send({ t: 'auth', id: 'a1', token: bob.token });
      const answer = await socket.next((frame) => frame.t === 'error' && frame.id === 'a1', 15_000);
      assert.equal(answer.error.code, 'unavailable');
      const closeCode = await socket.closed(15_000);
      assert.equal(closeCode, CloseCodes.tryAgainLater);
      assert.equal(closeClass(closeCode), 'resume');
      const me = await call(t, bob, 'GET', '/v1/me');
      assert.equal(me.status, 503);
      assert.equal(me.body.error.code, 'unavailable');

      proxy.restore();
      const acknowledgedBeforeRestore = count(200);
      await waitFor(() => count(200) >= acknowledgedBeforeRestore + 10, 'sends after the outage', 30_000);
      running = false;
      await Promise.all(lanes);

      const unexpected = results.filter((result) => result.status !== 200 && !(result.status === 503 && result.code === 'unavailable'));
      assert.deepEqual(unexpected, [], 'every send is either acknowledged or refused as unavailable');

      // A client retries what was refused with the same clientMsgId: it lands once, whether
      // or not the first try had committed before the connection was cut.
      for (const refused of results.filter((result) => result.status === 503)) {
        const retried = await call(t, alice, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId: refused.clientMsgId, text: refused.clientMsgId });
        assert.equal(retried.status, 200, JSON.stringify(retried.body));
      }

      const log = await conversationLog(t, alice, conversationId);
      assert.deepEqual(log.map((event) => event.seq), log.map((_, index) => index + 1), 'the log has no gap');
      const sent = log.filter((event) => event.type === 'message.created').map((event) => (event.data as { message: { clientMsgId: string } }).message.clientMsgId);
      assert.deepEqual([...sent].sort(), results.map((result) => result.clientMsgId).sort(), 'every send is in the log exactly once');

      const reconnected = await TestSocket.open(t.wsUrl, bob.token);
      assert.ok(reconnected.ready);
      reconnected.close();
    });
  });
});

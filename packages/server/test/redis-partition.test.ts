import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { privateServicesMissing, startPrivateRedis, type PrivateRedis } from '../../../test/e2e/private-services.ts';
import { waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { createUser, expectOk, http, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * A send on a node that cannot reach Redis is answered within a bounded time: Redis calls on
 * the send path (the shared rate limit) fail fast and fall back, instead of waiting for a
 * connection that is not coming. Both kinds of partition: refused (connections reset) and
 * silent (packets dropped, where only a command timeout notices). The Redis is a private
 * `redis-server` behind a TCP relay, so nothing else on the machine sees the outage.
 */
const ANSWER_WITHIN_MS = 1_500;
const missing = privateServicesMissing();

for (const backend of backends) {
  describe(`a send while the node cannot reach Redis is answered in bounded time (${backend.name})`, { skip: missing ?? false }, () => {
    let redis: PrivateRedis;
    let proxy: TcpProxy;
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversationId: string;
    const sockets: TestSocket[] = [];
    let clientMsgIds = 0;

    before(async () => {
      try {
        redis = await startPrivateRedis();
        proxy = await startTcpProxy(redis.url, 6379);
        t = await startApp(backend, { env: { REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '500' } });
        alice = await createUser(t.url);
        bob = await createUser(t.url);
        conversationId = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } })).conversation.id;
      } catch (error) {
        await t?.close();
        await proxy?.close();
        await redis?.dispose();
        throw error;
      }
    });

    after(async () => {
      for (const socket of sockets) socket.close();
      await t?.close();
      await proxy?.close();
      await redis?.dispose();
    });

    const readiness = async () => (await (await fetch(`${t.url}/readyz`)).json()) as { broker: string };

    /** Sends and returns how long the answer took and what it was (an ack's seq, or the refusal's code). */
    async function timedSend(socket: TestSocket, text: string): Promise<{ ms: number; seq?: number; code?: string; retryable?: boolean }> {
      const started = performance.now();
      try {
        const ack = await socket.request<{ seq: number }>('send', { conversationId, clientMsgId: `partition-${++clientMsgIds}`, text }, 10_000);
        return { ms: performance.now() - started, seq: ack.seq };
      } catch (error) {
        const body = (error as { body?: { code: string; retryable?: boolean } }).body;
        if (!body) throw error;
        return { ms: performance.now() - started, code: body.code, retryable: body.retryable };
      }
    }

    /** Every send answered within the bound, each one acknowledged or refused as retryable. */
    async function sendsAnsweredPromptly(socket: TestSocket, label: string): Promise<void> {
      for (let i = 0; i < 5; i++) {
        const answer = await timedSend(socket, `${label} ${i}`);
        assert.ok(answer.ms < ANSWER_WITHIN_MS, `${label}: send ${i} answered after ${Math.round(answer.ms)} ms`);
        assert.ok(answer.seq !== undefined || (answer.code === 'unavailable' && answer.retryable), `${label}: send ${i} got ${JSON.stringify(answer)}`);
      }
    }

    async function recovered(aliceSocket: TestSocket, bobSocket: TestSocket): Promise<void> {
      proxy.restore();
      await waitFor(async () => (await readiness()).broker === 'connected', 'the broker to reconnect', 20_000);
      const after = await timedSend(aliceSocket, 'after Redis is back');
      assert.ok(after.seq !== undefined, `acknowledged after recovery: ${JSON.stringify(after)}`);
      await bobSocket.next((frame) => frame.t === 'event' && frame.event.seq === after.seq, 10_000);
    }

    it('answers sends promptly while the relay refuses Redis connections, and recovers', async () => {
      const aliceSocket = await TestSocket.open(t.wsUrl, alice.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      sockets.push(aliceSocket, bobSocket);
      assert.ok((await timedSend(aliceSocket, 'before')).seq !== undefined);
      proxy.cut();
      await sendsAnsweredPromptly(aliceSocket, 'refused partition');
      await recovered(aliceSocket, bobSocket);
    });

    it('answers sends promptly during a silent partition (packets dropped), and recovers', async () => {
      const aliceSocket = await TestSocket.open(t.wsUrl, alice.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      sockets.push(aliceSocket, bobSocket);
      assert.ok((await timedSend(aliceSocket, 'before')).seq !== undefined);
      proxy.stall();
      await sendsAnsweredPromptly(aliceSocket, 'silent partition');
      await recovered(aliceSocket, bobSocket);
    });
  });
}

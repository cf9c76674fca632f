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
 * silent (packets dropped, where only a command timeout notices). The broker notices a
 * silent partition too (its connections are pinged and reset when silent): the cut node
 * says `unavailable` and serves its own sockets live, a second node that still reaches
 * Redis goes on working, and after the partition every socket ends with every message
 * once. The Redis is a private `redis-server` behind a TCP relay (only node A goes through
 * it), so nothing else on the machine sees the outage.
 */
const ANSWER_WITHIN_MS = 1_500;
/** How soon the broker must say `unavailable` in a silent partition: nominally 0.75 s (500 ms of silence plus a ping interval); the rest is room for a loaded machine. */
const NOTICE_WITHIN_MS = 5_000;
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

    /**
     * What a device holds once it caught up as the SDK does: the messages delivered live, then
     * a `sync` from the last seq it holds without a gap (the log fills what live delivery
     * missed). Asserts that live delivery never brought one event twice. Returns the seqs of
     * the messages from `from` on, in order.
     */
    async function caughtUp(socket: TestSocket, from: number, label: string): Promise<number[]> {
      const live = socket.events(conversationId).map((event) => event.seq as number).filter((seq) => seq >= from);
      assert.equal(new Set(live).size, live.length, `${label}: an event delivered live twice: ${live.join(',')}`);
      let held = from;
      while (live.includes(held + 1)) held++;
      const { conversations } = await socket.request<{ conversations: Array<{ id: string; events: Array<{ seq: number; type: string }>; hasMore: boolean }> }>('sync', { conversations: [{ id: conversationId, after: held }] });
      const synced = conversations.find((entry) => entry.id === conversationId);
      assert.ok(!synced?.hasMore, `${label}: one page is enough here`);
      const messages = new Map<number, string>();
      for (const event of [...socket.events(conversationId), ...(synced?.events ?? [])]) {
        if (event.seq >= from && event.type === 'message.created') messages.set(event.seq, event.type);
      }
      return [...messages.keys()].sort((a, b) => a - b);
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

    it('the broker notices a silent partition within its bound: sends on the cut node reach its own sockets live, sockets on another node catch up after recovery, nothing lost or delivered twice', async (context) => {
      // Node B shares the store and the private Redis, reached directly: only node A (t) is cut.
      const b = await startApp(backend, { store: t.store, env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' } });
      try {
        const aliceOnA = await TestSocket.open(t.wsUrl, alice.token);
        const bobOnA = await TestSocket.open(t.wsUrl, bob.token);
        const bobOnB = await TestSocket.open(b.wsUrl, bob.token);
        sockets.push(aliceOnA, bobOnA, bobOnB);
        const first = await timedSend(aliceOnA, 'before the partition');
        assert.ok(first.seq !== undefined);
        // Everyone has it live before the cut (caught-up lists start from it): node A hears its
        // own publish back through the proxy, which may still hold it when node B already has it.
        await Promise.all([aliceOnA, bobOnA, bobOnB].map((socket) => socket.next((frame) => frame.t === 'event' && frame.event.seq === first.seq, 10_000)));
        const acked = [first.seq];

        proxy.stall();
        const stalledAt = performance.now();
        // Sent into the silence before the node noticed: its publish fails in doubt (it may have
        // reached Redis), so the node's own sockets get it from the resync, not live.
        const inDoubt = await timedSend(aliceOnA, 'into the silence');
        assert.ok(inDoubt.seq !== undefined && inDoubt.ms < ANSWER_WITHIN_MS, `into the silence: ${JSON.stringify(inDoubt)}`);
        acked.push(inDoubt.seq);
        await waitFor(async () => (await readiness()).broker === 'unavailable', 'node A to notice the silent partition', NOTICE_WITHIN_MS);
        const noticedMs = performance.now() - stalledAt;
        context.diagnostic(`unavailable ${Math.round(noticedMs)} ms after the stall; the send into the silence answered in ${Math.round(inDoubt.ms)} ms`);
        assert.equal((await (await fetch(`${b.url}/readyz`)).json()).broker, 'connected', 'node B keeps its broker');

        // Live between the sockets of node A, answered within the bound.
        for (let i = 0; i < 3; i++) {
          const during = await timedSend(aliceOnA, `during the partition ${i}`);
          assert.ok(during.seq !== undefined && during.ms < ANSWER_WITHIN_MS, `during ${i}: ${JSON.stringify(during)}`);
          acked.push(during.seq);
          context.diagnostic(`send during the partition answered in ${Math.round(during.ms)} ms`);
          await bobOnA.next((frame) => frame.t === 'event' && frame.event.seq === during.seq, 10_000);
        }
        // Node B goes on working; node A does not hear it until the partition heals.
        const fromB = await timedSend(bobOnB, 'from node B during the partition');
        assert.ok(fromB.seq !== undefined);
        acked.push(fromB.seq);

        proxy.restore();
        const restoredAt = performance.now();
        await Promise.all([aliceOnA, bobOnA].map((socket) => socket.next((frame) => frame.t === 'resync', 20_000)));
        context.diagnostic(`resync ${Math.round(performance.now() - restoredAt)} ms after the partition healed`);
        await waitFor(async () => (await readiness()).broker === 'connected', 'node A to reconnect', 20_000);
        assert.ok(!bobOnB.frames.some((frame) => frame.t === 'resync'), 'node B had no outage');
        const afterwards = await timedSend(aliceOnA, 'after the partition');
        assert.ok(afterwards.seq !== undefined);
        acked.push(afterwards.seq);
        await Promise.all([aliceOnA, bobOnA, bobOnB].map((socket) => socket.next((frame) => frame.t === 'event' && frame.event.seq === afterwards.seq, 10_000)));

        for (const [label, socket] of [['alice on A', aliceOnA], ['bob on A', bobOnA], ['bob on B', bobOnB]] as const) {
          assert.deepEqual(await caughtUp(socket, first.seq!, label), acked, `${label}: every message, once, in order`);
        }
        assert.ok(noticedMs < NOTICE_WITHIN_MS, `noticed after ${Math.round(noticedMs)} ms`);
      } finally {
        await b.close();
      }
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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ParleyClient, type WebSocketLike } from '@parley/sdk';
import { backends } from '../../packages/server/test/support/backends.ts';
import { createUser, expectOk, http, signIn, startApp, type TestApp } from '../../packages/server/test/support/test-app.ts';
import { TestSocket } from '../../packages/server/test/support/ws-client.ts';
import { openDevice, waitUntil } from './harness.ts';

for (const backend of backends) {
  describe(`the SDK under failures (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('stores a send exactly once when the connection drops before its acknowledgement arrives', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const session = await signIn(t.url, alice.user.id);
      let cuts = 0;
      const client = new ParleyClient({
        baseUrl: t.url,
        session: { userId: session.user.id, accessToken: session.token, refreshToken: session.refreshToken, sessionId: session.sessionId },
        backoffBaseMs: 10,
        backoffMaxMs: 50,
        // The frame reaches the server; the socket dies before the ack can come back.
        createWebSocket: (url) => {
          const ws = new WebSocket(url);
          const send = ws.send.bind(ws);
          ws.send = (data: string) => {
            send(data);
            if (JSON.parse(data).t === 'send' && cuts === 0) {
              cuts++;
              ws.close(4000, 'cut after send');
            }
          };
          return ws as unknown as WebSocketLike;
        },
      });
      try {
        await client.start();
        await client.whenLive();
        const direct = await client.createDirect(bob.user.id);
        const message = await client.sendMessage(direct.id, 'exactly once, please');
        const history = expectOk(await http(t.url, 'GET', `/v1/conversations/${direct.id}/messages`, { token: bob.token }));
        const copies = history.messages.filter((m: { text: string }) => m.text === 'exactly once, please');
        assert.equal(copies.length, 1);
        assert.equal(copies[0].id, message.id);
        const { events } = expectOk(await http(t.url, 'GET', `/v1/conversations/${direct.id}/events?after=0`, { token: bob.token }));
        assert.equal(events.filter((e: { type: string }) => e.type === 'message.created').length, 1);
        assert.equal(cuts, 1, 'the first send was really cut after reaching the server');
      } finally {
        client.stop();
      }
    });

    it('shows every message sent while a device was offline once, in order, when it comes back', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const bobDevice = await openDevice(t.url, bob, 'bob');
      try {
        const { conversation } = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } }));
        await waitUntil(() => bobDevice.client.store.has(conversation.id), 5000, 'bob to follow the conversation');
        await bobDevice.client.loadMessages(conversation.id);
        bobDevice.client.stop();
        for (let i = 0; i < 30; i++) {
          expectOk(await http(t.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { clientMsgId: `offline-${i}`, text: `while you were away ${i}` } }));
        }
        await bobDevice.client.start();
        await bobDevice.client.whenLive();
        await waitUntil(() => bobDevice.client.store.get(conversation.id)!.summary.lastSeq === conversation.lastSeq + 30, 5000, 'bob to catch up');
        const texts = bobDevice.client.store.get(conversation.id)!.messages!.map((m) => m.text);
        assert.deepEqual(texts, Array.from({ length: 30 }, (_, i) => `while you were away ${i}`));
      } finally {
        bobDevice.client.stop();
      }
    });
  });

  describe(`the SDK across an access token's expiry (${backend.name})`, () => {
    const TOKEN_TTL_MS = 300_000;
    const GRACE_MS = 30_000;
    let t: TestApp;
    let now = Date.now();
    before(async () => {
      t = await startApp(backend, { clock: () => now, env: { ACCESS_TOKEN_TTL_SEC: String(TOKEN_TTL_MS / 1000), WS_REAUTH_GRACE_MS: String(GRACE_MS) } });
    });
    after(() => t.close());

    it('renews the token on the same socket when the server asks, so the connection and its place in the logs are kept', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const session = await signIn(t.url, alice.user.id);
      const sockets: WebSocketLike[] = [];
      const saved: string[] = [];
      const client = new ParleyClient({
        baseUrl: t.url,
        session: { userId: session.user.id, accessToken: session.token, refreshToken: session.refreshToken, sessionId: session.sessionId },
        onSession: (next) => next && saved.push(next.accessToken),
        createWebSocket: (url) => {
          const ws = new WebSocket(url) as unknown as WebSocketLike;
          sockets.push(ws);
          return ws;
        },
      });
      // Another device of Alice that never renews: its close shows the grace has been enforced.
      const stale = await TestSocket.open(t.wsUrl, (await signIn(t.url, alice.user.id)).token);
      try {
        await client.start();
        await client.whenLive();
        const direct = await client.createDirect(bob.user.id);
        now += TOKEN_TTL_MS + 10_000;
        await waitUntil(() => saved.some((token) => token !== session.token), 15_000, 'the SDK to renew its token');
        // The stale device was told in the same round: only then does moving past the grace mean anything.
        await stale.next((f) => f.t === 'reauth', 15_000);
        now += GRACE_MS + 1000;
        assert.equal(await stale.closed(15_000), 4101);
        const bobNow = await signIn(t.url, bob.user.id);
        expectOk(await http(t.url, 'POST', `/v1/conversations/${direct.id}/messages`, { token: bobNow.token, body: { clientMsgId: 'after-expiry', text: 'after the expiry' } }));
        await waitUntil(() => (client.store.get(direct.id)?.summary.lastMessage?.text ?? null) === 'after the expiry', 15_000, 'the message live');
        assert.equal(sockets.length, 1, 'one socket all along');
        assert.equal(client.status, 'live');
      } finally {
        client.stop();
        stale.close();
      }
    });
  });
}

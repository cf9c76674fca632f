import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { type BrowserSubscription, startWebPushService } from './support/push-services.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

type WebPushService = Awaited<ReturnType<typeof startWebPushService>>;

const PUSH_ENV = { WEB_PUSH_HOSTS: '127.0.0.1', PUSH_ONLINE_GRACE_MS: '0', PUSH_POLL_MS: '20', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '200', CALL_RING_TIMEOUT_MS: '30000' };

async function subscribe(t: TestApp, user: TestUser, service: WebPushService): Promise<BrowserSubscription> {
  const browser = service.subscribe();
  await ok(t, user, 'PUT', '/v1/me/devices/current/web-push', browser.toJSON());
  return browser;
}

const received = (service: WebPushService, browser: BrowserSubscription) => service.received.filter((r) => browser.endpoint.endsWith(r.path));
const ringRows = (t: TestApp, callId: string) => t.app.db.kysely.selectFrom('push_deliveries').select(['user_id', 'state', 'event_key']).where('event_key', 'like', `call:${callId}:%`).execute();

/**
 * Ringing a closed app: a call that starts pushes a high-priority "incoming call" to the
 * devices of callees with no socket open (through the Web Push service stand-in, which
 * decrypts what it gets), and a "ring stop" with the same topic once it is answered, declined,
 * missed or ended; a ring not sent by then is never sent.
 */
for (const backend of backends) {
  describe(`ringing by push (${backend.name})`, () => {
    let t: TestApp;
    let quiet: TestApp;
    let service: WebPushService;
    before(async () => {
      service = await startWebPushService();
      t = await startApp(backend, { env: PUSH_ENV });
      // A node that queues deliveries but sends none: what a stop does to rings not sent yet.
      quiet = await startApp(backend, { env: { ...PUSH_ENV, PUSH_WORKER: 'false' } });
    });
    after(async () => {
      await quiet?.close();
      await t?.close();
      await service?.close();
    });

    it('rings a callee whose app is closed with an urgent push that lives as long as the ring, and replaces it once answered; a callee online is rung on the socket only', async () => {
      const [caller, closed, online] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const closedBrowser = await subscribe(t, closed, service);
      const onlineBrowser = await subscribe(t, online, service);
      const onlineSocket = await TestSocket.open(t.wsUrl, online.token);
      try {
        await waitFor(async () => (await ok(t, caller, 'GET', `/v1/presence/${online.user.id}`)).presence.status === 'online', 'the online callee online');
        const room = await group(t, caller, 'Standup', [closed, online]);
        const started = await ok(t, caller, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'video' });
        const callId = started.call.id;
        await onlineSocket.next((f) => f.t === 'call_ring' && f.call.id === callId);
        await waitFor(() => received(service, closedBrowser).length === 1, 'the ring pushed to the closed app');
        const [ring] = received(service, closedBrowser);
        assert.equal(ring!.message.title, caller.user.displayName);
        assert.equal(ring!.message.body, 'Incoming video call');
        assert.deepEqual(ring!.message.data, { conversationId: room.id, seq: 0, messageId: '', badge: 0, mention: false, kind: 'call_ring', callId, callKind: 'video' });
        assert.equal(ring!.headers.urgency, 'high');
        // Kept by the push service no longer than the ring lasts.
        const ttl = Number(ring!.headers.ttl);
        assert.ok(ttl > 0 && ttl <= 30, `TTL ${ttl}`);
        // The closed app opens from the notification and answers: the ringing notification is replaced (same topic).
        await ok(t, closed, 'POST', `/v1/calls/${callId}/accept`);
        await waitFor(() => received(service, closedBrowser).length === 2, 'the ring stop pushed');
        const stop = received(service, closedBrowser)[1]!;
        assert.equal(stop.message.data.kind, 'call_ring_stop');
        assert.equal(stop.message.data.callId, callId);
        assert.equal(stop.message.body, 'Answered on another device');
        assert.equal(stop.headers.topic, ring!.headers.topic);
        // The callee with a socket open was rung there, never by push.
        await ok(t, caller, 'POST', `/v1/calls/${callId}/end`);
        assert.equal(received(service, onlineBrowser).length, 0);
        assert.deepEqual((await ringRows(t, callId)).map((r) => [r.user_id === closed.user.id, r.state, r.event_key.split(':')[2]]).sort(), [[true, 'sent', 'ring'], [true, 'sent', 'stop']]);
      } finally {
        onlineSocket.close();
      }
    });

    it('tells a rung device the call was missed when the ring runs out or the caller hangs up', async () => {
      const [caller, callee] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const browser = await subscribe(t, callee, service);
      const chat = await direct(t, caller, callee);
      const started = await ok(t, caller, 'POST', `/v1/conversations/${chat.id}/calls`, { kind: 'voice' });
      await waitFor(() => received(service, browser).length === 1, 'the ring pushed');
      assert.equal(received(service, browser)[0]!.message.body, 'Incoming voice call');
      await ok(t, caller, 'POST', `/v1/calls/${started.call.id}/end`);
      await waitFor(() => received(service, browser).length === 2, 'the stop pushed');
      const stop = received(service, browser)[1]!.message;
      assert.deepEqual([stop.title, stop.data.kind, stop.data.callId], ['Missed call', 'call_ring_stop', started.call.id]);
    });

    it('never sends a ring that stopped before it was sent, nor a stop for it', async () => {
      const [caller, callee] = await Promise.all([createUser(quiet.url), createUser(quiet.url)]);
      await subscribe(quiet, callee, service);
      const chat = await direct(quiet, caller, callee);
      const started = await ok(quiet, caller, 'POST', `/v1/conversations/${chat.id}/calls`, { kind: 'voice' });
      assert.deepEqual((await ringRows(quiet, started.call.id)).map((r) => [r.state, r.event_key.split(':')[2]]), [['pending', 'ring']]);
      await ok(quiet, callee, 'POST', `/v1/calls/${started.call.id}/decline`);
      await waitFor(async () => (await ringRows(quiet, started.call.id))[0]?.state === 'gone', 'the ring dropped');
      assert.deepEqual((await ringRows(quiet, started.call.id)).map((r) => [r.state, r.event_key.split(':')[2]]), [['gone', 'ring']]);
    });
  });
}

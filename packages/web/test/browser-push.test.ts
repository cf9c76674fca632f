import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startWebPushService } from '../../server/test/support/push-services.ts';
import { createUser, expectOk, http, type TestApp } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, newPerson } from './support/browser.ts';
import { signUp, uniqueHandle } from './support/chat.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';

/**
 * Web Push in Chromium: the page subscribes through its service worker and the SDK, a
 * message while the app is closed becomes an encrypted push that the test's push service
 * decrypts with the subscription's private key, and the push delivered to the service
 * worker shows the notification.
 *
 * Chromium's own push service is Google's, out of reach here: the page's
 * `PushManager.subscribe` answers with a subscription on the test's push service, whose
 * keys the test made (so it holds the private half, as a browser does). Everything else —
 * permission, service worker, VAPID key, registration with the server, encryption — is real.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

describe('Web Push in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;
  let service: Awaited<ReturnType<typeof startWebPushService>>;

  before(async () => {
    service = await startWebPushService();
    suite = await startBrowserSuite({ env: { WEB_PUSH_HOSTS: '127.0.0.1', PUSH_ONLINE_GRACE_MS: '0', PUSH_POLL_MS: '50' } });
    ({ server, browser } = suite);
  });

  after(async () => {
    await suite?.close();
    await service.close();
  });

  it('subscribes after the user allows notifications; a message while the app is closed arrives encrypted, decrypts, and shows as a notification', async () => {
    const subscription = service.subscribe();
    const bob = await newPerson(browser, server.url);
    await bob.context.grantPermissions(['notifications'], { origin: server.url });
    await bob.context.addInitScript((fake: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } }) => {
      const made = () => ({ endpoint: fake.endpoint, expirationTime: null, options: {}, getKey: () => null, toJSON: () => fake, unsubscribe: async () => true });
      let subscribed = false;
      const page = window as unknown as { __applicationServerKey?: string };
      PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
        const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer);
        page.__applicationServerKey = btoa(String.fromCharCode(...key)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        subscribed = true;
        return made() as unknown as PushSubscription;
      };
      PushManager.prototype.getSubscription = async function () {
        return (subscribed ? made() : null) as unknown as PushSubscription | null;
      };
    }, subscription.toJSON());
    const bobHandle = uniqueHandle('bob');
    await signUp(bob.page, bobHandle, 'Bob Baker');

    await bob.page.getByRole('button', { name: 'Settings and profile' }).click();
    await bob.page.getByLabel('Notify me on this browser').click();
    await bob.page.getByText('Notifications are on for this browser.').waitFor();
    const { publicKey } = expectOk(await http(server.url, 'GET', '/v1/push/vapid-key'));
    assert.equal(await bob.page.evaluate(() => (window as unknown as { __applicationServerKey?: string }).__applicationServerKey), publicKey, 'subscribed with the server\'s VAPID key');
    const stored = await server.app.db.kysely.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select(['sessions.push_platform', 'sessions.push_keys', 'users.id']).where('sessions.push_token', '=', subscription.endpoint).executeTakeFirstOrThrow();
    assert.equal(stored.push_platform, 'webpush');
    assert.deepEqual(JSON.parse(stored.push_keys!), subscription.toJSON().keys);

    const alice = await createUser(server.url);
    const direct = expectOk(await http(server.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: stored.id } })).conversation;
    // Bob closes the app.
    await bob.page.close();
    await eventually(async () => assert.equal(expectOk(await http(server.url, 'GET', `/v1/presence/${stored.id}`, { token: alice.token })).presence.status, 'offline'), 'Bob offline');
    const sent = expectOk(await http(server.url, 'POST', `/v1/conversations/${direct.id}/messages`, { token: alice.token, body: { clientMsgId: 'dinner', text: 'Dinner at eight?' } })).message;

    await eventually(async () => assert.equal(service.received.length, 1), 'the encrypted push at the push service');
    const push = service.received[0]!.message;
    assert.deepEqual({ title: push.title, body: push.body, conversationId: push.data.conversationId, seq: push.data.seq, badge: push.data.badge }, { title: alice.user.displayName, body: 'Dinner at eight?', conversationId: direct.id, seq: sent.seq, badge: 1 });

    // The push service hands the message to Chromium, which wakes the service worker with it.
    const blank = await bob.context.newPage();
    const cdp = await bob.context.newCDPSession(blank);
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
      for (const registration of updated) registrations.set(registration.scopeURL, registration.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    const registrationId = await eventually(async () => {
      const id = registrations.get(`${server.url}/`);
      assert.ok(id, 'the service worker registration');
      return id;
    }, 'the registration');
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.url, registrationId, data: JSON.stringify(push) });
    // Read from a page of the app opened afterwards (the worker that showed it may have been stopped since).
    await blank.goto(`${server.url}/favicon.svg`);
    const shown = await eventually(async () => {
      const notifications = await blank.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration('/');
        return (await registration!.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as { conversationId: string } }));
      });
      assert.equal(notifications.length, 1);
      return notifications[0]!;
    }, 'the notification');
    assert.deepEqual({ title: shown.title, body: shown.body, tag: shown.tag, conversationId: shown.data.conversationId }, { title: alice.user.displayName, body: 'Dinner at eight?', tag: direct.id, conversationId: direct.id });
    await bob.context.close();
  });
});

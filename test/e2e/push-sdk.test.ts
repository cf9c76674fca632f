import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UserEvent } from '@parley/protocol';
import { sqliteBackend } from '../../packages/server/test/support/backends.ts';
import { startWebPushService } from '../../packages/server/test/support/push-services.ts';
import { createUser, startApp, type TestApp } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, waitUntil } from './harness.ts';

describe('push notifications through the SDK', () => {
  let t: TestApp;
  let service: Awaited<ReturnType<typeof startWebPushService>>;
  const devices: Device[] = [];
  before(async () => {
    service = await startWebPushService();
    t = await startApp(sqliteBackend, { env: { WEB_PUSH_HOSTS: '127.0.0.1', PUSH_ONLINE_GRACE_MS: '0', PUSH_POLL_MS: '20' } });
  });
  after(async () => {
    for (const device of devices) device.client.stop();
    await t.close();
    await service.close();
  });

  it('subscribes a service worker with the server\'s VAPID key, keeps choices in step across devices, and the closed app gets the encrypted push', async () => {
    const alice = await createUser(t.url);
    const bob = await createUser(t.url);
    const [sender, phone, laptop] = [await openDevice(t.url, alice, 'alice'), await openDevice(t.url, bob, 'phone'), await openDevice(t.url, bob, 'laptop')];
    devices.push(sender, phone, laptop);
    const heard: UserEvent[] = [];
    laptop.client.on('userEvent', (event) => heard.push(event));

    const browser = service.subscribe();
    let asked: { userVisibleOnly: boolean; applicationServerKey: Uint8Array } | null = null;
    const registration = {
      pushManager: {
        getSubscription: async () => null,
        subscribe: async (options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }) => {
          asked = options;
          return browser;
        },
      },
    };
    assert.equal(await phone.client.subscribeWebPush(registration), true);
    const key = await phone.client.vapidPublicKey();
    assert.deepEqual(Buffer.from(asked!.applicationServerKey).toString('base64url'), key);
    assert.equal(asked!.userVisibleOnly, true);

    assert.deepEqual(await phone.client.setPushSettings({ previews: true }), { enabled: true, previews: true });
    const direct = await sender.client.createDirect(bob.user.id);
    await waitUntil(() => phone.client.store.has(direct.id), 5_000, 'bob to follow the conversation');
    assert.deepEqual(await phone.client.setConversationPushSettings(direct.id, { mode: 'mentions' }), { mode: 'mentions', mutedUntil: null });
    assert.deepEqual(await laptop.client.conversationPushSettings(direct.id), { mode: 'mentions', mutedUntil: null });
    await waitUntil(() => heard.some((e) => e.type === 'conversation_push.updated'), 5_000, 'the laptop to hear of the change');
    assert.ok(heard.some((e) => e.type === 'push_settings.updated'));
    await phone.client.setConversationPushSettings(direct.id, { mode: 'all' });

    // Bob closes both apps; a message now reaches the phone's browser as a push.
    phone.client.stop();
    laptop.client.stop();
    await waitUntil(async () => (await fetch(`${t.url}/v1/presence/${bob.user.id}`, { headers: { authorization: `Bearer ${alice.token}` } }).then((r) => r.json())).presence.status === 'offline', 5_000, 'bob offline');
    const message = await sender.client.sendMessage(direct.id, 'are you there?');
    await waitUntil(() => service.received.length === 1, 10_000, 'the push');
    const push = service.received[0]!.message;
    assert.deepEqual([push.title, push.body, push.data.conversationId, push.data.seq], [alice.user.displayName, 'are you there?', direct.id, message.seq]);
  });
});

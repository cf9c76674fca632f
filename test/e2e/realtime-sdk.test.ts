import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { sqliteBackend } from '../../packages/server/test/support/backends.ts';
import { createUser, expectOk, http, startApp, type TestApp } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, waitUntil } from './harness.ts';

const TYPING_TTL = 1_200;

describe('typing, presence, devices and rate limits through the SDK', () => {
  let t: TestApp;
  const devices: Device[] = [];
  before(async () => {
    t = await startApp(sqliteBackend, { env: { TYPING_TTL_MS: String(TYPING_TTL), TYPING_THROTTLE_MS: '300', RATE_LIMIT_SENDS_PER_USER: '3:4' } });
  });
  after(async () => {
    for (const device of devices) device.client.stop();
    await t.close();
  });

  it('shows who is typing until it stops on its own, or until their message arrives', async () => {
    const alice = await createUser(t.url);
    const bob = await createUser(t.url);
    const [typist, reader] = [await openDevice(t.url, alice, 'alice'), await openDevice(t.url, bob, 'bob')];
    devices.push(typist, reader);
    const pair = await typist.client.createDirect(bob.user.id);
    await waitUntil(() => reader.client.store.has(pair.id), 5_000, 'bob to follow the conversation');
    const changes: string[][] = [];
    reader.client.on('typing', ({ conversationId, userIds }) => conversationId === pair.id && changes.push(userIds));
    const firstNotify = Date.now();
    typist.client.notifyTyping(pair.id);
    await waitUntil(() => reader.client.typingIn(pair.id).includes(alice.user.id), 5_000, 'bob to see alice typing');
    const seenAt = Date.now();
    await waitUntil(() => reader.client.typingIn(pair.id).length === 0, TYPING_TTL + 2_000, 'the indicator to expire');
    const lasted = Date.now() - seenAt;
    assert.ok(lasted >= TYPING_TTL - 200 && lasted <= TYPING_TTL + 1_000, `it lasted ${lasted} ms`);
    assert.deepEqual(changes, [[alice.user.id], []]);
    // Typing, then the message: the message ends the indicator at once.
    // The SDK renews at most every 2 s (typingIntervalMs).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstNotify + 2_100 - Date.now())));
    typist.client.notifyTyping(pair.id);
    await waitUntil(() => reader.client.typingIn(pair.id).length === 1, 5_000, 'typing again');
    const sent = await typist.client.sendMessage(pair.id, 'here it is');
    await waitUntil(() => reader.emitted.some((e) => e.seq === sent.seq), 5_000, 'the message');
    assert.deepEqual(reader.client.typingIn(pair.id), []);
  });

  it('keeps the presence of direct peers and subscribed users current', async () => {
    const alice = await createUser(t.url);
    const bob = await createUser(t.url);
    const carol = await createUser(t.url);
    const watcher = await openDevice(t.url, alice, 'alice');
    devices.push(watcher);
    await watcher.client.createDirect(bob.user.id);
    const bobDevice = await openDevice(t.url, bob, 'bob');
    await waitUntil(() => watcher.client.presenceOf(bob.user.id)?.status === 'online', 5_000, 'bob online');
    assert.equal((await watcher.client.subscribePresence([carol.user.id]))[0]!.status, 'offline');
    const carolDevice = await openDevice(t.url, carol, 'carol');
    await waitUntil(() => watcher.client.presenceOf(carol.user.id)?.status === 'online', 5_000, 'carol online (subscribed)');
    bobDevice.client.stop();
    carolDevice.client.stop();
    await waitUntil(() => watcher.client.presenceOf(bob.user.id)?.status === 'offline' && watcher.client.presenceOf(carol.user.id)?.status === 'offline', 5_000, 'both offline');
    assert.ok(watcher.client.presenceOf(bob.user.id)!.lastSeenAt);
    // Subscriptions belong to a socket: they are renewed after a reconnect.
    watcher.cut();
    await waitUntil(() => watcher.client.status === 'live', 5_000, 'reconnected');
    const again = await openDevice(t.url, carol, 'carol again');
    devices.push(again);
    await waitUntil(() => watcher.client.presenceOf(carol.user.id)?.status === 'online', 5_000, 'carol online after the reconnect');
  });

  it('lists devices and signs one out: that client stops for good (4201) and cannot refresh', async () => {
    const dave = await createUser(t.url);
    const phone = await openDevice(t.url, dave, 'phone');
    const laptop = await openDevice(t.url, dave, 'laptop');
    devices.push(phone, laptop);
    const stopped = new Promise<{ code: number }>((resolve) => laptop.client.on('stopped', resolve));
    const listed = await phone.client.devices();
    assert.ok(listed.some((d) => d.id === laptop.user.sessionId && !d.current));
    assert.ok(listed.some((d) => d.id === phone.user.sessionId && d.current));
    await phone.client.registerPushToken('fcm', `token-${dave.user.id}`);
    await phone.client.revokeDevice(laptop.user.sessionId);
    assert.equal((await stopped).code, CloseCodes.sessionRevoked);
    assert.equal(laptop.client.status, 'stopped');
    const refresh = await http(t.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: laptop.user.refreshToken } });
    assert.equal(refresh.status, 401);
    assert.equal((await phone.client.devices()).find((d) => d.current)!.pushPlatform, 'fcm');
  });

  it('rides out a rate limit: sends past the burst wait for the retry-after and are stored once each', async () => {
    const erin = await createUser(t.url);
    const frank = await createUser(t.url);
    const device = await openDevice(t.url, erin, 'erin');
    devices.push(device);
    const pair = await device.client.createDirect(frank.user.id);
    const started = Date.now();
    const sent = await Promise.all(Array.from({ length: 7 }, (_, i) => device.client.sendMessage(pair.id, `burst ${i}`)));
    assert.ok(Date.now() - started >= 500, 'the sends past the burst of 3 had to wait');
    const { messages } = expectOk(await http(t.url, 'GET', `/v1/conversations/${pair.id}/messages`, { token: erin.token }));
    assert.deepEqual(messages.map((m: any) => m.text).sort(), sent.map((m) => m.text).sort());
    assert.equal(messages.length, 7);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApnsProvider } from '../src/modules/push/providers/apns.provider.ts';
import { createFcmProvider } from '../src/modules/push/providers/fcm.provider.ts';
import type { PushNotification, PushProvider } from '../src/modules/push/providers/push-provider.ts';
import { generateVapidKeys } from '../src/modules/push/providers/web-push-crypto.ts';
import { createWebPushProvider } from '../src/modules/push/providers/web-push.provider.ts';
import { retryDelay } from '../src/modules/push/push.worker.ts';
import { apnsDeviceToken, apnsSigningKey, PAYLOAD_LIMIT, startApnsService, startFcmService, startWebPushService } from './support/push-services.ts';

function movableClock(start = Date.now()) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}

const notification = (overrides: Partial<PushNotification> = {}): PushNotification => ({
  title: 'Ada',
  body: 'Tea at five?',
  data: { conversationId: '0193a6f2-7c1e-7a30-9a0e-5d2c7b1f0a01', seq: 7, messageId: '0193a6f2-7c1e-7a30-9a0e-5d2c7b1f0a09', badge: 3, mention: false },
  collapseKey: '0193a6f2-7c1e-7a30-9a0e-5d2c7b1f0a01',
  ...overrides,
});

/** A body that makes every provider's payload exceed 4 KB unless it is shortened. */
const huge = 'ünïcødé text '.repeat(600);

describe('FCM HTTP v1 provider against a local OAuth token endpoint and send endpoint', () => {
  let fcm: Awaited<ReturnType<typeof startFcmService>>;
  let provider: PushProvider;
  const time = movableClock();
  before(async () => {
    fcm = await startFcmService();
    provider = createFcmProvider({ serviceAccount: fcm.serviceAccount, apiUrl: fcm.base, timeoutMs: 500, clock: time.clock });
  });
  after(async () => {
    await provider.close();
    await fcm.close();
  });

  it('exchanges a signed service-account JWT for an access token, caches it until it expires, and sends the message with string data and a per-conversation collapse key', async () => {
    assert.deepEqual(await provider.send({ token: 'fcm-token-1', keys: null }, notification()), { kind: 'sent' });
    assert.deepEqual(await provider.send({ token: 'fcm-token-2', keys: null }, notification()), { kind: 'sent' });
    assert.equal(fcm.tokenRequests.length, 1, 'one access token for both sends');
    const { message } = fcm.received[0]!;
    assert.equal(message.token, 'fcm-token-1');
    assert.deepEqual(message.notification, { title: 'Ada', body: 'Tea at five?' });
    assert.deepEqual(message.data, { conversationId: notification().data.conversationId, seq: '7', messageId: notification().data.messageId, badge: '3', mention: 'false' });
    assert.equal(message.android.collapse_key, notification().collapseKey);
    assert.equal(message.android.notification.notification_count, 3);
    assert.equal(message.apns.payload.aps.badge, 3);
    time.advance(3600_000);
    assert.deepEqual(await provider.send({ token: 'fcm-token-3', keys: null }, notification()), { kind: 'sent' });
    assert.equal(fcm.tokenRequests.length, 2, 'an expired access token is replaced');
  });

  it('answers UNREGISTERED as a dead token, 500 and 429 as retries (with Retry-After), a revoked access token by fetching a new one, and a hung endpoint as a retry after the timeout', async () => {
    fcm.unregistered.add('fcm-gone');
    assert.equal((await provider.send({ token: 'fcm-gone', keys: null }, notification())).kind, 'gone');
    fcm.script.push({ status: 500, body: { error: { code: 500, status: 'INTERNAL', message: 'Internal error' } } });
    assert.equal((await provider.send({ token: 'fcm-token-1', keys: null }, notification())).kind, 'retry');
    fcm.script.push({ status: 429, body: { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ errorCode: 'QUOTA_EXCEEDED' }] } }, headers: { 'retry-after': '30' } });
    assert.deepEqual(await provider.send({ token: 'fcm-token-1', keys: null }, notification()), { kind: 'retry', reason: '429 QUOTA_EXCEEDED', retryAfterMs: 30_000 });
    const before = fcm.tokenRequests.length;
    fcm.revokeTokens();
    assert.equal((await provider.send({ token: 'fcm-token-1', keys: null }, notification())).kind, 'retry', 'the send with the revoked token fails');
    assert.deepEqual(await provider.send({ token: 'fcm-token-1', keys: null }, notification()), { kind: 'sent' }, 'the next one fetches a new token');
    assert.equal(fcm.tokenRequests.length, before + 1);
    fcm.script.push('hang');
    const hung = await provider.send({ token: 'fcm-token-1', keys: null }, notification());
    assert.equal(hung.kind, 'retry');
    fcm.script.push('destroy');
    assert.equal((await provider.send({ token: 'fcm-token-1', keys: null }, notification())).kind, 'retry');
  });

  it('shortens a long body so the request stays within 4096 bytes', async () => {
    const count = fcm.received.length;
    assert.deepEqual(await provider.send({ token: 'fcm-token-1', keys: null }, notification({ body: huge })), { kind: 'sent' });
    const sent = fcm.received[count]!;
    assert.ok(sent.bytes <= PAYLOAD_LIMIT, `${sent.bytes} bytes`);
    assert.ok(sent.message.notification.body.endsWith('…') && huge.startsWith(sent.message.notification.body.slice(0, -1)));
  });

  it('reports a token endpoint that refuses the credentials as a retry, not a crash', async () => {
    const other = await startFcmService();
    // Signed with a key the endpoint does not know: the credentials are wrong (or were revoked).
    const wrong = createFcmProvider({ serviceAccount: { ...other.serviceAccount, private_key: fcm.serviceAccount.private_key }, apiUrl: other.base, timeoutMs: 500, clock: Date.now });
    const result = await wrong.send({ token: 'x', keys: null }, notification());
    assert.equal(result.kind, 'retry');
    assert.match((result as { reason: string }).reason, /oauth: .*400/);
    await other.close();
  });
});

describe('APNs provider over HTTP/2 with TLS against a local APNs', () => {
  const key = apnsSigningKey();
  const time = movableClock();
  const ids = { teamId: 'TEAM123456', keyId: 'KEY1234567', topic: 'com.example.parley' };
  let apns: Awaited<ReturnType<typeof startApnsService>>;
  let provider: PushProvider;
  before(async () => {
    apns = await startApnsService({ ...ids, publicKeyPem: key.publicKeyPem, now: time.clock });
    provider = createApnsProvider({ key: key.pem, ...ids, url: apns.url, ca: apns.ca, timeoutMs: 500, clock: time.clock });
  });
  after(async () => {
    await provider.close();
    await apns.close();
  });

  it('sends an alert with a valid ES256 provider token and the apns-* headers, and renews the token within the hour', async () => {
    const device = apnsDeviceToken();
    assert.deepEqual(await provider.send({ token: device, keys: null }, notification()), { kind: 'sent' });
    const first = apns.received.at(-1)!;
    assert.equal(first.token, device);
    assert.equal(first.headers['apns-topic'], ids.topic);
    assert.equal(first.headers['apns-push-type'], 'alert');
    assert.equal(first.headers['apns-priority'], '10');
    assert.equal(first.headers['apns-collapse-id'], notification().collapseKey);
    assert.deepEqual(first.payload.aps.alert, { title: 'Ada', body: 'Tea at five?' });
    assert.equal(first.payload.aps.badge, 3);
    assert.equal(first.payload.conversationId, notification().data.conversationId);
    assert.equal(first.payload.seq, 7);
    assert.equal(first.jwt.iss, ids.teamId);
    time.advance(20 * 60_000);
    await provider.send({ token: device, keys: null }, notification());
    assert.equal(apns.received.at(-1)!.jwt.iat, first.jwt.iat, 'the token is reused for a while');
    time.advance(35 * 60_000);
    assert.deepEqual(await provider.send({ token: device, keys: null }, notification()), { kind: 'sent' });
    assert.ok(apns.received.at(-1)!.jwt.iat > first.jwt.iat, 'a new token before the hour is up');
  });

  it('answers 410 Unregistered and BadDeviceToken as dead tokens, 429 and 500 as retries, ExpiredProviderToken by signing a new one', async () => {
    const device = apnsDeviceToken();
    apns.unregistered.add(device);
    assert.deepEqual(await provider.send({ token: device, keys: null }, notification()), { kind: 'gone', reason: '410 Unregistered' });
    assert.equal((await provider.send({ token: 'not-a-token', keys: null }, notification())).kind, 'gone');
    const ok = apnsDeviceToken();
    apns.script.push({ status: 429, body: { reason: 'TooManyRequests' }, headers: { 'retry-after': '2' } });
    assert.deepEqual(await provider.send({ token: ok, keys: null }, notification()), { kind: 'retry', reason: '429 TooManyRequests', retryAfterMs: 2000 });
    apns.script.push({ status: 500, body: { reason: 'InternalServerError' } });
    assert.equal((await provider.send({ token: ok, keys: null }, notification())).kind, 'retry');
    const tokensBefore = apns.issuedAts.size;
    time.advance(1000);
    apns.script.push({ status: 403, body: { reason: 'ExpiredProviderToken' } });
    assert.deepEqual(await provider.send({ token: ok, keys: null }, notification()), { kind: 'retry', reason: '403 ExpiredProviderToken', retryAfterMs: 0 });
    assert.deepEqual(await provider.send({ token: ok, keys: null }, notification()), { kind: 'sent' });
    assert.equal(apns.issuedAts.size, tokensBefore + 1, 'a fresh provider token was signed');
  });

  it('retries when the connection is closed mid-request or no answer comes, and reconnects for the next send', async () => {
    const device = apnsDeviceToken();
    apns.script.push('destroy');
    assert.equal((await provider.send({ token: device, keys: null }, notification())).kind, 'retry');
    assert.deepEqual(await provider.send({ token: device, keys: null }, notification()), { kind: 'sent' }, 'a new connection');
    apns.script.push('hang');
    const hung = await provider.send({ token: device, keys: null }, notification());
    assert.equal(hung.kind, 'retry');
    assert.match((hung as { reason: string }).reason, /no answer within 500 ms/);
    assert.deepEqual(await provider.send({ token: device, keys: null }, notification()), { kind: 'sent' });
  });

  it('keeps the payload within 4096 bytes and hashes a collapse key longer than 64 bytes', async () => {
    const device = apnsDeviceToken();
    assert.deepEqual(await provider.send({ token: device, keys: null }, notification({ body: huge, collapseKey: 'k'.repeat(100) })), { kind: 'sent' });
    const sent = apns.received.at(-1)!;
    assert.ok(Buffer.byteLength(JSON.stringify(sent.payload)) <= PAYLOAD_LIMIT);
    assert.ok(Buffer.byteLength(String(sent.headers['apns-collapse-id'])) <= 64);
  });
});

describe('Web Push provider (VAPID, aes128gcm) against a local push service', () => {
  let service: Awaited<ReturnType<typeof startWebPushService>>;
  let provider: PushProvider;
  before(async () => {
    service = await startWebPushService();
    provider = createWebPushProvider({ vapid: generateVapidKeys(), subject: 'mailto:ops@example.com', ttlSec: 3600, timeoutMs: 500, clock: Date.now });
  });
  after(async () => {
    await provider.close();
    await service.close();
  });

  it('encrypts the notification so the browser decrypts it with its private key, and identifies itself with a VAPID token for the push service origin', async () => {
    const browser = service.subscribe();
    const { endpoint, keys } = browser.toJSON();
    assert.deepEqual(await provider.send({ token: endpoint, keys }, notification()), { kind: 'sent' });
    const got = service.received.at(-1)!;
    assert.deepEqual(got.message, { title: 'Ada', body: 'Tea at five?', data: notification().data, tag: notification().collapseKey });
    assert.equal(got.jwt.aud, service.base);
    assert.equal(got.jwt.sub, 'mailto:ops@example.com');
    assert.equal(got.headers.ttl, '3600');
    assert.equal(got.headers.urgency, 'high');
    assert.ok(/^[A-Za-z0-9_-]{1,32}$/.test(String(got.headers.topic)), 'Topic fits RFC 8030');
    // Each message has its own salt and ephemeral key: the same text twice is never the same bytes.
    assert.deepEqual(await provider.send({ token: endpoint, keys }, notification()), { kind: 'sent' });
  });

  it('fits a long message into 4096 bytes of encrypted record', async () => {
    const { endpoint, keys } = service.subscribe().toJSON();
    assert.deepEqual(await provider.send({ token: endpoint, keys }, notification({ body: huge })), { kind: 'sent' });
    assert.ok(service.received.at(-1)!.message.body.endsWith('…'));
  });

  it('answers 404 and 410 as dead subscriptions, 429 with Retry-After and 5xx as retries, a hung service as a retry', async () => {
    const browser = service.subscribe();
    const { endpoint, keys } = browser.toJSON();
    service.unsubscribe(browser);
    assert.equal((await provider.send({ token: endpoint, keys }, notification())).kind, 'gone');
    service.script.push({ status: 404, body: 'not found' });
    assert.equal((await provider.send({ token: endpoint, keys }, notification())).kind, 'gone');
    const live = service.subscribe().toJSON();
    service.script.push({ status: 429, body: 'slow down', headers: { 'retry-after': '7' } });
    assert.deepEqual(await provider.send({ token: live.endpoint, keys: live.keys }, notification()), { kind: 'retry', reason: '429 slow down', retryAfterMs: 7000 });
    service.script.push({ status: 503 });
    assert.equal((await provider.send({ token: live.endpoint, keys: live.keys }, notification())).kind, 'retry');
    service.script.push('hang');
    assert.equal((await provider.send({ token: live.endpoint, keys: live.keys }, notification())).kind, 'retry');
    assert.equal((await provider.send({ token: live.endpoint, keys: null }, notification())).kind, 'gone', 'a subscription without keys cannot be used');
  });
});

describe('retry delays', () => {
  it('double per attempt with jitter between half and all of the step, capped, and never come before Retry-After', () => {
    assert.equal(retryDelay(1, 1000, 60_000, undefined, () => 0), 500);
    assert.equal(retryDelay(1, 1000, 60_000, undefined, () => 1), 1000);
    assert.equal(retryDelay(4, 1000, 60_000, undefined, () => 1), 8000);
    assert.equal(retryDelay(20, 1000, 60_000, undefined, () => 1), 60_000);
    assert.equal(retryDelay(1, 1000, 60_000, 30_000, () => 1), 30_000);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, ok, waitFor } from './support/api.ts';
import { backends, postgresBackend } from './support/backends.ts';
import { channel, create, send, userLog } from './support/governance.ts';
import { hasPostgres } from './support/services.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apnsDeviceToken, apnsSigningKey, type BrowserSubscription, startApnsService, startFcmService, startWebPushService } from './support/push-services.ts';
import { createUser, scrapeMetrics, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

type WebPushService = Awaited<ReturnType<typeof startWebPushService>>;

const PUSH_ENV = { WEB_PUSH_HOSTS: '127.0.0.1', PUSH_ONLINE_GRACE_MS: '0', PUSH_POLL_MS: '20', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '200' };

async function subscribe(t: TestApp, user: TestUser, service: WebPushService): Promise<BrowserSubscription> {
  const browser = service.subscribe();
  assert.deepEqual(await ok(t, user, 'PUT', '/v1/me/devices/current/web-push', browser.toJSON()), {});
  return browser;
}

/** What reached one browser, in order. */
const pushesTo = (service: WebPushService, browser: BrowserSubscription) => service.received.filter((r) => browser.endpoint.endsWith(r.path)).map((r) => r.message);

const outboxEmpty = async (t: TestApp) => (await t.app.db.kysely.selectFrom('push_outbox').select('id').execute()).length === 0 &&
  (await t.app.db.kysely.selectFrom('push_deliveries').select('id').where('state', '=', 'pending').execute()).length === 0;

async function deliveriesFor(t: TestApp, userId: string, conversationId: string, seq: number) {
  return t.app.db.kysely.selectFrom('push_deliveries').selectAll().where('user_id', '=', userId).where('event_key', '=', `${conversationId}:${seq}`).execute();
}

for (const backend of backends) {
  describe(`push notifications (${backend.name})`, () => {
    let t: TestApp;
    let service: WebPushService;
    before(async () => {
      service = await startWebPushService();
      t = await startApp(backend, { env: PUSH_ENV });
    });
    after(async () => {
      await t.close();
      await service.close();
    });

    it('serves the VAPID public key and refuses subscriptions to hosts that are not push services, or with broken keys, storing nothing', async () => {
      const { publicKey } = (await call(t, (await createUser(t.url)), 'GET', '/v1/push/vapid-key')).body;
      assert.equal(Buffer.from(publicKey, 'base64url').length, 65);
      const someone = await createUser(t.url);
      const good = service.subscribe().toJSON();
      const elsewhere = await call(t, someone, 'PUT', '/v1/me/devices/current/web-push', { ...good, endpoint: 'https://evil.example.com/push/1' });
      assert.equal(elsewhere.status, 400);
      assert.equal(elsewhere.body.error.code, 'validation_failed');
      assert.deepEqual(elsewhere.body.error.details, [{ path: '/endpoint', message: 'must be an https URL of a known push service' }]);
      const badKey = await call(t, someone, 'PUT', '/v1/me/devices/current/web-push', { ...good, keys: { ...good.keys, p256dh: 'A'.repeat(87) } });
      assert.equal(badKey.status, 400);
      assert.equal(badKey.body.error.details[0].path, '/keys/p256dh');
      const malformed = await call(t, someone, 'PUT', '/v1/me/devices/current/web-push', { endpoint: good.endpoint });
      assert.equal(malformed.status, 400);
      const row = await t.app.db.kysely.selectFrom('sessions').select(['push_token', 'push_keys']).where('id', '=', someone.sessionId).executeTakeFirstOrThrow();
      assert.deepEqual(row, { push_token: null, push_keys: null });
    });

    it('notifies a member with no open socket: the browser decrypts the sender, a preview, the conversation, the seq and the exact unread total; a member online gets nothing', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const bobBrowser = await subscribe(t, bob, service);
      const carolBrowser = await subscribe(t, carol, service);
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      const team = await create(t, alice, { kind: 'group', title: 'Launch team', memberIds: [bob.user.id, carol.user.id] });
      await waitFor(async () => (await ok(t, alice, 'GET', `/v1/presence/${carol.user.id}`)).presence.status === 'online', 'carol online');
      const first = await send(t, alice, team.id, 'Tea at five?');
      // The badge is bob's unread total when the push is made: the second send waits for the
      // first push, or a slow worker would rightly count both in it.
      await waitFor(() => pushesTo(service, bobBrowser).length === 1, 'the first push to bob');
      const second = await send(t, alice, team.id, 'Or six.');
      await waitFor(() => pushesTo(service, bobBrowser).length === 2, 'two pushes to bob');
      const [one, two] = pushesTo(service, bobBrowser);
      assert.equal(one.title, 'Launch team');
      assert.equal(one.body, `${alice.user.displayName}: Tea at five?`);
      assert.deepEqual(one.data, { conversationId: team.id, seq: first.seq, messageId: first.id, badge: 1, mention: false });
      assert.equal(one.tag, team.id, 'one collapse key per conversation');
      assert.deepEqual({ seq: two.data.seq, badge: two.data.badge }, { seq: second.seq, badge: 2 });
      assert.equal(pushesTo(service, carolBrowser).length, 0);
      assert.deepEqual(await deliveriesFor(t, carol.user.id, team.id, first.seq), [], 'carol was online: no delivery at all');
      carolSocket.close();
    });

    it('sends a generic text without previews (the user\'s choice or a protected conversation), and devices hear of the choice through the user log', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const browser = await subscribe(t, bob, service);
      const direct = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id })).conversation;
      assert.deepEqual(await ok(t, bob, 'GET', '/v1/me/push-settings'), { enabled: true, previews: true });
      await send(t, alice, direct.id, 'the secret plan');
      await waitFor(() => pushesTo(service, browser).length === 1, 'the first push');
      assert.deepEqual([pushesTo(service, browser)[0].title, pushesTo(service, browser)[0].body], [alice.user.displayName, 'the secret plan']);
      assert.deepEqual(await ok(t, bob, 'PUT', '/v1/me/push-settings', { previews: false }), { enabled: true, previews: false });
      assert.deepEqual((await userLog(t, bob)).filter((e) => e.type === 'push_settings.updated').map((e) => e.data), [{ enabled: true, previews: false }]);
      await send(t, alice, direct.id, 'the second secret');
      await waitFor(() => pushesTo(service, browser).length === 2, 'the second push');
      assert.deepEqual([pushesTo(service, browser)[1].title, pushesTo(service, browser)[1].body], ['New message', 'You have a new message']);

      const carol = await createUser(t.url);
      const carolBrowser = await subscribe(t, carol, service);
      const vault = await create(t, alice, { kind: 'group', title: 'Vault', memberIds: [carol.user.id] });
      await ok(t, alice, 'PATCH', `/v1/conversations/${vault.id}`, { settings: { protectedContent: true } });
      await send(t, alice, vault.id, 'protected words');
      await waitFor(() => pushesTo(service, carolBrowser).length === 1, 'the protected push');
      assert.equal(JSON.stringify(pushesTo(service, carolBrowser)[0]).includes('protected words'), false);
      assert.equal(JSON.stringify(pushesTo(service, carolBrowser)[0]).includes('Vault'), false);

      // Off: nothing at all.
      await ok(t, bob, 'PUT', '/v1/me/push-settings', { enabled: false });
      const third = await send(t, alice, direct.id, 'hello?');
      await waitFor(() => outboxEmpty(t), 'the outbox drained');
      assert.deepEqual(await deliveriesFor(t, bob.user.id, direct.id, third.seq), []);
      assert.equal((await call(t, bob, 'PUT', '/v1/me/push-settings', {})).status, 400, 'an empty change is refused');
    });

    it('records @handle mentions of members on the message (on send and edit) and notifies them even in "mentions only"', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const outsider = await createUser(t.url);
      const browser = await subscribe(t, bob, service);
      const team = await create(t, alice, { kind: 'group', title: 'Mentions', memberIds: [bob.user.id] });
      assert.deepEqual(await ok(t, bob, 'PUT', `/v1/conversations/${team.id}/push-settings`, { mode: 'mentions' }), { mode: 'mentions', mutedUntil: null });
      const plain = await send(t, alice, team.id, 'nothing for bob here');
      const mention = await send(t, alice, team.id, `ping @${bob.user.handle}. and @${outsider.user.handle} and mail a@${bob.user.handle}`);
      assert.deepEqual(plain.mentions, []);
      assert.deepEqual(mention.mentions, [bob.user.id], 'only members count; an address is no mention');
      await waitFor(() => pushesTo(service, browser).length === 1, 'the mention push');
      await waitFor(() => outboxEmpty(t), 'the outbox drained');
      assert.deepEqual(pushesTo(service, browser).map((m) => [m.data.seq, m.data.mention]), [[mention.seq, true]]);
      const edited = await ok(t, alice, 'PATCH', `/v1/conversations/${team.id}/messages/${plain.id}`, { text: `now for @${bob.user.handle!.toUpperCase()}` });
      assert.deepEqual(edited.message.mentions, [bob.user.id]);
      const events = await ok(t, bob, 'GET', `/v1/conversations/${team.id}/events?after=0`);
      assert.deepEqual(events.events.find((e: any) => e.type === 'message.created' && e.data.message.id === mention.id).data.message.mentions, [bob.user.id]);
    });

    it('keeps muted conversations quiet until the time passes, starts channels muted for subscribers, and refuses bad choices changing nothing', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const browser = await subscribe(t, bob, service);
      const news = await channel(t, alice, 'News', [bob]);
      assert.deepEqual(await ok(t, bob, 'GET', `/v1/conversations/${news.id}/push-settings`), { mode: 'muted', mutedUntil: null });
      const post = await send(t, alice, news.id, 'breaking');
      const team = await create(t, alice, { kind: 'group', title: 'Quiet', memberIds: [bob.user.id] });
      const until = new Date(Date.now() + 3600_000).toISOString();
      assert.deepEqual(await ok(t, bob, 'PUT', `/v1/conversations/${team.id}/push-settings`, { mode: 'muted', mutedUntil: until }), { mode: 'muted', mutedUntil: until });
      const quiet = await send(t, alice, team.id, 'shh');
      await waitFor(() => outboxEmpty(t), 'the outbox drained');
      assert.deepEqual(await deliveriesFor(t, bob.user.id, news.id, post.seq), []);
      assert.deepEqual(await deliveriesFor(t, bob.user.id, team.id, quiet.seq), []);
      assert.deepEqual(pushesTo(service, browser), []);
      const log = (await userLog(t, bob)).filter((e) => e.type === 'conversation_push.updated').map((e) => e.data);
      assert.deepEqual(log, [{ conversationId: team.id, mode: 'muted', mutedUntil: until }]);

      const bad = await call(t, bob, 'PUT', `/v1/conversations/${team.id}/push-settings`, { mode: 'all', mutedUntil: until });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details[0].path, '/mutedUntil');
      assert.equal((await call(t, bob, 'PUT', `/v1/conversations/${team.id}/push-settings`, { mode: 'loud' })).status, 400);
      assert.deepEqual(await ok(t, bob, 'GET', `/v1/conversations/${team.id}/push-settings`), { mode: 'muted', mutedUntil: until }, 'unchanged');
      const stranger = await createUser(t.url);
      assert.equal((await call(t, stranger, 'GET', `/v1/conversations/${team.id}/push-settings`)).status, 404);
      assert.equal((await call(t, stranger, 'PUT', `/v1/conversations/${team.id}/push-settings`, { mode: 'all' })).status, 404);

      // A mute that has ended is no mute.
      await ok(t, bob, 'PUT', `/v1/conversations/${team.id}/push-settings`, { mode: 'muted', mutedUntil: new Date(Date.now() - 1000).toISOString() });
      const loud = await send(t, alice, team.id, 'wake up');
      await waitFor(() => pushesTo(service, browser).some((m) => m.data.seq === loud.seq), 'the push after the mute ended');
    });

    it('retries a push service that fails (500, 429 with Retry-After), forgets a subscription it calls gone, and counts all of it in the metrics', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const browser = await subscribe(t, bob, service);
      const direct = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id })).conversation;
      service.script.push({ status: 500 }, { status: 429, headers: { 'retry-after': '1' } });
      const started = Date.now();
      const message = await send(t, alice, direct.id, 'persistent');
      await waitFor(() => pushesTo(service, browser).length === 1, 'the push after two failures');
      assert.ok(Date.now() - started >= 1000, 'not before Retry-After');
      await waitFor(async () => (await deliveriesFor(t, bob.user.id, direct.id, message.seq))[0]?.state === 'sent', 'the delivery recorded');
      const [delivery] = await deliveriesFor(t, bob.user.id, direct.id, message.seq);
      assert.deepEqual({ state: delivery!.state, attempts: delivery!.attempts }, { state: 'sent', attempts: 3 });

      service.unsubscribe(browser);
      const gone = await send(t, alice, direct.id, 'anyone there?');
      await waitFor(async () => (await deliveriesFor(t, bob.user.id, direct.id, gone.seq))[0]?.state === 'gone', 'the delivery marked gone');
      const row = await t.app.db.kysely.selectFrom('sessions').select(['push_token', 'push_keys']).where('id', '=', bob.sessionId).executeTakeFirstOrThrow();
      assert.deepEqual(row, { push_token: null, push_keys: null }, 'the dead subscription is removed');

      const metrics = await (await scrapeMetrics(t.url)).text();
      const value = (name: string) => Number(new RegExp(`^${name}\\{provider="webpush"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
      assert.ok(value('parley_push_sent_total') >= 1);
      assert.ok(value('parley_push_retried_total') >= 2);
      assert.ok(value('parley_push_dead_tokens_total') >= 1);
      assert.match(metrics, /^parley_push_outbox_depth \d+/m);
      assert.match(metrics, /^parley_push_outbox_oldest_age_seconds \d+/m);
    });

    it('stops notifying a device once it signs out', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const laptop = await signIn(t.url, bob.user.id);
      const phoneBrowser = await subscribe(t, bob, service);
      const laptopBrowser = await subscribe(t, laptop, service);
      await ok(t, bob, 'DELETE', `/v1/me/devices/${laptop.sessionId}`);
      const row = await t.app.db.kysely.selectFrom('sessions').select(['push_token', 'push_keys']).where('id', '=', laptop.sessionId).executeTakeFirstOrThrow();
      assert.deepEqual(row, { push_token: null, push_keys: null });
      const direct = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id })).conversation;
      await send(t, alice, direct.id, 'only the phone');
      await waitFor(() => pushesTo(service, phoneBrowser).length === 1, 'the phone push');
      await waitFor(() => outboxEmpty(t), 'the outbox drained');
      assert.equal(pushesTo(service, laptopBrowser).length, 0);
    });
  });

  describe(`FCM and APNs through the outbox (${backend.name})`, () => {
    let t: TestApp;
    let fcm: Awaited<ReturnType<typeof startFcmService>>;
    let apns: Awaited<ReturnType<typeof startApnsService>>;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'parley-push-keys-'));
      fcm = await startFcmService();
      const key = apnsSigningKey();
      const ids = { teamId: 'TEAM123456', keyId: 'KEY1234567', topic: 'com.example.parley' };
      apns = await startApnsService({ ...ids, publicKeyPem: key.publicKeyPem });
      writeFileSync(join(dir, 'service-account.json'), JSON.stringify(fcm.serviceAccount));
      writeFileSync(join(dir, 'AuthKey.p8'), key.pem);
      writeFileSync(join(dir, 'apns-ca.pem'), apns.ca);
      t = await startApp(backend, {
        env: {
          ...PUSH_ENV,
          FCM_SERVICE_ACCOUNT_FILE: join(dir, 'service-account.json'), FCM_API_URL: fcm.base,
          APNS_KEY_FILE: join(dir, 'AuthKey.p8'), APNS_KEY_ID: ids.keyId, APNS_TEAM_ID: ids.teamId, APNS_TOPIC: ids.topic, APNS_URL: apns.url, APNS_CA_FILE: join(dir, 'apns-ca.pem'),
        },
      });
    });
    after(async () => {
      await t.close();
      await fcm.close();
      await apns.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('notifies an Android and an iPhone device of one user, with the badge on both, and removes the tokens their services call dead', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const iphone = await signIn(t.url, bob.user.id);
      const iosToken = apnsDeviceToken();
      await ok(t, bob, 'PUT', '/v1/me/devices/current/push-token', { platform: 'fcm', token: 'android-token-1' });
      await ok(t, iphone, 'PUT', '/v1/me/devices/current/push-token', { platform: 'apns', token: iosToken });
      const direct = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id })).conversation;
      const message = await send(t, alice, direct.id, 'hello phones');
      await waitFor(() => fcm.received.length === 1 && apns.received.length === 1, 'both pushes');
      assert.deepEqual(fcm.received[0]!.message.notification, { title: alice.user.displayName, body: 'hello phones' });
      assert.deepEqual(fcm.received[0]!.message.data, { conversationId: direct.id, seq: String(message.seq), messageId: message.id, badge: '1', mention: 'false' });
      assert.equal(apns.received[0]!.token, iosToken);
      assert.deepEqual(apns.received[0]!.payload.aps.alert, { title: alice.user.displayName, body: 'hello phones' });
      assert.equal(apns.received[0]!.payload.aps.badge, 1);
      assert.equal(apns.received[0]!.headers['apns-collapse-id'], direct.id);

      fcm.unregistered.add('android-token-1');
      apns.unregistered.add(iosToken);
      await send(t, alice, direct.id, 'still there?');
      const tokens = () => t.app.db.kysely.selectFrom('sessions').select('push_token').where('id', 'in', [bob.sessionId, iphone.sessionId]).execute();
      await waitFor(async () => (await tokens()).every((row) => row.push_token === null), 'both dead tokens removed');
      assert.deepEqual((await ok(t, bob, 'GET', '/v1/me/devices')).devices.map((d: any) => d.pushPlatform), [null, null]);
    });
  });

  describe(`push outbox durability (${backend.name})`, () => {
    it('writes one outbox row per message whatever the number of recipients, and nothing more in the send transaction', async () => {
      const t = await startApp(backend, { env: { ...PUSH_ENV, PUSH_WORKER: 'false' } });
      try {
        const service = await startWebPushService();
        const alice = await createUser(t.url);
        const others = await Promise.all(Array.from({ length: 5 }, () => createUser(t.url)));
        for (const other of others) await subscribe(t, other, service);
        const team = await create(t, alice, { kind: 'group', title: 'Many', memberIds: others.map((o) => o.user.id) });
        await send(t, alice, team.id, 'one');
        await send(t, alice, team.id, 'two');
        assert.equal((await t.app.db.kysely.selectFrom('push_outbox').select('id').execute()).length, 2);
        assert.equal((await t.app.db.kysely.selectFrom('push_deliveries').select('id').execute()).length, 0, 'a node without the worker expands nothing');
        await service.close();
      } finally {
        await t.close();
      }
    });

    it('writes no outbox row for a message nobody could be notified of: a direct peer without a device, or no other member', async () => {
      const t = await startApp(backend, { env: { ...PUSH_ENV, PUSH_WORKER: 'false' } });
      const outbox = async () => (await t.app.db.kysely.selectFrom('push_outbox').select('seq').orderBy('seq').execute()).map((row) => Number(row.seq));
      try {
        const service = await startWebPushService();
        const alice = await createUser(t.url);
        const bob = await createUser(t.url);
        const direct = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id })).conversation;
        const first = await send(t, alice, direct.id, 'bob has no device yet');
        assert.deepEqual(await outbox(), [], 'no row: the peer has no device');
        await subscribe(t, bob, service);
        const second = await send(t, alice, direct.id, 'now he has');
        await subscribe(t, alice, service);
        const third = await send(t, bob, direct.id, 'and alice too');
        assert.deepEqual(await outbox(), [second.seq, third.seq]);
        assert.ok(first.seq < second.seq);
        assert.deepEqual(await ok(t, bob, 'DELETE', '/v1/me/devices/current/push-token'), {});
        await send(t, alice, direct.id, 'bob signed his device out of push');
        assert.deepEqual(await outbox(), [second.seq, third.seq], 'no row once the peer\'s only device has no token');
        // Groups are not looked into (the worker pages their members after the grace), but a group of one has nobody to tell.
        const alone = await create(t, alice, { kind: 'group', title: 'Just me', memberIds: [] });
        await send(t, alice, alone.id, 'note to self');
        const team = await create(t, alice, { kind: 'group', title: 'Us', memberIds: [bob.user.id] });
        const toTeam = await send(t, alice, team.id, 'hello team');
        const rows = await t.app.db.kysely.selectFrom('push_outbox').select(['conversation_id', 'seq', 'sender_id', 'attempts', 'cursor', 'claimed_until']).where('conversation_id', '=', team.id).execute();
        assert.deepEqual(rows.map((row) => ({ ...row, seq: Number(row.seq) })), [
          { conversation_id: team.id, seq: toTeam.seq, sender_id: alice.user.id, attempts: 0, cursor: null, claimed_until: null },
        ]);
        assert.equal((await t.app.db.kysely.selectFrom('push_outbox').select('id').where('conversation_id', '=', alone.id).execute()).length, 0);
        await service.close();
      } finally {
        await t.close();
      }
    });

    it('a user with 50 devices: stopping the app mid-drain and starting it again delivers every (message, device) exactly once', async () => {
      const service = await startWebPushService();
      const store = await backend.create();
      const env = { ...PUSH_ENV, PUSH_BATCH_SIZE: '20', PUSH_CONCURRENCY: '4' };
      let t = await startApp(backend, { store, env });
      try {
        const alice = await createUser(t.url);
        const bob = await createUser(t.url);
        const devices = [bob, ...(await Promise.all(Array.from({ length: 49 }, () => signIn(t.url, bob.user.id))))];
        for (const device of devices) await subscribe(t, device, service);
        const direct = (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: bob.user.id })).conversation;
        service.pace.delayMs = 3;
        const sent = [];
        for (let i = 0; i < 6; i++) sent.push(await send(t, alice, direct.id, `message ${i}`));
        await waitFor(() => service.received.length >= 40, 'the drain under way', 20_000);
        await t.close();
        const atStop = service.received.length;
        assert.ok(atStop < 300, `stopped mid-drain (${atStop} of 300 sent)`);
        service.pace.delayMs = 0;
        t = await startApp(backend, { store, env });
        await waitFor(() => service.received.length >= 300, 'every delivery after the restart', 30_000);
        await waitFor(() => outboxEmpty(t), 'the outbox drained');
        const keys = service.received.map((r) => `${r.path} ${r.message.data.seq}`);
        assert.equal(keys.length, 300, 'nothing sent twice');
        assert.equal(new Set(keys).size, 300, 'every (device, message) once');
        assert.deepEqual([...new Set(service.received.map((r) => r.message.data.seq))].sort((a, b) => a - b), sent.map((m) => m.seq));
      } finally {
        await t.close();
        await store.dispose();
        await service.close();
      }
    });
  });
}

describe('two nodes on one PostgreSQL drain one outbox', { skip: !hasPostgres }, () => {
  it('sends every notification exactly once when both run the worker', async () => {
    const service = await startWebPushService();
    const store = await postgresBackend.create();
    const env = { ...PUSH_ENV, PUSH_BATCH_SIZE: '10', PUSH_CONCURRENCY: '4' };
    const a = await startApp(postgresBackend, { store, env });
    const b = await startApp(postgresBackend, { store, env });
    try {
      const alice = await createUser(a.url);
      const users = await Promise.all(Array.from({ length: 20 }, () => createUser(a.url)));
      for (const [i, user] of users.entries()) await subscribe(i % 2 ? a : b, user, service);
      const team = await create(a, alice, { kind: 'group', title: 'Both nodes', memberIds: users.map((u) => u.user.id) });
      service.pace.delayMs = 2;
      for (let i = 0; i < 10; i++) await send(i % 2 ? a : b, alice, team.id, `message ${i}`);
      await waitFor(() => service.received.length >= 200, 'every delivery', 30_000);
      await waitFor(() => outboxEmpty(a), 'the outbox drained');
      const keys = service.received.map((r) => `${r.path} ${r.message.data.seq}`);
      assert.equal(keys.length, 200, 'nothing sent twice');
      assert.equal(new Set(keys).size, 200);
    } finally {
      await a.close();
      await b.close();
      await store.dispose();
      await service.close();
    }
  });
});

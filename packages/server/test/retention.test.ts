import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, conversationLog, direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { conversationAudit, movableClock, refused, send, texts } from './support/governance.ts';
import { createUser, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';

/** Signed in again after the clock moved (the old access token has expired by then). */
const again = (t: TestApp, user: TestUser) => signIn(t.url, user.user.id);

const DAY = 24 * 3600_000;
const found = async (t: TestApp, user: any, q: string) => (await ok(t, user, 'GET', `/v1/search/messages?q=${encodeURIComponent(q)}`)).results.map((hit: any) => hit.message.text);

for (const backend of backends) {
  describe(`retention (${backend.name})`, () => {
    const time = movableClock();
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { clock: time.clock, env: { RETENTION_INTERVAL_MS: '1000', RETENTION_BATCH: '2' } });
    });
    after(() => t.close());

    it('deletes messages older than a conversation\'s retention for everyone, in batches, with gap-free logs, audited, and nowhere else', async () => {
      let owner = await createUser(t.url);
      let member = await createUser(t.url);
      const kept = await group(t, owner, 'No retention', [member]);
      const expiring = await group(t, owner, 'Thirty days', [member]);
      for (const text of ['old one', 'old two', 'old three', 'old four', 'old five']) await send(t, member, expiring.id, text);
      await send(t, owner, kept.id, 'old but kept');
      assert.deepEqual(await ok(t, owner, 'PUT', `/v1/conversations/${expiring.id}/retention`, { days: 30 }), { days: 30, effectiveDays: 30 });
      time.advance(31 * DAY);
      [owner, member] = [await again(t, owner), await again(t, member)];
      await send(t, owner, expiring.id, 'fresh');
      await waitFor(async () => (await texts(t, member, expiring.id)).filter((text) => text !== null).length === 1, 'the expired messages to go');
      assert.deepEqual(await texts(t, member, expiring.id), [null, null, null, null, null, 'fresh']);
      assert.deepEqual(await texts(t, member, kept.id), ['old but kept']);
      assert.deepEqual(await found(t, member, 'old'), ['old but kept']);
      // The log: every seq there once, the deletions as system events.
      const log = await conversationLog(t, member, expiring.id);
      assert.deepEqual(log.map((event) => event.seq), log.map((_, i) => i + 1));
      const deletions = log.filter((event) => event.type === 'message.deleted');
      assert.equal(deletions.length, 5);
      assert.ok(deletions.every((event) => event.actorId === null));
      assert.ok(log.some((event) => event.type === 'conversation.updated' && (event.data as any).retentionDays === 30));
      // In batches of two (RETENTION_BATCH), each audited.
      const audits = (await conversationAudit(t, owner, expiring.id)).filter((entry) => entry.action === 'retention.deleted');
      assert.deepEqual(audits.map((entry) => entry.data.removed).sort(), [1, 2, 2]);
    });

    it('lets only admins set it, refuses bad values and outsiders, and changes nothing when refused', async () => {
      const owner = await createUser(t.url);
      const member = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, owner, 'Rules', [member]);
      const pair = await direct(t, owner, member);
      refused(await call(t, member, 'PUT', `/v1/conversations/${room.id}/retention`, { days: 1 }), 403, 'forbidden');
      refused(await call(t, outsider, 'PUT', `/v1/conversations/${room.id}/retention`, { days: 1 }), 404, 'not_found');
      refused(await call(t, outsider, 'GET', `/v1/conversations/${room.id}/retention`), 404, 'not_found');
      refused(await call(t, owner, 'PUT', `/v1/conversations/${pair.id}/retention`, { days: 1 }), 403, 'forbidden');
      for (const days of [0, -1, 1.5, '7', 40_000]) refused(await call(t, owner, 'PUT', `/v1/conversations/${room.id}/retention`, { days }), 400, 'validation_failed');
      assert.deepEqual(await ok(t, member, 'GET', `/v1/conversations/${room.id}/retention`), { days: null, effectiveDays: null });
      await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/retention`, { days: 7 });
      await ok(t, owner, 'PUT', `/v1/conversations/${room.id}/retention`, { days: null });
      assert.deepEqual(await ok(t, member, 'GET', `/v1/conversations/${room.id}/retention`), { days: null, effectiveDays: null });
    });
  });

  describe(`retention by server default (${backend.name})`, () => {
    const time = movableClock();
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { clock: time.clock, env: { RETENTION_INTERVAL_MS: '1000', RETENTION_DEFAULT_DAYS: '7' } });
    });
    after(() => t.close());

    it('applies the default where a conversation sets none, and a conversation\'s own retention over it', async () => {
      let owner = await createUser(t.url);
      const byDefault = await group(t, owner, 'Default', []);
      const longer = await group(t, owner, 'Longer', []);
      await ok(t, owner, 'PUT', `/v1/conversations/${longer.id}/retention`, { days: 30 });
      assert.deepEqual(await ok(t, owner, 'GET', `/v1/conversations/${byDefault.id}/retention`), { days: null, effectiveDays: 7 });
      await send(t, owner, byDefault.id, 'a week old');
      await send(t, owner, longer.id, 'a week old too');
      time.advance(8 * DAY);
      owner = await again(t, owner);
      await waitFor(async () => (await texts(t, owner, byDefault.id))[0] === null, 'the default to apply');
      assert.deepEqual(await texts(t, owner, longer.id), ['a week old too']);
    });
  });
}

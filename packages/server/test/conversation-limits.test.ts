import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';

for (const backend of backends) {
  describe(`groups and channels one user may own (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      // The rate is another bound (rate-limits.test.ts): off here, so only the total decides.
      t = await startApp(backend, { env: { MAX_OWNED_CONVERSATIONS: '3', RATE_LIMIT_CONVERSATIONS_PER_USER: 'off' } });
    });
    after(() => t.close());

    it('refuses one more group or channel than the bound with limit_exceeded, creating nothing, while direct conversations stay open', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      await ok(t, alice, 'POST', '/v1/conversations', { kind: 'group', title: 'one', memberIds: [] });
      await ok(t, alice, 'POST', '/v1/conversations', { kind: 'channel', title: 'two', memberIds: [] });
      await ok(t, alice, 'POST', '/v1/conversations', { kind: 'group', title: 'three', memberIds: [] });
      const refused = await call(t, alice, 'POST', '/v1/conversations', { kind: 'group', title: 'four', memberIds: [] });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'limit_exceeded');
      assert.equal(refused.body.error.details.limit, 3);
      const titles = (await ok(t, alice, 'GET', '/v1/conversations')).conversations.map((c: any) => c.title).sort();
      assert.deepEqual(titles, ['one', 'three', 'two']);
      assert.equal((await direct(t, alice, bob)).kind, 'direct', 'a direct conversation has no owner and is not counted');
    });

    it('lets only as many concurrent creations through as the bound allows', async () => {
      const carol = await createUser(t.url);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call(t, carol, 'POST', '/v1/conversations', { kind: 'group', title: `g${i}`, memberIds: [] })));
      assert.equal(answers.filter((a) => a.status === 200).length, 3, answers.map((a) => a.status).join(','));
      assert.ok(answers.every((a) => a.status === 200 || a.body.error.code === 'limit_exceeded'));
      assert.equal((await ok(t, carol, 'GET', '/v1/conversations')).conversations.length, 3);
    });
  });
}

for (const backend of backends) {
  describe(`conversations one user may be in (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { MAX_CONVERSATIONS_PER_USER: '10', RATE_LIMIT_CONVERSATIONS_PER_USER: 'off' } });
    });
    after(() => t.close());

    it('refuses every way into an eleventh conversation with limit_exceeded naming who is full, and changes nothing', async () => {
      const full = await createUser(t.url);
      const owner = await createUser(t.url);
      for (let i = 0; i < 5; i++) await group(t, owner, `g${i}`, [full]);
      for (let i = 0; i < 5; i++) await direct(t, full, await createUser(t.url));
      const before = (await ok(t, full, 'GET', '/v1/conversations')).conversations.length;
      assert.equal(before, 10);

      const stranger = await createUser(t.url);
      const refusals = [
        await call(t, full, 'POST', '/v1/conversations', { kind: 'group', title: 'mine', memberIds: [] }),
        await call(t, full, 'POST', '/v1/conversations', { kind: 'direct', userId: stranger.user.id }),
        await call(t, stranger, 'POST', '/v1/conversations', { kind: 'direct', userId: full.user.id }),
        await call(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'with full', memberIds: [full.user.id] }),
      ];
      const { conversation: open } = await ok(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'open', visibility: 'public', handle: `open${Date.now()}`, memberIds: [] });
      refusals.push(await call(t, owner, 'POST', `/v1/conversations/${open.id}/members`, { userIds: [full.user.id] }));
      refusals.push(await call(t, full, 'POST', `/v1/conversations/${open.id}/join`));
      for (const [i, refused] of refusals.entries()) {
        assert.equal(refused.status, 422, `refusal ${i}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, 'limit_exceeded');
        assert.equal(refused.body.error.details.limit, 10);
        assert.deepEqual(refused.body.error.details.userIds, [full.user.id]);
      }
      assert.equal((await ok(t, full, 'GET', '/v1/conversations')).conversations.length, 10);
      assert.equal((await ok(t, stranger, 'GET', '/v1/conversations')).conversations.length, 0, 'the refused direct conversation was not created for the other side either');
      const owned = (await ok(t, owner, 'GET', '/v1/conversations')).conversations.map((c: any) => c.title).sort();
      assert.deepEqual(owned, ['g0', 'g1', 'g2', 'g3', 'g4', 'open'], 'the group that would have held the full user was not created');
      assert.equal((await ok(t, owner, 'GET', `/v1/conversations/${open.id}`)).conversation.memberCount, 1);

      // Leaving one makes room again.
      const first = (await ok(t, full, 'GET', '/v1/conversations')).conversations.find((c: any) => c.kind === 'group');
      await ok(t, full, 'POST', `/v1/conversations/${first.id}/leave`);
      await ok(t, full, 'POST', `/v1/conversations/${open.id}/join`);
    });
  });
}


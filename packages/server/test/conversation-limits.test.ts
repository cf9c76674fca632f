import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, direct, ok } from './support/api.ts';
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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Limits } from '@parley/protocol';
import { ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { adminOk, channel, liveEvent, nextClientId, refused, texts, trySend, view } from './support/governance.ts';
import { createUser, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * A channel with 10,000 subscribers, built through the public admin API: users in bulk,
 * then members in batches of the most one request may name. A post by the owner reaches a
 * sample of subscribers' sockets live; a subscriber's post is refused. The figures are
 * printed (`# …`) for the issue's closing note.
 */

const SUBSCRIBERS = 10_000;
const USERS_PER_BULK = Limits.adminBulkMax;
const MEMBERS_PER_REQUEST = Limits.membersPerRequest;
const SAMPLED_USERS = 25;
const SOCKETS_PER_SAMPLED_USER = 2;
/** Bulk requests in flight at once: PostgreSQL writes them in parallel; SQLite has one writer anyway. */
const bulkConcurrency = (backend: string) => (backend === 'postgres' ? 4 : 1);

function report(line: string): void {
  process.stdout.write(`# channel-scale: ${line}\n`);
}

for (const backend of backends) {
  describe(`a channel with ${SUBSCRIBERS.toLocaleString('en')} subscribers (${backend.name})`, () => {
    let t: TestApp;
    let owner: TestUser;
    let news: { id: string };
    const ids: string[] = [];
    const sockets: TestSocket[] = [];
    const sampled: TestUser[] = [];
    before(async () => {
      t = await startApp(backend);
      owner = await createUser(t.url);
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await t.close();
    });

    it('gets its subscribers through the admin API in bulk, within the time budget', async () => {
      assert.equal(MEMBERS_PER_REQUEST, 500, 'batches are as large as one request may be');
      const run = `${process.pid}-${Date.now().toString(36)}`;
      const usersStarted = performance.now();
      const bulks: Array<Array<{ id: string; displayName: string }>> = [];
      for (let start = 0; start < SUBSCRIBERS; start += USERS_PER_BULK) {
        bulks.push(Array.from({ length: Math.min(USERS_PER_BULK, SUBSCRIBERS - start) }, (_, i) => ({ id: `sub-${run}-${start + i}`, displayName: `Subscriber ${start + i}` })));
      }
      // A few bulk requests at a time, as a product's sync job would send them.
      const concurrency = bulkConcurrency(backend.name);
      for (let i = 0; i < bulks.length; i += concurrency) {
        await Promise.all(bulks.slice(i, i + concurrency).map(async (upsert) => {
          const { results } = await adminOk(t, 'POST', '/v1/admin/users/bulk', { upsert });
          assert.equal(results.filter((r: any) => r.ok).length, upsert.length, JSON.stringify(results.find((r: any) => !r.ok)));
        }));
      }
      ids.push(...bulks.flat().map((u) => u.id));
      const usersMs = performance.now() - usersStarted;

      news = await channel(t, owner, 'Ten thousand', []);
      const membersStarted = performance.now();
      let lastSeq = 0;
      for (let start = 0; start < ids.length; start += MEMBERS_PER_REQUEST) {
        const { seq } = await adminOk(t, 'POST', `/v1/admin/conversations/${news.id}/members`, { userIds: ids.slice(start, start + MEMBERS_PER_REQUEST) });
        assert.ok(seq > lastSeq);
        lastSeq = seq;
      }
      const membersMs = performance.now() - membersStarted;
      report(`${backend.name}: ${SUBSCRIBERS} users created in ${Math.round(usersMs)} ms (${USERS_PER_BULK} per bulk request, ${concurrency} at a time), `
        + `added as subscribers in ${Math.round(membersMs)} ms (${MEMBERS_PER_REQUEST} per request, ${Math.round(SUBSCRIBERS / (membersMs / 1000))}/s)`);

      const summary = await view(t, owner, news.id);
      assert.equal(summary.memberCount, SUBSCRIBERS + 1);
      assert.equal(summary.lastSeq, lastSeq);
      const inspected = (await adminOk(t, 'GET', `/v1/admin/conversations/${news.id}`)).conversation;
      assert.equal(inspected.memberCount, SUBSCRIBERS + 1);
    });

    it('delivers the owner\'s post live to every sampled subscriber socket', async () => {
      assert.ok(news, 'the channel exists');
      // A spread sample: every 400th subscriber, two devices each.
      const step = Math.floor(SUBSCRIBERS / SAMPLED_USERS);
      for (let i = 0; i < SAMPLED_USERS; i++) sampled.push(await signIn(t.url, ids[i * step]!));
      for (const user of sampled) {
        for (let d = 0; d < SOCKETS_PER_SAMPLED_USER; d++) sockets.push(await TestSocket.open(t.wsUrl, user.token));
      }
      for (const user of sampled.slice(0, 3)) assert.equal((await view(t, user, news.id)).role, 'subscriber');

      // Waiting starts before the post, so each arrival is timed when its frame comes in.
      const text = `To all ten thousand ${nextClientId('scale')}`;
      const started = performance.now();
      const waiting = sockets.map((socket) => liveEvent(socket, news.id, 'message.created', (e) => e.data.message.text === text, 15_000).then((event) => ({ event, ms: performance.now() - started })));
      const { message } = await ok(t, owner, 'POST', `/v1/conversations/${news.id}/messages`, { clientMsgId: nextClientId('scale'), text });
      const committedMs = performance.now() - started;
      const received = await Promise.all(waiting);
      for (const { event } of received) assert.deepEqual([event.seq, event.data.message.id], [message.seq, message.id]);
      const arrivals = received.map((r) => r.ms);
      const lastMs = Math.max(...arrivals);
      report(`${backend.name}: post committed in ${Math.round(committedMs)} ms, reached all ${sockets.length} sampled sockets `
        + `(${SAMPLED_USERS} subscribers) within ${Math.round(lastMs)} ms (median ${Math.round(arrivals.sort((a, b) => a - b)[arrivals.length >> 1]!)} ms)`);
      assert.equal(arrivals.length, SAMPLED_USERS * SOCKETS_PER_SAMPLED_USER);
    });

    it('refuses a subscriber\'s post and stores nothing', async () => {
      const subscriber = sampled[0] ?? (await signIn(t.url, ids[0]!));
      const head = (await view(t, owner, news.id)).lastSeq;
      const started = performance.now();
      refused(await trySend(t, subscriber, news.id, 'me too'), 403, 'forbidden');
      report(`${backend.name}: a subscriber's post refused in ${Math.round(performance.now() - started)} ms`);
      assert.equal((await view(t, owner, news.id)).lastSeq, head);
      assert.equal((await texts(t, subscriber, news.id)).length, 1);
      // Nothing was delivered for the refused post.
      for (const socket of sockets) assert.equal(socket.events(news.id).filter((e) => e.type === 'message.created').length, 1);
    });
  });
}

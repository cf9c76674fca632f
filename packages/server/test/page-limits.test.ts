import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { call, conversationLog, direct, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const BUDGET = 16 * 1024;
/** Room for a page's envelope (`lastSeq`, `hasMore`, `myReactions`) around its items. */
const ENVELOPE = 1024;
let ids = 0;

/** Control characters: each is six bytes once JSON-escaped (`\u0001`), the report's worst case. */
const heavy = (length: number) => ({ clientMsgId: `heavy-${process.pid}-${++ids}`, text: '\u0001'.repeat(length) });

async function sendMany(t: TestApp, user: TestUser, conversationId: string, count: number, length: number): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => ok(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, heavy(length))));
  }
}

for (const backend of backends) {
  describe(`pages are bounded by bytes (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { PAGE_MAX_BYTES: String(BUDGET) } });
    });
    after(() => t.close());

    it('cuts pages of events, history and sync answers by bytes with hasMore, and paging on still reaches every event once', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      await sendMany(t, alice, pair.id, 12, 1000);
      const whole = await conversationLog(t, bob, pair.id);
      assert.deepEqual(whole.map((e) => e.seq), Array.from({ length: whole.length }, (_, i) => i + 1), 'paging on reaches every event exactly once, in order');
      assert.ok(whole.length >= 13);

      const events = await fetch(`${t.url}/v1/conversations/${pair.id}/events?after=0&limit=500`, { headers: { authorization: `Bearer ${bob.token}` } });
      const eventsText = await events.text();
      const page = JSON.parse(eventsText);
      assert.ok(Buffer.byteLength(eventsText) <= BUDGET + ENVELOPE, `an events page of ${Buffer.byteLength(eventsText)} bytes`);
      assert.ok(page.events.length > 0 && page.events.length < whole.length);
      assert.equal(page.hasMore, true);

      const history = await fetch(`${t.url}/v1/conversations/${pair.id}/messages?limit=200`, { headers: { authorization: `Bearer ${bob.token}` } });
      const historyText = await history.text();
      assert.ok(Buffer.byteLength(historyText) <= BUDGET + ENVELOPE, `a history page of ${Buffer.byteLength(historyText)} bytes`);
      const historyPage = JSON.parse(historyText);
      assert.ok(historyPage.messages.length > 0 && historyPage.messages.length < 12);
      assert.equal(historyPage.hasMore, true);

      const socket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        const viaSocket = await socket.request('events', { conversationId: pair.id, after: 0, limit: 500 });
        assert.ok(viaSocket.events.length < whole.length && viaSocket.hasMore);
        const synced = await socket.request('sync', { conversations: [{ id: pair.id, after: 0 }] });
        const result = synced.conversations.find((c: any) => c.id === pair.id);
        assert.ok(Buffer.byteLength(JSON.stringify(synced)) <= BUDGET + ENVELOPE, 'a sync answer shares the budget');
        assert.ok(result.events.length > 0 && result.events.length < whole.length && result.hasMore);
      } finally {
        socket.close();
      }
    });

    it('cuts a history page read backwards at its oldest end, so paging back with before= reaches every message once, with no hole', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      await sendMany(t, alice, pair.id, 12, 1000);
      const all = (await conversationLog(t, bob, pair.id)).filter((e) => e.type === 'message.created').map((e) => e.seq);
      const latest = await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/messages?limit=200`);
      assert.ok(latest.messages.length < all.length, 'the latest page was cut');
      assert.equal(latest.messages.at(-1).seq, all.at(-1), 'the latest page ends with the latest message');
      const seen: number[] = latest.messages.map((m: { seq: number }) => m.seq);
      let page = latest;
      while (page.hasMore) {
        page = await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/messages?before=${seen[0]}&limit=200`);
        seen.unshift(...page.messages.map((m: { seq: number }) => m.seq));
      }
      assert.deepEqual(seen, all);
      // Forwards, from the start, a cut page keeps its oldest end instead.
      const forwards = await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/messages?after=0&limit=200`);
      assert.equal(forwards.messages[0].seq, all[0]);
      assert.equal(forwards.hasMore, true);
    });

    it('still answers one event larger than the budget, so a reader always moves on', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      await sendMany(t, alice, pair.id, 2, 4000);
      const first = (await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/events?after=0&limit=500`));
      const bigAt = (await conversationLog(t, bob, pair.id)).find((e) => e.type === 'message.created')!.seq;
      const big = await ok(t, bob, 'GET', `/v1/conversations/${pair.id}/events?after=${bigAt - 1}&limit=500`);
      assert.equal(big.events.length, 1, 'one 24 KB event, alone on its page');
      assert.equal(big.events[0].seq, bigAt);
      assert.equal(big.hasMore, true);
      assert.ok(first.events.length >= 1);
    });
  });

  describe(`page answers on their way to one user are bounded (${backend.name})`, () => {
    let t: TestApp;
    let reader: Socket | undefined;
    before(async () => {
      t = await startApp(backend, { env: { PAGE_READS_PER_USER: '1', MAX_MESSAGE_LENGTH: '16000', PAGE_MAX_BYTES: String(32 * 1024 * 1024), RATE_LIMIT_SENDS_PER_USER: 'off' } });
    });
    after(async () => {
      reader?.destroy();
      await t.close();
    });

    it('refuses a page read past PAGE_READS_PER_USER with 429 and Retry-After while an answer sits unread, and admits it once that reader is gone', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const pair = await direct(t, alice, bob);
      // ~14 MB of escaped JSON in one page: more than the kernel buffers of a reader that never reads.
      await sendMany(t, alice, pair.id, 150, 16_000);
      const { port } = new URL(t.url);
      const socket = connect(Number(port), '127.0.0.1');
      reader = socket;
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      // Read the start of the answer (so this read, not a probe, holds the slot), then stop reading.
      const head = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => {
        socket.pause();
        resolve(chunk.toString('latin1', 0, 12));
      }));
      socket.write(`GET /v1/conversations/${pair.id}/events?after=0&limit=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${alice.token}\r\n\r\n`);
      assert.equal(await head, 'HTTP/1.1 200');
      const probe = () => call(t, alice, 'GET', `/v1/conversations/${pair.id}/messages?limit=1`);
      const refused = await probe();
      assert.equal(refused.status, 429, 'a second page read waits for the unread one');
      assert.equal(refused.body.error.code, 'rate_limited');
      assert.equal(refused.body.error.details.rule, 'page_reads_per_user');
      assert.ok(refused.body.error.details.retryAfterMs > 0);
      assert.equal((await call(t, bob, 'GET', `/v1/conversations/${pair.id}/messages?limit=1`)).status, 200, 'another user reads on');
      socket.destroy();
      await waitFor(async () => (await probe()).status === 200, 'the slot to come back when the reader is gone', 30_000);
    });
  });
}

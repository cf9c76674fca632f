import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Conversation, expandEvent, type Message } from '@parley/protocol';
import { call, conversationLog, direct, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, type HttpResult, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

let clientIds = 0;
const freshClientId = () => `cm-${process.pid}-${++clientIds}`;

function sendRequest(t: TestApp, user: TestUser, conversationId: string, body: Record<string, unknown>): Promise<HttpResult> {
  return call(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, body);
}

async function send(t: TestApp, user: TestUser, conversationId: string, text: string, extra: Record<string, unknown> = {}): Promise<Message> {
  return expectOk(await sendRequest(t, user, conversationId, { clientMsgId: freshClientId(), text, ...extra }), 'send').message;
}

async function lastSeq(t: TestApp, user: TestUser, id: string): Promise<number> {
  return (await ok(t, user, 'GET', `/v1/conversations/${id}`)).conversation.lastSeq;
}

async function history(t: TestApp, user: TestUser, id: string, query = ''): Promise<{ messages: Message[]; hasMore: boolean; lastSeq: number }> {
  return ok(t, user, 'GET', `/v1/conversations/${id}/messages${query}`);
}

function assertGapFree(events: Array<{ seq: number }>): void {
  assert.deepEqual(events.map((e) => e.seq), Array.from({ length: events.length }, (_, i) => i + 1));
}

// --- suites ------------------------------------------------------------------------------

for (const backend of backends) {
  describe(`sending messages (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversation: Conversation;
    before(async () => {
      t = await startApp(backend, { env: { MAX_MESSAGE_LENGTH: '50' } });
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      conversation = await direct(t, alice, bob);
    });
    after(() => t.close());

    it('returns the stored message with the seq it was written at', async () => {
      const before = await lastSeq(t, alice, conversation.id);
      const clientMsgId = freshClientId();
      const result = await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'hello bob' });
      assert.equal(result.status, 200);
      const message: Message = result.body.message;
      assert.equal(message.seq, before + 1);
      assert.equal(message.conversationId, conversation.id);
      assert.equal(message.senderId, alice.user.id);
      assert.equal(message.clientMsgId, clientMsgId);
      assert.equal(message.text, 'hello bob');
      assert.equal(message.replyTo, null);
      assert.equal(message.editedAt, null);
      assert.equal(message.deletedAt, null);
      assert.ok(!Number.isNaN(Date.parse(message.createdAt)));
      assert.equal(await lastSeq(t, alice, conversation.id), message.seq);
      const log = await conversationLog(t, bob, conversation.id);
      const event = log.find((e) => e.seq === message.seq)!;
      assert.equal(event.type, 'message.created');
      assert.equal(event.actorId, alice.user.id);
      assert.deepEqual((event.data as { message: Message }).message, message);
      const latest = await history(t, bob, conversation.id, '?limit=1');
      assert.deepEqual(latest.messages, [message]);
    });

    it('returns the original message for a repeated clientMsgId and stores nothing new', async () => {
      const clientMsgId = freshClientId();
      const first = expectOk(await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'once' })).message;
      const head = await lastSeq(t, alice, conversation.id);
      const again = expectOk(await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'once' })).message;
      assert.deepEqual(again, first);
      // Even with other text: the id decides, the original stands.
      const changed = expectOk(await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'twice?' })).message;
      assert.deepEqual(changed, first);
      assert.equal(await lastSeq(t, alice, conversation.id), head);
      const created = (await conversationLog(t, alice, conversation.id)).filter((e) => e.type === 'message.created' && (e.data as any).message.clientMsgId === clientMsgId);
      assert.equal(created.length, 1);
    });

    it('keeps clientMsgIds apart per sender and per conversation', async () => {
      const clientMsgId = freshClientId();
      const carol = await createUser(t.url);
      const other = await direct(t, alice, carol);
      const a = expectOk(await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'from alice' })).message;
      const b = expectOk(await sendRequest(t, bob, conversation.id, { clientMsgId, text: 'from bob' })).message;
      const c = expectOk(await sendRequest(t, alice, other.id, { clientMsgId, text: 'elsewhere' })).message;
      assert.equal(new Set([a.id, b.id, c.id]).size, 3);
      assert.equal(b.seq, a.seq + 1);
      assert.equal(b.text, 'from bob');
      assert.equal(c.conversationId, other.id);
    });

    it('stores one message and one event when identical sends race and retries keep coming', async () => {
      const clientMsgId = freshClientId();
      const head = await lastSeq(t, alice, conversation.id);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      try {
        // The first answer was "lost": the client keeps retrying, some of them in parallel.
        const wave1 = await Promise.all(Array.from({ length: 2 }, () => sendRequest(t, alice, conversation.id, { clientMsgId, text: 'retried' })));
        const wave2 = await Promise.all(Array.from({ length: 24 }, () => sendRequest(t, alice, conversation.id, { clientMsgId, text: 'retried' })));
        const answers = [...wave1, ...wave2];
        for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const ids = new Set(answers.map((a) => a.body.message.id));
        const seqs = new Set(answers.map((a) => a.body.message.seq));
        assert.equal(ids.size, 1);
        assert.deepEqual([...seqs], [head + 1]);
        assert.equal(await lastSeq(t, alice, conversation.id), head + 1);
        const log = await conversationLog(t, alice, conversation.id);
        assertGapFree(log);
        assert.equal(log.filter((e) => e.type === 'message.created' && (e.data as any).message.clientMsgId === clientMsgId).length, 1);
        const { messages } = await history(t, bob, conversation.id, `?after=${head}`);
        assert.deepEqual(messages.map((m) => m.text), ['retried']);
        // Live delivery carried it exactly once.
        const fence = await send(t, alice, conversation.id, 'fence');
        await bobSocket.next((f) => f.t === 'event' && f.event.seq === fence.seq);
        assert.equal(bobSocket.events(conversation.id).filter((e) => e.data.message?.clientMsgId === clientMsgId).length, 1);
      } finally {
        bobSocket.close();
      }
    });

    it('answers a socket send with {id, seq, message}, and a repeated frame with the same answer', async () => {
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const clientMsgId = freshClientId();
        const frame = { conversationId: conversation.id, clientMsgId, text: 'over the socket' };
        const ack = await socket.request('send', frame);
        assert.equal(ack.id, ack.message.id);
        assert.equal(ack.seq, ack.message.seq);
        assert.equal(ack.message.text, 'over the socket');
        assert.equal(ack.message.senderId, alice.user.id);
        assert.equal(ack.seq, await lastSeq(t, alice, conversation.id));
        const repeats = await Promise.all(Array.from({ length: 8 }, () => socket.request('send', frame)));
        for (const repeat of repeats) assert.deepEqual(repeat, ack);
        // The same id through HTTP is the same message too.
        const viaHttp = expectOk(await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'over the socket' })).message;
        assert.deepEqual(viaHttp, ack.message);
        assert.equal(await lastSeq(t, alice, conversation.id), ack.seq);
      } finally {
        socket.close();
      }
    });

    it('stores one message when the same clientMsgId races over HTTP and several sockets', async () => {
      const sockets = await Promise.all(Array.from({ length: 4 }, () => TestSocket.open(t.wsUrl, alice.token)));
      try {
        const clientMsgId = freshClientId();
        const head = await lastSeq(t, alice, conversation.id);
        const frame = { conversationId: conversation.id, clientMsgId, text: 'race' };
        const results = await Promise.all([
          ...sockets.flatMap((s) => [s.request('send', frame), s.request('send', frame)]),
          ...Array.from({ length: 4 }, async () => ({ message: expectOk(await sendRequest(t, alice, conversation.id, { clientMsgId, text: 'race' })).message })),
        ]);
        assert.equal(new Set(results.map((r) => r.message.id)).size, 1);
        assert.equal(await lastSeq(t, alice, conversation.id), head + 1);
      } finally {
        for (const socket of sockets) socket.close();
      }
    });

    it('accepts a reply to a message of the same conversation only', async () => {
      const original = await send(t, bob, conversation.id, 'question');
      const reply = await send(t, alice, conversation.id, 'answer', { replyTo: original.id });
      assert.equal(reply.replyTo, original.id);
      const { messages } = await history(t, bob, conversation.id, '?limit=1');
      assert.equal(messages[0]!.replyTo, original.id);

      const carol = await createUser(t.url);
      const elsewhere = await direct(t, alice, carol);
      const foreign = await send(t, carol, elsewhere.id, 'not here');
      const head = await lastSeq(t, alice, conversation.id);
      for (const replyTo of [foreign.id, 'no-such-message']) {
        const result = await sendRequest(t, alice, conversation.id, { clientMsgId: freshClientId(), text: 'orphan', replyTo });
        assert.equal(result.status, 404);
        assert.equal(result.body.error.code, 'not_found');
        assert.deepEqual(result.body.error.details, { replyTo });
      }
      assert.equal(await lastSeq(t, alice, conversation.id), head);
    });

    it('refuses empty, blank, over-long and malformed messages and stores nothing', async () => {
      const head = await lastSeq(t, alice, conversation.id);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ clientMsgId: freshClientId(), text: '' }, 'empty'],
        [{ clientMsgId: freshClientId(), text: '   \n\t ' }, 'blank'],
        [{ clientMsgId: freshClientId(), text: 'x'.repeat(16_001) }, 'over the protocol limit'],
        [{ text: 'no client id' }, 'no clientMsgId'],
        [{ clientMsgId: 'has spaces', text: 'x' }, 'bad clientMsgId'],
        [{ clientMsgId: freshClientId(), text: 'x', colour: 'red' }, 'unknown property'],
        [{ clientMsgId: freshClientId(), text: 42 }, 'text not a string'],
      ];
      for (const [body, what] of cases) {
        const result = await sendRequest(t, alice, conversation.id, body);
        assert.equal(result.status, 400, what);
        assert.equal(result.body.error.code, 'validation_failed', what);
      }
      // The server's own, lower limit is a configured limit, not a schema error.
      const overLimit = await sendRequest(t, alice, conversation.id, { clientMsgId: freshClientId(), text: 'x'.repeat(51) });
      assert.equal(overLimit.status, 422, 'over MAX_MESSAGE_LENGTH');
      assert.equal(overLimit.body.error.code, 'limit_exceeded', 'over MAX_MESSAGE_LENGTH');
      assert.equal(await lastSeq(t, alice, conversation.id), head);
      // The limit counts characters (code points), not UTF-16 units or bytes.
      const emoji = await send(t, alice, conversation.id, '😀'.repeat(50));
      assert.equal([...emoji.text!].length, 50);
    });

    it('refuses sending to a direct conversation whose other member was deleted', async () => {
      const carol = await createUser(t.url);
      const doomed = await direct(t, alice, carol);
      await send(t, carol, doomed.id, 'goodbye');
      expectOk(await http(t.url, 'DELETE', `/v1/admin/users/${carol.user.id}`, { token: ADMIN_KEY }));
      const head = await lastSeq(t, alice, doomed.id);
      const result = await sendRequest(t, alice, doomed.id, { clientMsgId: freshClientId(), text: 'hello?' });
      assert.equal(result.status, 403);
      assert.equal(result.body.error.code, 'forbidden');
      assert.equal(await lastSeq(t, alice, doomed.id), head);
      // The history stays readable.
      const { messages } = await history(t, alice, doomed.id);
      assert.deepEqual(messages.map((m) => m.text), ['goodbye']);
    });
  });

  describe(`editing and deleting messages (${backend.name})`, () => {
    let t: TestApp;
    let owner: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let room: Conversation;
    let pair: Conversation;
    before(async () => {
      t = await startApp(backend);
      owner = await createUser(t.url);
      bob = await createUser(t.url);
      carol = await createUser(t.url);
      room = await group(t, owner, 'Room', [bob, carol]);
      pair = await direct(t, bob, carol);
    });
    after(() => t.close());

    it('lets the sender edit: message.edited live and in the log, editedAt and new text in history', async () => {
      const message = await send(t, bob, room.id, 'frist');
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        const edited = (await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${message.id}`, { text: 'first' })).message;
        assert.equal(edited.id, message.id);
        assert.equal(edited.seq, message.seq, 'a message keeps the seq it was created at');
        assert.equal(edited.text, 'first');
        assert.ok(edited.editedAt && !Number.isNaN(Date.parse(edited.editedAt)));
        const live = await carolSocket.next((f) => f.t === 'event' && f.event.type === 'message.edited' && f.event.data.message.id === message.id);
        assert.equal(live.event.seq, message.seq + 1);
        assert.equal(live.event.actorId, bob.user.id);
        assert.deepEqual((expandEvent(live.event).data as { message: Message }).message, edited);
      } finally {
        carolSocket.close();
      }
      const log = await conversationLog(t, carol, room.id);
      assertGapFree(log);
      assert.equal(log.at(-1)!.type, 'message.edited');
      // Log events carry the message as it is now.
      assert.equal((log.find((e) => e.seq === message.seq)!.data as any).message.text, 'first');
      const { messages } = await history(t, carol, room.id, `?after=${message.seq - 1}&limit=1`);
      assert.equal(messages[0]!.text, 'first');
      assert.equal(messages[0]!.editedAt, (log.at(-1)!.data as any).message.editedAt);
    });

    it('lets nobody but the sender edit, not even the owner', async () => {
      const message = await send(t, bob, room.id, 'mine');
      const head = await lastSeq(t, bob, room.id);
      for (const user of [owner, carol]) {
        const result = await call(t, user, 'PATCH', `/v1/conversations/${room.id}/messages/${message.id}`, { text: 'theirs' });
        assert.equal(result.status, 403);
        assert.equal(result.body.error.code, 'forbidden');
      }
      assert.equal(await lastSeq(t, bob, room.id), head);
      const { messages } = await history(t, bob, room.id, '?limit=1');
      assert.equal(messages[0]!.text, 'mine');
      assert.equal(messages[0]!.editedAt, null);
    });

    it('answers 404 for editing a message that does not exist, is in another conversation or was deleted', async () => {
      const elsewhere = await send(t, bob, pair.id, 'in the pair');
      const deleted = await send(t, bob, room.id, 'soon gone');
      await ok(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${deleted.id}`);
      const head = await lastSeq(t, bob, room.id);
      for (const messageId of ['no-such-message', elsewhere.id, deleted.id]) {
        const result = await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${messageId}`, { text: 'edit' });
        assert.equal(result.status, 404, messageId);
        assert.equal(result.body.error.code, 'not_found');
      }
      const blank = await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${deleted.id}`, { text: ' ' });
      assert.equal(blank.status, 400);
      assert.equal(await lastSeq(t, bob, room.id), head);
    });

    it('deletes for everyone: the text is gone from history and from the message.created event in the log', async () => {
      const message = await send(t, bob, room.id, 'secret');
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      let deleted: Message;
      try {
        deleted = (await ok(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`)).message;
        assert.equal(deleted.id, message.id);
        assert.equal(deleted.text, null);
        assert.ok(deleted.deletedAt && !Number.isNaN(Date.parse(deleted.deletedAt)));
        const live = await ownerSocket.next((f) => f.t === 'event' && f.event.type === 'message.deleted');
        assert.deepEqual((expandEvent(live.event).data as { message: Message }).message, deleted);
        assert.equal(live.event.seq, message.seq + 1);
      } finally {
        ownerSocket.close();
      }
      const { messages } = await history(t, carol, room.id, `?after=${message.seq - 1}&limit=1`);
      assert.deepEqual(messages, [deleted]);
      const log = await conversationLog(t, carol, room.id);
      const created = log.find((e) => e.seq === message.seq)!;
      assert.equal(created.type, 'message.created');
      assert.equal((created.data as any).message.text, null);
      assert.equal(JSON.stringify(log).includes('secret'), false, 'the text is nowhere in the log');
      const removal = log.find((e) => e.seq === message.seq + 1)!;
      assert.equal(removal.type, 'message.deleted');
      assert.equal((removal.data as any).message.text, null);
      // The socket's events page says the same.
      const socket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        const page = await socket.request('events', { conversationId: room.id, after: message.seq - 1, limit: 2 });
        assert.deepEqual(page.events.map((e: any) => [e.type, e.data.message.text]), [['message.created', null], ['message.deleted', null]]);
      } finally {
        socket.close();
      }
    });

    it('accepts deleting twice and appends only one message.deleted event', async () => {
      const message = await send(t, bob, room.id, 'twice');
      const first = (await ok(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`)).message;
      const head = await lastSeq(t, bob, room.id);
      const answers = await Promise.all(Array.from({ length: 5 }, () => call(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`)));
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body.message, first);
      }
      assert.equal(await lastSeq(t, bob, room.id), head);
      const log = await conversationLog(t, bob, room.id);
      assertGapFree(log);
      assert.equal(log.filter((e) => e.type === 'message.deleted' && (e.data as any).message.id === message.id).length, 1);
    });

    it('stores one message.deleted event when deletes race', async () => {
      const message = await send(t, bob, room.id, 'race to delete');
      const head = await lastSeq(t, bob, room.id);
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, () => call(t, bob, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`)),
        ...Array.from({ length: 4 }, () => call(t, owner, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`)),
      ]);
      for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(await lastSeq(t, bob, room.id), head + 1);
    });

    it('lets the group owner delete anyone\'s message, but not other members', async () => {
      const message = await send(t, bob, room.id, 'moderate me');
      const byMember = await call(t, carol, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`);
      assert.equal(byMember.status, 403);
      assert.equal(byMember.body.error.code, 'forbidden');
      const byOwner = (await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/messages/${message.id}`)).message;
      assert.equal(byOwner.text, null);
      const log = await conversationLog(t, bob, room.id);
      assert.equal(log.at(-1)!.type, 'message.deleted');
      assert.equal(log.at(-1)!.actorId, owner.user.id);
    });

    it('lets nobody delete the other person\'s message in a direct conversation', async () => {
      const message = await send(t, bob, pair.id, 'private');
      const result = await call(t, carol, 'DELETE', `/v1/conversations/${pair.id}/messages/${message.id}`);
      assert.equal(result.status, 403);
      const missing = await call(t, carol, 'DELETE', `/v1/conversations/${pair.id}/messages/no-such-message`);
      assert.equal(missing.status, 404);
      const { messages } = await history(t, carol, pair.id, '?limit=1');
      assert.equal(messages[0]!.text, 'private');
    });
  });

  describe(`history (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversation: Conversation;
    let sent: Message[];
    before(async () => {
      t = await startApp(backend);
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      const carol = await createUser(t.url);
      conversation = await group(t, alice, 'History', [bob]);
      sent = [];
      for (let i = 1; i <= 9; i++) {
        sent.push(await send(t, i % 2 ? alice : bob, conversation.id, `m${i}`));
        // Non-message events interleave in the seq space; history skips them.
        if (i === 3) await ok(t, alice, 'PATCH', `/v1/conversations/${conversation.id}`, { title: 'History 2' });
        if (i === 6) await ok(t, alice, 'POST', `/v1/conversations/${conversation.id}/members`, { userIds: [carol.user.id] });
      }
    });
    after(() => t.close());

    const texts = (page: { messages: Message[] }) => page.messages.map((m) => m.text);

    it('returns the latest page in ascending order with hasMore and lastSeq', async () => {
      const page = await history(t, bob, conversation.id, '?limit=4');
      assert.deepEqual(texts(page), ['m6', 'm7', 'm8', 'm9']);
      assert.equal(page.hasMore, true);
      assert.equal(page.lastSeq, sent.at(-1)!.seq);
      const all = await history(t, bob, conversation.id);
      assert.deepEqual(texts(all), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      assert.equal(all.hasMore, false);
      const seqs = all.messages.map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.deepEqual(all.messages, sent);
    });

    it('pages backwards with before until there is no more', async () => {
      const pages: string[][] = [];
      let page = await history(t, bob, conversation.id, '?limit=4');
      pages.push(texts(page) as string[]);
      while (page.hasMore) {
        page = await history(t, bob, conversation.id, `?limit=4&before=${page.messages[0]!.seq}`);
        pages.push(texts(page) as string[]);
      }
      assert.deepEqual(pages, [['m6', 'm7', 'm8', 'm9'], ['m2', 'm3', 'm4', 'm5'], ['m1']]);
    });

    it('pages forwards with after until there is no more', async () => {
      const pages: string[][] = [];
      let page = await history(t, bob, conversation.id, '?limit=4&after=0');
      pages.push(texts(page) as string[]);
      while (page.hasMore) {
        page = await history(t, bob, conversation.id, `?limit=4&after=${page.messages.at(-1)!.seq}`);
        pages.push(texts(page) as string[]);
      }
      assert.deepEqual(pages, [['m1', 'm2', 'm3', 'm4'], ['m5', 'm6', 'm7', 'm8'], ['m9']]);
      const end = await history(t, bob, conversation.id, `?after=${sent.at(-1)!.seq}`);
      assert.deepEqual(end, { messages: [], hasMore: false, lastSeq: sent.at(-1)!.seq, myReactions: {} });
    });

    it('returns exactly the messages between after and before when both are given', async () => {
      const page = await history(t, bob, conversation.id, `?after=${sent[2]!.seq}&before=${sent[6]!.seq}`);
      assert.deepEqual(texts(page), ['m4', 'm5', 'm6']);
      assert.equal(page.hasMore, false);
      const limited = await history(t, bob, conversation.id, `?after=${sent[2]!.seq}&before=${sent[6]!.seq}&limit=2`);
      assert.deepEqual(texts(limited), ['m4', 'm5']);
      assert.equal(limited.hasMore, true);
    });

    it('refuses a limit out of range and seqs that are not whole numbers', async () => {
      for (const query of ['?limit=0', '?limit=201', '?before=-1', '?after=abc', '?limit=1.5', '?after=1e1', '?page=2']) {
        const result = await call(t, bob, 'GET', `/v1/conversations/${conversation.id}/messages${query}`);
        assert.equal(result.status, 400, query);
        assert.equal(result.body.error.code, 'validation_failed', query);
      }
      const max = await history(t, bob, conversation.id, '?limit=200');
      assert.equal(max.messages.length, 9);
    });
  });
}

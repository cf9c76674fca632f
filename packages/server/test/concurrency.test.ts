import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@parley/protocol';
import { call, conversationLog, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, type HttpResult, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

function assertGapFree(events: Array<{ seq: number }>): void {
  const seqs = events.map((e) => e.seq);
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'the log is 1..N without gaps or duplicates');
}

const CONNECTIONS = 24;
const SENDS_PER_CONNECTION = 15;
const RETRIES_PER_CONNECTION = 5;

// --- suites ------------------------------------------------------------------------------

for (const backend of backends) {
  describe(`concurrent writers to one conversation (${backend.name})`, () => {
    let t: TestApp;
    let owner: TestUser;
    let members: TestUser[];
    let room: Conversation;
    before(async () => {
      t = await startApp(backend);
      owner = await createUser(t.url);
      members = await Promise.all(Array.from({ length: CONNECTIONS / 2 }, () => createUser(t.url)));
      room = (await ok(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'Stampede', memberIds: members.map((m) => m.user.id) })).conversation;
    });
    after(() => t.close());

    it(`keeps the log gap-free and duplicate-free with ${CONNECTIONS} connections sending and retrying at once`, async () => {
      // Two device sessions per member: every connection is its own session.
      const sessions = await Promise.all(members.flatMap((member) => [signIn(t.url, member.user.id), signIn(t.url, member.user.id)]));
      const sockets = await Promise.all(sessions.map((session) => TestSocket.open(t.wsUrl, session.token)));
      const observer = await TestSocket.open(t.wsUrl, owner.token);
      try {
        const start = room.lastSeq;
        const acks = await Promise.all(
          sockets.map(async (socket, c) => {
            const frames = Array.from({ length: SENDS_PER_CONNECTION }, (_, i) => ({ conversationId: room.id, clientMsgId: `c${c}-m${i}`, text: `connection ${c} message ${i}` }));
            // Everything in flight at once, plus retries of some sends racing their originals.
            const retries = frames.slice(0, RETRIES_PER_CONNECTION);
            const [originals, repeated] = await Promise.all([
              Promise.all(frames.map((frame) => socket.request('send', frame, 60_000))),
              Promise.all(retries.map((frame) => socket.request('send', frame, 60_000))),
            ]);
            for (let i = 0; i < repeated.length; i++) assert.deepEqual(repeated[i], originals[i], 'a retry answers with the original');
            return originals as Array<{ id: string; seq: number; message: Message }>;
          }),
        );
        const flat = acks.flat();
        const sends = CONNECTIONS * SENDS_PER_CONNECTION;
        assert.equal(flat.length, sends);
        const ackSeqs = flat.map((a) => a.seq);
        assert.equal(new Set(ackSeqs).size, sends, 'every ack seq is unique');
        assert.equal(new Set(flat.map((a) => a.id)).size, sends, 'every message id is unique');
        for (const ack of flat) assert.equal(ack.seq, ack.message.seq);

        const log = await conversationLog(t, owner, room.id);
        assertGapFree(log);
        assert.equal(log.length, start + sends);
        const created = log.filter((e) => e.type === 'message.created');
        assert.equal(created.length, sends, 'one message.created per send');
        assert.deepEqual(created.map((e) => e.seq).sort((a, b) => a - b), [...ackSeqs].sort((a, b) => a - b), 'the acks name exactly the logged seqs');
        assert.deepEqual(new Set(created.map((e) => (e.data as { message: Message }).message.clientMsgId)).size, sends);
        const head = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}`)).conversation;
        assert.equal(head.lastSeq, start + sends);
        const history = await ok(t, owner, 'GET', `/v1/conversations/${room.id}/messages?after=0&limit=200`);
        assert.equal(history.hasMore, true);

        // Live delivery: every connection saw every message exactly once, in seq order.
        const last = start + sends;
        for (const socket of [observer, ...sockets]) {
          await socket.next((f) => f.t === 'event' && f.event.conversationId === room.id && f.event.seq === last, 30_000);
          const seen = socket.events(room.id).map((e) => e.seq);
          assert.deepEqual(seen, Array.from({ length: sends }, (_, i) => start + 1 + i));
        }
      } finally {
        for (const socket of [observer, ...sockets]) socket.close();
      }
    });

    it('keeps the log gap-free while messages, edits, deletes and membership changes race each other', async () => {
      const newcomers = await Promise.all(Array.from({ length: 6 }, () => createUser(t.url)));
      const sockets = await Promise.all(members.slice(0, 8).map((member) => TestSocket.open(t.wsUrl, member.token)));
      const start = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}`)).conversation.lastSeq;
      try {
        const seed = await Promise.all(sockets.map((socket, c) => socket.request('send', { conversationId: room.id, clientMsgId: `seed-${c}`, text: `seed ${c}` })));
        const work: Array<Promise<unknown>> = [];
        sockets.forEach((socket, c) => {
          for (let i = 0; i < 10; i++) work.push(socket.request('send', { conversationId: room.id, clientMsgId: `mix-${c}-${i}`, text: `mix ${c} ${i}` }, 60_000));
          work.push(socket.request('edit', { conversationId: room.id, messageId: seed[c].id, text: `seed ${c} edited` }, 60_000).catch((error) => error.body));
          if (c % 2 === 0) work.push(socket.request('delete', { conversationId: room.id, messageId: seed[c].id }, 60_000).catch((error) => error.body));
          work.push(socket.request('read', { conversationId: room.id, seq: start + 1 }, 60_000));
        });
        for (const newcomer of newcomers) work.push(ok(t, owner, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [newcomer.user.id] }));
        for (let i = 0; i < 4; i++) work.push(ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { title: `Stampede ${i}` }));
        work.push(ok(t, newcomers[0]!, 'POST', `/v1/conversations/${room.id}/leave`).catch((error) => error));
        const results = await Promise.all(work);
        // An edit racing a delete of the same message may lose: the answer is then a typed 404.
        for (const result of results) {
          if (result && typeof result === 'object' && 'code' in result) assert.equal((result as { code: string }).code, 'not_found');
        }
        const log = await conversationLog(t, owner, room.id);
        assertGapFree(log);
        const mine = log.slice(start);
        const count = (type: string) => mine.filter((e) => e.type === type).length;
        assert.equal(count('message.created'), sockets.length * 11);
        assert.equal(count('message.deleted'), sockets.length / 2);
        assert.equal(count('members.added'), newcomers.length);
        assert.equal(count('conversation.updated'), 4);
        const head = (await ok(t, owner, 'GET', `/v1/conversations/${room.id}`)).conversation;
        assert.equal(head.lastSeq, log.length);
        const { members: listed } = await ok(t, owner, 'GET', `/v1/conversations/${room.id}/members?limit=500`);
        assert.equal(head.memberCount, listed.length, 'memberCount matches the member rows');
        // Every newcomer's own log says when they joined, at a seq that really is their members.added.
        for (const newcomer of newcomers.slice(1)) {
          const events = (await ok(t, newcomer, 'GET', '/v1/me/events')).events;
          const added = events.find((e: any) => e.type === 'conversation.added');
          const event = log[added.data.seq - 1]!;
          assert.equal(event.type, 'members.added');
          assert.deepEqual((event.data as { userIds: string[] }).userIds, [newcomer.user.id]);
        }
      } finally {
        for (const socket of sockets) socket.close();
      }
    });

    it('creates one direct conversation per pair when many pairs race from both sides', async () => {
      const users = await Promise.all(Array.from({ length: 8 }, () => createUser(t.url)));
      const attempts: Array<Promise<HttpResult>> = [];
      for (let i = 0; i < users.length; i++) {
        for (let j = 0; j < users.length; j++) {
          if (i !== j) attempts.push(call(t, users[i]!, 'POST', '/v1/conversations', { kind: 'direct', userId: users[j]!.user.id }));
        }
      }
      const results = await Promise.all(attempts);
      for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));
      const ids = new Set(results.map((r) => r.body.conversation.id));
      assert.equal(ids.size, (users.length * (users.length - 1)) / 2, 'one conversation per pair');
      for (const user of users) {
        const list = await ok(t, user, 'GET', '/v1/conversations?limit=50');
        assert.equal(list.conversations.length, users.length - 1);
        const events = (await ok(t, user, 'GET', '/v1/me/events')).events;
        assert.equal(events.length, users.length - 1, 'added to each pair once');
        assert.deepEqual(events.map((e: any) => e.seq), Array.from({ length: users.length - 1 }, (_, i) => i + 1));
      }
    });
  });
}

/**
 * The group commit runs sends to different conversations side by side (unit-of-work.ts):
 * here many conversations take sends at once, with refusals (a blocked peer) and retries
 * racing their originals among them, so the side-by-side runs meet failures and fall back
 * to one by one. Every conversation's log must come out as if the sends ran in turn.
 */
for (const backend of backends) {
  describe(`concurrent sends to many conversations (${backend.name})`, () => {
    let t: TestApp;
    after(() => t?.close());

    it('keeps each log gap-free and duplicate-free, refuses only the blocked sends, and answers each retry with its original', async () => {
      t = await startApp(backend);
      const alice = await createUser(t.url);
      const peers = await Promise.all(Array.from({ length: 8 }, () => createUser(t.url)));
      const pairs = await Promise.all(peers.map(async (peer) => (await ok(t, alice, 'POST', '/v1/conversations', { kind: 'direct', userId: peer.user.id })).conversation as Conversation));
      const blockedPair = pairs[2]!;
      await ok(t, peers[2]!, 'PUT', `/v1/me/blocks/${alice.user.id}`);
      // Each peer sends into its own pair (the blocker too: a block stops both ways).
      const sockets = await Promise.all(peers.map((peer) => TestSocket.open(t.wsUrl, peer.token)));
      try {
        const PER_PAIR = 6;
        const frames = pairs.flatMap((pair, p) => Array.from({ length: PER_PAIR }, (_, i) => ({ socket: sockets[p]!, conversationId: pair.id, clientMsgId: `p${p}-m${i}`, text: `to pair ${p}, message ${i}` })));
        // Each send twice at once (a retry racing its original), every pair's sends interleaved with the others'.
        const answers = await Promise.all([...frames, ...frames].map(({ socket, ...frame }) => socket.request('send', frame, 60_000).then(
          (ack) => ({ frame, ack: ack as { id: string; seq: number } }),
          (error: Error & { body?: { code: string } }) => ({ frame, refused: error.body?.code ?? String(error) }),
        )));
        for (const pair of pairs) {
          const mine = answers.filter((answer) => answer.frame.conversationId === pair.id);
          if (pair.id === blockedPair.id) {
            assert.deepEqual(mine.map((answer) => 'refused' in answer && answer.refused), Array.from({ length: PER_PAIR * 2 }, () => 'forbidden'));
            const log = await conversationLog(t, alice, pair.id);
            assert.equal(log.filter((event) => event.type === 'message.created').length, 0, 'nothing of the refused sends is stored');
            continue;
          }
          const acks = new Map<string, { id: string; seq: number }>();
          for (const answer of mine) {
            assert.ok('ack' in answer, `a send to an open pair is acknowledged: ${JSON.stringify(answer)}`);
            const earlier = acks.get(answer.frame.clientMsgId);
            if (earlier) assert.deepEqual({ id: answer.ack.id, seq: answer.ack.seq }, earlier, 'a retry answers with its original');
            else acks.set(answer.frame.clientMsgId, { id: answer.ack.id, seq: answer.ack.seq });
          }
          const log = await conversationLog(t, alice, pair.id);
          assertGapFree(log);
          const created = log.filter((event) => event.type === 'message.created');
          assert.equal(created.length, PER_PAIR, 'one message per clientMsgId');
          assert.deepEqual(created.map((event) => event.seq).sort((a, b) => a - b), [...acks.values()].map((ack) => ack.seq).sort((a, b) => a - b));
        }
      } finally {
        for (const socket of sockets) socket.close();
      }
    });
  });
}

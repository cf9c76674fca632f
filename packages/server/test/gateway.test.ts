import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { CloseCodes, type Conversation, type Message } from '@parley/protocol';
import { WebSocket as WsClient } from 'ws';
import { Connection, type ConnectionOptions } from '../src/gateway/connection.ts';
import { AppError } from '../src/platform/errors.ts';
import { direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, expectOk, http, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

let clientIds = 0;
const freshClientId = () => `gw-${process.pid}-${++clientIds}`;

async function send(t: TestApp, user: TestUser, conversationId: string, text: string): Promise<Message> {
  return (await ok(t, user, 'POST', `/v1/conversations/${conversationId}/messages`, { clientMsgId: freshClientId(), text })).message;
}

async function lastSeq(t: TestApp, user: TestUser, id: string): Promise<number> {
  return (await ok(t, user, 'GET', `/v1/conversations/${id}`)).conversation.lastSeq;
}

/** The answer (ack or error frame) to request `id`. */
function answer(socket: TestSocket, id: string, timeoutMs = 5000): Promise<any> {
  return socket.next((f) => (f.t === 'ack' || f.t === 'error') && f.id === id, timeoutMs);
}

async function expectAlive(socket: TestSocket): Promise<void> {
  assert.deepEqual(await socket.request('ping'), {}, 'the connection still answers');
  assert.equal(socket.closeCode, null);
}

/** Frames are answered exactly once: no request id is answered twice. */
function assertAnsweredOnce(socket: TestSocket): void {
  const ids = socket.frames.filter((f) => (f.t === 'ack' || f.t === 'error') && f.id !== null).map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate answers: ${ids}`);
}

/**
 * A client that stops reading: the `ws` client with its TCP socket paused after `ready`,
 * so the server's writes pile up first in the kernel, then in the server's send queue.
 */
class StalledClient {
  readonly frames: any[] = [];
  closeCode: number | null = null;
  readonly ws: WsClient;

  private constructor(ws: WsClient) {
    this.ws = ws;
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data))));
    ws.on('close', (code) => {
      this.closeCode = code;
    });
    ws.on('error', () => {});
  }

  static async open(url: string, token: string): Promise<StalledClient> {
    const client = new StalledClient(new WsClient(`${url}?token=${encodeURIComponent(token)}`));
    await waitFor(() => client.frames.some((f) => f.t === 'ready') || client.closeCode !== null, 'ready');
    assert.equal(client.closeCode, null);
    return client;
  }

  private get socket(): { pause(): void; resume(): void } {
    return (this.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  }

  stopReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  terminate(): void {
    this.ws.terminate();
  }
}

// --- suites ------------------------------------------------------------------------------

for (const backend of backends) {
  describe(`gateway authentication (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { WS_AUTH_TIMEOUT_MS: '400' } });
    });
    after(() => t.close());

    it('authenticates with ?token= and sends a ready frame describing the session and the limits', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      await direct(t, alice, bob);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const heads = await ok(t, alice, 'GET', '/v1/me/heads');
        assert.deepEqual(socket.ready, {
          t: 'ready',
          userId: alice.user.id,
          sessionId: alice.sessionId,
          userSeq: heads.userSeq,
          heartbeatMs: t.app.config.ws.heartbeatMs,
          maxFrameBytes: t.app.config.limits.maxFrameBytes,
          maxMessageLength: t.app.config.limits.maxMessageLength,
        });
        assert.equal(heads.userSeq, 1);
        assert.equal(socket.frames[0].t, 'ready', 'ready is the first frame');
        await expectAlive(socket);
      } finally {
        socket.close();
      }
    });

    it('authenticates with a first auth frame, answered by ready and an ack with its id', async () => {
      const alice = await createUser(t.url);
      const socket = await TestSocket.open(t.wsUrl);
      try {
        socket.send({ t: 'auth', id: 'a1', token: alice.token });
        const ready = await socket.next((f) => f.t === 'ready');
        assert.equal(ready.userId, alice.user.id);
        assert.equal(ready.sessionId, alice.sessionId);
        const ack = await answer(socket, 'a1');
        assert.deepEqual(ack, { t: 'ack', id: 'a1', data: {} });
        assert.ok(socket.frames.indexOf(ready) < socket.frames.indexOf(ack));
        await expectAlive(socket);
        // Another auth frame renews the token on the same socket: an ack, no second ready (see socket-reauth.test.ts).
        socket.send({ t: 'auth', id: 'a2', token: alice.token });
        assert.deepEqual(await answer(socket, 'a2'), { t: 'ack', id: 'a2', data: {} });
        assert.equal(socket.frames.filter((f) => f.t === 'ready').length, 1);
        await expectAlive(socket);
      } finally {
        socket.close();
      }
    });

    it('answers requests before authentication with unauthorized error frames that carry their ids', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const head = await lastSeq(t, alice, conversation.id);
      const socket = await TestSocket.open(t.wsUrl);
      try {
        socket.send({ t: 'ping', id: 'p1' });
        socket.send({ t: 'send', id: 's1', conversationId: conversation.id, clientMsgId: freshClientId(), text: 'too early' });
        socket.send({ t: 'sync', id: 'y1', conversations: [] });
        for (const id of ['p1', 's1', 'y1']) {
          const frame = await answer(socket, id);
          assert.equal(frame.t, 'error');
          assert.equal(frame.error.code, 'unauthorized');
        }
        socket.send({ t: 'auth', id: 'a1', token: alice.token });
        await answer(socket, 'a1');
        await expectAlive(socket);
        assert.equal(await lastSeq(t, alice, conversation.id), head, 'the early send stored nothing');
      } finally {
        socket.close();
      }
    });

    it('answers requests sent right after connecting with a token, without waiting for ready', async () => {
      const alice = await createUser(t.url);
      const socket = await TestSocket.open(t.wsUrl, alice.token, { waitReady: false });
      try {
        socket.send({ t: 'ping', id: 'early-1' });
        socket.send({ t: 'user_events', id: 'early-2', after: 0 });
        const first = await answer(socket, 'early-1');
        const second = await answer(socket, 'early-2');
        assert.equal(first.t, 'ack', JSON.stringify(first));
        assert.equal(second.t, 'ack', JSON.stringify(second));
        const ready = socket.frames.findIndex((f) => f.t === 'ready');
        assert.ok(ready >= 0 && ready < socket.frames.indexOf(first), 'ready comes first');
      } finally {
        socket.close();
      }
    });

    it('answers requests pipelined right after the auth frame once authenticated', async () => {
      const alice = await createUser(t.url);
      const socket = await TestSocket.open(t.wsUrl);
      try {
        socket.send({ t: 'auth', id: 'a1', token: alice.token });
        socket.send({ t: 'ping', id: 'p1' });
        assert.equal((await answer(socket, 'a1')).t, 'ack');
        assert.equal((await answer(socket, 'p1')).t, 'ack');
        assertAnsweredOnce(socket);
      } finally {
        socket.close();
      }
    });

    it('closes a connection that does not authenticate within WS_AUTH_TIMEOUT_MS with 4100', async () => {
      const socket = await TestSocket.open(t.wsUrl);
      const opened = Date.now();
      // Other requests do not buy time.
      socket.send({ t: 'ping', id: 'p1' });
      assert.equal(await socket.closed(5000), 4100);
      assert.ok(Date.now() - opened >= 300, 'not before the time limit');
    });

    it('closes with 4200 for an invalid token, given in the URL or in an auth frame', async () => {
      const viaUrl = await TestSocket.open(t.wsUrl, 'not-a-token', { waitReady: false });
      assert.equal(await viaUrl.closed(), 4200);
      assert.equal(viaUrl.ready, undefined);
      const viaFrame = await TestSocket.open(t.wsUrl);
      viaFrame.send({ t: 'auth', id: 'a1', token: 'not-a-token' });
      const refused = await answer(viaFrame, 'a1');
      assert.equal(refused.t, 'error');
      assert.equal(refused.error.code, 'unauthorized');
      assert.equal(await viaFrame.closed(), 4200);
    });

    it('refuses an upgrade on any other path', async () => {
      await assert.rejects(TestSocket.open(t.wsUrl.replace('/v1/ws', '/v1/nope')));
    });
  });

  describe(`gateway input handling (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversation: Conversation;
    before(async () => {
      t = await startApp(backend, { env: { WS_MAX_FRAME_BYTES: '4096' } });
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      conversation = await direct(t, alice, bob);
      await send(t, bob, conversation.id, 'hi');
    });
    after(() => t.close());

    it('answers malformed frames with error frames, carrying the request id when there is one, and stays usable', async () => {
      const head = await lastSeq(t, alice, conversation.id);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      const valid = { conversationId: conversation.id, clientMsgId: freshClientId(), text: 'valid text' };
      try {
        const anonymous: Array<[string | Uint8Array<ArrayBuffer>, string, string]> = [
          ['{"t":"ping","id":', 'bad_request', 'malformed JSON'],
          ['not json at all', 'bad_request', 'not JSON'],
          ['[1,2,3]', 'bad_request', 'an array'],
          ['"ping"', 'bad_request', 'a string'],
          ['42', 'bad_request', 'a number'],
          ['null', 'bad_request', 'null'],
          ['', 'bad_request', 'empty'],
          [new TextEncoder().encode(JSON.stringify({ t: 'send', id: 'bin', ...valid })) as Uint8Array<ArrayBuffer>, 'bad_request', 'binary'],
          [JSON.stringify({ t: 'ping', id: 7 }), 'validation_failed', 'a numeric id'],
          [JSON.stringify({ t: 'ping', id: 'x'.repeat(65) }), 'validation_failed', 'an over-long id'],
        ];
        for (const [data, code, what] of anonymous) {
          const before = socket.frames.length;
          socket.sendRaw(data);
          const error = await socket.next((f) => f.t === 'error' && socket.frames.indexOf(f) >= before);
          assert.equal(error.id, null, what);
          assert.equal(error.error.code, code, what);
          assert.equal(typeof error.error.message, 'string');
          await expectAlive(socket);
        }
        const identified: Array<[Record<string, unknown>, string, string]> = [
          [{ id: 'm1', conversationId: conversation.id }, 'bad_request', 'no t'],
          [{ t: 42, id: 'm2' }, 'bad_request', 't not a string'],
          [{ t: 'shout', id: 'm3' }, 'bad_request', 'unknown type'],
          [{ t: '__proto__', id: 'm4' }, 'bad_request', 'prototype key as type'],
          [{ t: 'ready', id: 'm5' }, 'bad_request', 'a server frame type'],
          [{ t: 'send', id: 'm6', ...valid, text: 42 }, 'validation_failed', 'text not a string'],
          [{ t: 'send', id: 'm7', ...valid, text: '' }, 'validation_failed', 'empty text'],
          [{ t: 'send', id: 'm8', ...valid, extra: true }, 'validation_failed', 'unknown property'],
          [{ t: 'send', id: 'm9', conversationId: conversation.id, text: 'x' }, 'validation_failed', 'no clientMsgId'],
          [{ t: 'send', id: 'm10', ...valid, conversationId: 'has/slash' }, 'validation_failed', 'bad id'],
          [{ t: 'send', id: 'm11', ...valid, text: '   ' }, 'validation_failed', 'blank text (service check)'],
          [{ t: 'send', id: 'm12', ...valid, text: 'x'.repeat(4001) }, 'payload_too_large', 'over the frame limit'],
          [{ t: 'read', id: 'm13', conversationId: conversation.id, seq: -1 }, 'validation_failed', 'negative seq'],
          [{ t: 'events', id: 'm14', conversationId: conversation.id, after: 0, limit: 501 }, 'validation_failed', 'limit too high'],
          [{ t: 'sync', id: 'm15', conversations: 'all' }, 'validation_failed', 'conversations not an array'],
          [{ t: 'edit', id: 'm16', conversationId: conversation.id, messageId: 'nope', text: 'x' }, 'not_found', 'unknown message'],
        ];
        for (const [frame, code, what] of identified) {
          socket.send(frame);
          const error = await answer(socket, frame.id as string);
          assert.equal(error.t, 'error', what);
          assert.equal(error.error.code, code, `${what}: ${JSON.stringify(error.error)}`);
          await expectAlive(socket);
        }
        const details = socket.frames.find((f) => f.id === 'm6').error.details;
        assert.ok(Array.isArray(details) && details.some((d: any) => d.path === '/text'), JSON.stringify(details));
        assertAnsweredOnce(socket);
      } finally {
        socket.close();
      }
      assert.equal(await lastSeq(t, alice, conversation.id), head, 'no rejected frame stored anything');
      const { messages } = await ok(t, alice, 'GET', `/v1/conversations/${conversation.id}/messages`);
      assert.deepEqual(messages.map((m: Message) => m.text), ['hi']);
    });

    it('answers a frame over WS_MAX_FRAME_BYTES with payload_too_large and keeps the connection', async () => {
      const head = await lastSeq(t, alice, conversation.id);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        socket.sendRaw('x'.repeat(10_000));
        const unparsable = await socket.next((f) => f.t === 'error');
        assert.deepEqual([unparsable.id, unparsable.error.code], [null, 'payload_too_large']);
        socket.send({ t: 'ping', id: 'big', padding: 'y'.repeat(100_000) });
        const big = await answer(socket, 'big');
        assert.equal(big.error.code, 'payload_too_large');
        // Deep nesting just under the hard limit is refused without harm.
        socket.sendRaw('['.repeat(500_000));
        await waitFor(() => socket.frames.filter((f) => f.t === 'error' && f.error.code === 'payload_too_large').length === 3, 'third error');
        await expectAlive(socket);
        const ack = await socket.request('send', { conversationId: conversation.id, clientMsgId: freshClientId(), text: 'small again' });
        assert.equal(ack.seq, head + 1);
      } finally {
        socket.close();
      }
    });

    it('closes a connection that sends a frame over 1 MiB with 1009, and the server keeps serving', async () => {
      const head = await lastSeq(t, alice, conversation.id);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      socket.send({ t: 'send', id: 'huge', conversationId: conversation.id, clientMsgId: freshClientId(), text: 'z'.repeat(1024 * 1024 + 10) });
      assert.equal(await socket.closed(), 1009);
      assert.equal(socket.frames.some((f) => f.id === 'huge'), false);
      const next = await TestSocket.open(t.wsUrl, alice.token);
      try {
        await expectAlive(next);
        assert.equal(await lastSeq(t, alice, conversation.id), head);
        expectOk(await http(t.url, 'GET', '/healthz'));
      } finally {
        next.close();
      }
    });

    it('answers socket requests with the same data as HTTP: events, user_events and read', async () => {
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const viaSocket = await socket.request('events', { conversationId: conversation.id, after: 0, limit: 2 });
        const viaHttp = await ok(t, alice, 'GET', `/v1/conversations/${conversation.id}/events?after=0&limit=2`);
        assert.deepEqual(viaSocket, viaHttp);
        assert.deepEqual(viaSocket.events.map((e: any) => e.seq), [1, 2]);
        const userViaSocket = await socket.request('user_events', { after: 0 });
        assert.deepEqual(userViaSocket, await ok(t, alice, 'GET', '/v1/me/events?after=0'));
        assert.equal(userViaSocket.events[0].type, 'conversation.added');
        const head = await lastSeq(t, alice, conversation.id);
        const read = await socket.request('read', { conversationId: conversation.id, seq: head });
        assert.deepEqual(read, { readSeq: head, unreadCount: 0 });
        const note = await socket.next((f) => f.t === 'user_event' && f.event.type === 'read');
        assert.deepEqual(note.event.data, { conversationId: conversation.id, seq: head });
      } finally {
        socket.close();
      }
    });
  });

  describe(`gateway limits on in-flight requests (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { WS_MAX_INFLIGHT: '2' } });
    });
    after(() => t.close());

    it('answers requests beyond WS_MAX_INFLIGHT with rate_limited, stores only what was acked, and recovers', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const head = await lastSeq(t, alice, conversation.id);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        let acked = 0;
        let limited = 0;
        for (let burst = 0; burst < 10 && limited === 0; burst++) {
          const ids = Array.from({ length: 40 }, (_, i) => `b${burst}-${i}`);
          for (const id of ids) socket.send({ t: 'send', id, conversationId: conversation.id, clientMsgId: freshClientId(), text: id });
          const answers = await Promise.all(ids.map((id) => answer(socket, id, 20_000)));
          for (const frame of answers) {
            if (frame.t === 'ack') acked++;
            else {
              assert.equal(frame.error.code, 'rate_limited');
              assert.equal(typeof frame.error.details.retryAfterMs, 'number');
              limited++;
            }
          }
        }
        assert.ok(limited > 0, 'some requests were refused');
        assert.ok(acked > 0, 'some requests went through');
        assertAnsweredOnce(socket);
        assert.equal(await lastSeq(t, alice, conversation.id), head + acked, 'exactly the acked sends were stored');
        await expectAlive(socket);
      } finally {
        socket.close();
      }
    });
  });

  describe(`gateway slow consumers (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let conversation: Conversation;
    before(async () => {
      t = await startApp(backend, { env: { WS_MAX_BUFFERED_BYTES: String(16 * 1024), MAX_MESSAGE_LENGTH: '16000' } });
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      conversation = await group(t, bob, 'Firehose', [alice]);
    });
    after(() => t.close());

    it('closes a socket that stops reading with 4001 while a reading socket gets everything, and the slow one can resume from the log', async () => {
      const healthy = await TestSocket.open(t.wsUrl, bob.token);
      const slow = await StalledClient.open(t.wsUrl, alice.token);
      try {
        assert.equal(t.app.gateway.stats().sessions, 2);
        slow.stopReading();
        const text = 'w'.repeat(16_000);
        const sent: Message[] = [];
        const deadline = Date.now() + 90_000;
        // The server gives a closed socket 2 s to read its close frame: read again the moment it
        // gives up, not after the batch of sends in flight, which can take longer than that on a
        // loaded machine (the client then saw 1006).
        let closedByServer = false;
        const readingAgain = waitFor(() => t.app.gateway.stats().sessions < 2, 'the server to close the stalled socket', 90_000).then(() => {
          closedByServer = true;
          slow.resumeReading();
        });
        readingAgain.catch(() => {});
        while (!closedByServer) {
          assert.ok(Date.now() < deadline && sent.length < 5000, `the stalled socket was never closed after ${sent.length} messages`);
          sent.push(...(await Promise.all(Array.from({ length: 8 }, () => send(t, bob, conversation.id, text)))));
        }
        // The server gave up on it; reading again shows why.
        await readingAgain;
        await waitFor(() => slow.closeCode !== null, 'the close frame');
        assert.equal(slow.closeCode, 4001);
        // The reading socket got every event, in order, exactly once.
        const last = await lastSeq(t, bob, conversation.id);
        await healthy.next((f) => f.t === 'event' && f.event.seq === last, 20_000);
        const seqs = healthy.events(conversation.id).map((e) => e.seq);
        assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
        assert.equal(healthy.closeCode, null);
        // 4001 means "reconnect and resume": the log has everything after what it saw.
        const seen = slow.frames.filter((f) => f.t === 'event').map((f) => f.event.seq);
        const resumed = await TestSocket.open(t.wsUrl, alice.token);
        try {
          let from = seen.at(-1) ?? 0;
          for (;;) {
            const page = await resumed.request('events', { conversationId: conversation.id, after: from, limit: 500 });
            if (page.events.length) assert.equal(page.events[0].seq, from + 1);
            from = page.events.at(-1)?.seq ?? from;
            if (!page.hasMore) break;
          }
          assert.equal(from, last);
        } finally {
          resumed.close();
        }
      } finally {
        healthy.close();
        slow.terminate();
      }
    });

    it('closes a socket with 4001 that keeps asking but never reads the answers', async () => {
      // Sockets of the previous test may still be finishing their closing handshakes.
      await waitFor(() => t.app.gateway.stats().sessions === 0, 'earlier sockets to close');
      const sessionsBefore = 0;
      const slow = await StalledClient.open(t.wsUrl, alice.token);
      try {
        assert.equal(t.app.gateway.stats().sessions, 1);
        // Each answer is one 16 KB message: enough to fill the buffers soon, little for the
        // server to read and serialize per request. (Pages of 100 kept this process — server
        // and client — busy for seconds on a loaded machine, past the 2 s the server gives a
        // closed socket to read its close frame, and the client then saw 1006.)
        const last = await lastSeq(t, alice, conversation.id);
        slow.stopReading();
        let asked = 0;
        const deadline = Date.now() + 60_000;
        while (t.app.gateway.stats().sessions > sessionsBefore) {
          assert.ok(Date.now() < deadline && asked < 20_000, `never closed after ${asked} requests`);
          for (let i = 0; i < 4; i++) slow.send({ t: 'events', id: `q${++asked}`, conversationId: conversation.id, after: last - 1, limit: 1 });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        slow.resumeReading();
        await waitFor(() => slow.closeCode !== null, 'the close frame');
        assert.equal(slow.closeCode, 4001);
      } finally {
        slow.terminate();
      }
    });
  });

  describe(`gateway sync (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    let bob: TestUser;
    let mallory: TestUser;
    let upToDate: Conversation;
    let behind: Conversation;
    let farBehind: Conversation;
    let others: Conversation;
    before(async () => {
      t = await startApp(backend, { env: { SYNC_RESET_THRESHOLD: '10' } });
      alice = await createUser(t.url);
      bob = await createUser(t.url);
      mallory = await createUser(t.url);
      upToDate = await direct(t, alice, bob);
      await send(t, bob, upToDate.id, 'seen');
      behind = await group(t, bob, 'Behind', [alice]);
      farBehind = await group(t, bob, 'Far behind', [alice]);
      for (let i = 0; i < 15; i++) await send(t, bob, farBehind.id, `far ${i}`);
      for (let i = 0; i < 3; i++) await send(t, bob, behind.id, `near ${i}`);
      others = await group(t, mallory, 'Not yours', [bob]);
    });
    after(() => t.close());

    it('omits conversations you are up to date with, replays those a little behind in order, and resets those too far behind or ahead', async () => {
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const heads = new Map((await ok(t, alice, 'GET', '/v1/me/heads')).conversations.map((c: any) => [c.id, c.lastSeq]));
        // A group's log starts with created, the owner joining, the others joining (seqs 1-3).
        assert.equal(heads.get(behind.id), 6);
        assert.equal(heads.get(farBehind.id), 18);
        const result = await socket.request('sync', {
          conversations: [
            { id: upToDate.id, after: heads.get(upToDate.id) },
            { id: behind.id, after: 3 },
            { id: farBehind.id, after: 0 },
            { id: others.id, after: 0 },
            { id: 'no-such-conversation', after: 3 },
          ],
        });
        assert.equal(result.user, null, 'no userSeq asked, no user part');
        const byId = new Map(result.conversations.map((c: any) => [c.id, c]));
        assert.equal(byId.has(upToDate.id), false, 'up to date: left out');
        const near: any = byId.get(behind.id);
        assert.deepEqual({ ...near, events: near.events.map((e: any) => [e.seq, e.type, e.data.message?.text]) }, {
          id: behind.id,
          lastSeq: 6,
          events: [[4, 'message.created', 'near 0'], [5, 'message.created', 'near 1'], [6, 'message.created', 'near 2']],
          hasMore: false,
          reset: false,
          gone: false,
        });
        assert.deepEqual(byId.get(farBehind.id), { id: farBehind.id, lastSeq: 18, events: [], hasMore: false, reset: true, gone: false });
        assert.deepEqual(byId.get(others.id), { id: others.id, lastSeq: 0, events: [], hasMore: false, reset: false, gone: true });
        assert.deepEqual(byId.get('no-such-conversation'), { id: 'no-such-conversation', lastSeq: 0, events: [], hasMore: false, reset: false, gone: true });
        assert.equal(result.conversations.length, 4);

        // Exactly at the threshold still replays; one past it resets; ahead of the server resets.
        const edge = await socket.request('sync', { conversations: [{ id: farBehind.id, after: 8 }] });
        assert.deepEqual(edge.conversations[0].events.map((e: any) => e.seq), [9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
        assert.equal(edge.conversations[0].reset, false);
        const past = await socket.request('sync', { conversations: [{ id: farBehind.id, after: 7 }] });
        assert.equal(past.conversations[0].reset, true);
        const ahead = await socket.request('sync', { conversations: [{ id: behind.id, after: 10 }] });
        assert.deepEqual(ahead.conversations, [{ id: behind.id, lastSeq: 6, events: [], hasMore: false, reset: true, gone: false }]);
        const empty = await socket.request('sync', { conversations: [] });
        assert.deepEqual(empty, { user: null, conversations: [] });
      } finally {
        socket.close();
      }
    });

    it('returns your own log after userSeq, or a reset when too far behind or ahead', async () => {
      const carol = await createUser(t.url);
      await direct(t, carol, alice);
      await direct(t, carol, bob);
      const socket = await TestSocket.open(t.wsUrl, carol.token);
      try {
        const full = await socket.request('sync', { userSeq: 0, conversations: [] });
        assert.deepEqual(full.user.events.map((e: any) => [e.seq, e.type]), [[1, 'conversation.added'], [2, 'conversation.added']]);
        assert.deepEqual({ ...full.user, events: [] }, { events: [], lastSeq: 2, hasMore: false, reset: false });
        assert.deepEqual(full.user, await ok(t, carol, 'GET', '/v1/me/events?after=0').then((page) => ({ ...page, reset: false })));
        const current = await socket.request('sync', { userSeq: 2, conversations: [] });
        assert.deepEqual(current.user, { events: [], lastSeq: 2, hasMore: false, reset: false });
        const ahead = await socket.request('sync', { userSeq: 5, conversations: [] });
        assert.deepEqual(ahead.user, { events: [], lastSeq: 2, hasMore: false, reset: true });
        // Eleven read-pointer moves put the start of the log past the threshold.
        const pair = await direct(t, bob, carol);
        for (let i = 0; i < 11; i++) {
          const message = await send(t, bob, pair.id, `read ${i}`);
          await ok(t, carol, 'POST', `/v1/conversations/${pair.id}/read`, { seq: message.seq });
        }
        const far = await socket.request('sync', { userSeq: 2, conversations: [] });
        assert.deepEqual(far.user, { events: [], lastSeq: 13, hasMore: false, reset: true });
        const near = await socket.request('sync', { userSeq: 3, conversations: [] });
        assert.equal(near.user.reset, false);
        assert.deepEqual(near.user.events.map((e: any) => e.seq), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
        assert.ok(near.user.events.every((e: any) => e.type === 'read' && e.data.conversationId === pair.id));
      } finally {
        socket.close();
      }
    });
  });

  describe(`gateway sync of a long gap (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('answers a gap longer than one sync page with hasMore, and the rest pages on with events', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      for (let batch = 0; batch < 12; batch++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => send(t, bob, conversation.id, `m${batch * 10 + i}`)));
      }
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const result = await socket.request('sync', { conversations: [{ id: conversation.id, after: 0 }] });
        const part = result.conversations[0];
        assert.equal(part.lastSeq, 122);
        assert.equal(part.hasMore, true);
        assert.equal(part.reset, false);
        assert.deepEqual(part.events.map((e: any) => e.seq), Array.from({ length: 100 }, (_, i) => i + 1));
        const rest = await socket.request('events', { conversationId: conversation.id, after: 100 });
        assert.deepEqual(rest.events.map((e: any) => e.seq), Array.from({ length: 22 }, (_, i) => i + 101));
        assert.equal(rest.hasMore, false);
      } finally {
        socket.close();
      }
    });
  });

  describe(`gateway live delivery (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('delivers every event exactly once, in order, to every session of every member', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, alice, 'Devices', [bob, carol]);
      const pair = await direct(t, alice, bob);
      // Two device sessions of alice, one of them connected twice.
      const alicePhone = await signIn(t.url, alice.user.id);
      const aliceDevices = [await TestSocket.open(t.wsUrl, alice.token), await TestSocket.open(t.wsUrl, alicePhone.token)];
      const aliceSecond = await TestSocket.open(t.wsUrl, alice.token);
      const bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      const carolSocket = await TestSocket.open(t.wsUrl, carol.token);
      const all = [...aliceDevices, aliceSecond, bobSocket, carolSocket];
      try {
        const startRoom = await lastSeq(t, alice, room.id);
        const startPair = await lastSeq(t, alice, pair.id);
        // A mix of traffic, over HTTP and over the socket, from several senders.
        const sent: Message[] = [];
        for (let i = 0; i < 6; i++) {
          sent.push(await send(t, [alice, bob, carol][i % 3]!, room.id, `room ${i}`));
          sent.push((await bobSocket.request('send', { conversationId: pair.id, clientMsgId: freshClientId(), text: `pair ${i}` })).message);
        }
        await ok(t, alice, 'PATCH', `/v1/conversations/${room.id}`, { title: 'Devices 2' });
        await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${sent[2]!.id}`, { text: 'edited' });
        await aliceDevices[0]!.request('delete', { conversationId: room.id, messageId: sent[0]!.id });
        await ok(t, alice, 'POST', `/v1/conversations/${room.id}/read`, { seq: 4 });
        const endRoom = await lastSeq(t, alice, room.id);
        const endPair = await lastSeq(t, alice, pair.id);
        assert.equal(endRoom - startRoom, 9);
        assert.equal(endPair - startPair, 6);
        for (const socket of all) {
          await socket.next((f) => f.t === 'event' && f.event.conversationId === room.id && f.event.seq === endRoom);
        }
        for (const socket of [...aliceDevices, aliceSecond, bobSocket]) {
          await socket.next((f) => f.t === 'event' && f.event.conversationId === pair.id && f.event.seq === endPair);
        }
        const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + 1 + i);
        for (const socket of all) {
          assert.deepEqual(socket.events(room.id).map((e) => e.seq), range(startRoom, endRoom), 'room events once each, in order');
        }
        for (const socket of [...aliceDevices, aliceSecond, bobSocket]) {
          assert.deepEqual(socket.events(pair.id).map((e) => e.seq), range(startPair, endPair), 'pair events once each, in order');
        }
        assert.deepEqual(carolSocket.events(pair.id), [], 'carol is not in the pair');
        // The live events are the log's events (message events as they were at the time).
        const log = await ok(t, carol, 'GET', `/v1/conversations/${room.id}/events?after=${startRoom}`);
        const live = carolSocket.events(room.id);
        assert.deepEqual(live.map((e) => [e.seq, e.type, e.actorId]), log.events.map((e: any) => [e.seq, e.type, e.actorId]));
        // The read pointer reaches alice's devices only, once each.
        for (const socket of [...aliceDevices, aliceSecond]) {
          await socket.next((f) => f.t === 'user_event' && f.event.type === 'read');
          assert.equal(socket.frames.filter((f) => f.t === 'user_event' && f.event.type === 'read').length, 1);
        }
        for (const socket of [bobSocket, carolSocket]) {
          assert.equal(socket.frames.filter((f) => f.t === 'user_event').length, 0);
        }
      } finally {
        for (const socket of all) socket.close();
      }
    });

    it('pushes message events without what recipients can restore, and they restore to the message the sender was answered with', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, alice, 'Trimmed', [bob]);
      const socket = await TestSocket.open(t.wsUrl, alice.token);
      try {
        const first = await send(t, bob, room.id, 'first');
        const reply = (await ok(t, bob, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: freshClientId(), text: 'reply', replyTo: first.id })).message as Message;
        const edited = (await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${reply.id}`, { text: 'reply, edited' })).message as Message;
        // Deleted by the owner, not the sender: the sender is not the event's actor and stays in the frame.
        const deleted = (await ok(t, alice, 'DELETE', `/v1/conversations/${room.id}/messages/${first.id}`)).message as Message;
        const end = await lastSeq(t, alice, room.id);
        await socket.next((f) => f.t === 'event' && f.event.seq === end);
        const frames = socket.frames.filter((f) => f.t === 'event' && f.event.conversationId === room.id && f.event.type.startsWith('message.')).map((f) => f.event);
        assert.deepEqual(frames.map((e) => e.type), ['message.created', 'message.created', 'message.edited', 'message.deleted']);
        // On the wire: no field equal to the event's own, no null, no empty list.
        assert.deepEqual(Object.keys(frames[0].data.message).sort(), ['clientMsgId', 'id', 'text']);
        assert.deepEqual(Object.keys(frames[1].data.message).sort(), ['clientMsgId', 'id', 'replyTo', 'text']);
        assert.deepEqual(Object.keys(frames[2].data.message).sort(), ['clientMsgId', 'createdAt', 'editedAt', 'id', 'replyTo', 'seq', 'text']);
        assert.deepEqual(Object.keys(frames[3].data.message).sort(), ['clientMsgId', 'createdAt', 'deletedAt', 'id', 'senderId', 'seq']);
        // Restored: the messages as their senders were answered.
        assert.deepEqual(socket.events(room.id).filter((e) => e.type.startsWith('message.')).map((e) => e.data.message), [first, reply, edited, deleted]);
      } finally {
        socket.close();
      }
    });

    it('delivers to each device session of one user separately signed in', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const conversation = await direct(t, alice, bob);
      const phone = await signIn(t.url, alice.user.id);
      const laptop = await signIn(t.url, alice.user.id);
      const sockets = [await TestSocket.open(t.wsUrl, phone.token), await TestSocket.open(t.wsUrl, laptop.token)];
      try {
        assert.notEqual(sockets[0]!.ready.sessionId, sockets[1]!.ready.sessionId);
        const message = await send(t, bob, conversation.id, 'to both devices');
        for (const socket of sockets) {
          await socket.next((f) => f.t === 'event' && f.event.seq === message.seq);
          assert.equal(socket.events(conversation.id).length, 1);
        }
      } finally {
        for (const socket of sockets) socket.close();
      }
    });
  });
}

for (const backend of backends) {
  describe(`gateway heartbeats and shutdown (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend, { env: { WS_HEARTBEAT_MS: '1000' } });
    });
    after(() => t.close());

    it('drops a connection that stops answering pings, and keeps one that answers', async () => {
      const alice = await createUser(t.url);
      const healthy = await TestSocket.open(t.wsUrl, alice.token);
      const silent = await StalledClient.open(t.wsUrl, alice.token);
      try {
        assert.equal(t.app.gateway.stats().connections, 2);
        silent.stopReading();
        await waitFor(() => t.app.gateway.stats().connections === 1, 'the silent connection to be dropped', 8000);
        assert.equal(t.app.gateway.stats().sessions, 1);
        await expectAlive(healthy);
      } finally {
        healthy.close();
        silent.terminate();
      }
    });

    it('asks every client to reconnect and resume (4000) when the server shuts down', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const sockets = [await TestSocket.open(t.wsUrl, alice.token), await TestSocket.open(t.wsUrl, bob.token)];
      await t.app.close();
      for (const socket of sockets) assert.equal(await socket.closed(), 4000);
      assert.equal(t.app.gateway.stats().connections, 0);
    });
  });
}

/** A stand-in for a `ws` socket: records what the connection writes. */
class FakeSocket extends EventEmitter {
  readonly sent: string[] = [];
  bufferedAmount = 0;
  closed: number | null = null;
  send(data: Buffer | string): void {
    this.sent.push(String(data));
  }
  close(code: number): void {
    this.closed = code;
  }
  terminate(): void {}
  ping(): void {}
}

describe('a connection attaching to the hub', () => {
  function connect(attach: (session: { deliver(frame: Buffer): void }) => Promise<number>, requireActive: () => Promise<void> = async () => {}, detach: () => void = () => {}): { ws: FakeSocket } {
    const ws = new FakeSocket();
    const quiet = () => {};
    const options = {
      authenticate: async () => ({ userId: 'u1', sessionId: 's1' }),
      requireActive,
      hub: { attach, detach },
      handlers: { ping: async () => ({}) },
      logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
      maxFrameBytes: 65536,
      maxBufferedBytes: 65536,
      maxInflight: 8,
      heartbeatMs: 25_000,
      authTimeoutMs: 10_000,
      maxMessageLength: 4000,
      onClose: quiet,
    } as unknown as ConnectionOptions;
    new Connection(ws as never, options, 'token');
    return { ws };
  }

  it('writes events the hub delivers while the session is still attaching right after ready, instead of dropping them', async () => {
    // The hub registers the session, then an event arrives before the connection has sent ready.
    const event = JSON.stringify({ t: 'user_event', event: { seq: 6, type: 'read', createdAt: new Date().toISOString(), data: { conversationId: 'c', seq: 3 } } });
    const { ws } = connect(async (session) => {
      session.deliver(Buffer.from(event));
      return 5;
    });
    await waitFor(() => ws.sent.length >= 2, 'two frames');
    assert.equal(JSON.parse(ws.sent[0]!).t, 'ready');
    assert.equal(JSON.parse(ws.sent[0]!).userSeq, 5);
    assert.equal(ws.sent[1], event);
    assert.equal(ws.closed, null);
  });

  it('answers requests that arrived before ready once it is ready, in order', async () => {
    let release: (seq: number) => void = () => {};
    const { ws } = connect(() => new Promise<number>((resolve) => (release = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    ws.emit('message', Buffer.from(JSON.stringify({ t: 'ping', id: 'p1' })), false);
    ws.emit('message', Buffer.from(JSON.stringify({ t: 'ping', id: 'p2' })), false);
    assert.deepEqual(ws.sent, [], 'nothing is answered before ready');
    release(0);
    await waitFor(() => ws.sent.length >= 3, 'ready and two acks');
    assert.deepEqual(ws.sent.map((f) => { const frame = JSON.parse(f); return frame.id ?? frame.t; }), ['ready', 'p1', 'p2']);
  });

  it('closes with the suspension code, never ready, when the account was suspended while the session attached', async () => {
    let detached = 0;
    const { ws } = connect(async () => 0, async () => {
      throw new AppError('account_suspended');
    }, () => detached++);
    await waitFor(() => ws.closed !== null, 'the close');
    assert.equal(ws.closed, CloseCodes.accountSuspended);
    assert.deepEqual(ws.sent, [], 'no ready frame');
    assert.equal(detached, 1, 'the session left the hub again');
  });
});

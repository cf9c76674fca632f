import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { events, movableClock, refused } from './support/governance.ts';
import { rowCounts } from './support/storage.ts';
import { createUser, signIn, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const RING_MS = 30_000;
const GRACE_MS = 20_000;
const TURN_SECRET = 'turn-secret-0123456789abcdef';

const callEvents = async (t: TestApp, user: TestUser, conversationId: string) => (await events(t, user, conversationId)).filter((e) => e.type.startsWith('call.'));
const types = (list: Array<{ type: string }>) => list.map((e) => e.type);

for (const backend of backends) {
  describe(`calls: lifecycle, ringing and signaling (${backend.name})`, () => {
    let t: TestApp;
    const time = movableClock();
    const sockets: TestSocket[] = [];
    const open = async (user: TestUser) => {
      const socket = await TestSocket.open(t.wsUrl, user.token);
      sockets.push(socket);
      return socket;
    };

    before(async () => {
      t = await startApp(backend, {
        clock: time.clock,
        env: {
          CALL_RING_TIMEOUT_MS: String(RING_MS),
          CALL_RECONNECT_GRACE_MS: String(GRACE_MS),
          // The sweep runs often; what it settles is decided by the movable clock.
          CALL_SWEEP_INTERVAL_MS: '100',
          STUN_URLS: 'stun:stun.example.test:3478',
          TURN_URLS: 'turn:turn.example.test:3478?transport=udp,turns:turn.example.test:5349',
          TURN_SECRET,
          TURN_CREDENTIAL_TTL_SEC: '600',
          RATE_LIMIT_CALL_SIGNALS_PER_USER: '40:1',
        },
      });
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await t.close();
    });

    it('rings every device of the callee; the first to answer wins, the other stops ringing, and a second answer is refused', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const bobPhone = await signIn(t.url, bob.user.id);
      const pair = await direct(t, alice, bob);
      const [bobLaptopSocket, bobPhoneSocket, aliceSocket] = await Promise.all([open(bob), open(bobPhone), open(alice)]);

      const started = await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'video' });
      assert.equal(started.call.state, 'ringing');
      assert.equal(started.call.mode, 'p2p');
      assert.equal(started.media.type, 'p2p');
      const callId = started.call.id;
      for (const socket of [bobLaptopSocket, bobPhoneSocket]) {
        const ringing = await socket.next((f) => f.t === 'call_ring' && f.call.id === callId);
        assert.equal(ringing.call.callerId, alice.user.id);
        assert.equal(ringing.call.kind, 'video');
        assert.ok(ringing.expiresInMs > 0 && ringing.expiresInMs <= RING_MS);
      }
      assert.equal(aliceSocket.frames.filter((f) => f.t === 'call_ring').length, 0, 'the caller does not ring');

      // Both of Bob's devices answer at once: exactly one wins.
      const answers = await Promise.all([call(t, bob, 'POST', `/v1/calls/${callId}/accept`), call(t, bobPhone, 'POST', `/v1/calls/${callId}/accept`)]);
      const won = answers.filter((a) => a.status === 200);
      const lost = answers.filter((a) => a.status !== 200);
      assert.equal(won.length, 1, JSON.stringify(answers.map((a) => a.body)));
      assert.equal(lost[0]!.status, 409);
      assert.equal(lost[0]!.body.error.code, 'conflict');
      assert.equal(won[0]!.body.call.state, 'active');
      const winner = answers[0]!.status === 200 ? bob : bobPhone;
      const winnerSocket = winner === bob ? bobLaptopSocket : bobPhoneSocket;
      const otherSocket = winner === bob ? bobPhoneSocket : bobLaptopSocket;
      const stop = await otherSocket.next((f) => f.t === 'call_ring_stop' && f.callId === callId);
      assert.equal(stop.reason, 'answered_elsewhere');
      // Answering again on the winning device is the same answer; nothing more is logged.
      assert.equal((await ok(t, winner, 'POST', `/v1/calls/${callId}/accept`)).call.state, 'active');

      // Alice hangs up: the call ends for both, with its duration; the log holds the whole story.
      time.advance(65_000);
      const ended = await ok(t, alice, 'POST', `/v1/calls/${callId}/leave`);
      assert.equal(ended.call.state, 'ended');
      assert.equal(ended.call.endReason, 'hangup');
      const log = await callEvents(t, bob, pair.id);
      assert.deepEqual(types(log), ['call.started', 'call.joined', 'call.left', 'call.ended']);
      assert.deepEqual(log[0]!.data, { callId, kind: 'video', mode: 'p2p', callerId: alice.user.id, invitedUserIds: [bob.user.id] });
      assert.deepEqual(log[1]!.data, { callId, userId: bob.user.id });
      assert.deepEqual(log[2]!.data, { callId, userId: alice.user.id, reason: 'left' });
      const endedData = log[3]!.data as { durationMs: number; answered: boolean; reason: string };
      assert.equal(endedData.reason, 'hangup');
      assert.equal(endedData.answered, true);
      assert.ok(endedData.durationMs >= 65_000 && endedData.durationMs < 75_000, `duration ${endedData.durationMs}`);
      // Live too, in the same order, on the winner's socket.
      await winnerSocket.next((f) => f.t === 'event' && f.event.type === 'call.ended');
      assert.deepEqual(winnerSocket.events(pair.id).filter((e) => e.type.startsWith('call.')).map((e) => e.seq), log.map((e) => e.seq));
      // Over is over.
      refused(await call(t, bob, 'POST', `/v1/calls/${callId}/accept`), 409, 'call_ended');
      refused(await call(t, bob, 'POST', `/v1/calls/${callId}/leave`), 409, 'call_ended');
    });

    it('declining a 1:1 call ends it; a caller hanging up while it rings is a missed call', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      const bobSocket = await open(bob);
      const first = (await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'voice' })).call;
      await bobSocket.next((f) => f.t === 'call_ring' && f.call.id === first.id);
      const declined = await ok(t, bob, 'POST', `/v1/calls/${first.id}/decline`);
      assert.equal(declined.call.state, 'ended');
      assert.equal(declined.call.endReason, 'declined');
      assert.equal((await bobSocket.next((f) => f.t === 'call_ring_stop' && f.callId === first.id)).reason, 'declined_elsewhere');

      const second = (await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'voice' })).call;
      const cancelled = await ok(t, alice, 'POST', `/v1/calls/${second.id}/end`);
      assert.equal(cancelled.call.endReason, 'cancelled');
      assert.equal((await bobSocket.next((f) => f.t === 'call_ring_stop' && f.callId === second.id)).reason, 'missed');
      const log = await callEvents(t, alice, pair.id);
      assert.deepEqual(types(log), ['call.started', 'call.declined', 'call.ended', 'call.started', 'call.missed', 'call.ended']);
      assert.deepEqual(log[2]!.data, { callId: first.id, reason: 'declined', durationMs: 0, answered: false });
      assert.deepEqual(log[4]!.data, { callId: second.id, userIds: [bob.user.id], reason: 'cancelled' });
      // Declining what no longer rings is refused and logs nothing.
      refused(await call(t, bob, 'POST', `/v1/calls/${second.id}/decline`), 409, 'call_ended');
      assert.equal((await callEvents(t, alice, pair.id)).length, log.length);
    });

    it('an unanswered call becomes missed when the ring runs out: read lazily from its timestamps, and by the sweep when nobody looks', async () => {
      const [alice, bob, carol, dave] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url), createUser(t.url)]);
      const ab = await direct(t, alice, bob);
      const ac = await direct(t, dave, carol);
      const bobSocket = await open(bob);
      const lazy = (await ok(t, alice, 'POST', `/v1/conversations/${ab.id}/calls`, { kind: 'voice' })).call;
      const swept = (await ok(t, dave, 'POST', `/v1/conversations/${ac.id}/calls`, { kind: 'voice' })).call;
      assert.equal((await ok(t, bob, 'GET', '/v1/me/calls')).calls.map((c: any) => c.id).join(), lazy.id, 'ringing for Bob');
      time.advance(RING_MS + 1);
      // Looking at it settles it at once (the sweep may be quicker: either way the same events).
      const seen = (await ok(t, bob, 'GET', `/v1/calls/${lazy.id}`)).call;
      assert.equal(seen.state, 'ended');
      assert.equal(seen.endReason, 'no_answer');
      assert.deepEqual(seen.participants.find((p: any) => p.userId === bob.user.id), { userId: bob.user.id, state: 'missed', joinedAt: null });
      assert.equal((await bobSocket.next((f) => f.t === 'call_ring_stop' && f.callId === lazy.id)).reason, 'missed');
      assert.deepEqual((await ok(t, bob, 'GET', '/v1/me/calls')).calls, []);
      // Nobody reads Carol's: the sweep ends it.
      await waitFor(async () => (await callEvents(t, carol, ac.id)).some((e) => e.type === 'call.ended'), 'the sweep to settle the ring');
      const log = await callEvents(t, carol, ac.id);
      assert.deepEqual(types(log), ['call.started', 'call.missed', 'call.ended']);
      assert.deepEqual(log[1]!.data, { callId: swept.id, userIds: [carol.user.id], reason: 'no_answer' });
      assert.deepEqual(log[2]!.data, { callId: swept.id, reason: 'no_answer', durationMs: 0, answered: false });
      // Settled once: reading again changes nothing.
      await ok(t, carol, 'GET', `/v1/calls/${swept.id}`);
      assert.equal((await callEvents(t, carol, ac.id)).length, 3);
      refused(await call(t, carol, 'POST', `/v1/calls/${swept.id}/accept`), 409, 'call_ended');
    });

    it('nobody calls across a block, either way, and a refused call writes nothing', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      await ok(t, bob, 'PUT', `/v1/me/blocks/${alice.user.id}`);
      const before = await rowCounts(t);
      refused(await call(t, alice, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'voice' }), 403, 'forbidden', /cannot call/);
      refused(await call(t, bob, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'video' }), 403, 'forbidden', /cannot call/);
      assert.deepEqual(await rowCounts(t), before);
      // An outsider gets "not found", like for the conversation itself.
      const eve = await createUser(t.url);
      refused(await call(t, eve, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'voice' }), 404, 'not_found');
    });

    it('a block during a call ends it', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      const callId = (await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'voice' })).call.id;
      await ok(t, bob, 'POST', `/v1/calls/${callId}/accept`);
      await ok(t, bob, 'PUT', `/v1/me/blocks/${alice.user.id}`);
      await waitFor(async () => (await ok(t, alice, 'GET', `/v1/calls/${callId}`)).call.state === 'ended', 'the block to end the call');
      assert.equal((await ok(t, alice, 'GET', `/v1/calls/${callId}`)).call.endReason, 'removed');
    });

    it('a callee already in a call is busy: the caller hears busy, the callee sees a missed call; nobody is in two calls', async () => {
      const [alice, bob, carol] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const bc = await direct(t, bob, carol);
      const ab = await direct(t, alice, bob);
      const ongoing = (await ok(t, bob, 'POST', `/v1/conversations/${bc.id}/calls`, { kind: 'voice' })).call;
      await ok(t, carol, 'POST', `/v1/calls/${ongoing.id}/accept`);
      const busy = await ok(t, alice, 'POST', `/v1/conversations/${ab.id}/calls`, { kind: 'voice' });
      assert.equal(busy.call.state, 'ended');
      assert.equal(busy.call.endReason, 'busy');
      assert.equal(busy.media, null);
      const log = await callEvents(t, bob, ab.id);
      assert.deepEqual(types(log), ['call.started', 'call.missed', 'call.ended']);
      assert.deepEqual(log[1]!.data, { callId: busy.call.id, userIds: [bob.user.id], reason: 'busy' });
      // Bob cannot start another call while in one.
      refused(await call(t, bob, 'POST', `/v1/conversations/${ab.id}/calls`, { kind: 'voice' }), 409, 'call_busy');
      await ok(t, carol, 'POST', `/v1/calls/${ongoing.id}/end`);
      // A second call in the same conversation while one goes on is refused with its id.
      const again = (await ok(t, alice, 'POST', `/v1/conversations/${ab.id}/calls`, { kind: 'voice' })).call;
      const twice = refused(await call(t, bob, 'POST', `/v1/conversations/${ab.id}/calls`, { kind: 'voice' }), 409, 'conflict');
      assert.equal(twice.details.callId, again.id);
      await ok(t, alice, 'POST', `/v1/calls/${again.id}/end`);
    });

    it('a caller whose device disconnects while it rings ends the ring', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      const [aliceSocket, bobSocket] = await Promise.all([TestSocket.open(t.wsUrl, alice.token), open(bob)]);
      const started = await aliceSocket.request('call_start', { conversationId: pair.id, kind: 'voice' });
      await bobSocket.next((f) => f.t === 'call_ring' && f.call.id === started.call.id);
      aliceSocket.close();
      const stop = await bobSocket.next((f) => f.t === 'call_ring_stop' && f.callId === started.call.id);
      assert.equal(stop.reason, 'missed');
      const log = await callEvents(t, bob, pair.id);
      assert.deepEqual(types(log), ['call.started', 'call.missed', 'call.ended']);
      assert.deepEqual(log[1]!.data, { callId: started.call.id, userIds: [bob.user.id], reason: 'caller_gone' });
      assert.equal((log[2]!.data as { reason: string }).reason, 'caller_gone');
    });

    it('a participant whose device is gone past the grace leaves the call; one that comes back in time stays', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      const aliceSocket = await open(alice);
      const callId = (await aliceSocket.request('call_start', { conversationId: pair.id, kind: 'voice' })).call.id;
      let bobSocket = await TestSocket.open(t.wsUrl, bob.token);
      await bobSocket.request('call_accept', { callId });
      const disconnectedAt = async () => (await t.app.db.kysely.selectFrom('call_participants').select('disconnected_at').where('call_id', '=', callId).where('user_id', '=', bob.user.id).executeTakeFirst())?.disconnected_at;
      bobSocket.close();
      await bobSocket.closed();
      // The server records the departure after the socket is gone; come back only once it has.
      await waitFor(async () => (await disconnectedAt()) != null, 'the first disconnect to be recorded');
      time.advance(GRACE_MS / 2);
      bobSocket = await open(bob);
      time.advance(GRACE_MS);
      // Long past the grace since the first disconnect, but Bob came back: still in.
      await ok(t, alice, 'GET', `/v1/calls/${callId}`);
      assert.equal((await ok(t, alice, 'GET', `/v1/calls/${callId}`)).call.state, 'active');
      bobSocket.close();
      await bobSocket.closed();
      await waitFor(async () => (await disconnectedAt()) != null, 'the disconnect to be recorded');
      time.advance(GRACE_MS + 1);
      const left = await aliceSocket.next((f) => f.t === 'event' && f.event.type === 'call.left' && f.event.data.callId === callId, 5000);
      assert.deepEqual(left.event.data, { callId, userId: bob.user.id, reason: 'disconnected' });
      await aliceSocket.next((f) => f.t === 'event' && f.event.type === 'call.ended' && f.event.data.callId === callId);
    });

    it('relays offers, answers and candidates only between the participants, to the device in the call, and never stores them', async () => {
      const [alice, bob, eve] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const bobTablet = await signIn(t.url, bob.user.id);
      const pair = await direct(t, alice, bob);
      const [aliceSocket, bobSocket, tabletSocket, eveSocket] = await Promise.all([open(alice), open(bob), open(bobTablet), open(eve)]);
      const callId = (await aliceSocket.request('call_start', { conversationId: pair.id, kind: 'video' })).call.id;
      const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
      // Before Bob answers there is nobody to signal.
      await assert.rejects(aliceSocket.request('call_signal', { callId, to: bob.user.id, signal: { type: 'offer', sdp } }), (e: any) => e.body.code === 'not_in_call');
      const accepted = await bobSocket.request('call_accept', { callId });
      assert.equal(accepted.call.state, 'active');
      const before = await rowCounts(t);
      await aliceSocket.request('call_signal', { callId, to: bob.user.id, signal: { type: 'offer', sdp } });
      const offer = await bobSocket.next((f) => f.t === 'call_signal' && f.signal.type === 'offer');
      assert.deepEqual(offer, { t: 'call_signal', callId, from: alice.user.id, fromDevice: alice.sessionId, signal: { type: 'offer', sdp } });
      await bobSocket.request('call_signal', { callId, to: alice.user.id, signal: { type: 'answer', sdp } });
      await aliceSocket.next((f) => f.t === 'call_signal' && f.signal.type === 'answer' && f.from === bob.user.id);
      const candidate = { type: 'candidate', candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
      await bobSocket.request('call_signal', { callId, to: alice.user.id, signal: candidate });
      assert.deepEqual((await aliceSocket.next((f) => f.t === 'call_signal' && f.signal.type === 'candidate')).signal, candidate);
      assert.deepEqual(await rowCounts(t), before, 'signaling stores nothing');
      // Bob's tablet (not in the call) hears nothing of it, and cannot signal in Bob's name.
      assert.equal(tabletSocket.frames.filter((f) => f.t === 'call_signal').length, 0);
      await assert.rejects(tabletSocket.request('call_signal', { callId, to: alice.user.id, signal: candidate }), (e: any) => e.body.code === 'not_in_call');
      // An outsider, a call that does not exist, signaling oneself: not in the call.
      await assert.rejects(eveSocket.request('call_signal', { callId, to: alice.user.id, signal: candidate }), (e: any) => e.body.code === 'not_in_call');
      await assert.rejects(aliceSocket.request('call_signal', { callId: 'no-such-call', to: bob.user.id, signal: candidate }), (e: any) => e.body.code === 'not_in_call');
      await assert.rejects(aliceSocket.request('call_signal', { callId, to: alice.user.id, signal: candidate }), (e: any) => e.body.code === 'not_in_call');
      assert.equal(eveSocket.frames.filter((f) => f.t === 'call_signal').length, 0);
      // Oversized SDP and unknown signal types are refused by the schema.
      await assert.rejects(aliceSocket.request('call_signal', { callId, to: bob.user.id, signal: { type: 'offer', sdp: 'x'.repeat(16_385) } }), (e: any) => e.body.code === 'validation_failed');
      await assert.rejects(aliceSocket.request('call_signal', { callId, to: bob.user.id, signal: { type: 'bye' } }), (e: any) => e.body.code === 'validation_failed');
      // A flood of candidates: past the bucket each is refused (rate_limited) and not relayed.
      const results = await Promise.allSettled(Array.from({ length: 60 }, () => aliceSocket.request('call_signal', { callId, to: bob.user.id, signal: candidate })));
      const limited = results.filter((r) => r.status === 'rejected' && (r.reason as any).body.code === 'rate_limited').length;
      const relayed = results.filter((r) => r.status === 'fulfilled').length;
      assert.ok(limited >= 15, `refused ${limited} of 60`);
      assert.equal(limited + relayed, 60);
      await waitFor(() => bobSocket.frames.filter((f) => f.t === 'call_signal' && f.from === alice.user.id && f.signal.type === 'candidate').length === relayed, 'the allowed candidates');
      // After the call: nothing to signal.
      await aliceSocket.request('call_end', { callId });
      time.advance(60_000); // refill the bucket
      await assert.rejects(aliceSocket.request('call_signal', { callId, to: bob.user.id, signal: candidate }), (e: any) => e.body.code === 'not_in_call' || e.body.code === 'call_ended');
    });

    it('hands out ICE servers with coturn REST credentials (expiry:userId, base64 HMAC-SHA1) per call', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      const started = await ok(t, alice, 'POST', `/v1/conversations/${pair.id}/calls`, { kind: 'voice' });
      const { media } = started;
      assert.equal(media.type, 'p2p');
      assert.deepEqual(media.iceServers[0], { urls: ['stun:stun.example.test:3478'] });
      const turn = media.iceServers[1];
      assert.deepEqual(turn.urls, ['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349']);
      const [expiry, userId] = turn.username.split(':');
      assert.equal(userId, alice.user.id);
      const expiresSec = Number(expiry);
      assert.ok(Math.abs(expiresSec * 1000 - (time.clock() + 600_000)) < 5_000, 'expires TURN_CREDENTIAL_TTL_SEC from now');
      assert.equal(turn.credential, createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'));
      assert.equal(Date.parse(media.expiresAt), expiresSec * 1000);
      // Fresh ones for whoever is in the call; nobody else.
      refused(await call(t, bob, 'GET', `/v1/calls/${started.call.id}/media`), 409, 'not_in_call');
      await ok(t, bob, 'POST', `/v1/calls/${started.call.id}/accept`);
      const fresh = (await ok(t, bob, 'GET', `/v1/calls/${started.call.id}/media`)).media;
      assert.ok(fresh.iceServers[1].username.endsWith(`:${bob.user.id}`));
      await ok(t, bob, 'POST', `/v1/calls/${started.call.id}/end`);
    });

    it('group calls follow the rights: start_calls to start, anyone to join, moderators to end for everyone, a kick or ban takes you out', async () => {
      const [owner, moderator, member, quiet] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Call room', [moderator, member, quiet]);
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}/members/${moderator.user.id}`, { role: 'moderator' });
      const [memberSocket, quietSocket, ownerSocket] = await Promise.all([open(member), open(quiet), open(owner)]);
      const started = await ok(t, member, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'video' });
      const callId = started.call.id;
      // Without a media backend a group call is a peer-to-peer mesh; everyone else rings.
      assert.equal(started.call.mode, 'p2p');
      assert.deepEqual(started.call.participants.map((p: any) => p.state).sort(), ['invited', 'invited', 'invited', 'joined']);
      await quietSocket.next((f) => f.t === 'call_ring' && f.call.id === callId);
      await ownerSocket.next((f) => f.t === 'call_ring' && f.call.id === callId);
      await ok(t, quiet, 'POST', `/v1/calls/${callId}/decline`);
      const joined = await ok(t, owner, 'POST', `/v1/calls/${callId}/accept`);
      assert.equal(joined.call.state, 'active', 'a decline does not end a group call');
      // A plain member cannot end what someone else started.
      refused(await call(t, quiet, 'POST', `/v1/calls/${callId}/end`), 403, 'forbidden');
      // The owner removes the caller: out of the call (the call goes on with the owner).
      await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${member.user.id}`);
      const left = await ownerSocket.next((f) => f.t === 'event' && f.event.type === 'call.left' && f.event.data.userId === member.user.id);
      assert.equal(left.event.data.reason, 'removed');
      await memberSocket.next((f) => f.t === 'event' && f.event.type === 'member.removed');
      refused(await call(t, member, 'POST', `/v1/calls/${callId}/join`), 404, 'not_found');
      // The moderator joins and ends it for everyone.
      await ok(t, moderator, 'POST', `/v1/calls/${callId}/join`);
      const ended = await ok(t, moderator, 'POST', `/v1/calls/${callId}/end`);
      assert.equal(ended.call.endReason, 'hangup');
      const log = await callEvents(t, owner, room.id);
      // Everyone rung answered one way or another (the moderator by joining): nobody missed it.
      assert.deepEqual(types(log), ['call.started', 'call.declined', 'call.joined', 'call.left', 'call.joined', 'call.ended']);
      assert.equal((log.at(-1)!.data as { answered: boolean }).answered, true);

      // A group whose members lost start_calls: they may not start one.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages'] } });
      refused(await call(t, quiet, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' }), 403, 'forbidden', /start calls/);
    });

    it('caps a peer-to-peer group call at CALL_MESH_MAX_PARTICIPANTS and refuses calls in channels without a media backend', async () => {
      const people = await Promise.all(Array.from({ length: 6 }, () => createUser(t.url)));
      const [owner, ...rest] = people as [TestUser, ...TestUser[]];
      const room = await group(t, owner, 'Mesh', rest);
      const callId = (await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' })).call.id;
      for (const person of rest.slice(0, 3)) await ok(t, person, 'POST', `/v1/calls/${callId}/accept`);
      refused(await call(t, rest[3]!, 'POST', `/v1/calls/${callId}/accept`), 422, 'limit_exceeded');
      await ok(t, owner, 'POST', `/v1/calls/${callId}/end`);
      const news = (await ok(t, owner, 'POST', '/v1/conversations', { kind: 'channel', title: 'News' })).conversation;
      refused(await call(t, owner, 'POST', `/v1/conversations/${news.id}/calls`, { kind: 'voice' }), 409, 'conflict', /media backend/);
    });

    it('answers the same over the socket: call frames are the HTTP operations', async () => {
      const [alice, bob] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const pair = await direct(t, alice, bob);
      const [aliceSocket, bobSocket] = await Promise.all([open(alice), open(bob)]);
      const started = await aliceSocket.request('call_start', { conversationId: pair.id, kind: 'voice' });
      await bobSocket.next((f) => f.t === 'call_ring' && f.call.id === started.call.id);
      const listed = await ok(t, bob, 'GET', '/v1/me/calls');
      assert.deepEqual(listed.calls.map((c: any) => c.id), [started.call.id]);
      await assert.rejects(bobSocket.request('call_leave', { callId: started.call.id }), (e: any) => e.body.code === 'not_in_call');
      const declined = await bobSocket.request('call_decline', { callId: started.call.id });
      assert.equal(declined.call.endReason, 'declined');
      await assert.rejects(aliceSocket.request('call_end', { callId: started.call.id }), (e: any) => e.body.code === 'call_ended');
      await assert.rejects(aliceSocket.request('call_start', { conversationId: pair.id, kind: 'hologram' }), (e: any) => e.body.code === 'validation_failed');
    });
  });
}

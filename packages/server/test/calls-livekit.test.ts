import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { events, refused } from './support/governance.ts';
import { type LivekitTestServer, startLivekitServer, verifyJwt } from './support/livekit-server.ts';
import { rowCounts } from './support/storage.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Group calls through LiveKit, against a server in the test that speaks LiveKit's Twirp
 * room API, checks the SDK's credentials and signs webhooks as LiveKit does.
 */
for (const backend of backends) {
  describe(`group calls through LiveKit (${backend.name})`, () => {
    let t: TestApp;
    let livekit: LivekitTestServer;
    const sockets: TestSocket[] = [];

    before(async () => {
      livekit = await startLivekitServer(() => `${t.url}/v1/webhooks/livekit`);
      t = await startApp(backend, { env: { LIVEKIT_URL: livekit.url, LIVEKIT_API_KEY: livekit.apiKey, LIVEKIT_API_SECRET: livekit.apiSecret, LIVEKIT_TOKEN_TTL_SEC: '300' } });
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await t?.close();
      await livekit?.close();
    });

    const callEvents = async (user: TestUser, conversationId: string) => (await events(t, user, conversationId)).filter((e) => e.type.startsWith('call.'));

    it('creates the room, hands out tokens whose grants follow the rights, and tracks who is in the room from verified webhooks', async () => {
      const [owner, member, late] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Standup', [member, late]);
      const started = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'video' });
      const callId = started.call.id;
      assert.equal(started.call.mode, 'sfu');
      assert.equal(started.media.type, 'livekit');
      assert.equal(started.media.url, livekit.url);
      assert.equal(started.media.room, `parley-${callId}`);
      assert.equal(started.media.canPublish, true);
      // The room was made through the Twirp API with a valid admin token before the answer came.
      const created = livekit.calls.find((c) => c.method === 'CreateRoom' && c.body.name === started.media.room);
      assert.ok(created, JSON.stringify({ calls: livekit.calls, refused: livekit.refused }));
      assert.equal(created.body.maxParticipants, 500);
      assert.deepEqual(livekit.refused, []);
      // The token is LiveKit's: issuer the API key, identity the user, a grant for this room only, no data channel.
      const claims = verifyJwt(started.media.token, livekit.apiKey, livekit.apiSecret);
      assert.equal(claims.sub, owner.user.id);
      assert.deepEqual(claims.video, { room: started.media.room, roomJoin: true, canSubscribe: true, canPublish: true, canPublishData: false, canUpdateOwnMetadata: false });
      assert.ok(claims.exp - claims.nbf <= 300);

      await livekit.join(started.media.token);
      const accepted = await ok(t, member, 'POST', `/v1/calls/${callId}/accept`);
      assert.equal(accepted.media.type, 'livekit');
      await livekit.join(accepted.media.token);
      // Someone with a token from before (they left) who comes back into the room is put out.
      const joinedLate = await ok(t, late, 'POST', `/v1/calls/${callId}/join`);
      await ok(t, late, 'POST', `/v1/calls/${callId}/leave`);
      await waitFor(() => livekit.calls.some((c) => c.method === 'RemoveParticipant' && c.body.identity === late.user.id), 'the leaver removed from the room');
      const removals = livekit.calls.filter((c) => c.method === 'RemoveParticipant').length;
      await livekit.join(joinedLate.media.token);
      await waitFor(() => livekit.calls.filter((c) => c.method === 'RemoveParticipant').length > removals, 'the stale participant put out');
      assert.equal(livekit.rooms.get(started.media.room)!.participants.has(late.user.id), false);

      // LiveKit says the member left the room (closed the tab): they leave the call.
      assert.equal((await livekit.leave(started.media.room, member.user.id)).status, 200);
      await waitFor(async () => (await callEvents(owner, room.id)).some((e) => e.type === 'call.left' && (e.data as any).userId === member.user.id && (e.data as any).reason === 'media_left'), 'the media_left event');
      // The owner ends it: the room is deleted.
      await ok(t, owner, 'POST', `/v1/calls/${callId}/end`);
      await waitFor(() => livekit.calls.some((c) => c.method === 'DeleteRoom' && c.body.room === started.media.room), 'the room deleted');
      assert.equal(livekit.rooms.has(started.media.room), false);
      assert.deepEqual(livekit.refused, []);
    });

    it('removes a kicked or banned participant from the room', async () => {
      const [owner, member, banned] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Moderated', [member, banned]);
      const started = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' });
      const roomName = started.media.room;
      for (const person of [member, banned]) await livekit.join((await ok(t, person, 'POST', `/v1/calls/${started.call.id}/accept`)).media.token);
      await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${member.user.id}`);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/bans`, { userId: banned.user.id });
      await waitFor(() => !livekit.rooms.get(roomName)!.participants.has(member.user.id) && !livekit.rooms.get(roomName)!.participants.has(banned.user.id), 'both put out of the room');
      const left = (await callEvents(owner, room.id)).filter((e) => e.type === 'call.left').map((e) => e.data);
      assert.deepEqual(left, [{ callId: started.call.id, userId: member.user.id, reason: 'removed' }, { callId: started.call.id, userId: banned.user.id, reason: 'removed' }]);
      assert.equal((await ok(t, owner, 'GET', `/v1/calls/${started.call.id}`)).call.state, 'active', 'the call goes on with the owner');
      // A room LiveKit closed ends the call.
      await livekit.finishRoom(roomName);
      await waitFor(async () => (await ok(t, owner, 'GET', `/v1/calls/${started.call.id}`)).call.endReason === 'media_ended', 'the call ended with its room');
    });

    it('lets a channel\'s subscribers listen only; staff publish', async () => {
      const [owner, subscriber] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const channel = (await ok(t, owner, 'POST', '/v1/conversations', { kind: 'channel', title: 'Town hall', memberIds: [subscriber.user.id] })).conversation;
      // Subscribers hold no start_calls: they may not start one.
      refused(await call(t, subscriber, 'POST', `/v1/conversations/${channel.id}/calls`, { kind: 'voice' }), 403, 'forbidden');
      const started = await ok(t, owner, 'POST', `/v1/conversations/${channel.id}/calls`, { kind: 'voice' });
      // Nobody is rung in a channel: they see call.started and join.
      assert.deepEqual(started.call.participants.map((p: any) => p.userId), [owner.user.id]);
      const listener = await ok(t, subscriber, 'POST', `/v1/calls/${started.call.id}/join`);
      assert.equal(listener.media.canPublish, false);
      const claims = verifyJwt(listener.media.token, livekit.apiKey, livekit.apiSecret);
      assert.equal(claims.video.canPublish, false);
      assert.equal(claims.video.canSubscribe, true);
      await ok(t, owner, 'POST', `/v1/calls/${started.call.id}/end`);
    });

    it('refuses a webhook whose signature or body does not verify, and changes nothing', async () => {
      const [owner, member] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Forged', [member]);
      const started = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' });
      const before = await rowCounts(t);
      const leaving = { event: 'participant_left', room: { sid: 'RM_x', name: started.media.room }, participant: { sid: 'PA_x', identity: owner.user.id } };
      const forged = await livekit.postWebhook(leaving, { secret: 'not-the-secret-0123456789' });
      assert.equal(forged.status, 401);
      assert.equal((await forged.json()).error.code, 'unauthorized');
      const tampered = await livekit.postWebhook(leaving, { tamperBody: true });
      assert.equal(tampered.status, 401);
      const unsigned = await fetch(livekit.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/webhook+json' }, body: JSON.stringify(leaving) });
      assert.equal(unsigned.status, 401);
      const asJson = await livekit.postWebhook(leaving, { contentType: 'application/json' });
      assert.equal(asJson.status, 400, 'a JSON body is not a string: the schema refuses it');
      assert.deepEqual(await rowCounts(t), before);
      assert.equal((await ok(t, owner, 'GET', `/v1/calls/${started.call.id}`)).call.state, 'ringing');
      // The genuine one is acted on.
      assert.equal((await livekit.postWebhook(leaving)).status, 200);
      assert.equal((await ok(t, owner, 'GET', `/v1/calls/${started.call.id}`)).call.state, 'ended');
    });
  });
}

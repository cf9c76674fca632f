import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { refused } from './support/governance.ts';
import { janusParticipant, janusSkipReason, type JanusTestServer, startJanus } from './support/janus-server.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';

// VideoRoom error codes (plugins/janus_videoroom.c).
const UNAUTHORIZED = 433;
const NO_SUCH_ROOM = 426;
const ROOM_EXISTS = 427;

/**
 * Group calls through Janus VideoRoom, against a real Janus started by the suite: Parley
 * creates a private room with a per-call secret, puts each participant's token on the
 * room's `allowed` list, takes it off (and kicks) when they leave or are removed, and
 * destroys the room when the call ends. Participants here speak Janus' HTTP API as a
 * client does, without media (the browser suite carries media).
 */
const skip = janusSkipReason();
if (skip) process.stderr.write(`# ${skip}\n`);

for (const backend of backends) {
  describe(`group calls through Janus VideoRoom (${backend.name})`, { skip }, () => {
    let t: TestApp;
    let janus: JanusTestServer;

    before(async () => {
      janus = await startJanus();
      try {
        t = await startApp(backend, { env: { JANUS_URL: janus.url, JANUS_ADMIN_KEY: janus.adminKey } });
      } catch (error) {
        await janus.close();
        throw error;
      }
    });
    after(async () => {
      await t?.close();
      await janus?.close();
    });

    it('creates a private room with its own secret, admits only participants with the token Parley handed them, and destroys the room when the call ends', async () => {
      const [owner, member, late] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Standup', [member, late]);
      const started = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'video' });
      const callId = started.call.id;
      assert.equal(started.call.mode, 'sfu');
      assert.deepEqual({ ...started.media, token: typeof started.media.token }, {
        type: 'janus', url: janus.url, room: `parley-${callId}`, token: 'string', display: owner.user.id, canPublish: true, expiresAt: null,
      });
      const roomName = started.media.room as string;
      // The room exists (creating it again says so), is private, and nobody can take it over without the admin key.
      assert.equal((await janus.videoroom({ request: 'exists', room: roomName })).exists, true);
      assert.equal((await janus.videoroom({ request: 'create', room: roomName, admin_key: janus.adminKey })).error_code, ROOM_EXISTS);
      assert.equal((await janus.videoroom({ request: 'create', room: 'parley-mine' })).error_code, 429, 'no admin key: no room');
      assert.deepEqual(((await janus.videoroom({ request: 'list' })).list as unknown[]).length, 0, 'private rooms are not listed');
      // Destroying it needs its secret.
      assert.equal((await janus.videoroom({ request: 'destroy', room: roomName, secret: 'guess' })).error_code, UNAUTHORIZED);

      const ownerClient = await janusParticipant(janus.url);
      const joined = await ownerClient.join(roomName, started.media.token, owner.user.id);
      assert.equal(joined.videoroom, 'joined', JSON.stringify(joined));

      // No token, someone else's token, a made-up one: refused by Janus.
      const intruder = await janusParticipant(janus.url);
      assert.equal((await intruder.join(roomName, undefined, 'intruder')).error_code, UNAUTHORIZED);
      assert.equal((await intruder.join(roomName, 'made-up', 'intruder')).error_code, UNAUTHORIZED);
      // A token of one call does not open another call's room.
      const other = await group(t, member, 'Elsewhere', [late]);
      const otherCall = await ok(t, member, 'POST', `/v1/conversations/${other.id}/calls`, { kind: 'voice' });
      assert.equal((await intruder.join(otherCall.media.room, started.media.token, 'intruder')).error_code, UNAUTHORIZED);
      await ok(t, member, 'POST', `/v1/calls/${otherCall.call.id}/end`);

      const accepted = await ok(t, member, 'POST', `/v1/calls/${callId}/accept`);
      assert.notEqual(accepted.media.token, started.media.token, 'one token per participant');
      const memberClient = await janusParticipant(janus.url);
      assert.equal((await memberClient.join(roomName, accepted.media.token, member.user.id)).videoroom, 'joined');

      // Someone who left is put out and cannot come back with the token they had.
      const lateJoin = await ok(t, late, 'POST', `/v1/calls/${callId}/join`);
      const lateClient = await janusParticipant(janus.url);
      assert.equal((await lateClient.join(roomName, lateJoin.media.token, late.user.id)).videoroom, 'joined');
      await ok(t, late, 'POST', `/v1/calls/${callId}/leave`);
      const displays = async () => ((await janus.videoroom({ request: 'listparticipants', room: roomName })).participants as { display: string }[]).map((p) => p.display).sort();
      await waitFor(async () => !(await displays()).includes(late.user.id), 'the leaver kicked from the room');
      const again = await janusParticipant(janus.url);
      assert.equal((await again.join(roomName, lateJoin.media.token, late.user.id)).error_code, UNAUTHORIZED);
      assert.deepEqual(await displays(), [owner.user.id, member.user.id].sort());

      // The owner ends the call: the room is gone.
      await ok(t, owner, 'POST', `/v1/calls/${callId}/end`);
      await waitFor(async () => (await janus.videoroom({ request: 'exists', room: roomName })).exists === false, 'the room destroyed');
      for (const client of [ownerClient, intruder, memberClient, lateClient, again]) await client.close();
    });

    it('kicks a removed or banned participant out of the room and off its allowed list', async () => {
      const [owner, kicked, banned] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Moderated', [kicked, banned]);
      const started = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' });
      const roomName = started.media.room as string;
      const clients = [];
      const tokens = new Map<string, string>();
      for (const person of [owner, kicked, banned]) {
        const media = person === owner ? started.media : (await ok(t, person, 'POST', `/v1/calls/${started.call.id}/accept`)).media;
        tokens.set(person.user.id, media.token);
        const client = await janusParticipant(janus.url);
        assert.equal((await client.join(roomName, media.token, person.user.id)).videoroom, 'joined');
        clients.push(client);
      }
      await ok(t, owner, 'DELETE', `/v1/conversations/${room.id}/members/${kicked.user.id}`);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/bans`, { userId: banned.user.id });
      const displays = async () => ((await janus.videoroom({ request: 'listparticipants', room: roomName })).participants as { display: string }[]).map((p) => p.display);
      await waitFor(async () => (await displays()).length === 1, 'both kicked from the room');
      assert.deepEqual(await displays(), [owner.user.id]);
      for (const gone of [kicked, banned]) {
        const retry = await janusParticipant(janus.url);
        assert.equal((await retry.join(roomName, tokens.get(gone.user.id), gone.user.id)).error_code, UNAUTHORIZED, 'their token no longer opens the room');
        await retry.close();
        // …and Parley hands them no new one.
        refused(await call(t, gone, 'POST', `/v1/calls/${started.call.id}/join`), 404, 'not_found');
      }
      await ok(t, owner, 'POST', `/v1/calls/${started.call.id}/end`);
      await waitFor(async () => (await janus.videoroom({ request: 'exists', room: roomName })).exists === false, 'the room destroyed');
      const late = await janusParticipant(janus.url);
      assert.equal((await late.join(roomName, tokens.get(owner.user.id), owner.user.id)).error_code, NO_SUCH_ROOM);
      for (const client of [...clients, late]) await client.close();
    });

    it('hands no token to an outsider, a banned member or a member without start_calls', async () => {
      const [owner, member, outsider, banned] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url), createUser(t.url)]);
      const room = await group(t, owner, 'Closed', [member, banned]);
      await ok(t, owner, 'POST', `/v1/conversations/${room.id}/bans`, { userId: banned.user.id });
      // Members lose start_calls: they may neither start a call nor (Janus cannot make them listen only) take part.
      await ok(t, owner, 'PATCH', `/v1/conversations/${room.id}`, { settings: { memberRights: ['send_messages'] } });
      refused(await call(t, member, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' }), 403, 'forbidden');
      const started = await ok(t, owner, 'POST', `/v1/conversations/${room.id}/calls`, { kind: 'voice' });
      const callId = started.call.id;
      refused(await call(t, member, 'POST', `/v1/calls/${callId}/accept`), 403, 'forbidden');
      refused(await call(t, member, 'GET', `/v1/calls/${callId}/media`), 409, 'not_in_call');
      refused(await call(t, outsider, 'POST', `/v1/calls/${callId}/join`), 404, 'not_found');
      refused(await call(t, outsider, 'GET', `/v1/calls/${callId}/media`), 404, 'not_found');
      refused(await call(t, banned, 'POST', `/v1/calls/${callId}/join`), 404, 'not_found');
      const participants = (await ok(t, owner, 'GET', `/v1/calls/${callId}`)).call.participants;
      assert.deepEqual(participants.filter((p: any) => p.state === 'joined').map((p: any) => p.userId), [owner.user.id]);
      // The allowed list holds the owner's token only.
      const allowed = (await janus.videoroom({ request: 'allowed', room: started.media.room, action: 'enable', secret: 'wrong' }));
      assert.equal(allowed.error_code, UNAUTHORIZED, 'the room\'s list is not editable without its secret');
      await ok(t, owner, 'POST', `/v1/calls/${callId}/end`);
    });
  });
}

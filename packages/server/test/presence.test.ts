import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { direct, group, ok, waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { send } from './support/governance.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { storeLastSeen } from '../src/modules/presence/presence.repository.ts';
import { TestSocket } from './support/ws-client.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  describe(`presence (${backend.name})`, () => {
    let t: TestApp;
    /** The user whose presence is watched, and everyone who may or may not see it. */
    let owner: TestUser;
    let peer: TestUser;
    let groupmate: TestUser;
    let stranger: TestUser;
    let blocked: TestUser;
    before(async () => {
      t = await startApp(backend, { env: { PRESENCE_MAX_SUBSCRIPTIONS: '3' } });
      [owner, peer, groupmate, stranger, blocked] = await Promise.all(Array.from({ length: 5 }, () => createUser(t.url)));
      // The owner wrote to the peer: that, not the conversation alone, makes the peer a contact.
      await send(t, owner, (await direct(t, owner, peer)).id, 'hello');
      // Likewise in a group: being in one is not consent (anyone may be added), writing there is.
      await send(t, owner, (await group(t, owner, 'Shared group', [groupmate])).id, 'hello all');
      await direct(t, owner, blocked);
      await ok(t, owner, 'PUT', `/v1/me/blocks/${blocked.user.id}`);
    });
    after(() => t.close());

    const statusFor = async (viewer: TestUser, of: TestUser = owner) => (await ok(t, viewer, 'GET', `/v1/presence/${of.user.id}`)).presence.status;
    const setPrivacy = async (privacy: string) => assert.deepEqual(await ok(t, owner, 'PUT', '/v1/me/presence-privacy', { privacy }), { privacy });
    const presenceFrames = (socket: TestSocket) => socket.frames.filter((f) => f.t === 'presence' && f.presence.userId === owner.user.id).map((f) => f.presence.status);

    it('shows each viewer what the privacy setting allows, and never shows a blocked user', async () => {
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      try {
        await waitFor(async () => (await statusFor(peer)) === 'online', 'the owner to be online');
        const expected = {
          everyone: { self: 'online', peer: 'online', groupmate: 'online', stranger: 'online', blocked: 'hidden' },
          contacts: { self: 'online', peer: 'online', groupmate: 'online', stranger: 'hidden', blocked: 'hidden' },
          nobody: { self: 'online', peer: 'hidden', groupmate: 'hidden', stranger: 'hidden', blocked: 'hidden' },
        };
        for (const [privacy, views] of Object.entries(expected)) {
          await setPrivacy(privacy);
          assert.deepEqual((await ok(t, owner, 'GET', '/v1/me/presence-privacy')).privacy, privacy);
          const seen = {
            self: await statusFor(owner),
            peer: await statusFor(peer),
            groupmate: await statusFor(groupmate),
            stranger: await statusFor(stranger),
            blocked: await statusFor(blocked),
          };
          assert.deepEqual(seen, views, `privacy ${privacy}`);
        }
        // The owner's other devices hear of the setting through their log.
        await ownerSocket.next((f) => f.t === 'user_event' && f.event.type === 'settings.updated' && f.event.data.presencePrivacy === 'nobody');
        // A user who does not exist looks exactly like a hidden one.
        assert.deepEqual((await ok(t, peer, 'GET', '/v1/presence/no-such-user')).presence, { userId: 'no-such-user', status: 'hidden', lastSeenAt: null });
      } finally {
        ownerSocket.close();
        await setPrivacy('everyone');
      }
    });

    it('pushes changes to direct peers and explicit subscribers, never to group members nor to a blocked user, with a last-seen time', async () => {
      await setPrivacy('everyone');
      const sockets = {
        peer: await TestSocket.open(t.wsUrl, peer.token),
        groupmate: await TestSocket.open(t.wsUrl, groupmate.token),
        stranger: await TestSocket.open(t.wsUrl, stranger.token),
        blocked: await TestSocket.open(t.wsUrl, blocked.token),
      };
      try {
        assert.deepEqual((await sockets.stranger.request('presence_subscribe', { userIds: [owner.user.id] })).presence, [{ userId: owner.user.id, status: 'offline', lastSeenAt: (await ok(t, stranger, 'GET', `/v1/presence/${owner.user.id}`)).presence.lastSeenAt }]);
        assert.equal((await sockets.blocked.request('presence_subscribe', { userIds: [owner.user.id] })).presence[0].status, 'hidden', 'a blocked user may subscribe but sees nothing');
        const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
        await sockets.peer.next((f) => f.t === 'presence' && f.presence.status === 'online');
        await sockets.stranger.next((f) => f.t === 'presence' && f.presence.status === 'online');
        const before = Date.now();
        ownerSocket.close();
        const offline = await sockets.peer.next((f) => f.t === 'presence' && f.presence.status === 'offline');
        assert.ok(Math.abs(Date.parse(offline.presence.lastSeenAt) - before) < 5_000, 'last seen is when the last session ended');
        await sockets.stranger.next((f) => f.t === 'presence' && f.presence.status === 'offline');
        await sleep(200);
        assert.deepEqual(presenceFrames(sockets.groupmate), [], 'a group member is not told');
        assert.deepEqual(presenceFrames(sockets.blocked), [], 'a blocked user is not told, as a peer or a subscriber');
        const stored = await t.app.db.kysely.selectFrom('users').select('last_seen_at').where('id', '=', owner.user.id).executeTakeFirstOrThrow();
        assert.equal(stored.last_seen_at, Date.parse(offline.presence.lastSeenAt));
        assert.deepEqual((await ok(t, groupmate, 'GET', `/v1/presence/${owner.user.id}`)).presence, offline.presence);
      } finally {
        for (const socket of Object.values(sockets)) socket.close();
      }
    });

    it('tells subscribers and peers again when the owner changes privacy or blocks them, and goes quiet for them', async () => {
      await setPrivacy('everyone');
      const peerSocket = await TestSocket.open(t.wsUrl, peer.token);
      const strangerSocket = await TestSocket.open(t.wsUrl, stranger.token);
      const ownerSocket = await TestSocket.open(t.wsUrl, owner.token);
      try {
        // The owner's coming online reaches the peer first, so it cannot arrive after the block below.
        await peerSocket.next((f) => f.t === 'presence' && f.presence.userId === owner.user.id && f.presence.status === 'online');
        await strangerSocket.request('presence_subscribe', { userIds: [owner.user.id] });
        await setPrivacy('contacts');
        await strangerSocket.next((f) => f.t === 'presence' && f.presence.status === 'hidden');
        // Blocking the peer: the peer is told "hidden", and hears nothing after.
        await ok(t, owner, 'PUT', `/v1/me/blocks/${peer.user.id}`);
        await peerSocket.next((f) => f.t === 'presence' && f.presence.status === 'hidden');
        const counts = { peer: presenceFrames(peerSocket).length, stranger: presenceFrames(strangerSocket).length };
        ownerSocket.close();
        await waitFor(async () => (await statusFor(groupmate)) === 'offline', 'the owner to go offline');
        await sleep(200);
        assert.equal(presenceFrames(peerSocket).length, counts.peer);
        assert.equal(presenceFrames(strangerSocket).length, counts.stranger);
        // Lifting both: they see the real state again, pushed.
        await ok(t, owner, 'DELETE', `/v1/me/blocks/${peer.user.id}`);
        await peerSocket.next((f) => f.t === 'presence' && f.presence.status === 'offline');
        await setPrivacy('everyone');
        await strangerSocket.next((f) => f.t === 'presence' && f.presence.status === 'offline');
      } finally {
        peerSocket.close();
        strangerSocket.close();
        await setPrivacy('everyone');
      }
    });

    it('under "contacts", leaving the only shared conversation hides presence both ways, for subscriptions already open', async () => {
      const [host, guest] = await Promise.all([createUser(t.url), createUser(t.url)]);
      const room = await group(t, host, 'Short stay', [guest]);
      for (const user of [host, guest]) await send(t, user, room.id, 'here');
      for (const user of [host, guest]) await ok(t, user, 'PUT', '/v1/me/presence-privacy', { privacy: 'contacts' });
      const hostSocket = await TestSocket.open(t.wsUrl, host.token);
      const guestSocket = await TestSocket.open(t.wsUrl, guest.token);
      const framesAbout = (socket: TestSocket, user: TestUser) => socket.frames.filter((f) => f.t === 'presence' && f.presence.userId === user.user.id).map((f) => f.presence.status);
      try {
        assert.equal((await guestSocket.request('presence_subscribe', { userIds: [host.user.id] })).presence[0].status, 'online');
        assert.equal((await hostSocket.request('presence_subscribe', { userIds: [guest.user.id] })).presence[0].status, 'online');
        await ok(t, host, 'DELETE', `/v1/conversations/${room.id}/members/${guest.user.id}`);
        await guestSocket.next((f) => f.t === 'presence' && f.presence.userId === host.user.id && f.presence.status === 'hidden');
        await hostSocket.next((f) => f.t === 'presence' && f.presence.userId === guest.user.id && f.presence.status === 'hidden');
        const seen = { guest: framesAbout(guestSocket, host).length, host: framesAbout(hostSocket, guest).length };
        // Going offline and back is no longer told to either of them.
        const second = await TestSocket.open(t.wsUrl, host.token);
        second.close();
        hostSocket.close();
        await waitFor(async () => (await ok(t, host, 'GET', `/v1/presence/${host.user.id}`)).presence.status === 'offline', 'the host to go offline');
        await sleep(200);
        assert.deepEqual(framesAbout(guestSocket, host).length, seen.guest);
      } finally {
        hostSocket.close();
        guestSocket.close();
      }
    });

    it('under "contacts", adding someone to a group shows their presence only once they have written in it', async () => {
      const [watched, adder] = await Promise.all([createUser(t.url), createUser(t.url)]);
      await ok(t, watched, 'PUT', '/v1/me/presence-privacy', { privacy: 'contacts' });
      const room = await group(t, adder, 'Come along', [watched]);
      await send(t, adder, room.id, 'welcome!');
      const watchedSocket = await TestSocket.open(t.wsUrl, watched.token);
      try {
        await waitFor(async () => (await ok(t, watched, 'GET', `/v1/presence/${watched.user.id}`)).presence.status === 'online', 'the watched user to be online');
        assert.equal((await ok(t, adder, 'GET', `/v1/presence/${watched.user.id}`)).presence.status, 'hidden', 'being added is not consent');
        await send(t, watched, room.id, 'thanks');
        assert.equal((await ok(t, adder, 'GET', `/v1/presence/${watched.user.id}`)).presence.status, 'online');
      } finally {
        watchedSocket.close();
      }
    });

    it('under "contacts", opening a direct conversation with someone shows their presence only once they have written in it', async () => {
      const [watched, opener, friend] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
      await ok(t, watched, 'PUT', '/v1/me/presence-privacy', { privacy: 'contacts' });
      const chat = await direct(t, opener, watched);
      await send(t, opener, chat.id, 'hi, remember me?');
      // A contact the watched user wrote to: its frames say when a change of theirs has been
      // announced, i.e. when who may see it was decided (a later answer must not decide it).
      await send(t, watched, (await direct(t, watched, friend)).id, 'hello, friend');
      const friendSocket = await TestSocket.open(t.wsUrl, friend.token);
      const announced = (status: string) => friendSocket.next((f) => f.t === 'presence' && f.presence.userId === watched.user.id && f.presence.status === status, 20_000);
      const openerSocket = await TestSocket.open(t.wsUrl, opener.token);
      const framesAboutWatched = () => openerSocket.frames.filter((f) => f.t === 'presence' && f.presence.userId === watched.user.id).map((f) => f.presence.status);
      let watchedSocket: TestSocket | undefined;
      try {
        assert.equal((await openerSocket.request('presence_subscribe', { userIds: [watched.user.id] })).presence[0].status, 'hidden');
        watchedSocket = await TestSocket.open(t.wsUrl, watched.token);
        await announced('online');
        assert.equal((await ok(t, opener, 'GET', `/v1/presence/${watched.user.id}`)).presence.status, 'hidden', 'a conversation the watched user never wrote in is not consent');
        watchedSocket.close();
        await announced('offline');
        // Once the watched user answers, the opener is a contact.
        await send(t, watched, chat.id, 'oh, hello');
        assert.equal((await ok(t, opener, 'GET', `/v1/presence/${watched.user.id}`)).presence.status, 'offline');
        watchedSocket = await TestSocket.open(t.wsUrl, watched.token);
        await openerSocket.next((f) => f.t === 'presence' && f.presence.userId === watched.user.id && f.presence.status === 'online');
        // Frames about one user are announced in order: had the earlier online / offline leaked, they would precede this one.
        assert.deepEqual(framesAboutWatched(), ['online'], 'nothing before the answer, as a direct peer or as a subscriber');
      } finally {
        openerSocket.close();
        friendSocket.close();
        watchedSocket?.close();
      }
    });

    it('bounds the subscriptions of one socket, and forgets them with the socket', async () => {
      const socket = await TestSocket.open(t.wsUrl, stranger.token);
      try {
        const four = [owner, peer, groupmate, blocked].map((u) => u.user.id);
        await assert.rejects(() => socket.request('presence_subscribe', { userIds: four }), (error: any) => error.body.code === 'limit_exceeded' && error.body.details.max === 3);
        assert.equal((await socket.request('presence_subscribe', { userIds: four.slice(0, 3) })).presence.length, 3);
        await assert.rejects(() => socket.request('presence_subscribe', { userIds: [four[3]] }), (error: any) => error.body.code === 'limit_exceeded');
        assert.deepEqual(await socket.request('presence_unsubscribe', { userIds: [four[0]] }), {});
        assert.equal((await socket.request('presence_subscribe', { userIds: [four[3]] })).presence.length, 1);
        const invalid = await socket.request('presence_subscribe', { userIds: [] }).catch((error) => error.body);
        assert.equal(invalid.code, 'validation_failed');
      } finally {
        socket.close();
      }
      await waitFor(() => t.app.gateway.stats().sessions === 0, 'the socket to go');
    });

    it('stores the last-seen times of departures that come together in shared statements, each user its own', async () => {
      // The statement itself: each user gets the time given for them, not a neighbour's.
      const [first, second] = await Promise.all([createUser(t.url), createUser(t.url)]);
      await storeLastSeen(t.app.db.kysely, new Map([[first.user.id, 1_700_000_000_001], [second.user.id, 1_700_000_000_002]]));
      const lastSeen = async (ids: string[]) => new Map((await t.app.db.kysely.selectFrom('users').select(['id', 'last_seen_at']).where('id', 'in', ids).execute()).map((row) => [row.id, row.last_seen_at]));
      assert.deepEqual(await lastSeen([first.user.id, second.user.id]), new Map([[first.user.id, 1_700_000_000_001], [second.user.id, 1_700_000_000_002]]));

      // A wave of departures: every one stored, at its own departure.
      const leaving = await Promise.all(Array.from({ length: 20 }, () => createUser(t.url)));
      const ids = leaving.map((user) => user.user.id);
      const sockets = await Promise.all(leaving.map((user) => TestSocket.open(t.wsUrl, user.token)));
      const closedFrom = Date.now();
      for (const socket of sockets) socket.close();
      await waitFor(async () => [...(await lastSeen(ids)).values()].every((at) => at !== null), 'every departure stored');
      for (const at of (await lastSeen(ids)).values()) assert.ok(at! >= closedFrom - 1 && at! <= Date.now(), `stored at the departure: ${at}`);
    });
  });
}

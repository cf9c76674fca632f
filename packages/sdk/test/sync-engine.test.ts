import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationEvent, UserEvent } from '@parley/protocol';
import { HistoryLoader } from '../src/history-loader.ts';
import { ChatStore } from '../src/store.ts';
import { type LogFrame, SyncEngine } from '../src/sync-engine.ts';
import { FakeServer, ME } from './support/fake-server.ts';

/** An engine over the in-memory server, with everything it emits written down. */
function harness(options: { pageSize?: number; syncChunk?: number } = {}) {
  const server = new FakeServer();
  const store = new ChatStore();
  store.me = { id: ME, handle: 'me', displayName: 'Me' };
  const history = new HistoryLoader(server, store);
  const engine = new SyncEngine({ transport: server, store, history, ...options });
  const seen = {
    events: [] as string[], userEvents: [] as number[], added: [] as string[], removed: [] as string[],
    resets: [] as string[], progress: [] as string[], errors: [] as string[],
  };
  engine.on('event', (event) => seen.events.push(`${event.conversationId}:${event.seq}`));
  engine.on('userEvent', (event) => seen.userEvents.push(event.seq));
  engine.on('conversationAdded', (summary) => seen.added.push(summary.id));
  engine.on('conversationRemoved', ({ conversationId }) => seen.removed.push(conversationId));
  engine.on('reset', ({ conversationId }) => seen.resets.push(conversationId));
  engine.on('progress', (progress) => seen.progress.push(progress));
  engine.on('error', (error) => seen.errors.push(error.code));
  /** What the store shows of a conversation, next to what the server would answer now. */
  const compare = (conversationId: string) => {
    const shown = store.get(conversationId)!.summary;
    const fresh = server.summaryOf(conversationId);
    return {
      store: { lastSeq: shown.lastSeq, readSeq: shown.readSeq, unreadCount: shown.unreadCount, lastMessage: shown.lastMessage?.id ?? null },
      server: { lastSeq: fresh.lastSeq, readSeq: fresh.readSeq, unreadCount: fresh.unreadCount, lastMessage: fresh.lastMessage?.id ?? null },
    };
  };
  const logReads = () => server.calls.filter((call) => call.startsWith('events') || call.startsWith('userEvents'));
  return { server, store, history, engine, seen, compare, logReads };
}

const live = (event: ConversationEvent): LogFrame => ({ t: 'event', event });
const liveUser = (event: UserEvent): LogFrame => ({ t: 'user_event', event });
/** Lets the engine's background catch-ups and refreshes (answered at once by the fake) run to the end. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('the sync engine', () => {
  describe('conversation logs', () => {
    it('applies live events in seq order, each once, and announces each after the store has it', async () => {
      const { server, store, engine, seen, compare, logReads } = harness();
      server.createConversation('c1');
      await engine.loadAll();
      const storeSeqWhenAnnounced: number[] = [];
      engine.on('event', () => storeSeqWhenAnnounced.push(store.get('c1')!.summary.lastSeq));
      for (const event of [server.message('c1'), server.message('c1'), server.message('c1')]) engine.receive(live(event));
      assert.deepEqual(seen.events, ['c1:2', 'c1:3', 'c1:4']);
      assert.deepEqual(storeSeqWhenAnnounced, [2, 3, 4]);
      assert.equal(engine.appliedSeq('c1'), 4);
      assert.deepEqual(logReads(), [], 'nothing was missing, so nothing was fetched');
      const { store: shown, server: fresh } = compare('c1');
      assert.deepEqual(shown, fresh, 'state + events = refetched state');
    });

    it('holds an early event, fetches the gap from the log, and applies everything in order', async () => {
      const { server, engine, seen, logReads } = harness();
      server.createConversation('c1');
      await engine.loadAll();
      const [s2, s3, s4, s5] = [server.message('c1'), server.message('c1'), server.message('c1'), server.message('c1')];
      engine.receive(live(s2!));
      engine.receive(live(s4!));
      assert.deepEqual(seen.events, ['c1:2'], 'seq 4 waits for seq 3');
      await settle();
      assert.deepEqual(logReads(), ['events c1 after 2']);
      assert.deepEqual(seen.events, ['c1:2', 'c1:3', 'c1:4', 'c1:5']);
      engine.receive(live(s3!));
      engine.receive(live(s5!));
      await settle();
      assert.deepEqual(seen.events, ['c1:2', 'c1:3', 'c1:4', 'c1:5'], 'late live copies of fetched events are dropped');
      assert.equal(engine.appliedSeq('c1'), 5);
    });

    it('pages a catch-up until the gap is closed and the log is read to its end', async () => {
      const { server, engine, seen, logReads } = harness({ pageSize: 2 });
      server.createConversation('c1');
      await engine.loadAll();
      const events = Array.from({ length: 8 }, () => server.message('c1'));
      engine.receive(live(events[0]!));
      engine.receive(live(events[7]!));
      await settle();
      assert.deepEqual(logReads(), ['events c1 after 2', 'events c1 after 4', 'events c1 after 6', 'events c1 after 9']);
      assert.deepEqual(seen.events, ['c1:2', 'c1:3', 'c1:4', 'c1:5', 'c1:6', 'c1:7', 'c1:8', 'c1:9']);
    });

    it('drops duplicate frames, so nothing is announced or counted twice', async () => {
      const { server, engine, seen, compare } = harness();
      server.createConversation('c1');
      await engine.loadAll();
      const [s2, s3] = [server.message('c1'), server.message('c1')];
      for (const event of [s2!, s2!, s3!, s2!, s3!]) engine.receive(live(event));
      assert.deepEqual(seen.events, ['c1:2', 'c1:3']);
      const { store: shown, server: fresh } = compare('c1');
      assert.equal(shown.unreadCount, 2);
      assert.deepEqual(shown, fresh);
    });

    it('follows a conversation it first hears of through a live event, from its summary', async () => {
      const { server, store, engine, seen } = harness();
      await engine.loadAll();
      server.createConversation('n', { member: false });
      server.addMe('n');
      const event = server.message('n');
      engine.receive(live(event));
      await settle();
      assert.deepEqual(seen.added, ['n']);
      assert.equal(engine.appliedSeq('n'), event.seq, 'the event is in the summary, so the log continues after it');
      assert.equal(store.get('n')!.summary.unreadCount, 1);
      assert.deepEqual(seen.events, []);
    });

    it('drops a conversation whose catch-up says it is gone', async () => {
      const { server, store, engine, seen } = harness();
      server.createConversation('c1');
      await engine.loadAll();
      server.message('c1');
      const s3 = server.message('c1');
      server.setMember('c1', false);
      engine.receive(live(s3));
      await settle();
      assert.deepEqual(seen.removed, ['c1']);
      assert.equal(store.has('c1'), false);
      assert.equal(engine.isFollowing('c1'), false);
      assert.deepEqual(seen.errors, [], 'gone is an answer, not a failure');
    });
  });

  describe('unread counts', () => {
    it('counts messages from others after the snapshot, never your own, never twice, and un-counts deletions', async () => {
      const { server, engine, compare } = harness();
      server.createConversation('c1');
      server.message('c1');
      await engine.loadAll();
      const check = (expected: number, why: string) => {
        const { store: shown, server: fresh } = compare('c1');
        assert.equal(shown.unreadCount, expected, why);
        assert.deepEqual(shown, fresh, `${why}: the store agrees with a refetched summary`);
      };
      check(1, 'the snapshot counts one');
      const s3 = server.message('c1');
      engine.receive(live(s3));
      check(2, 'a new message from someone else');
      engine.receive(live(server.message('c1', ME)));
      check(2, 'your own message');
      engine.receive(live(s3));
      check(2, 'a duplicate frame');
      engine.receive(live(server.deleteMessage('c1', 'c1-m3')));
      check(1, 'a deleted message counted since the snapshot');
      engine.receive(live(server.deleteMessage('c1', 'c1-m2')));
      check(0, 'a deleted message counted in the snapshot');
    });

    it('takes the server\'s count when the read pointer moves on another device', async () => {
      const { server, engine, compare, logReads } = harness();
      server.createConversation('c1');
      await engine.loadAll();
      for (let i = 0; i < 3; i++) engine.receive(live(server.message('c1')));
      assert.equal(compare('c1').store.unreadCount, 3);
      server.calls.length = 0;
      engine.receive(liveUser(server.read('c1', 3)));
      await settle();
      assert.ok(server.calls.includes('conversation c1'), 'only the server can count what is left: the summary is refetched');
      const { store: shown, server: fresh } = compare('c1');
      assert.deepEqual(shown, fresh);
      assert.equal(shown.unreadCount, 1);
      assert.deepEqual(logReads(), []);
    });

    it('does not add to a fresher summary the events it already counts', async () => {
      const { server, engine, seen, compare, logReads } = harness();
      server.createConversation('c1');
      await engine.loadAll();
      server.message('c1');
      server.message('c1');
      engine.follow(server.summaryOf('c1'));
      await settle();
      assert.deepEqual(logReads(), ['events c1 after 1'], 'loaded messages still need the events between');
      assert.deepEqual(seen.events, ['c1:2', 'c1:3']);
      const { store: shown, server: fresh } = compare('c1');
      assert.equal(shown.unreadCount, 2);
      assert.deepEqual(shown, fresh);
    });
  });

  describe('the user log', () => {
    it('applies it in order: a gap is fetched, duplicates dropped, added conversations followed and removed ones dropped', async () => {
      const { server, store, engine, seen, logReads } = harness();
      server.createConversation('a');
      await engine.loadAll();
      server.createConversation('b', { member: false });
      const added = server.addMe('b');
      const read = server.read('a', 1);
      engine.receive(liveUser(read));
      assert.deepEqual(seen.userEvents, [], 'seq 2 waits for seq 1');
      await settle();
      assert.deepEqual(logReads(), ['userEvents after 0']);
      assert.deepEqual(seen.userEvents, [1, 2]);
      assert.deepEqual(seen.added, ['a', 'b']);
      assert.ok(engine.isFollowing('b'));
      engine.receive(liveUser(added));
      engine.receive(liveUser(read));
      assert.deepEqual(seen.userEvents, [1, 2], 'duplicates are dropped');
      engine.receive(liveUser(server.removeMe('b')));
      assert.deepEqual(seen.removed, ['b']);
      assert.equal(store.has('b'), false);
      assert.equal(engine.appliedUserSeq, 3);
    });
  });

  describe('resync after a (re)connect', () => {
    it('asks where every log stands in chunks, applies the answers and pages on where there is more', async () => {
      const { server, engine, seen, logReads } = harness({ syncChunk: 2 });
      for (const id of ['a', 'b', 'c']) server.createConversation(id);
      await engine.loadAll();
      server.syncPage = 2;
      server.message('a');
      for (let i = 0; i < 3; i++) server.message('c');
      server.appendUser('block.added', { userId: 'x' });
      await engine.resync();
      assert.deepEqual(server.syncRequests, [
        { userSeq: 0, conversations: [{ id: 'a', after: 1 }, { id: 'b', after: 1 }] },
        { conversations: [{ id: 'c', after: 1 }] },
      ], 'the first request also carries the user log');
      assert.deepEqual(seen.userEvents, [1]);
      assert.deepEqual(seen.events, ['a:2', 'c:2', 'c:3', 'c:4']);
      assert.deepEqual(logReads(), ['events c after 3'], 'c had more than one answer holds');
      assert.deepEqual(seen.progress, ['syncing', 'caughtUp']);
    });

    it('reloads a conversation the answer resets: fresh summary, what the app had open, and the log continues from its lastSeq', async () => {
      const { server, store, history, engine, seen, compare, logReads } = harness();
      server.createConversation('c1');
      server.message('c1');
      await engine.loadAll();
      await history.latest('c1');
      await history.members('c1');
      server.resetThreshold = 3;
      for (let i = 0; i < 5; i++) server.message('c1');
      server.calls.length = 0;
      await engine.resync();
      assert.deepEqual(seen.resets, ['c1']);
      assert.deepEqual(server.calls, ['sync', 'conversation c1', 'messages c1', 'members c1']);
      assert.deepEqual(seen.events, [], 'the events were not replayed');
      assert.equal(engine.appliedSeq('c1'), 7);
      assert.deepEqual(store.get('c1')!.messages!.map((m) => m.seq), [2, 3, 4, 5, 6, 7]);
      assert.deepEqual(compare('c1').store, compare('c1').server);
      engine.receive(live(server.message('c1')));
      assert.deepEqual(seen.events, ['c1:8']);
      assert.deepEqual(logReads(), [], 'the next live event follows on without a gap');
    });

    it('drops a conversation the answer says is gone', async () => {
      const { server, store, engine, seen } = harness();
      server.createConversation('a');
      server.createConversation('b');
      await engine.loadAll();
      server.setMember('b', false);
      server.message('b');
      await engine.resync();
      assert.deepEqual(seen.removed, ['b']);
      assert.equal(store.has('b'), false);
      assert.ok(engine.isFollowing('a'));
    });

    it('reloads the conversation list when the user log is too far behind', async () => {
      const { server, engine, seen } = harness();
      server.createConversation('a');
      server.createConversation('b');
      await engine.loadAll();
      server.userResetThreshold = 1;
      server.setMember('b', false);
      server.createConversation('c', { member: false });
      server.addMe('c');
      server.appendUser('block.added', { userId: 'x' });
      server.calls.length = 0;
      await engine.resync();
      assert.deepEqual(server.calls.slice(0, 3), ['sync', 'heads', 'conversations']);
      assert.deepEqual(seen.added, ['a', 'b', 'c']);
      assert.deepEqual(seen.removed, ['b']);
      assert.deepEqual(seen.userEvents, [], 'a reset replays nothing: the list is the new base');
      assert.equal(engine.appliedUserSeq, 2);
    });

    it('runs once more when asked again meanwhile (a resync frame), and reports caught up only at the end', async () => {
      const { server, engine, seen } = harness();
      server.createConversation('a');
      await engine.loadAll();
      const first = engine.resync();
      engine.receive({ t: 'resync' });
      await first;
      assert.equal(server.syncRequests.length, 2);
      assert.deepEqual(seen.progress, ['syncing', 'syncing', 'caughtUp']);
    });

    it('treats a disconnect in the middle as the end of this attempt, not an error, and does not claim to be caught up', async () => {
      const { server, engine, seen } = harness();
      server.createConversation('a');
      await engine.loadAll();
      server.open = false;
      await engine.resync();
      assert.deepEqual(seen.errors, []);
      assert.deepEqual(seen.progress, ['syncing']);
    });
  });
});

describe('coalesced membership changes of a large conversation (members_changed)', () => {
  const coalesced = (conversationId: string, fromSeq: number, toSeq: number, memberCount: number): LogFrame => ({ t: 'members_changed', conversationId, fromSeq, toSeq, memberCount });

  it('moves the log past the run without fetching it, takes the count, refetches a loaded member list, and goes on with the next live event', async () => {
    const { server, store, history, engine, seen, logReads } = harness();
    server.createConversation('c1');
    await engine.loadAll();
    await history.members('c1');
    const changes: Array<{ conversationId: string; memberCount: number }> = [];
    engine.on('membersChanged', (change) => changes.push(change));
    const joins = ['u1', 'u2', 'u3'].map((userId) => server.append('c1', 'members.added', { userIds: [userId], role: 'member' }));
    const membersReadsBefore = server.calls.filter((call) => call.startsWith('members')).length;
    engine.receive(coalesced('c1', joins[0]!.seq, joins[2]!.seq, 5));
    const next = server.message('c1');
    engine.receive(live(next));
    await settle();
    assert.equal(engine.appliedSeq('c1'), next.seq);
    assert.deepEqual(seen.events, [`c1:${next.seq}`], 'the joins were not announced one by one; the message was');
    assert.deepEqual(logReads(), [], 'nothing was fetched from the log');
    assert.equal(store.get('c1')!.summary.memberCount, 5);
    assert.equal(store.get('c1')!.summary.lastSeq, next.seq);
    assert.deepEqual(changes, [{ conversationId: 'c1', memberCount: 5 }]);
    assert.equal(server.calls.filter((call) => call.startsWith('members')).length, membersReadsBefore + 1, 'the loaded member list was fetched again');
  });

  it('a log further behind than the run fetches the events themselves, so nothing is skipped', async () => {
    const { server, engine, seen, logReads } = harness();
    server.createConversation('c1');
    await engine.loadAll();
    const missed = server.message('c1');
    const joins = ['u1', 'u2'].map((userId) => server.append('c1', 'members.added', { userIds: [userId], role: 'member' }));
    engine.receive(coalesced('c1', joins[0]!.seq, joins[1]!.seq, 4));
    await settle();
    assert.deepEqual(logReads(), [`events c1 after ${missed.seq - 1}`]);
    assert.deepEqual(seen.events, [missed, ...joins].map((event) => `c1:${event.seq}`));
    assert.equal(engine.appliedSeq('c1'), joins[1]!.seq);
  });

  it('ignores a run it has already applied (its own join came in full), and applies events held behind the run', async () => {
    const { server, engine, seen } = harness();
    server.createConversation('c1');
    await engine.loadAll();
    const joins = ['u1', 'u2', 'u3'].map((userId) => server.append('c1', 'members.added', { userIds: [userId], role: 'member' }));
    engine.receive(live(joins[0]!));
    const after = server.message('c1');
    engine.receive(live(after));
    engine.receive(coalesced('c1', joins[0]!.seq, joins[2]!.seq, 5));
    engine.receive(coalesced('c1', joins[0]!.seq, joins[2]!.seq, 5));
    await settle();
    assert.deepEqual(seen.events, [`c1:${joins[0]!.seq}`, `c1:${after.seq}`]);
    assert.equal(engine.appliedSeq('c1'), after.seq);
  });
});

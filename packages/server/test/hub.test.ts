import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversationChannel, encodeEnvelope, type UserHeader, userChannel } from '../src/gateway/envelope.ts';
import { Hub, type HubSession } from '../src/gateway/hub.ts';
import { membersNoticeDelay, type MembersNoticePacing } from '../src/gateway/members-notice-pacing.ts';
import { type Broker, type BrokerState, MemoryBus } from '../src/platform/broker/index.ts';
import { createLogger } from '../src/platform/logger.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', nodeId: 'hub-test' });

async function until(done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The hub's broker: a real MemoryBus node, watched (what reached the hub, what is subscribed) and steerable (hold subscribes, fake a gap). */
class SpyBroker implements Broker {
  /** Channels whose subscription completed and that were not unsubscribed since. */
  readonly active = new Set<string>();
  /** Channel of every message the broker handed to the hub. */
  readonly heard: string[] = [];
  private readonly gapHandlers: Array<() => void> = [];
  private gate: Promise<void> | null = null;
  private openGate: () => void = () => {};
  private readonly inner: Broker;

  constructor(inner: Broker) {
    this.inner = inner;
  }

  /** Conversation subscribes from now on wait until `releaseSubscribes()` (a slow broker). */
  holdSubscribes(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  releaseSubscribes(): void {
    this.gate = null;
    this.openGate();
  }

  triggerGap(): void {
    for (const gap of this.gapHandlers) gap();
  }

  heardOn(channel: string): number {
    return this.heard.filter((c) => c === channel).length;
  }

  publish(channel: string, message: string): Promise<void> {
    return this.inner.publish(channel, message);
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    if (this.gate && channels.some((channel) => channel.startsWith('c:'))) await this.gate;
    await this.inner.subscribe(channels);
    for (const channel of channels) this.active.add(channel);
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    for (const channel of channels) this.active.delete(channel);
    await this.inner.unsubscribe(channels);
  }

  onMessage(handler: (channel: string, message: string) => void): void {
    this.inner.onMessage((channel, message) => {
      this.heard.push(channel);
      handler(channel, message);
    });
  }

  onGap(handler: () => void): void {
    this.gapHandlers.push(handler);
  }

  state(): BrokerState {
    return this.inner.state();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A connection as the hub sees it: records frames; closing detaches, as a real connection does. */
class FakeSession implements HubSession {
  readonly frames: Buffer[] = [];
  closedWith: { code: number; reason: string } | null = null;
  onDeliver: (frame: Buffer) => void = () => {};
  readonly userId: string;
  readonly sessionId: string | null;
  private readonly hub: Hub;

  constructor(hub: Hub, userId: string, sessionId: string | null = null) {
    this.hub = hub;
    this.userId = userId;
    this.sessionId = sessionId;
  }

  deliver(frame: Buffer): void {
    if (this.closedWith) return;
    this.frames.push(frame);
    this.onDeliver(frame);
  }

  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.hub.detach(this);
  }

  texts(): string[] {
    return this.frames.map((frame) => frame.toString('utf8'));
  }

  /** Seqs of the test's conversation frames, in arrival order. */
  seqs(): number[] {
    return this.texts().map((text) => JSON.parse(text).seq as number);
  }
}

interface Snapshot {
  userSeq: number;
  conversations: string[];
}

/**
 * One node under test: a hub on a spied MemoryBus broker, a second broker on the same
 * bus publishing like another node, and a fake membership store. An observer user in
 * conversation `obs` makes "everything published so far was handled" observable
 * (`flush`): the bus keeps one publisher's order.
 */
async function node(options: { reorderHoldMs?: number; members?: Record<string, Partial<Snapshot>>; membersNotices?: MembersNoticePacing } = {}) {
  const bus = new MemoryBus();
  const broker = new SpyBroker(bus.connect());
  const other = bus.connect();
  const store = new Map<string, Snapshot>();
  for (const [userId, snapshot] of Object.entries(options.members ?? {})) store.set(userId, { userSeq: snapshot.userSeq ?? 0, conversations: snapshot.conversations ?? [] });
  store.set('observer', { userSeq: 0, conversations: ['obs'] });
  const gates = new Map<string, Promise<void>>();
  const loads: string[] = [];
  const hub = new Hub({
    broker,
    logger,
    reorderHoldMs: options.reorderHoldMs ?? 5_000,
    ...(options.membersNotices ? { membersNotices: options.membersNotices } : {}),
    async loadMembership(userId) {
      loads.push(userId);
      await gates.get(userId);
      const snapshot = store.get(userId) ?? { userSeq: 0, conversations: [] };
      return { userSeq: snapshot.userSeq, conversations: snapshot.conversations.map((id) => ({ id })) };
    },
  });
  const observer = new FakeSession(hub, 'observer');
  await hub.attach(observer);
  let observed = 0;

  const frameOf = (conversationId: string, seq: number) => JSON.stringify({ t: 'event', conversationId, seq });

  return {
    hub,
    broker,
    store,
    loads,
    /** Makes loadMembership for this user wait until the returned function is called. */
    gate(userId: string): () => void {
      let open = () => {};
      gates.set(userId, new Promise<void>((resolve) => (open = resolve)));
      return () => {
        gates.delete(userId);
        open();
      };
    },
    async session(userId: string, sessionId: string | null = null): Promise<FakeSession> {
      const session = new FakeSession(hub, userId, sessionId);
      await hub.attach(session);
      return session;
    },
    /** Publishes a conversation event from the other node; the frame is `{"t":"event",conversationId,seq}` unless given. */
    event(conversationId: string, seq: number, extra: { sub?: string[]; unsub?: string[]; q?: number; frame?: string } = {}): Promise<void> {
      const { frame = frameOf(conversationId, seq), ...lists } = extra;
      return other.publish(conversationChannel(conversationId), encodeEnvelope({ k: 'c', s: seq, ...lists }, frame));
    },
    userEvent(userId: string, seq: number, frame: string, m?: UserHeader['m']): Promise<void> {
      return other.publish(userChannel(userId), encodeEnvelope({ k: 'u', s: seq, ...(m ? { m } : {}) }, frame));
    },
    control(userId: string, session: string | null, code: number, reason = 'closed by the test'): Promise<void> {
      return other.publish(userChannel(userId), encodeEnvelope({ k: 'x', close: { code, reason, session } }));
    },
    raw(channel: string, message: string): Promise<void> {
      return other.publish(channel, message);
    },
    /** Resolves once everything the other node published before has reached the hub. */
    async flush(): Promise<void> {
      const seq = ++observed;
      await other.publish(conversationChannel('obs'), encodeEnvelope({ k: 'c', s: seq }, frameOf('obs', seq)));
      await until(() => observer.frames.length >= seq, 'the observer marker');
    },
    async close(): Promise<void> {
      await Promise.all([broker.close(), other.close()]);
    },
  };
}

describe('the hub', () => {
  it('delivers a conversation event once to every session of every subscribed user, as the very bytes published', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] }, bob: { conversations: ['A', 'B'] }, carol: { conversations: ['B'] } } });
    const alice1 = await t.session('alice', 'a1');
    const alice2 = await t.session('alice', 'a2');
    const bob = await t.session('bob');
    const carol = await t.session('carol');
    const frame = JSON.stringify({ t: 'event', conversationId: 'A', seq: 1, text: 'Grüße 👋\u2028 "quoted"' });
    await t.event('A', 1, { frame });
    await t.flush();
    for (const session of [alice1, alice2, bob]) {
      assert.equal(session.frames.length, 1);
      assert.ok(session.frames[0]!.equals(Buffer.from(frame, 'utf8')), 'the frame is byte-identical to what was published');
    }
    assert.equal(alice1.frames[0], bob.frames[0], 'one Buffer, serialized once, shared by all sessions');
    assert.equal(carol.frames.length, 0);
    assert.equal(t.broker.heardOn('c:A'), 1, 'the node subscribed the conversation once');
    assert.deepEqual(t.hub.stats(), { users: 4, sessions: 5, topics: 3 });
    await t.close();
  });

  it('drops a conversation event whose seq was delivered already', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] } } });
    const alice = await t.session('alice');
    for (const seq of [1, 2, 2, 1, 3, 3]) await t.event('A', seq);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1, 2, 3]);
    await t.close();
  });

  it('holds events that overtook their predecessors and delivers them in seq order once the missing ones arrive', async () => {
    const t = await node({ reorderHoldMs: 60_000, members: { alice: { conversations: ['A'] } } });
    const alice = await t.session('alice');
    await t.event('A', 1);
    await t.event('A', 4);
    await t.event('A', 3);
    await t.event('A', 3);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1], 'seq 3 and 4 wait for seq 2');
    await t.event('A', 2);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1, 2, 3, 4], 'delivered at once, long before the hold time');
    await t.event('A', 5);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1, 2, 3, 4, 5]);
    // A pending hold timer of 60 s would keep this test file alive: it must have been cleared.
    await t.close();
  });

  it('delivers held events in order after reorderHoldMs when the predecessor never arrives, and drops it if it comes later', async () => {
    const holdMs = 80;
    const t = await node({ reorderHoldMs: holdMs, members: { alice: { conversations: ['A'] } } });
    const alice = await t.session('alice');
    await t.event('A', 1);
    await t.flush();
    const heldAt = Date.now();
    await t.event('A', 4);
    await t.event('A', 3);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1]);
    await until(() => alice.frames.length === 3, 'the held events');
    assert.ok(Date.now() - heldAt >= holdMs - 1, `released after ${Date.now() - heldAt} ms, not before ${holdMs} ms`);
    assert.deepEqual(alice.seqs(), [1, 3, 4]);
    await t.event('A', 2);
    await t.event('A', 5);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1, 3, 4, 5], 'the late predecessor is dropped, the next one flows at once');
    await t.close();
  });

  it('after resetOrdering delivers what was held, then lets a topic accept any next seq', async () => {
    const t = await node({ reorderHoldMs: 60_000, members: { alice: { conversations: ['A'] } } });
    const alice = await t.session('alice');
    await t.event('A', 10);
    await t.event('A', 12);
    await t.flush();
    assert.deepEqual(alice.seqs(), [10]);
    t.hub.resetOrdering();
    assert.deepEqual(alice.seqs(), [10, 12], 'the held event is not lost');
    await t.event('A', 3);
    await t.event('A', 4);
    await t.event('A', 4);
    await t.flush();
    assert.deepEqual(alice.seqs(), [10, 12, 3, 4]);
    await t.close();
  });

  it('subscribes a locally connected user named in header.sub, who receives that very event and the ones after', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] }, dave: {} } });
    const alice = await t.session('alice');
    const dave = await t.session('dave');
    await t.event('A', 1);
    await t.event('A', 2, { sub: ['dave', 'not-on-this-node'] });
    await t.event('A', 3);
    await t.flush();
    assert.deepEqual(dave.seqs(), [2, 3]);
    assert.deepEqual(alice.seqs(), [1, 2, 3]);
    // The user-channel hint for the same change, arriving later, changes nothing.
    await t.userEvent('dave', 1, '{"t":"user_event","n":1}', { c: 'A', s: 2, on: true });
    await until(() => dave.frames.length === 3, 'the user event');
    await t.event('A', 4);
    await t.flush();
    assert.deepEqual(dave.seqs().slice(-1), [4]);
    assert.equal(dave.frames.length, 4);
    await t.close();
  });

  it('delivers the event named in header.unsub to the removed user, then stops delivering to them', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] }, bob: { conversations: ['A'] } } });
    const alice = await t.session('alice');
    const bob1 = await t.session('bob', 'b1');
    const bob2 = await t.session('bob', 'b2');
    await t.event('A', 1);
    await t.event('A', 2, { unsub: ['bob'] });
    await t.event('A', 3);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1, 2, 3]);
    assert.deepEqual(bob1.seqs(), [1, 2]);
    assert.deepEqual(bob2.seqs(), [1, 2]);
    await t.close();
  });

  it('unsubscribes the node from a conversation when its last local member is removed', async () => {
    const t = await node({ members: { bob: { conversations: ['A'] } } });
    const bob = await t.session('bob');
    await t.event('A', 1, { unsub: ['bob'] });
    await until(() => !t.broker.active.has('c:A'), 'the broker unsubscribe');
    await t.event('A', 2);
    await t.flush();
    assert.deepEqual(bob.seqs(), [1]);
    assert.equal(t.broker.heardOn('c:A'), 1, 'seq 2 never reached the hub');
    assert.equal(t.hub.stats().topics, 1, 'only the observer topic is left');
    await t.close();
  });

  it('applies user-channel membership hints last-writer-wins by conversation seq', async () => {
    const t = await node({ members: { dave: {} } });
    const dave = await t.session('dave');
    const subscribedWhenTold: boolean[] = [];
    dave.onDeliver = (frame) => {
      if (frame.toString().includes('user_event')) subscribedWhenTold.push(t.broker.active.has('c:A'));
    };
    await t.userEvent('dave', 1, '{"t":"user_event","n":1}', { c: 'A', s: 10, on: true });
    await until(() => dave.frames.length === 1, 'the added event');
    assert.deepEqual(subscribedWhenTold, [true], 'the client hears it was added only once the node hears the conversation');
    await t.event('A', 11);
    await t.flush();
    assert.deepEqual(dave.texts().slice(1).map((text) => JSON.parse(text).seq), [11]);

    // An older removal (seq 8) arriving late must not undo the newer add (seq 10).
    await t.userEvent('dave', 2, '{"t":"user_event","n":2}', { c: 'A', s: 8, on: false });
    await until(() => dave.frames.length === 3, 'the stale hint frame');
    await t.event('A', 12);
    await t.flush();
    assert.equal(dave.frames.length, 4, 'still subscribed');
    assert.ok(t.broker.active.has('c:A'));

    // A newer removal applies; an older add arriving after it does not resubscribe.
    await t.userEvent('dave', 3, '{"t":"user_event","n":3}', { c: 'A', s: 13, on: false });
    await t.userEvent('dave', 4, '{"t":"user_event","n":4}', { c: 'A', s: 12, on: true });
    await until(() => dave.frames.length === 6, 'both hint frames');
    await t.event('A', 14);
    await t.flush();
    assert.equal(dave.frames.length, 6, 'no conversation events after the removal');
    assert.ok(!t.broker.active.has('c:A'));
    assert.equal(t.broker.heardOn('c:A'), 2);
    await t.close();
  });

  it('replays user-channel messages that arrived while the first session loaded membership, when newer than the snapshot', async () => {
    const t = await node({ members: { erin: { userSeq: 5, conversations: ['A'] }, gina: { conversations: ['C'] } } });
    const gina = await t.session('gina');
    const open = t.gate('erin');
    const erin = new FakeSession(t.hub, 'erin');
    const attached = t.hub.attach(erin);
    await until(() => t.loads.includes('erin'), 'the membership read to start');
    assert.ok(t.broker.active.has('u:erin'), 'the user channel is subscribed before membership is read');
    await t.userEvent('erin', 5, '{"t":"user_event","n":5}');
    await t.userEvent('erin', 6, '{"t":"user_event","n":6}');
    await t.userEvent('erin', 7, '{"t":"user_event","n":7}', { c: 'B', s: 3, on: true });
    // Conversation-side membership is ignored while loading: the user channel has the word.
    await t.event('C', 9, { sub: ['erin'] });
    await t.flush();
    open();
    assert.equal(await attached, 5);
    await until(() => erin.frames.length === 2, 'the replayed user events');
    assert.deepEqual(erin.texts(), ['{"t":"user_event","n":6}', '{"t":"user_event","n":7}'], 'seq 5 was in the snapshot, 6 and 7 were not');
    await t.event('A', 1);
    await t.event('B', 4);
    await t.event('C', 10);
    await t.flush();
    assert.deepEqual(erin.seqs().slice(2), [1, 4], 'A from the snapshot, B from the replayed hint, not C');
    assert.deepEqual(gina.seqs(), [9, 10]);
    // A second session hears the newest user seq this node saw.
    const erin2 = new FakeSession(t.hub, 'erin');
    assert.equal(await t.hub.attach(erin2), 7);
    await t.close();
  });

  it('closes a session attaching while a close order arrives during its membership read', async () => {
    const t = await node({ members: { frank: { conversations: ['A'] } } });
    const open = t.gate('frank');
    const doomed = new FakeSession(t.hub, 'frank', 'f1');
    const spared = new FakeSession(t.hub, 'frank', 'f2');
    const attached = [t.hub.attach(doomed), t.hub.attach(spared)];
    await until(() => t.loads.includes('frank'), 'the membership read to start');
    await t.control('frank', 'f1', 4201, 'session revoked');
    await t.flush();
    open();
    await Promise.all(attached);
    assert.deepEqual(doomed.closedWith, { code: 4201, reason: 'session revoked' });
    assert.equal(spared.closedWith, null);
    await t.event('A', 1);
    await t.flush();
    assert.deepEqual(spared.seqs(), [1]);
    assert.deepEqual(doomed.seqs(), []);
    // Later sessions are not affected by an old order.
    const later = await t.session('frank', 'f1');
    assert.equal(later.closedWith, null);
    await t.close();
  });

  it('unsubscribes, when the last session of a user detaches, the channels no other local user needs', async () => {
    const t = await node({ members: { alice: { conversations: ['A', 'B'] }, bob: { conversations: ['B'] } } });
    const alice1 = await t.session('alice', 'a1');
    const alice2 = await t.session('alice', 'a2');
    const bob = await t.session('bob');
    for (const channel of ['c:A', 'c:B', 'u:alice', 'u:bob']) assert.ok(t.broker.active.has(channel), channel);
    t.hub.detach(alice1);
    t.hub.detach(alice1);
    await t.event('A', 1);
    await t.flush();
    assert.deepEqual(alice2.seqs(), [1], 'one session left: still subscribed');
    t.hub.detach(alice2);
    await until(() => !t.broker.active.has('c:A') && !t.broker.active.has('u:alice'), 'the unsubscribe');
    assert.ok(t.broker.active.has('c:B'), 'bob still needs B');
    await t.event('A', 2);
    await t.userEvent('alice', 1, '{"t":"user_event"}');
    await t.event('B', 1);
    await t.flush();
    assert.equal(t.broker.heardOn('c:A'), 1, 'seq 2 on A no longer reaches the hub');
    assert.equal(t.broker.heardOn('u:alice'), 0);
    assert.deepEqual(bob.seqs(), [1]);
    assert.deepEqual(t.hub.stats(), { users: 2, sessions: 2, topics: 2 });
    await t.close();
  });

  it('keeps a session subscribed that attaches while the user\'s previous last session detaches', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] } } });
    const old = await t.session('alice', 'old');
    const fresh = new FakeSession(t.hub, 'alice', 'new');
    const attached = t.hub.attach(fresh);
    t.hub.detach(old); // a reconnecting client: the old socket closes as the new one attaches
    await attached;
    await t.event('A', 1);
    await t.flush();
    assert.deepEqual(fresh.seqs(), [1]);
    assert.ok(t.broker.active.has('c:A') && t.broker.active.has('u:alice'));
    await t.close();
  });

  it('tells a user they were added only once a conversation subscription still in flight completes', async () => {
    const t = await node({ members: { bob: {}, carol: { conversations: ['A'] } } });
    const bob = await t.session('bob');
    t.broker.holdSubscribes();
    const carol = new FakeSession(t.hub, 'carol');
    const carolAttached = t.hub.attach(carol);
    await until(() => t.loads.includes('carol'), 'carol\'s membership read');
    await t.flush();
    assert.ok(t.hub.stats().topics === 2 && !t.broker.active.has('c:A'), 'carol joined topic A; its subscription is in flight');
    await t.userEvent('bob', 1, '{"t":"user_event","added":"A"}', { c: 'A', s: 1, on: true });
    await t.flush();
    assert.equal(bob.frames.length, 0, 'the node does not hear A yet');
    t.broker.releaseSubscribes();
    await carolAttached;
    await until(() => bob.frames.length === 1, 'the added event');
    assert.ok(t.broker.active.has('c:A'));
    await t.event('A', 2);
    await t.flush();
    assert.deepEqual(carol.seqs(), [2]);
    assert.deepEqual(bob.seqs().slice(1), [2]);
    await t.close();
  });

  it('closes on a control message every session of the user, or only the named one', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] }, bob: { conversations: ['A'] } } });
    const a1 = await t.session('alice', 's1');
    const a2 = await t.session('alice', 's2');
    const bob = await t.session('bob', 's1');
    await t.control('alice', 's1', 4201, 'session revoked');
    await until(() => a1.closedWith !== null, 'the first close');
    await t.flush();
    assert.deepEqual(a1.closedWith, { code: 4201, reason: 'session revoked' });
    assert.equal(a2.closedWith, null);
    assert.equal(bob.closedWith, null, 'same session id, other user');
    await t.control('alice', null, 4202, 'account suspended');
    await until(() => a2.closedWith !== null, 'the second close');
    assert.deepEqual(a2.closedWith, { code: 4202, reason: 'account suspended' });
    assert.equal(bob.closedWith, null);
    await t.event('A', 1);
    await t.flush();
    assert.deepEqual(bob.seqs(), [1]);
    assert.deepEqual(a2.seqs(), []);
    assert.equal(t.hub.stats().users, 2, 'alice is gone from the node (bob and the observer remain)');
    await t.close();
  });

  it('drops malformed broker messages and keeps delivering', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] } } });
    const alice = await t.session('alice');
    for (const message of ['no newline at all', 'not json\n{}', 'null\n{}', '[]\n{}', '{"k":"c"}\n{}', '{"k":"c","s":"1"}\n{}', '{"k":"c","s":1,"sub":"alice"}\n{}', '{"k":"u","s":1}\n{}', '{"k":"z","s":1}\n{}']) {
      await t.raw('c:A', message);
    }
    for (const message of ['{"k":"x"}\n', '{"k":"x","close":{"code":4202}}\n', '{"k":"u","s":2,"m":{"c":"A"}}\n{}', '{"k":"c","s":1}\n{}']) {
      await t.raw('u:alice', message);
    }
    await t.event('A', 1);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1]);
    assert.equal(alice.closedWith, null);
    await t.close();
  });

  it('keeps delivering to the other sessions when one session throws', async () => {
    const t = await node({ members: { alice: { conversations: ['A'] }, bob: { conversations: ['A'] } } });
    const broken = await t.session('alice');
    broken.deliver = () => {
      throw new Error('socket exploded');
    };
    const bob = await t.session('bob');
    await t.event('A', 1);
    await t.event('A', 2);
    await t.flush();
    assert.deepEqual(bob.seqs(), [1, 2]);
    await t.close();
  });

  it('reads membership again after a broker gap: a member removed meanwhile stops hearing the conversation, one added starts', async () => {
    const t = await node({ reorderHoldMs: 60_000, members: { alice: { userSeq: 3, conversations: ['A', 'B'] } } });
    const alice = await t.session('alice');
    await t.event('B', 1);
    await t.event('B', 3);
    await t.flush();
    assert.deepEqual(alice.seqs(), [1]);
    // During the outage alice left A and was added to C; the hints were lost.
    t.store.set('alice', { userSeq: 5, conversations: ['B', 'C'] });
    const open = t.gate('alice');
    t.broker.triggerGap();
    assert.deepEqual(alice.seqs(), [1, 3], 'events held for a predecessor lost in the outage are delivered');
    await until(() => t.loads.filter((id) => id === 'alice').length === 2, 'the membership read');
    // Arriving while membership is read again: a late one the store already reflects, whose
    // hint (an old add to A) must not undo the removal, and a new one (added to D).
    await t.userEvent('alice', 4, '{"t":"user_event","n":4}', { c: 'A', s: 30, on: true });
    await t.userEvent('alice', 6, '{"t":"user_event","n":6}', { c: 'D', s: 2, on: true });
    await t.flush();
    let refreshed = false;
    void t.hub.membershipRefreshed().then(() => (refreshed = true));
    await t.flush();
    assert.equal(refreshed, false, 'the refresh waits for the store');
    open();
    await t.hub.membershipRefreshed();
    assert.ok(t.broker.active.has('c:C') && !t.broker.active.has('c:A'), 'subscriptions match the store once the refresh settles');
    await until(() => alice.frames.length === 4, 'both user events');
    assert.deepEqual(alice.texts().slice(2), ['{"t":"user_event","n":4}', '{"t":"user_event","n":6}'], 'both delivered: no ready frame told the sessions a head');
    assert.ok(t.broker.active.has('c:C') && t.broker.active.has('c:D') && !t.broker.active.has('c:A'), 'the subscriptions follow the store, then the new hint');
    await t.event('A', 7);
    await t.event('C', 2);
    await t.event('B', 9);
    await t.event('D', 3);
    await t.flush();
    assert.deepEqual(alice.seqs().slice(4), [2, 9, 3], 'nothing from A; C, D and B flow (B at any seq after the gap)');
    const second = new FakeSession(t.hub, 'alice');
    assert.equal(await t.hub.attach(second), 6, 'the newest user seq the node saw');
    await t.close();
  });

  it('paces members_changed by the conversation\'s size: a larger one waits member count ÷ rate, never past the cap, and a later event still sends it at once', async () => {
    const t = await node({ members: { alice: { conversations: ['S', 'L', 'H', 'N'] } }, membersNotices: { minMs: 20, perSecond: 10, maxMs: 600 } });
    const alice = await t.session('alice');
    const arrivals = new Map<string, number>();
    alice.onDeliver = (frame) => {
      const parsed = JSON.parse(frame.toString('utf8'));
      if (parsed.t === 'members_changed') arrivals.set(parsed.conversationId, Date.now());
    };
    const published = Date.now();
    // 100,000 members: 10,000 s wanted, capped at 600 ms; 4: 400 ms; 1: 100 ms; 8 (800 ms), but a message follows.
    // Published largest first: with one interval for all they would arrive in this order, paced in the reverse.
    await t.event('H', 1, { q: 100_000 });
    await t.event('L', 1, { q: 4 });
    await t.event('S', 1, { q: 1 });
    await t.event('N', 1, { q: 8 });
    await t.event('N', 2);
    await t.flush();
    const notices = alice.texts().map((text) => JSON.parse(text)).filter((frame) => frame.t === 'members_changed');
    assert.deepEqual(notices, [{ t: 'members_changed', conversationId: 'N', fromSeq: 1, toSeq: 1, memberCount: 8 }], 'the next event of N sent its notice ahead of itself, without waiting');
    assert.deepEqual(alice.seqs().filter((seq) => seq !== undefined), [2], 'the membership changes themselves were not pushed; the message was');
    await until(() => arrivals.size === 4, 'every notice', 10_000);
    assert.deepEqual([...arrivals.keys()], ['N', 'S', 'L', 'H'], 'the smaller the conversation, the sooner its notice');
    // Lower bounds only: a busy machine may run a timer late, never early (1 ms for the clock's rounding).
    for (const [id, wait] of [['S', 100], ['L', 400], ['H', 600]] as const) {
      assert.ok(arrivals.get(id)! - published >= wait - 1, `${id}'s notice waited ${arrivals.get(id)! - published} ms, at least ${wait}`);
    }
    await t.close();
  });

  it('writes a notice to a large topic over several turns, and finishes it at once before the topic\'s next event', async () => {
    const users = Array.from({ length: 1_200 }, (_, i) => `m${i}`);
    const t = await node({ members: Object.fromEntries(users.map((id) => [id, { conversations: ['B'] }])), membersNotices: { minMs: 10, perSecond: 1_000_000, maxMs: 10 } });
    const sessions = await Promise.all(users.map((id) => t.session(id)));
    const hasNotice = (session: FakeSession) => session.texts().some((text) => text.includes('"members_changed"'));
    let toldInFirstTurn = -1;
    sessions[0]!.onDeliver = (frame) => {
      if (toldInFirstTurn >= 0 || !frame.toString('utf8').includes('"members_changed"')) return;
      // Counted once the first turn's writes are done; the next event is published right behind, mid-notice.
      queueMicrotask(() => (toldInFirstTurn = sessions.filter(hasNotice).length));
      void t.event('B', 2);
    };
    await t.event('B', 1, { q: users.length });
    await until(() => sessions.every((session) => session.seqs().includes(2)), 'the message after the notice');
    assert.ok(toldInFirstTurn > 0 && toldInFirstTurn < users.length, `not everyone in one turn (${toldInFirstTurn} of ${users.length})`);
    for (const session of sessions) {
      const texts = session.texts();
      assert.equal(texts.length, 2, 'the notice and the message, once each');
      assert.match(texts[0]!, /"members_changed"/, 'the notice first');
    }
    await t.close();
  });
});

describe('membersNoticeDelay', () => {
  it('is member count ÷ rate, at least the floor and at most the cap; the floor wins when the two disagree', () => {
    const defaults = { minMs: 1000, perSecond: 1000, maxMs: 60_000 };
    assert.equal(membersNoticeDelay(500, defaults), 1000, 'below the rate: the floor');
    assert.equal(membersNoticeDelay(10_000, defaults), 10_000, '10,000 members at 1,000 frames/s: 10 s');
    assert.equal(membersNoticeDelay(25_001, defaults), 25_001);
    assert.equal(membersNoticeDelay(1_000_000, defaults), 60_000, 'capped');
    assert.equal(membersNoticeDelay(10_000, { minMs: 5000, perSecond: 1000, maxMs: 2000 }), 5000, 'a floor above the cap wins');
    assert.equal(membersNoticeDelay(3, { minMs: 10, perSecond: 1, maxMs: 600_000 }), 3000);
  });
});

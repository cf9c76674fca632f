import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversationChannel, encodeEnvelope, presenceChannel, userChannel } from '../src/gateway/envelope.ts';
import { Hub, type HubSession } from '../src/gateway/hub.ts';
import { MemoryBus } from '../src/platform/broker/index.ts';
import { createLogger } from '../src/platform/logger.ts';

const logger = createLogger({ level: 'silent', nodeId: 'hub-ephemeral-test' });
const flush = () => new Promise((resolve) => setTimeout(resolve, 5));

class FakeSession implements HubSession {
  readonly frames: string[] = [];
  readonly watched: Array<{ userId: string; recheck: boolean; frame: string }> = [];
  readonly userId: string;
  readonly sessionId: string;
  constructor(userId: string, sessionId: string) {
    this.userId = userId;
    this.sessionId = sessionId;
  }
  deliver(frame: Buffer): void {
    this.frames.push(frame.toString());
  }
  close(): void {}
  onWatched(userId: string, header: { r?: 1 }, frame: Buffer): void {
    this.watched.push({ userId, recheck: header.r === 1, frame: frame.toString() });
  }
}

/** A hub on one bus node and a publisher on another, like two servers; every user is in conversation c1. */
function setup() {
  const bus = new MemoryBus();
  const hubBroker = bus.connect();
  const publisher = bus.connect();
  const hub = new Hub({ broker: hubBroker, loadMembership: async () => ({ userSeq: 0, conversations: [{ id: 'c1' }] }), logger, reorderHoldMs: 50 });
  return { hub, publish: (channel: string, header: object, frame = '') => publisher.publish(channel, encodeEnvelope(header as never, frame)) };
}

describe('the hub with ephemeral frames', () => {
  it('delivers an ephemeral conversation frame to every local member session except the sender\'s, outside seq order', async () => {
    const { hub, publish } = setup();
    const [a1, a2, b1] = [new FakeSession('a', 'a1'), new FakeSession('a', 'a2'), new FakeSession('b', 'b1')];
    for (const session of [a1, a2, b1]) await hub.attach(session);
    await publish(conversationChannel('c1'), { k: 'e', x: 'b' }, '{"t":"typing"}');
    await publish(conversationChannel('c2'), { k: 'e' }, '{"t":"typing","other":true}');
    await flush();
    assert.deepEqual([a1.frames, a2.frames, b1.frames], [['{"t":"typing"}'], ['{"t":"typing"}'], []]);
    // A seq'd event after it is unaffected (it starts the topic's order as usual).
    await publish(conversationChannel('c1'), { k: 'c', s: 7 }, '{"t":"event"}');
    await flush();
    assert.deepEqual(b1.frames, ['{"t":"event"}']);
  });

  it('delivers an ephemeral user frame to every session of that user only', async () => {
    const { hub, publish } = setup();
    const [a1, b1] = [new FakeSession('a', 'a1'), new FakeSession('b', 'b1')];
    await hub.attach(a1);
    await hub.attach(b1);
    await publish(userChannel('a'), { k: 'e' }, '{"t":"presence"}');
    await flush();
    assert.deepEqual([a1.frames, b1.frames], [['{"t":"presence"}'], []]);
  });

  it('hands presence-channel messages to the sessions watching that user until they unwatch or detach, and drops other headers there', async () => {
    const { hub, publish } = setup();
    const [a1, b1] = [new FakeSession('a', 'a1'), new FakeSession('b', 'b1')];
    await hub.attach(a1);
    await hub.attach(b1);
    await hub.watch(a1, ['x']);
    await hub.watch(b1, ['x', 'y']);
    await publish(presenceChannel('x'), { k: 'e' }, '{"t":"presence","x":1}');
    await publish(presenceChannel('x'), { k: 'e', r: 1 });
    await publish(presenceChannel('x'), { k: 'c', s: 1 }, '{"t":"event"}');
    await flush();
    assert.deepEqual(a1.watched, [{ userId: 'x', recheck: false, frame: '{"t":"presence","x":1}' }, { userId: 'x', recheck: true, frame: '' }]);
    assert.equal(b1.watched.length, 2);
    hub.unwatch(a1, ['x']);
    hub.detach(b1);
    await publish(presenceChannel('x'), { k: 'e' }, '{"t":"presence","x":2}');
    await flush();
    assert.equal(a1.watched.length, 2, 'unwatched');
    assert.equal(b1.watched.length, 2, 'detached sessions are unwatched');
  });

  it('gives up waiting for a missing predecessor once too many later events are held', async () => {
    const { hub, publish } = setup();
    const session = new FakeSession('a', 'a1');
    await hub.attach(session);
    await publish(conversationChannel('c1'), { k: 'c', s: 1 }, '1');
    // Seq 2 never comes; 1,000 later ones arrive within the hold time.
    for (let seq = 3; seq < 1_003; seq++) await publish(conversationChannel('c1'), { k: 'c', s: seq }, String(seq));
    await flush();
    assert.equal(session.frames.length, 1_001, 'released at once, in order, without waiting out the hold');
    assert.deepEqual(session.frames.slice(0, 3), ['1', '3', '4']);
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Broker } from './broker.ts';

/** Everything one broker handed to its handler, with a way to wait for more. */
export class Inbox {
  readonly received: Array<{ channel: string; message: string }> = [];
  private readonly waiters = new Set<() => void>();

  constructor(broker: Broker) {
    broker.onMessage((channel, message) => {
      this.received.push({ channel, message });
      for (const wake of [...this.waiters]) wake();
    });
  }

  on(channel: string): string[] {
    return this.received.filter((entry) => entry.channel === channel).map((entry) => entry.message);
  }

  /** Resolves once `done()` holds; fails with `what` and what did arrive after the deadline. */
  until(done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.received.slice(-5))} (${this.received.length} in all)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Waits until `count` messages arrived on a channel. */
  count(channel: string, count: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.on(channel).length >= count, `${count} message(s) on ${channel}`, timeoutMs);
  }
}

/**
 * The contract of `Broker`, run against every implementation. `makeBrokers` returns two
 * fresh brokers that behave like two nodes on one bus or server; the suite closes them.
 * Absence is proven without sleeping: a marker published afterwards by the same broker
 * must arrive first (one publisher's messages are never overtaken).
 */
export function brokerConformance(name: string, makeBrokers: () => Promise<[Broker, Broker]>): void {
  describe(`the ${name} broker (conformance)`, () => {
    let a: Broker;
    let b: Broker;
    let inboxA: Inbox;
    let inboxB: Inbox;
    const run = randomBytes(4).toString('hex');
    let channels = 0;
    /** A channel name no other test (or parallel run on a shared server) uses. */
    const fresh = (label = 'ch') => `${label}:${run}:${++channels}`;

    beforeEach(async () => {
      [a, b] = await makeBrokers();
      inboxA = new Inbox(a);
      inboxB = new Inbox(b);
    });

    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
    });

    /** Publishes a marker on `via`'s own channel (which `to` must have subscribed) and waits for it. */
    async function flush(via: Broker, inbox: Inbox, markerChannel: string): Promise<void> {
      const marker = `marker-${randomBytes(4).toString('hex')}`;
      await via.publish(markerChannel, marker);
      await inbox.until(() => inbox.on(markerChannel).includes(marker), `marker ${marker}`);
    }

    it('delivers a message published on one broker to a subscriber on the other', async () => {
      const channel = fresh();
      await b.subscribe([channel]);
      await a.publish(channel, 'hello');
      await inboxB.count(channel, 1);
      assert.deepEqual(inboxB.received, [{ channel, message: 'hello' }]);
    });

    it('delivers a broker its own messages on channels it subscribed', async () => {
      const channel = fresh();
      await a.subscribe([channel]);
      await a.publish(channel, 'to myself');
      await inboxA.count(channel, 1);
      assert.deepEqual(inboxA.on(channel), ['to myself']);
    });

    it('delivers each message exactly once to every subscribed broker, even when a channel is subscribed twice', async () => {
      const channel = fresh();
      const marker = fresh('marker');
      await a.subscribe([channel, marker]);
      await b.subscribe([channel, marker]);
      await b.subscribe([channel]);
      for (const message of ['one', 'two', 'three']) await a.publish(channel, message);
      await flush(a, inboxA, marker);
      await flush(a, inboxB, marker);
      assert.deepEqual(inboxA.on(channel), ['one', 'two', 'three']);
      assert.deepEqual(inboxB.on(channel), ['one', 'two', 'three']);
    });

    it('delivers nothing on channels that were not subscribed, including ones that share a prefix', async () => {
      const channel = fresh('room');
      const marker = fresh('marker');
      await b.subscribe([channel, marker]);
      await a.publish(`${channel}0`, 'longer name');
      await a.publish(`${channel}:x`, 'nested name');
      await a.publish(channel.slice(0, -1), 'shorter name');
      await a.publish(fresh('room'), 'another room');
      await a.publish(channel, 'mine');
      await flush(a, inboxB, marker);
      assert.deepEqual(inboxB.received.map((entry) => entry.channel).filter((c) => c !== marker), [channel]);
      assert.deepEqual(inboxB.on(channel), ['mine']);
      assert.deepEqual(inboxA.received, [], 'the publisher subscribed nothing and heard nothing');
    });

    it('stops delivering a channel once unsubscribe resolves, and leaves other channels alone', async () => {
      const channel = fresh();
      const other = fresh();
      const marker = fresh('marker');
      await b.subscribe([channel, other, marker]);
      await a.publish(channel, 'before');
      await inboxB.count(channel, 1);
      await b.unsubscribe([channel]);
      await a.publish(channel, 'after');
      await a.publish(other, 'still here');
      await flush(a, inboxB, marker);
      assert.deepEqual(inboxB.on(channel), ['before']);
      assert.deepEqual(inboxB.on(other), ['still here']);
    });

    it('delivers again after a channel is unsubscribed and subscribed anew', async () => {
      const channel = fresh();
      const marker = fresh('marker');
      await b.subscribe([channel, marker]);
      await b.unsubscribe([channel]);
      await a.publish(channel, 'while away');
      await b.subscribe([channel]);
      await a.publish(channel, 'back');
      await inboxB.count(channel, 1);
      await flush(a, inboxB, marker);
      assert.deepEqual(inboxB.on(channel), ['back']);
    });

    it('treats unsubscribing a channel that was never subscribed, and empty channel lists, as no-ops', async () => {
      const channel = fresh();
      await b.subscribe([]);
      await b.unsubscribe([]);
      await b.unsubscribe([fresh('never')]);
      await b.subscribe([channel]);
      await a.publish(channel, 'works');
      await inboxB.count(channel, 1);
      assert.deepEqual(inboxB.on(channel), ['works']);
    });

    it('keeps publish order per publisher and channel for a burst of 1000 messages', async () => {
      const channel = fresh();
      const second = fresh();
      await b.subscribe([channel, second]);
      const sent = Array.from({ length: 1000 }, (_, i) => `m${i}`);
      // Not awaited one by one: the burst is what a busy node produces.
      await Promise.all(sent.flatMap((message) => [a.publish(channel, message), a.publish(second, `2-${message}`)]));
      await inboxB.count(channel, 1000, 15_000);
      await inboxB.count(second, 1000, 15_000);
      assert.deepEqual(inboxB.on(channel), sent);
      assert.deepEqual(inboxB.on(second), sent.map((message) => `2-${message}`));
    });

    it('keeps each publisher in order when both brokers publish on one channel at once', async () => {
      const channel = fresh();
      await a.subscribe([channel]);
      await b.subscribe([channel]);
      const burst = (who: string) => Array.from({ length: 200 }, (_, i) => `${who}${i}`);
      await Promise.all([...burst('a').map((m) => a.publish(channel, m)), ...burst('b').map((m) => b.publish(channel, m))]);
      for (const inbox of [inboxA, inboxB]) {
        await inbox.count(channel, 400, 10_000);
        const got = inbox.on(channel);
        assert.deepEqual(got.filter((m) => m.startsWith('a')), burst('a'));
        assert.deepEqual(got.filter((m) => m.startsWith('b')), burst('b'));
      }
    });

    it('subscribes and unsubscribes many channels in one call', async () => {
      const many = Array.from({ length: 500 }, () => fresh('many'));
      const marker = fresh('marker');
      await b.subscribe([...many, marker]);
      await Promise.all(many.map((channel, i) => a.publish(channel, `n${i}`)));
      await inboxB.until(() => inboxB.received.length >= many.length, `${many.length} messages`, 10_000);
      assert.deepEqual(new Set(inboxB.received.map((entry) => entry.channel)), new Set(many));
      many.forEach((channel, i) => assert.deepEqual(inboxB.on(channel), [`n${i}`]));
      await b.unsubscribe(many);
      await Promise.all(many.map((channel) => a.publish(channel, 'gone')));
      await flush(a, inboxB, marker);
      assert.equal(inboxB.received.filter((entry) => entry.message === 'gone').length, 0);
    });

    it('resolves subscribe only when messages published right afterwards are delivered', async () => {
      for (let i = 0; i < 25; i++) {
        const channel = fresh('ready');
        await b.subscribe([channel]);
        await a.publish(channel, `right away ${i}`);
      }
      await inboxB.until(() => inboxB.received.length >= 25, '25 messages');
      assert.deepEqual(inboxB.received.map((entry) => entry.message), Array.from({ length: 25 }, (_, i) => `right away ${i}`));
    });

    it('delivers message bodies byte-identical: unicode, newlines, JSON, empty and large', async () => {
      const channel = fresh();
      const bodies = [
        '{"k":"c","s":1}\n{"t":"event","text":"hi"}',
        'line one\nline two\r\nline three\n\n',
        'Grüße — 日本語 — עברית — 👩‍👩‍👧‍👦 — 🏳️‍🌈 — e\u0301',
        '\u0000\u0001\u001f\t "quotes" \\backslash\\ \u2028\u2029',
        '',
        'x'.repeat(256 * 1024) + '✓',
      ];
      await b.subscribe([channel]);
      for (const body of bodies) await a.publish(channel, body);
      await inboxB.count(channel, bodies.length);
      const got = inboxB.on(channel);
      assert.equal(got.length, bodies.length);
      got.forEach((message, i) => assert.ok(Buffer.from(message, 'utf8').equals(Buffer.from(bodies[i]!, 'utf8')), `body ${i} changed in transit`));
    });

    it('delivers on channel names with unicode and separators', async () => {
      const channel = `c:${run}:Grüße 👋:${++channels}`;
      await b.subscribe([channel]);
      await a.publish(channel, 'named');
      await inboxB.count(channel, 1);
      assert.deepEqual(inboxB.received, [{ channel, message: 'named' }]);
    });

    it('closes cleanly: close resolves (twice), the closed broker hears nothing more and refuses to publish, the other keeps working', async () => {
      const channel = fresh();
      const marker = fresh('marker');
      await a.subscribe([channel]);
      await b.subscribe([channel, marker]);
      await b.publish(channel, 'before close');
      await inboxA.count(channel, 1);
      await a.close();
      await a.close();
      await assert.rejects(a.publish(channel, 'from a closed broker'));
      await b.publish(channel, 'after close');
      await flush(b, inboxB, marker);
      assert.deepEqual(inboxB.on(channel), ['before close', 'after close']);
      assert.deepEqual(inboxA.on(channel), ['before close']);
    });
  });
}

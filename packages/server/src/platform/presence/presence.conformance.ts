import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { PresenceStore } from './presence-store.ts';

/**
 * Polls until `done()` holds. Expiry is waited for this way, never with a fixed sleep: a
 * loaded machine may take any time to get there, and only "not before the TTL" is a
 * contract (checked against the clock where it matters).
 */
async function until(done: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The contract of `PresenceStore`, run against every implementation. `makeStores`
 * returns two stores that behave like two nodes sharing one backend, both with the given
 * TTL; the suite closes them.
 *
 * Independent of the machine's speed: the stores most tests use have a TTL far longer
 * than any test takes, so nothing expires unless a test makes it (`refresh` with a short
 * life, as a draining node does); the one test of expiry by the TTL itself uses a short
 * TTL and asserts only what holds however slowly it runs.
 */
export function presenceConformance(name: string, makeStores: (ttlMs: number) => Promise<[PresenceStore, PresenceStore]>): void {
  describe(`the ${name} presence store (conformance)`, () => {
    const TTL = 120_000;
    /** The TTL of the expiry test: short, so it waits little; nothing asserted there depends on it being long enough. */
    const SHORT_TTL = 300;
    let a: PresenceStore;
    let b: PresenceStore;
    const run = randomBytes(4).toString('hex');
    let users = 0;
    const fresh = () => `user-${run}-${++users}`;
    const conn = (userId: string, id: string) => ({ userId, connectionId: `${run}/${id}` });
    const online = async (store: PresenceStore, userId: string) => (await store.get([userId])).get(userId)!.online;

    beforeEach(async () => {
      [a, b] = await makeStores(TTL);
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
    });

    it('reports a user online on every node once one node adds a connection, and unknown users offline with no last seen', async () => {
      const user = fresh();
      const stranger = fresh();
      assert.equal(await a.add(conn(user, 'a1')), true, 'the first connection brings the user online');
      const seen = await b.get([user, stranger]);
      assert.deepEqual(seen.get(user), { online: true, lastSeenAt: null });
      assert.deepEqual(seen.get(stranger), { online: false, lastSeenAt: null });
    });

    it('keeps a user online until their last connection on any node is removed, then reports when they were last seen', async () => {
      const user = fresh();
      assert.equal(await a.add(conn(user, 'a1')), true);
      assert.equal(await b.add(conn(user, 'b1')), false, 'a second connection is no change');
      assert.equal(await a.remove(conn(user, 'a1')), null, 'still connected on b');
      assert.equal((await a.get([user])).get(user)!.online, true);
      const before = Date.now();
      const lastSeen = await b.remove(conn(user, 'b1'));
      assert.ok(lastSeen !== null && Math.abs(lastSeen - before) < 5_000, `last seen ${lastSeen} is about now`);
      assert.deepEqual((await a.get([user])).get(user), { online: false, lastSeenAt: lastSeen });
    });

    it('treats removing a connection it does not know, or removing one twice, as no change', async () => {
      const user = fresh();
      assert.equal(await a.remove(conn(user, 'never')), null);
      await a.add(conn(user, 'a1'));
      assert.notEqual(await a.remove(conn(user, 'a1')), null);
      assert.equal(await a.remove(conn(user, 'a1')), null, 'the second goodbye reports nothing');
    });

    it('reports nothing due to the sweep while connections are within their TTL', async () => {
      const user = fresh();
      await a.add(conn(user, 'a1'));
      assert.deepEqual((await b.sweep(100)).filter((g) => g.userId === user), []);
      assert.equal(await online(b, user), true);
    });

    it('expires the connections of a node that stops refreshing, not before the TTL, and reports each such user to exactly one sweeper, once', async () => {
      const [x, y] = await makeStores(SHORT_TTL);
      try {
        const user = fresh();
        const other = fresh();
        const addedAt = Date.now();
        await x.add(conn(user, 'x1'));
        await x.add(conn(other, 'x2'));
        // Node x dies: it neither refreshes nor removes.
        await until(async () => !(await online(y, user)), 'the user to go offline');
        assert.ok(Date.now() - addedAt >= SHORT_TTL, `offline after ${Date.now() - addedAt} ms, before the TTL of ${SHORT_TTL} ms`);
        await until(async () => !(await online(y, other)), 'the other user to go offline');
        const [fromX, fromY] = await Promise.all([x.sweep(100), y.sweep(100)]);
        const reported = [...fromX, ...fromY].filter((g) => g.userId === user || g.userId === other);
        assert.deepEqual(reported.map((g) => g.userId).sort(), [user, other].sort(), 'each user reported exactly once');
        for (const g of reported) assert.ok(g.lastSeenAt >= addedAt - 1_000 && g.lastSeenAt <= Date.now(), `last seen ${g.lastSeenAt} is when the connection was added (${addedAt})`);
        assert.deepEqual((await y.sweep(100)).filter((g) => g.userId === user), [], 'not reported again');
        assert.equal((await y.get([user])).get(user)!.lastSeenAt, reported.find((g) => g.userId === user)!.lastSeenAt);
      } finally {
        await Promise.all([x.close(), y.close()]);
      }
    });

    it('keeps a user online while any of their connections lives, and sweeps them only once all of their connections expired', async () => {
      const user = fresh();
      const marker = fresh();
      await a.add(conn(user, 'a1'));
      await b.add(conn(user, 'b1'));
      // Node b stalls: its last heartbeat gave b1 a moment to live; a1 is refreshed as usual.
      await b.refresh([conn(user, 'b1')], 1);
      await b.add(conn(marker, 'm1'));
      await b.refresh([conn(marker, 'm1')], 1);
      // The marker's deadline came after b1's: once it is offline, b1 has expired too.
      await until(async () => !(await online(b, marker)), 'the marker to expire');
      assert.deepEqual(await a.refresh([conn(user, 'a1')]), [], 'refreshing a live connection brings nobody back');
      assert.equal(await online(b, user), true, 'a1 still lives');
      assert.deepEqual((await b.sweep(100)).filter((g) => g.userId === user), [], 'not swept while a1 lives');
      await a.refresh([conn(user, 'a1')], 1);
      await until(async () => !(await online(b, user)), 'the user to go offline once a1 expired');
      await until(async () => (await b.sweep(100)).some((g) => g.userId === user), 'the user to be swept');
      assert.deepEqual((await a.sweep(100)).filter((g) => g.userId === user), [], 'swept once');
    });

    it('lets a draining node shorten the life of its connections, and reports users brought back by a late refresh', async () => {
      const user = fresh();
      await a.add(conn(user, 'a1'));
      await a.refresh([conn(user, 'a1')], 50);
      await until(async () => !(await online(b, user)), 'the user to go offline after the short grace, long before the TTL');
      assert.equal((await b.sweep(100)).filter((g) => g.userId === user).length, 1);
      assert.deepEqual(await a.refresh([conn(user, 'a1')]), [user], 'a stalled node that refreshes again brings its user back online');
      assert.equal(await online(b, user), true);
    });

    it('answers for many users in one call', async () => {
      const many = Array.from({ length: 150 }, () => fresh());
      for (const user of many.slice(0, 75)) await a.add(conn(user, 'x'));
      const seen = await b.get(many);
      assert.equal(seen.size, 150);
      assert.equal([...seen.values()].filter((s) => s.online).length, 75);
    });
  });
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { PresenceStore } from './presence-store.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The contract of `PresenceStore`, run against every implementation. `makeStores`
 * returns two stores that behave like two nodes sharing one backend, both with the given
 * TTL; the suite closes them.
 */
export function presenceConformance(name: string, makeStores: (ttlMs: number) => Promise<[PresenceStore, PresenceStore]>): void {
  describe(`the ${name} presence store (conformance)`, () => {
    const TTL = 400;
    let a: PresenceStore;
    let b: PresenceStore;
    const run = randomBytes(4).toString('hex');
    let users = 0;
    const fresh = () => `user-${run}-${++users}`;
    const conn = (userId: string, id: string) => ({ userId, connectionId: `${run}/${id}` });

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

    it('expires the connections of a node that stops refreshing, and reports each such user to exactly one sweeper, once', async () => {
      const user = fresh();
      const other = fresh();
      await a.add(conn(user, 'a1'));
      await a.add(conn(other, 'a2'));
      assert.deepEqual(await b.sweep(100).then((gone) => gone.filter((g) => g.userId === user || g.userId === other)), [], 'nothing is due before the TTL');
      // Node a dies: it neither refreshes nor removes.
      await sleep(TTL + 100);
      assert.equal((await b.get([user])).get(user)!.online, false, 'offline once the TTL passed, before any sweep');
      const [fromA, fromB] = await Promise.all([a.sweep(100), b.sweep(100)]);
      const reported = [...fromA, ...fromB].filter((g) => g.userId === user || g.userId === other);
      assert.deepEqual(reported.map((g) => g.userId).sort(), [user, other].sort(), 'each user reported exactly once');
      for (const g of reported) assert.ok(g.lastSeenAt <= Date.now() && g.lastSeenAt > Date.now() - 10_000);
      assert.deepEqual((await b.sweep(100)).filter((g) => g.userId === user), [], 'not reported again');
      assert.equal((await b.get([user])).get(user)!.lastSeenAt, reported.find((g) => g.userId === user)!.lastSeenAt);
    });

    it('keeps refreshed connections alive past the TTL, and sweeps a user only when all of their connections expired', async () => {
      const user = fresh();
      await a.add(conn(user, 'a1'));
      await b.add(conn(user, 'b1'));
      for (let i = 0; i < 4; i++) {
        await sleep(TTL / 2);
        assert.deepEqual(await a.refresh([conn(user, 'a1')]), [], 'refreshing a live connection brings nobody back');
      }
      // b1 expired long ago, a1 is alive: the user stays online and is not swept.
      assert.equal((await b.get([user])).get(user)!.online, true);
      assert.deepEqual((await b.sweep(100)).filter((g) => g.userId === user), []);
      await sleep(TTL + 100);
      assert.deepEqual((await b.sweep(100)).filter((g) => g.userId === user).length, 1);
    });

    it('lets a draining node shorten the life of its connections, and reports users brought back by a late refresh', async () => {
      const user = fresh();
      await a.add(conn(user, 'a1'));
      await a.refresh([conn(user, 'a1')], 50);
      await sleep(120);
      assert.equal((await b.get([user])).get(user)!.online, false, 'expired after the short grace, not the TTL');
      assert.equal((await b.sweep(100)).filter((g) => g.userId === user).length, 1);
      assert.deepEqual(await a.refresh([conn(user, 'a1')]), [user], 'a stalled node that refreshes again brings its user back online');
      assert.equal((await b.get([user])).get(user)!.online, true);
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

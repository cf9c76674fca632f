import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backends } from '../../packages/server/test/support/backends.ts';
import { createUser, expectOk, http, startApp, type TestApp, type TestUser } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, random, waitUntil } from './harness.ts';

const STEPS = Number(process.env.RECEIPTS_STEPS ?? 120);

for (const backend of backends) {
  describe(`receipts and unread counts converge (${backend.name})`, () => {
    let t: TestApp;
    const devices: Device[] = [];
    before(async () => {
      t = await startApp(backend);
    });
    after(async () => {
      for (const device of devices) device.client.stop();
      await t.close();
    });

    it('two devices of each of two users agree with the server on unread counts and receipts after random sends, reads and disconnects', async (ctx) => {
      const seed = Number(process.env.RECEIPTS_SEED ?? Date.now() % 1_000_000);
      ctx.diagnostic(`seed ${seed}`);
      const rnd = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      for (const [user, name] of [[alice, 'alice-phone'], [alice, 'alice-laptop'], [bob, 'bob-phone'], [bob, 'bob-laptop']] as const) devices.push(await openDevice(t.url, user, name));
      const userOf = (device: Device): TestUser => (device.user.user.id === alice.user.id ? alice : bob);
      const pair = await devices[0]!.client.createDirect(bob.user.id);
      const room = await devices[0]!.client.createGroup('receipts walk', [bob.user.id]);
      const conversations = [pair.id, room.id];
      await waitUntil(() => devices.every((d) => conversations.every((id) => d.client.store.has(id))), 10_000, 'every device to follow both conversations');

      const inFlight: Array<Promise<unknown>> = [];
      const quietly = (work: Promise<unknown>) => inFlight.push(work.catch(() => {}));
      for (let step = 0; step < STEPS; step++) {
        const device = pick(devices);
        const id = pick(conversations);
        const roll = rnd();
        if (roll < 0.45) {
          quietly(device.client.sendMessage(id, `${device.name} says ${step}`));
        } else if (roll < 0.7) {
          const last = device.client.store.get(id)?.summary.lastSeq ?? 0;
          quietly(device.client.markRead(id, Math.floor(rnd() * (last + 1))));
        } else if (roll < 0.85) {
          quietly(device.client.markRead(id));
        } else {
          device.cut();
        }
        if (step % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(inFlight);
      await waitUntil(() => devices.every((d) => d.client.status === 'live'), 15_000, 'every device live again');
      for (const device of devices) device.client.flushDelivered();

      /** What a freshly opened app would show this user. */
      const fresh = async (user: TestUser) => {
        const summaries = await Promise.all(conversations.map(async (id) => expectOk(await http(t.url, 'GET', `/v1/conversations/${id}`, { token: user.token })).conversation));
        const { totalUnread } = expectOk(await http(t.url, 'GET', '/v1/conversations', { token: user.token }));
        return { summaries, totalUnread };
      };
      const mismatch = async (): Promise<string | null> => {
        for (const device of devices) {
          const user = userOf(device);
          const server = await fresh(user);
          for (const summary of server.summaries) {
            const mine = device.client.store.get(summary.id)!.summary;
            if (mine.lastSeq !== summary.lastSeq || mine.readSeq !== summary.readSeq || mine.unreadCount !== summary.unreadCount) {
              return `${device.name} ${summary.id}: shows lastSeq ${mine.lastSeq} read ${mine.readSeq} unread ${mine.unreadCount}, server ${summary.lastSeq} / ${summary.readSeq} / ${summary.unreadCount}`;
            }
          }
          if (device.client.store.totalUnread() !== server.totalUnread) return `${device.name}: total unread ${device.client.store.totalUnread()} vs ${server.totalUnread}`;
          const peerId = user === alice ? bob.user.id : alice.user.id;
          const serverPointers = server.summaries.find((s) => s.id === pair.id)!.peerReceipts;
          const shown = device.client.receiptsOf(pair.id).get(peerId);
          if (!shown || shown.deliveredSeq !== serverPointers.deliveredSeq || shown.readSeq !== serverPointers.readSeq) {
            return `${device.name}: peer receipts ${JSON.stringify(shown)} vs server ${JSON.stringify(serverPointers)}`;
          }
        }
        return null;
      };
      let last: string | null = 'not checked';
      await waitUntil(async () => (last = await mismatch()) === null, 20_000, 'devices to converge').catch((error) => {
        throw new Error(`${error.message}: ${last} (seed ${seed})`);
      });
      // Both devices of a user agree on what their own messages reached.
      for (const [phone, laptop] of [[devices[0]!, devices[1]!], [devices[2]!, devices[3]!]]) {
        const mine = phone.client.store.get(pair.id)!.messages ?? (await phone.client.loadMessages(pair.id, 200));
        for (const message of mine.filter((m) => m.senderId === phone.user.user.id)) {
          assert.equal(phone.client.messageStatus(pair.id, message), laptop.client.messageStatus(pair.id, message), `${phone.name} and ${laptop.name} on seq ${message.seq}`);
        }
      }
      // Every message one user sent in the direct conversation reaches the other's devices (they are online and acknowledge it).
      // Waited for: an event that reached Bob after the flush above is reported with the next batch of delivery reports (up to a second later).
      const lastFromAlice = (await http(t.url, 'GET', `/v1/conversations/${pair.id}/messages?limit=200`, { token: alice.token })).body.messages.filter((m: any) => m.senderId === alice.user.id).at(-1);
      const deliveredToBob = async () => (await fresh(alice)).summaries.find((s) => s.id === pair.id)!.peerReceipts.deliveredSeq;
      if (lastFromAlice) await waitUntil(async () => (await deliveredToBob()) >= lastFromAlice.seq, 10_000, 'Bob\'s devices to acknowledge delivery of Alice\'s last message');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Member, Message } from '@parley/sdk';
import { backends } from '../../packages/server/test/support/backends.ts';
import { createUser, expectOk, http, startApp, type TestApp } from '../../packages/server/test/support/test-app.ts';
import { conversationShape as shape, type Device, fetchConversationShape, openDevice, random, waitUntil } from './harness.ts';

const STEPS = Number(process.env.CONVERGENCE_STEPS ?? 250);

for (const backend of backends) {
  describe(`sync converges (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('three devices of two users end with exactly the state a fresh fetch shows, after random actions and disconnects', async () => {
      const seed = Number(process.env.CONVERGENCE_SEED ?? Date.now() % 1_000_000);
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const devices: Device[] = [await openDevice(t.url, alice, 'alice-phone'), await openDevice(t.url, alice, 'alice-laptop'), await openDevice(t.url, bob, 'bob-phone')];
      try {
        await randomWalk(devices, seed);
      } finally {
        for (const device of devices) device.client.stop();
      }
    });

    async function randomWalk(devices: Device[], seed: number): Promise<void> {
      const rnd = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
      const [alicePhone] = devices as [Device];
      const alice = devices[0]!.user;
      const bob = devices[2]!.user;
      const carol = await createUser(t.url);

      const direct = await alicePhone.client.createDirect(bob.user.id);
      const group = await alicePhone.client.createGroup('random walk', [bob.user.id]);
      const conversations = [direct.id, group.id];
      await waitUntil(() => devices.every((d) => conversations.every((id) => d.client.store.has(id))), 10_000, 'every device to follow both conversations');
      for (const device of devices) {
        for (const id of conversations) {
          await device.client.loadMessages(id, 200);
          await device.client.loadMembers(id);
        }
      }

      const inFlight: Array<Promise<unknown>> = [];
      const sent: Message[] = [];
      const mine = (device: Device, id: string) => sent.filter((m) => m.conversationId === id && m.senderId === device.user.user.id);
      const quietly = (promise: Promise<unknown>) => inFlight.push(promise.catch((error: Error & { code?: string }) => {
        // Refusals that random actions can provoke are fine (e.g. editing a message deleted meanwhile, bob removed).
        if (!['not_found', 'forbidden'].includes(error.code ?? '')) throw error;
      }));

      for (let step = 0; step < STEPS; step++) {
        const device = pick(devices);
        const client = device.client;
        const followed = conversations.filter((id) => client.store.has(id));
        const id = followed.length ? pick(followed) : direct.id;
        const roll = rnd();
        if (roll < 0.45) {
          quietly(client.sendMessage(id, `${device.name} says ${step}`).then((m) => sent.push(m)));
        } else if (roll < 0.55 && mine(device, id).length) {
          quietly(client.editMessage(id, pick(mine(device, id)).id, `${device.name} edited at ${step}`));
        } else if (roll < 0.62 && mine(device, id).length) {
          quietly(client.deleteMessage(id, pick(mine(device, id)).id));
        } else if (roll < 0.72) {
          quietly(client.markRead(id, Math.floor(rnd() * ((client.store.get(id)?.summary.lastSeq ?? 0) + 1))));
        } else if (roll < 0.8 && device.user.user.id === alice.user.id) {
          // Membership churn in the group: carol in and out, and bob (a device owner) too.
          const target = rnd() < 0.7 ? carol.user.id : bob.user.id;
          const members = expectOk(await http(t.url, 'GET', `/v1/conversations/${group.id}/members?limit=500`, { token: alice.token })).members.map((m: Member) => m.userId);
          quietly(members.includes(target) ? client.http.removeMember(group.id, target) : client.http.addMembers(group.id, { userIds: [target] }));
        } else if (roll < 0.9) {
          device.cut();
        } else {
          await new Promise((resolve) => setTimeout(resolve, rnd() * 30));
        }
        if (step % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await Promise.all(inFlight);
      // Bob must end in the group so his device can be compared there too.
      const finalMembers = expectOk(await http(t.url, 'GET', `/v1/conversations/${group.id}/members?limit=500`, { token: alice.token })).members.map((m: Member) => m.userId);
      if (!finalMembers.includes(bob.user.id)) expectOk(await http(t.url, 'POST', `/v1/conversations/${group.id}/members`, { token: alice.token, body: { userIds: [bob.user.id] } }));

      for (const device of devices) {
        await waitUntil(async () => {
          if (device.client.status !== 'live') return false;
          const heads = expectOk(await http(t.url, 'GET', '/v1/me/heads', { token: device.user.token }));
          return heads.conversations.every((h: { id: string; lastSeq: number }) => device.client.store.get(h.id)?.summary.lastSeq === h.lastSeq);
        }, 20_000, `${device.name} to catch up (seed ${seed})`);
        for (const id of conversations) {
          const state = device.client.store.get(id)!;
          // A device re-added to the group starts from a summary; load what it shows, like an app opening the chat.
          if (!state.messages) await device.client.loadMessages(id, 200);
          if (!state.members) await device.client.loadMembers(id);
        }
      }
      // Let summary refreshes triggered by read pointers land.
      await new Promise((resolve) => setTimeout(resolve, 300));

      for (const device of devices) {
        for (const id of conversations) {
          const state = device.client.store.get(id)!;
          const local = shape(state.summary, state.messages ?? [], [...(state.members?.values() ?? [])]);
          const fresh = await fetchConversationShape(t.url, device.user.token, id);
          assert.deepEqual(local, fresh, `${device.name} differs from a fresh fetch of ${id === direct.id ? 'the direct chat' : 'the group'} (seed ${seed})`);
          assert.equal(state.pending.length, 0, `${device.name} still has pending sends`);
        }
        // No gaps and no duplicates: within one epoch of following a conversation, seqs go up by exactly one.
        const byEpoch = new Map<string, number[]>();
        for (const { conversationId, seq, epoch } of device.emitted) {
          const key = `${conversationId}#${epoch}`;
          byEpoch.set(key, [...(byEpoch.get(key) ?? []), seq]);
        }
        for (const [key, seqs] of byEpoch) {
          for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `${device.name} ${key}: seq ${seqs[i]} after ${seqs[i - 1]} (seed ${seed})`);
        }
      }
      assert.ok(sent.length > STEPS * 0.2, `enough messages were sent (${sent.length})`);
    }
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallSignalFrame, IncomingCall } from '@parley/sdk';
import { sqliteBackend } from '../../packages/server/test/support/backends.ts';
import { createUser, startApp, type TestApp } from '../../packages/server/test/support/test-app.ts';
import { type Device, openDevice, waitUntil } from './harness.ts';

describe('calls through the SDK', () => {
  let t: TestApp;
  const devices: Device[] = [];
  before(async () => {
    t = await startApp(sqliteBackend, { env: { CALL_RING_TIMEOUT_MS: '60000' } });
  });
  after(async () => {
    for (const device of devices) device.client.stop();
    await t.close();
  });

  it('rings every device, stops the others when one answers, relays signaling to the answering device, and rings again after a reconnect', async () => {
    const alice = await createUser(t.url);
    const bob = await createUser(t.url);
    const caller = await openDevice(t.url, alice, 'alice');
    const [laptop, phone] = [await openDevice(t.url, bob, 'bob laptop'), await openDevice(t.url, bob, 'bob phone')];
    devices.push(caller, laptop, phone);
    const pair = await caller.client.createDirect(bob.user.id);
    const rings = new Map<Device, IncomingCall[]>([[laptop, []], [phone, []]]);
    const stops = new Map<Device, string[]>([[laptop, []], [phone, []]]);
    for (const device of [laptop, phone]) {
      device.client.on('callRing', (incoming) => rings.get(device)!.push(incoming));
      device.client.on('callRingStop', (stop) => stops.get(device)!.push(stop.reason));
    }
    const history: string[] = [];
    phone.client.on('event', (event) => event.conversationId === pair.id && event.type.startsWith('call.') && history.push(event.type));
    const signals: CallSignalFrame[] = [];
    laptop.client.on('callSignal', (frame) => signals.push(frame));
    phone.client.on('callSignal', (frame) => signals.push(frame));

    await waitUntil(() => laptop.client.store.has(pair.id) && phone.client.store.has(pair.id), 5_000, 'bob to follow the conversation');
    const started = await caller.client.startCall(pair.id, 'video');
    await waitUntil(() => rings.get(laptop)!.length === 1 && rings.get(phone)!.length === 1, 5_000, 'both devices ringing');
    assert.equal(laptop.client.ringingCalls()[0]!.call.id, started.call.id);

    // The phone drops and comes back while it rings: it rings again from GET /v1/me/calls, once.
    const statuses: string[] = [];
    phone.client.on('status', (status) => statuses.push(status));
    phone.cut();
    await waitUntil(() => statuses.at(-1) === 'live', 5_000, 'the phone back live after the cut');
    assert.equal(phone.client.ringingCalls().length, 1, 'still ringing after the reconnect');

    const answer = await laptop.client.acceptCall(started.call.id);
    assert.equal(answer.media?.type, 'p2p');
    await waitUntil(() => stops.get(phone)!.includes('answered_elsewhere'), 5_000, `the phone to stop ringing ${JSON.stringify([...stops.get(phone)!, ...phone.client.ringingCalls()])}`);
    assert.deepEqual(laptop.client.ringingCalls(), []);
    assert.deepEqual(phone.client.ringingCalls(), []);
    assert.equal(rings.get(phone)!.length, 1, 'a reconnect does not ring twice');

    await caller.client.sendCallSignal(started.call.id, bob.user.id, { type: 'offer', sdp: 'v=0 sdk offer' });
    await waitUntil(() => signals.length === 1, 5_000, 'the offer');
    assert.equal(signals[0]!.from, alice.user.id);
    await laptop.client.sendCallSignal(started.call.id, alice.user.id, { type: 'answer', sdp: 'v=0 sdk answer' });
    await assert.rejects(phone.client.sendCallSignal(started.call.id, alice.user.id, { type: 'answer', sdp: 'v=0' }), (error: any) => error.code === 'not_in_call');

    const ended = await caller.client.endCall(started.call.id);
    assert.equal(ended.state, 'ended');
    // The history arrives like any event.
    await waitUntil(() => history.includes('call.ended'), 5_000, `call events on the phone ${history}`);
    assert.deepEqual(history, ['call.started', 'call.joined', 'call.ended']);
  });
});

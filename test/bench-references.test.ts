import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { ladderComparison } from '../bench/lib/compare.ts';
import type { StepResult } from '../bench/lib/ladder.ts';
import { startSocketIo, type ServerProcess } from '../bench/lib/servers.ts';
import { mintToken } from '../bench/lib/tokens.ts';
import type { SocketIoAck, SocketIoMessage } from '../bench/lib/transports/socketio.ts';
import { freePort } from './e2e/private-services.ts';

/**
 * The bench's Socket.IO reference (issue 21 item 8) must do what the app it stands for
 * would: refuse a bad token at the handshake, refuse a send to a room the socket is not in,
 * and acknowledge and broadcast a good one to the whole room — or its figures compare
 * Parley with a server that does less than it claims.
 */
const within = <T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms).unref())]);

describe('bench Socket.IO reference server', () => {
  let server: ServerProcess;
  const sockets: Socket[] = [];

  const connect = (token: string, conversationId: string): Socket => {
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token, conversationId } });
    sockets.push(socket);
    return socket;
  };
  const connected = (socket: Socket) => within(new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  }), 'connect');
  const send = (socket: Socket, input: unknown) => within(new Promise<SocketIoAck>((resolve) => socket.emit('send', input, resolve)), 'ack');

  before(async () => {
    server = await startSocketIo(await freePort());
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server?.stop();
  });

  it('refuses a token it cannot verify, before the socket is in any room', async () => {
    const forged = `${mintToken('u1').slice(0, -4)}AAAA`;
    const error = await within(new Promise<Error>((resolve) => connect(forged, 'room-a').once('connect_error', resolve)), 'connect_error');
    assert.equal(error.message, 'unauthorized');
    const missing = await within(new Promise<Error>((resolve) => connect(mintToken('u1'), '').once('connect_error', resolve)), 'connect_error');
    assert.equal(missing.message, 'bad handshake');
  });

  it('acknowledges a send with the room\'s next seq and delivers it to every socket of the room, the sender\'s included', async () => {
    const alice = connect(mintToken('u1'), 'room-b');
    const bob = connect(mintToken('u2'), 'room-b');
    const outsider = connect(mintToken('u3'), 'room-c');
    await Promise.all([connected(alice), connected(bob), connected(outsider)]);
    let outsiderGot = 0;
    outsider.on('message', () => outsiderGot++);
    const received = (socket: Socket) => within(new Promise<SocketIoMessage>((resolve) => socket.once('message', resolve)), 'message');
    const [ack, toAlice, toBob] = await Promise.all([send(alice, { conversationId: 'room-b', text: 'hello' }), received(alice), received(bob)]);
    assert.deepEqual(ack, { ok: true, seq: 1 });
    for (const message of [toAlice, toBob]) assert.deepEqual(message, { conversationId: 'room-b', seq: 1, senderId: 'u1', text: 'hello' });
    // A send into the outsider's own room reaches it, so it would have had room-b's by now.
    await Promise.all([send(outsider, { conversationId: 'room-c', text: 'own' }), received(outsider)]);
    assert.equal(outsiderGot, 1);
  });

  it('refuses a send to a room the socket did not join, and bad text, without broadcasting', async () => {
    const mallory = connect(mintToken('u4'), 'room-d');
    const victim = connect(mintToken('u5'), 'room-e');
    await Promise.all([connected(mallory), connected(victim)]);
    let victimGot = 0;
    victim.on('message', () => victimGot++);
    assert.deepEqual(await send(mallory, { conversationId: 'room-e', text: 'spoof' }), { ok: false, error: 'not_a_member' });
    assert.deepEqual(await send(mallory, { conversationId: 'room-d', text: 'x'.repeat(4_001) }), { ok: false, error: 'bad_text' });
    assert.deepEqual(await send(mallory, null), { ok: false, error: 'not_a_member' });
    // The victim's own next send is seq 1 of its room: nothing was counted, nothing pushed.
    const [ack] = await Promise.all([send(victim, { conversationId: 'room-e', text: 'mine' }), within(new Promise((resolve) => victim.once('message', resolve)), 'message')]);
    assert.deepEqual(ack, { ok: true, seq: 1 });
    assert.equal(victimGot, 1);
  });
});

describe('bench same-run comparison', () => {
  const step = (rate: number, perCpuSecond: number, sustainable: boolean): StepResult => ({ rate, sent: rate * 5, acked: rate * 5, deliveriesPerSec: rate * 2, perCpuSecond, p50: 1, p95: 2, p99: 3, max: 4, lost: 0, sustainable });

  it('puts each server\'s highest sustainable step and Parley ÷ it in the summary, and compares CPU at the highest rate all ran', () => {
    const report = ladderComparison(
      { relay: [step(100, 4000, true), step(200, 8000, true)], socketio: [step(100, 2000, true), step(200, 3000, false)], parley: [step(100, 1000, true), step(200, 1500, false)] },
      [100, 200, 400],
      { label: 'persisted msgs/s', of: (s) => s.acked / 5 },
    );
    assert.deepEqual(report.summary!.map((row) => [row.server, row['highest sustainable msgs/s'], row['Parley ÷ it, msgs/s'], row['Parley ÷ it, per CPU-s']]), [
      ['relay (bare ws)', 200, '0.5×', '0.13×'],
      ['Socket.IO 4', 100, '1×', '0.5×'],
      ['Parley', 100, '', ''],
    ]);
    assert.equal(report.rows.length, 2, 'a rate no server ran has no row');
    assert.equal(report.rows[1]!['sustainable (R / S / P)'], 'yes / no / no');
    assert.match(report.notes![0]!, /same offered rate, 200 msgs\/s .*Parley 1500 \(not sustainable\); relay \(bare ws\) 8000, Parley ÷ it 0\.19×; Socket\.IO 4 3000 \(not sustainable\), Parley ÷ it 0\.5×/);
  });
});

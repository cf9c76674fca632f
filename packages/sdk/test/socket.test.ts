import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { reconnectDelay } from '../src/backoff.ts';
import { RealtimeSocket, type WebSocketLike } from '../src/socket.ts';

/** A scripted stand-in for a WebSocket: the test plays the server. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: any[] = [];
  private readonly listeners = new Map<string, Array<(event: any) => void>>();
  addEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  fire(type: string, event: any = {}): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  ready(): void {
    this.fire('message', { data: JSON.stringify({ t: 'ready', userId: 'u', sessionId: 's', userSeq: 0, heartbeatMs: 60_000, maxFrameBytes: 65536, maxMessageLength: 4000 }) });
  }
}

function harness(tokens: { current: string | null; renewTo: string | null }, options: { connectTimeoutMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  let renewals = 0;
  const socket = new RealtimeSocket({
    url: 'ws://test/v1/ws',
    tokens: {
      accessToken: () => tokens.current,
      renew: async () => {
        renewals++;
        tokens.current = tokens.renewTo;
        return tokens.renewTo;
      },
    },
    createWebSocket: () => {
      const ws = new FakeSocket();
      sockets.push(ws);
      return ws;
    },
    backoffBaseMs: 1,
    backoffMaxMs: 2,
    ...options,
  });
  return { socket, sockets, renewals: () => renewals };
}

const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (a busy machine may take its time); fails after 10 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await tick(5);
  }
}

describe('the realtime socket', () => {
  it('authenticates with its first frame, never in the URL', async () => {
    const { socket, sockets } = harness({ current: 'token-1', renewTo: null });
    socket.start();
    await tick();
    sockets[0]!.fire('open');
    assert.equal(sockets[0]!.sent[0].t, 'auth');
    assert.equal(sockets[0]!.sent[0].token, 'token-1');
    socket.stop();
  });

  it('reconnects after a resumable close and fails requests that were in flight', async () => {
    const { socket, sockets } = harness({ current: 't', renewTo: null });
    socket.start();
    await tick();
    sockets[0]!.fire('open');
    sockets[0]!.ready();
    const pending = socket.request('ping', {});
    sockets[0]!.fire('close', { code: CloseCodes.serverShutdown, reason: '' });
    await assert.rejects(pending, (error: any) => error.code === 'disconnected' && error.retryable);
    await tick(30);
    assert.equal(sockets.length, 2);
    socket.stop();
  });

  it('after a refused handshake (a connect storm\'s 503: closed before it opened) waits at least a second before trying again', async () => {
    const { socket, sockets } = harness({ current: 't', renewTo: null });
    socket.start();
    await tick();
    const refusedAt = Date.now();
    sockets[0]!.fire('close', { code: CloseCodes.abnormal, reason: '' });
    await tick(300);
    assert.equal(sockets.length, 1, 'no retry at once');
    await until(() => sockets.length === 2);
    assert.ok(Date.now() - refusedAt >= 1_000, `retried after ${Date.now() - refusedAt} ms`);
    // A socket that did open and then dropped comes back on the plain backoff (ms here).
    sockets[1]!.fire('open');
    sockets[1]!.ready();
    const droppedAt = Date.now();
    sockets[1]!.fire('close', { code: CloseCodes.abnormal, reason: '' });
    await until(() => sockets.length === 3);
    assert.ok(Date.now() - droppedAt < 1_000);
    socket.stop();
  });

  it('gives up a connect that is not ready within the connect timeout, and tries again (a handshake to a restarting node can hang)', (ctx) => {
    // The clock is the test's: each step happens before or after the timeout however busy the machine is.
    ctx.mock.timers.enable({ apis: ['setTimeout'] });
    const { socket, sockets } = harness({ current: 't', renewTo: null }, { connectTimeoutMs: 50 });
    socket.start();
    assert.equal(sockets.length, 1);
    // Never opens (its SYNs dropped): dropped at the timeout, then retried as a refused handshake, no sooner than a second later.
    ctx.mock.timers.tick(49);
    assert.equal(sockets[0]!.readyState, 0);
    ctx.mock.timers.tick(1);
    assert.equal(sockets[0]!.readyState, 3);
    assert.equal(socket.status, 'waiting');
    ctx.mock.timers.tick(999);
    assert.equal(sockets.length, 1, 'not retried within the second');
    ctx.mock.timers.tick(3);
    assert.equal(sockets.length, 2);
    // Opens but never says ready: dropped at the timeout and retried on the plain backoff.
    sockets[1]!.fire('open');
    ctx.mock.timers.tick(50);
    assert.equal(sockets[1]!.readyState, 3);
    ctx.mock.timers.tick(3);
    assert.equal(sockets.length, 3);
    // Ready in time: kept long past the timeout.
    sockets[2]!.fire('open');
    sockets[2]!.ready();
    ctx.mock.timers.tick(10_000);
    assert.equal(sockets.length, 3);
    assert.equal(sockets[2]!.readyState, 1);
    assert.equal(socket.status, 'open');
    socket.stop();
  });

  it('spreads retries after refusals over the backoff window (full jitter above the one-second floor)', () => {
    const delays = [0, 0.25, 0.5, 0.999].map((r) => reconnectDelay(CloseCodes.tryAgainLater, 3, 500, 30_000, () => r));
    assert.deepEqual(delays, [1_000, 2_000, 3_000, 4_996]);
    assert.equal(reconnectDelay(CloseCodes.tryAgainLater, 20, 500, 30_000, () => 0.5), 16_000, 'capped at the maximum, still spread');
  });

  it('renews the token before reconnecting when the server says the token expired', async () => {
    const tokens = { current: 'old', renewTo: 'new' };
    const { socket, sockets, renewals } = harness(tokens);
    socket.start();
    await tick();
    sockets[0]!.fire('open');
    sockets[0]!.fire('close', { code: CloseCodes.tokenExpired, reason: 'expired' });
    await tick(30);
    assert.equal(renewals(), 1);
    sockets[1]!.fire('open');
    assert.equal(sockets[1]!.sent[0].token, 'new');
    socket.stop();
  });

  it('answers a reauth frame with a renewed token on the same socket, without reconnecting', async () => {
    const { socket, sockets, renewals } = harness({ current: 'token-1', renewTo: 'token-2' });
    socket.start();
    await until(() => sockets.length === 1);
    sockets[0]!.fire('open');
    sockets[0]!.ready();
    sockets[0]!.fire('message', { data: JSON.stringify({ t: 'reauth', graceMs: 30_000 }) });
    await until(() => sockets[0]!.sent.some((frame) => frame.t === 'auth' && frame.token === 'token-2'));
    const auth = sockets[0]!.sent.find((frame) => frame.token === 'token-2');
    sockets[0]!.fire('message', { data: JSON.stringify({ t: 'ack', id: auth.id, data: {} }) });
    assert.equal(renewals(), 1);
    assert.equal(socket.status, 'open');
    assert.equal(sockets.length, 1, 'no second connection');
    socket.stop();
  });

  it('stops for good on a do-not-reconnect code', async () => {
    const { socket, sockets } = harness({ current: 't', renewTo: null });
    const stopped: number[] = [];
    socket.on('stopped', ({ code }) => stopped.push(code));
    socket.start();
    await tick();
    sockets[0]!.fire('open');
    sockets[0]!.fire('close', { code: CloseCodes.accountSuspended, reason: 'suspended' });
    await tick(30);
    assert.deepEqual(stopped, [CloseCodes.accountSuspended]);
    assert.equal(sockets.length, 1);
    assert.equal(socket.status, 'stopped');
  });

  it('stops when the token cannot be renewed', async () => {
    const { socket, sockets } = harness({ current: 'old', renewTo: null });
    const stopped: number[] = [];
    socket.on('stopped', ({ code }) => stopped.push(code));
    socket.start();
    await tick();
    sockets[0]!.fire('open');
    sockets[0]!.fire('close', { code: CloseCodes.tokenExpired, reason: '' });
    await tick(30);
    assert.equal(stopped.length, 1);
    assert.equal(sockets.length, 1);
  });

  it('answers requests by id and passes pushed frames on', async () => {
    const { socket, sockets } = harness({ current: 't', renewTo: null });
    const pushed: any[] = [];
    socket.on('push', (frame) => pushed.push(frame));
    socket.start();
    await tick();
    sockets[0]!.fire('open');
    sockets[0]!.ready();
    const answer = socket.request('events', { conversationId: 'c', after: 0 });
    const request = sockets[0]!.sent.at(-1);
    sockets[0]!.fire('message', { data: JSON.stringify({ t: 'event', event: { conversationId: 'c', seq: 1 } }) });
    sockets[0]!.fire('message', { data: JSON.stringify({ t: 'error', id: request.id, error: { code: 'not_found', message: 'no' } }) });
    await assert.rejects(answer, (error: any) => error.code === 'not_found' && !error.retryable);
    assert.equal(pushed.length, 1);
    socket.stop();
  });
});

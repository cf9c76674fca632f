import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FrameChannel, routeCommand } from '../src/command-route.ts';
import { ParleyError } from '../src/errors.ts';
import { retryRetryable } from '../src/retry.ts';

/** A socket stand-in that records the frames it was asked to send. */
function channel(isOpen: boolean) {
  const frames: Array<{ type: string; payload: unknown }> = [];
  const socket: FrameChannel = {
    isOpen,
    request: (async (type: string, payload: unknown) => {
      frames.push({ type, payload });
      return { readSeq: 5, unreadCount: 0, via: 'socket' };
    }) as FrameChannel['request'],
  };
  return { socket, frames };
}

const read = (httpCalls: string[]) => ({
  frame: { type: 'read' as const, payload: { conversationId: 'c1', seq: 5 } },
  http: async () => {
    httpCalls.push('POST /v1/conversations/c1/read');
    return { readSeq: 5, unreadCount: 0, via: 'http' };
  },
});

describe('routing a command', () => {
  it('sends it as a frame while the socket is open', async () => {
    const { socket, frames } = channel(true);
    const httpCalls: string[] = [];
    const answer = await routeCommand(socket, read(httpCalls));
    assert.deepEqual(frames, [{ type: 'read', payload: { conversationId: 'c1', seq: 5 } }]);
    assert.deepEqual(httpCalls, []);
    assert.equal((answer as { via: string }).via, 'socket');
  });

  it('sends it over HTTP while the socket is down', async () => {
    const { socket, frames } = channel(false);
    const httpCalls: string[] = [];
    const answer = await routeCommand(socket, read(httpCalls));
    assert.deepEqual(frames, []);
    assert.deepEqual(httpCalls, ['POST /v1/conversations/c1/read']);
    assert.equal((answer as { via: string }).via, 'http');
  });

  it('sends a command without a frame over HTTP even while the socket is open', async () => {
    const { socket, frames } = channel(true);
    const answer = await routeCommand(socket, { http: async () => 'over http' });
    assert.equal(answer, 'over http');
    assert.deepEqual(frames, []);
  });

  it('fails a socket-only command while the socket is down, retryably', async () => {
    const { socket } = channel(false);
    await assert.rejects(
      routeCommand(socket, { frame: { type: 'sync', payload: { conversations: [] } } }),
      (error: unknown) => error instanceof ParleyError && error.code === 'disconnected' && error.retryable,
    );
  });
});

describe('retrying a command', () => {
  it('retries retryable failures, after the server\'s retryAfterMs at the earliest, until it succeeds', async () => {
    const started = Date.now();
    let attempts = 0;
    const result = await retryRetryable(async () => {
      if (++attempts < 3) throw new ParleyError('rate_limited', 'slow down', 429, { retryAfterMs: 150 });
      return 'sent';
    }, () => true);
    assert.equal(result, 'sent');
    assert.equal(attempts, 3);
    assert.ok(Date.now() - started >= 290, 'waited the hinted time before each retry');
  });

  it('gives up at once on a failure that retrying cannot fix, and when told to stop', async () => {
    let attempts = 0;
    await assert.rejects(retryRetryable(async () => {
      attempts++;
      throw new ParleyError('forbidden', 'no', 403);
    }, () => true), { code: 'forbidden' });
    assert.equal(attempts, 1);
    attempts = 0;
    await assert.rejects(retryRetryable(async () => {
      attempts++;
      throw new ParleyError('disconnected', 'not connected');
    }, (tries) => tries === 0), { code: 'disconnected' });
    assert.equal(attempts, 2, 'one retry allowed, then it stops');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { backoffDelay, reconnectDelay } from '../src/backoff.ts';
import { OrderedLog } from '../src/ordered-log.ts';

const e = (seq: number) => ({ seq });

describe('an ordered log', () => {
  it('applies events in order and drops duplicates', () => {
    const log = new OrderedLog(0);
    assert.deepEqual(log.offer(e(1)), [e(1)]);
    assert.deepEqual(log.offer(e(1)), []);
    assert.deepEqual(log.offer(e(2)), [e(2)]);
    assert.equal(log.seq, 2);
  });

  it('holds early events until the gap is filled, then releases them in order', () => {
    const log = new OrderedLog(5);
    assert.deepEqual(log.offer(e(8)), []);
    assert.deepEqual(log.offer(e(7)), []);
    assert.equal(log.hasGap, true);
    assert.deepEqual(log.offer(e(6)), [e(6), e(7), e(8)]);
    assert.equal(log.hasGap, false);
    assert.equal(log.seq, 8);
  });

  it('forgets what it holds past its bound, so memory stays bounded while the catch-up refetches', () => {
    const log = new OrderedLog(0, 3);
    for (const seq of [5, 6, 7, 8]) log.offer(e(seq));
    assert.deepEqual(log.offer(e(1)), [e(1)]);
    assert.equal(log.seq, 1);
  });

  it('continues from a reset seq and keeps held events that are still ahead', () => {
    const log = new OrderedLog(0);
    log.offer(e(3));
    log.offer(e(11));
    log.offer(e(12));
    assert.deepEqual(log.resetTo(10), [e(11), e(12)]);
    assert.equal(log.seq, 12);
    assert.equal(log.hasGap, false);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially up to the cap and is spread by full jitter', () => {
    assert.equal(backoffDelay(0, 500, 30_000, () => 0.999), 499);
    assert.equal(backoffDelay(3, 500, 30_000, () => 0.5), 2000);
    assert.equal(backoffDelay(30, 500, 30_000, () => 0.5), 15_000);
    assert.equal(backoffDelay(5, 500, 30_000, () => 0), 0);
  });

  it('waits at least a second after an overload or try-again-later close, and not otherwise', () => {
    assert.equal(reconnectDelay(CloseCodes.overloaded, 0, 500, 30_000, () => 0), 1_000);
    assert.equal(reconnectDelay(CloseCodes.tryAgainLater, 2, 500, 30_000, () => 0.5), 2_000);
    assert.equal(reconnectDelay(1006, 0, 500, 30_000, () => 0), 0);
    assert.equal(reconnectDelay(1006, 30, undefined, undefined, () => 0.5), 15_000);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationEvent } from '@parley/protocol';
import { ongoingCall } from '../src/features/calls/ongoing-call.ts';
import { callDuration, noticeText } from '../src/lib/notices.ts';
import { canStartCall } from '../src/lib/permissions.ts';

const ME = 'u-me';
const BEN = 'u-ben';
const name = (id: string | null) => (id === ME ? 'You' : id === BEN ? 'Ben' : 'Someone');
let seq = 0;
function event(type: string, data: Record<string, unknown>, actorId: string | null = null): ConversationEvent {
  return { conversationId: 'c1', seq: ++seq, type, actorId, createdAt: '2026-01-01T00:00:00.000Z', data } as unknown as ConversationEvent;
}
const line = (e: ConversationEvent, kind: 'direct' | 'group' = 'direct') => noticeText(e, { kind }, name, () => undefined);

describe('call lines in the timeline', () => {
  it('says "Call, 3 min" for an answered call and nothing for one nobody answered (its missed line says it)', () => {
    assert.equal(line(event('call.ended', { callId: 'k', reason: 'hangup', durationMs: 185_000, answered: true })), 'Call, 3 min');
    assert.equal(line(event('call.ended', { callId: 'k', reason: 'no_answer', durationMs: 0, answered: false })), null);
    assert.deepEqual([callDuration(0), callDuration(59_999), callDuration(60_000), callDuration(3_600_000), callDuration(3_900_000)], ['0 s', '59 s', '1 min', '1 h', '1 h 5 min']);
  });

  it('says "Missed call" to whoever missed it, and to the caller who did not answer or why', () => {
    assert.equal(line(event('call.missed', { callId: 'k', userIds: [ME], reason: 'no_answer' })), 'Missed call');
    assert.equal(line(event('call.missed', { callId: 'k', userIds: [ME], reason: 'cancelled' })), 'Missed call');
    assert.equal(line(event('call.missed', { callId: 'k', userIds: [BEN], reason: 'no_answer' })), 'Ben missed your call');
    assert.equal(line(event('call.missed', { callId: 'k', userIds: [BEN], reason: 'cancelled' })), 'Cancelled call');
    assert.equal(line(event('call.missed', { callId: 'k', userIds: [BEN], reason: 'busy' })), 'Ben was busy');
    assert.equal(line(event('call.declined', { callId: 'k', userId: BEN })), 'Call declined');
  });

  it('shows who started a group call, and which call is still going on', () => {
    const started = event('call.started', { callId: 'k1', kind: 'video', mode: 'p2p', callerId: BEN, invitedUserIds: [ME] }, BEN);
    assert.equal(line(started, 'group'), 'Ben started a video call');
    assert.equal(line(started, 'direct'), null, 'a direct call is told by its outcome');
    assert.deepEqual(ongoingCall([started]), { callId: 'k1', kind: 'video' });
    assert.equal(ongoingCall([started, event('call.ended', { callId: 'k1', reason: 'hangup', durationMs: 1, answered: true })]), null);
    assert.equal(ongoingCall([]), null);
  });

  it('offers call buttons where the viewer holds start_calls, never in channels', () => {
    assert.equal(canStartCall({ kind: 'direct', role: 'member' }), true);
    assert.equal(canStartCall({ kind: 'group', role: 'member', rights: ['send_messages', 'start_calls'] }), true);
    assert.equal(canStartCall({ kind: 'group', role: 'member', rights: ['send_messages'] }), false);
    assert.equal(canStartCall({ kind: 'channel', role: 'owner', rights: ['start_calls'] }), false);
  });
});

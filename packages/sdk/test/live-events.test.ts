import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationEvent, Message } from '@parley/protocol';
import { compactEvent, expandEvent } from '@parley/protocol/client';

const at = '2026-12-05T10:00:00.000Z';

function messageEvent(type: 'message.created' | 'message.edited' | 'message.deleted', message: Message, event: { seq: number; actorId: string | null; createdAt: string }): ConversationEvent {
  return { conversationId: message.conversationId, seq: event.seq, type, actorId: event.actorId, createdAt: event.createdAt, data: { message } } as ConversationEvent;
}

const plain: Message = {
  id: 'm1', conversationId: 'c1', seq: 7, senderId: 'u1', clientMsgId: 'k1', text: 'hello', replyTo: null, createdAt: at,
  editedAt: null, deletedAt: null, forwardedFrom: null, reactions: [], attachments: [], mentions: [],
};

const everything: Message = {
  ...plain,
  replyTo: 'm0',
  editedAt: '2026-12-05T10:05:00.000Z',
  forwardedFrom: { messageId: 'm9', senderId: 'u9', conversationId: null, conversationTitle: null, createdAt: at },
  reactions: [{ emoji: '👍', count: 2 }],
  attachments: [{ id: 'f1', kind: 'image', name: 'a.png', size: 10, type: 'image/png', width: 1, height: 1, durationMs: null, thumbnail: null, waveform: null }],
  mentions: ['u2'],
};

describe('message events in event frames', () => {
  it('leave out what the event already says, nulls and empty lists', () => {
    const live = compactEvent(messageEvent('message.created', plain, { seq: 7, actorId: 'u1', createdAt: at }));
    assert.deepEqual(live.data, { message: { id: 'm1', clientMsgId: 'k1', text: 'hello' } });
  });

  it('restore to the message as the log holds it, whatever it carried', () => {
    const cases: ConversationEvent[] = [
      messageEvent('message.created', plain, { seq: 7, actorId: 'u1', createdAt: at }),
      messageEvent('message.created', everything, { seq: 7, actorId: 'u1', createdAt: at }),
      // An edit: its own seq and time; the message keeps the seq and time it was created at.
      messageEvent('message.edited', everything, { seq: 9, actorId: 'u1', createdAt: '2026-12-05T10:05:00.000Z' }),
      // Deleted by a moderator: the sender is not the actor, and the text is gone.
      messageEvent('message.deleted', { ...plain, text: null, deletedAt: '2026-12-05T11:00:00.000Z' }, { seq: 12, actorId: 'mod', createdAt: '2026-12-05T11:00:00.000Z' }),
      // Sent through the admin API: no actor.
      messageEvent('message.created', plain, { seq: 7, actorId: null, createdAt: at }),
    ];
    for (const event of cases) assert.deepEqual(expandEvent(compactEvent(event)), event);
  });

  it('pass full messages (from a log read or an older server) and other events through unchanged', () => {
    const full = messageEvent('message.created', everything, { seq: 7, actorId: 'u1', createdAt: at });
    assert.deepEqual(expandEvent(full as never), full);
    const pinned = { conversationId: 'c1', seq: 8, type: 'message.pinned', actorId: 'u1', createdAt: at, data: { messageId: 'm1' } } as ConversationEvent;
    assert.equal(compactEvent(pinned), pinned);
    assert.equal(expandEvent(pinned), pinned);
  });

  it('never change the event they are given', () => {
    const event = messageEvent('message.created', { ...plain }, { seq: 7, actorId: 'u1', createdAt: at });
    const copy = structuredClone(event);
    expandEvent(compactEvent(event));
    assert.deepEqual(event, copy);
  });
});
